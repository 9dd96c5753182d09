import fs from 'node:fs';
import { regionCodePattern } from '@cityloop/shared';
import { parse as parseCsv } from 'csv-parse/sync';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Context } from '../../context.ts';
import type { DB } from '../../db/schema.ts';
import { type AppError, notFound, unprocessable } from '../../errors.ts';
import { geometryFailure, metresPerDegree, oneRow, PRECISION_DEG } from './regions.grid.ts';

/**
 * `cityloop import regions`: administrative boundaries in, districts / streets /
 * communities out.
 *
 * Inputs: a GeoJSON FeatureCollection whose features carry an admin code (property
 * `adcode`, `code`, …) and a divisions CSV `code,name,level,parent_code` (levels
 * district / street / community). A row's name always comes from the CSV; its boundary
 * comes from the feature with the same code, or — when it has none — is derived from
 * its parent: the part of the parent not covered by siblings that have their own
 * polygons is cut into equal-area cells by recursive bisection (see `partition`), one
 * per polygon-less child in code order, so the children tile the parent exactly.
 *
 * Without a divisions CSV (the console's upload), the rows come from the features
 * themselves: the code gives the level (6 / 9 / 12 digits) and the parent (its prefix),
 * the `name` property the name; every row then needs its own boundary.
 *
 * Features with a 14- or 15-digit code are unit grids (单元网格). They need no CSV row:
 * each belongs to the community of its first 12 digits (or, for `…000nn` codes, to the
 * street of its first 9), must lie inside it, must not overlap the current grids outside
 * the file nor each other, and must match the city's grid code length.
 *
 * Everything is validated first and reported row by row; nothing is written unless the
 * whole file is clean, and then everything is written in one transaction. Re-importing
 * a code closes its current version and inserts version + 1. A dry run does all of it
 * and rolls the transaction back, so its summary is exactly what the import would do.
 */

/** The problem of a feature whose code an earlier feature (1-based `other`) already has. */
function duplicateFeature(f: { index: number; code: string }, other: number): ImportProblem {
  return {
    source: 'geojson',
    feature: f.index,
    code: f.code,
    problem: 'duplicate_feature',
    message: `编码 ${f.code} 重复（另见第 ${other} 个要素）/ Code ${f.code} appears twice (also feature ${other})`,
  };
}

export type DivisionLevel = 'district' | 'street' | 'community';

export interface ImportProblem {
  /** Which input the problem is in. */
  source: 'csv' | 'geojson' | 'database';
  /** 1-based CSV line (header = line 1) or 1-based feature index. */
  line?: number;
  feature?: number;
  code?: string;
  /** Stable snake_case problem code. */
  problem: string;
  message: string;
}

export interface RegionImportSummary {
  districts: number;
  streets: number;
  communities: number;
  grids: number;
  /** True when nothing was written (a preview). */
  dryRun: boolean;
  /** Codes seen for the first time. */
  created: number;
  /** Codes that already existed: their current row was closed and version + 1 inserted. */
  versioned: number;
  /** Rows whose boundary was derived by partitioning the parent. */
  derived: number;
  /** Parents that were not in the file but already in the database. */
  reusedParents: number;
  /** Current rows outside this import (and department / role scopes) re-pointed to the new versions. */
  repointed: number;
  warnings: string[];
  seconds: number;
}

export interface ImportRegionsOptions {
  /** Accept every ST_MakeValid repair, even one that changes a polygon's area (see checkFeatureGeometry). */
  makeValid?: boolean;
  /** Validate and compute the summary in a transaction that is rolled back. */
  dryRun?: boolean;
  actorId?: number | null;
  log?: (msg: string) => void;
}

interface Division {
  code: string;
  name: string;
  level: DivisionLevel;
  parentCode: string | null;
  line: number;
}

interface Feature {
  code: string;
  geojson: string;
  index: number;
  /** The feature's `name` property, if any. */
  name: string | null;
}

/** Properties that may hold a feature's admin code, in order of preference. */
const CODE_KEYS = ['adcode', 'code', 'admin_code', 'ADCODE', 'CODE', 'Code', 'AdCode', 'gb_code', 'region_code'];
/** Properties that may hold a feature's name. */
const NAME_KEYS = ['name', 'NAME', 'Name', '名称', 'mc', 'MC'];
const GRID_CODE = /^\d{14,15}$/;
const LEVEL_DIGITS: Record<DivisionLevel, number> = { district: 6, street: 9, community: 12 };
const LEVEL_ORDER: DivisionLevel[] = ['district', 'street', 'community'];
const LEVEL_ALIASES: Record<string, DivisionLevel> = {
  district: 'district',
  county: 'district',
  区: 'district',
  县: 'district',
  区县: 'district',
  street: 'street',
  town: 'street',
  township: 'street',
  街道: 'street',
  乡镇: 'street',
  community: 'community',
  village: 'community',
  社区: 'community',
  村: 'community',
};
const PARENT_LEVEL: Record<DivisionLevel, DivisionLevel | null> = { district: null, street: 'district', community: 'street' };

/** Thrown when the inputs have problems; `details.problems` lists them row by row. */
export function importInvalid(problems: ImportProblem[]): AppError {
  return unprocessable(
    'region_import_invalid',
    `区划数据有 ${problems.length} 处问题，未写入任何数据 / The region data has ${problems.length} problem(s); nothing was written`,
    { problems },
  );
}

/** Reads both files and imports them (see `importRegionsData`). */
export async function importRegions(
  ctx: Context,
  opts: ImportRegionsOptions & { geojsonPath: string; divisionsCsvPath: string },
): Promise<RegionImportSummary> {
  const geojsonText = readFile(opts.geojsonPath);
  const csvText = readFile(opts.divisionsCsvPath);
  const problems: ImportProblem[] = [];
  let geojson: unknown = null;
  try {
    geojson = JSON.parse(geojsonText);
  } catch (err) {
    problems.push({
      source: 'geojson',
      problem: 'json_invalid',
      message: `GeoJSON 无法解析 / The GeoJSON file cannot be parsed: ${(err as Error).message}`,
    });
  }
  if (problems.length) throw importInvalid(problems);
  return importRegionsData(ctx, { ...opts, geojson, divisionsCsv: csvText });
}

function readFile(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw notFound(
      'file_not_found',
      `无法读取文件 ${path} / Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Thrown by a dry run's transaction so that it rolls back. */
class DryRunRollback extends Error {}

/**
 * Validates and imports parsed GeoJSON plus (optionally) divisions CSV text; all or nothing.
 * Without the CSV, districts, streets and communities come from the features' codes and names.
 */
export async function importRegionsData(
  ctx: Context,
  opts: ImportRegionsOptions & { geojson: unknown; divisionsCsv?: string | null },
): Promise<RegionImportSummary> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const problems: ImportProblem[] = [];
  const warnings: string[] = [];

  // null = the file as a whole is unreadable: its counterpart is then not cross-checked.
  const parsedFeatures = parseFeatures(opts.geojson, problems);
  const allFeatures = parsedFeatures ?? [];
  const grids = allFeatures.filter((f) => GRID_CODE.test(f.code));
  const features = allFeatures.filter((f) => !GRID_CODE.test(f.code));
  const parsedDivisions =
    opts.divisionsCsv === undefined || opts.divisionsCsv === null
      ? parsedFeatures && divisionsOfFeatures(features, problems)
      : parseDivisions(opts.divisionsCsv, problems);
  const divisions = parsedDivisions ?? [];
  const byCode = new Map(divisions.map((d) => [d.code, d]));
  const withCsv = opts.divisionsCsv !== undefined && opts.divisionsCsv !== null;
  if (parsedFeatures && parsedDivisions && !allFeatures.length && !divisions.length) {
    problems.push({ source: 'geojson', problem: 'no_features', message: 'GeoJSON 中没有要素 / The GeoJSON has no features' });
  }
  await checkGridCodes(ctx, grids, problems);

  // Feature ↔ division matching.
  const featureByCode = new Map<string, Feature>();
  for (const f of features) {
    const dup = featureByCode.get(f.code);
    if (dup) {
      problems.push(duplicateFeature(f, dup.index));
      continue;
    }
    featureByCode.set(f.code, f);
    if (withCsv && parsedDivisions && !byCode.has(f.code)) {
      problems.push({
        source: 'geojson',
        feature: f.index,
        code: f.code,
        problem: 'unknown_code',
        message: `要素编码 ${f.code} 不在区划表中 / Feature code ${f.code} is not in the divisions CSV`,
      });
    }
  }

  // Geometry checks in PostGIS (parse, polygonal, valid, lon/lat range).
  for (const f of [...featureByCode.values(), ...grids]) {
    const problem = await checkFeatureGeometry(ctx.db, f, Boolean(opts.makeValid), warnings);
    if (problem) problems.push(problem);
  }

  // Parents: in the file, or already current in the database.
  const existing = await currentRows(
    ctx.db,
    [...new Set([...divisions.map((d) => d.code), ...divisions.map((d) => d.parentCode ?? '')])].filter(Boolean),
  );
  const reusedParents = new Set<string>();
  for (const d of divisions) {
    const parentLevel = PARENT_LEVEL[d.level];
    const cur = existing.get(d.code);
    if (cur && cur.level !== d.level) {
      problems.push({
        source: 'csv',
        line: d.line,
        code: d.code,
        problem: 'level_conflict',
        message: `编码 ${d.code} 已作为 ${cur.level} 存在 / Code ${d.code} already exists as a ${cur.level}`,
      });
    }
    if (!parentLevel || !d.parentCode) continue;
    if (byCode.get(d.parentCode)?.level === parentLevel) continue;
    const parentRow = existing.get(d.parentCode);
    if (parentRow && parentRow.level === parentLevel) {
      reusedParents.add(d.parentCode);
      continue;
    }
    problems.push({
      source: 'csv',
      line: d.line,
      code: d.code,
      problem: 'unknown_parent',
      message: `上级 ${d.parentCode} 不在导入数据中也不在数据库中 / Parent ${d.parentCode} is neither in the imported data nor in the database`,
    });
  }

  // Every row needs a boundary: its own feature, or a parent to derive it from.
  for (const d of divisions) {
    if (featureByCode.has(d.code) || !parsedFeatures) continue;
    if (d.level === 'district') {
      problems.push({
        source: 'csv',
        line: d.line,
        code: d.code,
        problem: 'missing_boundary',
        message: `区县 ${d.code} ${d.name} 在 GeoJSON 中没有边界 / District ${d.code} ${d.name} has no boundary in the GeoJSON`,
      });
    }
  }

  // Deriving boundaries inside a parent from the database would overlap its other current children.
  const deriveUnder = new Set(
    divisions.filter((d) => !featureByCode.has(d.code) && d.parentCode && reusedParents.has(d.parentCode)).map((d) => d.parentCode!),
  );
  if (deriveUnder.size && parsedFeatures) {
    const inFile = new Set(divisions.map((d) => d.code));
    const others = await sql<{ parentCode: string; code: string }>`
      SELECT p.code AS parent_code, c.code FROM region c JOIN region p ON p.id = c.parent_id
      WHERE c.valid_to IS NULL AND p.valid_to IS NULL AND p.code IN (${sql.join([...deriveUnder])}) ORDER BY c.code`.execute(ctx.db);
    for (const o of others.rows.filter((r) => !inFile.has(r.code))) {
      const d = divisions.find((x) => x.parentCode === o.parentCode && !featureByCode.has(x.code))!;
      problems.push({
        source: 'csv',
        line: d.line,
        code: d.code,
        problem: 'parent_has_other_children',
        message: `上级 ${o.parentCode} 在数据库中还有不在本文件中的下级 ${o.code}，无法划分边界 / Parent ${o.parentCode} has a current child ${o.code} that is not in this file; boundaries cannot be derived without overlapping it`,
      });
    }
  }

  // Without a CSV every row is a feature: point at the feature, not at a CSV line.
  if (!withCsv) {
    for (const p of problems) {
      if (p.source !== 'csv') continue;
      p.source = 'geojson';
      p.feature = p.line;
      delete p.line;
    }
  }
  if (problems.length) throw importInvalid(sortProblems(problems));

  // Plan: parents before children, codes in order.
  const ordered = [...divisions].sort(
    (a, b) => LEVEL_ORDER.indexOf(a.level) - LEVEL_ORDER.indexOf(b.level) || a.code.localeCompare(b.code),
  );
  const childrenOf = new Map<string, Division[]>();
  for (const d of ordered) {
    if (!d.parentCode || d.level === 'district') continue;
    const list = childrenOf.get(d.parentCode) ?? [];
    list.push(d);
    childrenOf.set(d.parentCode, list);
  }
  const maxVersions = await maxVersionByCode(
    ctx.db,
    divisions.map((d) => d.code),
  );

  const summary: RegionImportSummary = {
    districts: 0,
    streets: 0,
    communities: 0,
    grids: 0,
    dryRun: Boolean(opts.dryRun),
    created: 0,
    versioned: 0,
    derived: 0,
    reusedParents: reusedParents.size,
    repointed: 0,
    warnings,
    seconds: 0,
  };

  const run = ctx.database.transaction(async (tx) => {
    const db = tx.db;
    // code → the row written (or reused) with its geometry as hex EWKB.
    const written = new Map<
      string,
      { id: number; level: DivisionLevel; districtId: number | null; streetId: number | null; geom: string }
    >();
    const replaced: Array<{ oldId: number; newId: number }> = [];
    for (const code of reusedParents) {
      const row = existing.get(code)!;
      written.set(code, {
        id: row.id,
        level: row.level as DivisionLevel,
        districtId: row.districtId,
        streetId: row.streetId,
        geom: row.geom,
      });
    }

    const writeRow = async (d: Division, geom: RawBuilder<unknown>, derived: boolean) => {
      const parent = d.parentCode && d.level !== 'district' ? written.get(d.parentCode) : undefined;
      const cur = existing.get(d.code);
      if (cur)
        await db
          .updateTable('region')
          .set({ validTo: sql`now()` as unknown as Date })
          .where('id', '=', cur.id)
          .execute();
      const version = (maxVersions.get(d.code) ?? 0) + 1;
      const districtId = d.level === 'district' ? null : parent?.level === 'district' ? parent.id : (parent?.districtId ?? null);
      const streetId = d.level === 'community' ? (parent?.id ?? null) : null;
      const properties = { source: 'import', derived, ...(derived ? { method: 'equal-area bisection of the parent' } : {}) };
      const res = await sql<{ id: number; geom: string }>`
        INSERT INTO region (level, code, name, parent_id, district_id, street_id, community_id, geom, area_m2, version, properties)
        SELECT ${d.level}, ${d.code}, ${d.name}, ${parent?.id ?? null}, ${districtId}, ${streetId}, NULL,
               g.geom, ST_Area(g.geom::geography), ${version}, ${JSON.stringify(properties)}::jsonb
        FROM (SELECT ${geom} AS geom) g
        RETURNING id, geom::text AS geom`.execute(db);
      const row = res.rows[0];
      if (!row) throw geometryFailure(`insert ${d.code}`);
      written.set(d.code, { id: row.id, level: d.level, districtId, streetId, geom: row.geom });
      if (cur) {
        summary.versioned++;
        replaced.push({ oldId: cur.id, newId: row.id });
      } else summary.created++;
      summary[d.level === 'district' ? 'districts' : d.level === 'street' ? 'streets' : 'communities']++;
      if (derived) summary.derived++;
    };

    for (const level of LEVEL_ORDER) {
      for (const d of ordered.filter((x) => x.level === level)) {
        const f = featureByCode.get(d.code);
        if (f) await writeRow(d, featureGeom(f.geojson), false);
      }
      // Polygon-less rows of this level: partition what their parent has left.
      const parents = new Set(ordered.filter((x) => x.level === level && !featureByCode.has(x.code)).map((x) => x.parentCode!));
      for (const parentCode of [...parents].sort()) {
        const parent = written.get(parentCode)!;
        const siblings = childrenOf.get(parentCode) ?? [];
        const own = siblings.filter((s) => featureByCode.has(s.code)).map((s) => written.get(s.code)!.geom);
        const todo = siblings.filter((s) => !featureByCode.has(s.code));
        const rest = await remainder(db, parent.geom, own);
        if (!rest) {
          throw importInvalid(
            todo.map((s) => ({
              source: 'csv' as const,
              line: s.line,
              code: s.code,
              problem: 'no_room',
              message: `上级 ${parentCode} 已被有边界的下级完全覆盖，无法为 ${s.code} 划分边界 / Parent ${parentCode} is fully covered by children with boundaries; no area is left for ${s.code}`,
            })),
          );
        }
        log(`${parentCode}: partitioning into ${todo.length} ${level === 'street' ? 'streets' : 'communities'}`);
        const cells = await partition(db, rest, todo.length);
        for (const [i, s] of todo.entries()) await writeRow(s, sql`${cells[i]}::geometry`, true);
      }
    }

    // Unit grids last: their parents are now current rows, whether from this file or not.
    if (grids.length) {
      const g = await writeGrids(db, grids);
      summary.grids = g.written;
      summary.created += g.created;
      summary.versioned += g.replaced.length;
      replaced.push(...g.replaced);
    }

    // Current rows outside this import keep pointing at the current versions.
    for (const { oldId, newId } of replaced) {
      summary.repointed += await ctx.services.regions.repo.repointReferences(oldId, newId, db);
    }
    if (summary.repointed)
      warnings.push(`${summary.repointed} 条现有引用已指向新版本 / References moved to the new versions: ${summary.repointed}`);

    summary.seconds = (Date.now() - started) / 1000;
    await ctx.services.audit.record(
      {
        actorId: opts.actorId ?? null,
        action: 'region.import',
        entity: 'region',
        entityId: null,
        after: { ...summary, warnings: undefined },
      },
      db,
    );
    if (opts.dryRun) throw new DryRunRollback();
  });
  try {
    await run;
  } catch (err) {
    if (!(err instanceof DryRunRollback)) throw err;
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

/** Division rows from the features themselves: level from the code's length, parent from its prefix. */
function divisionsOfFeatures(features: Feature[], problems: ImportProblem[]): Division[] {
  const out: Division[] = [];
  const byLength: Record<number, DivisionLevel> = { 6: 'district', 9: 'street', 12: 'community' };
  for (const f of features) {
    const level = byLength[f.code.length];
    if (!level) continue; // parseFeatures has already refused the code
    if (!f.name) {
      problems.push({
        source: 'geojson',
        feature: f.index,
        code: f.code,
        problem: 'name_missing',
        message: `第 ${f.index} 个要素（编码 ${f.code}）没有名称（name 属性）/ Feature ${f.index} (code ${f.code}) has no name property`,
      });
      continue;
    }
    const parentLevel = PARENT_LEVEL[level];
    const parentCode = parentLevel ? f.code.slice(0, LEVEL_DIGITS[parentLevel]) : null;
    out.push({ code: f.code, name: f.name, level, parentCode, line: f.index });
  }
  return out;
}

/** Grid codes must have the city's length (14 or 15 digits) and appear once. */
async function checkGridCodes(ctx: Context, grids: Feature[], problems: ImportProblem[]) {
  if (!grids.length) return;
  const digits = (await ctx.services.settings.get()).gridCodeDigits;
  const seen = new Map<string, number>();
  for (const f of grids) {
    if (!regionCodePattern('grid', digits).test(f.code)) {
      problems.push({
        source: 'geojson',
        feature: f.index,
        code: f.code,
        problem: 'grid_code_pattern',
        message: `第 ${f.index} 个要素的网格编码 ${f.code} 应为 ${digits} 位 / Feature ${f.index}: grid code ${f.code} must have ${digits} digits in this city`,
      });
      continue;
    }
    const dup = seen.get(f.code);
    if (dup) {
      problems.push(duplicateFeature(f, dup));
      continue;
    }
    seen.set(f.code, f.index);
  }
}

/**
 * What a grid may spill over its parent or overlap another grid by before it counts: a band
 * GRID_EDGE_BAND_M wide along its boundary (at least 1 m²). Published boundaries, and our own
 * GeoJSON export, round coordinates to 6 decimals (up to ~5 cm): a grid exported and imported
 * back reaches a few m² over its community's edge, which is not a change of shape.
 */
const GRID_EDGE_BAND_M = 0.1;
const GRID_MIN_SLACK_M2 = 1;

/**
 * Writes the file's unit grids inside the import's transaction, after the divisions:
 * each is checked against its parent (present, containing it) and against the other
 * grids (the current ones outside the file, and the file's own); any problem aborts the
 * whole import. A code already current is closed and inserted as version + 1.
 */
async function writeGrids(
  db: Kysely<DB>,
  grids: Feature[],
): Promise<{ written: number; created: number; replaced: Array<{ oldId: number; newId: number }> }> {
  const codes = grids.map((g) => g.code);
  // The file's grids as stored (made valid, MultiPolygon, 4326), each with its parent.
  await sql`
    CREATE TEMP TABLE region_import_grid ON COMMIT DROP AS
    SELECT t.idx, t.code, t.name, p.id AS parent_id, p.level AS parent_level, p.name AS parent_name,
           p.district_id, CASE WHEN p.level = 'community' THEN p.street_id ELSE p.id END AS street_id,
           CASE WHEN p.level = 'community' THEN p.id END AS community_id, p.geom AS parent_geom,
           g.geom, greatest(${GRID_MIN_SLACK_M2}::float8, ST_Perimeter(g.geom::geography) * ${GRID_EDGE_BAND_M}::float8) AS slack_m2
    FROM unnest(${sql.val(grids.map((g) => g.index))}::int[], ${sql.val(codes)}::text[],
                ${sql.val(grids.map((g) => g.name ?? ''))}::text[], ${sql.val(grids.map((g) => g.geojson))}::text[]) AS t(idx, code, name, gj)
    CROSS JOIN LATERAL (
      SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(t.gj), 4326)), 3)) AS geom) g
    LEFT JOIN LATERAL (
      SELECT r.id, r.level, r.name, r.district_id, r.street_id, r.geom FROM region r
      WHERE r.valid_to IS NULL
        AND ((r.level = 'community' AND r.code = left(t.code, 12))
          OR (r.level = 'street' AND substr(t.code, 10, 3) = '000' AND r.code = left(t.code, 9)))
      ORDER BY r.level = 'community' DESC LIMIT 1) p ON true`.execute(db);
  // Grid ⊂ parent, and grid ∩ current grids outside the file (GiST on region.geom for the && probe).
  const checked = await sql<{
    idx: number;
    code: string;
    parentId: number | null;
    outsideM2: number | null;
    slackM2: number;
    overlaps: string | null;
  }>`
    SELECT f.idx, f.code, f.parent_id,
           CASE WHEN f.parent_id IS NOT NULL
                THEN ST_Area(ST_Difference(f.geom, f.parent_geom, ${PRECISION_DEG}::float8)::geography) END AS outside_m2,
           f.slack_m2,
           (SELECT string_agg(o.code, ',' ORDER BY o.code) FROM region o
             WHERE o.level = 'grid' AND o.valid_to IS NULL AND o.geom && f.geom AND o.code <> ALL(${sql.val(codes)}::text[])
               AND ST_Area(ST_Intersection(o.geom, f.geom, ${PRECISION_DEG}::float8)::geography) > f.slack_m2) AS overlaps
    FROM region_import_grid f ORDER BY f.idx`.execute(db);
  // PGlite's PostGIS drops rows on a GEOS failure instead of raising: never let that pass.
  if (checked.rows.length !== grids.length) throw geometryFailure('grid check');
  const within = await sql<{ idx: number; code: string; other: string }>`
    SELECT a.idx, a.code, b.code AS other FROM region_import_grid a
    JOIN region_import_grid b ON a.idx < b.idx AND a.geom && b.geom
    WHERE ST_Area(ST_Intersection(a.geom, b.geom, ${PRECISION_DEG}::float8)::geography) > least(a.slack_m2, b.slack_m2)
    ORDER BY a.idx, b.idx`.execute(db);
  const problems: ImportProblem[] = [];
  for (const r of checked.rows) {
    const at = { source: 'geojson' as const, feature: r.idx, code: r.code };
    if (r.parentId === null) {
      problems.push({
        ...at,
        problem: 'grid_parent_missing',
        message: `网格 ${r.code} 的上级社区 ${r.code.slice(0, 12)} 不存在 / Grid ${r.code}: its community ${r.code.slice(0, 12)} (or street, for …000 codes) is neither in the file nor in the database`,
      });
      continue;
    }
    if ((r.outsideM2 ?? 0) > r.slackM2)
      problems.push({
        ...at,
        problem: 'grid_outside_parent',
        message: `网格 ${r.code} 超出上级约 ${Math.round(r.outsideM2!)} 平方米 / Grid ${r.code} reaches ${Math.round(r.outsideM2!)} m² outside its community`,
      });
    if (r.overlaps)
      problems.push({
        ...at,
        problem: 'grid_overlaps',
        message: `网格 ${r.code} 与现有网格 ${r.overlaps.split(',').join('、')} 重叠 / Grid ${r.code} overlaps the current grid(s) ${r.overlaps.split(',').join(', ')}`,
      });
  }
  for (const r of within.rows)
    problems.push({
      source: 'geojson',
      feature: r.idx,
      code: r.code,
      problem: 'grid_overlaps',
      message: `网格 ${r.code} 与文件中的网格 ${r.other} 重叠 / Grid ${r.code} overlaps grid ${r.other} of the same file`,
    });
  if (problems.length) throw importInvalid(sortProblems(problems));

  const closed = await sql<{ id: number; code: string }>`
    UPDATE region SET valid_to = now()
    WHERE level = 'grid' AND valid_to IS NULL AND code = ANY(${sql.val(codes)}::text[]) RETURNING id, code`.execute(db);
  const inserted = await sql<{ id: number; code: string }>`
    INSERT INTO region (level, code, name, parent_id, district_id, street_id, community_id, geom, area_m2, version, properties)
    SELECT 'grid', f.code,
           CASE WHEN f.name <> '' THEN f.name ELSE f.parent_name || right(f.code, length(f.code) - 12) || '号网格' END,
           f.parent_id, f.district_id, f.street_id, f.community_id, f.geom, ST_Area(f.geom::geography),
           coalesce((SELECT max(r.version) FROM region r WHERE r.code = f.code), 0) + 1, '{"source":"import"}'::jsonb
    FROM region_import_grid f ORDER BY f.idx
    RETURNING id, code`.execute(db);
  if (inserted.rows.length !== grids.length) throw geometryFailure('grid insert');
  const newId = new Map(inserted.rows.map((r) => [r.code, r.id]));
  return {
    written: inserted.rows.length,
    created: inserted.rows.length - closed.rows.length,
    replaced: closed.rows.map((r) => ({ oldId: r.id, newId: newId.get(r.code)! })),
  };
}

/** Parses the divisions CSV into rows, collecting problems by line. */
export function parseDivisions(text: string, problems: ImportProblem[]): Division[] | null {
  let records: string[][];
  try {
    records = parseCsv(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (err) {
    const e = err as Error & { lines?: number };
    problems.push({
      source: 'csv',
      line: e.lines,
      problem: 'csv_malformed',
      message: `区划表无法解析 / The divisions CSV cannot be parsed: ${e.message}`,
    });
    return null;
  }
  const header = (records[0] ?? []).map((h) => h.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const [iCode, iName, iLevel, iParent] = [col('code'), col('name'), col('level'), col('parent_code')];
  if (iCode < 0 || iName < 0 || iLevel < 0) {
    problems.push({
      source: 'csv',
      line: 1,
      problem: 'csv_header',
      message: `区划表表头应为 code,name,level,parent_code / The divisions CSV header must be code,name,level,parent_code (got "${(records[0] ?? []).join(',')}")`,
    });
    return null;
  }
  const out: Division[] = [];
  const seen = new Map<string, number>();
  for (const [k, rec] of records.slice(1).entries()) {
    const line = k + 2;
    if (rec.length !== header.length) {
      problems.push({
        source: 'csv',
        line,
        problem: 'csv_columns',
        message: `第 ${line} 行有 ${rec.length} 列，应为 ${header.length} 列 / Line ${line} has ${rec.length} fields, expected ${header.length}`,
      });
      continue;
    }
    const code = rec[iCode] ?? '';
    const name = rec[iName] ?? '';
    const rawLevel = rec[iLevel] ?? '';
    const level = LEVEL_ALIASES[rawLevel.toLowerCase()];
    let parentCode = iParent >= 0 ? rec[iParent] || null : null;
    if (!level) {
      problems.push({
        source: 'csv',
        line,
        code,
        problem: 'level_unknown',
        message: `未知层级 "${rawLevel}"（应为 district/street/community）/ Unknown level "${rawLevel}" (expected district, street or community)`,
      });
      continue;
    }
    const digits = LEVEL_DIGITS[level];
    if (!new RegExp(`^\\d{${digits}}$`).test(code)) {
      problems.push({
        source: 'csv',
        line,
        code,
        problem: 'code_pattern',
        message: `${level} 编码应为 ${digits} 位数字: "${code}" / A ${level} code must have ${digits} digits: "${code}"`,
      });
      continue;
    }
    if (!name) {
      problems.push({ source: 'csv', line, code, problem: 'name_missing', message: `编码 ${code} 缺少名称 / Code ${code} has no name` });
      continue;
    }
    if (level !== 'district') {
      const prefix = code.slice(0, LEVEL_DIGITS[PARENT_LEVEL[level]!]);
      if (parentCode && parentCode !== prefix) {
        problems.push({
          source: 'csv',
          line,
          code,
          problem: 'parent_mismatch',
          message: `上级编码 ${parentCode} 与编码前缀 ${prefix} 不符 / parent_code ${parentCode} does not match the code's prefix ${prefix}`,
        });
        continue;
      }
      parentCode = prefix;
    }
    const dup = seen.get(code);
    if (dup) {
      problems.push({
        source: 'csv',
        line,
        code,
        problem: 'duplicate_code',
        message: `编码 ${code} 重复（另见第 ${dup} 行）/ Code ${code} appears twice (also line ${dup})`,
      });
      continue;
    }
    seen.set(code, line);
    out.push({ code, name, level, parentCode, line });
  }
  if (records.length <= 1) {
    problems.push({ source: 'csv', line: 1, problem: 'csv_empty', message: '区划表没有数据行 / The divisions CSV has no rows' });
    return null;
  }
  return out;
}

/** Pulls coded features out of a FeatureCollection, collecting problems by feature. */
export function parseFeatures(geojson: unknown, problems: ImportProblem[]): Feature[] | null {
  const fc = geojson as { type?: unknown; features?: unknown };
  if (!fc || typeof fc !== 'object' || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    problems.push({
      source: 'geojson',
      problem: 'not_feature_collection',
      message: 'GeoJSON 应为 FeatureCollection / The GeoJSON must be a FeatureCollection',
    });
    return null;
  }
  const out: Feature[] = [];
  for (const [k, raw] of (fc.features as unknown[]).entries()) {
    const index = k + 1;
    const f = raw as { properties?: Record<string, unknown> | null; geometry?: { type?: string } | null };
    const props = f?.properties ?? {};
    const key = CODE_KEYS.find((c) => props[c] !== undefined && props[c] !== null && props[c] !== '');
    const code = key === undefined ? '' : String(props[key]).trim();
    if (!code) {
      problems.push({
        source: 'geojson',
        feature: index,
        problem: 'code_missing',
        message: `第 ${index} 个要素没有区划编码（adcode/code）/ Feature ${index} has no admin code (adcode/code)${props.name ? ` (${String(props.name)})` : ''}`,
      });
      continue;
    }
    if (!/^\d{6}$|^\d{9}$|^\d{12}$/.test(code) && !GRID_CODE.test(code)) {
      problems.push({
        source: 'geojson',
        feature: index,
        code,
        problem: 'code_pattern',
        message: `第 ${index} 个要素的编码 "${code}" 不是 6/9/12 位（区划）或 14/15 位（网格）数字 / Feature ${index} code "${code}" is not 6, 9 or 12 digits (division) or 14/15 (unit grid)`,
      });
      continue;
    }
    const type = f.geometry?.type;
    if (type !== 'Polygon' && type !== 'MultiPolygon') {
      problems.push({
        source: 'geojson',
        feature: index,
        code,
        problem: 'geometry_wrong_type',
        message: `要素 ${code} 的几何应为面，实为 ${type ?? '空'} / Feature ${code} must be a Polygon or MultiPolygon, got ${type ?? 'none'}`,
      });
      continue;
    }
    const nameKey = NAME_KEYS.find((k) => typeof props[k] === 'string' && (props[k] as string).trim() !== '');
    const name = nameKey === undefined ? null : (props[nameKey] as string).trim().slice(0, 100);
    out.push({ code, geojson: JSON.stringify(f.geometry), index, name });
  }
  return out;
}

/** How much ST_MakeValid may change a polygon's area before the repair counts as a change of shape. */
export const REPAIR_AREA_TOLERANCE = 0.005;

/**
 * Checks one feature's geometry in PostGIS. Invalid geometries whose repair keeps the
 * area (e.g. parts of a MultiPolygon sharing an edge, common in published boundaries)
 * are repaired with a warning; a repair that changes the area (a bow-tie, a ring
 * crossing itself) is rejected unless `makeValid` is set.
 */
async function checkFeatureGeometry(db: Kysely<DB>, f: Feature, makeValid: boolean, warnings: string[]): Promise<ImportProblem | null> {
  const at = { source: 'geojson' as const, feature: f.index, code: f.code };
  type Row = { valid: boolean; reason: string; inRange: boolean; empty: boolean; area: number; fixedArea: number };
  let row: Row | undefined;
  try {
    const res = await sql<Row>`
      WITH g AS (SELECT ST_GeomFromGeoJSON(${f.geojson}) AS geom)
      SELECT ST_IsValid(geom) AS valid, ST_IsValidReason(geom) AS reason, ST_IsEmpty(geom) AS empty,
             (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90) AS in_range,
             ST_Area(geom) AS area, ST_Area(ST_CollectionExtract(ST_MakeValid(geom), 3)) AS fixed_area
      FROM g`.execute(db);
    row = res.rows[0];
  } catch (err) {
    return {
      ...at,
      problem: 'geometry_unparsable',
      message: `要素 ${f.code} 的几何无法解析 / Feature ${f.code} geometry cannot be parsed: ${(err as Error).message.split('\n')[0]}`,
    };
  }
  if (!row) return null;
  if (row.empty || !(row.fixedArea > 0))
    return {
      ...at,
      problem: 'geometry_empty',
      message: `要素 ${f.code} 的几何为空或面积为零 / Feature ${f.code} has an empty or zero-area geometry`,
    };
  if (!row.inRange)
    return {
      ...at,
      problem: 'geometry_out_of_range',
      message: `要素 ${f.code} 的坐标超出经纬度范围 / Feature ${f.code} coordinates are not longitude/latitude degrees (WGS 84)`,
    };
  if (row.valid) return null;
  const change = Math.abs(row.fixedArea - row.area) / row.fixedArea;
  if (change <= REPAIR_AREA_TOLERANCE || makeValid) {
    warnings.push(
      `要素 ${f.code} 的几何无效（${row.reason}），已修复，面积变化 ${(change * 100).toFixed(3)}% / Feature ${f.code} geometry was invalid (${row.reason}) and was repaired; area changed by ${(change * 100).toFixed(3)}%`,
    );
    return null;
  }
  return {
    ...at,
    problem: 'geometry_invalid',
    message: `要素 ${f.code} 的几何无效: ${row.reason}，修复会使面积变化 ${(change * 100).toFixed(1)}%（确认可用 --make-valid）/ Feature ${f.code} geometry is invalid: ${row.reason}; repairing it changes its area by ${(change * 100).toFixed(1)}% (use --make-valid to accept the repair)`,
  };
}

/** A feature's geometry as it is stored: made valid, polygons only, MultiPolygon, SRID 4326. */
function featureGeom(geojson: string): RawBuilder<unknown> {
  return sql`ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(${geojson}), 4326)), 3))`;
}

interface ExistingRow {
  id: number;
  level: string;
  districtId: number | null;
  streetId: number | null;
  geom: string;
}

async function currentRows(db: Kysely<DB>, codes: string[]): Promise<Map<string, ExistingRow>> {
  const out = new Map<string, ExistingRow>();
  if (!codes.length) return out;
  const res = await sql<ExistingRow & { code: string }>`
    SELECT id, code, level, district_id, street_id, geom::text AS geom
    FROM region WHERE valid_to IS NULL AND code IN (${sql.join(codes)})`.execute(db);
  for (const r of res.rows) out.set(r.code, r);
  return out;
}

async function maxVersionByCode(db: Kysely<DB>, codes: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!codes.length) return out;
  const res = await sql<{ code: string; v: number }>`
    SELECT code, max(version) AS v FROM region WHERE code IN (${sql.join(codes)}) GROUP BY code`.execute(db);
  for (const r of res.rows) out.set(r.code, Number(r.v));
  return out;
}

function sortProblems(problems: ImportProblem[]): ImportProblem[] {
  const rank = { csv: 0, geojson: 1, database: 2 };
  return [...problems].sort((a, b) => rank[a.source] - rank[b.source] || (a.line ?? a.feature ?? 0) - (b.line ?? b.feature ?? 0));
}

/** The parent minus the children that have their own polygons; null when nothing is left. */
async function remainder(db: Kysely<DB>, parent: string, own: string[]): Promise<string | null> {
  if (!own.length) return parent;
  const row = await oneRow(
    db,
    sql<{ g: string | null }>`
      SELECT CASE WHEN ST_Area(d) > 0 THEN ST_Multi(ST_CollectionExtract(d, 3))::text END AS g
      FROM (SELECT ST_Difference(${parent}::geometry,
                                 (SELECT ST_Union(u.g, ${PRECISION_DEG}::float8) FROM unnest(ARRAY[${sql.join(own.map((g) => sql`${g}::geometry`))}]) AS u(g)),
                                 ${PRECISION_DEG}::float8) AS d) x`,
    'remainder',
  );
  return row.g;
}

const PROBES = 12;
const ROUNDS = 3;

/**
 * Cuts a polygon (hex EWKB) into `n` cells of equal area that tile it exactly:
 * recursive bisection, each cut a straight line across the longer side (in metres) of
 * the part's bounding box, placed so the two sides get floor(n/2) : ceil(n/2) of the
 * area. Cells come back west→east / north→south, so code order reads like a map.
 * Both sides of a cut are fixed-precision intersections with half-planes that share the
 * cut coordinate, so there is no gap and no overlap beyond the cut line itself.
 */
export async function partition(db: Kysely<DB>, geom: string, n: number): Promise<string[]> {
  if (n <= 1) return [geom];
  const k = Math.floor(n / 2);
  const b = await oneRow(
    db,
    sql<{ xmin: number; ymin: number; xmax: number; ymax: number; area: number }>`
      SELECT ST_XMin(g) AS xmin, ST_YMin(g) AS ymin, ST_XMax(g) AS xmax, ST_YMax(g) AS ymax, ST_Area(g) AS area
      FROM (SELECT ${geom}::geometry AS g) x`,
    'bounds',
  );
  const { kx, ky } = metresPerDegree((b.ymin + b.ymax) / 2);
  const alongX = (b.xmax - b.xmin) * kx >= (b.ymax - b.ymin) * ky;
  const want = (b.area * k) / n;
  // The "first" side is west of the cut when cutting along x, north of it along y.
  const firstSide = (cut: RawBuilder<unknown> | number) =>
    alongX
      ? sql`ST_MakeEnvelope(${b.xmin - 1}::float8, ${b.ymin - 1}::float8, ${cut}::float8, ${b.ymax + 1}::float8, 4326)`
      : sql`ST_MakeEnvelope(${b.xmin - 1}::float8, ${cut}::float8, ${b.xmax + 1}::float8, ${b.ymax + 1}::float8, 4326)`;
  const secondSide = (cut: number) =>
    alongX
      ? sql`ST_MakeEnvelope(${cut}::float8, ${b.ymin - 1}::float8, ${b.xmax + 1}::float8, ${b.ymax + 1}::float8, 4326)`
      : sql`ST_MakeEnvelope(${b.xmin - 1}::float8, ${b.ymin - 1}::float8, ${b.xmax + 1}::float8, ${cut}::float8, 4326)`;
  // Search in "distance from the first edge", where the first side's area grows with t.
  let lo = 0;
  let hi = alongX ? b.xmax - b.xmin : b.ymax - b.ymin;
  let aLo = 0;
  let aHi = b.area;
  const cutAt = (t: number) => (alongX ? b.xmin + t : b.ymax - t);
  for (let round = 0; round < ROUNDS; round++) {
    const ts = Array.from({ length: PROBES }, (_, i) => lo + ((hi - lo) * (i + 1)) / (PROBES + 1));
    const res = await sql<{ i: number; a: number }>`
      SELECT p.i, ST_Area(ST_Intersection(x.g, ${firstSide(sql`p.cut`)}, ${PRECISION_DEG}::float8)) AS a
      FROM (SELECT ${geom}::geometry AS g) x,
           unnest(${sql.val(ts.map(cutAt))}::float8[]) WITH ORDINALITY AS p(cut, i)
      ORDER BY p.i`.execute(db);
    if (res.rows.length !== PROBES) throw geometryFailure('partition');
    const areas = res.rows.map((r) => Number(r.a));
    let j = areas.findIndex((a) => a >= want);
    if (j < 0) j = PROBES;
    if (j > 0) [lo, aLo] = [ts[j - 1] as number, areas[j - 1] as number];
    if (j < PROBES) [hi, aHi] = [ts[j] as number, areas[j] as number];
  }
  // Linear interpolation inside the last bracket.
  const cut = cutAt(aHi > aLo ? lo + ((want - aLo) / (aHi - aLo)) * (hi - lo) : (lo + hi) / 2);
  const h = await oneRow(
    db,
    sql<{ a: string; b: string; areaA: number; areaB: number }>`
      SELECT ST_Multi(ST_CollectionExtract(a, 3))::text AS a, ST_Multi(ST_CollectionExtract(b, 3))::text AS b,
             ST_Area(a) AS area_a, ST_Area(b) AS area_b
      FROM (SELECT ST_Intersection(g, ${firstSide(cut)}, ${PRECISION_DEG}::float8) AS a,
                   ST_Intersection(g, ${secondSide(cut)}, ${PRECISION_DEG}::float8) AS b
            FROM (SELECT ${geom}::geometry AS g) x) y`,
    'partition',
  );
  if (!(h.areaA > 0 && h.areaB > 0) || Math.abs(h.areaA + h.areaB - b.area) > b.area * 1e-6) throw geometryFailure('partition');
  return [...(await partition(db, h.a, k)), ...(await partition(db, h.b, n - k))];
}
