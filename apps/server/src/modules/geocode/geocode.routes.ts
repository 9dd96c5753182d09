import { COORD_SYSTEMS } from '@cityloop/shared';
import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { badRequest } from '../../errors.ts';
import { RateLimiter } from '../../lib/rate-limit.ts';
import { LngLatQuery, Nullable, Strict } from '../../lib/schema.ts';
import { PLACE_KINDS } from './geocode.repository.ts';

const Kind = Type.Union(
  PLACE_KINDS.map((k) => Type.Literal(k)),
  {
    description: 'district 行政区域 · area 地片 · block 区片 · road 街巷 · doorplate 门(楼)牌 · poi 兴趣点/标志物',
  },
);
const Ref = Nullable(Type.Object({ id: Type.Integer(), code: Type.String(), name: Type.String() }));

const Hit = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  name: Type.String(),
  fullAddress: Type.String(),
  lng: Type.Number(),
  lat: Type.Number(),
  grid: Ref,
  score: Type.Number({ description: '1 = exact door plate; 0.8-0.95 a named road/POI/block; lower: similarity' }),
});

const Rejected = Type.Object({ row: Type.Integer(), error: Type.String(), message: Type.String() });

/** Imports can be large: up to this many bytes per request (the CLI has no limit). */
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

/** Anonymous address look-ups (the public report page) per client address: PUBLIC_LOOKUPS a minute. */
const PUBLIC_LOOKUPS = 60;

export async function geocodeRoutes(app: App) {
  const geocode = app.ctx.services.geocode;
  const publicLookups = new RateLimiter({
    limit: PUBLIC_LOOKUPS,
    windowMs: 60_000,
    message: '查询过于频繁，请稍后再试 / Too many address look-ups from your address; try again in a minute',
  });
  const PublicPlace = Type.Object({ name: Type.String(), fullAddress: Type.String(), lng: Type.Number(), lat: Type.Number() });

  app.get('/api/public/geocode', {
    config: { access: 'public' },
    schema: {
      tags: ['public'],
      summary: 'Address → places for the public report page (rate-limited; names and positions only)',
      querystring: Strict({
        q: Type.String({ minLength: 1, maxLength: 100 }),
        limit: Type.Integer({ minimum: 1, maximum: 10, default: 6 }),
      }),
      response: { 200: Type.Array(PublicPlace) },
    },
    handler: async (req, reply) => {
      publicLookups.check(req.ip, reply);
      const hits = await geocode.search(req.query.q, { limit: req.query.limit });
      return hits.map((h) => ({ name: h.name, fullAddress: h.fullAddress, lng: h.lng, lat: h.lat }));
    },
  });

  app.get('/api/public/geocode/reverse', {
    config: { access: 'public' },
    schema: {
      tags: ['public'],
      summary: 'Point → a position description for the public report page (rate-limited)',
      querystring: Strict(LngLatQuery),
      response: {
        200: Type.Object({
          description: Type.String(),
          district: Nullable(Type.String()),
          street: Nullable(Type.String()),
          inCity: Type.Boolean({ description: 'the point lies in a unit grid of the city (a report there is accepted)' }),
        }),
      },
    },
    handler: async (req, reply) => {
      publicLookups.check(req.ip, reply);
      const r = await geocode.reverse(req.query.lng, req.query.lat, req.query.coordSys);
      return { description: r.description, district: r.district?.name ?? null, street: r.street?.name ?? null, inCity: r.grid !== null };
    },
  });

  // Raw bodies for imports (this plugin's scope only): CSV text, GeoJSON with its own media type.
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );
  app.addContentTypeParser('application/geo+json', { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(badRequest('import_file_invalid', `GeoJSON 无法解析 / The GeoJSON cannot be parsed: ${(err as Error).message}`), undefined);
    }
  });

  app.get('/api/geocode', {
    config: { access: 'geocode.read' },
    schema: {
      tags: ['geocode'],
      summary: 'Address → places (fuzzy): exact door plates first, then roads/POIs/blocks, then by similarity',
      querystring: Strict({
        q: Type.String({ minLength: 1, maxLength: 100, description: 'address text, e.g. 西陵区胜利四路12号, 胜利四路12' }),
        limit: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
        districtId: Type.Optional(Type.Integer({ minimum: 1, description: 'only places in this district' })),
        kind: Type.Optional(Kind),
      }),
      response: { 200: Type.Array(Hit) },
    },
    handler: async (req) => geocode.search(req.query.q, req.query),
  });

  app.get('/api/geocode/reverse', {
    config: { access: 'geocode.read' },
    schema: {
      tags: ['geocode'],
      summary: 'Point → position description ("西陵区 胜利四路 12号 东侧约 20 米") with grid, community, street and district',
      querystring: Strict(LngLatQuery),
      response: {
        200: Type.Object({
          point: Type.Array(Type.Number(), { description: 'the point in WGS 84' }),
          description: Type.String(),
          source: Type.Union([Type.Literal('address'), Type.Literal('road'), Type.Literal('grid'), Type.Literal('coordinates')]),
          nearest: Nullable(
            Type.Object({
              id: Type.Integer(),
              kind: Type.String(),
              name: Type.String(),
              fullAddress: Type.String(),
              lng: Type.Number(),
              lat: Type.Number(),
              distanceM: Type.Number(),
              direction: Nullable(Type.String({ description: '东, 东北, …: where the point lies seen from the place' })),
            }),
          ),
          grid: Ref,
          community: Ref,
          street: Ref,
          district: Ref,
        }),
      },
    },
    handler: async (req) => geocode.reverse(req.query.lng, req.query.lat, req.query.coordSys),
  });

  app.post('/api/geocode/import', {
    config: { access: 'geocode.write' },
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      tags: ['geocode'],
      summary:
        'Import gazetteer places: GeoJSON FeatureCollection (application/json or application/geo+json) or CSV (text/csv: ' +
        'kind,name,full_address,road_name,house_number,lng,lat[,coord_sys][,aliases]). All-or-nothing unless skipInvalid=true.',
      querystring: Strict({
        format: Type.Optional(
          Type.Union([Type.Literal('csv'), Type.Literal('geojson')], { description: 'default: from the content type' }),
        ),
        coordSys: Type.Optional(
          Type.Union(
            COORD_SYSTEMS.map((c) => Type.Literal(c)),
            { description: 'coordinate system of the input (default wgs84)' },
          ),
        ),
        skipInvalid: Type.Boolean({ default: false, description: 'import the valid rows, report the others' }),
      }),
      response: {
        200: Type.Object({ inserted: Type.Integer(), replaced: Type.Integer(), rejected: Type.Array(Rejected) }),
      },
    },
    handler: async (req) => {
      if (req.body === undefined || req.body === null || req.body === '') {
        throw badRequest('import_file_invalid', '请求体为空 / The request body is empty: send GeoJSON or CSV');
      }
      return geocode.importGazetteer(req.body, {
        format: req.query.format,
        coordSys: req.query.coordSys,
        skipInvalid: req.query.skipInvalid,
        actorId: req.auth?.personId ?? null,
      });
    },
  });
}
