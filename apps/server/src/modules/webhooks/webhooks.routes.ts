import { CASE_SOURCES } from '@cityloop/shared';
import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { DateTime, IdParam, Nullable, OneOf, Strict } from '../../lib/schema.ts';

const tags = ['webhooks'];
const STATUSES = ['pending', 'delivered', 'failed'] as const;

const Stats = Type.Object({ pending: Type.Integer(), delivered: Type.Integer(), failed: Type.Integer() });
const Subscription = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  url: Type.String(),
  eventTypes: Type.Array(Type.String(), { description: 'phase-log actions delivered; empty = all' }),
  regionPrefix: Nullable(Type.String()),
  sources: Type.Array(Type.String(), { description: 'case sources delivered; empty = all' }),
  departmentId: Nullable(Type.Integer()),
  active: Type.Boolean(),
  timeoutMs: Type.Integer(),
  maxAttempts: Type.Integer(),
  createdBy: Nullable(Type.Integer()),
  createdAt: DateTime(),
  updatedAt: DateTime(),
  stats: Stats,
});
const CreatedSubscription = Type.Intersect([
  Subscription,
  Type.Object({ secret: Type.String({ description: 'the signing secret; shown this once' }) }),
]);
const Delivery = Type.Object({
  id: Type.Integer(),
  deliveryKey: Type.String({ description: 'sent as X-CityLoop-Delivery; the same on every retry and replay' }),
  subscriptionId: Type.Integer(),
  eventId: Nullable(Type.Integer()),
  caseId: Nullable(Type.Integer()),
  seq: Nullable(Type.Integer()),
  eventType: Type.String(),
  payload: Type.Unknown(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  nextAttemptAt: DateTime(),
  lastAttemptAt: Nullable(DateTime()),
  lastError: Nullable(Type.String()),
  responseCode: Nullable(Type.Integer()),
  responseMs: Nullable(Type.Integer()),
  deliveredAt: Nullable(DateTime()),
  replays: Type.Integer(),
  createdAt: DateTime(),
});

const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  url: Type.String({ minLength: 1, maxLength: 2000, description: 'http:// or https:// receiver' }),
  eventTypes: Type.Array(Type.String({ maxLength: 40 }), {
    maxItems: 64,
    description: 'phase-log actions to deliver (report, dispatch, feedback, …); empty or absent = all',
  }),
  regionPrefix: Nullable(Type.String({ pattern: '^[0-9A-Za-z]{1,32}$', description: 'district/street/community/grid code prefix' })),
  sources: Type.Array(OneOf(CASE_SOURCES), {
    maxItems: CASE_SOURCES.length,
    description: 'only cases of these sources (e.g. hotline for the 12345 status callback); empty or absent = all',
  }),
  departmentId: Nullable(Type.Integer({ minimum: 1, description: 'only events whose phase-log row names this department' })),
  active: Type.Boolean(),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 30_000, description: 'request timeout (default 5000)' }),
  maxAttempts: Type.Integer({ minimum: 1, maximum: 30, description: 'attempts before a delivery is failed (default 10)' }),
};
const Secret = Type.String({ minLength: 16, maxLength: 200, description: 'signing secret; generated when absent' });

/** Webhook subscriptions (数据交换): CRUD, the delivery log, replay and a test ping. */
export async function webhooksRoutes(app: App) {
  const webhooks = app.ctx.services.webhooks;
  const access = 'exchange.manage' as const;
  const actor = (req: { auth: { personId: number | null } | null }) => req.auth?.personId ?? null;

  // The delivery worker lives as long as the app: started when it is ready, stopped on close
  // (before the database is), with requests in flight aborted and their deliveries released.
  app.addHook('onReady', async () => {
    webhooks.worker.start();
  });
  app.addHook('preClose', async () => {
    await webhooks.worker.stop();
  });

  app.get('/api/webhooks', {
    config: { access },
    schema: { tags, summary: 'Webhook subscriptions with delivery counts', response: { 200: Type.Array(Subscription) } },
    handler: async () => webhooks.list(),
  });

  app.get('/api/webhooks/event-types', {
    config: { access },
    schema: { tags, summary: 'The event types a subscription may name', response: { 200: Type.Array(Type.String()) } },
    handler: async () => [...webhooks.eventTypes()],
  });

  app.get('/api/webhooks/:id', {
    config: { access },
    schema: { tags, summary: 'One subscription', params: IdParam, response: { 200: Subscription } },
    handler: async (req) => webhooks.get(req.params.id),
  });

  app.post('/api/webhooks', {
    config: { access },
    schema: {
      tags,
      summary: 'Create a subscription (audited); the answer shows the signing secret once',
      body: Strict({
        name: Fields.name,
        url: Fields.url,
        secret: Type.Optional(Secret),
        eventTypes: Type.Optional(Fields.eventTypes),
        regionPrefix: Type.Optional(Fields.regionPrefix),
        sources: Type.Optional(Fields.sources),
        departmentId: Type.Optional(Fields.departmentId),
        active: Type.Optional(Fields.active),
        timeoutMs: Type.Optional(Fields.timeoutMs),
        maxAttempts: Type.Optional(Fields.maxAttempts),
      }),
      response: { 201: CreatedSubscription },
    },
    handler: async (req, reply) => reply.code(201).send(await webhooks.create(req.body, actor(req))),
  });

  app.patch('/api/webhooks/:id', {
    config: { access },
    schema: {
      tags,
      summary: 'Change a subscription, e.g. disable it (audited)',
      params: IdParam,
      body: Strict({
        name: Type.Optional(Fields.name),
        url: Type.Optional(Fields.url),
        secret: Type.Optional(Secret),
        eventTypes: Type.Optional(Fields.eventTypes),
        regionPrefix: Type.Optional(Fields.regionPrefix),
        sources: Type.Optional(Fields.sources),
        departmentId: Type.Optional(Fields.departmentId),
        active: Type.Optional(Fields.active),
        timeoutMs: Type.Optional(Fields.timeoutMs),
        maxAttempts: Type.Optional(Fields.maxAttempts),
      }),
      response: { 200: Subscription },
    },
    handler: async (req) => webhooks.update(req.params.id, req.body, actor(req)),
  });

  app.delete('/api/webhooks/:id', {
    config: { access },
    schema: { tags, summary: 'Delete a subscription and its delivery log (audited)', params: IdParam },
    handler: async (req, reply) => {
      await webhooks.remove(req.params.id, actor(req));
      return reply.code(204).send();
    },
  });

  app.get('/api/webhooks/:id/deliveries', {
    config: { access },
    schema: {
      tags,
      summary: 'The delivery log of a subscription, newest first',
      params: IdParam,
      querystring: Strict({
        status: Type.Optional(OneOf(STATUSES)),
        caseId: Type.Optional(Type.Integer({ minimum: 1 })),
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        offset: Type.Integer({ minimum: 0, default: 0 }),
      }),
      response: { 200: Type.Object({ items: Type.Array(Delivery), total: Type.Integer() }) },
    },
    handler: async (req) => webhooks.deliveries(req.params.id, req.query),
  });

  app.post('/api/webhooks/deliveries/:id/replay', {
    config: { access },
    schema: {
      tags,
      summary: 'Send one delivery again with a fresh attempt count (audited)',
      params: IdParam,
      response: { 200: Delivery },
    },
    handler: async (req) => webhooks.replay(req.params.id, actor(req)),
  });

  app.post('/api/webhooks/:id/replay-failed', {
    config: { access },
    schema: {
      tags,
      summary: 'Send every failed delivery of a subscription again (audited)',
      params: IdParam,
      response: { 200: Type.Object({ requeued: Type.Integer() }) },
    },
    handler: async (req) => webhooks.replayFailed(req.params.id, actor(req)),
  });

  app.post('/api/webhooks/:id/ping', {
    config: { access },
    schema: {
      tags,
      summary: 'Send a signed test ping now and log it (audited)',
      params: IdParam,
      response: { 200: Delivery },
    },
    handler: async (req) => webhooks.ping(req.params.id, actor(req)),
  });
}
