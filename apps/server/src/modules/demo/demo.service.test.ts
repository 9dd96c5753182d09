import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '@cityloop/shared';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '../../../test/helpers.ts';
import type { Context } from '../../context.ts';
import type { DB } from '../../db/schema.ts';
import { AppError } from '../../errors.ts';
import { gazetteerSearchText } from '../geocode/normalize.ts';
import { DEMO_CLASSES } from './demo.classes.ts';
import { demoSizes, generateCity } from './demo.generator.ts';
import { type DemoSummary, loadDemoCity } from './demo.service.ts';

const SCALE = 0.1;
const SEED = 11;

async function one<T>(db: Kysely<DB>, query: ReturnType<typeof sql<T>>): Promise<T> {
  const res = await query.execute(db);
  return res.rows[0] as T;
}

describe('loadDemoCity', () => {
  let t: { ctx: Context; close(): Promise<void> };
  let db: Kysely<DB>;
  let summary: DemoSummary;
  const logs: string[] = [];

  beforeAll(async () => {
    t = await createTestContext({ empty: true });
    db = t.ctx.db;
    summary = await loadDemoCity(t.ctx, { scale: SCALE, seed: SEED, log: (m) => logs.push(m) });
  });
  afterAll(() => t?.close());

  it('loads the scaled counts and reports them', async () => {
    const sizes = demoSizes(SCALE);
    const counts = await sql<{ level: string; n: number }>`SELECT level, count(*)::int AS n FROM region GROUP BY level`.execute(db);
    const byLevel = Object.fromEntries(counts.rows.map((r) => [r.level, r.n]));
    expect(byLevel).toEqual({ district: sizes.districts, street: sizes.streets, community: sizes.communities, grid: sizes.grids });
    const n = await one<{ components: number; gazetteer: number; people: number; departments: number; beats: number }>(
      db,
      sql`SELECT (SELECT count(*)::int FROM component) AS components, (SELECT count(*)::int FROM gazetteer) AS gazetteer,
                 (SELECT count(*)::int FROM person) AS people, (SELECT count(*)::int FROM department) AS departments,
                 (SELECT count(*)::int FROM beat) AS beats`,
    );
    expect(n.components).toBe(sizes.components);
    expect(summary).toMatchObject({
      districts: sizes.districts,
      grids: sizes.grids,
      components: n.components,
      gazetteer: n.gazetteer,
      people: n.people,
      departments: n.departments,
      inspectors: n.beats,
    });
    expect(n.beats).toBe(sizes.inspectors);
    expect(n.gazetteer).toBeGreaterThan(1000);
    expect(logs.some((l) => l.startsWith('components:'))).toBe(true);
  });

  it('writes valid boundaries whose grids neither overlap nor leave gaps', async () => {
    const invalid = await one<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM region WHERE NOT ST_IsValid(geom)`);
    expect(invalid.n).toBe(0);
    // Neighbouring grids share edges only: no area in common.
    const overlaps = await one<{ n: number; touching: number }>(
      db,
      sql`SELECT count(*) FILTER (WHERE ST_Area(ST_Intersection(a.geom, b.geom)) > 1e-12)::int AS n, count(*)::int AS touching
          FROM region a JOIN region b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
          WHERE a.level = 'grid' AND b.level = 'grid'`,
    );
    expect(overlaps.touching).toBeGreaterThan(demoSizes(SCALE).grids);
    expect(overlaps.n).toBe(0);
    // Each parent is exactly the union of its children (no gaps), and covers each child.
    for (const [child, parentCol] of [
      ['grid', 'community_id'],
      ['community', 'street_id'],
      ['street', 'district_id'],
    ] as const) {
      const res = await sql<{ code: string; diff: number; covered: boolean }>`
        SELECT p.code, ST_Area(ST_SymDifference(p.geom, u.geom)) AS diff, u.covered
        FROM (SELECT ${sql.ref(parentCol)} AS pid, ST_Union(geom) AS geom, bool_and(covered) AS covered
              FROM (SELECT c.*, ST_CoveredBy(c.geom, p.geom) AS covered
                    FROM region c JOIN region p ON p.id = c.${sql.ref(parentCol)} WHERE c.level = ${child}) x
              GROUP BY 1) u
        JOIN region p ON p.id = u.pid`.execute(db);
      expect(res.rows.length).toBeGreaterThan(0);
      for (const r of res.rows) {
        expect(r.covered, `${child}s of ${r.code} are covered`).toBe(true);
        expect(r.diff, `${child}s of ${r.code} fill it`).toBeLessThan(1e-12);
      }
    }
    const parentMismatch = await one<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM region g JOIN region c ON c.id = g.parent_id
          WHERE g.level = 'grid' AND (c.level <> 'community' OR g.community_id <> c.id OR g.street_id <> c.street_id OR g.district_id <> c.district_id)`,
    );
    expect(parentMismatch.n).toBe(0);
  });

  it('puts a point in the same grid as the generator does', async () => {
    const city = generateCity({ scale: SCALE, seed: SEED });
    const [x0, y0, x1, y1] = city.bbox;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 500; i++) {
      xs.push(x0 + ((x1 - x0) * ((i * 37) % 500)) / 500 + 1e-6);
      ys.push(y0 + ((y1 - y0) * ((i * 91) % 500)) / 500 + 1e-6);
    }
    const res = await sql<{ codes: Array<string | null> }>`
      SELECT array_agg(g.code ORDER BY p.i) AS codes
      FROM unnest(${xs}::float8[], ${ys}::float8[]) WITH ORDINALITY AS p(x, y, i)
      LEFT JOIN region g ON g.valid_to IS NULL AND g.level = 'grid'
                        AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))`.execute(db);
    const expected = xs.map((x, i) => city.regions[city.gridAt(x, ys[i] as number)]?.code ?? null);
    expect(expected.filter((c) => c !== null).length).toBeGreaterThan(250);
    expect(res.rows[0]?.codes).toEqual(expected);
  });

  it('measures areas on the sphere, ~10,000 m² per unit grid', async () => {
    const a = await one<{ mean: number; maxErr: number; cityArea: number; gridArea: number }>(
      db,
      sql`SELECT avg(area_m2) FILTER (WHERE level = 'grid') AS mean,
                 max(abs(area_m2 - ST_Area(geom::geography))) AS max_err,
                 sum(area_m2) FILTER (WHERE level = 'district') AS city_area,
                 sum(area_m2) FILTER (WHERE level = 'grid') AS grid_area
          FROM region`,
    );
    expect(a.mean).toBeGreaterThan(9000);
    expect(a.mean).toBeLessThan(11000);
    expect(a.maxErr).toBeLessThan(0.01);
    expect(Math.abs(a.cityArea - a.gridArea) / a.cityArea).toBeLessThan(1e-6);
  });

  it('codes grids with 15 unique digits under their community', async () => {
    const res = await one<{ bad: number; dup: number }>(
      db,
      sql`SELECT count(*) FILTER (WHERE g.code !~ '^[0-9]{15}$' OR left(g.code, 12) <> c.code)::int AS bad,
                 (count(*) - count(DISTINCT g.code))::int AS dup
          FROM region g JOIN region c ON c.id = g.community_id WHERE g.level = 'grid'`,
    );
    expect(res).toEqual({ bad: 0, dup: 0 });
  });

  it('stores components with valid ids and classes, in the grid that contains them', async () => {
    const ids = await one<{ bad: number; badDistrict: number; noDept: number }>(
      db,
      sql`SELECT count(*) FILTER (WHERE c.code !~ '^[0-9]{16}$' OR substr(c.code, 7, 4) <> c.class_code)::int AS bad,
                 count(*) FILTER (WHERE left(c.code, 6) <> d.code)::int AS bad_district,
                 count(*) FILTER (WHERE c.owner_department_id IS NULL OR c.maintainer_department_id IS NULL)::int AS no_dept
          FROM component c JOIN region g ON g.id = c.grid_id JOIN region d ON d.id = g.district_id`,
    );
    expect(ids).toEqual({ bad: 0, badDistrict: 0, noDept: 0 });
    const classes = await sql<{ classCode: string }>`SELECT DISTINCT class_code FROM component`.execute(db);
    const known = new Set(DEMO_CLASSES.map((c) => c.code));
    expect(classes.rows.length).toBeGreaterThan(40);
    for (const r of classes.rows) expect(known.has(r.classCode)).toBe(true);
    // The class codes are the standard's: every one is in the seeded taxonomy.
    await t.ctx.services.taxonomy.seedStandards();
    const unknown = await one<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM (SELECT DISTINCT class_code FROM component) c
          WHERE NOT EXISTS (SELECT 1 FROM taxonomy_class t WHERE t.edition = 'CJT214-2007' AND t.kind = 'component' AND t.code = c.class_code)`,
    );
    expect(unknown.n).toBe(0);
    // A sample of 3,000: the stored grid is the one grid the geometry lies in.
    const located = await one<{ n: number; wrong: number; ambiguous: number }>(
      db,
      sql`WITH s AS (SELECT id, grid_id, ST_PointOnSurface(geom) AS p FROM component ORDER BY md5(code) LIMIT 3000)
          SELECT count(*)::int AS n,
                 count(*) FILTER (WHERE hits.ids[1] <> s.grid_id)::int AS wrong,
                 count(*) FILTER (WHERE cardinality(hits.ids) <> 1)::int AS ambiguous
          FROM s CROSS JOIN LATERAL (
            SELECT array_agg(g.id) AS ids FROM region g
            WHERE g.level = 'grid' AND g.valid_to IS NULL AND ST_Intersects(g.geom, s.p)) hits`,
    );
    expect(located).toEqual({ n: 3000, wrong: 0, ambiguous: 0 });
    const shapes = await sql<{ t: string }>`SELECT DISTINCT GeometryType(geom) AS t FROM component ORDER BY 1`.execute(db);
    expect(shapes.rows.map((r) => r.t)).toEqual(['LINESTRING', 'POINT', 'POLYGON']);
    const lineInGrid = await one<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM component c JOIN region g ON g.id = c.grid_id
          WHERE GeometryType(c.geom) <> 'POINT' AND NOT ST_CoveredBy(c.geom, g.geom)`,
    );
    expect(lineInGrid.n).toBe(0);
  });

  it('fills the gazetteer with located, searchable addresses', async () => {
    const kinds = await sql<{ kind: string }>`SELECT DISTINCT kind FROM gazetteer ORDER BY 1`.execute(db);
    expect(kinds.rows.map((r) => r.kind)).toEqual(['area', 'block', 'district', 'doorplate', 'poi', 'road']);
    const plates = await one<{ n: number; wrongGrid: number; noNumber: number }>(
      db,
      sql`SELECT count(*)::int AS n,
                 count(*) FILTER (WHERE NOT ST_Intersects(g.geom, a.geom))::int AS wrong_grid,
                 count(*) FILTER (WHERE a.house_number !~ '^[0-9]+号$' OR a.road_name IS NULL)::int AS no_number
          FROM gazetteer a JOIN region g ON g.id = a.grid_id WHERE a.kind = 'doorplate'`,
    );
    expect(plates.n).toBeGreaterThan(500);
    expect(plates.wrongGrid).toBe(0);
    expect(plates.noNumber).toBe(0);
    const sample = await db
      .selectFrom('gazetteer')
      .select(['fullAddress', 'name', 'aliases', 'searchText'])
      .where('kind', '=', 'poi')
      .limit(50)
      .execute();
    for (const s of sample) expect(s.searchText).toBe(gazetteerSearchText(s));
    const roads = await one<{ n: number; lines: number }>(
      db,
      sql`SELECT count(*)::int AS n, count(*) FILTER (WHERE GeometryType(geom) = 'LINESTRING')::int AS lines FROM gazetteer WHERE kind = 'road'`,
    );
    expect(roads.lines).toBe(roads.n);
  });

  it('creates the demo accounts, who can log in with the demo password', async () => {
    for (const a of DEMO_ACCOUNTS) {
      const roles = await db
        .selectFrom('personRole as r')
        .innerJoin('person as p', 'p.id', 'r.personId')
        .select('r.role')
        .where('p.username', '=', a.username)
        .execute();
      expect(roles.map((r) => r.role)).toContain(a.role);
    }
    const { auth } = await t.ctx.services.auth.login('inspector', DEMO_PASSWORD);
    expect(auth.roles[0]?.role).toBe('inspector');
    await expect(t.ctx.services.auth.login('handler', 'wrong-password')).rejects.toThrow();
  });

  it('partitions the grids into contiguous beats, one inspector each', async () => {
    const cover = await one<{ rows: number; grids: number; allGrids: number }>(
      db,
      sql`SELECT count(*)::int AS rows, count(DISTINCT grid_id)::int AS grids,
                 (SELECT count(*)::int FROM region WHERE level = 'grid') AS all_grids FROM beat_grid`,
    );
    expect(cover.rows).toBe(cover.allGrids);
    expect(cover.grids).toBe(cover.allGrids);
    const beats = await sql<{ code: string; parts: number; streets: number; inspectorRole: boolean }>`
      SELECT b.code, ST_NumGeometries(ST_Union(g.geom)) AS parts, count(DISTINCT g.street_id)::int AS streets,
             bool_and(EXISTS (SELECT 1 FROM person_role r WHERE r.person_id = b.inspector_id AND r.role = 'inspector')) AS inspector_role
      FROM beat b JOIN beat_grid bg ON bg.beat_id = b.id JOIN region g ON g.id = bg.grid_id
      GROUP BY b.id, b.code`.execute(db);
    for (const b of beats.rows) expect(b, b.code).toMatchObject({ parts: 1, streets: 1, inspectorRole: true });
  });

  it('sets the city settings', async () => {
    const s = await t.ctx.services.settings.get();
    const city = generateCity({ scale: SCALE, seed: SEED });
    expect(s).toMatchObject({
      cityName: city.cityName,
      cityCode: '420500',
      gridCodeDigits: 15,
      mapCenter: city.center,
      mapZoom: city.zoom,
    });
  });

  it('refuses a database that already holds a city', async () => {
    const err = await loadDemoCity(t.ctx, { scale: SCALE, seed: SEED }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('demo_database_not_empty');
  });
});

describe('loadDemoCity atomicity and reproducibility', () => {
  /** A digest of what the seed decides: codes, areas, outlines, component ids and places, people. */
  const digest = async (db: Kysely<DB>) =>
    one<{ regions: string; components: string; people: string }>(
      db,
      sql`SELECT (SELECT md5(string_agg(code || ':' || round(area_m2::numeric, 2) || ':' || md5(ST_AsBinary(geom)), ',' ORDER BY code)) FROM region) AS regions,
                 (SELECT md5(string_agg(code || ':' || ST_AsText(geom) || ':' || status, ',' ORDER BY code)) FROM component) AS components,
                 (SELECT md5(string_agg(username || ':' || name, ',' ORDER BY username)) FROM person) AS people`,
    );

  it('leaves nothing behind when the load fails part-way, then loads the same city again from the same seed', {
    timeout: 180_000,
  }, async () => {
    const first = await createTestContext({ empty: true });
    const second = await createTestContext({ empty: true });
    try {
      await loadDemoCity(first.ctx, { scale: 0.03, seed: 5 });
      const expected = await digest(first.ctx.db);
      expect(expected.regions).toMatch(/^[0-9a-f]{32}$/);

      // A beat already holding the first generated beat code makes the beat COPY fail
      // after regions, departments and people went in.
      const db = second.ctx.db;
      const code = generateCity({ scale: 0.03, seed: 5 }).beats[0]?.code as string;
      await db.insertInto('beat').values({ code, name: 'x', inspectorId: null }).execute();
      await expect(loadDemoCity(second.ctx, { scale: 0.03, seed: 5 })).rejects.toThrow();
      const left = await one<{ n: number }>(
        db,
        sql`SELECT ((SELECT count(*) FROM region) + (SELECT count(*) FROM person) + (SELECT count(*) FROM department)
                  + (SELECT count(*) FROM component) + (SELECT count(*) FROM gazetteer))::int AS n`,
      );
      expect(left.n).toBe(0);
      // The indexes and foreign keys suspended for the bulk load came back with the rollback.
      const fk = await one<{ n: number }>(
        db,
        sql`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'component'::regclass AND contype = 'f'`,
      );
      expect(fk.n).toBe(3);

      await db.deleteFrom('beat').where('code', '=', code).execute();

      // A failure inside the component COPY surfaces and rolls everything back too.
      await sql`ALTER TABLE component ADD CONSTRAINT demo_test_no_bins CHECK (class_code <> '0305')`.execute(db);
      await expect(loadDemoCity(second.ctx, { scale: 0.03, seed: 5 })).rejects.toThrow(/demo_test_no_bins/);
      expect((await one<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM region`)).n).toBe(0);
      await sql`ALTER TABLE component DROP CONSTRAINT demo_test_no_bins`.execute(db);

      await loadDemoCity(second.ctx, { scale: 0.03, seed: 5 });
      expect(await digest(db)).toEqual(expected);
      const indexes = await sql<{
        name: string;
      }>`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'component' ORDER BY 1`.execute(db);
      expect(indexes.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['component_geom', 'component_grid', 'component_class']));
    } finally {
      await first.close();
      await second.close();
    }
  });
});
