import { createRequire } from 'node:module';
import type { TimeLimit } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { badRequest } from '../../errors.ts';
import {
  addLimit,
  CalendarError,
  DAY_KINDS,
  DAY_MS,
  type DayKind,
  DEFAULT_WORK_DAY_MODE,
  DEFAULT_WORKING_PERIODS,
  FIRST_YEAR,
  formatLocal,
  type Interval,
  isoToDay,
  LAST_YEAR,
  type LimitStatus,
  status as limitStatus,
  MINUTE_MS,
  type OpenInterval,
  parseDateTime,
  validateWorkingPeriods,
  WORK_DAY_MODES,
  type WorkDayMode,
  WorkingCalendar,
  type WorkingPeriod,
  weekdayOf,
} from './calendar.math.ts';
import { type CalendarDayRow, CalendarRepository } from './calendar.repository.ts';

/**
 * How long a loaded calendar is trusted before it is read again. Edits made through this
 * process invalidate it at once; the TTL bounds how long another server process may lag.
 */
export const CALENDAR_CACHE_TTL_MS = 30_000;

export interface YearCalendar {
  year: number;
  timeZone: string;
  workingPeriods: WorkingPeriod[];
  workDayMode: WorkDayMode;
  /** Whether the year holds days from the national schedule (false: not published or not seeded yet). */
  nationalSchedule: boolean;
  /** The stored days of the year: holidays, make-up workdays and city edits. */
  days: CalendarDayRow[];
  summary: {
    days: number;
    workingDays: number;
    restDays: number;
    holidays: number;
    makeupWorkdays: number;
    workingMinutes: number;
  };
}

interface NationalData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

/** The national schedule shipped in the `chinese-days` package: { 'YYYY-MM-DD': 'English,中文,n' }. */
function nationalData(): NationalData {
  const require = createRequire(import.meta.url);
  return require('chinese-days/dist/chinese-days.json') as NationalData;
}

const festival = (value: string) => value.split(',')[1]?.trim() || value;

/** Runs a pure calendar computation, turning its domain errors into 400s. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CalendarError) throw badRequest(err.code, err.message);
    throw err;
  }
}

/** The working calendar: days, working periods, deadline arithmetic for the other modules. */
export class CalendarService {
  readonly repo: CalendarRepository;
  private cached: { cal: WorkingCalendar; at: number } | null = null;
  private pending: Promise<WorkingCalendar> | null = null;
  private generation = 0;

  constructor(private readonly ctx: Context) {
    this.repo = new CalendarRepository(ctx.db);
  }

  /**
   * Copies the national holidays and make-up workdays of every year the package carries into
   * `calendar_day`. Idempotent; city edits are never overwritten. Call at start after migrating.
   */
  async seedNational(): Promise<{ firstYear: number; lastYear: number; days: number; written: number }> {
    const data = nationalData();
    const rows: Array<{ day: string; kind: DayKind; name: string }> = [];
    for (const [day, v] of Object.entries(data.holidays)) rows.push({ day, kind: 'holiday', name: festival(v) });
    for (const [day, v] of Object.entries(data.workdays)) rows.push({ day, kind: 'makeup_workday', name: `${festival(v)}调休` });
    rows.sort((a, b) => (a.day < b.day ? -1 : 1));
    const written = await this.repo.upsertNational(rows);
    if (written > 0) this.invalidate();
    const years = rows.map((r) => Number(r.day.slice(0, 4)));
    return { firstYear: Math.min(...years), lastYear: Math.max(...years), days: rows.length, written };
  }

  /** Forgets the loaded calendar; the next load() reads the tables again. */
  invalidate(): void {
    this.generation++;
    this.cached = null;
    this.pending = null;
  }

  /** The working calendar built from the tables and the city's time zone (cached). */
  async load(): Promise<WorkingCalendar> {
    if (this.cached && Date.now() - this.cached.at < CALENDAR_CACHE_TTL_MS) return this.cached.cal;
    if (this.pending) return this.pending;
    const generation = this.generation;
    const pending = (async () => {
      const [rows, setting, settings] = await Promise.all([this.repo.allKinds(), this.repo.getSetting(), this.ctx.services.settings.get()]);
      const cal = guard(
        () =>
          new WorkingCalendar({
            timeZone: settings.timeZone,
            periods: setting?.workingPeriods ?? DEFAULT_WORKING_PERIODS,
            workDayMode: setting?.workDayMode ?? DEFAULT_WORK_DAY_MODE,
            days: new Map(rows.map((r) => [r.day, r.kind])),
          }),
      );
      if (generation === this.generation) this.cached = { cal, at: Date.now() };
      return cal;
    })();
    this.pending = pending;
    try {
      return await pending;
    } finally {
      if (this.pending === pending) this.pending = null;
    }
  }

  /** The deadline of a limit started at `start`, pauses (挂账) excluded. */
  async deadline(start: Date, limit: TimeLimit, pauses?: Interval[]): Promise<Date> {
    const cal = await this.load();
    return guard(() => addLimit(start, limit, cal, pauses));
  }

  /** Where a limit stands at `now` (default: the current time): deadline, elapsed, ratio, light. */
  async status(input: {
    start: Date;
    now?: Date;
    limit: TimeLimit;
    pauses?: OpenInterval[];
    extensions?: TimeLimit[];
  }): Promise<LimitStatus> {
    const cal = await this.load();
    return guard(() => limitStatus(input.start, input.now ?? new Date(), input.limit, cal, input.pauses, input.extensions));
  }

  /** The operators' deadline tool: times as text (no zone = the city's local time). */
  async compute(input: {
    start: string;
    limit: TimeLimit;
    now?: string;
    pauses?: Array<{ start: string; end: string | null }>;
    extensions?: TimeLimit[];
  }) {
    const cal = await this.load();
    const parse = (text: string, field: string) => {
      const d = parseDateTime(text, cal.zone);
      if (!d)
        throw badRequest('date_invalid', `${field} 不是有效时间（YYYY-MM-DDTHH:MM）/ ${field} is not a valid time (YYYY-MM-DDTHH:MM)`);
      return d;
    };
    const start = parse(input.start, 'start');
    const now = input.now ? parse(input.now, 'now') : new Date();
    const pauses = (input.pauses ?? []).map((p, i) => {
      const ps = parse(p.start, `pauses[${i}].start`);
      const pe = p.end === null ? null : parse(p.end, `pauses[${i}].end`);
      if (pe && pe < ps) throw badRequest('pause_invalid', `挂账结束早于开始 / pauses[${i}] ends before it starts`);
      return { start: ps, end: pe };
    });
    const st = guard(() => limitStatus(start, now, input.limit, cal, pauses, input.extensions));
    return {
      timeZone: cal.timeZone,
      start: start.toISOString(),
      startLocal: formatLocal(start, cal.zone),
      deadline: st.deadline.toISOString(),
      deadlineLocal: formatLocal(st.deadline, cal.zone),
      limit: input.limit,
      now: now.toISOString(),
      elapsedMin: st.elapsedMin,
      limitMin: st.limitMin,
      remainingMin: st.remainingMin,
      ratio: st.ratio,
      light: st.light,
    };
  }

  async getWorkingPeriods(): Promise<{ workingPeriods: WorkingPeriod[]; workDayMode: WorkDayMode; timeZone: string }> {
    const [setting, settings] = await Promise.all([this.repo.getSetting(), this.ctx.services.settings.get()]);
    return {
      workingPeriods: setting?.workingPeriods ?? DEFAULT_WORKING_PERIODS.map((p) => ({ ...p })),
      workDayMode: setting?.workDayMode ?? DEFAULT_WORK_DAY_MODE,
      timeZone: settings.timeZone,
    };
  }

  /** The stored days of a year (holidays, make-up workdays, city edits), working periods and counts. */
  async listDays(year: number): Promise<YearCalendar> {
    if (!Number.isInteger(year) || year < FIRST_YEAR || year > LAST_YEAR) {
      throw badRequest(
        'calendar_year_invalid',
        `年份应在 ${FIRST_YEAR}–${LAST_YEAR} 之间 / The year must be within ${FIRST_YEAR}–${LAST_YEAR}`,
      );
    }
    const [cal, days, periods] = await Promise.all([this.load(), this.repo.listYear(year), this.getWorkingPeriods()]);
    const from = Date.UTC(year, 0, 1) / DAY_MS;
    const to = Date.UTC(year + 1, 0, 1) / DAY_MS;
    let holidays = 0;
    let makeupWorkdays = 0;
    for (let d = from; d < to; d++) {
      const k = cal.dayKind(d);
      if (k === 'holiday') holidays++;
      else if (k === 'makeup_workday') makeupWorkdays++;
    }
    const workingDays = cal.workingDaysBetween(from, to);
    return {
      year,
      timeZone: periods.timeZone,
      workingPeriods: periods.workingPeriods,
      workDayMode: periods.workDayMode,
      nationalSchedule: days.some((d) => d.source === 'national'),
      days,
      summary: {
        days: to - from,
        workingDays,
        restDays: to - from - workingDays,
        holidays,
        makeupWorkdays,
        workingMinutes: (workingDays * cal.dayWorkMs) / MINUTE_MS,
      },
    };
  }

  /**
   * Sets the kind of one day as a city edit (kept over re-seeds; audited). A weekday may be a
   * workday or a holiday; a Saturday or Sunday a weekend, a holiday or a make-up workday.
   */
  async setDay(day: string, kind: DayKind, name: string | null, actorId: number | null): Promise<CalendarDayRow> {
    const d = isoToDay(day);
    if (d === null) throw badRequest('calendar_day_invalid', `日期无效：${day}（应为 YYYY-MM-DD）/ Not a date: ${day} (YYYY-MM-DD)`);
    const year = Number(day.slice(0, 4));
    if (year < FIRST_YEAR || year > LAST_YEAR) {
      throw badRequest(
        'calendar_day_invalid',
        `日期应在 ${FIRST_YEAR}–${LAST_YEAR} 年之间 / The date must be within ${FIRST_YEAR}–${LAST_YEAR}`,
      );
    }
    if (!(DAY_KINDS as readonly string[]).includes(kind)) {
      throw badRequest('calendar_day_invalid', `未知的日类型 ${kind} / Unknown day kind ${kind}`);
    }
    const wd = weekdayOf(d);
    const weekend = wd === 0 || wd === 6;
    if (weekend && kind === 'workday') {
      throw badRequest(
        'calendar_day_invalid',
        `${day} 是周末：上班的周末日应设为 makeup_workday（调休）/ ${day} is a weekend day: a worked weekend day is a makeup_workday`,
      );
    }
    if (!weekend && (kind === 'weekend' || kind === 'makeup_workday')) {
      throw badRequest(
        'calendar_day_invalid',
        `${day} 是工作日：只能设为 workday 或 holiday / ${day} is a weekday: it can be a workday or a holiday`,
      );
    }
    const trimmed = name?.trim() || null;
    if (trimmed && trimmed.length > 50)
      throw badRequest('calendar_day_invalid', '名称过长（最多 50 字）/ The name is too long (50 at most)');
    const after = await this.ctx.db.transaction().execute(async (trx) => {
      const before = await this.repo.getDay(day, trx);
      await this.repo.upsertCityDay({ day, kind, name: trimmed, updatedBy: actorId }, trx);
      const row = (await this.repo.getDay(day, trx)) as CalendarDayRow;
      await this.ctx.services.audit.record(
        {
          actorId,
          action: 'calendar.day.set',
          entity: 'calendar_day',
          entityId: day,
          before: before
            ? { kind: before.kind, name: before.name, source: before.source }
            : { kind: wd === 0 || wd === 6 ? 'weekend' : 'workday', name: null, source: null },
          after: { kind: row.kind, name: row.name, source: row.source },
        },
        trx,
      );
      return row;
    });
    this.invalidate();
    return after;
  }

  /** Replaces the daily working periods and the 工作日 mode (kept when omitted); validated, audited. */
  async setWorkingPeriods(periods: WorkingPeriod[], mode: WorkDayMode | undefined, actorId: number | null) {
    const err = validateWorkingPeriods(periods);
    if (err) throw badRequest('working_periods_invalid', err);
    const workDayMode = mode ?? (await this.getWorkingPeriods()).workDayMode;
    if (!(WORK_DAY_MODES as readonly string[]).includes(workDayMode)) {
      throw badRequest('working_periods_invalid', `workDayMode 应为 hours 或 close_of_day / workDayMode must be hours or close_of_day`);
    }
    const clean = periods.map((p) => ({ start: p.start, end: p.end }));
    await this.ctx.db.transaction().execute(async (trx) => {
      const before = await this.repo.getSetting(trx);
      await this.repo.putSetting({ workingPeriods: clean, workDayMode, updatedBy: actorId }, trx);
      await this.ctx.services.audit.record(
        {
          actorId,
          action: 'calendar.periods.set',
          entity: 'calendar_setting',
          entityId: null,
          before: before ? { workingPeriods: before.workingPeriods, workDayMode: before.workDayMode } : null,
          after: { workingPeriods: clean, workDayMode },
        },
        trx,
      );
    });
    this.invalidate();
    return this.getWorkingPeriods();
  }
}
