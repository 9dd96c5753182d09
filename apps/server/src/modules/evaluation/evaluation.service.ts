import type { TimeType } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { forbidden, notFound, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import { DAY_MS, elapsed, isoToDay, Zone } from '../calendar/calendar.math.ts';
import {
  type Composite,
  composite,
  DEPARTMENT_INDICATORS,
  type DepartmentIndicator,
  type EvaluationConfig,
  type Indicator,
  POSITION_INDICATORS,
  POSITION_ROLES,
  type PositionRole,
  REGION_INDICATORS,
  type RegionIndicator,
  ratio,
} from './evaluation.config.ts';
import { POSITION_FACTS, POSITION_FLAG_OF, type PositionTally, positionIndicators } from './evaluation.positions.ts';
import {
  EvaluationRepository,
  type FactCount,
  type FactKind,
  type FactRow,
  type Period,
  type PositionFactKind,
  REGION_LEVELS,
  type RegionLevel,
} from './evaluation.repository.ts';

export type Attribution = Period['attribution'];

export interface PeriodQuery {
  from: string;
  to: string;
  attribution?: Attribution;
  configVersion?: number;
}

/** Which fact kinds each indicator is made of (numerator first, then what else the denominator holds). */
const DEPARTMENT_FACTS: Record<DepartmentIndicator, FactKind[]> = {
  dueDisposal: ['disposed', 'overdueUndisposed'],
  disposed: ['disposed'],
  disposalRate: ['disposed', 'overdueUndisposed'],
  disposedOnTime: ['disposed'],
  onTimeDisposalRate: ['disposed', 'overdueUndisposed'],
  disposedLate: ['disposed'],
  overdueUndisposed: ['overdueUndisposed'],
  rework: ['rework'],
  reworkRate: ['rework', 'closed', 'overdueOpen'],
  postponed: ['postponed'],
  suspended: ['suspended'],
  returned: ['returned'],
  closed: ['closed'],
  dueClose: ['closed', 'overdueOpen'],
  closeRate: ['closed', 'overdueOpen'],
  overdueMultiple: ['disposed'],
};
const REGION_FACTS: Record<RegionIndicator, FactKind[]> = {
  reportVerified: ['reportVerified'],
  reportRate: ['reportVerified', 'registered'],
  registered: ['registered'],
  closed: ['closed'],
  dueClose: ['closed', 'overdueOpen'],
  closeRate: ['closed', 'overdueOpen'],
  closedOnTime: ['closed'],
  onTimeCloseRate: ['closed', 'overdueOpen'],
};

/** Indicators that count only the flagged (true) or unflagged (false) facts of their kind: explain lists only those. */
const FLAG_OF: Partial<Record<string, boolean>> = {
  disposedOnTime: true,
  disposedLate: false,
  closedOnTime: true,
  overdueMultiple: false,
};

type Tally = Partial<Record<FactKind, { n: number; flagged: number }>>;

function tallies(counts: FactCount[]): Map<number, Tally> {
  const m = new Map<number, Tally>();
  for (const c of counts) {
    const key = Number(c.key);
    const t = m.get(key) ?? {};
    t[c.kind] = { n: c.n, flagged: c.flagged };
    m.set(key, t);
  }
  return m;
}

type RateIndicator = 'disposalRate' | 'onTimeDisposalRate' | 'reworkRate' | 'closeRate' | 'reportRate' | 'onTimeCloseRate';
/** Counts are numbers; rates are fractions 0–1 or null (not applicable: zero denominator). */
export type Values<K extends string> = { [I in K]: I extends RateIndicator ? number | null : number };

/**
 * Department indicators from its fact counts (STANDARDS.md 综合评价; definitions in
 * docs/evaluation.md) and its 超期处置倍数 (a sum over its late disposals, computed apart).
 */
export function departmentIndicators(t: Tally, overdueMultiple = 0): Values<DepartmentIndicator> {
  const n = (k: FactKind) => t[k]?.n ?? 0;
  const disposed = n('disposed');
  const disposedOnTime = t.disposed?.flagged ?? 0;
  const dueDisposal = disposed + n('overdueUndisposed');
  const dueClose = n('closed') + n('overdueOpen');
  return {
    dueDisposal,
    disposed,
    disposalRate: ratio(disposed, dueDisposal),
    disposedOnTime,
    onTimeDisposalRate: ratio(disposedOnTime, dueDisposal),
    disposedLate: disposed - disposedOnTime,
    overdueUndisposed: n('overdueUndisposed'),
    rework: n('rework'),
    reworkRate: ratio(n('rework'), dueClose),
    postponed: n('postponed'),
    suspended: n('suspended'),
    returned: n('returned'),
    closed: n('closed'),
    dueClose,
    closeRate: ratio(n('closed'), dueClose),
    overdueMultiple,
  };
}

/** Region indicators from its fact counts. */
export function regionIndicators(t: Tally): Values<RegionIndicator> {
  const n = (k: FactKind) => t[k]?.n ?? 0;
  const dueClose = n('closed') + n('overdueOpen');
  const closedOnTime = t.closed?.flagged ?? 0;
  return {
    reportVerified: n('reportVerified'),
    reportRate: ratio(n('reportVerified'), n('registered')),
    registered: n('registered'),
    closed: n('closed'),
    dueClose,
    closeRate: ratio(n('closed'), dueClose),
    closedOnTime,
    onTimeCloseRate: ratio(closedOnTime, dueClose),
  };
}

const EXPLAIN_LIMIT = 1000;

/** Callers whose every evaluation role is a department's own (处置人员, 部门管理员) see their department only. */
function ownDepartmentOnly(auth: Auth): boolean {
  const roles = auth.roles.filter((r) =>
    ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor', 'handler', 'dept_admin'].includes(r.role),
  );
  return roles.length > 0 && roles.every((r) => r.role === 'handler' || r.role === 'dept_admin');
}
function ownDepartment(auth: Auth): number | null {
  const grant = auth.roles.find((r) => (r.role === 'handler' || r.role === 'dept_admin') && r.scopeDepartmentId !== null);
  return grant?.scopeDepartmentId ?? auth.departmentId;
}

/**
 * 综合评价 of departments and regions from the phase log, for any period in the city's time
 * zone, scored with a stored configuration version, and explained down to the log rows.
 */
export class EvaluationService {
  readonly repo: EvaluationRepository;
  constructor(private readonly ctx: Context) {
    this.repo = new EvaluationRepository(ctx.db);
  }

  /** The period bounds; 422 unless from < to (dates as YYYY-MM-DD, local to the city). */
  async period(q: PeriodQuery): Promise<Period> {
    if (q.from >= q.to) {
      throw unprocessable(
        'evaluation_period_invalid',
        `统计周期起日须早于止日 / The period's from (${q.from}) must be before its to (${q.to})`,
      );
    }
    const fromDay = isoToDay(q.from);
    const toDay = isoToDay(q.to);
    if (fromDay === null || toDay === null) {
      throw unprocessable('evaluation_period_invalid', `日期无效 / Not a date: ${fromDay === null ? q.from : q.to}`);
    }
    const timeZone = (await this.ctx.services.settings.get()).timeZone;
    const zone = new Zone(timeZone);
    const lo = new Date(zone.toUtc(fromDay * DAY_MS));
    const hi = new Date(zone.toUtc(toDay * DAY_MS));
    const now = this.ctx.now();
    const attribution = q.attribution ?? 'completed';
    // Completion attribution looks at open cases as they stood at the period's end; creation
    // attribution follows the period's cases up to now.
    const asOf = attribution === 'completed' && hi < now ? hi : now;
    return { lo, hi, asOf, attribution, days: { from: q.from, to: q.to }, zone: timeZone };
  }

  /** The configuration version to score with: the one asked for, or the latest. */
  async config(version?: number): Promise<{ version: number; config: EvaluationConfig }> {
    const row = version === undefined ? await this.repo.latestConfig() : await this.repo.config(version);
    if (!row) {
      throw notFound(
        'evaluation_config_not_found',
        `评价配置版本 ${version ?? ''} 不存在 / No evaluation configuration version ${version ?? ''}`,
      );
    }
    const config = (typeof row.config === 'string' ? JSON.parse(row.config) : row.config) as EvaluationConfig;
    return { version: row.version, config };
  }

  /** Indicators and composite per department; a department's own people get their department only. */
  async departments(auth: Auth, q: PeriodQuery) {
    const own = ownDepartmentOnly(auth) ? ownDepartment(auth) : undefined;
    if (own === null) throw forbidden('您不属于任何部门 / You belong to no department');
    const period = await this.period(q);
    const { version, config } = await this.config(q.configVersion);
    const [counts, multiples] = await Promise.all([
      this.repo.departmentCounts(period, own).then(tallies),
      this.overdueMultiples(period, own),
    ]);
    const depts = await this.repo.departments(own === undefined ? undefined : [own]);
    return {
      ...this.periodOut(q, period),
      configVersion: version,
      items: depts.map((d) => {
        const indicators = departmentIndicators(counts.get(d.id) ?? {}, multiples.get(d.id) ?? 0);
        return { department: d, indicators, composite: this.scored(composite(config, 'department', indicators)) };
      }),
    };
  }

  /** Indicators and composite per region of one level. */
  async regions(auth: Auth, q: PeriodQuery & { level: RegionLevel }) {
    if (ownDepartmentOnly(auth)) throw forbidden('部门人员只能查看本部门评价 / Department staff see their own department only');
    const period = await this.period(q);
    const { version, config } = await this.config(q.configVersion);
    const counts = tallies(await this.repo.regionCounts(period, q.level));
    const regions = await this.repo.regions(q.level);
    return {
      ...this.periodOut(q, period),
      level: q.level,
      configVersion: version,
      items: regions.map((r) => {
        const indicators = regionIndicators(counts.get(r.id) ?? {});
        return { region: r, indicators, composite: this.scored(composite(config, 'region', indicators, r.id)) };
      }),
    };
  }

  /**
   * 超期处置倍数 per department: Σ elapsed / limit over its late disposals of the period, both
   * counted on the disposal clock's calendar (working time for a 工作时 limit) less the case's
   * 挂账 pauses.
   */
  async overdueMultiples(period: Period, departmentId?: number): Promise<Map<number, number>> {
    const rows = await this.repo.lateDisposals(period, departmentId);
    const out = new Map<number, number>();
    if (rows.length === 0) return out;
    const cal = await this.ctx.services.calendar.load();
    for (const r of rows) {
      const timeType = (r.timeType ?? 'natural') as TimeType;
      const pauses = (Array.isArray(r.pauses) ? (r.pauses as Array<{ start: string; end: string }>) : []).map((x) => ({
        start: new Date(x.start),
        end: new Date(x.end),
      }));
      const limit = elapsed(r.startedAt, r.deadlineAt, timeType, cal, pauses);
      const used = elapsed(r.startedAt, r.endedAt, timeType, cal, pauses);
      // A deadline at the clock's start (no counted time allowed) is not a multiple: counted as 1.
      const multiple = limit > 0 ? used / limit : 1;
      out.set(r.departmentId, (out.get(r.departmentId) ?? 0) + multiple);
    }
    return out;
  }

  /** Indicators and composite per person holding one position role (岗位). */
  async positions(auth: Auth, q: PeriodQuery & { role: PositionRole }) {
    if (ownDepartmentOnly(auth)) throw forbidden('部门人员只能查看本部门评价 / Department staff see their own department only');
    const period = await this.period(q);
    const { version, config } = await this.config(q.configVersion);
    const counts = await this.repo.positionCounts(period, q.role);
    const byPerson = new Map<number, PositionTally>();
    for (const c of counts) {
      const t = byPerson.get(c.key) ?? {};
      t[c.kind] = { n: c.n, flagged: c.flagged };
      byPerson.set(c.key, t);
    }
    const people = await this.repo.positionPeople(q.role, [...byPerson.keys()]);
    return {
      ...this.periodOut(q, period),
      role: q.role,
      configVersion: version,
      items: people.map((person) => {
        const indicators = positionIndicators(q.role, byPerson.get(person.id) ?? {});
        return {
          person,
          indicators,
          composite: this.scored(composite(config, q.role, indicators as Partial<Record<Indicator, number | null>>)),
        };
      }),
    };
  }

  /** The cases and phase-log rows behind one indicator of one object. */
  async explain(auth: Auth, q: PeriodQuery & { object: string; indicator: string; role?: PositionRole }) {
    const m = /^(department|region|person):([1-9]\d{0,17})$/.exec(q.object);
    if (!m) {
      throw unprocessable(
        'evaluation_object_invalid',
        `评价对象应为 department:ID、region:ID 或 person:ID / object must be department:ID, region:ID or person:ID`,
      );
    }
    if (m[1] === 'person') return this.explainPerson(auth, Number(m[2]), q);
    const type = m[1] as 'department' | 'region';
    const id = Number(m[2]);
    const indicators: readonly string[] = type === 'department' ? DEPARTMENT_INDICATORS : REGION_INDICATORS;
    if (!indicators.includes(q.indicator)) {
      throw unprocessable('evaluation_indicator_invalid', `${type} 没有指标 ${q.indicator} / ${type} has no indicator ${q.indicator}`, {
        indicators,
      });
    }
    let object: { type: 'department'; id: number } | { type: 'region'; id: number; level: RegionLevel };
    let described: Record<string, unknown>;
    if (type === 'department') {
      if (ownDepartmentOnly(auth) && ownDepartment(auth) !== id) {
        throw forbidden('部门人员只能查看本部门评价 / Department staff see their own department only');
      }
      const d = await this.repo.department(id);
      if (!d) throw notFound('department_not_found', `部门 ${id} 不存在 / Department ${id} does not exist`);
      object = { type, id };
      described = d;
    } else {
      if (ownDepartmentOnly(auth)) throw forbidden('部门人员只能查看本部门评价 / Department staff see their own department only');
      const r = await this.repo.region(id);
      if (!r || !REGION_LEVELS.includes(r.level)) throw notFound('region_not_found', `区域 ${id} 不存在 / Region ${id} does not exist`);
      object = { type, id, level: r.level };
      described = r;
    }
    const period = await this.period(q);
    const kinds =
      type === 'department' ? DEPARTMENT_FACTS[q.indicator as DepartmentIndicator] : REGION_FACTS[q.indicator as RegionIndicator];
    const rows = await this.repo.factRows(period, object, kinds, EXPLAIN_LIMIT + 1, FLAG_OF[q.indicator]);
    const truncated = rows.length > EXPLAIN_LIMIT;
    const facts = rows.slice(0, EXPLAIN_LIMIT);
    // The value recomputed from the same facts, so a drill-down always adds up to the figure.
    const tally: Tally = {};
    for (const f of facts) {
      const t = tally[f.kind] ?? { n: 0, flagged: 0 };
      t.n += 1;
      if (f.flag) t.flagged += 1;
      tally[f.kind] = t;
    }
    const multiple = q.indicator === 'overdueMultiple' && !truncated ? ((await this.overdueMultiples(period, id)).get(id) ?? 0) : 0;
    const values = type === 'department' ? departmentIndicators(tally, multiple) : regionIndicators(tally);
    const value = (values as Record<string, number | null>)[q.indicator] ?? null;
    return this.explained(q, period, { type, ...described }, kinds, facts, truncated, value);
  }

  /** The drill-down of one person's indicator in one position role. */
  private async explainPerson(auth: Auth, id: number, q: PeriodQuery & { indicator: string; role?: PositionRole }) {
    if (ownDepartmentOnly(auth)) throw forbidden('部门人员只能查看本部门评价 / Department staff see their own department only');
    const person = await this.repo.person(id);
    if (!person) throw notFound('person_not_found', `人员 ${id} 不存在 / Person ${id} does not exist`);
    const held = POSITION_ROLES.filter((r) => person.roles.includes(r));
    const role = q.role ?? (held.length === 1 ? held[0] : undefined);
    if (!role) {
      throw unprocessable('evaluation_role_required', `请指定岗位 role / Say which position (role) of person ${id} to explain`, {
        roles: [...POSITION_ROLES],
      });
    }
    const indicators: readonly string[] = POSITION_INDICATORS[role];
    if (!indicators.includes(q.indicator)) {
      throw unprocessable('evaluation_indicator_invalid', `${role} 没有指标 ${q.indicator} / ${role} has no indicator ${q.indicator}`, {
        indicators,
      });
    }
    const period = await this.period(q);
    const kinds = (POSITION_FACTS[role] as Record<string, PositionFactKind[]>)[q.indicator] as PositionFactKind[];
    const rows = await this.repo.positionFactRows(period, role, id, kinds, EXPLAIN_LIMIT + 1, POSITION_FLAG_OF[q.indicator]);
    const truncated = rows.length > EXPLAIN_LIMIT;
    const facts = rows.slice(0, EXPLAIN_LIMIT);
    const tally: PositionTally = {};
    for (const f of facts) {
      const t = tally[f.kind] ?? { n: 0, flagged: 0 };
      t.n += 1;
      if (f.flag) t.flagged += 1;
      tally[f.kind] = t;
    }
    const value = positionIndicators(role, tally)[q.indicator] ?? null;
    return this.explained(q, period, { type: 'person', role, ...person }, kinds, facts, truncated, value);
  }

  private explained(
    q: PeriodQuery & { indicator: string },
    period: Period,
    object: Record<string, unknown>,
    kinds: readonly string[],
    facts: FactRow<string>[],
    truncated: boolean,
    value: number | null,
  ) {
    const cases = [...new Map(facts.map((f) => [f.caseId, { id: f.caseId, number: f.caseNumber }])).values()];
    return {
      ...this.periodOut(q, period),
      object,
      indicator: q.indicator,
      value: truncated ? null : value,
      truncated,
      factKinds: kinds,
      cases,
      facts: facts.map((f) => ({
        kind: f.kind,
        caseId: f.caseId,
        caseNumber: f.caseNumber,
        flag: f.flag,
        event:
          f.eventId === null
            ? null
            : {
                id: f.eventId,
                seq: f.seq,
                action: f.action,
                phase: f.phase,
                fromState: f.fromState,
                toState: f.toState,
                actorId: f.actorId === null ? null : Number(f.actorId),
                actorRole: f.actorRole,
                departmentId: f.departmentId === null ? null : Number(f.departmentId),
                startedAt: f.startedAt,
                endedAt: f.endedAt,
                deadlineAt: f.deadlineAt,
                onTime: f.onTime,
              },
      })),
    };
  }

  private periodOut(q: PeriodQuery, p: Period) {
    return { from: q.from, to: q.to, attribution: p.attribution, start: p.lo, end: p.hi, asOf: p.asOf };
  }

  private scored(c: Composite) {
    return { value: c.value === null ? null : Math.round(c.value * 100) / 100, grade: c.grade, color: c.color, terms: c.terms };
  }
}
