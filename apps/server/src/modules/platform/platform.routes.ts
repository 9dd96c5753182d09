import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { IdParam, OneOf, Strict } from '../../lib/schema.ts';
import type { Auth } from '../auth/auth.service.ts';

const LinkBody = Strict({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  direction: OneOf(['downstream', 'upstream'] as const, {
    description: 'downstream: a district platform we dispatch to; upstream: the city platform that dispatches to us',
  }),
  baseUrl: Type.String({ minLength: 8, maxLength: 300, description: "the other platform's address, e.g. https://xl.example.cn" }),
  apiKey: Type.String({ minLength: 8, maxLength: 200, description: 'our API key at the other platform (never shown again)' }),
  departmentId: Type.Optional(
    Type.Integer({ minimum: 1, description: 'downstream: the department that stands for the district platform' }),
  ),
  remoteCode: Type.Optional(Type.String({ pattern: '^\\d{6}$', description: "upstream: the city platform's division code" })),
});

/** What the city platform sends; the case is the exchange document's case (docs/exchange.md). */
const InboundBody = Type.Object({
  platform: Type.Object({ cityCode: Type.String({ pattern: '^\\d{6}$' }), name: Type.String({ minLength: 1, maxLength: 100 }) }),
  caseId: Type.Integer({ minimum: 1 }),
  case: Type.Object({
    number: Type.String({ minLength: 1, maxLength: 40 }),
    kind: OneOf(['component', 'event'] as const),
    edition: Type.String({ minLength: 1, maxLength: 40 }),
    classCode: Type.String({ pattern: '^\\d{4,9}$' }),
    severity: Type.String({ minLength: 1, maxLength: 20 }),
    urgent: Type.Boolean(),
    description: Type.String({ minLength: 1, maxLength: 4000 }),
    address: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    location: Type.Object({ lng: Type.Number({ minimum: -180, maximum: 180 }), lat: Type.Number({ minimum: -90, maximum: 90 }) }),
  }),
  photos: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 20 })),
});

/** 两级平台: links between a city platform and district platforms, the sync outbox, and the inbound API. */
export async function platformRoutes(app: App) {
  const platform = app.ctx.services.platform;
  const tags = ['platform'];

  app.addHook('onReady', async () => platform.worker.start());
  app.addHook('preClose', async () => platform.worker.stop());

  app.get('/api/platform/links', {
    config: { access: 'exchange.manage' },
    schema: { tags, summary: 'Links to the platforms above and below this one (keys are never shown)' },
    handler: async () => platform.links(),
  });

  app.post('/api/platform/links', {
    config: { access: 'exchange.manage' },
    schema: { tags, summary: 'Link a district platform (downstream) or the city platform (upstream)', body: LinkBody },
    handler: async (req, reply) => reply.code(201).send(await platform.createLink(req.body, (req.auth as Auth).personId)),
  });

  app.post('/api/platform/links/:id/:op', {
    config: { access: 'exchange.manage' },
    schema: {
      tags,
      summary: 'Enable or disable a link',
      params: Strict({ id: IdParam.properties.id, op: OneOf(['enable', 'disable'] as const) }),
    },
    handler: async (req) => platform.setActive(req.params.id, req.params.op === 'enable', (req.auth as Auth).personId),
  });

  app.get('/api/platform/outbox', {
    config: { access: 'exchange.manage' },
    schema: {
      tags,
      summary: 'The sync log: what was sent to the other platforms, what waits, what failed and why',
      querystring: Strict({
        linkId: Type.Optional(Type.Integer({ minimum: 1 })),
        status: Type.Optional(OneOf(['pending', 'done', 'failed'] as const)),
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
      }),
    },
    handler: async (req) => platform.outbox(req.query),
  });

  app.post('/api/platform/outbox/:id/retry', {
    config: { access: 'exchange.manage' },
    schema: { tags, summary: 'Send a failed item again', params: IdParam },
    handler: async (req, reply) => {
      await platform.retryNow(req.params.id, (req.auth as Auth).personId);
      return reply.code(204).send();
    },
  });

  app.post('/api/platform/inbound', {
    config: { access: 'platform.inbound' },
    schema: {
      tags,
      summary: 'A case the city platform dispatched to this (district) platform; filed as registered, idempotent by the city case id',
      body: InboundBody,
    },
    handler: async (req, reply) => {
      const out = await platform.inbound(req.auth as Auth, req.body);
      return reply.code(out.created ? 201 : 200).send(out);
    },
  });
}
