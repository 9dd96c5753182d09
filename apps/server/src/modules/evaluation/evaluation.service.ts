import type { TimeType } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { forbidden, notFound, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import { DAY_MS, elapsed, isoToDay, type WorkingCalendar, Zone } from '../calendar/calendar.math.ts';
import { ownDepartment, ownDepartmentOnly } from './evaluation.access.ts';
import { type AcceptedAppeal, APPEAL_EFFECTS, type AppealIndicator, EvaluationAppeals } from './evaluation.appeals.ts';
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
import { EvaluationPeriods } from './evaluation.periods.ts';
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

/**
 * One late disposal's elapsed / limit, both counted on the disposal clock's calendar (working
 * time for a 工作时 limit) less the case's 挂账 pauses.
 */
function lateMultiple(
  r: { startedAt: Date; endedAt: Date; deadlineAt: Date; timeType: string | null; pauses: unknown },
  cal: WorkingCalendar,
): number {
  const timeType = (r.timeType ?? 'natural') as TimeType;
  const pauses = (Array.isArray(r.pauses) ? (r.pauses as Array<{ start: string; end: string }>) : []).map((x) => ({
    start: new Date(x.start),
    end: new Date(x.end),
  }));
  const limit = elapsed(r.startedAt, r.deadlineAt, timeType, cal, pauses);
  const used = elapsed(r.startedAt, r.endedAt, timeType, cal, pauses);
  // A deadline at the clock's start (no counted time allowed) is not a multiple: counted as 1.
  return limit > 0 ? used / limit : 1;
}

interface Adjustment {
  departmentId: number;
  delta: Tally;
  appealIds: number[];
  /** Cases whose late disposals count as in time (out of 超期处置倍数). */
  lateCases: Set<number>;
}

/** A tally with an appeal's deltas added. */
function applyAdjustment(t: Tally, delta: Tally): Tally {
  const out: Tally = { ...t };
  for (const [k, d] of Object.entries(delta) as Array<[FactKind, { n: number; flagged: number }]>) {
    const x = out[k] ?? { n: 0, flagged: 0 };
    out[k] = { n: x.n + d.n, flagged: x.flagged + d.flagged };
  }
  return out;
}

/**
 * 综合评价 of departments and regions from the phase log, for any period in the city's time
 * zone, scored with a stored configuration version, and explained down to the log rows.
 */
export class EvaluationService {
  readonly repo: EvaluationRepository;
  /** 申诉: departments' appeals of deductions. */
  readonly appeals: EvaluationAppeals;
  /** Closed (materialised) periods. */
  readonly periods: EvaluationPeriods;
  constructor(private readonly ctx: Context) {
    this.repo = new EvaluationRepository(ctx.db);
    this.appeals = new EvaluationAppeals(ctx);
    this.periods = new EvaluationPeriods(ctx, this);
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
  async departments(auth: Auth, q: PeriodQuery & { appeals?: 'apply' | 'ignore' }) {
    const own = ownDepartmentOnly(auth) ? ownDepartment(auth) : undefined;
    if (own === null) throw forbidden('您不属于任何部门 / You belong to no department');
    return this.departmentResults(q, own, q.appeals !== 'ignore');
  }

  /**
   * Department results (all departments, or one), with the accepted appeals applied: an item an
   * appeal changed keeps its figures without them in `withoutAppeals`.
   */
  async departmentResults(q: PeriodQuery, own?: number, applyAppeals = true) {
    const period = await this.period(q);
    const { version, config } = await this.config(q.configVersion);
    const [counts, appeals] = await Promise.all([
      this.repo.departmentCounts(period, own).then(tallies),
      applyAppeals ? this.appeals.accepted(own) : Promise.resolve([]),
    ]);
    const adjust = await this.appealAdjustments(period, appeals);
    const late = new Set([...adjust.values()].flatMap((a) => [...a.lateCases].map((c) => `${a.departmentId}:${c}`)));
    const multiples = await this.overdueMultiples(period, own, late);
    const depts = await this.repo.departments(own === undefined ? undefined : [own]);
    return {
      ...this.periodOut(q, period),
      configVersion: version,
      items: depts.map((d) => {
        const raw = counts.get(d.id) ?? {};
        const a = adjust.get(d.id);
        const indicators = departmentIndicators(a ? applyAdjustment(raw, a.delta) : raw, multiples.kept.get(d.id) ?? 0);
        const item: {
          department: typeof d;
          indicators: Values<DepartmentIndicator>;
          composite: ReturnType<EvaluationService['scored']>;
          appeals: number[];
          withoutAppeals?: { indicators: Values<DepartmentIndicator>; composite: ReturnType<EvaluationService['scored']> };
        } = {
          department: d,
          indicators,
          composite: this.scored(composite(config, 'department', indicators)),
          appeals: a ? a.appealIds : [],
        };
        if (a) {
          const before = departmentIndicators(raw, multiples.all.get(d.id) ?? 0);
          item.withoutAppeals = { indicators: before, composite: this.scored(composite(config, 'department', before)) };
        }
        return item;
      }),
    };
  }

  /**
   * What the accepted appeals change in a period, per department: fact-count deltas, the appeal
   * ids that changed something, and the cases whose late disposals no longer count as late.
   */
  private async appealAdjustments(period: Period, appeals: AcceptedAppeal[]): Promise<Map<number, Adjustment>> {
    const out = new Map<number, Adjustment>();
    if (appeals.length === 0) return out;
    const facts = await this.repo.factsOfCases(period, [...new Set(appeals.map((a) => a.caseId))]);
    for (const a of appeals) {
      const effect = APPEAL_EFFECTS[a.indicator as AppealIndicator];
      if (!effect) continue;
      const hit = facts.filter(
        (f) =>
          f.caseId === a.caseId && f.departmentId === a.departmentId && f.kind === effect.kind && (effect.mode === 'remove' || !f.flag),
      );
      if (hit.length === 0) continue;
      const adj = out.get(a.departmentId) ?? { departmentId: a.departmentId, delta: {}, appealIds: [], lateCases: new Set<number>() };
      adj.appealIds.push(a.id);
      for (const f of hit) {
        const d = adj.delta[f.kind] ?? { n: 0, flagged: 0 };
        if (effect.mode === 'onTime') d.flagged += 1;
        else {
          d.n -= 1;
          if (f.flag) d.flagged -= 1;
        }
        adj.delta[f.kind] = d;
      }
      if (effect.mode === 'onTime') adj.lateCases.add(a.caseId);
      out.set(a.departmentId, adj);
    }
    return out;
  }

  /** Indicators and composite per region of one level. */
  async regions(auth: Auth, q: PeriodQuery & { level: RegionLevel }) {
    if (ownDepartmentOnly(auth)) throw forbidden('部门人员只能查看本部门评价 / Department staff see their own department only');
    return this.regionResults(q);
  }

  /** Region results of one level. */
  async regionResults(q: PeriodQuery & { level: RegionLevel }) {
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
   * 挂账 pauses. `kept` leaves out the disposals of `excluded` ("department:case", accepted appeals).
   */
  async overdueMultiples(
    period: Period,
    departmentId?: number,
    excluded: Set<string> = new Set(),
  ): Promise<{ all: Map<number, number>; kept: Map<number, number> }> {
    const all = new Map<number, number>();
    const kept = new Map<number, number>();
    if (await this.repo.lateDisposalRollup(period)) {
      // Each late disposal is measured once per calendar (evaluation_late_disposal), then summed
      // in SQL. The sums say whether any is not measured on this calendar yet: only then are
      // those read with their clocks, measured, stored and summed again.
      const key = await this.repo.calendarKey(period.zone);
      let sums = await this.repo.multipleSums(period, departmentId, [...excluded], key);
      if (sums.some((s) => s.stale > 0)) {
        const todo = await this.repo.lateDisposalsToMeasure(period, key, departmentId);
        const cal = await this.ctx.services.calendar.load();
        await this.repo.storeMultiples(
          key,
          todo.map((r) => r.eventId),
          todo.map((r) => lateMultiple(r, cal)),
        );
        sums = await this.repo.multipleSums(period, departmentId, [...excluded], key);
      }
      for (const s of sums) {
        all.set(s.departmentId, s.all);
        if (s.kept !== null) kept.set(s.departmentId, s.kept);
      }
      return { all, kept };
    }
    const rows = await this.repo.lateDisposals(period, departmentId);
    if (rows.length === 0) return { all, kept };
    const cal = await this.ctx.services.calendar.load();
    for (const r of rows) {
      const multiple = lateMultiple(r, cal);
      all.set(r.departmentId, (all.get(r.departmentId) ?? 0) + multiple);
      if (!excluded.has(`${r.departmentId}:${r.caseId}`)) kept.set(r.departmentId, (kept.get(r.departmentId) ?? 0) + multiple);
    }
    return { all, kept };
  }

  /** Indicators and composite per person holding one position role (岗位). */
  async positions(auth: Auth, q: PeriodQuery & { role: PositionRole }) {
    if (ownDepartmentOnly(auth)) throw forbidden('部门人员只能查看本部门评价 / Department staff see their own department only');
    return this.positionResults(q);
  }

  /** Position results of one role. */
  async positionResults(q: PeriodQuery & { role: PositionRole }) {
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
    // A department's accepted appeals change some of its facts: then the flag is filtered here,
    // after the appeals are applied, not in SQL.
    const appeals = type === 'department' ? await this.appeals.accepted(id) : [];
    const flag = FLAG_OF[q.indicator];
    const rows = await this.repo.factRows(period, object, kinds, EXPLAIN_LIMIT + 1, appeals.length ? undefined : flag);
    const truncated = rows.length > EXPLAIN_LIMIT;
    const kept: Array<FactRow & { appealId?: number }> = [];
    const excluded: Array<FactRow & { appealId: number }> = [];
    for (const f of rows.slice(0, EXPLAIN_LIMIT)) {
      const a = appeals.find((x) => x.caseId === f.caseId && APPEAL_EFFECTS[x.indicator as AppealIndicator]?.kind === f.kind);
      const effect = a ? APPEAL_EFFECTS[a.indicator as AppealIndicator] : undefined;
      if (a && effect?.mode === 'remove') excluded.push({ ...f, appealId: a.id });
      else if (a && effect?.mode === 'onTime' && !f.flag) kept.push({ ...f, flag: true, appealId: a.id });
      else kept.push(f);
    }
    const facts = flag === undefined ? kept : kept.filter((f) => f.flag === flag);
    // The value recomputed from the same facts, so a drill-down always adds up to the figure.
    const tally: Tally = {};
    for (const f of facts) {
      const t = tally[f.kind] ?? { n: 0, flagged: 0 };
      t.n += 1;
      if (f.flag) t.flagged += 1;
      tally[f.kind] = t;
    }
    const late = new Set(appeals.filter((a) => a.indicator === 'disposedLate').map((a) => `${id}:${a.caseId}`));
    const multiple =
      q.indicator === 'overdueMultiple' && !truncated ? ((await this.overdueMultiples(period, id, late)).kept.get(id) ?? 0) : 0;
    const values = type === 'department' ? departmentIndicators(tally, multiple) : regionIndicators(tally);
    const value = (values as Record<string, number | null>)[q.indicator] ?? null;
    const out = this.explained(q, period, { type, ...described }, kinds, facts, truncated, value);
    if (type !== 'department') return out;
    return {
      ...out,
      facts: out.facts.map((f, i) => ({ ...f, appealId: facts[i]?.appealId ?? null })),
      excludedByAppeal: excluded
        .filter((f) => flag === undefined || f.flag === flag)
        .map((f) => ({ kind: f.kind, caseId: f.caseId, caseNumber: f.caseNumber, eventId: f.eventId, appealId: f.appealId })),
    };
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
