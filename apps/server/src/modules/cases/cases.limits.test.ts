import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, demoCaseFixtures, type TestApp } from '../../../test/helpers.ts';
import { sweepDeadlines } from '../realtime/realtime.sweep.ts';

/** Phase limits are the city's settings; a case keeps the clock its phase started with. */
describe('cases: phase limits as city settings', () => {
  let t: TestApp;
  const cookie: Record<string, string> = {};
  let point: { lng: number; lat: number };
  let eventClass: string;
  // A Saturday evening (2026-11-28 20:00 Beijing): outside working hours, so work and natural time differ.
  let now = new Date('2026-11-28T12:00:00Z');

  beforeAll(async () => {
    t = await createTestApp({ clock: () => now });
    for (const u of ['acceptor', 'admin']) cookie[u] = await t.login(u);
    ({ point, eventClass } = await demoCaseFixtures(t.ctx.db));
  });
  afterAll(() => t.close());

  const report = (description: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: cookie.acceptor as string },
      payload: { source: 'hotline', kind: 'event', classCode: eventClass, description, location: point },
    });
  const patch = (body: Record<string, unknown>) =>
    t.app.inject({ method: 'PATCH', url: '/api/settings', headers: { cookie: cookie.admin as string }, payload: body });

  it('counts 受理 in working time by default, in natural time once a 24-hour centre sets it; earlier cases keep their clock', async () => {
    const before = await report('夜间报告 1');
    expect(before.statusCode).toBe(201);
    // 30 working minutes from Saturday evening end on Monday morning.
    expect(before.json()).toMatchObject({ phaseTimeType: 'work' });
    expect(new Date(before.json().phaseDeadline).getTime() - now.getTime()).toBeGreaterThan(24 * 3600_000);

    const res = await patch({ phaseLimits: { receive: { value: 2, unit: 'hour', timeType: 'natural' } } });
    expect(res.statusCode, res.body).toBe(200);
    // Only the phase that was sent changes; the others keep their defaults.
    expect(res.json().phaseLimits).toMatchObject({
      receive: { value: 2, unit: 'hour', timeType: 'natural' },
      register: { value: 30, unit: 'minute', timeType: 'work' },
    });
    const after = await report('夜间报告 2');
    expect(after.json()).toMatchObject({ phaseTimeType: 'natural' });
    expect(new Date(after.json().phaseDeadline).getTime() - now.getTime()).toBe(2 * 3600_000);
    const kept = await t.app.inject({
      method: 'GET',
      url: `/api/cases/${before.json().id}`,
      headers: { cookie: cookie.acceptor as string },
    });
    expect(kept.json()).toMatchObject({ phaseTimeType: 'work', phaseDeadline: before.json().phaseDeadline });

    // The sweep measures each case on its own clock: 1 h 40 min later the natural-time case is
    // past 80 % (yellow); the working-time one has not started counting.
    now = new Date(now.getTime() + 100 * 60_000);
    await sweepDeadlines(t.ctx, now);
    const lights = await t.ctx.db.selectFrom('caseLight').select(['caseId', 'light']).execute();
    expect(lights).toEqual([{ caseId: after.json().id, light: 'yellow' }]);
  });

  it('refuses a malformed phase limit and changes nothing', async () => {
    const bad = await patch({ phaseLimits: { receive: { value: 0, unit: 'hour', timeType: 'natural' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('validation_failed');
    const unknown = await patch({ phaseLimits: { lunch: { value: 1, unit: 'hour', timeType: 'work' } } });
    expect(unknown.statusCode).toBe(400);
    const cur = await t.app.inject({ method: 'GET', url: '/api/settings' });
    expect(cur.json().phaseLimits.receive).toEqual({ value: 2, unit: 'hour', timeType: 'natural' });
  });
});
