import type { Context } from '../../context.ts';
import { forbidden } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import { DAY_MS, dayToIso, Zone } from '../calendar/calendar.math.ts';
import { ratio } from '../evaluation/evaluation.config.ts';
import type { RegionLevel } from '../evaluation/evaluation.repository.ts';
import type { EvaluationService } from '../evaluation/evaluation.service.ts';
import { CommandRepository, type OpenCaseTuple, regionScope, type ScopeCondition } from './command.repository.ts';

/** Centre roles that may read the command screen; one of them without a scope sees the whole city. */
const CENTRE_ROLES = ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor'];
const TOP_CLASSES = 10;
const RECENT_EVENTS = 30;
/** The map shows at most this many open cases (urgent and overdue first). */
export const MAP_CASE_LIMIT = 20_000;
/**
 * The evaluation figures (按期结案率, rankings) are the costly part of an overview: the
 * evaluation's fact query over a month of the log takes seconds on a large city, and on PGlite it
 * holds the only connection meanwhile. So they are not recomputed on every change: a read gets
 * the last figures of the day if they are younger than EVALUATION_MAX_AGE_MS and, when they are
 * older than EVALUATION_REFRESH_MS, starts one recomputation in the background for the next read.
 * Older figures, or another day's, are recomputed before answering. `evaluatedAt` says when.
 */
export const EVALUATION_REFRESH_MS = 30_000;
export const EVALUATION_MAX_AGE_MS = 300_000;

interface Evaluated {
  evaluatedAt: Date;
  onTime: { today: OnTime; month: OnTime };
  rankings: Awaited<ReturnType<CommandService['rankings']>>;
}

interface EvaluationEntry {
  day: string;
  at: number;
  value: Promise<Evaluated>;
  settled: Evaluated | null;
  refreshing: boolean;
}

interface CallerScope {
  /** null: the whole city; else the regions of the caller's scoped grants. */
  regionIds: number[] | null;
  key: string;
}

type RegionsResult = Awaited<ReturnType<EvaluationService['regions']>>;
type Bounds = Awaited<ReturnType<CommandService['bounds']>>;

/** An on-time figure: 按期结案率 = 按期结案数 / 应结案数, null when nothing was due. */
export interface OnTime {
  rate: number | null;
  onTime: number;
  due: number;
}

/** The command screen (监督指挥): one aggregate read of the live picture in the caller's area. */
export class CommandService {
  readonly repo: CommandRepository;
  /**
   * The last answer per area, reused while nothing happened: its stamp is the newest event this
   * process delivered and the second on the clock, so screens refetching on the same event
   * share one computation, and any change (every writer announces one) or a second passing
   * makes the next read fresh.
   */
  readonly #cache = new Map<string, { stamp: string; value: Promise<unknown> }>();
  readonly #evaluation = new Map<string, EvaluationEntry>();
  readonly #background = new Set<Promise<unknown>>();

  constructor(private readonly ctx: Context) {
    this.repo = new CommandRepository(ctx.db);
  }

  /** The caller's area: the whole city for an unscoped centre role, else the regions of their grants. */
  scopeOf(auth: Auth): CallerScope {
    const centre = auth.roles.filter((r) => CENTRE_ROLES.includes(r.role));
    if (centre.length === 0) throw forbidden();
    if (centre.some((r) => r.scopeRegionId === null && r.scopeDepartmentId === null)) return { regionIds: null, key: 'city' };
    const ids = [...new Set(centre.map((r) => r.scopeRegionId).filter((x): x is number => x !== null))].sort((a, b) => a - b);
    return { regionIds: ids, key: `r:${ids.join(',')}` };
  }

  /** Local day and month bounds around `now` in the city's time zone. */
  async bounds(now: Date) {
    const zone = new Zone((await this.ctx.services.settings.get()).timeZone);
    const day = Math.floor(zone.toLocal(now.getTime()) / DAY_MS);
    const iso = dayToIso(day);
    const [y, m] = iso.split('-').map(Number) as [number, number];
    const monthFirst = Date.UTC(y, m - 1, 1) / DAY_MS;
    const nextMonthFirst = Date.UTC(y, m, 1) / DAY_MS;
    return {
      zone: zone.name,
      today: iso,
      tomorrow: dayToIso(day + 1),
      month: iso.slice(0, 7),
      monthFrom: dayToIso(monthFirst),
      monthTo: dayToIso(nextMonthFirst),
      dayLo: new Date(zone.toUtc(day * DAY_MS)),
      dayHi: new Date(zone.toUtc((day + 1) * DAY_MS)),
    };
  }

  /** Everything the big screen's panels show, in one answer. */
  async overview(auth: Auth) {
    const scope = this.scopeOf(auth);
    return this.cached(`overview:${scope.key}`, () => this.computeOverview(auth, scope));
  }

  /** The open cases of the caller's area for the map. */
  async openCases(auth: Auth): Promise<{ asOf: Date; limit: number; fields: string[]; items: OpenCaseTuple[] }> {
    const scope = this.scopeOf(auth);
    return this.cached(`cases:${scope.key}`, async () => {
      const now = this.ctx.now();
      const items = await this.repo.openCases(regionScope(scope.regionIds), now, MAP_CASE_LIMIT);
      return { asOf: now, limit: MAP_CASE_LIMIT, fields: ['id', 'lng', 'lat', 'state', 'urgent', 'light'], items };
    });
  }

  private cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const stamp = `${this.ctx.services.realtime.lastId}:${Math.floor(this.ctx.now().getTime() / 1000)}`;
    const hit = this.#cache.get(key);
    if (hit?.stamp === stamp) return hit.value as Promise<T>;
    const value = compute();
    this.#cache.set(key, { stamp, value });
    value.catch(() => {
      if (this.#cache.get(key)?.value === value) this.#cache.delete(key);
    });
    return value;
  }

  private async computeOverview(auth: Auth, scope: CallerScope) {
    const now = this.ctx.now();
    const lastEventId = this.ctx.services.realtime.lastId;
    const b = await this.bounds(now);
    const where: ScopeCondition = regionScope(scope.regionIds);
    const counters = await this.repo.counters(where, b.dayLo, b.dayHi, now);
    const breakdown = await this.repo.todayBreakdown(where, b.dayLo, b.dayHi, TOP_CLASSES);
    const heat = await this.repo.gridHeat(where, b.dayLo, b.dayHi);
    const recent = await this.repo.recent(where, RECENT_EVENTS);
    const evaluated = await this.evaluated(auth, scope, b, now);
    return {
      asOf: now,
      timeZone: b.zone,
      today: b.today,
      month: b.month,
      scope: scope.regionIds === null ? { city: true, regionIds: [] } : { city: false, regionIds: scope.regionIds },
      lastEventId,
      counters,
      ...breakdown,
      ...evaluated,
      heat,
      recent,
    };
  }

  /** The area's evaluation figures, as kept (see EVALUATION_REFRESH_MS) or computed now. */
  private async evaluated(auth: Auth, scope: CallerScope, b: Bounds, now: Date): Promise<Evaluated> {
    const t = now.getTime();
    const kept = this.#evaluation.get(scope.key);
    if (kept && kept.day === b.today && t >= kept.at) {
      if (kept.settled && t - kept.at <= EVALUATION_MAX_AGE_MS) {
        if (t - kept.at >= EVALUATION_REFRESH_MS && !kept.refreshing) {
          kept.refreshing = true;
          const next = this.computeEvaluation(auth, scope, b, now);
          const done = next
            .then((settled) => this.#evaluation.set(scope.key, { day: b.today, at: t, value: next, settled, refreshing: false }))
            .catch(() => {
              kept.refreshing = false;
            })
            .finally(() => this.#background.delete(done));
          this.#background.add(done);
        }
        return kept.settled;
      }
      // The first computation of the day is still running: share it.
      if (!kept.settled && t - kept.at <= EVALUATION_MAX_AGE_MS) return kept.value;
    }
    const value = this.computeEvaluation(auth, scope, b, now);
    const entry: EvaluationEntry = { day: b.today, at: t, value, settled: null, refreshing: false };
    this.#evaluation.set(scope.key, entry);
    try {
      entry.settled = await value;
    } catch (err) {
      if (this.#evaluation.get(scope.key) === entry) this.#evaluation.delete(scope.key);
      throw err;
    }
    return entry.settled;
  }

  /** Waits for background recomputations (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.#background.size > 0) await Promise.all([...this.#background]);
  }

  private async computeEvaluation(auth: Auth, scope: CallerScope, b: Bounds, now: Date): Promise<Evaluated> {
    const today = { from: b.today, to: b.tomorrow };
    const month = { from: b.monthFrom, to: b.monthTo };
    // One evaluation per period and region level; the month's districts serve both the city's
    // on-time rate and the district ranking.
    const levels = new Map<RegionLevel, Set<number> | null>();
    if (scope.regionIds === null) levels.set('district', null);
    else {
      for (const r of await this.repo.regionLevels(scope.regionIds)) {
        const set = levels.get(r.level) ?? new Set<number>();
        set.add(r.id);
        levels.set(r.level, set);
      }
    }
    const regionsOf = new Map<string, Promise<RegionsResult>>();
    const regions = (period: { from: string; to: string }, level: RegionLevel) => {
      const key = `${period.from}:${level}`;
      let r = regionsOf.get(key);
      if (!r) {
        r = this.ctx.services.evaluation.regions(auth, { ...period, level });
        regionsOf.set(key, r);
      }
      return r;
    };
    const onTimeOf = async (period: { from: string; to: string }): Promise<OnTime> => {
      let onTime = 0;
      let due = 0;
      for (const [level, ids] of levels) {
        for (const item of (await regions(period, level)).items) {
          if (ids && !ids.has(Number(item.region.id))) continue;
          onTime += item.indicators.closedOnTime;
          due += item.indicators.dueClose;
        }
      }
      return { rate: ratio(onTime, due), onTime, due };
    };
    const onTime = { today: await onTimeOf(today), month: await onTimeOf(month) };
    const rankings = await this.rankings(auth, month, await regions(month, 'district'));
    return { evaluatedAt: now, onTime, rankings };
  }

  /** District and department rankings of the month by the evaluation's composite score, best first. */
  private async rankings(auth: Auth, period: { from: string; to: string }, regions: RegionsResult) {
    const byScore = <T extends { score: number | null }>(a: T, b: T) => (b.score ?? -1) - (a.score ?? -1);
    const departments = await this.ctx.services.evaluation.departments(auth, period);
    return {
      period,
      configVersion: regions.configVersion,
      districts: regions.items
        .map((i) => ({
          id: Number(i.region.id),
          name: i.region.name,
          score: i.composite.value,
          grade: i.composite.grade,
          color: i.composite.color,
          onTimeRate: i.indicators.onTimeCloseRate,
          registered: i.indicators.registered,
        }))
        .sort(byScore),
      departments: departments.items
        .map((i) => ({
          id: Number(i.department.id),
          name: i.department.name,
          score: i.composite.value,
          grade: i.composite.grade,
          color: i.composite.color,
          onTimeRate: i.indicators.onTimeDisposalRate,
          dueDisposal: i.indicators.dueDisposal,
        }))
        .sort(byScore),
    };
  }
}
