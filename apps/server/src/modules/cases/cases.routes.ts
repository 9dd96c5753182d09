import { ARCHIVE_TYPES, CASE_ACTIONS, CASE_SOURCES, CASE_STATES, EDITIONS, ROLES, SEVERITIES } from '@cityloop/shared';
import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { RateLimiter } from '../../lib/rate-limit.ts';
import { IdParam, LngLatQuery, OneOf, Strict } from '../../lib/schema.ts';
import type { Auth } from '../auth/auth.service.ts';
import { PUBLIC_MAX_PER_TOKEN, UPLOAD_TOKEN_PATTERN } from '../media/media.service.ts';

/** A reporter's optional contact; never shown publicly. */
const Contact = Strict({
  name: Type.Optional(Type.String({ maxLength: 50 })),
  phone: Type.Optional(Type.String({ pattern: '^[0-9+\\- ]{3,20}$' })),
});
const PhotoRefs = Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 20 });

const ReportBody = Strict({
  source: Type.Optional(OneOf(CASE_SOURCES)),
  kind: OneOf(['component', 'event'] as const),
  edition: Type.Optional(OneOf(EDITIONS)),
  classCode: Type.String({ pattern: '^\\d{4,9}$' }),
  severity: Type.Optional(OneOf(SEVERITIES)),
  urgent: Type.Optional(Type.Boolean()),
  description: Type.String({ minLength: 1, maxLength: 2000 }),
  location: Type.Optional(Strict(LngLatQuery)),
  address: Type.Optional(Type.String({ minLength: 2, maxLength: 200 })),
  componentCode: Type.Optional(Type.String({ pattern: '^\\d{16,17}$' })),
  selfHandled: Type.Optional(Type.Boolean()),
  idempotencyKey: Type.Optional(Type.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' })),
  reporterContact: Type.Optional(Contact),
  channel: Type.Optional(
    Type.String({ minLength: 1, maxLength: 32, description: 'within the source: 12345 / 12319 (hotline), the office, the outlet' }),
  ),
  sourceRef: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'work-order number, instruction document number or article link' }),
  ),
  photos: Type.Optional(PhotoRefs),
});

/** Filters of case lists, counts and exports. */
export const CaseFilters = {
  state: Type.Optional(OneOf(CASE_STATES)),
  classCode: Type.Optional(Type.String({ pattern: '^\\d{2,9}$' })),
  districtId: Type.Optional(Type.Integer({ minimum: 1 })),
  departmentId: Type.Optional(Type.Integer({ minimum: 1 })),
  componentId: Type.Optional(Type.Integer({ minimum: 1, description: 'cases reported on this component (部件)' })),
  source: Type.Optional(OneOf(CASE_SOURCES)),
  overdue: Type.Optional(Type.Boolean()),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  role: Type.Optional(
    OneOf(ROLES, { description: "待办 of this one of the caller's roles (a person with several roles works one at a time)" }),
  ),
};

const ActionBody = Strict({
  version: Type.Integer({ minimum: 1, description: 'the case version this action is based on (optimistic lock)' }),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  departmentId: Type.Optional(Type.Integer({ minimum: 1 })),
  photos: Type.Optional(PhotoRefs),
  archiveType: Type.Optional(OneOf(ARCHIVE_TYPES)),
  extension: Type.Optional(Strict({ value: Type.Integer({ minimum: 1, maximum: 365 }), unit: OneOf(['minute', 'hour', 'day'] as const) })),
  intoCaseId: Type.Optional(Type.Integer({ minimum: 1, description: 'merge: the case this report duplicates' })),
});

/**
 * Anonymous reports are limited per client address (in this process): PUBLIC_LIMIT reports
 * per PUBLIC_WINDOW_MS. Behind a proxy, set trustProxy so the address is the client's.
 */
const PUBLIC_LIMIT = 10;
const PUBLIC_WINDOW_MS = 10 * 60_000;

export async function casesRoutes(app: App) {
  const cases = app.ctx.services.cases;
  const publicReports = new RateLimiter({
    limit: PUBLIC_LIMIT,
    windowMs: PUBLIC_WINDOW_MS,
    message: '提交过于频繁，请稍后再试 / Too many reports from your address; try again later',
  });

  app.post('/api/public/cases', {
    config: { access: 'public' },
    bodyLimit: 16 * 1024,
    schema: {
      tags: ['public'],
      summary: 'Report a problem without an account (rate-limited); returns the case number and a tracking code, once',
      body: Strict({
        kind: OneOf(['component', 'event'] as const),
        classCode: Type.String({ pattern: '^\\d{4,9}$' }),
        description: Type.String({ minLength: 1, maxLength: 1000 }),
        location: Type.Optional(Strict(LngLatQuery)),
        address: Type.Optional(Type.String({ minLength: 2, maxLength: 200 })),
        idempotencyKey: Type.Optional(Type.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' })),
        reporterContact: Type.Optional(Contact),
        photos: Type.Optional(
          Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
            maxItems: PUBLIC_MAX_PER_TOKEN,
            description: 'ids of photos uploaded at POST /api/public/media; published with the case without EXIF',
          }),
        ),
        uploadToken: Type.Optional(
          Type.String({ pattern: UPLOAD_TOKEN_PATTERN, description: 'the token the photos were uploaded with (required with photos)' }),
        ),
      }),
    },
    handler: async (req, reply) => {
      publicReports.check(req.ip, reply);
      const out = await cases.reportPublic(req.body);
      return reply.code(out.created ? 201 : 200).send(out);
    },
  });

  app.get('/api/public/cases/:number', {
    config: { access: 'public' },
    schema: {
      tags: ['public'],
      summary: 'Follow a public report with its tracking code: status and milestones (no personal data)',
      params: Strict({ number: Type.String({ pattern: '^\\d{13}$' }) }),
      querystring: Strict({ token: Type.String({ minLength: 10, maxLength: 64 }) }),
    },
    handler: async (req) => cases.publicStatus(req.params.number, req.query.token),
  });

  // The reporter's say after 结案, with the tracking code (in the body, kept out of URLs and logs).
  const publicFeedback = new RateLimiter({
    limit: PUBLIC_LIMIT * 3,
    windowMs: PUBLIC_WINDOW_MS,
    message: '提交过于频繁，请稍后再试 / Too many requests from your address; try again later',
  });
  const CaseNumber = Strict({ number: Type.String({ pattern: '^\\d{13}$' }) });
  const Token = Type.String({ minLength: 10, maxLength: 64, description: 'the tracking code given with the case number' });

  app.post('/api/public/cases/:number/rating', {
    config: { access: 'public' },
    bodyLimit: 8 * 1024,
    schema: {
      tags: ['public'],
      summary:
        'Rate a closed public report, once: 1–5 stars and an optional comment (409 case_not_closed, 409 case_already_rated; 404 wrong code)',
      params: CaseNumber,
      body: Strict({
        token: Token,
        stars: Type.Integer({ minimum: 1, maximum: 5 }),
        comment: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
      }),
    },
    handler: async (req, reply) => {
      publicFeedback.check(req.ip, reply);
      const { token, ...rating } = req.body;
      return cases.ratePublic(req.params.number, token, rating);
    },
  });

  app.post('/api/public/cases/:number/not-fixed', {
    config: { access: 'public' },
    bodyLimit: 8 * 1024,
    schema: {
      tags: ['public'],
      summary:
        "Say a closed public report is not fixed (未解决), with a reason, within the city's publicFeedbackDays of the close, once: " +
        'the case is reopened for the centre to review (409 case_not_closed, reopen_window_passed, case_already_reopened; 404 wrong code)',
      params: CaseNumber,
      body: Strict({ token: Token, reason: Type.String({ minLength: 2, maxLength: 500 }) }),
    },
    handler: async (req, reply) => {
      publicFeedback.check(req.ip, reply);
      return cases.reopenPublic(req.params.number, req.body.token, { reason: req.body.reason });
    },
  });

  app.post('/api/cases', {
    config: { access: 'cases.report' },
    schema: {
      tags: ['cases'],
      summary: 'Report a problem (inspector, hotline/leader/media by an acceptor, machines by API key); idempotent by key',
      body: ReportBody,
    },
    handler: async (req, reply) => {
      const { case: c, created } = await cases.report(req.auth as Auth, req.body);
      return reply.code(created ? 201 : 200).send(c);
    },
  });

  app.get('/api/cases', {
    config: { access: 'cases.read' },
    schema: {
      tags: ['cases'],
      summary: 'Cases in scope: queue todo (waiting on my roles), done (I acted), or all; urgent first, then nearest deadline',
      querystring: Strict({
        queue: Type.Optional(OneOf(['todo', 'done', 'all'] as const)),
        ...CaseFilters,
        suggest: Type.Optional(
          Type.Boolean({ description: 'cases waiting for dispatch (待派遣) carry the department the routing rules suggest, and the rule' }),
        ),
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        offset: Type.Integer({ minimum: 0, default: 0 }),
      }),
    },
    handler: async (req) => cases.list(req.auth as Auth, req.query),
  });

  app.get('/api/cases/counts', {
    config: { access: 'cases.read' },
    schema: {
      tags: ['cases'],
      summary: 'Queue counts for a workbench under the list filters: 待办 (overdue, yellow light, urgent, by state) and 已办',
      querystring: Strict(CaseFilters),
      response: {
        200: Type.Object({
          todo: Type.Integer(),
          overdue: Type.Integer({ description: '待办 past the phase deadline (red light)' }),
          warning: Type.Integer({ description: '待办 on a yellow light (80 % of the phase limit used)' }),
          urgent: Type.Integer(),
          done: Type.Integer({ description: '已办: cases the caller acted on' }),
          todoByState: Type.Record(Type.String(), Type.Integer()),
        }),
      },
    },
    handler: async (req) => cases.counts(req.auth as Auth, req.query),
  });

  app.get('/api/cases/:id', {
    config: { access: 'cases.read' },
    schema: { tags: ['cases'], summary: 'One case with the actions the caller may take now', params: IdParam },
    handler: async (req) => cases.get(req.auth as Auth, req.params.id),
  });

  app.get('/api/cases/:id/timeline', {
    config: { access: 'cases.read' },
    schema: { tags: ['cases'], summary: 'The phase log of a case: who, role, when, deadline, on time', params: IdParam },
    handler: async (req) => cases.timeline(req.auth as Auth, req.params.id),
  });

  app.get('/api/cases/:id/photos', {
    config: { access: 'cases.read' },
    schema: {
      tags: ['cases'],
      summary: "The case's photos with their EXIF time and place, flags, and the log step that brought each (before and after)",
      params: IdParam,
    },
    handler: async (req) => cases.photos(req.auth as Auth, req.params.id),
  });

  app.get('/api/cases/:id/dispatch-suggestion', {
    config: { access: 'cases.read' },
    schema: {
      tags: ['cases'],
      summary: 'The department the routing rules suggest, with the rule that matched and the alternatives',
      params: IdParam,
    },
    handler: async (req) => cases.dispatchSuggestion(req.auth as Auth, req.params.id),
  });

  app.post('/api/cases/:id/actions/:action', {
    config: { access: 'cases.act' },
    schema: {
      tags: ['cases'],
      summary: 'Take a workflow action (409 with the allowed actions when impossible; 422 naming missing input)',
      params: Strict({
        id: Type.Integer({ minimum: 1 }),
        action: OneOf(CASE_ACTIONS.filter((a) => !['report', 'auto_register', 'auto_dispatch', 'rate', 'reopen'].includes(a))),
      }),
      body: ActionBody,
    },
    handler: async (req) => cases.act(req.auth as Auth, req.params.id, req.params.action, req.body),
  });
}
