import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { OneOf, Strict } from '../../lib/schema.ts';
import type { Auth } from '../auth/auth.service.ts';
import { POSITION_ROLES } from './evaluation.config.ts';
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
    schema: { tags, summary: 'Department indicators and composite for a period', querystring: Strict(PeriodQuery) },
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
}
