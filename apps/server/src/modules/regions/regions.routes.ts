import { REGION_LEVELS } from '@cityloop/shared';
import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { GeoJsonGeometry, IdParam, LngLatQuery, Nullable, Strict } from '../../lib/schema.ts';
import { BeatsService } from '../orgs/beats.service.ts';
import { importRegionsData } from './regions.import.ts';

/** An uploaded boundary file: a city's grids are ~20 MB of GeoJSON at full detail. */
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

const Level = Type.Union(REGION_LEVELS.map((l) => Type.Literal(l)));
const Region = Type.Object({
  id: Type.Integer(),
  level: Type.String(),
  code: Type.String(),
  name: Type.String(),
  parentId: Nullable(Type.Integer()),
  districtId: Nullable(Type.Integer()),
  streetId: Nullable(Type.Integer()),
  communityId: Nullable(Type.Integer()),
  areaM2: Type.Number(),
  version: Type.Integer(),
  bbox: Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }),
});
const RegionRef = Nullable(Type.Object({ id: Type.Integer(), code: Type.String(), name: Type.String() }));

export async function regionsRoutes(app: App) {
  const regions = app.ctx.services.regions;
  const beats = new BeatsService(app.ctx);

  app.get('/api/regions/tree', {
    config: { access: 'regions.read' },
    schema: {
      tags: ['regions'],
      summary: 'District → street → community tree with grid counts and bounding boxes',
      response: { 200: Type.Array(Type.Any()) },
    },
    handler: async () => regions.tree(),
  });

  app.get('/api/regions', {
    config: { access: 'regions.read' },
    schema: {
      tags: ['regions'],
      summary: 'List current regions by level, parent or name/code prefix',
      querystring: Strict({
        level: Type.Optional(Level),
        parentId: Type.Optional(Type.Integer({ minimum: 1 })),
        q: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
        limit: Type.Integer({ minimum: 1, maximum: 2000, default: 100 }),
        offset: Type.Integer({ minimum: 0, default: 0 }),
      }),
      response: { 200: Type.Object({ items: Type.Array(Region), total: Type.Integer() }) },
    },
    handler: async (req) => regions.list(req.query),
  });

  app.get('/api/regions/locate', {
    config: { access: 'regions.read' },
    schema: {
      tags: ['regions'],
      summary: 'Point → unit grid, community, street and district (within 5 m outside a grid still counts)',
      querystring: Strict(LngLatQuery),
      response: {
        200: Type.Object({
          point: Type.Array(Type.Number(), { description: 'the point in WGS 84' }),
          distanceM: Type.Number({ description: '0 inside a grid; metres to the nearest grid otherwise' }),
          grid: Type.Object({ id: Type.Integer(), code: Type.String(), name: Type.String() }),
          community: RegionRef,
          street: RegionRef,
          district: RegionRef,
        }),
      },
    },
    handler: async (req) => regions.locate(req.query.lng, req.query.lat, req.query.coordSys),
  });

  app.get('/api/public/regions/outlines', {
    config: { access: 'public' },
    schema: {
      tags: ['public'],
      summary: "The city's district or street outlines (simplified) for the public report page's map",
      querystring: Strict({ level: Type.Union([Type.Literal('district'), Type.Literal('street')]) }),
    },
    handler: async (req, reply) => {
      const fc = await regions.outlines({ level: req.query.level, tolerance: 0.0002 });
      return fc.send(req, reply, 'application/geo+json; charset=utf-8', 'public, max-age=3600');
    },
  });

  app.get('/api/regions/geojson', {
    config: { access: 'regions.read' },
    schema: {
      tags: ['regions'],
      summary: 'One level of the city as a GeoJSON FeatureCollection',
      querystring: Strict({
        level: Level,
        parentId: Type.Optional(Type.Integer({ minimum: 1 })),
        bbox: Type.Optional(
          Type.String({ pattern: '^-?[\\d.]+,-?[\\d.]+,-?[\\d.]+,-?[\\d.]+$', description: 'minLng,minLat,maxLng,maxLat' }),
        ),
        tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 0.01, description: 'simplification in degrees' })),
      }),
    },
    handler: async (req, reply) => {
      const bbox = req.query.bbox?.split(',').map(Number);
      const fc = await regions.outlines({ ...req.query, bbox });
      // Asked again each time (no-cache), answered 304 until a region changes.
      return fc.send(req, reply, 'application/geo+json; charset=utf-8', 'private, no-cache');
    },
  });

  app.get('/api/regions/:id', {
    config: { access: 'regions.read' },
    schema: { tags: ['regions'], summary: 'One region with its boundary (GeoJSON) and version history', params: IdParam },
    handler: async (req) => regions.get(req.params.id),
  });

  app.put('/api/regions/:id/geometry', {
    config: { access: 'regions.write' },
    schema: {
      tags: ['regions'],
      summary: 'Replace a boundary; creates a new version (the old one is kept), audited',
      params: IdParam,
      body: Strict({ geometry: GeoJsonGeometry }),
      response: { 200: Type.Object({ id: Type.Integer() }) },
    },
    handler: async (req) => ({ id: await regions.updateGeometry(req.params.id, req.body.geometry, req.auth?.personId ?? null) }),
  });

  app.post('/api/regions/import', {
    config: { access: 'regions.write' },
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      tags: ['regions'],
      summary: 'Import districts, streets, communities and unit grids from GeoJSON (all or nothing, audited)',
      description:
        'Without `divisionsCsv` each feature is one row: its code (adcode/code property; 6, 9, 12 digits, or 14/15 for a unit grid) ' +
        'gives the level and parent, its `name` property the name. With `divisionsCsv` (code,name,level,parent_code) names come ' +
        'from the CSV and rows without a feature get a boundary cut from their parent. Problems answer 422 ' +
        '`region_import_invalid` with `details.problems` (feature index, code, stable problem code). `dryRun` validates and ' +
        'returns the same summary without writing anything.',
      body: Strict({
        geojson: Type.Object({}, { additionalProperties: true, description: 'a GeoJSON FeatureCollection' }),
        divisionsCsv: Type.Optional(Type.String({ maxLength: 5_000_000 })),
        makeValid: Type.Optional(Type.Boolean({ description: 'accept repairs that change a polygon’s area' })),
        dryRun: Type.Optional(Type.Boolean({ description: 'validate and preview; write nothing' })),
      }),
      response: {
        200: Type.Object({
          districts: Type.Integer(),
          streets: Type.Integer(),
          communities: Type.Integer(),
          grids: Type.Integer(),
          dryRun: Type.Boolean(),
          created: Type.Integer(),
          versioned: Type.Integer(),
          derived: Type.Integer(),
          reusedParents: Type.Integer(),
          repointed: Type.Integer(),
          warnings: Type.Array(Type.String()),
          seconds: Type.Number(),
        }),
      },
    },
    handler: async (req) =>
      importRegionsData(app.ctx, {
        geojson: req.body.geojson,
        divisionsCsv: req.body.divisionsCsv ?? null,
        makeValid: req.body.makeValid,
        dryRun: req.body.dryRun,
        actorId: req.auth?.personId ?? null,
      }),
  });

  app.get('/api/beats', {
    config: { access: 'regions.read' },
    schema: { tags: ['regions'], summary: "Inspectors' responsibility grids (责任网格)" },
    handler: async () => regions.listBeats(),
  });

  const BeatRecord = Type.Object({ id: Type.Integer(), code: Type.String(), name: Type.String(), inspectorId: Nullable(Type.Integer()) });

  app.post('/api/beats', {
    config: { access: 'regions.write' },
    schema: {
      tags: ['regions'],
      summary: 'Create an empty beat (责任网格), optionally with its inspector; its grids are set with PUT (audited)',
      body: Strict({
        code: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$' }),
        name: Type.String({ minLength: 1, maxLength: 100 }),
        inspectorId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
      }),
      response: { 201: Type.Object({ ...BeatRecord.properties, gridCount: Type.Integer() }) },
    },
    handler: async (req, reply) => reply.code(201).send(await beats.create(req.body, req.auth?.personId ?? null)),
  });

  app.patch('/api/beats/:id', {
    config: { access: 'regions.write' },
    schema: {
      tags: ['regions'],
      summary: 'Rename a beat or change its inspector (audited)',
      params: IdParam,
      body: Strict({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        inspectorId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
      }),
      response: { 200: BeatRecord },
    },
    handler: async (req) => beats.update(req.params.id, req.body, req.auth?.personId ?? null),
  });

  app.delete('/api/beats/:id', {
    config: { access: 'regions.write' },
    schema: {
      tags: ['regions'],
      summary: 'Remove a beat; its unit grids stay, in no beat until given to another (audited)',
      params: IdParam,
    },
    handler: async (req, reply) => {
      await beats.remove(req.params.id, req.auth?.personId ?? null);
      return reply.code(204).send();
    },
  });

  app.get('/api/beats/:id', {
    config: { access: 'regions.read' },
    schema: { tags: ['regions'], summary: 'One beat with its unit grids', params: IdParam },
    handler: async (req) => regions.beat(req.params.id),
  });

  app.put('/api/beats/:id', {
    config: { access: 'regions.write' },
    schema: {
      tags: ['regions'],
      summary: "Set a beat's unit grids and inspector (grids move from their previous beat; audited)",
      params: IdParam,
      body: Strict({
        gridIds: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 500 }),
        inspectorId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
      }),
    },
    handler: async (req) => regions.setBeat(req.params.id, req.body, req.auth?.personId ?? null),
  });
}
