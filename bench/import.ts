/**
 * Component census import and map clustering at city scale.
 *
 * Loads the demo city (scale 1: ~1,200 grids, ~417k components) into a fresh PGlite folder,
 * exports its components as a GeoJSON file and a CSV file, empties the census, then imports
 * each file through importComponentsFile (JS checks, COPY to staging, set-based checks, grid
 * assignment, INSERT … SELECT). Baseline in the same run: a raw COPY of the same rows into a
 * staging table, without checks or grid assignment. Then the clusters query at a city-wide
 * zoom-11 view and a zoom-16 street view (p50 of repeated calls).
 * With DATABASE_URL or TEST_DATABASE_URL set, the same on a throwaway PostgreSQL database.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../apps/server/src/config.ts';
import { type Context, createContext } from '../apps/server/src/context.ts';
import { csvRow, type Database, openPGlite, openPostgres } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { importComponentsFile } from '../apps/server/src/modules/components/components.import.ts';
import type { BBox } from '../apps/server/src/modules/components/components.repository.ts';
import { loadDemoCity } from '../apps/server/src/modules/demo/demo.service.ts';

const SCALE = 1;
const SEED = 20261122;
const log = (msg: string) => console.error(`[import] ${msg}`);

export default async function bench(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cityloop-bench-import-'));
  try {
    const database = await openPGlite(path.join(work, 'db'));
    try {
      Object.assign(figures, await run('pglite', database, work, true));
    } finally {
      await database.close();
    }
    const url = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
    if (url) {
      const name = `cityloop_bench_${crypto.randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      try {
        const u = new URL(url);
        u.pathname = `/${name}`;
        const pgdb = await openPostgres(u.toString(), 4);
        try {
          Object.assign(figures, await run('postgres', pgdb, work, false));
        } finally {
          await pgdb.close();
        }
      } finally {
        await dropDatabase(admin, name);
        await admin.end();
      }
    } else {
      log('DATABASE_URL / TEST_DATABASE_URL not set: PostgreSQL skipped');
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return figures;
}

/**
 * Drops the throwaway database once the closed pool's sessions are gone. (WITH (FORCE) at once
 * would kill sessions still closing, whose pool then raises an unhandled error.)
 */
async function dropDatabase(admin: pg.Client, name: string) {
  for (let i = 0; i < 50; i++) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006') throw err; // object_in_use
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

async function run(kind: 'pglite' | 'postgres', database: Database, work: string, both: boolean): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const ctx = createContext({ ...loadConfig({ CITYLOOP_LOG_LEVEL: 'silent' }), dataDir: work }, database);
  let t = performance.now();
  await migrate(database);
  const demo = await loadDemoCity(ctx, { scale: SCALE, seed: SEED });
  log(`${kind}: demo city ${demo.grids} grids, ${demo.components} components in ${s(t)} s`);
  await ctx.services.taxonomy.seedStandards();

  const files = await exportComponents(ctx, work, kind);
  const rows = files.rows;
  out[`${kind}_rows`] = rows;

  // Baseline: the same rows COPYed into a staging table, no checks, no grid assignment.
  t = performance.now();
  await database.transaction(async (tx) => {
    await sql`CREATE TEMP TABLE bench_stage (code text, class_code text, status text, attributes jsonb, geom geometry) ON COMMIT DROP`.execute(
      tx.db,
    );
    for (const chunk of files.copyChunks) await tx.copyCsv('bench_stage', ['code', 'class_code', 'status', 'attributes', 'geom'], chunk);
  });
  out[`${kind}_copy_baseline_rows_per_s`] = Math.round(rows / ((performance.now() - t) / 1000));

  const formats: Array<['geojson' | 'csv', string]> = both
    ? [
        ['geojson', files.geojson],
        ['csv', files.csv],
      ]
    : [['geojson', files.geojson]];
  for (const [format, file] of formats) {
    await emptyCensus(ctx);
    t = performance.now();
    const report = await importComponentsFile(ctx, file, { coordSys: 'wgs84', skipInvalid: false, actorId: null });
    const secs = (performance.now() - t) / 1000;
    if (!report.committed || report.inserted !== rows) {
      throw new Error(`${kind} ${format} import wrote ${report.inserted}/${rows}: ${JSON.stringify(report.errors.slice(0, 5))}`);
    }
    log(`${kind} ${format}: ${rows} rows in ${secs.toFixed(1)} s ${JSON.stringify(report.timings)}`);
    const prefix = format === 'geojson' ? kind : `${kind}_csv`;
    out[`${prefix}_rows_per_s`] = Math.round(rows / secs);
    out[`${prefix}_total_s`] = round(secs);
    if (format === 'geojson') for (const [phase, v] of Object.entries(report.timings)) out[`${kind}_${phase}_s`] = v;
  }
  const ungridded = await sql<{ n: number }>`SELECT count(*)::int AS n FROM component WHERE grid_id IS NULL`.execute(ctx.db);
  out[`${kind}_rows_without_grid`] = ungridded.rows[0]?.n ?? -1;

  // Clusters: the whole city at zoom 11, a street at zoom 16 around the busiest cell.
  const ext = await sql<{ a: number; b: number; c: number; d: number }>`
    SELECT ST_XMin(e) AS a, ST_YMin(e) AS b, ST_XMax(e) AS c, ST_YMax(e) AS d
    FROM (SELECT ST_Extent(geom)::geometry AS e FROM region WHERE valid_to IS NULL AND level = 'grid') x`.execute(ctx.db);
  const e = ext.rows[0] as { a: number; b: number; c: number; d: number };
  const city: BBox = [e.a, e.b, e.c, e.d];
  const busy = await sql<{ x: number; y: number }>`
    SELECT avg(lng) AS x, avg(lat) AS y FROM component
    GROUP BY floor(lng / 0.01), floor(lat / 0.01) ORDER BY count(*) DESC LIMIT 1`.execute(ctx.db);
  const { x, y } = busy.rows[0] as { x: number; y: number };
  const street: BBox = [x - 0.011, y - 0.006, x + 0.011, y + 0.006];
  const svc = ctx.services.components;
  for (const [label, zoom, bbox] of [
    ['z11', 11, city],
    ['z16', 16, street],
  ] as const) {
    const times: number[] = [];
    let features = 0;
    let total = 0;
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const fc = await svc.clusters({ bbox, zoom });
      times.push(performance.now() - t0);
      features = fc.features.length;
      total = fc.total;
    }
    times.sort((p, q) => p - q);
    out[`${kind}_clusters_${label}_p50_ms`] = round(times[Math.floor(times.length / 2)] as number);
    out[`${kind}_clusters_${label}_features`] = features;
    out[`${kind}_clusters_${label}_components`] = total;
    log(`${kind} clusters ${label}: p50 ${out[`${kind}_clusters_${label}_p50_ms`]} ms, ${features} features over ${total} components`);
  }
  return out;
}

/** Writes the demo city's components as a GeoJSON FeatureCollection and a CSV file. */
export async function exportComponents(ctx: Context, work: string, kind: string) {
  const geojson = path.join(work, `components-${kind}.geojson`);
  const csv = path.join(work, `components-${kind}.csv`);
  const gj = fs.createWriteStream(geojson);
  const cs = fs.createWriteStream(csv);
  const write = (s: fs.WriteStream, text: string) =>
    s.write(text) ? Promise.resolve() : new Promise<void>((r) => s.once('drain', () => r()));
  await write(gj, '{"type":"FeatureCollection","features":[\n');
  await write(cs, 'code,class_code,name,status,owner_department,maintainer_department,address,lng,lat,wkt\n');
  const copyChunks: string[] = [];
  let after = 0;
  let rows = 0;
  for (;;) {
    const res = await sql<{
      id: number;
      code: string;
      classCode: string;
      name: string | null;
      status: string;
      owner: string | null;
      maintainer: string | null;
      address: string | null;
      attributes: string;
      geometry: string;
      ewkt: string;
      lng: number;
      lat: number;
      isPoint: boolean;
    }>`
      SELECT c.id, c.code, c.class_code, c.name, c.status, o.code AS owner, m.code AS maintainer, c.address,
             c.attributes::text AS attributes, ST_AsGeoJSON(c.geom, 7) AS geometry, ST_AsEWKT(c.geom) AS ewkt,
             c.lng, c.lat, GeometryType(c.geom) = 'POINT' AS is_point
      FROM component c
      LEFT JOIN department o ON o.id = c.owner_department_id
      LEFT JOIN department m ON m.id = c.maintainer_department_id
      LEFT JOIN taxonomy_class t ON t.edition = c.edition AND t.kind = 'component' AND t.code = c.class_code
      WHERE c.id > ${after}
        -- Rows whose geometry kind contradicts their class would be refused by the import.
        AND (t.geometry_type IS NULL OR t.geometry_type = CASE GeometryType(c.geom)
               WHEN 'POINT' THEN 'point' WHEN 'MULTIPOINT' THEN 'point'
               WHEN 'LINESTRING' THEN 'line' WHEN 'MULTILINESTRING' THEN 'line' ELSE 'polygon' END)
      ORDER BY c.id LIMIT 50000`.execute(ctx.db);
    if (res.rows.length === 0) break;
    let gjText = '';
    let csText = '';
    let copyText = '';
    for (const r of res.rows) {
      const props = {
        ...JSON.parse(r.attributes),
        code: r.code,
        classCode: r.classCode,
        name: r.name,
        status: r.status,
        ownerDepartment: r.owner,
        maintainerDepartment: r.maintainer,
        address: r.address,
      };
      gjText += `${rows ? ',\n' : ''}{"type":"Feature","properties":${JSON.stringify(props)},"geometry":${r.geometry}}`;
      const wkt = r.isPoint ? '' : r.ewkt.replace(/^SRID=4326;/, '');
      csText += csvRow([
        r.code,
        r.classCode,
        r.name,
        r.status,
        r.owner,
        r.maintainer,
        r.address,
        r.isPoint ? r.lng : '',
        r.isPoint ? r.lat : '',
        wkt,
      ]);
      copyText += csvRow([r.code, r.classCode, r.status, r.attributes, r.ewkt]);
      rows++;
    }
    await write(gj, gjText);
    await write(cs, csText);
    copyChunks.push(copyText);
    after = (res.rows[res.rows.length - 1] as { id: number }).id;
  }
  await write(gj, ']}\n');
  await Promise.all([new Promise((r) => gj.end(r)), new Promise((r) => cs.end(r))]);
  const all = await sql<{ n: number }>`SELECT count(*)::int AS n FROM component`.execute(ctx.db);
  const left = (all.rows[0]?.n ?? 0) - rows;
  if (left) log(`${kind}: ${left} demo components have a geometry kind their class does not allow; left out`);
  log(
    `${kind}: exported ${rows} components (${(fs.statSync(geojson).size / 1e6).toFixed(0)} MB GeoJSON, ${(fs.statSync(csv).size / 1e6).toFixed(0)} MB CSV)`,
  );
  return { geojson, csv, rows, copyChunks };
}

/** Empties the census and whatever references it (a throwaway database). */
export async function emptyCensus(ctx: Context) {
  await sql`TRUNCATE component, component_history CASCADE`.execute(ctx.db);
}

const s = (t: number) => ((performance.now() - t) / 1000).toFixed(1);
const round = (v: number) => Math.round(v * 100) / 100;
