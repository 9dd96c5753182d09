import { type ComponentStatus, type CoordSys, componentIdEdition, type Edition, parseComponentId } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { badRequest, conflict, forbidden, notFound, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import { checkGeometry, type Geometry, type GeometryKind, isProblem, kindMismatch, toEwkt } from './components.geometry.ts';
import { type ImportOptions, type ImportReport, importComponentsStream } from './components.import.ts';
import {
  BASE_CELL,
  type BBox,
  type ClusterRow,
  type ComponentFilter,
  ComponentsRepository,
  type ComponentValues,
} from './components.repository.ts';

/** At most this many features in one clusters response. */
export const MAX_CLUSTER_FEATURES = 5000;
/** From this zoom on, components are drawn one by one (when they fit under the cap). */
export const SINGLES_ZOOM = 17;

/** What the taxonomy says about a class; `unknown` when the edition's classes are not loaded. */
export type ClassVerdict =
  | { state: 'ok'; name: string; geometryType: GeometryKind | null }
  | { state: 'unknown_class' }
  | { state: 'disabled'; name: string }
  | { state: 'unchecked' };

export interface CreateComponentInput {
  code: string;
  classCode?: string;
  name?: string | null;
  status?: ComponentStatus;
  ownerDepartmentId?: number | null;
  maintainerDepartmentId?: number | null;
  address?: string | null;
  attributes?: Record<string, unknown>;
  geometry: { type: string; coordinates: unknown };
  coordSys?: CoordSys;
  source?: string | null;
}

export interface UpdateComponentInput {
  version: number;
  name?: string | null;
  status?: ComponentStatus;
  ownerDepartmentId?: number | null;
  maintainerDepartmentId?: number | null;
  address?: string | null;
  attributes?: Record<string, unknown>;
  geometry?: { type: string; coordinates: unknown };
  coordSys?: CoordSys;
}

/** Cluster cell size in degrees for a zoom: about 64 px of a 256-px web-mercator tile. */
export function cellSizeForZoom(zoom: number): number {
  return 90 / 2 ** zoom;
}

export function parseBBox(text: string): BBox {
  const b = text.split(',').map(Number);
  const [a, c, d, e] = b as BBox;
  if (b.length !== 4 || b.some((v) => !Number.isFinite(v)) || a > d || c > e || a < -180 || d > 180 || c < -90 || e > 90) {
    throw badRequest(
      'invalid_bbox',
      'bbox 应为 minLng,minLat,maxLng,maxLat（WGS 84 度）/ bbox must be minLng,minLat,maxLng,maxLat in WGS 84 degrees',
    );
  }
  return b as BBox;
}

/** The component census (部件普查): coded items, geometry, status, departments, history. */
export class ComponentsService {
  readonly repo: ComponentsRepository;
  constructor(private readonly ctx: Context) {
    this.repo = new ComponentsRepository(ctx.db);
  }

  // --- reads -------------------------------------------------------------------------

  /** One page (keyset by id). `cursor` is the nextCursor of the previous page. */
  async list(filter: ComponentFilter & { limit: number; cursor?: string }) {
    let after = 0;
    if (filter.cursor !== undefined) {
      after = Number(filter.cursor);
      if (!/^\d+$/.test(filter.cursor) || !Number.isSafeInteger(after)) {
        throw badRequest('invalid_cursor', '分页游标无效 / The cursor is not one this API returned');
      }
    }
    const rows = await this.repo.list(filter, after, filter.limit + 1);
    const more = rows.length > filter.limit;
    const items = more ? rows.slice(0, filter.limit) : rows;
    return { items, nextCursor: more ? String(items[items.length - 1]?.id) : null };
  }

  /**
   * Map clusters as a GeoJSON FeatureCollection. Cells of `cellSizeForZoom(zoom)` degrees,
   * grown (doubled) until the bbox holds at most MAX_CLUSTER_FEATURES of them, so a response
   * is bounded whatever the bbox. From SINGLES_ZOOM on, single components when they fit.
   */
  async clusters(filter: Omit<ComponentFilter, 'bbox'> & { bbox: BBox; zoom: number }) {
    const [minX, minY, maxX, maxY] = filter.bbox;
    let cell = cellSizeForZoom(filter.zoom);
    const cellsIn = (c: number) => (Math.floor(maxX / c) - Math.floor(minX / c) + 1) * (Math.floor(maxY / c) - Math.floor(minY / c) + 1);
    while (cellsIn(cell) > MAX_CLUSTER_FEATURES) cell *= 2;
    // Unfiltered views add up the precomputed cells; filtered ones group the matching components.
    const factor = cell / BASE_CELL;
    const filtered =
      filter.classCode !== undefined ||
      filter.status !== undefined ||
      filter.gridId !== undefined ||
      filter.departmentId !== undefined ||
      filter.q !== undefined;
    let rows: ClusterRow[] =
      !filtered && factor >= 1 && Number.isInteger(factor)
        ? await this.repo.cellClusters(filter.bbox, factor)
        : await this.repo.clusters(filter, cell);
    let mode: 'singles' | 'clusters' = 'clusters';
    if (filter.zoom >= SINGLES_ZOOM && rows.some((r) => r.n > 1)) {
      const inView = rows.reduce((sum, r) => sum + r.n, 0);
      if (inView <= MAX_CLUSTER_FEATURES) {
        rows = await this.repo.points(filter, MAX_CLUSTER_FEATURES);
        mode = 'singles';
      }
    }
    let total = 0;
    const features = rows.map((r) => {
      total += r.n;
      const geometry = { type: 'Point' as const, coordinates: [round7(r.x), round7(r.y)] };
      if (r.n === 1 && r.id !== null) {
        return {
          type: 'Feature' as const,
          id: r.id,
          geometry,
          properties: { count: 1, id: r.id, code: r.code, classCode: r.classCode, className: r.className, status: r.status },
        };
      }
      return { type: 'Feature' as const, geometry, properties: { count: r.n, cell: `${r.cx}:${r.cy}` } };
    });
    return { type: 'FeatureCollection' as const, zoom: filter.zoom, cellSize: mode === 'singles' ? 0 : cell, total, features };
  }

  async get(id: number) {
    const row = await this.repo.get(id);
    if (!row) throw notFound('component_not_found', `部件 ${id} 不存在 / Component ${id} does not exist`);
    return { ...row, history: await this.repo.history(row.id) };
  }

  async getByCode(code: string) {
    const row = await this.repo.getByCode(code);
    if (!row) throw notFound('component_not_found', `部件 ${code} 不存在 / Component ${code} does not exist`);
    return { ...row, history: await this.repo.history(row.id) };
  }

  // --- rules shared by writes and the import -------------------------------------------

  /**
   * The class of a component as the taxonomy module knows it. When the edition's classes
   * are not loaded at all, the code pattern alone has been checked (`unchecked`).
   */
  async classVerdict(edition: Edition, classCode: string): Promise<ClassVerdict> {
    const cls = await this.ctx.services.taxonomy.getClass(edition, 'component', classCode);
    if (cls) {
      if (!cls.active) return { state: 'disabled', name: cls.name };
      return { state: 'ok', name: cls.name, geometryType: cls.geometryType };
    }
    return (await this.repo.editionSeeded(edition)) ? { state: 'unknown_class' } : { state: 'unchecked' };
  }

  /** The department a department admin may write for; null = every department (admin). */
  writeScope(auth: Auth | null): number | null {
    if (!auth) throw forbidden();
    if (auth.roles.some((r) => r.role === 'admin')) return null;
    const role = auth.roles.find((r) => r.role === 'dept_admin');
    const dept = role?.scopeDepartmentId ?? auth.departmentId;
    if (!role || dept === null)
      throw forbidden('只有部门管理员可以维护本部门的部件 / Only a department admin may edit their department’s components');
    return dept;
  }

  private async checkDepartments(...ids: Array<number | null | undefined>) {
    const wanted = [...new Set(ids.filter((v): v is number => typeof v === 'number'))];
    const found = await this.repo.existingDepartments(wanted);
    const missing = wanted.filter((id) => !found.has(id));
    if (missing.length) {
      throw unprocessable('department_unknown', `部门 ${missing.join(', ')} 不存在 / Department ${missing.join(', ')} does not exist`, {
        departmentIds: missing,
      });
    }
  }

  /** Converts, checks and locates a geometry: EWKT plus the unit grid it falls in. */
  private async placeGeometry(
    input: { type: string; coordinates: unknown },
    coordSys: CoordSys,
    classCode: string,
    required: GeometryKind | null,
  ) {
    const checked = checkGeometry(input, coordSys);
    if (isProblem(checked)) throw unprocessable(checked.error, checked.message);
    const wrong = kindMismatch(classCode, required, checked.kind);
    if (wrong) throw unprocessable(wrong.error, wrong.message);
    const ewkt = toEwkt(checked.geometry);
    let point = checked.point;
    if (!point) {
      const pg = await this.repo.inspect(ewkt);
      if (!pg.valid) throw unprocessable('geometry_invalid', `几何无效 / Invalid geometry: ${pg.reason}`);
      point = [pg.x, pg.y];
    }
    let gridId: number | null = null;
    if (await this.repo.hasGrids()) {
      const located = await this.ctx.services.regions.tryLocate(point[0], point[1], 'wgs84');
      if (!located) {
        throw unprocessable(
          'location_outside_city',
          `部件位置 (${point[0]}, ${point[1]}) 不在任何单元网格内 / The component is not inside any unit grid of the city`,
          {
            lng: point[0],
            lat: point[1],
          },
        );
      }
      gridId = located.grid.id;
    }
    return { ewkt, gridId, geometry: checked.geometry };
  }

  // --- writes ----------------------------------------------------------------------------

  /** Creates one component; validated like an import row, recorded in its history. */
  async create(input: CreateComponentInput, auth: Auth | null) {
    const scope = this.writeScope(auth);
    const edition = componentIdEdition(input.code);
    const parsed = edition ? parseComponentId(edition, input.code) : null;
    if (!edition || !parsed) {
      throw unprocessable(
        'component_code_invalid',
        `部件标识码 ${input.code} 应为 16 位（CJ/T 214）或 17 位（GB/T 47678.5）数字 / Component code ${input.code} must be 16 (CJ/T 214) or 17 (GB/T 47678.5) digits`,
      );
    }
    if (input.classCode !== undefined && input.classCode !== parsed.classCode) {
      throw unprocessable(
        'component_class_mismatch',
        `标识码中的小类为 ${parsed.classCode}，与 ${input.classCode} 不符 / The code holds class ${parsed.classCode}, not ${input.classCode}`,
      );
    }
    const verdict = await this.classVerdict(edition, parsed.classCode);
    assertClass(verdict, edition, parsed.classCode);
    const maintainer = input.maintainerDepartmentId ?? scope ?? null;
    if (scope !== null && maintainer !== scope) {
      throw forbidden('部门管理员只能登记本部门养护的部件 / A department admin may only add components their department maintains');
    }
    await this.checkDepartments(input.ownerDepartmentId, maintainer);
    if (await this.repo.codeExists(input.code)) {
      throw conflict('component_code_taken', `部件标识码 ${input.code} 已存在 / Component code ${input.code} already exists`);
    }
    const place = await this.placeGeometry(
      input.geometry,
      input.coordSys ?? 'wgs84',
      parsed.classCode,
      verdict.state === 'ok' ? verdict.geometryType : null,
    );
    const values: ComponentValues = {
      name: input.name ?? null,
      status: input.status ?? 'intact',
      ownerDepartmentId: input.ownerDepartmentId ?? null,
      maintainerDepartmentId: maintainer,
      address: input.address ?? null,
      attributes: input.attributes ?? {},
      ewkt: place.ewkt,
      gridId: place.gridId,
    };
    const actorId = auth?.personId ?? null;
    const id = await this.ctx.database
      .transaction(async (tx) => {
        const newId = await this.repo.insert(
          { ...values, code: input.code, edition, classCode: parsed.classCode, source: input.source ?? 'manual' },
          tx.db,
        );
        await this.repo.addHistory(
          { componentId: newId, changedBy: actorId, action: 'create', before: null, after: snapshot(values, place.geometry) },
          tx.db,
        );
        return newId;
      })
      .catch((err: { code?: string }) => {
        // Two creates of one code racing: the unique index decides.
        if (err?.code === '23505')
          throw conflict('component_code_taken', `部件标识码 ${input.code} 已存在 / Component code ${input.code} already exists`);
        throw err;
      });
    return this.get(id);
  }

  /** Changes a component if `version` is still current (409 otherwise); history keeps before/after. */
  async update(id: number, input: UpdateComponentInput, auth: Auth | null) {
    const scope = this.writeScope(auth);
    const current = await this.repo.get(id);
    if (!current) throw notFound('component_not_found', `部件 ${id} 不存在 / Component ${id} does not exist`);
    if (scope !== null && current.maintainerDepartmentId !== scope) {
      throw forbidden('部门管理员只能维护本部门养护的部件 / A department admin may only edit components their department maintains');
    }
    if (scope !== null && input.maintainerDepartmentId !== undefined && input.maintainerDepartmentId !== scope) {
      throw forbidden('部门管理员不能把部件移交给其他部门 / A department admin cannot hand a component over to another department');
    }
    if (current.version !== input.version) throw versionConflict(id, current.version);

    const set: Partial<ComponentValues> = {};
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    const change = <K extends keyof ComponentValues>(key: K, value: ComponentValues[K] | undefined, old: unknown) => {
      if (value === undefined || JSON.stringify(value) === JSON.stringify(old)) return;
      set[key] = value;
      before[key] = old;
      after[key] = value;
    };
    change('name', input.name, current.name);
    change('status', input.status, current.status);
    change('address', input.address, current.address);
    change('attributes', input.attributes, current.attributes);
    change('ownerDepartmentId', input.ownerDepartmentId, current.ownerDepartmentId);
    change('maintainerDepartmentId', input.maintainerDepartmentId, current.maintainerDepartmentId);
    await this.checkDepartments(set.ownerDepartmentId, set.maintainerDepartmentId);
    if (input.geometry) {
      const edition = current.edition as Edition;
      const verdict = await this.classVerdict(edition, current.classCode);
      const place = await this.placeGeometry(
        input.geometry,
        input.coordSys ?? 'wgs84',
        current.classCode,
        verdict.state === 'ok' ? verdict.geometryType : null,
      );
      if (JSON.stringify(place.geometry) !== JSON.stringify(current.geometry)) {
        set.ewkt = place.ewkt;
        before.geometry = current.geometry;
        after.geometry = place.geometry;
        if (place.gridId !== current.gridId) {
          set.gridId = place.gridId;
          before.gridId = current.gridId;
          after.gridId = place.gridId;
        }
      }
    }
    if (Object.keys(set).length === 0) return this.get(id);
    const actorId = auth?.personId ?? null;
    await this.ctx.database.transaction(async (tx) => {
      const version = await this.repo.update(id, input.version, set, tx.db);
      if (version === null) {
        const now = await this.repo.get(id, tx.db);
        throw versionConflict(id, now?.version ?? null);
      }
      await this.repo.addHistory({ componentId: id, changedBy: actorId, action: 'update', before, after: { ...after, version } }, tx.db);
    });
    return this.get(id);
  }

  // --- bulk import -----------------------------------------------------------------------

  /** Streams a GeoJSON or CSV file into the census; see components.import.ts. */
  import(stream: NodeJS.ReadableStream, opts: ImportOptions): Promise<ImportReport> {
    return importComponentsStream(this.ctx, stream, opts);
  }
}

function round7(v: number) {
  return Math.round(v * 1e7) / 1e7;
}

function snapshot(v: ComponentValues, geometry: Geometry) {
  const { ewkt: _ewkt, ...rest } = v;
  return { ...rest, geometry };
}

function versionConflict(id: number, currentVersion: number | null) {
  return conflict(
    'component_version_conflict',
    `部件 ${id} 已被他人修改，请刷新后重试 / Component ${id} was changed by someone else; reload and retry`,
    {
      currentVersion,
    },
  );
}

export function assertClass(verdict: ClassVerdict, edition: Edition, classCode: string) {
  if (verdict.state === 'unknown_class') {
    throw unprocessable(
      'component_class_unknown',
      `部件小类 ${classCode} 不在 ${edition} 分类表中 / Class ${classCode} is not in the ${edition} component table`,
    );
  }
  if (verdict.state === 'disabled') {
    throw unprocessable(
      'component_class_disabled',
      `部件小类 ${classCode}（${verdict.name}）已停用 / Class ${classCode} (${verdict.name}) is disabled`,
    );
  }
}
