import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { OneOf, Strict } from '../../lib/schema.ts';
import type { Auth } from '../auth/auth.service.ts';
import { APPEAL_INDICATORS } from './evaluation.appeals.ts';
import { POSITION_ROLES } from './evaluation.config.ts';
import { PERIOD_KINDS, PERIOD_OBJECTS } from './evaluation.periods.ts';
import { REGION_LEVELS } from './evaluation.repository.ts';

const Day = (description: string) => Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description });
const PeriodQuery = {
  from: Day('first day of the period (YYYY-MM-DD, in the city time zone), inclusive'),
  to: Day('day after the period (YYYY-MM-DD), exclusive'),
  attribution: Type.Optional(
    OneOf(['completed', 'created'] as const, {
      description: "count a phase in the period it was completed in (default), or by the case's creation time",
    }),
  ),
  configVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'evaluation configuration version (default: the latest)' })),
};

/** 综合评价: department and region indicators, composites and their drill-down. */
export async function evaluationRoutes(app: App) {
  const evaluation = app.ctx.services.evaluation;
  const tags = ['evaluation'];

  app.get('/api/evaluation/departments', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: 'Department indicators and composite for a period',
      querystring: Strict({
        ...PeriodQuery,
        appeals: Type.Optional(OneOf(['apply', 'ignore'] as const, { description: 'apply accepted appeals (default) or not' })),
      }),
    },
    handler: async (req) => evaluation.departments(req.auth as Auth, req.query),
  });

  app.get('/api/evaluation/regions', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: 'Region indicators and composite for a period, at one level',
      querystring: Strict({ level: OneOf(REGION_LEVELS), ...PeriodQuery }),
    },
    handler: async (req) => evaluation.regions(req.auth as Auth, req.query),
  });

  app.get('/api/evaluation/positions', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: 'Position (岗位) indicators and composite per person of one role, for a period',
      querystring: Strict({ role: OneOf(POSITION_ROLES), ...PeriodQuery }),
    },
    handler: async (req) => evaluation.positions(req.auth as Auth, req.query),
  });

  app.get('/api/evaluation/explain', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: 'The cases and phase-log rows behind one indicator of one department or region',
      querystring: Strict({
        object: Type.String({
          pattern: '^(department|region|person):[1-9][0-9]{0,17}$',
          description: 'department:ID, region:ID or person:ID',
        }),
        indicator: Type.String({ minLength: 1, maxLength: 40 }),
        role: Type.Optional(OneOf(POSITION_ROLES, { description: "person:ID only: the position (default: the person's only one)" })),
        ...PeriodQuery,
      }),
    },
    handler: async (req) => evaluation.explain(req.auth as Auth, req.query),
  });

  app.get('/api/evaluation/config', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: 'An evaluation configuration version (default: the latest)',
      querystring: Strict({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
    },
    handler: async (req) => evaluation.config(req.query.version),
  });

  const Id = Strict({ id: Type.Integer({ minimum: 1 }) });

  app.post('/api/evaluation/periods', {
    config: { access: 'evaluation.periods' },
    schema: {
      tags,
      summary: "Close (materialise) a period: store every object type's results with the configuration version used",
      body: Strict({
        kind: OneOf(PERIOD_KINDS),
        from: Day('first day (a month, quarter or year starts on its first day)'),
        to: Type.Optional(Day('day after the period: custom periods only (fixed kinds compute it)')),
        attribution: PeriodQuery.attribution,
        configVersion: PeriodQuery.configVersion,
      }),
    },
    handler: async (req, reply) => reply.code(201).send(await evaluation.periods.close(req.auth as Auth, req.body)),
  });

  app.get('/api/evaluation/periods', {
    config: { access: 'evaluation.read' },
    schema: { tags, summary: 'Closed evaluation periods and their versions' },
    handler: async () => evaluation.periods.list(),
  });

  app.get('/api/evaluation/periods/:id/results', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: 'The stored results of a closed period for one object type (default: the latest version)',
      params: Id,
      querystring: Strict({ object: OneOf(PERIOD_OBJECTS), version: Type.Optional(Type.Integer({ minimum: 1 })) }),
    },
    handler: async (req) => evaluation.periods.results(req.auth as Auth, req.params.id, req.query),
  });

  app.post('/api/evaluation/periods/:id/recompute', {
    config: { access: 'evaluation.periods' },
    schema: {
      tags,
      summary: 'Recompute a closed period on purpose (a new version; the earlier ones stay; audited)',
      params: Id,
      body: Strict({ reason: Type.String({ minLength: 1, maxLength: 500 }), configVersion: PeriodQuery.configVersion }),
    },
    handler: async (req, reply) => reply.code(201).send(await evaluation.periods.recompute(req.auth as Auth, req.params.id, req.body)),
  });

  app.post('/api/evaluation/appeals', {
    config: { access: 'evaluation.appeal' },
    schema: {
      tags,
      summary: "申诉: a department appeals one of its cases' deductions in one indicator",
      body: Strict({
        caseId: Type.Integer({ minimum: 1 }),
        indicator: Type.String({ minLength: 1, maxLength: 40, description: APPEAL_INDICATORS.join(', ') }),
        reason: Type.String({ minLength: 1, maxLength: 2000 }),
      }),
    },
    handler: async (req, reply) => reply.code(201).send(await evaluation.appeals.create(req.auth as Auth, req.body)),
  });

  app.get('/api/evaluation/appeals', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: "Appeals, newest first (department staff: their department's)",
      querystring: Strict({
        state: Type.Optional(OneOf(['pending', 'accepted', 'refused'] as const)),
        departmentId: Type.Optional(Type.Integer({ minimum: 1 })),
      }),
    },
    handler: async (req) => evaluation.appeals.list(req.auth as Auth, req.query),
  });

  app.post('/api/evaluation/appeals/:id/decision', {
    config: { access: 'evaluation.decide' },
    schema: {
      tags,
      summary: 'Accept or refuse a pending appeal, with a remark (once)',
      params: Id,
      body: Strict({ decision: OneOf(['accept', 'refuse'] as const), remark: Type.String({ minLength: 1, maxLength: 2000 }) }),
    },
    handler: async (req) => evaluation.appeals.decide(req.auth as Auth, req.params.id, req.body),
  });
}
