import { CASE_SOURCES, COMPONENT_STATUSES, REGION_LEVELS } from '@cityloop/shared';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { AppError } from '../../errors.ts';
import { OneOf, Strict } from '../../lib/schema.ts';
import type { Auth } from '../auth/auth.service.ts';
import { CaseFilters } from '../cases/cases.routes.ts';
import { EXPORT_FORMATS } from './exchange.writers.ts';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** An import upload: 10,000 rows of a hotline's CSV fit in a few megabytes. */
const IMPORT_MAX_BYTES = 20 * 1024 * 1024;

const ExportQuery = {
  format: Type.Optional(OneOf(EXPORT_FORMATS, { description: 'csv (default), xlsx, json (the exchange document) or geojson' })),
  lang: Type.Optional(OneOf(['zh-CN', 'en'] as const, { description: 'headers and labels of csv/xlsx (default zh-CN)' })),
};

const baseUrl = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

function sendFile(reply: FastifyReply, file: { stream: NodeJS.ReadableStream; contentType: string; filename: string }) {
  return reply
    .header('content-disposition', `attachment; filename="${file.filename}"`)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .type(file.contentType)
    .send(file.stream);
}

/** 数据交换: exports of cases, components and regions; imports of cases from other systems. */
export async function exchangeRoutes(app: App) {
  const exchange = app.ctx.services.exchange;
  const tags = ['exchange'];

  // Imports arrive as the file itself: CSV or Excel bytes (JSON documents use the JSON parser).
  app.addContentTypeParser(['text/csv', XLSX], { parseAs: 'buffer', bodyLimit: IMPORT_MAX_BYTES }, (_req, body, done) => done(null, body));

  app.get('/api/exchange/cases', {
    config: { access: 'exchange.export' },
    schema: {
      tags,
      summary: 'Export the cases in scope under the list filters (with phase logs and photo links), streamed',
      querystring: Strict({
        ...ExportQuery,
        queue: Type.Optional(OneOf(['todo', 'done', 'all'] as const)),
        ...CaseFilters,
        events: Type.Optional(Type.Boolean({ description: 'xlsx: add a sheet with the phase logs (json/geojson always carry them)' })),
      }),
    },
    handler: async (req, reply) => {
      const { format = 'csv', lang = 'zh-CN', events = false, ...filter } = req.query;
      return sendFile(reply, await exchange.exportCases(req.auth as Auth, { ...filter, format, lang, events, baseUrl: baseUrl(req) }));
    },
  });

  app.get('/api/exchange/components', {
    config: { access: 'exchange.export' },
    schema: {
      tags,
      summary: 'Export the component census (or part of it), streamed',
      querystring: Strict({
        ...ExportQuery,
        classCode: Type.Optional(Type.String({ pattern: '^\\d{2,9}$', description: 'a class code or the start of one (a major class)' })),
        status: Type.Optional(OneOf(COMPONENT_STATUSES)),
        districtId: Type.Optional(Type.Integer({ minimum: 1 })),
      }),
    },
    handler: async (req, reply) => {
      const { format = 'geojson', lang = 'zh-CN', ...f } = req.query;
      return sendFile(reply, await exchange.exportComponents({ ...f, format, lang }));
    },
  });

  app.get('/api/exchange/regions', {
    config: { access: 'exchange.export' },
    schema: {
      tags,
      summary: 'Export the current regions of a level (districts, streets, communities, unit grids) with their boundaries',
      querystring: Strict({ ...ExportQuery, level: Type.Optional(OneOf(REGION_LEVELS)) }),
    },
    handler: async (req, reply) => {
      const { format = 'geojson', lang = 'zh-CN', level } = req.query;
      return sendFile(reply, await exchange.exportRegions({ format, lang, level }));
    },
  });

  app.post('/api/exchange/cases/import', {
    config: { access: 'exchange.manage' },
    bodyLimit: IMPORT_MAX_BYTES,
    schema: {
      tags,
      summary:
        'Import cases from another system: a CSV or Excel file (a 12345 work-order list, or our own export) or a cityloop-cases document. All rows or none; the row report says why.',
      querystring: Strict({
        dryRun: Type.Optional(Type.Boolean({ description: 'check every row and report, write nothing' })),
        source: Type.Optional(OneOf(CASE_SOURCES, { description: 'source of the imported cases (default hotline)' })),
        channel: Type.Optional(
          Type.String({ minLength: 1, maxLength: 32, description: 'channel within the source (hotline: 12345 by default)' }),
        ),
      }),
    },
    handler: async (req, reply) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      const kind = type === 'text/csv' ? 'csv' : type === XLSX ? 'xlsx' : type === 'application/json' ? 'json' : null;
      if (!kind)
        throw new AppError(
          415,
          'import_content_type',
          `请上传 text/csv、Excel 或 application/json / Send text/csv, ${XLSX} or application/json`,
        );
      const report = await exchange.importCases(req.auth as Auth, {
        kind,
        body: req.body,
        dryRun: req.query.dryRun ?? false,
        source: req.query.source,
        channel: req.query.channel,
      });
      return reply.code(report.dryRun ? 200 : 201).send(report);
    },
  });
}
