import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { currentVersion } from '../../db/migrate.ts';
import { Strict, TimeLimitSchema } from '../../lib/schema.ts';
import { PHASE_LIMIT_KEYS } from '../workflow/workflow.definitions.ts';

/** The city's phase limits by phase (受理 receive, 核实 verify, 立案 register, 派遣 dispatch, 发核查 sendCheck, 核查 check, 结案 close). */
const PhaseLimits = (optional: boolean) =>
  Strict(Object.fromEntries(PHASE_LIMIT_KEYS.map((k) => [k, optional ? Type.Optional(TimeLimitSchema) : TimeLimitSchema])), {
    description: 'time limits of the centre phases; urgent cases count them on the continuous clock',
  });

export async function systemRoutes(app: App) {
  const { ctx } = app;

  app.get('/api/health', {
    config: { access: 'public' },
    schema: {
      tags: ['system'],
      summary: 'Liveness and database facts',
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          database: Type.Object({ kind: Type.String(), migration: Type.Union([Type.String(), Type.Null()]) }),
          version: Type.String(),
        }),
      },
    },
    handler: async () => ({
      status: 'ok' as const,
      database: { kind: ctx.database.kind, migration: await currentVersion(ctx.database) },
      version: '0.1.0',
    }),
  });

  const Settings = Type.Object({
    cityName: Type.String(),
    cityCode: Type.String(),
    gridCodeDigits: Type.Union([Type.Literal(14), Type.Literal(15)]),
    edition: Type.String(),
    timeZone: Type.String(),
    mapCenter: Type.Tuple([Type.Number(), Type.Number()]),
    mapZoom: Type.Number(),
    duplicateRadiusM: Type.Number(),
    phaseLimits: PhaseLimits(false),
    publicFeedbackDays: Type.Integer({ description: 'days after 结案 in which a public reporter may say 未解决 (reopens the case)' }),
    basemapUrl: Type.Union([Type.String(), Type.Null()]),
  });

  app.get('/api/settings', {
    config: { access: 'public' },
    schema: { tags: ['system'], summary: 'City settings the console needs before login (name, map centre)', response: { 200: Settings } },
    handler: async () => ({ ...(await ctx.services.settings.get()), basemapUrl: ctx.config.basemapUrl }),
  });

  app.patch('/api/settings', {
    config: { access: 'settings.write' },
    schema: {
      tags: ['system'],
      summary: 'Change city settings (audited)',
      body: Strict({
        cityName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        cityCode: Type.Optional(Type.String({ pattern: '^\\d{6}$' })),
        gridCodeDigits: Type.Optional(Type.Union([Type.Literal(14), Type.Literal(15)])),
        edition: Type.Optional(Type.Union([Type.Literal('CJT214-2007'), Type.Literal('GBT47678.5-2026')])),
        timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        mapCenter: Type.Optional(Type.Tuple([Type.Number({ minimum: -180, maximum: 180 }), Type.Number({ minimum: -90, maximum: 90 })])),
        mapZoom: Type.Optional(Type.Number({ minimum: 0, maximum: 22 })),
        duplicateRadiusM: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
        phaseLimits: Type.Optional(PhaseLimits(true)),
        publicFeedbackDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 })),
      }),
      response: { 200: Settings },
    },
    handler: async (req) => ({
      ...(await ctx.services.settings.set(req.body, req.auth?.personId ?? null)),
      basemapUrl: ctx.config.basemapUrl,
    }),
  });

  app.get('/api/audit', {
    config: { access: 'audit.read' },
    schema: {
      tags: ['system'],
      summary: "Audit trail of administrative changes, newest first, with the actor's name",
      querystring: Strict({
        entity: Type.Optional(Type.String({ maxLength: 64 })),
        entityId: Type.Optional(Type.String({ maxLength: 64 })),
        actorId: Type.Optional(Type.Integer({ minimum: 1, description: 'who made the change' })),
        action: Type.Optional(Type.String({ maxLength: 64, description: 'action, or its prefix (e.g. "taxonomy.")' })),
        from: Type.Optional(Type.String({ format: 'date-time' })),
        to: Type.Optional(Type.String({ format: 'date-time' })),
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        offset: Type.Integer({ minimum: 0, default: 0 }),
      }),
    },
    handler: async (req) => ctx.services.audit.list(req.query),
  });
}
