import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { App } from '../../app.ts';
import { OneOf, Strict } from '../../lib/schema.ts';
import type { Auth } from '../auth/auth.service.ts';
import { CONTENT_TYPES } from '../exchange/exchange.writers.ts';
import { bulletinWorkbook, rankingWorkbook } from './statistics.export.ts';
import { RANKING_OBJECTS } from './statistics.service.ts';

const Day = (description: string) => Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description });
const Days = {
  from: Day('first day of the period (YYYY-MM-DD, in the city time zone), inclusive'),
  to: Day('day after the period (YYYY-MM-DD), exclusive'),
};
const Lang = {
  lang: Type.Optional(OneOf(['zh-CN', 'en'] as const, { description: 'sheet and column names of the workbook (default zh-CN)' })),
};
const Top = {
  top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'how many classes (and grids) to list (default 10)' })),
};
const RankingQuery = {
  object: OneOf(RANKING_OBJECTS, { description: 'district, street, community, grid or department' }),
  ...Days,
  attribution: Type.Optional(OneOf(['completed', 'created'] as const, { description: 'as in /api/evaluation (default completed)' })),
  configVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'evaluation configuration version (default: the latest)' })),
};
const Month = { month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'the month (YYYY-MM)' }) };

function sendXlsx(reply: FastifyReply, stream: NodeJS.ReadableStream, filename: string) {
  return reply
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .type(CONTENT_TYPES.xlsx)
    .send(stream);
}

/** 报表: rankings with month-over-month change, thematic statistics, the monthly bulletin, their Excel exports. */
export async function statisticsRoutes(app: App) {
  const statistics = app.ctx.services.statistics;
  const tags = ['statistics'];

  app.get('/api/statistics/rankings', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: 'One object type ranked by composite for a period, with grades and the previous period beside it',
      querystring: Strict(RankingQuery),
    },
    handler: async (req) => statistics.rankings(req.auth as Auth, req.query),
  });

  app.get('/api/statistics/rankings.xlsx', {
    config: { access: 'evaluation.read' },
    schema: { tags, summary: 'The ranking as an Excel workbook', querystring: Strict({ ...RankingQuery, ...Lang }) },
    handler: async (req, reply) => {
      const { lang = 'zh-CN', ...q } = req.query;
      const r = await statistics.rankings(req.auth as Auth, q);
      return sendXlsx(reply, rankingWorkbook(r, lang), `ranking-${q.object}-${q.from}-${q.to}.xlsx`);
    },
  });

  app.get('/api/statistics/thematic', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: 'Reports of a period by class (top N, with the previous period), by unit grid (heat map), by hour of the day and by source',
      querystring: Strict({ ...Days, ...Top }),
    },
    handler: async (req) => statistics.thematic(req.auth as Auth, req.query),
  });

  app.get('/api/statistics/bulletin', {
    config: { access: 'evaluation.read' },
    schema: {
      tags,
      summary: "The monthly bulletin: totals and rates beside last month's, rankings with grades, worst classes, hot-spot grids",
      querystring: Strict({ ...Month, ...Top }),
    },
    handler: async (req) => statistics.bulletin(req.auth as Auth, req.query),
  });

  app.get('/api/statistics/bulletin.xlsx', {
    config: { access: 'evaluation.read' },
    schema: { tags, summary: 'The monthly bulletin as an Excel workbook', querystring: Strict({ ...Month, ...Top, ...Lang }) },
    handler: async (req, reply) => {
      const { lang = 'zh-CN', ...q } = req.query;
      const b = await statistics.bulletin(req.auth as Auth, q);
      return sendXlsx(reply, bulletinWorkbook(b, lang), `bulletin-${q.month}.xlsx`);
    },
  });
}
