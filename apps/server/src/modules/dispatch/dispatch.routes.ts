import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { DateTime, IdParam, LngLatQuery, Nullable, Strict } from '../../lib/schema.ts';

const Edition = Type.Union([Type.Literal('CJT214-2007'), Type.Literal('GBT47678.5-2026')]);
const Kind = Type.Union([Type.Literal('component'), Type.Literal('event')]);
const ClassCode = Type.String({ pattern: '^\\d{2,7}$', description: 'major (2 digits), minor or detail class code' });

const Rule = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  edition: Nullable(Type.String()),
  kind: Nullable(Type.String()),
  classCode: Nullable(Type.String()),
  className: Nullable(Type.String()),
  regionId: Nullable(Type.Integer()),
  regionCode: Nullable(Type.String()),
  regionLevel: Nullable(Type.String()),
  regionName: Nullable(Type.String()),
  ownerDepartmentId: Nullable(Type.Integer()),
  ownerName: Nullable(Type.String()),
  departmentId: Type.Integer(),
  departmentCode: Type.String(),
  departmentName: Type.String(),
  departmentLevel: Type.String(),
  departmentActive: Type.Boolean(),
  priority: Type.Integer(),
  enabled: Type.Boolean(),
  validFrom: Nullable(DateTime()),
  validTo: Nullable(DateTime()),
  source: Type.String(),
  createdBy: Nullable(Type.Integer()),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const RuleWrite = {
  name: Type.Optional(Type.String({ maxLength: 200 })),
  edition: Type.Optional(Nullable(Edition)),
  kind: Type.Optional(Nullable(Kind)),
  classCode: Type.Optional(Nullable(ClassCode)),
  regionId: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'district, street or grid; null = anywhere' }))),
  ownerDepartmentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  enabled: Type.Optional(Type.Boolean()),
  validFrom: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  validTo: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
};

export async function dispatchRoutes(app: App) {
  const dispatch = app.ctx.services.dispatch;

  app.get('/api/dispatch/rules', {
    config: { access: 'orgs.read' },
    schema: {
      tags: ['dispatch'],
      summary: 'List dispatch rules (派遣规则)',
      querystring: Strict({
        edition: Type.Optional(Edition),
        kind: Type.Optional(Kind),
        classCode: Type.Optional(ClassCode),
        regionId: Type.Optional(Type.Integer({ minimum: 1 })),
        departmentId: Type.Optional(Type.Integer({ minimum: 1 })),
        enabled: Type.Optional(Type.Boolean()),
        source: Type.Optional(Type.Union([Type.Literal('manual'), Type.Literal('seed')])),
        limit: Type.Integer({ minimum: 1, maximum: 2000, default: 100 }),
        offset: Type.Integer({ minimum: 0, default: 0 }),
      }),
      response: { 200: Type.Object({ items: Type.Array(Rule), total: Type.Integer() }) },
    },
    handler: async (req) => dispatch.listRules(req.query),
  });

  app.post('/api/dispatch/rules', {
    config: { access: 'dispatch.rules' },
    schema: {
      tags: ['dispatch'],
      summary: 'Create a dispatch rule: class × region × component owner → department (audited)',
      body: Strict({ ...RuleWrite, departmentId: Type.Integer({ minimum: 1 }) }),
      response: { 201: Rule },
    },
    handler: async (req, reply) => reply.code(201).send(await dispatch.createRule(req.body, req.auth?.personId ?? null)),
  });

  app.patch('/api/dispatch/rules/:id', {
    config: { access: 'dispatch.rules' },
    schema: {
      tags: ['dispatch'],
      summary: 'Change a dispatch rule (audited)',
      params: IdParam,
      body: Strict({ ...RuleWrite, departmentId: Type.Optional(Type.Integer({ minimum: 1 })) }),
      response: { 200: Rule },
    },
    handler: async (req) => dispatch.updateRule(req.params.id, req.body, req.auth?.personId ?? null),
  });

  app.delete('/api/dispatch/rules/:id', {
    config: { access: 'dispatch.rules' },
    schema: {
      tags: ['dispatch'],
      summary: 'Disable a dispatch rule (rules are never deleted; audited)',
      params: IdParam,
      response: { 200: Rule },
    },
    handler: async (req) => dispatch.disableRule(req.params.id, req.auth?.personId ?? null),
  });

  app.post('/api/dispatch/test', {
    config: { access: 'dispatch.test' },
    schema: {
      tags: ['dispatch'],
      summary: 'Test a location and class: which department would a case here go to, and why',
      body: Strict({
        ...LngLatQuery,
        edition: Type.Optional(Edition),
        kind: Kind,
        classCode: ClassCode,
        componentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
      }),
      response: { 200: Type.Any() },
    },
    handler: async (req) => dispatch.testLocation(req.body),
  });

  app.get('/api/dispatch/settings', {
    config: { access: 'orgs.read' },
    schema: {
      tags: ['dispatch'],
      summary: 'Dispatch settings: whether unmatched cases fall back to the street office (属地)',
      response: { 200: Type.Object({ streetFallback: Type.Boolean() }) },
    },
    handler: async () => dispatch.getSettings(),
  });

  app.patch('/api/dispatch/settings', {
    config: { access: 'dispatch.rules' },
    schema: {
      tags: ['dispatch'],
      summary: 'Change dispatch settings (audited)',
      body: Strict({ streetFallback: Type.Optional(Type.Boolean()) }),
      response: { 200: Type.Object({ streetFallback: Type.Boolean() }) },
    },
    handler: async (req) => dispatch.updateSettings(req.body, req.auth?.personId ?? null),
  });
}
