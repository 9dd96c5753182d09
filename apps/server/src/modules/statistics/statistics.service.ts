import { CASE_SOURCE_LABELS, type CaseSource } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { forbidden, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import { dayToIso, isoToDay } from '../calendar/calendar.math.ts';
import { ownDepartment, ownDepartmentOnly } from '../evaluation/evaluation.access.ts';
import { POSITION_ROLES, type PositionRole } from '../evaluation/evaluation.config.ts';
import { addMonths } from '../evaluation/evaluation.periods.ts';
import type { PeriodQuery } from '../evaluation/evaluation.service.ts';
import { type ReportCount, StatisticsRepository } from './statistics.repository.ts';

export const RANKING_OBJECTS = ['district', 'street', 'community', 'grid', 'department', ...POSITION_ROLES] as const;
export type RankingObject = (typeof RANKING_OBJECTS)[number];
const isPosition = (o: RankingObject): o is PositionRole => (POSITION_ROLES as readonly string[]).includes(o);

export interface Days {
  from: string;
  to: string;
}

/** A figure of the period beside the previous period's: `change` is the difference, `ratio` the relative change (null from 0). */
export interface Change {
  value: number | null;
  previous: number | null;
  change: number | null;
  ratio: number | null;
}

export function change(value: number | null, previous: number | null): Change {
  const diff = value === null || previous === null ? null : value - previous;
  const ratio = diff === null || !previous ? null : diff / previous;
  return { value, previous, change: diff, ratio };
}

const ratioOf = (n: number, d: number): number | null => (d === 0 ? null : n / d);

/**
 * The period before a period of the same length: whole calendar months go back by as many
 * months (so March's previous is February, a quarter's the quarter before, a year's the year
 * before); any other range goes back by its number of days.
 */
export function previousPeriod(p: Days): Days {
  const from = isoToDay(p.from);
  const to = isoToDay(p.to);
  if (from === null || to === null) return p;
  if (p.from.endsWith('-01') && p.to.endsWith('-01')) {
    const month = (iso: string) => Number(iso.slice(0, 4)) * 12 + Number(iso.slice(5, 7)) - 1;
    return { from: addMonths(p.from, month(p.from) - month(p.to)), to: p.from };
  }
  return { from: dayToIso(from - (to - from)), to: p.from };
}

/** 'YYYY-MM' → the month as days [first, first of next). */
export function monthDays(month: string): Days {
  return { from: `${month}-01`, to: addMonths(`${month}-01`, 1) };
}

/**
 * The department a caller is held to, as evaluation holds them (its departments list and
 * drill-down): someone whose every evaluation role is a department's own (处置人员, 部门管理员)
 * sees their department only. undefined = the whole city.
 */
export function departmentScope(auth: Auth): number | undefined {
  if (!ownDepartmentOnly(auth)) return undefined;
  const id = ownDepartment(auth);
  if (id === null || id === undefined) throw forbidden('您不属于任何部门 / You belong to no department');
  return id;
}

interface Scored {
  value: number | null;
  grade: string | null;
  color: string | null;
}

export interface RankingItem {
  id: number;
  code: string;
  name: string;
  /** 1 = best composite; objects with the same composite share a rank; null when not scored. */
  rank: number | null;
  previousRank: number | null;
  indicators: Record<string, number | null>;
  previousIndicators: Record<string, number | null>;
  composite: Scored;
  previousComposite: Scored;
}

type EvalItems = Array<{
  id: number;
  code: string;
  name: string;
  indicators: Record<string, number | null>;
  composite: Scored & { terms?: unknown };
}>;

/** Competition ranking (1, 2, 2, 4) by composite, highest first; unscored objects get no rank. */
function ranks(items: EvalItems): Map<number, number> {
  const scored = items.filter((i) => i.composite.value !== null).sort((a, b) => (b.composite.value ?? 0) - (a.composite.value ?? 0));
  const m = new Map<number, number>();
  scored.forEach((it, i) => {
    const prev = scored[i - 1];
    m.set(it.id, prev && prev.composite.value === it.composite.value ? (m.get(prev.id) as number) : i + 1);
  });
  return m;
}

const scoredOf = (c: Scored | undefined): Scored => ({ value: c?.value ?? null, grade: c?.grade ?? null, color: c?.color ?? null });

/** The thematic figures of a period (see `thematic`). */
export interface Thematic {
  reports: Change;
  classes: Array<{ edition: string; kind: string; code: string; name: string } & Change>;
  grids: Array<{ id: number; code: string; name: string; lng: number; lat: number; reports: number }>;
  hours: number[];
  sources: Array<{ source: string; label: string; reports: number; previous: number }>;
}

/**
 * 报表: rankings with month-over-month change, thematic statistics and the monthly bulletin,
 * built on the evaluation module's figures (its period rules, indicators, composites and grades)
 * and on the reports' own counts.
 */
export class StatisticsService {
  readonly repo: StatisticsRepository;
  constructor(private readonly ctx: Context) {
    this.repo = new StatisticsRepository(ctx.db);
  }

  private get evaluation() {
    return this.ctx.services.evaluation;
  }

  /** The evaluation rows of one object type for a period, flattened to id, code, name. */
  private async evaluate(auth: Auth, object: RankingObject, q: PeriodQuery): Promise<{ configVersion: number; items: EvalItems }> {
    if (isPosition(object)) {
      // 岗位: one row per person holding the position (the username stands in for a code).
      const r = await this.evaluation.positions(auth, { ...q, role: object });
      return {
        configVersion: r.configVersion,
        items: r.items.map((i) => ({
          id: i.person.id,
          code: i.person.username,
          name: i.person.name,
          indicators: i.indicators as Record<string, number | null>,
          composite: i.composite,
        })),
      };
    }
    if (object === 'department') {
      const r = await this.evaluation.departments(auth, q);
      return {
        configVersion: r.configVersion,
        items: r.items.map((i) => ({ ...i.department, indicators: i.indicators as Record<string, number | null>, composite: i.composite })),
      };
    }
    const r = await this.evaluation.regions(auth, { ...q, level: object });
    return {
      configVersion: r.configVersion,
      items: r.items.map((i) => ({
        id: i.region.id,
        code: i.region.code,
        name: i.region.name,
        indicators: i.indicators as Record<string, number | null>,
        composite: i.composite,
      })),
    };
  }

  /**
   * 评价排名: one object type's indicators, composite and grade for a period, ranked, beside the
   * previous period's (same configuration version) for the month-over-month arrows.
   */
  async rankings(auth: Auth, q: PeriodQuery & { object: RankingObject }) {
    const period = await this.evaluation.period(q);
    const prevDays = previousPeriod(q);
    const cur = await this.evaluate(auth, q.object, q);
    const prev = await this.evaluate(auth, q.object, { ...q, ...prevDays, configVersion: cur.configVersion });
    const rank = ranks(cur.items);
    const prevRank = ranks(prev.items);
    const prevById = new Map(prev.items.map((i) => [i.id, i]));
    const items: RankingItem[] = cur.items
      .map((i) => ({
        id: i.id,
        code: i.code,
        name: i.name,
        rank: rank.get(i.id) ?? null,
        previousRank: prevRank.get(i.id) ?? null,
        indicators: i.indicators,
        previousIndicators: prevById.get(i.id)?.indicators ?? {},
        composite: scoredOf(i.composite),
        previousComposite: scoredOf(prevById.get(i.id)?.composite),
      }))
      .sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER) || a.code.localeCompare(b.code));
    return {
      from: q.from,
      to: q.to,
      attribution: period.attribution,
      start: period.lo,
      end: period.hi,
      asOf: period.asOf,
      previous: prevDays,
      object: q.object,
      configVersion: cur.configVersion,
      items,
    };
  }

  /**
   * 专题统计: the reports of a period (案卷 by creation time, every source) by class (top N, with
   * the previous period's count), by unit grid (with a point inside each grid, for the heat map),
   * by local hour of the day and by source. A department's own people see their department's cases.
   */
  async thematic(auth: Auth, q: Days & { top?: number }) {
    const own = departmentScope(auth);
    const period = await this.evaluation.period(q);
    const prevDays = previousPeriod(q);
    const prev = await this.evaluation.period(prevDays);
    const figures = await this.thematicFigures({ prevLo: prev.lo, lo: period.lo, hi: period.hi }, period.zone, q.top ?? 10, own);
    return {
      from: q.from,
      to: q.to,
      start: period.lo,
      end: period.hi,
      previous: prevDays,
      timeZone: period.zone,
      departmentId: own ?? null,
      ...figures,
    };
  }

  private async thematicFigures(range: { prevLo: Date; lo: Date; hi: Date }, zone: string, top: number, own?: number): Promise<Thematic> {
    const rows = await this.repo.reportCounts(range, zone, own);
    const pick = (dim: ReportCount['dim'], current: boolean) => rows.filter((r) => r.dim === dim && r.current === current);
    const total = (current: boolean) => pick('total', current)[0]?.n ?? 0;

    const key = (r: ReportCount) => `${r.edition}|${r.kind}|${r.classCode}`;
    const prevClass = new Map(pick('class', false).map((r) => [key(r), r.n]));
    const topClasses = pick('class', true)
      .sort((a, b) => b.n - a.n || String(a.classCode).localeCompare(String(b.classCode)))
      .slice(0, top);
    const names = await this.repo.classNames(
      topClasses.map((r) => ({ edition: r.edition as string, kind: r.kind as string, code: r.classCode as string })),
    );
    const classes = topClasses.map((r) => ({
      edition: r.edition as string,
      kind: r.kind as string,
      code: r.classCode as string,
      name: names.get(key(r)) ?? (r.classCode as string),
      ...change(r.n, prevClass.get(key(r)) ?? 0),
    }));

    const gridRows = pick('grid', true).filter((r) => r.gridId !== null);
    const places = new Map((await this.repo.gridPlaces(gridRows.map((r) => r.gridId as number))).map((g) => [g.id, g]));
    const grids = gridRows
      .flatMap((r) => {
        const g = places.get(r.gridId as number);
        return g ? [{ ...g, reports: r.n }] : [];
      })
      .sort((a, b) => b.reports - a.reports || a.code.localeCompare(b.code));

    const hours = Array.from({ length: 24 }, () => 0);
    for (const r of pick('hour', true)) if (r.hour !== null) hours[r.hour] = r.n;

    const prevSource = new Map(pick('source', false).map((r) => [r.source, r.n]));
    const sources = pick('source', true)
      .map((r) => ({
        source: r.source as string,
        label: CASE_SOURCE_LABELS[r.source as CaseSource] ?? (r.source as string),
        reports: r.n,
        previous: prevSource.get(r.source) ?? 0,
      }))
      .sort((a, b) => b.reports - a.reports || a.source.localeCompare(b.source));

    return { reports: change(total(true), total(false)), classes, grids, hours, sources };
  }

  /** City totals of one period from the evaluation figures: regions summed over the districts, disposal over the departments. */
  private totalsOf(districts: EvalItems, departments: EvalItems) {
    const sum = (items: EvalItems, k: string) => items.reduce((s, i) => s + (i.indicators[k] ?? 0), 0);
    const registered = sum(districts, 'registered');
    const closed = sum(districts, 'closed');
    const dueClose = sum(districts, 'dueClose');
    const closedOnTime = sum(districts, 'closedOnTime');
    const disposed = sum(departments, 'disposed');
    const dueDisposal = sum(departments, 'dueDisposal');
    const disposedOnTime = sum(departments, 'disposedOnTime');
    return {
      registered,
      reportVerified: sum(districts, 'reportVerified'),
      closed,
      dueClose,
      closeRate: ratioOf(closed, dueClose),
      closedOnTime,
      onTimeCloseRate: ratioOf(closedOnTime, dueClose),
      disposed,
      dueDisposal,
      disposedOnTime,
      onTimeDisposalRate: ratioOf(disposedOnTime, dueDisposal),
      overdueUndisposed: sum(departments, 'overdueUndisposed'),
    };
  }

  /**
   * 月度通报: the month's totals and rates beside the previous month's, the rankings of districts,
   * streets and departments with grades, the classes with most reports and the hot-spot grids.
   * City-wide: a department's own people are refused (they have the department ranking).
   */
  async bulletin(auth: Auth, q: { month: string; top?: number }) {
    if (departmentScope(auth) !== undefined) {
      throw forbidden(
        '月度通报为全市通报，部门人员请查看本部门评价 / The bulletin is city-wide; department staff see their own evaluation',
      );
    }
    const days = monthDays(q.month);
    if (isoToDay(days.from) === null) throw unprocessable('statistics_month_invalid', `月份无效 / Not a month: ${q.month}`);
    const top = q.top ?? 10;
    const districts = await this.rankings(auth, { ...days, object: 'district' });
    const streets = await this.rankings(auth, { ...days, object: 'street' });
    const departments = await this.rankings(auth, { ...days, object: 'department' });
    const asItems = (r: { items: RankingItem[] }, previous: boolean): EvalItems =>
      r.items.map((i) => ({
        id: i.id,
        code: i.code,
        name: i.name,
        indicators: previous ? i.previousIndicators : i.indicators,
        composite: previous ? i.previousComposite : i.composite,
      }));
    const cur = this.totalsOf(asItems(districts, false), asItems(departments, false));
    const prev = this.totalsOf(asItems(districts, true), asItems(departments, true));
    const period = await this.evaluation.period(days);
    const prevPeriod = await this.evaluation.period(districts.previous);
    const thematic = await this.thematicFigures({ prevLo: prevPeriod.lo, lo: period.lo, hi: period.hi }, period.zone, top);
    const totals = {
      reports: thematic.reports,
      ...(Object.fromEntries((Object.keys(cur) as Array<keyof typeof cur>).map((k) => [k, change(cur[k], prev[k])])) as Record<
        keyof typeof cur,
        Change
      >),
    };
    const ranking = (r: { items: RankingItem[] }) =>
      r.items.map((i) => ({
        id: i.id,
        code: i.code,
        name: i.name,
        rank: i.rank,
        previousRank: i.previousRank,
        composite: i.composite,
        previousComposite: i.previousComposite,
        indicators: i.indicators,
      }));
    return {
      month: q.month,
      from: days.from,
      to: days.to,
      start: period.lo,
      end: period.hi,
      asOf: period.asOf,
      previous: districts.previous,
      timeZone: period.zone,
      configVersion: districts.configVersion,
      totals,
      rankings: { districts: ranking(districts), streets: ranking(streets), departments: ranking(departments) },
      worstClasses: thematic.classes,
      hotGrids: thematic.grids.slice(0, top),
      sources: thematic.sources,
    };
  }
}
