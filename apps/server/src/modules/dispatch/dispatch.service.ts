import type { ClassKind, CoordSys, Edition, Role } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { AppError, notFound, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import type { CitySettings } from '../system/settings.service.ts';
import { type DeptRef, type MatchResult, type MatchRule, matchRules, type RuleRegionLevel, ruleMatches } from './dispatch.match.ts';
import { DispatchRepository, type RuleFilter, type RuleRow } from './dispatch.repository.ts';
import { resolveStandardDepartments } from './dispatch.seed.ts';

export type { MatchResult } from './dispatch.match.ts';

/** How long the in-memory rule set is trusted before it is reloaded (writes here invalidate at once). */
export const RULE_CACHE_TTL_MS = 30_000;
/** The city setting (city_setting key) that turns the street-office fallback (属地) on or off. */
export const STREET_FALLBACK_SETTING = 'dispatchStreetFallback';
/** Roles whose region scope limits where and to whom they may dispatch. */
const DISPATCH_ROLES: readonly Role[] = ['admin', 'dispatcher', 'shiftlead'];

export interface SuggestInput {
  /** Default: the city's edition. */
  edition?: Edition;
  kind: ClassKind;
  classCode: string;
  gridId?: number | null;
  streetId?: number | null;
  districtId?: number | null;
  /** A linked component: its maintainer and owner are looked up unless given below. */
  componentId?: number | null;
  componentMaintainerId?: number | null;
  componentOwnerId?: number | null;
  at?: Date;
}

export interface RuleInput {
  name?: string;
  edition?: Edition | null;
  kind?: ClassKind | null;
  classCode?: string | null;
  regionId?: number | null;
  ownerDepartmentId?: number | null;
  departmentId: number;
  priority?: number;
  enabled?: boolean;
  validFrom?: Date | string | null;
  validTo?: Date | string | null;
}

export interface CaseRegion {
  gridId?: number | null;
  streetId?: number | null;
  districtId?: number | null;
}

interface RegionInfo {
  id: number;
  level: string;
  code: string;
  name: string;
  districtId: number | null;
  streetId: number | null;
  current: boolean;
}

interface DeptInfo extends DeptRef {
  kind: 'execution' | 'support' | 'centre';
  regionId: number | null;
  active: boolean;
}

/** Everything suggest() needs, held in memory. */
interface Snapshot {
  loadedAt: number;
  rules: MatchRule[];
  index: Map<string, MatchRule[]>;
  regions: Map<number, RegionInfo>;
  currentByCode: Map<string, RegionInfo>;
  departments: Map<number, DeptInfo>;
  /** Current street id → its street office (街道办事处). */
  streetOffices: Map<number, DeptRef>;
  classNames: Map<string, string>;
  streetFallback: boolean;
  edition: Edition;
}

const toDate = (v: Date | string | null | undefined): Date | null => (v === null || v === undefined ? null : new Date(v));
const deptRef = (d: DeptInfo): DeptRef => ({ id: d.id, code: d.code, name: d.name, level: d.level });

/**
 * 派遣: routing rules (class × region × component owner → disposal department), the
 * suggestion for a case, the operators' "test this location" tool and dispatch scopes
 * (二级指挥). The matcher itself is pure (dispatch.match.ts); this class feeds it from an
 * in-memory snapshot so a suggestion costs no database round trip.
 */
export class DispatchService {
  readonly repo: DispatchRepository;
  #snapshot: Snapshot | null = null;
  #loading: Promise<Snapshot> | null = null;
  #generation = 0;

  constructor(private readonly ctx: Context) {
    this.repo = new DispatchRepository(ctx.db);
  }

  // ---- cache ----------------------------------------------------------------------------

  /** Drops the in-memory rule set; the next suggestion reloads it. */
  invalidate(): void {
    this.#generation++;
    this.#snapshot = null;
    this.#loading = null;
  }

  private async snapshot(): Promise<Snapshot> {
    const s = this.#snapshot;
    if (s) {
      // Stale: serve it once more while a fresh copy loads in the background.
      if (Date.now() - s.loadedAt > RULE_CACHE_TTL_MS && !this.#loading) this.reload().catch(() => {});
      return s;
    }
    return this.reload();
  }

  private reload(): Promise<Snapshot> {
    if (this.#loading) return this.#loading;
    const generation = this.#generation;
    const p = this.load().then(
      (s) => {
        if (generation === this.#generation) {
          this.#snapshot = s;
          this.#loading = null;
        }
        return s;
      },
      (err) => {
        if (generation === this.#generation) this.#loading = null;
        throw err;
      },
    );
    this.#loading = p;
    return p;
  }

  private async load(): Promise<Snapshot> {
    const [ruleRows, regionRows, deptRows, classes, settings] = await Promise.all([
      this.repo.activeRules(),
      this.repo.regions(),
      this.repo.departments(),
      this.ctx.services.taxonomy.list({}),
      this.ctx.services.settings.get(),
    ]);
    const regions = new Map<number, RegionInfo>();
    const currentByCode = new Map<string, RegionInfo>();
    for (const r of regionRows) {
      const info: RegionInfo = { ...r, current: r.validTo === null };
      regions.set(r.id, info);
      if (info.current) currentByCode.set(`${r.level}:${r.code}`, info);
    }
    const departments = new Map<number, DeptInfo>();
    for (const d of deptRows) {
      departments.set(d.id, {
        id: d.id,
        code: d.code,
        name: d.shortName ?? d.name,
        level: d.level,
        kind: d.kind,
        regionId: d.regionId,
        active: d.active,
      });
    }
    const streetOffices = new Map<number, DeptRef>();
    for (const d of departments.values()) {
      if (d.level !== 'street' || !d.active || d.kind === 'centre' || d.regionId === null) continue;
      const street = this.currentOf(regions, currentByCode, d.regionId);
      if (street?.level === 'street' && !streetOffices.has(street.id)) streetOffices.set(street.id, deptRef(d));
    }
    const classNames = new Map<string, string>();
    for (const c of classes.items) classNames.set(`${c.edition}|${c.kind}|${c.code}`, c.name);

    const rules: MatchRule[] = [];
    for (const r of ruleRows) {
      const dept = departments.get(r.departmentId);
      if (!dept?.active) continue;
      let regionId: number | null = null;
      let regionLevel: RuleRegionLevel | null = null;
      if (r.regionId !== null) {
        // Regions are versioned: follow the rule's region to the current version by code.
        const current = r.regionCode && r.regionLevel ? currentByCode.get(`${r.regionLevel}:${r.regionCode}`) : undefined;
        if (!current) continue;
        regionId = current.id;
        regionLevel = current.level as RuleRegionLevel;
      }
      rules.push({
        id: r.id,
        name: r.name,
        edition: r.edition,
        kind: r.kind,
        classCode: r.classCode,
        className: r.className,
        regionId,
        regionLevel,
        regionName: r.regionName,
        ownerDepartmentId: r.ownerDepartmentId,
        ownerName: r.ownerName,
        department: deptRef(dept),
        priority: r.priority,
        validFrom: r.validFrom ? new Date(r.validFrom) : null,
        validTo: r.validTo ? new Date(r.validTo) : null,
      });
    }
    const index = new Map<string, MatchRule[]>();
    for (const rule of rules) {
      const key =
        rule.classCode === null ? `${rule.edition ?? '*'}|${rule.kind ?? '*'}|*` : `${rule.edition}|${rule.kind}|${rule.classCode}`;
      const list = index.get(key);
      if (list) list.push(rule);
      else index.set(key, [rule]);
    }
    const fallback = (settings as unknown as Record<string, unknown>)[STREET_FALLBACK_SETTING];
    return {
      loadedAt: Date.now(),
      rules,
      index,
      regions,
      currentByCode,
      departments,
      streetOffices,
      classNames,
      streetFallback: fallback === undefined ? true : fallback === true,
      edition: settings.edition,
    };
  }

  /** The current version of a region id (which may be an old version). */
  private currentOf(regions: Map<number, RegionInfo>, byCode: Map<string, RegionInfo>, id: number | null | undefined) {
    if (id === null || id === undefined) return undefined;
    const r = regions.get(id);
    if (!r) return undefined;
    return r.current ? r : byCode.get(`${r.level}:${r.code}`);
  }

  /** Rules that may match a class: exact code, its prefixes (major, minor of a detail), and class-free rules. */
  private candidates(s: Snapshot, edition: string, kind: string, code: string): MatchRule[] {
    const out: MatchRule[] = [];
    const add = (key: string) => {
      const list = s.index.get(key);
      if (list) for (const r of list) out.push(r);
    };
    for (let len = 2; len <= code.length; len++) add(`${edition}|${kind}|${code.slice(0, len)}`);
    add(`${edition}|${kind}|*`);
    add(`${edition}|*|*`);
    add(`*|${kind}|*`);
    add('*|*|*');
    return out;
  }

  // ---- suggestion -----------------------------------------------------------------------

  /**
   * Which department a case should go to, or the coordination queue (协同). Runs from memory
   * (one database read only when a componentId is given without its departments).
   */
  async suggest(input: SuggestInput): Promise<MatchResult> {
    const s = this.#snapshot && Date.now() - this.#snapshot.loadedAt <= RULE_CACHE_TTL_MS ? this.#snapshot : await this.snapshot();
    const edition = input.edition ?? s.edition;
    let { componentMaintainerId, componentOwnerId } = input;
    // Old region versions (a case filed before a boundary edit) resolve to the current ones.
    const cur = (id: number | null | undefined) => this.currentOf(s.regions, s.currentByCode, id)?.id ?? null;
    const grid = input.gridId != null ? s.regions.get(input.gridId) : undefined;
    const gridId = cur(input.gridId);
    const streetId = cur(input.streetId ?? grid?.streetId);
    const districtId = cur(input.districtId ?? grid?.districtId ?? (streetId !== null ? s.regions.get(streetId)?.districtId : null));
    if (input.componentId != null && componentMaintainerId === undefined && componentOwnerId === undefined) {
      const c = await this.repo.component(input.componentId);
      if (!c) throw notFound('component_not_found', `部件 ${input.componentId} 不存在 / Component ${input.componentId} does not exist`);
      componentMaintainerId = c.maintainerDepartmentId;
      componentOwnerId = c.ownerDepartmentId;
    }
    const maintainer = componentMaintainerId != null ? s.departments.get(componentMaintainerId) : undefined;
    return matchRules(
      this.candidates(s, edition, input.kind, input.classCode),
      {
        edition,
        kind: input.kind,
        classCode: input.classCode,
        className: s.classNames.get(`${edition}|${input.kind}|${input.classCode}`) ?? null,
        gridId,
        streetId,
        districtId,
        componentMaintainer: maintainer?.active && maintainer.kind !== 'centre' ? deptRef(maintainer) : null,
        componentOwnerId: componentOwnerId ?? null,
        streetOffice: streetId !== null ? (s.streetOffices.get(streetId) ?? null) : null,
        at: input.at,
      },
      { streetFallback: s.streetFallback },
    );
  }

  /**
   * The operators' tool: locate a point (any coordinate system), then suggest a department
   * for a class there, optionally for a given component.
   */
  async testLocation(input: {
    lng: number;
    lat: number;
    coordSys?: CoordSys;
    edition?: Edition;
    kind: ClassKind;
    classCode: string;
    componentId?: number | null;
  }) {
    const edition = input.edition ?? (await this.ctx.services.settings.get()).edition;
    const cls = await this.ctx.services.taxonomy.getClass(edition, input.kind, input.classCode);
    if (!cls) {
      throw unprocessable(
        'class_not_found',
        `分类 ${input.classCode} 不存在 / Class ${input.classCode} (${edition}, ${input.kind}) does not exist`,
      );
    }
    const location = await this.ctx.services.regions.tryLocate(input.lng, input.lat, input.coordSys ?? 'wgs84');
    if (!location) {
      throw notFound(
        'location_outside_city',
        `坐标 (${input.lng}, ${input.lat}) 不在任何单元网格内 / The point is not in any unit grid of the city`,
        {
          lng: input.lng,
          lat: input.lat,
        },
      );
    }
    let component: { id: number; classCode: string; ownerDepartmentId: number | null; maintainerDepartmentId: number | null } | null = null;
    if (input.componentId != null) {
      const c = await this.repo.component(input.componentId);
      if (!c) throw notFound('component_not_found', `部件 ${input.componentId} 不存在 / Component ${input.componentId} does not exist`);
      component = {
        id: c.id,
        classCode: c.classCode,
        ownerDepartmentId: c.ownerDepartmentId,
        maintainerDepartmentId: c.maintainerDepartmentId,
      };
    }
    const suggestion = await this.suggest({
      edition,
      kind: input.kind,
      classCode: input.classCode,
      gridId: location.grid.id,
      streetId: location.street?.id ?? null,
      districtId: location.district?.id ?? null,
      componentMaintainerId: component?.maintainerDepartmentId ?? null,
      componentOwnerId: component?.ownerDepartmentId ?? null,
    });
    return { location, class: { edition, kind: input.kind, code: cls.code, name: cls.name, active: cls.active }, component, suggestion };
  }

  // ---- dispatch scope (二级指挥) -----------------------------------------------------------

  /**
   * May `auth` dispatch a case located in `caseRegion` to `departmentId`? A dispatcher (or
   * shift leader, admin) without a region scope may dispatch anywhere. One whose role is
   * scoped to a district (district command centre, 二级指挥) — or to a street — only
   * dispatches cases inside that region, and only to departments of that region (the
   * district's departments and its streets' offices), or to any other department that an
   * enabled rule names for that case (for the class, when `caseClass` is given).
   */
  async checkDispatch(
    auth: Auth | null,
    caseRegion: CaseRegion,
    departmentId: number,
    caseClass?: { edition: Edition; kind: ClassKind; classCode: string },
  ): Promise<{ allowed: boolean; reason: 'city_wide' | 'in_scope' | 'by_rule' | 'no_role' | 'department_unavailable' | 'out_of_scope' }> {
    const s = await this.snapshot();
    const dept = s.departments.get(departmentId);
    if (!dept?.active || dept.kind === 'centre') return { allowed: false, reason: 'department_unavailable' };
    const roles = (auth?.roles ?? []).filter((r) => DISPATCH_ROLES.includes(r.role));
    if (roles.length === 0) return { allowed: false, reason: 'no_role' };
    if (roles.some((r) => r.scopeRegionId === null)) return { allowed: true, reason: 'city_wide' };

    const cur = (id: number | null | undefined) => this.currentOf(s.regions, s.currentByCode, id);
    const grid = cur(caseRegion.gridId);
    const street = cur(caseRegion.streetId ?? grid?.streetId);
    const district = cur(caseRegion.districtId ?? street?.districtId ?? grid?.districtId);
    const deptRegion = cur(dept.regionId);
    for (const role of roles) {
      const scope = cur(role.scopeRegionId);
      if (!scope) continue;
      const inside = scope.level === 'district' ? district?.id === scope.id : scope.level === 'street' ? street?.id === scope.id : false;
      if (!inside) continue;
      if (deptRegion) {
        if (deptRegion.id === scope.id) return { allowed: true, reason: 'in_scope' };
        if (scope.level === 'district' && deptRegion.level === 'street' && cur(deptRegion.districtId)?.id === scope.id) {
          return { allowed: true, reason: 'in_scope' };
        }
      }
      const at = this.ctx.now();
      const probe = {
        edition: caseClass?.edition ?? '',
        kind: caseClass?.kind ?? '',
        classCode: caseClass?.classCode ?? '',
        gridId: grid?.id ?? null,
        streetId: street?.id ?? null,
        districtId: district?.id ?? null,
      };
      const byRule = s.rules.some((r) => {
        if (r.department.id !== departmentId) return false;
        // Without a class, only the rule's region (and validity) are checked.
        const rule = caseClass ? r : { ...r, edition: null, kind: null, classCode: null, ownerDepartmentId: null };
        return ruleMatches(rule, probe, at) !== null;
      });
      if (byRule) return { allowed: true, reason: 'by_rule' };
    }
    return { allowed: false, reason: 'out_of_scope' };
  }

  async canDispatch(
    auth: Auth | null,
    caseRegion: CaseRegion,
    departmentId: number,
    caseClass?: { edition: Edition; kind: ClassKind; classCode: string },
  ): Promise<boolean> {
    return (await this.checkDispatch(auth, caseRegion, departmentId, caseClass)).allowed;
  }

  // ---- rules ----------------------------------------------------------------------------

  listRules(filter: RuleFilter) {
    return this.repo.list(filter);
  }

  async getRule(id: number): Promise<RuleRow> {
    const row = await this.repo.get(id);
    if (!row) throw notFound('dispatch_rule_not_found', `派遣规则 ${id} 不存在 / Dispatch rule ${id} does not exist`);
    return row;
  }

  /** Checks a rule's references; returns the normalised values to store. */
  private async validate(input: RuleInput) {
    const edition = input.edition ?? null;
    const kind = input.kind ?? null;
    const classCode = input.classCode ?? null;
    if (classCode !== null) {
      if (edition === null || kind === null) {
        throw unprocessable('class_needs_edition', '指定类别时须同时指定版本和类型 / A class code needs its edition and kind');
      }
      const cls = await this.ctx.services.taxonomy.getClass(edition, kind, classCode);
      if (!cls) {
        throw unprocessable('class_not_found', `分类 ${classCode} 不存在 / Class ${classCode} (${edition}, ${kind}) does not exist`, {
          edition,
          kind,
          classCode,
        });
      }
    }
    const dept = await this.department(input.departmentId, 'department_not_found');
    if (!dept.active) throw unprocessable('department_inactive', `部门 ${dept.name} 已停用 / Department ${dept.name} is inactive`);
    if (dept.kind === 'centre') {
      throw unprocessable('department_not_disposal', `${dept.name} 不是处置单位 / ${dept.name} is a centre, not a disposal department`);
    }
    if (input.ownerDepartmentId != null) await this.department(input.ownerDepartmentId, 'owner_department_not_found');
    if (input.regionId != null) {
      const region = await this.repo.region(input.regionId);
      if (!region || region.validTo !== null) {
        throw unprocessable(
          'region_not_found',
          `区域 ${input.regionId} 不存在或已是历史版本 / Region ${input.regionId} is not a current region`,
        );
      }
      if (region.level === 'community') {
        throw unprocessable(
          'region_level_invalid',
          '规则区域须为区、街道或单元网格 / A rule region must be a district, street or unit grid',
        );
      }
    }
    const validFrom = toDate(input.validFrom);
    const validTo = toDate(input.validTo);
    if ((validFrom && Number.isNaN(validFrom.getTime())) || (validTo && Number.isNaN(validTo.getTime()))) {
      throw unprocessable('validity_invalid', '有效期日期无效 / Invalid validity date');
    }
    if (validFrom && validTo && validTo <= validFrom) {
      throw unprocessable('validity_invalid', '失效时间须晚于生效时间 / valid_to must be later than valid_from');
    }
    return {
      name: (input.name ?? '').trim(),
      edition,
      kind,
      classCode,
      regionId: input.regionId ?? null,
      ownerDepartmentId: input.ownerDepartmentId ?? null,
      departmentId: input.departmentId,
      priority: input.priority ?? 0,
      enabled: input.enabled ?? true,
      validFrom,
      validTo,
    };
  }

  private async department(id: number, code: string) {
    try {
      return await this.ctx.services.orgs.getDepartment(id);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw unprocessable(code, `部门 ${id} 不存在 / Department ${id} does not exist`);
      throw err;
    }
  }

  async createRule(input: RuleInput, actorId: number | null): Promise<RuleRow> {
    const values = await this.validate(input);
    const id = await this.ctx.database.transaction(async (tx) => {
      const newId = await this.repo.insert({ ...values, source: 'manual', createdBy: actorId }, tx.db);
      await this.ctx.services.audit.record(
        { actorId, action: 'dispatch_rule.create', entity: 'dispatch_rule', entityId: newId, after: { id: newId, ...values } },
        tx.db,
      );
      return newId;
    });
    this.invalidate();
    return this.getRule(id);
  }

  async updateRule(id: number, patch: Partial<RuleInput>, actorId: number | null): Promise<RuleRow> {
    const before = await this.getRule(id);
    const merged: RuleInput = {
      name: before.name,
      edition: before.edition,
      kind: before.kind,
      classCode: before.classCode,
      regionId: before.regionId,
      ownerDepartmentId: before.ownerDepartmentId,
      departmentId: before.departmentId,
      priority: before.priority,
      enabled: before.enabled,
      validFrom: before.validFrom,
      validTo: before.validTo,
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    };
    // Re-enabling or keeping a rule on an inactive department is refused like a new rule;
    // disabling is always allowed.
    const values = merged.enabled === false ? await this.validateLoosely(merged) : await this.validate(merged);
    await this.ctx.database.transaction(async (tx) => {
      await this.repo.update(id, values, tx.db);
      await this.ctx.services.audit.record(
        { actorId, action: 'dispatch_rule.update', entity: 'dispatch_rule', entityId: id, before: strip(before), after: { id, ...values } },
        tx.db,
      );
    });
    this.invalidate();
    return this.getRule(id);
  }

  /** A disabled rule may keep pointing at a department that has since been deactivated. */
  private async validateLoosely(input: RuleInput) {
    try {
      return await this.validate(input);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'department_inactive' || err.code === 'region_not_found')) {
        return {
          name: (input.name ?? '').trim(),
          edition: input.edition ?? null,
          kind: input.kind ?? null,
          classCode: input.classCode ?? null,
          regionId: input.regionId ?? null,
          ownerDepartmentId: input.ownerDepartmentId ?? null,
          departmentId: input.departmentId,
          priority: input.priority ?? 0,
          enabled: false,
          validFrom: toDate(input.validFrom),
          validTo: toDate(input.validTo),
        };
      }
      throw err;
    }
  }

  /** Rules are never deleted: DELETE disables. Idempotent. */
  async disableRule(id: number, actorId: number | null): Promise<RuleRow> {
    const before = await this.getRule(id);
    if (!before.enabled) return before;
    await this.ctx.database.transaction(async (tx) => {
      await this.repo.update(id, { enabled: false }, tx.db);
      await this.ctx.services.audit.record(
        {
          actorId,
          action: 'dispatch_rule.disable',
          entity: 'dispatch_rule',
          entityId: id,
          before: strip(before),
          after: { enabled: false },
        },
        tx.db,
      );
    });
    this.invalidate();
    return this.getRule(id);
  }

  // ---- settings -------------------------------------------------------------------------

  async getSettings(): Promise<{ streetFallback: boolean }> {
    const s = await this.ctx.services.settings.get();
    const v = (s as unknown as Record<string, unknown>)[STREET_FALLBACK_SETTING];
    return { streetFallback: v === undefined ? true : v === true };
  }

  /** Turns the street-office fallback (属地) on or off; audited by the settings service. */
  async updateSettings(input: { streetFallback?: boolean }, actorId: number | null): Promise<{ streetFallback: boolean }> {
    if (input.streetFallback !== undefined) {
      await this.ctx.services.settings.set(
        { [STREET_FALLBACK_SETTING]: input.streetFallback } as unknown as Partial<CitySettings>,
        actorId,
      );
      this.invalidate();
    }
    return this.getSettings();
  }

  // ---- seed -----------------------------------------------------------------------------

  /**
   * One city-wide rule per class that has a default department (taxonomy
   * default_department_code) resolvable to one of the city's departments. Idempotent: a
   * class already seeded (even if its rule was later disabled or edited) is left alone.
   */
  async seedDefaultRules(actorId: number | null = null) {
    const [classes, departments, existing] = await Promise.all([
      this.ctx.services.taxonomy.list({}),
      this.repo.departments(),
      this.repo.seededKeys(),
    ]);
    const withDefault = classes.items.filter((c) => c.level !== 'major' && c.defaultDepartmentCode);
    const resolved = resolveStandardDepartments(new Set(withDefault.map((c) => c.defaultDepartmentCode as string)), departments);
    const unresolved = new Map<string, number>();
    const rows = [];
    let already = 0;
    for (const c of withDefault) {
      const code = c.defaultDepartmentCode as string;
      const departmentId = resolved.get(code);
      if (departmentId === undefined) {
        unresolved.set(code, (unresolved.get(code) ?? 0) + 1);
        continue;
      }
      if (existing.has(`${c.edition}|${c.kind}|${c.code}`)) {
        already++;
        continue;
      }
      rows.push({
        name: `默认：${c.name}`,
        edition: c.edition,
        kind: c.kind,
        classCode: c.code,
        regionId: null,
        ownerDepartmentId: null,
        departmentId,
        source: 'seed' as const,
        createdBy: actorId,
      });
    }
    const inserted = rows.length > 0 ? await this.repo.insertMany(rows) : 0;
    if (inserted > 0) {
      await this.ctx.services.audit.record({
        actorId,
        action: 'dispatch_rule.seed',
        entity: 'dispatch_rule',
        entityId: null,
        after: { inserted, departments: Object.fromEntries(resolved) },
      });
      this.invalidate();
    }
    return {
      inserted,
      existing: already,
      unresolved: [...unresolved].map(([departmentCode, classCount]) => ({ departmentCode, classes: classCount })),
    };
  }
}

/** A rule row without the joined display names (for the audit log). */
function strip(r: RuleRow) {
  return {
    id: r.id,
    name: r.name,
    edition: r.edition,
    kind: r.kind,
    classCode: r.classCode,
    regionId: r.regionId,
    ownerDepartmentId: r.ownerDepartmentId,
    departmentId: r.departmentId,
    priority: r.priority,
    enabled: r.enabled,
    validFrom: r.validFrom,
    validTo: r.validTo,
  };
}
