import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { DateTime, Nullable, OneOf, Strict } from '../../lib/schema.ts';
import type { Auth } from '../auth/auth.service.ts';
import { DEFAULT_LAST_WINDOW_MIN } from './patrol.service.ts';

const Fix = Strict({
  at: Type.String({ format: 'date-time', description: "the phone's time of the fix (ISO 8601 with offset)" }),
  lng: Type.Number({ minimum: -180, maximum: 180 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  accuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000, description: 'metres' })),
  speed: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'metres per second' })),
  heading: Type.Optional(Type.Number({ minimum: 0, maximum: 360, description: 'degrees from north' })),
});

const LastPosition = Type.Object({
  personId: Type.Integer(),
  username: Type.String(),
  name: Type.String(),
  departmentId: Nullable(Type.Integer()),
  at: DateTime(),
  lng: Type.Number(),
  lat: Type.Number(),
  accuracyM: Nullable(Type.Number()),
  speedMps: Nullable(Type.Number()),
  headingDeg: Nullable(Type.Number()),
});

/** 巡查: the field app sends its track; the centre reads where inspectors last were. */
export async function patrolRoutes(app: App) {
  const patrol = app.ctx.services.patrol;
  const tags = ['patrol'];

  app.post('/api/patrol/positions', {
    config: { access: 'patrol.report' },
    schema: {
      tags,
      summary: "A batch of the caller's GPS fixes; a fix already stored (same person and time) is skipped",
      body: Strict({
        coordSys: Type.Optional(OneOf(['wgs84', 'gcj02', 'bd09'] as const, { description: 'of lng/lat (default wgs84)' })),
        fixes: Type.Array(Fix, { minItems: 1, maxItems: 500 }),
      }),
      response: {
        200: Type.Object({ received: Type.Integer(), stored: Type.Integer(), duplicates: Type.Integer() }),
      },
    },
    handler: async (req) => patrol.report(req.auth as Auth, req.body),
  });

  app.get('/api/patrol/last', {
    config: { access: 'patrol.read' },
    schema: {
      tags,
      summary: "Each inspector's last position in your area, newest first",
      querystring: Strict({
        minutes: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, description: `only fixes this recent (default ${DEFAULT_LAST_WINDOW_MIN})` }),
        ),
      }),
      response: { 200: Type.Object({ asOf: DateTime(), minutes: Type.Integer(), items: Type.Array(LastPosition) }) },
    },
    handler: async (req) => patrol.last(req.auth as Auth, req.query.minutes),
  });
  app.get('/api/patrol/day', {
    config: { access: 'patrol.read' },
    schema: {
      tags,
      summary: "An inspector's day: the GPS track and how often each beat grid was passed through (一日两巡)",
      querystring: Strict({
        personId: Type.Integer({ minimum: 1 }),
        day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD in the city time zone' }),
      }),
    },
    handler: async (req) => patrol.day(req.auth as Auth, req.query.personId, req.query.day),
  });
}
