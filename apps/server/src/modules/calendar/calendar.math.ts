import type { TimeLimit, TimeType } from '@cityloop/shared';

/**
 * Deadline arithmetic over a working calendar (STANDARDS §5). Pure: no database, no clock.
 *
 * Model
 * - Instants are `Date`s (UTC). Calendar reasoning happens on the city's local wall clock:
 *   an instant is mapped to "local milliseconds" (UTC ms + the zone's offset at that instant),
 *   so a local day is always 24 h and working periods are local times of day.
 * - Counted time depends on the time type:
 *   `urgent` (紧急工作时) and `natural` (自然日) count wall time continuously (a day = 24 h);
 *   `work` (工作时/工作日) counts only the working periods of working days.
 * - Working days: Monday–Friday unless the day table says otherwise; `makeup_workday` (调休)
 *   is a worked weekend day; `holiday` is a day off whatever the weekday.
 * - Work-time is a cumulative function C(t) = working ms from the start of the calendar range
 *   to t, computed from a per-day prefix sum, so measuring and inverting skip whole days in O(1)
 *   and O(log days): nothing steps minute by minute.
 * - A deadline is the earliest instant at which the counted time reaches the limit; for `work`
 *   that is inside a working period or exactly at a period's end (e.g. 12:00, 18:00).
 * - `workDayMode`: N 工作日 is N × (working minutes of a day) in 'hours' mode; in 'close_of_day'
 *   mode it ends at the close of the Nth working day after the day the clock starts (the start
 *   day itself is not counted, as for periods counted in days in Chinese administrative law).
 * - Pauses (挂账) are intervals that consume no time: the deadline moves by the counted time they
 *   cover (a clock started inside a pause starts when it ends). In 'close_of_day' mode the day
 *   count fixes an amount of working time at the start, which pauses then push like any other.
 *   Extensions (延期) are extra limits counted on from the current deadline.
 *
 * Time zones: IANA names go through Intl (offsets cached per UTC day, transitions found by
 * bisection); a fixed offset such as '+08:00' is also accepted. Within one local day a working
 * period is assumed not to span a DST change (changes happen at night where zones have them;
 * China has had none since 1991).
 */

export const DAY_KINDS = ['workday', 'weekend', 'holiday', 'makeup_workday'] as const;
export type DayKind = (typeof DAY_KINDS)[number];
export const WORK_DAY_MODES = ['hours', 'close_of_day'] as const;
export type WorkDayMode = (typeof WORK_DAY_MODES)[number];

/** A daily working period in local time, 'HH:MM'–'HH:MM' (end may be '24:00'). */
export interface WorkingPeriod {
  start: string;
  end: string;
}

/** A closed-open interval of time [start, end). */
export interface Interval {
  start: Date;
  end: Date;
}

export const DEFAULT_WORKING_PERIODS: readonly WorkingPeriod[] = [
  { start: '08:00', end: '12:00' },
  { start: '14:00', end: '18:00' },
];
export const DEFAULT_WORK_DAY_MODE: WorkDayMode = 'hours';

/** Days the calendar can reason about (local dates). Outside: CalendarError('date_out_of_range'). */
export const FIRST_YEAR = 1970;
export const LAST_YEAR = 2199;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A domain error with a stable code; the service turns it into a 400. */
export class CalendarError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CalendarError';
  }
}

// ---------------------------------------------------------------------------------------------
// Dates as day numbers (days since 1970-01-01, proleptic Gregorian)

/** 'YYYY-MM-DD' → day number, or null when it is not a real date. */
export function isoToDay(iso: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

/** Day number → 'YYYY-MM-DD'. */
export function dayToIso(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export const weekdayOf = (day: number): number => (((day + 4) % 7) + 7) % 7;

/** The kind a day has when the day table says nothing about it. */
export const defaultKind = (day: number): DayKind => {
  const wd = weekdayOf(day);
  return wd === 0 || wd === 6 ? 'weekend' : 'workday';
};

export const isWorkingKind = (k: DayKind): boolean => k === 'workday' || k === 'makeup_workday';

const FIRST_DAY = Date.UTC(FIRST_YEAR, 0, 1) / DAY_MS;
const END_DAY = Date.UTC(LAST_YEAR + 1, 0, 1) / DAY_MS; // exclusive
const KIND_CODE: Record<DayKind, number> = { workday: 0, weekend: 1, holiday: 2, makeup_workday: 3 };

// ---------------------------------------------------------------------------------------------
// Time zones

/** UTC ↔ local wall-clock milliseconds for one zone. */
export class Zone {
  private readonly fixed: number | null;
  private readonly fmt: Intl.DateTimeFormat | null;
  /** UTC day → offset, for days with one offset throughout. */
  private readonly steady = new Map<number, number>();
  /** UTC day → [transition instant, offset before, offset after]. */
  private readonly changes = new Map<number, [number, number, number]>();
  private lastDay = Number.NaN;
  private lastOffset = 0;

  constructor(readonly name: string) {
    const m = /^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})$/.exec(name);
    if (m) {
      this.fixed = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * MINUTE_MS;
      this.fmt = null;
      return;
    }
    if (name === 'UTC' || name === 'Etc/UTC') {
      this.fixed = 0;
      this.fmt = null;
      return;
    }
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new CalendarError('time_zone_invalid', `未知时区 ${name} / Unknown time zone ${name}`);
    }
    this.fixed = null;
  }

  /** Offset (ms to add to UTC) in force at a UTC instant. */
  offsetAt(ms: number): number {
    if (this.fixed !== null) return this.fixed;
    const day = Math.floor(ms / DAY_MS);
    if (day === this.lastDay) return this.lastOffset;
    const steady = this.steady.get(day);
    if (steady !== undefined) {
      this.lastDay = day;
      this.lastOffset = steady;
      return steady;
    }
    let change = this.changes.get(day);
    if (!change) {
      const from = day * DAY_MS;
      const a = this.rawOffset(from);
      const b = this.rawOffset(from + DAY_MS - 1);
      if (a === b) {
        this.steady.set(day, a);
        this.lastDay = day;
        this.lastOffset = a;
        return a;
      }
      // Bisect to the second at which the offset changes.
      let lo = from;
      let hi = from + DAY_MS - 1;
      while (hi - lo > 1000) {
        const mid = Math.floor((lo + hi) / 2);
        if (this.rawOffset(mid) === a) lo = mid;
        else hi = mid;
      }
      change = [Math.floor(hi / 1000) * 1000, a, b];
      this.changes.set(day, change);
    }
    return ms < change[0] ? change[1] : change[2];
  }

  private rawOffset(ms: number): number {
    const p: Record<string, number> = {};
    for (const part of (this.fmt as Intl.DateTimeFormat).formatToParts(new Date(ms))) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    const asUtc = Date.UTC(
      p.year as number,
      (p.month as number) - 1,
      p.day as number,
      p.hour as number,
      p.minute as number,
      p.second as number,
    );
    return asUtc - Math.floor(ms / 1000) * 1000;
  }

  toLocal(ms: number): number {
    return ms + this.offsetAt(ms);
  }

  /** Local wall-clock ms → UTC ms (in a DST gap or overlap, one of the two readings). */
  toUtc(local: number): number {
    return local - this.offsetAt(local - this.offsetAt(local));
  }
}

// ---------------------------------------------------------------------------------------------
// Working periods

const HHMM = /^([01]\d|2[0-4]):([0-5]\d)$/;

function parseHhmm(s: string): number | null {
  const m = HHMM.exec(s);
  if (!m) return null;
  const min = Number(m[1]) * 60 + Number(m[2]);
  return min > 1440 ? null : min;
}

/** Checks working periods: 'HH:MM', start < end, sorted, not overlapping. Returns a message or null. */
export function validateWorkingPeriods(periods: readonly WorkingPeriod[]): string | null {
  if (!Array.isArray(periods) || periods.length === 0) return '至少需要一个工作时段 / At least one working period is required';
  if (periods.length > 12) return '工作时段过多 / Too many working periods (at most 12)';
  let prevEnd = -1;
  for (const [i, p] of periods.entries()) {
    const s = parseHhmm(p?.start);
    const e = parseHhmm(p?.end);
    if (s === null || e === null || s === 1440) {
      return `第 ${i + 1} 个时段的时间格式应为 HH:MM / Period ${i + 1}: times must be HH:MM (00:00–24:00)`;
    }
    if (s >= e) return `第 ${i + 1} 个时段开始应早于结束 / Period ${i + 1}: start must be before end`;
    if (s < prevEnd) return `第 ${i + 1} 个时段与前一时段重叠或未按时间排序 / Period ${i + 1} overlaps the previous one or is out of order`;
    prevEnd = e;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The compiled calendar

export interface WorkingCalendarSpec {
  /** IANA zone (e.g. 'Asia/Shanghai') or a fixed offset ('+08:00'). */
  timeZone: string;
  periods: readonly WorkingPeriod[];
  workDayMode: WorkDayMode;
  /** Days that differ from the Mon–Fri rule, keyed 'YYYY-MM-DD' (map or object), or a lookup function. */
  days?: ReadonlyMap<string, DayKind> | Readonly<Record<string, DayKind>> | ((isoDay: string) => DayKind | undefined);
}

/**
 * A working calendar ready for arithmetic: day kinds and a prefix sum of working days over
 * FIRST_YEAR..LAST_YEAR, working periods in ms of the local day, and the zone.
 */
export class WorkingCalendar {
  readonly timeZone: string;
  readonly periods: readonly WorkingPeriod[];
  readonly workDayMode: WorkDayMode;
  readonly zone: Zone;
  /** [start, end) of each working period, ms from local midnight. */
  readonly periodMs: ReadonlyArray<readonly [number, number]>;
  /** Working ms in one working day (8 h by default): the length of 1 工作日 in 'hours' mode. */
  readonly dayWorkMs: number;
  private readonly lastEnd: number;
  private readonly kinds: Uint8Array;
  /** prefix[i] = working days among the first i days of the range. */
  private readonly prefix: Int32Array;

  constructor(spec: WorkingCalendarSpec) {
    const err = validateWorkingPeriods(spec.periods);
    if (err) throw new CalendarError('working_periods_invalid', err);
    if (!(WORK_DAY_MODES as readonly string[]).includes(spec.workDayMode)) {
      throw new CalendarError('working_periods_invalid', `未知的工作日计法 ${spec.workDayMode} / Unknown workDayMode`);
    }
    this.timeZone = spec.timeZone;
    this.zone = new Zone(spec.timeZone);
    this.periods = spec.periods.map((p) => ({ start: p.start, end: p.end }));
    this.workDayMode = spec.workDayMode;
    this.periodMs = spec.periods.map(
      (p) => [(parseHhmm(p.start) as number) * MINUTE_MS, (parseHhmm(p.end) as number) * MINUTE_MS] as const,
    );
    this.dayWorkMs = this.periodMs.reduce((sum, [s, e]) => sum + (e - s), 0);
    this.lastEnd = (this.periodMs[this.periodMs.length - 1] as readonly [number, number])[1];

    const n = END_DAY - FIRST_DAY;
    const kinds = new Uint8Array(n);
    for (let i = 0; i < n; i++) kinds[i] = weekdayOf(FIRST_DAY + i) % 6 === 0 ? KIND_CODE.weekend : KIND_CODE.workday;
    const set = (iso: string, kind: DayKind) => {
      const day = isoToDay(iso);
      const code = KIND_CODE[kind];
      if (day === null || code === undefined)
        throw new CalendarError('calendar_day_invalid', `日历数据有误：${iso} ${kind} / Bad calendar entry: ${iso} ${kind}`);
      if (day >= FIRST_DAY && day < END_DAY) kinds[day - FIRST_DAY] = code;
    };
    const days = spec.days;
    if (typeof days === 'function') {
      for (let i = 0; i < n; i++) {
        const iso = dayToIso(FIRST_DAY + i);
        const k = days(iso);
        if (k !== undefined) set(iso, k);
      }
    } else if (days instanceof Map) {
      for (const [iso, k] of days) set(iso, k);
    } else if (days) {
      for (const [iso, k] of Object.entries(days as Record<string, DayKind>)) set(iso, k);
    }
    const prefix = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const k = kinds[i] as number;
      prefix[i + 1] = (prefix[i] as number) + (k === KIND_CODE.workday || k === KIND_CODE.makeup_workday ? 1 : 0);
    }
    this.kinds = kinds;
    this.prefix = prefix;
  }

  /** The kind of a local date ('YYYY-MM-DD' or a day number). */
  dayKind(day: string | number): DayKind {
    const d = typeof day === 'number' ? day : isoToDay(day);
    if (d === null) throw new CalendarError('calendar_day_invalid', `日期无效：${day} / Not a date: ${day}`);
    return DAY_KINDS[this.kinds[this.index(d)] as number] as DayKind;
  }

  /** Working days in local days [fromDay, toDay) (day numbers). */
  workingDaysBetween(fromDay: number, toDay: number): number {
    if (toDay <= fromDay) return 0;
    return (this.prefix[this.index(toDay - 1) + 1] as number) - (this.prefix[this.index(fromDay)] as number);
  }

  /** Local day number of an instant. */
  localDay(ms: number): number {
    return Math.floor(this.zone.toLocal(ms) / DAY_MS);
  }

  /** Whether an instant falls inside a working period of a working day. */
  isWorkingTime(ms: number): boolean {
    const local = this.zone.toLocal(ms);
    const day = Math.floor(local / DAY_MS);
    if (!this.isWorkingIndex(this.index(day))) return false;
    const tod = local - day * DAY_MS;
    return this.periodMs.some(([s, e]) => tod >= s && tod < e);
  }

  /** C(t): working ms from the start of the range to the instant. */
  cumulative(ms: number): number {
    const local = this.zone.toLocal(ms);
    const day = Math.floor(local / DAY_MS);
    const i = this.index(day);
    const before = (this.prefix[i] as number) * this.dayWorkMs;
    if (!this.isWorkingIndex(i)) return before;
    const tod = local - day * DAY_MS;
    let within = 0;
    for (const [s, e] of this.periodMs) {
      if (tod <= s) break;
      within += Math.min(tod, e) - s;
    }
    return before + within;
  }

  /** The earliest instant t with C(t) = target (> 0): inside a working period or at its end. */
  fromCumulative(target: number): number {
    const W = this.dayWorkMs;
    const k = Math.ceil(target / W) - 1; // the target is reached during working day number k (0-based)
    const i = this.nthWorkingIndex(k + 1);
    let r = target - k * W; // in (0, W]
    let tod = this.lastEnd;
    for (const [s, e] of this.periodMs) {
      if (r <= e - s) {
        tod = s + r;
        break;
      }
      r -= e - s;
    }
    return this.zone.toUtc((FIRST_DAY + i) * DAY_MS + tod);
  }

  /** The close (end of the last working period) of the nth working day after the local day of `ms`. */
  closeOfWorkingDay(ms: number, n: number): number {
    const i = this.index(this.localDay(ms));
    const j = this.nthWorkingIndex((this.prefix[i + 1] as number) + n);
    return this.zone.toUtc((FIRST_DAY + j) * DAY_MS + this.lastEnd);
  }

  /** Index of the day holding the count-th working day of the range (count ≥ 1). */
  private nthWorkingIndex(count: number): number {
    const prefix = this.prefix;
    const n = prefix.length - 1;
    if (count > (prefix[n] as number) || count < 1) {
      throw new CalendarError('date_out_of_range', `日期超出日历范围 / Date outside the calendar (${FIRST_YEAR}–${LAST_YEAR})`);
    }
    // smallest i with prefix[i + 1] >= count
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((prefix[mid + 1] as number) >= count) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private isWorkingIndex(i: number): boolean {
    const k = this.kinds[i] as number;
    return k === KIND_CODE.workday || k === KIND_CODE.makeup_workday;
  }

  private index(day: number): number {
    if (!(day >= FIRST_DAY && day < END_DAY)) {
      throw new CalendarError('date_out_of_range', `日期超出日历范围 / Date outside the calendar (${FIRST_YEAR}–${LAST_YEAR})`);
    }
    return day - FIRST_DAY;
  }
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

const TIME_TYPES: readonly TimeType[] = ['urgent', 'work', 'natural'];
const UNITS: ReadonlyArray<TimeLimit['unit']> = ['minute', 'hour', 'day'];

function checkLimit(limit: TimeLimit): void {
  if (
    !limit ||
    !TIME_TYPES.includes(limit.timeType) ||
    !UNITS.includes(limit.unit) ||
    typeof limit.value !== 'number' ||
    !Number.isFinite(limit.value) ||
    limit.value <= 0
  ) {
    throw new CalendarError(
      'time_limit_invalid',
      '时限应为正数，单位 minute/hour/day，类型 urgent/work/natural / A limit needs a positive value, a unit and a time type',
    );
  }
}

/** Counted ms in [a, b) for a time type (no pauses). */
function counted(a: number, b: number, timeType: TimeType, cal: WorkingCalendar): number {
  if (b <= a) return 0;
  if (timeType !== 'work') return b - a;
  return cal.cumulative(b) - cal.cumulative(a);
}

/** The earliest instant after `from` at which `amount` counted ms have passed (no pauses). */
function advance(from: number, amount: number, timeType: TimeType, cal: WorkingCalendar): number {
  if (amount <= 0) return from;
  if (timeType !== 'work') return from + amount;
  return cal.fromCumulative(cal.cumulative(from) + amount);
}

/** Pauses as sorted, merged [start, end) ms pairs, clipped to begin no earlier than `from`. */
function normalisePauses(pauses: readonly Interval[] | undefined, from: number, to = Number.POSITIVE_INFINITY): Array<[number, number]> {
  if (!pauses || pauses.length === 0) return [];
  const raw: Array<[number, number]> = [];
  for (const p of pauses) {
    const a = Math.max(p.start.getTime(), from);
    const b = Math.min(p.end.getTime(), to);
    if (Number.isNaN(a) || Number.isNaN(b)) throw new CalendarError('pause_invalid', '挂账时段无效 / A pause has an invalid date');
    if (b > a) raw.push([a, b]);
  }
  raw.sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const p of raw) {
    const last = out[out.length - 1];
    if (last && p[0] <= last[1]) last[1] = Math.max(last[1], p[1]);
    else out.push(p);
  }
  return out;
}

/** Counted ms of a limit when it is a fixed amount (everything except 工作日 in 'close_of_day' mode). */
export function limitAmountMs(limit: TimeLimit, cal: WorkingCalendar): number {
  checkLimit(limit);
  const per = limit.unit === 'minute' ? MINUTE_MS : limit.unit === 'hour' ? HOUR_MS : limit.timeType === 'work' ? cal.dayWorkMs : DAY_MS;
  return Math.round(limit.value * per);
}

/** Counted ms from `start` that the limit allows (pauses aside). */
function amountFrom(start: number, limit: TimeLimit, cal: WorkingCalendar): number {
  if (limit.timeType === 'work' && limit.unit === 'day' && cal.workDayMode === 'close_of_day') {
    checkLimit(limit);
    const whole = Math.floor(limit.value);
    const frac = limit.value - whole;
    const close = whole > 0 ? cal.closeOfWorkingDay(start, whole) : start;
    return counted(start, close, 'work', cal) + Math.round(frac * cal.dayWorkMs);
  }
  return limitAmountMs(limit, cal);
}

function addMs(start: number, amount: number, timeType: TimeType, cal: WorkingCalendar, pauses: Array<[number, number]>): number {
  let cursor = start;
  let remaining = amount;
  for (const [a, b] of pauses) {
    if (b <= cursor) continue;
    if (a <= cursor) {
      cursor = b;
      continue;
    }
    const candidate = advance(cursor, remaining, timeType, cal);
    if (candidate <= a) return candidate;
    remaining -= counted(cursor, a, timeType, cal);
    cursor = b;
  }
  return advance(cursor, remaining, timeType, cal);
}

function checkDate(d: Date, what: string): number {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (Number.isNaN(t)) throw new CalendarError('date_invalid', `${what} 不是有效时间 / ${what} is not a valid date`);
  return t;
}

/**
 * The deadline of a limit started at `start`: the earliest instant at which the counted time,
 * less the time inside `pauses` (挂账), reaches the limit.
 */
export function addLimit(start: Date, limit: TimeLimit, cal: WorkingCalendar, pauses?: readonly Interval[]): Date {
  const norm = normalisePauses(pauses, checkDate(start, 'start'));
  const s = resumeAt(checkDate(start, 'start'), norm);
  return new Date(addMs(s, amountFrom(s, limit, cal), limit.timeType, cal, norm));
}

/** A clock started while suspended starts when the suspension ends. */
function resumeAt(start: number, pauses: Array<[number, number]>): number {
  const first = pauses[0];
  return first && first[0] <= start ? first[1] : start;
}

function elapsedMs(s: number, e: number, timeType: TimeType, cal: WorkingCalendar, pauses?: readonly Interval[]): number {
  if (e <= s) return 0;
  let total = counted(s, e, timeType, cal);
  for (const [a, b] of normalisePauses(pauses, s, e)) total -= counted(a, b, timeType, cal);
  return total;
}

/** Minutes of counted time in [start, end), less the time inside `pauses`; 0 when end ≤ start. */
export function elapsed(start: Date, end: Date, timeType: TimeType, cal: WorkingCalendar, pauses?: readonly Interval[]): number {
  return elapsedMs(checkDate(start, 'start'), checkDate(end, 'end'), timeType, cal, pauses) / MINUTE_MS;
}

export type Light = 'green' | 'yellow' | 'red';
export const YELLOW_AT = 0.8;
export const RED_AT = 1;

export const lightOf = (ratio: number): Light => (ratio >= RED_AT ? 'red' : ratio >= YELLOW_AT ? 'yellow' : 'green');

export interface LimitStatus {
  /** The deadline after pauses and extensions. */
  deadline: Date;
  /** Counted minutes used so far (pauses excluded). */
  elapsedMin: number;
  /** Counted minutes the (extended) limit allows. */
  limitMin: number;
  /** limitMin − elapsedMin (negative when overdue). */
  remainingMin: number;
  /** elapsed / limit: the 超时倍数; ≥ 0.8 yellow, ≥ 1 red. */
  ratio: number;
  light: Light;
}

/** An interval that may still be open (a 挂账 not yet lifted): an open end counts up to `now`. */
export interface OpenInterval {
  start: Date;
  end: Date | null;
}

/**
 * Where a limit stands at `now`: deadline (moved by pauses and by each approved extension,
 * counted on from the previous deadline), counted time used and allowed, ratio and light.
 */
export function status(
  start: Date,
  now: Date,
  limit: TimeLimit,
  cal: WorkingCalendar,
  pauses?: readonly OpenInterval[],
  extensions?: readonly TimeLimit[],
): LimitStatus {
  const s = checkDate(start, 'start');
  const n = checkDate(now, 'now');
  const closed: Interval[] | undefined = pauses?.map((p) => ({ start: p.start, end: p.end ?? new Date(Math.max(n, p.start.getTime())) }));
  const norm = normalisePauses(closed, s);
  const from = resumeAt(s, norm);
  let deadline = addMs(from, amountFrom(from, limit, cal), limit.timeType, cal, norm);
  for (const ext of extensions ?? []) {
    deadline = addMs(deadline, amountFrom(deadline, ext, cal), ext.timeType, cal, norm);
  }
  const limitMs = elapsedMs(s, deadline, limit.timeType, cal, closed);
  const usedMs = elapsedMs(s, n, limit.timeType, cal, closed);
  const ratio = limitMs > 0 ? usedMs / limitMs : usedMs > 0 ? Number.MAX_VALUE : 0;
  return {
    deadline: new Date(deadline),
    elapsedMin: usedMs / MINUTE_MS,
    limitMin: limitMs / MINUTE_MS,
    remainingMin: (limitMs - usedMs) / MINUTE_MS,
    ratio,
    light: lightOf(ratio),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading and writing local times

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** An instant as local ISO 8601 with the zone's offset, e.g. '2026-10-08T10:00:00+08:00'. */
export function formatLocal(date: Date, zone: Zone): string {
  const ms = date.getTime();
  const off = zone.offsetAt(ms);
  const local = new Date(ms + off);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off) / MINUTE_MS;
  return `${local.toISOString().slice(0, 19)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * Parses 'YYYY-MM-DDTHH:MM[:SS[.sss]][Z|±HH:MM]' (a space may replace the T). Without a zone
 * the time is read on the city's local clock. Returns null when it is not a valid time.
 */
export function parseDateTime(text: string, zone: Zone): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return null;
  const day = isoToDay(`${m[1]}-${m[2]}-${m[3]}`);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const sec = Number(m[6] ?? 0);
  const milli = Number((m[7] ?? '0').padEnd(3, '0'));
  if (day === null || h > 23 || mi > 59 || sec > 59) return null;
  const local = day * DAY_MS + h * HOUR_MS + mi * MINUTE_MS + sec * 1000 + milli;
  const z = m[8];
  if (!z) return new Date(zone.toUtc(local));
  if (z === 'Z') return new Date(local);
  const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(z) as RegExpExecArray;
  const off = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3])) * MINUTE_MS;
  if (Math.abs(off) > 18 * HOUR_MS || Number(zm[3]) > 59) return null;
  return new Date(local - off);
}
