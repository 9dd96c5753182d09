import type { TimeLimit } from '@cityloop/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '../../../test/helpers.ts';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { formatLocal, parseDateTime, Zone } from './calendar.math.ts';
import { CalendarService } from './calendar.service.ts';

const work = (value: number, unit: TimeLimit['unit'] = 'hour'): TimeLimit => ({ value, unit, timeType: 'work' });

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof AppError ? `${e.status} ${e.code}` : String(e);
  }
  return 'no error';
}

describe('CalendarService over a database', () => {
  let ctx: Context;
  let close: () => Promise<void>;
  let calendar: CalendarService;
  let actorId: number;

  /** Local Beijing time → Date (the city zone is Asia/Shanghai by default). */
  const bj = (text: string) => parseDateTime(text, new Zone('Asia/Shanghai')) as Date;
  const local = async (d: Date) =>
    formatLocal(d, (await calendar.load()).zone)
      .slice(0, 16)
      .replace('T', ' ');

  beforeAll(async () => {
    ({ ctx, close } = await createTestContext({ empty: true }));
    // The test templates are seeded like every server start; start this file from a bare calendar.
    await ctx.db.deleteFrom('calendarDay').execute();
    calendar = new CalendarService(ctx);
    const person = await ctx.services.orgs.createPerson(
      { username: 'cal_admin', name: '日历管理员', password: 'cal-pass-1', roles: [{ role: 'admin' }] },
      null,
    );
    actorId = person.id;
  });
  afterAll(() => close());

  it('before seeding, the calendar only knows Monday–Friday: 2026-10-01 counts as a workday', async () => {
    const d = await calendar.deadline(bj('2026-09-30 16:00'), work(4));
    expect(await local(d)).toBe('2026-10-01 10:00');
  });

  it('seeds the national schedule of every published year, idempotently', async () => {
    const first = await calendar.seedNational();
    expect(first.firstYear).toBe(2004);
    expect(first.lastYear).toBeGreaterThanOrEqual(2026);
    expect(first.days).toBeGreaterThan(700);
    expect(first.written).toBe(first.days);
    const again = await calendar.seedNational();
    expect(again).toMatchObject({ days: first.days, written: 0 });
    const bySource = await calendar.repo.countBySource();
    expect(bySource).toEqual([{ source: 'national', n: first.days }]);
  });

  it('computes deadlines from the table: 4 工作时 from 2026-09-30 16:00 ends 2026-10-08 10:00', async () => {
    expect(await local(await calendar.deadline(bj('2026-09-30 16:00'), work(4)))).toBe('2026-10-08 10:00');
    expect(await local(await calendar.deadline(bj('2026-10-09 14:00'), work(8)))).toBe('2026-10-10 12:00');
    const st = await calendar.status({ start: bj('2026-09-30 16:00'), now: bj('2026-10-08 09:30'), limit: work(4) });
    expect(st).toMatchObject({ elapsedMin: 210, limitMin: 240, light: 'yellow' });
  });

  it('caches the loaded calendar and rebuilds it after an edit', async () => {
    const a = await calendar.load();
    expect(await calendar.load()).toBe(a);
    await calendar.setDay('2026-11-23', 'holiday', '城市停工日', actorId);
    const b = await calendar.load();
    expect(b).not.toBe(a);
    expect(b.dayKind('2026-11-23')).toBe('holiday');
    expect(await local(await calendar.deadline(bj('2026-11-20 17:00'), work(2)))).toBe('2026-11-24 09:00');
  });

  it('a city edit is audited, marked as the city’s, and survives a re-seed', async () => {
    const row = await calendar.setDay('2026-10-01', 'workday', '本市照常上班', actorId);
    expect(row).toMatchObject({ day: '2026-10-01', kind: 'workday', name: '本市照常上班', source: 'city', updatedBy: actorId });
    const audit = await ctx.services.audit.list({ entity: 'calendar_day', entityId: '2026-10-01', limit: 5, offset: 0 });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorId,
      action: 'calendar.day.set',
      before: { kind: 'holiday', name: '国庆节', source: 'national' },
      after: { kind: 'workday', name: '本市照常上班', source: 'city' },
    });
    const seeded = await calendar.seedNational();
    expect(seeded.written).toBe(0);
    expect((await calendar.load()).dayKind('2026-10-01')).toBe('workday');
    expect(await local(await calendar.deadline(bj('2026-09-30 16:00'), work(4)))).toBe('2026-10-01 10:00');
    // Put it back as a holiday (still a city row).
    await calendar.setDay('2026-10-01', 'holiday', '国庆节', actorId);
    expect(await local(await calendar.deadline(bj('2026-09-30 16:00'), work(4)))).toBe('2026-10-08 10:00');
  });

  it('adds next year’s schedule when it is published (city rows in a year the package does not carry)', async () => {
    const before = await calendar.listDays(2030);
    expect(before.nationalSchedule).toBe(false);
    expect(before.days).toEqual([]);
    await calendar.setDay('2030-01-01', 'holiday', '元旦', actorId);
    await calendar.setDay('2030-01-05', 'makeup_workday', '元旦调休', actorId);
    const after = await calendar.listDays(2030);
    expect(after.days.map((d) => [d.day, d.kind, d.source])).toEqual([
      ['2030-01-01', 'holiday', 'city'],
      ['2030-01-05', 'makeup_workday', 'city'],
    ]);
    // 2030 starts on a Tuesday: 261 weekdays, one of them off, one Saturday worked.
    expect(after.summary).toMatchObject({ days: 365, workingDays: 261, holidays: 1, makeupWorkdays: 1 });
  });

  it('lists a year: stored days, working periods and counts (2026: 248 working days)', async () => {
    const y = await calendar.listDays(2026);
    expect(y).toMatchObject({ year: 2026, timeZone: 'Asia/Shanghai', workDayMode: 'hours', nationalSchedule: true });
    expect(y.workingPeriods).toEqual([
      { start: '08:00', end: '12:00' },
      { start: '14:00', end: '18:00' },
    ]);
    expect(y.days.find((d) => d.day === '2026-10-10')).toMatchObject({ kind: 'makeup_workday', name: '国庆节调休', source: 'national' });
    expect(y.days.find((d) => d.day === '2026-02-17')).toMatchObject({ kind: 'holiday', name: '春节' });
    // 248 published working days, less the city's 2026-11-23.
    expect(y.summary).toMatchObject({
      days: 365,
      workingDays: 247,
      restDays: 118,
      holidays: 34,
      makeupWorkdays: 6,
      workingMinutes: 247 * 480,
    });
    expect(await errorCode(calendar.listDays(1969))).toBe('400 calendar_year_invalid');
  });

  it('refuses days that are not dates or do not fit the weekday', async () => {
    expect(await errorCode(calendar.setDay('2026-02-30', 'holiday', null, actorId))).toBe('400 calendar_day_invalid');
    expect(await errorCode(calendar.setDay('20261201', 'holiday', null, actorId))).toBe('400 calendar_day_invalid');
    expect(await errorCode(calendar.setDay('2026-11-28', 'workday', null, actorId))).toBe('400 calendar_day_invalid'); // a Saturday
    expect(await errorCode(calendar.setDay('2026-11-27', 'makeup_workday', null, actorId))).toBe('400 calendar_day_invalid'); // a Friday
    expect(await errorCode(calendar.setDay('2026-11-27', 'weekend', null, actorId))).toBe('400 calendar_day_invalid');
    expect(await errorCode(calendar.setDay('2026-11-27', 'nap' as never, null, actorId))).toBe('400 calendar_day_invalid');
    expect(await errorCode(calendar.setDay('1969-12-31', 'holiday', null, actorId))).toBe('400 calendar_day_invalid');
    expect((await calendar.listDays(2026)).days.some((d) => d.day === '2026-11-27' || d.day === '2026-11-28')).toBe(false);
  });

  it('replaces the working periods and the 工作日 mode (validated, audited)', async () => {
    expect(
      await errorCode(
        calendar.setWorkingPeriods(
          [
            { start: '08:00', end: '12:00' },
            { start: '11:00', end: '18:00' },
          ],
          'hours',
          actorId,
        ),
      ),
    ).toBe('400 working_periods_invalid');
    expect(await errorCode(calendar.setWorkingPeriods([{ start: '8:00', end: '12:00' }], 'hours', actorId))).toBe(
      '400 working_periods_invalid',
    );
    expect(await errorCode(calendar.setWorkingPeriods([], 'hours', actorId))).toBe('400 working_periods_invalid');
    expect(await errorCode(calendar.setWorkingPeriods([{ start: '09:00', end: '17:00' }], 'weekly' as never, actorId))).toBe(
      '400 working_periods_invalid',
    );

    const res = await calendar.setWorkingPeriods(
      [
        { start: '09:00', end: '12:00' },
        { start: '13:30', end: '17:30' },
      ],
      'close_of_day',
      actorId,
    );
    expect(res).toMatchObject({ workDayMode: 'close_of_day', timeZone: 'Asia/Shanghai' });
    const cal = await calendar.load();
    expect(cal.dayWorkMs).toBe(7 * 3_600_000);
    expect(await local(await calendar.deadline(bj('2026-11-24 11:00'), work(2)))).toBe('2026-11-24 14:30');
    expect(await local(await calendar.deadline(bj('2026-11-24 11:00'), work(1, 'day')))).toBe('2026-11-25 17:30');
    // Mode omitted: kept.
    await calendar.setWorkingPeriods(
      [
        { start: '08:00', end: '12:00' },
        { start: '14:00', end: '18:00' },
      ],
      undefined,
      actorId,
    );
    expect((await calendar.getWorkingPeriods()).workDayMode).toBe('close_of_day');
    await calendar.setWorkingPeriods(
      [
        { start: '08:00', end: '12:00' },
        { start: '14:00', end: '18:00' },
      ],
      'hours',
      actorId,
    );
    const audit = await ctx.services.audit.list({ entity: 'calendar_setting', limit: 10, offset: 0 });
    expect(audit).toHaveLength(3);
    expect(audit[2]).toMatchObject({
      action: 'calendar.periods.set',
      before: {
        workDayMode: 'hours',
        workingPeriods: [
          { start: '08:00', end: '12:00' },
          { start: '14:00', end: '18:00' },
        ],
      },
      after: { workDayMode: 'close_of_day' },
    });
  });

  it('follows the city time zone', async () => {
    await ctx.services.settings.set({ timeZone: 'Asia/Urumqi' }, actorId); // UTC+6
    calendar.invalidate();
    const d = await calendar.deadline(new Date('2026-11-24T02:00:00Z'), work(1)); // 08:00 in Urumqi
    expect(d.toISOString()).toBe('2026-11-24T03:00:00.000Z');
    await ctx.services.settings.set({ timeZone: 'Mars/Base' }, actorId);
    calendar.invalidate();
    expect(await errorCode(calendar.load())).toBe('400 time_zone_invalid');
    await ctx.services.settings.set({ timeZone: 'Asia/Shanghai' }, actorId);
    calendar.invalidate();
  });

  it('the operators’ tool reads local times and reports the light', async () => {
    const out = await calendar.compute({
      start: '2026-09-30T16:00',
      limit: work(4),
      now: '2026-10-08T09:30',
      pauses: [{ start: '2026-09-30T17:00', end: '2026-09-30T17:30' }],
      extensions: [work(1)],
    });
    expect(out).toMatchObject({
      timeZone: 'Asia/Shanghai',
      start: '2026-09-30T08:00:00.000Z',
      startLocal: '2026-09-30T16:00:00+08:00',
      deadlineLocal: '2026-10-08T11:30:00+08:00',
      deadline: '2026-10-08T03:30:00.000Z',
      elapsedMin: 180,
      limitMin: 300,
      remainingMin: 120,
      ratio: 0.6,
      light: 'green',
    });
    expect(await errorCode(calendar.compute({ start: '2026-09-31T16:00', limit: work(4) }))).toBe('400 date_invalid');
    expect(await errorCode(calendar.compute({ start: '2026-09-30T16:00', limit: work(0) }))).toBe('400 time_limit_invalid');
    expect(
      await errorCode(
        calendar.compute({ start: '2026-09-30T16:00', limit: work(4), pauses: [{ start: '2026-09-30T17:00', end: '2026-09-30T16:00' }] }),
      ),
    ).toBe('400 pause_invalid');
    expect(await errorCode(calendar.compute({ start: '2199-12-31T16:00', limit: work(40, 'day') }))).toBe('400 date_out_of_range');
  });
});
