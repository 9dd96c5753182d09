import { COMPONENT_STATUSES, COORD_SYSTEMS } from '@cityloop/shared';
import fastifyMultipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { badRequest, unprocessable } from '../../errors.ts';
import { GeoJsonGeometry, IdParam, Nullable, Strict } from '../../lib/schema.ts';
import { formatFromName, type ImportFormat } from './components.import.ts';
import { parseBBox } from './components.service.ts';

const Status = Type.Union(
  COMPONENT_STATUSES.map((s) => Type.Literal(s)),
  { description: 'intact 完好 · damaged 破损 · lost 丢失 · occupied 占用 · removed 废弃' },
);
const CoordSys = Type.Union(
  COORD_SYSTEMS.map((s) => Type.Literal(s)),
  { description: 'coordinate system of the input (default wgs84); stored as WGS 84' },
);
const BBoxParam = Type.String({
  pattern: '^-?[\\d.]+,-?[\\d.]+,-?[\\d.]+,-?[\\d.]+$',
  description: 'minLng,minLat,maxLng,maxLat (WGS 84)',
});
const ClassCodeParam = Type.String({ pattern: '^\\d{2}(\\d{2,3})?$', description: 'a class (4 or 5 digits) or a major class (2 digits)' });

const ListItem = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  edition: Type.String(),
  classCode: Type.String(),
  className: Nullable(Type.String()),
  name: Nullable(Type.String()),
  status: Type.String(),
  ownerDepartmentId: Nullable(Type.Integer()),
  ownerDepartmentName: Nullable(Type.String()),
  maintainerDepartmentId: Nullable(Type.Integer()),
  maintainerDepartmentName: Nullable(Type.String()),
  gridId: Nullable(Type.Integer()),
  address: Nullable(Type.String()),
  geometryType: Type.String({ description: 'POINT, LINESTRING, POLYGON, …' }),
  lng: Type.Number({ description: 'representative point (the point itself, or a point on the line/polygon)' }),
  lat: Type.Number(),
  version: Type.Integer(),
  updatedAt: Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' }),
});

const Writable = {
  name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  status: Type.Optional(Status),
  ownerDepartmentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  maintainerDepartmentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'class extras (材质, 规格, …)' })),
  coordSys: Type.Optional(CoordSys),
};

const ImportReport = Type.Object({
  importId: Nullable(Type.Integer()),
  committed: Type.Boolean(),
  format: Type.String(),
  mode: Type.String(),
  coordSys: Type.String(),
  total: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  skipped: Type.Integer(),
  invalidRows: Type.Integer(),
  errorCount: Type.Integer(),
  errors: Type.Array(Type.Object({ row: Type.Integer(), code: Nullable(Type.String()), error: Type.String(), message: Type.String() }), {
    description: 'the first 1,000 errors by row',
  }),
  errorsTruncated: Type.Boolean(),
  seconds: Type.Number(),
  timings: Type.Record(Type.String(), Type.Number()),
});

export async function componentsRoutes(app: App) {
  const components = app.ctx.services.components;

  // Bulk import bodies: multipart (a `file` part) or the raw file as the body. The raw body is
  // handed to the importer as a stream, so the app's 2 MB JSON limit does not apply to it.
  await app.register(fastifyMultipart, { limits: { fileSize: 2 * 1024 ** 3, files: 1, fields: 10 } });
  app.addContentTypeParser(['application/geo+json', 'text/csv'], (_req, payload, done) => done(null, payload));

  app.get('/api/components', {
    config: { access: 'components.read' },
    schema: {
      tags: ['components'],
      summary: 'List components, paged by id (keyset): pass nextCursor back as cursor',
      querystring: Strict({
        bbox: Type.Optional(BBoxParam),
        classCode: Type.Optional(ClassCodeParam),
        status: Type.Optional(Status),
        gridId: Type.Optional(Type.Integer({ minimum: 1 })),
        departmentId: Type.Optional(Type.Integer({ minimum: 1, description: 'owner or maintainer' })),
        q: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'code prefix (digits) or part of the name/address' })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        cursor: Type.Optional(Type.String({ maxLength: 20 })),
      }),
      response: { 200: Type.Object({ items: Type.Array(ListItem), nextCursor: Nullable(Type.String()) }) },
    },
    handler: async (req) => {
      const { bbox, ...rest } = req.query;
      return components.list({ ...rest, bbox: bbox ? parseBBox(bbox) : undefined });
    },
  });

  app.get('/api/components/clusters', {
    config: { access: 'components.read' },
    schema: {
      tags: ['components'],
      summary: 'Map clusters in a bbox as GeoJSON points (grid clustering; ≤ 5,000 features; single components at zoom ≥ 17)',
      description:
        'Cluster features carry `{ count, cell }`; a cell holding one component carries `{ count: 1, id, code, classCode, className, status }`. ' +
        'The cell is about 64 px at the zoom (90/2^zoom degrees), doubled while the bbox would hold more than 5,000 cells. ' +
        'A component is placed at its representative point. `total` is the number of components in the bbox.',
      querystring: Strict({
        bbox: BBoxParam,
        zoom: Type.Integer({ minimum: 0, maximum: 24 }),
        classCode: Type.Optional(ClassCodeParam),
        status: Type.Optional(Status),
      }),
    },
    handler: async (req, reply) => {
      const fc = await components.clusters({ ...req.query, bbox: parseBBox(req.query.bbox) });
      return reply.type('application/geo+json; charset=utf-8').send(JSON.stringify(fc));
    },
  });

  app.get('/api/components/by-code/:code', {
    config: { access: 'components.read' },
    schema: {
      tags: ['components'],
      summary: 'One component by its 16/17-digit code, with its history',
      params: Strict({ code: Type.String({ pattern: '^\\d{16,17}$' }) }),
    },
    handler: async (req) => components.getByCode(req.params.code),
  });

  app.get('/api/components/:id', {
    config: { access: 'components.read' },
    schema: { tags: ['components'], summary: 'One component with its geometry, attributes and history (newest first)', params: IdParam },
    handler: async (req) => components.get(req.params.id),
  });

  app.post('/api/components', {
    config: { access: 'components.write' },
    schema: {
      tags: ['components'],
      summary: 'Add a component (department admins: one their department maintains)',
      description:
        'The code fixes the edition (16 digits CJ/T 214, 17 digits GB/T 47678.5) and the class; the class must exist and be enabled ' +
        'when the edition’s taxonomy is loaded, and the geometry must fit its kind. The unit grid is assigned from the geometry.',
      body: Strict({
        code: Type.String({ minLength: 1, maxLength: 32 }),
        classCode: Type.Optional(Type.String({ maxLength: 8 })),
        geometry: GeoJsonGeometry,
        source: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
        ...Writable,
      }),
    },
    handler: async (req, reply) => {
      const created = await components.create(req.body, req.auth);
      return reply.code(201).send(created);
    },
  });

  app.patch('/api/components/:id', {
    config: { access: 'components.write' },
    schema: {
      tags: ['components'],
      summary: 'Change a component (optimistic: send the version you read; 409 if it moved on)',
      params: IdParam,
      body: Strict({ version: Type.Integer({ minimum: 1 }), geometry: Type.Optional(GeoJsonGeometry), ...Writable }),
    },
    handler: async (req) => components.update(req.params.id, req.body, req.auth),
  });

  app.post('/api/components/import', {
    config: { access: 'components.import' },
    bodyLimit: 2 * 1024 ** 3,
    schema: {
      tags: ['components'],
      summary: 'Bulk import (streaming): GeoJSON FeatureCollection or CSV',
      description:
        'Send the file as `multipart/form-data` (one `file` part), or as the raw body with `Content-Type: application/geo+json` or `text/csv`.\n\n' +
        'GeoJSON: features with properties `code, classCode?, name, status, ownerDepartment, maintainerDepartment, address`; other properties become attributes. ' +
        'CSV: header `code,class_code,name,status,owner_department,maintainer_department,address,lng,lat[,wkt]`; other columns become attributes. ' +
        'Departments are given by code. Status accepts the keys or 完好/破损/丢失/占用/废弃.\n\n' +
        'All-or-nothing: if any row is bad and skipInvalid is false, nothing is written and the answer is 422 `import_rejected` with the report in `details`. ' +
        'mode=insert (default) reports codes already in the census as errors; mode=upsert updates them and records history.',
      consumes: ['multipart/form-data', 'application/geo+json', 'text/csv'],
      querystring: Strict({
        format: Type.Optional(
          Type.Union([Type.Literal('geojson'), Type.Literal('csv')], { description: 'default: from the content type or file name' }),
        ),
        coordSys: Type.Optional(CoordSys),
        skipInvalid: Type.Boolean({ default: false }),
        mode: Type.Union([Type.Literal('insert'), Type.Literal('upsert')], { default: 'insert' }),
      }),
      response: { 200: ImportReport },
    },
    handler: async (req) => {
      let stream: NodeJS.ReadableStream;
      let format: ImportFormat | null = req.query.format ?? null;
      let fileName: string | null = null;
      if (req.isMultipart()) {
        const part = await req.file();
        if (!part) throw badRequest('import_file_missing', '请上传文件 / Upload a file in the multipart body');
        stream = part.file;
        fileName = part.filename || null;
        format ??= formatFromName(part.filename ?? '') ?? (part.mimetype === 'text/csv' ? 'csv' : null);
      } else {
        const body = req.body as NodeJS.ReadableStream | undefined;
        if (!body || typeof (body as { pipe?: unknown }).pipe !== 'function') {
          throw badRequest(
            'import_file_missing',
            '请以 multipart、application/geo+json 或 text/csv 上传 / Send the file as multipart, application/geo+json or text/csv',
          );
        }
        stream = body;
        format ??= String(req.headers['content-type']).startsWith('text/csv') ? 'csv' : 'geojson';
      }
      if (!format)
        throw badRequest('import_format_unknown', '无法判断文件格式，请指定 format / Cannot tell the file format: pass format=geojson|csv');
      const report = await components.import(stream, {
        format,
        coordSys: req.query.coordSys,
        skipInvalid: req.query.skipInvalid,
        mode: req.query.mode,
        actorId: req.auth?.personId ?? null,
        fileName,
      });
      if (!report.committed) {
        throw unprocessable(
          'import_rejected',
          `${report.invalidRows} 行有错误，未写入任何数据 / ${report.invalidRows} rows have errors; nothing was written`,
          report,
        );
      }
      return report;
    },
  });
}
