import type { CoordSys, RegionLevel } from '@cityloop/shared';
import { regionCodePattern } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { badRequest, notFound, unprocessable } from '../../errors.ts';
import { CachedBody } from '../../lib/cached-body.ts';
import { toWgs84 } from '../../lib/coords.ts';
import { GridLocator } from './regions.locator.ts';
import { type GridWithAncestors, type RegionRow, RegionsRepository } from './regions.repository.ts';

/** A point on a shared boundary or this close outside the city still gets a grid. */
export const LOCATE_TOLERANCE_M = 5;

export interface TreeNode extends RegionRow {
  gridCount: number;
  children: TreeNode[];
}

export interface Located {
  point: [number, number];
  distanceM: number;
  grid: { id: number; code: string; name: string };
  community: { id: number; code: string; name: string } | null;
  street: { id: number; code: string; name: string } | null;
  district: { id: number; code: string; name: string } | null;
}

/** The current unit grids in memory, as read at one region revision. */
export interface InMemoryGrids {
  revision: bigint;
  locator: GridLocator;
  byId: Map<number, GridWithAncestors>;
}

/** Which outlines geojson() draws: one level, optionally under a region, in a box, simplified. */
export interface OutlineFilter {
  level: RegionLevel;
  parentId?: number;
  bbox?: number[];
  tolerance?: number;
}

/** The city model: district → street → community → unit grid, beats, point → grid. */
export class RegionsService {
  readonly repo: RegionsRepository;
  constructor(private readonly ctx: Context) {
    this.repo = new RegionsRepository(ctx.db);
  }

  async tree(): Promise<TreeNode[]> {
    const rows = await this.repo.treeRows();
    const byId = new Map<number, TreeNode>();
    for (const r of rows) byId.set(r.id, { ...r, gridCount: Number(r.gridCount), children: [] });
    const roots: TreeNode[] = [];
    for (const node of byId.values()) {
      const parent = node.parentId ? byId.get(node.parentId) : undefined;
      if (parent) parent.children.push(node);
      else roots.push(node);
    }
    return roots;
  }

  async list(filter: { level?: RegionLevel; parentId?: number; q?: string; limit: number; offset: number }) {
    const [items, total] = await Promise.all([this.repo.list(filter), this.repo.count(filter)]);
    return { items, total };
  }

  async get(id: number) {
    const row = await this.repo.get(id);
    if (!row) throw notFound('region_not_found', `区域 ${id} 不存在 / Region ${id} does not exist`);
    const history = await this.repo.history(row.code);
    return { ...row, history };
  }

  geojson(filter: OutlineFilter) {
    if (filter.bbox && (filter.bbox.length !== 4 || filter.bbox[0]! > filter.bbox[2]! || filter.bbox[1]! > filter.bbox[3]!)) {
      throw badRequest('invalid_bbox', 'bbox 应为 minLng,minLat,maxLng,maxLat / bbox must be minLng,minLat,maxLng,maxLat');
    }
    return this.repo.geojson(filter);
  }

  /** geojson() answers by filter, each kept while the region revision stays where it was read. */
  readonly #outlines = new Map<string, { revision: bigint; body: Promise<CachedBody> }>();

  /**
   * geojson() as a response body kept until the next region edit: every console map asks for
   * the city's outlines as it opens, and on PGlite building them holds the only database
   * thread. The entity tag is the region revision, so a browser holding this version gets a 304.
   */
  async outlines(filter: OutlineFilter): Promise<CachedBody> {
    const revision = await this.#freshRevision();
    const key = JSON.stringify([filter.level, filter.parentId ?? null, filter.bbox ?? null, filter.tolerance ?? null]);
    const hit = this.#outlines.get(key);
    if (hit && hit.revision === revision) return hit.body;
    // Read after the revision: the body is at least as new as the revision it is kept under.
    const body = this.geojson(filter).then((fc) => new CachedBody(fc, `W/"regions-${revision}"`));
    if (this.#outlines.size >= 64) this.#outlines.delete(this.#outlines.keys().next().value as string);
    this.#outlines.set(key, { revision, body });
    body.catch(() => {
      if (this.#outlines.get(key)?.body === body) this.#outlines.delete(key);
    });
    return body;
  }

  /**
   * Point → grid, community, street, district. Exact hit first (indexed ST_Intersects);
   * otherwise the nearest grid if it is within LOCATE_TOLERANCE_M metres.
   */
  async locate(lng: number, lat: number, coordSys: CoordSys = 'wgs84'): Promise<Located> {
    const found = await this.tryLocate(lng, lat, coordSys);
    if (!found) {
      throw notFound('location_outside_city', `坐标 (${lng}, ${lat}) 不在任何单元网格内 / The point is not in any unit grid of the city`, {
        lng,
        lat,
        coordSys,
      });
    }
    return found;
  }

  /**
   * Like locate(), but null when the point is outside the city. The grids are kept in memory
   * (GridLocator) and checked against the region revision first, so an edit committed before
   * this call, by any process, is always seen; only points on or next to a grid edge, and
   * points outside every grid, go to PostGIS.
   */
  async tryLocate(lng: number, lat: number, coordSys: CoordSys = 'wgs84'): Promise<Located | null> {
    const [x, y] = toWgs84(lng, lat, coordSys);
    const grids = await this.currentGrids();
    const placed = grids.locator.place(x, y);
    let g: GridWithAncestors | null | undefined =
      typeof placed === 'number'
        ? grids.byId.get(placed)
        : placed === 'edge'
          ? await this.repo.gridWithAncestors({ lng: x, lat: y })
          : null;
    let distanceM = 0;
    if (!g) {
      const near = await this.repo.nearestGrid(x, y);
      if (!near || near.distance > LOCATE_TOLERANCE_M) return null;
      distanceM = Math.round(near.distance * 100) / 100;
      g = grids.byId.get(near.id) ?? (await this.repo.gridWithAncestors(near.id));
    }
    if (!g) return null;
    const ref = (id: number | null, code: string | null, name: string | null) =>
      id === null ? null : { id, code: code as string, name: name as string };
    return {
      point: [x, y],
      distanceM,
      grid: { id: g.gridId, code: g.gridCode, name: g.gridName },
      community: ref(g.communityId, g.communityCode, g.communityName),
      street: ref(g.streetId, g.streetCode, g.streetName),
      district: ref(g.districtId, g.districtCode, g.districtName),
    };
  }

  #grids: InMemoryGrids | null = null;
  #loading: Promise<InMemoryGrids> | null = null;
  #revisionInFlight: Promise<bigint> | null = null;
  #revisionNext: Promise<bigint> | null = null;

  /** The in-memory grids at the database's current region revision (reloaded when it moved). */
  async currentGrids(): Promise<InMemoryGrids> {
    const revision = await this.#freshRevision();
    while (!this.#grids || this.#grids.revision < revision) {
      this.#loading ??= this.repo
        .currentGridsWithAncestors()
        .then(({ revision: r, grids }) => {
          const loaded: InMemoryGrids = {
            revision: BigInt(r),
            locator: new GridLocator(grids.map((g) => ({ id: g.gridId, geometry: JSON.parse(g.geometry) }))),
            byId: new Map(grids.map(({ geometry: _g, ...a }) => [a.gridId, a])),
          };
          if (!this.#grids || this.#grids.revision < loaded.revision) this.#grids = loaded;
          return loaded;
        })
        .finally(() => {
          this.#loading = null;
        });
      await this.#loading;
    }
    return this.#grids;
  }

  /**
   * The region revision read by a query sent after this call: concurrent callers share one
   * read, and a caller arriving while one is on its way waits for the next (the one in flight
   * may predate a commit it must see). One cheap round trip for a whole burst of reports.
   */
  #freshRevision(): Promise<bigint> {
    if (!this.#revisionInFlight) {
      this.#revisionInFlight = this.repo
        .revision()
        .then(BigInt)
        .finally(() => {
          this.#revisionInFlight = null;
        });
      return this.#revisionInFlight;
    }
    this.#revisionNext ??= this.#revisionInFlight
      .catch(() => undefined)
      .then(() => {
        this.#revisionNext = null;
        return this.#freshRevision();
      });
    return this.#revisionNext;
  }

  /**
   * Replaces a region's boundary: validates it, closes the current version and inserts the
   * next one with the same code (grids are versioned, never deleted). Audited.
   */
  async updateGeometry(id: number, geometry: { type: string; coordinates: unknown }, actorId: number | null) {
    const current = await this.repo.get(id);
    if (!current || current.validTo)
      throw notFound('region_not_found', `区域 ${id} 不存在或已是历史版本 / Region ${id} is not a current region`);
    if (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon') {
      throw unprocessable(
        'geometry_wrong_type',
        `区域边界必须是面 / A region boundary must be a Polygon or MultiPolygon, got ${geometry.type}`,
      );
    }
    const geojson = JSON.stringify(geometry);
    await this.assertValidPolygon(geojson);
    if (current.level === 'grid') await this.assertGridFits(current.id, current.communityId, geojson);
    return this.ctx.database.transaction(async (tx) => {
      await this.repo.close(id, tx.db);
      const newId = await this.repo.insert(
        {
          level: current.level,
          code: current.code,
          name: current.name,
          parentId: current.parentId,
          districtId: current.districtId,
          streetId: current.streetId,
          communityId: current.communityId,
          geojson,
          version: current.version + 1,
          properties: current.properties as Record<string, unknown>,
        },
        tx.db,
      );
      await this.ctx.services.audit.record(
        {
          actorId,
          action: 'region.geometry',
          entity: 'region',
          entityId: current.code,
          before: { id, geometry: current.geometry },
          after: { id: newId, geometry },
        },
        tx.db,
      );
      return newId;
    });
  }

  async assertValidPolygon(geojson: string) {
    let check: Awaited<ReturnType<RegionsRepository['checkGeometry']>>;
    try {
      check = await this.repo.checkGeometry(geojson);
    } catch (err) {
      throw unprocessable('geometry_invalid', `几何无法解析 / The geometry cannot be parsed: ${(err as Error).message}`);
    }
    if (!check?.valid) throw unprocessable('geometry_invalid', `几何无效 / Invalid geometry: ${check?.reason}`);
    if (!/POLYGON/i.test(check.type)) throw unprocessable('geometry_wrong_type', `需要面 / Expected a polygon, got ${check.type}`);
    if (!check.inRange)
      throw unprocessable('geometry_out_of_range', '坐标超出经纬度范围 / Coordinates must be longitude/latitude in degrees (WGS 84)');
  }

  /**
   * A grid must stay inside its community and must not overlap the other current grids
   * (1 m² of slack for floating-point edges).
   */
  async assertGridFits(gridId: number, communityId: number | null, geojson: string) {
    const fit = await this.repo.gridFit(gridId, communityId, geojson);
    if (fit.outsideM2 > 1) {
      throw unprocessable(
        'grid_outside_community',
        `网格超出所属社区约 ${Math.round(fit.outsideM2)} 平方米 / The grid reaches ${Math.round(fit.outsideM2)} m² outside its community`,
      );
    }
    if (fit.overlaps.length > 0) {
      throw unprocessable('grid_overlaps', `网格与 ${fit.overlaps.join('、')} 重叠 / The grid overlaps ${fit.overlaps.join(', ')}`, {
        overlaps: fit.overlaps,
      });
    }
  }

  /** Validates a region code against its level's pattern and the city's grid code length. */
  async assertCode(level: RegionLevel, code: string) {
    const digits = (await this.ctx.services.settings.get()).gridCodeDigits;
    if (!regionCodePattern(level, digits).test(code)) {
      throw unprocessable(
        'region_code_invalid',
        `${level} 编码 ${code} 不符合规则 / ${level} code ${code} does not match the ${level === 'grid' ? `${digits}-digit grid` : level} pattern`,
      );
    }
  }

  listBeats() {
    return this.repo.listBeats();
  }

  async beat(id: number) {
    const beats = await this.repo.listBeats();
    const beat = beats.find((b) => b.id === id);
    if (!beat) throw notFound('beat_not_found', `责任网格 ${id} 不存在 / Beat ${id} does not exist`);
    return { ...beat, gridIds: await this.repo.beatGrids(id) };
  }

  /**
   * Sets a beat's unit grids (and optionally its inspector). A grid belongs to one beat at a
   * time: grids taken from another beat are reported as moved. Audited.
   */
  async setBeat(id: number, input: { gridIds: number[]; inspectorId?: number | null }, actorId: number | null) {
    const before = await this.beat(id);
    const gridIds = [...new Set(input.gridIds)];
    const found = await this.ctx.db
      .selectFrom('region')
      .select('id')
      .where('id', 'in', gridIds.length ? gridIds : [-1])
      .where('level', '=', 'grid')
      .where('validTo', 'is', null)
      .execute();
    const missing = gridIds.filter((g) => !found.some((f) => f.id === g));
    if (missing.length > 0)
      throw unprocessable('grid_not_found', `网格不存在或已停用: ${missing.join(', ')} / Not current unit grids: ${missing.join(', ')}`, {
        missing,
      });
    if (input.inspectorId) {
      const insp = await this.ctx.db
        .selectFrom('personRole')
        .select('personId')
        .where('personId', '=', input.inspectorId)
        .where('role', '=', 'inspector')
        .executeTakeFirst();
      if (!insp)
        throw unprocessable('not_an_inspector', `人员 ${input.inspectorId} 不是监督员 / Person ${input.inspectorId} is not an inspector`);
    }
    const moved = await this.ctx.database.transaction(async (tx) => {
      const taken = gridIds.length
        ? await tx.db.selectFrom('beatGrid').select(['gridId', 'beatId']).where('gridId', 'in', gridIds).where('beatId', '<>', id).execute()
        : [];
      if (taken.length)
        await tx.db
          .deleteFrom('beatGrid')
          .where(
            'gridId',
            'in',
            taken.map((x) => x.gridId),
          )
          .execute();
      await tx.db.deleteFrom('beatGrid').where('beatId', '=', id).execute();
      if (gridIds.length)
        await tx.db
          .insertInto('beatGrid')
          .values(gridIds.map((gridId) => ({ beatId: id, gridId })))
          .execute();
      if (input.inspectorId !== undefined)
        await tx.db.updateTable('beat').set({ inspectorId: input.inspectorId }).where('id', '=', id).execute();
      return taken;
    });
    const after = await this.beat(id);
    await this.ctx.services.audit.record({
      actorId,
      action: 'beat.update',
      entity: 'beat',
      entityId: id,
      before,
      after: { ...after, moved },
    });
    return { ...after, moved };
  }
}
