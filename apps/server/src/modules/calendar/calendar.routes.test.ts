import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';

describe('calendar HTTP API', () => {
  let t: TestApp;
  let admin: Record<string, string>;
  let handler: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp({ empty: true });
    const { orgs } = t.ctx.services;
    await orgs.createPerson({ username: 'cal_root', name: '管理员', password: 'cal-pass-1', roles: [{ role: 'admin' }] }, null);
    await orgs.createPerson({ username: 'cal_handler', name: '处置人员', password: 'cal-pass-1', roles: [{ role: 'handler' }] }, null);
    admin = { cookie: await t.login('cal_root', 'cal-pass-1') };
    handler = { cookie: await t.login('cal_handler', 'cal-pass-1') };
    await t.ctx.services.calendar.seedNational();
  });
  afterAll(() => t.close());

  const deadline4h = { start: '2026-09-30T16:00', limit: { value: 4, unit: 'hour', timeType: 'work' } };

  it('GET /api/calendar/:year lists the holidays, make-up workdays and counts to anyone logged in', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/api/calendar/2026' });
    expect(anon.statusCode).toBe(401);
    const res = await t.app.inject({ method: 'GET', url: '/api/calendar/2026', headers: handler });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ year: 2026, timeZone: 'Asia/Shanghai', workDayMode: 'hours', nationalSchedule: true });
    expect(body.workingPeriods).toEqual([
      { start: '08:00', end: '12:00' },
      { start: '14:00', end: '18:00' },
    ]);
    expect(body.days.find((d: { day: string }) => d.day === '2026-10-10')).toMatchObject({ kind: 'makeup_workday', source: 'national' });
    expect(body.days.filter((d: { kind: string }) => d.kind === 'holiday')).toHaveLength(33);
    expect(body.summary).toMatchObject({ days: 365, workingDays: 248, holidays: 33, makeupWorkdays: 6 });
  });

  it('GET /api/calendar/:year refuses years outside the calendar', async () => {
    const far = await t.app.inject({ method: 'GET', url: '/api/calendar/1900', headers: handler });
    expect(far.statusCode).toBe(400);
    expect(far.json().error).toBe('calendar_year_invalid');
    const word = await t.app.inject({ method: 'GET', url: '/api/calendar/next', headers: handler });
    expect(word.statusCode).toBe(400);
    expect(word.json().error).toBe('validation_failed');
  });

  it('POST /api/calendar/deadline computes a deadline in the city’s local time', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/calendar/deadline',
      headers: handler,
      payload: { ...deadline4h, now: '2026-10-08T09:30' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      deadline: '2026-10-08T02:00:00.000Z',
      deadlineLocal: '2026-10-08T10:00:00+08:00',
      elapsedMin: 210,
      limitMin: 240,
      light: 'yellow',
    });
    const urgent = await t.app.inject({
      method: 'POST',
      url: '/api/calendar/deadline',
      headers: handler,
      payload: { start: '2026-09-30T23:00:00+08:00', limit: { value: 2, unit: 'hour', timeType: 'urgent' } },
    });
    expect(urgent.json().deadlineLocal).toBe('2026-10-01T01:00:00+08:00');
    for (const [payload, code] of [
      [{ ...deadline4h, start: '2026-09-31T16:00' }, 'date_invalid'],
      [{ ...deadline4h, limit: { value: 0, unit: 'hour', timeType: 'work' } }, 'validation_failed'],
      [{ ...deadline4h, limit: { value: 4, unit: 'week', timeType: 'work' } }, 'validation_failed'],
      [{ ...deadline4h, extra: 1 }, 'validation_failed'],
      [{ start: '2199-12-31T10:00', limit: { value: 50, unit: 'day', timeType: 'work' } }, 'date_out_of_range'],
    ] as const) {
      const bad = await t.app.inject({ method: 'POST', url: '/api/calendar/deadline', headers: handler, payload });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect(bad.json().error, JSON.stringify(payload)).toBe(code);
    }
  });

  it('PUT /api/calendar/days/:day edits a day (admin only, audited) and deadlines follow at once', async () => {
    const denied = await t.app.inject({
      method: 'PUT',
      url: '/api/calendar/days/2026-10-08',
      headers: handler,
      payload: { kind: 'holiday' },
    });
    expect(denied.statusCode).toBe(403);
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/calendar/days/2026-10-08',
      headers: admin,
      payload: { kind: 'holiday', name: '本市补休' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ day: '2026-10-08', kind: 'holiday', name: '本市补休', source: 'city' });
    const d = await t.app.inject({ method: 'POST', url: '/api/calendar/deadline', headers: handler, payload: deadline4h });
    expect(d.json().deadlineLocal).toBe('2026-10-09T10:00:00+08:00');
    const audit = await t.app.inject({ method: 'GET', url: '/api/audit?entity=calendar_day&entityId=2026-10-08', headers: admin });
    expect(audit.json()[0]).toMatchObject({ action: 'calendar.day.set', after: { kind: 'holiday', source: 'city' } });
    // Back to a workday: still the city's row.
    const back = await t.app.inject({ method: 'PUT', url: '/api/calendar/days/2026-10-08', headers: admin, payload: { kind: 'workday' } });
    expect(back.json()).toMatchObject({ kind: 'workday', name: null, source: 'city' });
  });

  it('PUT /api/calendar/days/:day refuses bad days and kinds with stable codes', async () => {
    for (const [url, payload, code] of [
      ['/api/calendar/days/2026-02-30', { kind: 'holiday' }, 'calendar_day_invalid'],
      ['/api/calendar/days/tomorrow', { kind: 'holiday' }, 'calendar_day_invalid'],
      ['/api/calendar/days/2026-11-28', { kind: 'workday' }, 'calendar_day_invalid'],
      ['/api/calendar/days/2026-11-27', { kind: 'makeup_workday' }, 'calendar_day_invalid'],
      ['/api/calendar/days/2026-11-27', { kind: 'nap' }, 'validation_failed'],
      ['/api/calendar/days/2026-11-27', { kind: 'holiday', source: 'national' }, 'validation_failed'],
    ] as const) {
      const res = await t.app.inject({ method: 'PUT', url, headers: admin, payload });
      expect(res.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(res.json().error, `${url} ${JSON.stringify(payload)}`).toBe(code);
    }
  });

  it('PUT /api/calendar/working-periods validates, saves and changes deadlines', async () => {
    const url = '/api/calendar/working-periods';
    const denied = await t.app.inject({ method: 'PUT', url, headers: handler, payload: { periods: [{ start: '09:00', end: '17:00' }] } });
    expect(denied.statusCode).toBe(403);
    for (const periods of [
      [],
      [
        { start: '09:00', end: '13:00' },
        { start: '12:00', end: '17:00' },
      ],
      [{ start: '9:00', end: '17:00' }],
      [{ start: '17:00', end: '09:00' }],
    ]) {
      const bad = await t.app.inject({ method: 'PUT', url, headers: admin, payload: { periods } });
      expect(bad.statusCode, JSON.stringify(periods)).toBe(400);
      expect(bad.json().error, JSON.stringify(periods)).toBe('working_periods_invalid');
    }
    const ok = await t.app.inject({
      method: 'PUT',
      url,
      headers: admin,
      payload: { periods: [{ start: '09:00', end: '17:00' }], workDayMode: 'hours' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ workingPeriods: [{ start: '09:00', end: '17:00' }], workDayMode: 'hours', timeZone: 'Asia/Shanghai' });
    const d = await t.app.inject({ method: 'POST', url: '/api/calendar/deadline', headers: handler, payload: deadline4h });
    // 16:00–17:00 on 09-30 (1 h), then 09:00–12:00 on 10-08 (a workday again since the test above).
    expect(d.json().deadlineLocal).toBe('2026-10-08T12:00:00+08:00');
    const year = await t.app.inject({ method: 'GET', url: '/api/calendar/2026', headers: handler });
    expect(year.json().workingPeriods).toEqual([{ start: '09:00', end: '17:00' }]);
  });
});
