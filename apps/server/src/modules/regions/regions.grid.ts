import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Context } from '../../context.ts';
import type { DB } from '../../db/schema.ts';
import { AppError, badRequest, conflict, notFound, unprocessable } from '../../errors.ts';

/**
 * `cityloop grid`: cuts every current community (or street, for a city without
 * communities) into unit grids (单元网格) of about `targetAreaM2`.
 *
 * Method, per parent:
 * 1. A square lattice of side √target metres (ST_SquareGrid) is laid in a local metric
 *    approximation of the parent (longitude and latitude scaled by the metres per
 *    degree at the parent's mid-latitude), anchored at the north-west corner of the
 *    parent's bounding box, scaled back to degrees, and intersected with the parent in
 *    WGS 84. Squares wholly inside the parent are only snapped to the same precision
 *    (through the same overlay code, so shared edges match exactly: ST_ReducePrecision
 *    rounds differently in GEOS 3.11); the pieces are split into single polygons.
 * 2. Slivers — pieces under SLIVER_RATIO × target — join the neighbour in the same
 *    parent with which they share the longest edge (repeated, so chains of slivers
 *    resolve). A sliver touching nothing of its parent (a small island) joins the
 *    nearest grid of the parent; a parent with no full-size piece becomes one grid.
 * 3. Grids never cross their parent, and the grids of a parent union to the parent:
 *    every piece is an intersection with the parent and lattice squares share edges.
 *
 * Codes: the 12-digit community code + serial (2 digits for a 14-digit city, 3 for a
 * 15-digit one). A street parent uses the community segment '000', i.e. street code +
 * '000' + serial. Serials run north→south by lattice row and west→east within a row.
 * A parent that would need more serials than the code has room for is refused, with
 * the smallest target size that fits.
 *
 * Existing grids of a parent are kept unless `replace` is set; then their current
 * versions are closed (valid_to) and the new grids inserted (version + 1 where a code
 * existed before). Nothing is deleted. All parents are done in one transaction.
 */

/** Metres per degree of longitude and latitude at a latitude (WGS 84 ellipsoid, series). */
export function metresPerDegree(latDeg: number): { kx: number; ky: number } {
  const p = (latDeg * Math.PI) / 180;
  return {
    kx: 111412.84 * Math.cos(p) - 93.5 * Math.cos(3 * p) + 0.118 * Math.cos(5 * p),
    ky: 111132.92 - 559.82 * Math.cos(2 * p) + 1.175 * Math.cos(4 * p) - 0.0023 * Math.cos(6 * p),
  };
}

export const SLIVER_RATIO = 0.3;

/**
 * Overlays (intersection, difference, union) run with a fixed precision of 1e-9 degrees
 * (about 0.1 mm): snap-rounding overlay cannot fail on nearly coincident edges. This
 * matters beyond robustness: PGlite's PostGIS build does not report a GEOS exception as
 * an error — the statement just returns no rows — so a floating-precision overlay that
 * fails there would silently drop grids. Every statement below is also checked.
 */
export const PRECISION_DEG = 1e-9;

/** A geometry statement that returned nothing or lost area: never let it pass silently. */
export function geometryFailure(step: string, details?: unknown) {
  return new AppError(
    500,
    'geometry_engine_failure',
    `几何运算失败（${step}），未写入任何数据 / A geometry operation failed (${step}); nothing was written`,
    details,
  );
}

/** Runs a query that must return exactly one row. */
export async function oneRow<T>(db: Kysely<DB>, query: RawBuilder<T>, step: string): Promise<T> {
  const res = await query.execute(db);
  const row = res.rows[0];
  if (!row) throw geometryFailure(step);
  return row;
}

export const MIN_TARGET_M2 = 100;
export const MAX_TARGET_M2 = 100_000_000;

export interface SubdivideOptions {
  /** Parent level; by default communities when the selection has any, else streets. */
  level?: 'community' | 'street';
  targetAreaM2?: number;
  /** Only parents whose code starts with this prefix. */
  codePrefix?: string;
  /** Close existing grids of the selected parents instead of refusing. */
  replace?: boolean;
  actorId?: number | null;
  log?: (msg: string) => void;
}

export interface SubdivideSummary {
  level: 'community' | 'street';
  targetAreaM2: number;
  parents: number;
  grids: number;
  /** Grids of earlier versions closed by `replace`. */
  closed: number;
  /** Pieces under the sliver threshold merged into a neighbour. */
  sliversMerged: number;
  minAreaM2: number;
  meanAreaM2: number;
  maxAreaM2: number;
  byParent: Array<{ code: string; name: string; grids: number }>;
  warnings: string[];
  seconds: number;
}

interface Parent {
  id: number;
  code: string;
  name: string;
  districtId: number | null;
  streetId: number | null;
  areaM2: number;
  midLat: number;
}

export async function subdivideGrids(ctx: Context, opts: SubdivideOptions = {}): Promise<SubdivideSummary> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const target = opts.targetAreaM2 ?? 10_000;
  if (!Number.isFinite(target) || target < MIN_TARGET_M2 || target > MAX_TARGET_M2) {
    throw badRequest(
      'grid_size_invalid',
      `网格面积应在 ${MIN_TARGET_M2}–${MAX_TARGET_M2} 平方米之间 / The grid size must be between ${MIN_TARGET_M2} and ${MAX_TARGET_M2} m²`,
    );
  }
  const prefix = opts.codePrefix ?? '';
  if (!/^\d*$/.test(prefix)) throw badRequest('code_prefix_invalid', `编码前缀只能是数字 / The code prefix must be digits: "${prefix}"`);
  const digits = (await ctx.services.settings.get()).gridCodeDigits;
  const serialDigits = digits - 12;
  const maxSerial = 10 ** serialDigits - 1;

  const level = opts.level ?? ((await countCurrent(ctx.db, 'community', prefix)) > 0 ? 'community' : 'street');
  const warnings: string[] = [];
  if (level === 'community') {
    const bare = await sql<{ code: string }>`
      SELECT s.code FROM region s
      WHERE s.valid_to IS NULL AND s.level = 'street' AND (s.code LIKE ${`${prefix}%`} OR ${prefix} LIKE s.code || '%')
        AND NOT EXISTS (SELECT 1 FROM region c WHERE c.parent_id = s.id AND c.valid_to IS NULL AND c.level = 'community')
      ORDER BY s.code`.execute(ctx.db);
    if (bare.rows.length) {
      const codes = bare.rows.map((r) => r.code);
      warnings.push(
        `${codes.length} 个街道没有社区，未划分网格（可用 --level street --code <街道编码>）/ ${codes.length} street(s) have no communities and were not subdivided (use --level street --code <street>): ${codes.slice(0, 10).join(', ')}${codes.length > 10 ? ', …' : ''}`,
      );
    }
  }
  const parents = await selectParents(ctx.db, level, prefix);
  if (!parents.length) {
    throw notFound(
      'grid_parents_not_found',
      `没有编码以 "${prefix}" 开头的现行${level === 'community' ? '社区' : '街道'} / No current ${level} has a code starting with "${prefix}"`,
    );
  }
  const codeLen = level === 'community' ? 12 : 9;
  const badCodes = parents.filter((p) => !new RegExp(`^\\d{${codeLen}}$`).test(p.code));
  if (badCodes.length) {
    throw unprocessable(
      'grid_parent_code_invalid',
      `上级编码不是 ${codeLen} 位数字，无法生成网格编码 / Parent codes must have ${codeLen} digits to build grid codes`,
      {
        codes: badCodes.map((p) => p.code),
      },
    );
  }
  if (level === 'street') {
    const withCommunities = await sql<{ code: string }>`
      SELECT DISTINCT s.code FROM region s JOIN region c ON c.parent_id = s.id AND c.valid_to IS NULL AND c.level = 'community'
      WHERE s.id IN (${sql.join(parents.map((p) => p.id))}) ORDER BY s.code`.execute(ctx.db);
    if (withCommunities.rows.length) {
      throw conflict(
        'street_has_communities',
        `这些街道下有社区，请按社区划分网格（--level community）/ These streets have communities; subdivide the communities instead (--level community)`,
        {
          codes: withCommunities.rows.map((r) => r.code),
        },
      );
    }
  }
  // Room in the code: refuse before any geometry work when the estimate already overflows.
  const tooBig = parents.filter((p) => p.areaM2 / target > maxSerial);
  if (tooBig.length)
    throw serialOverflow(
      tooBig.map((p) => ({ code: p.code, grids: Math.ceil(p.areaM2 / target), areaM2: p.areaM2 })),
      maxSerial,
      digits,
    );

  const existing = await sql<{ parentId: number; n: number }>`
    SELECT p.id AS parent_id, count(*)::int AS n FROM region g JOIN region p ON p.id IN (${sql.join(parents.map((x) => x.id))})
      AND (g.parent_id = p.id OR g.${sql.ref(level === 'street' ? 'street_id' : 'community_id')} = p.id)
    WHERE g.level = 'grid' AND g.valid_to IS NULL GROUP BY p.id`.execute(ctx.db);
  if (existing.rows.length && !opts.replace) {
    const byId = new Map(parents.map((p) => [p.id, p]));
    throw conflict(
      'grids_exist',
      `${existing.rows.length} 个上级已有网格；如需重新划分请加 --replace（旧网格保留为历史版本）/ ${existing.rows.length} parent(s) already have grids; use --replace to close them and subdivide again (old versions are kept)`,
      {
        parents: existing.rows.map((r) => ({ code: byId.get(r.parentId)?.code, grids: r.n })),
      },
    );
  }

  const summary: SubdivideSummary = {
    level,
    targetAreaM2: target,
    parents: parents.length,
    grids: 0,
    closed: 0,
    sliversMerged: 0,
    minAreaM2: 0,
    meanAreaM2: 0,
    maxAreaM2: 0,
    byParent: [],
    warnings,
    seconds: 0,
  };
  const side = Math.sqrt(target);

  await ctx.database.transaction(async (tx) => {
    const db = tx.db;
    await sql`CREATE TEMP TABLE grid_piece (
        pid serial PRIMARY KEY, parent_id bigint NOT NULL, i integer NOT NULL, j integer NOT NULL,
        geom geometry NOT NULL, area double precision NOT NULL, target integer
      ) ON COMMIT DROP`.execute(db);

    // 1. Lattice ∩ parent, one parent at a time.
    for (const [n, p] of parents.entries()) {
      const { kx, ky } = metresPerDegree(p.midLat);
      const t0 = Date.now();
      const pieces = await affected(
        db,
        sql`
        INSERT INTO grid_piece (parent_id, i, j, geom, area)
        SELECT ${p.id}, sq.i, sq.j, d.geom, ST_Area(d.geom) * ${kx * ky}::float8
        FROM (SELECT geom AS pg, ST_XMin(geom) AS x0, ST_YMax(geom) AS y0 FROM region WHERE id = ${p.id}) p
        CROSS JOIN LATERAL ST_SquareGrid(${side}::float8, ST_Scale(ST_Translate(p.pg, -p.x0, -p.y0), ${kx}::float8, ${ky}::float8)) sq
        CROSS JOIN LATERAL (SELECT ST_Translate(ST_Scale(sq.geom, ${1 / kx}::float8, ${1 / ky}::float8), p.x0, p.y0) AS cell) c
        CROSS JOIN LATERAL ST_Dump(CASE WHEN ST_Contains(p.pg, c.cell) THEN ST_Intersection(c.cell, c.cell, ${PRECISION_DEG}::float8)
                                        ELSE ST_CollectionExtract(ST_Intersection(p.pg, c.cell, ${PRECISION_DEG}::float8), 3) END) d
        WHERE ST_Intersects(p.pg, c.cell) AND ST_Area(d.geom) > 0
        RETURNING 1`,
      );
      const check = await oneRow(
        db,
        sql<{ pieces: number | null; parent: number }>`
          SELECT (SELECT sum(ST_Area(geom)) FROM grid_piece WHERE parent_id = ${p.id}) AS pieces, ST_Area(geom) AS parent
          FROM region WHERE id = ${p.id}`,
        'lattice',
      );
      if (!(Math.abs((check.pieces ?? 0) - check.parent) <= check.parent * 1e-6)) {
        throw geometryFailure('lattice', { code: p.code, piecesArea: check.pieces, parentArea: check.parent });
      }
      log(`[${n + 1}/${parents.length}] ${p.code} ${p.name}: ${pieces} pieces in ${Date.now() - t0} ms`);
    }
    await sql`CREATE INDEX grid_piece_geom ON grid_piece USING gist (geom)`.execute(db);
    await sql`CREATE INDEX grid_piece_parent ON grid_piece (parent_id)`.execute(db);

    log(`lattice ∩ parents: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // 2. Full-size pieces are grids of their own; slivers join a neighbour.
    await sql`UPDATE grid_piece SET target = pid WHERE area >= ${target * SLIVER_RATIO}::float8`.execute(db);
    // Statistics after the update: the planner must see that few pieces are left unassigned.
    await sql`ANALYZE grid_piece`.execute(db);
    for (let round = 0; round < 10_000; round++) {
      const tm = Date.now();
      const byEdge = await mergeByLongestEdge(db);
      log(`merge round ${round}: ${byEdge} in ${Date.now() - tm} ms`);
      if (byEdge > 0) continue;
      const left = await scalar(db, sql`SELECT count(*)::int AS v FROM grid_piece WHERE target IS NULL`);
      if (left === 0) break;
      // Islands: the nearest grid of the same parent; a parent with no grid yet keeps its largest piece.
      const near = await affected(
        db,
        sql`
        UPDATE grid_piece g SET target = x.t FROM (
          SELECT l.pid, (SELECT n.target FROM grid_piece n WHERE n.parent_id = l.parent_id AND n.target IS NOT NULL
                         ORDER BY n.geom <-> l.geom, n.pid LIMIT 1) AS t
          FROM grid_piece l WHERE l.target IS NULL) x
        WHERE g.pid = x.pid AND x.t IS NOT NULL
        RETURNING 1`,
      );
      if (near > 0) continue;
      await sql`
        UPDATE grid_piece g SET target = g.pid FROM (
          SELECT DISTINCT ON (parent_id) pid FROM grid_piece WHERE target IS NULL ORDER BY parent_id, area DESC, pid) x
        WHERE g.pid = x.pid`.execute(db);
    }
    summary.sliversMerged = await scalar(db, sql`SELECT count(*)::int AS v FROM grid_piece WHERE target <> pid`);
    log(`slivers merged: ${summary.sliversMerged} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

    // 3. One grid per target; serials by lattice row (north first), then column (west first).
    await sql`CREATE TEMP TABLE grid_new ON COMMIT DROP AS
      SELECT u.parent_id, u.geom,
             row_number() OVER (PARTITION BY u.parent_id ORDER BY t.j DESC, t.i, ST_Y(ST_PointOnSurface(t.geom)) DESC, ST_X(ST_PointOnSurface(t.geom)), t.pid) AS serial
      FROM (SELECT parent_id, target, ST_Multi(ST_CollectionExtract(ST_Union(geom, ${PRECISION_DEG}::float8), 3)) AS geom
            FROM grid_piece GROUP BY parent_id, target) u
      JOIN grid_piece t ON t.pid = u.target`.execute(db);
    const made = await oneRow(
      db,
      sql<{ grids: number; targets: number; gridArea: number; pieceArea: number }>`
        SELECT (SELECT count(*)::int FROM grid_new) AS grids, (SELECT count(DISTINCT target)::int FROM grid_piece) AS targets,
               (SELECT coalesce(sum(ST_Area(geom)), 0) FROM grid_new) AS grid_area, (SELECT coalesce(sum(ST_Area(geom)), 0) FROM grid_piece) AS piece_area`,
      'union',
    );
    if (made.grids !== made.targets || Math.abs(made.gridArea - made.pieceArea) > made.pieceArea * 1e-6)
      throw geometryFailure('union', made);
    log(`grids built: ${made.grids} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const counts = await sql<{
      parentId: number;
      n: number;
    }>`SELECT parent_id, count(*)::int AS n FROM grid_new GROUP BY parent_id`.execute(db);
    const countById = new Map(counts.rows.map((r) => [Number(r.parentId), r.n]));
    const overflow = parents.filter((p) => (countById.get(p.id) ?? 0) > maxSerial);
    if (overflow.length) {
      throw serialOverflow(
        overflow.map((p) => ({ code: p.code, grids: countById.get(p.id) ?? 0, areaM2: p.areaM2 })),
        maxSerial,
        digits,
      );
    }

    // 4. Close what is replaced, then insert the new versions.
    if (opts.replace) {
      const ids = sql.join(parents.map((p) => p.id));
      const replaced = sql`
        SELECT g.id FROM region g WHERE g.level = 'grid' AND g.valid_to IS NULL
          AND (g.parent_id IN (${ids}) OR g.${sql.ref(level === 'street' ? 'street_id' : 'community_id')} IN (${ids}))`;
      const beats = await scalar(db, sql`SELECT count(*)::int AS v FROM beat_grid WHERE grid_id IN (${replaced})`);
      const refs = await scalar(
        db,
        sql`SELECT (SELECT count(*) FROM component WHERE grid_id IN (${replaced})) + (SELECT count(*) FROM gazetteer WHERE grid_id IN (${replaced}) AND valid_to IS NULL) AS v`,
      );
      summary.closed = await affected(db, sql`UPDATE region SET valid_to = now() WHERE id IN (${replaced}) RETURNING 1`);
      if (refs) {
        summary.warnings.push(
          `${refs} 个部件/地址仍关联已关闭的网格（历史版本保留），可按位置重新关联 / ${refs} components or gazetteer entries still refer to the closed grids (kept as history); re-link them by location`,
        );
      }
      if (beats)
        summary.warnings.push(
          `${beats} 条责任网格关联指向已关闭的网格，请重新分配 / ${beats} beat assignments point at the closed grids; reassign those beats`,
        );
    }
    const properties = JSON.stringify({ source: 'subdivide', targetAreaM2: target });
    const codeHead = level === 'community' ? sql`p.code` : sql`p.code || '000'`;
    const inserted = await affected(
      db,
      sql`
      INSERT INTO region (level, code, name, parent_id, district_id, street_id, community_id, geom, area_m2, version, properties)
      SELECT 'grid', x.code, x.name, x.parent_id, x.district_id, x.street_id, x.community_id, x.geom, ST_Area(x.geom::geography),
             coalesce((SELECT max(r.version) FROM region r WHERE r.code = x.code), 0) + 1, ${properties}::jsonb
      FROM (
        SELECT ${codeHead} || lpad(n.serial::text, ${serialDigits}, '0') AS code,
               p.name || lpad(n.serial::text, ${serialDigits}, '0') || '号网格' AS name,
               p.id AS parent_id, p.district_id,
               ${level === 'community' ? sql`p.street_id` : sql`p.id`} AS street_id,
               ${level === 'community' ? sql`p.id` : sql`NULL::bigint`} AS community_id,
               n.geom
        FROM grid_new n JOIN region p ON p.id = n.parent_id) x
      RETURNING 1`,
    );
    if (inserted !== made.grids) throw geometryFailure('insert', { inserted, expected: made.grids });
    log(`grids written (${((Date.now() - started) / 1000).toFixed(1)} s)`);

    const stats = await sql<{ n: number; minA: number; meanA: number; maxA: number }>`
      SELECT count(*)::int AS n, min(area_m2) AS min_a, avg(area_m2) AS mean_a, max(area_m2) AS max_a
      FROM region WHERE level = 'grid' AND valid_to IS NULL AND parent_id IN (${sql.join(parents.map((p) => p.id))})`.execute(db);
    const s = stats.rows[0]!;
    summary.grids = s.n;
    summary.minAreaM2 = Math.round(Number(s.minA));
    summary.meanAreaM2 = Math.round(Number(s.meanA));
    summary.maxAreaM2 = Math.round(Number(s.maxA));
    summary.byParent = parents.map((p) => ({ code: p.code, name: p.name, grids: countById.get(p.id) ?? 0 }));
    summary.seconds = (Date.now() - started) / 1000;
    await ctx.services.audit.record(
      {
        actorId: opts.actorId ?? null,
        action: 'region.grid',
        entity: 'region',
        entityId: prefix || null,
        after: { ...summary, byParent: undefined },
      },
      db,
    );
  });
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

/** One round of sliver merging: each unassigned piece joins the assigned neighbour sharing its longest edge. */
async function mergeByLongestEdge(db: Kysely<DB>): Promise<number> {
  return affected(
    db,
    sql`
    UPDATE grid_piece g SET target = b.t FROM (
      SELECT DISTINCT ON (c.pid) c.pid, c.t FROM (
        SELECT s.pid, n.target AS t, n.pid AS npid,
               ST_Length(ST_CollectionExtract(ST_Intersection(s.geom, n.geom, ${PRECISION_DEG}::float8), 2)) AS shared
        FROM grid_piece s JOIN grid_piece n
          ON n.parent_id = s.parent_id AND n.pid <> s.pid AND n.geom && s.geom AND n.target IS NOT NULL
        WHERE s.target IS NULL AND ST_Intersects(s.geom, n.geom)) c
      WHERE c.shared > 0
      ORDER BY c.pid, c.shared DESC, c.npid) b
    WHERE g.pid = b.pid
    RETURNING 1`,
  );
}

function serialOverflow(rows: Array<{ code: string; grids: number; areaM2: number }>, maxSerial: number, digits: number) {
  const minSize = Math.ceil(Math.max(...rows.map((r) => (r.areaM2 / maxSerial) * 1.1)) / 100) * 100;
  return unprocessable(
    'grid_serial_overflow',
    `${rows.length} 个上级需要的网格数超过 ${digits} 位编码的顺序码容量（${maxSerial}）；请加大 --size（至少约 ${minSize} 平方米）或先划分社区 / ${rows.length} parent(s) need more grids than the ${digits}-digit code's serial allows (${maxSerial}); use a larger --size (about ${minSize} m² or more) or add communities first`,
    { parents: rows.map((r) => ({ code: r.code, grids: r.grids })), maxSerial, suggestedSizeM2: minSize },
  );
}

async function scalar(db: Kysely<DB>, query: RawBuilder<unknown>): Promise<number> {
  const res = await query.execute(db);
  return Number((res.rows[0] as { v?: unknown } | undefined)?.v ?? 0);
}

/** Runs an INSERT/UPDATE … RETURNING and counts its rows (portable: PGlite reports no row count for raw SQL). */
export async function affected(db: Kysely<DB>, statement: RawBuilder<unknown>): Promise<number> {
  return scalar(db, sql`WITH x AS (${statement}) SELECT count(*)::int AS v FROM x`);
}

async function countCurrent(db: Kysely<DB>, level: string, prefix: string): Promise<number> {
  return scalar(db, sql`SELECT count(*)::int AS v FROM region WHERE valid_to IS NULL AND level = ${level} AND code LIKE ${`${prefix}%`}`);
}

async function selectParents(db: Kysely<DB>, level: string, prefix: string): Promise<Parent[]> {
  const res = await sql<Parent>`
    SELECT id, code, name, district_id, street_id, area_m2, (ST_YMin(geom) + ST_YMax(geom)) / 2 AS mid_lat
    FROM region WHERE valid_to IS NULL AND level = ${level} AND code LIKE ${`${prefix}%`} ORDER BY code`.execute(db);
  return res.rows.map((r) => ({ ...r, areaM2: Number(r.areaM2), midLat: Number(r.midLat) }));
}
