import { DEMO_PASSWORD } from '@cityloop/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, demoCaseFixtures, type TestDatabase, testConfig } from '../../../test/helpers.ts';
import { type App, buildApp } from '../../app.ts';
import { FAST, startReceiver, until } from './webhooks.fixtures.ts';

/** Deliveries outlive the process: the outbox and the queue are tables, the worker starts with the app. */
describe('webhooks: restart', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(() => tdb.drop());

  const start = async () => {
    const app = await buildApp({ config: testConfig(), database: tdb.database, logger: false });
    await app.ready();
    Object.assign(app.ctx.services.webhooks.worker.options, FAST);
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: DEMO_PASSWORD } });
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    const acceptor = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'acceptor', password: DEMO_PASSWORD },
    });
    return { app, cookie, acceptor: String(acceptor.headers['set-cookie']).split(';')[0] as string };
  };
  const report = async (app: App, cookie: string, description: string) => {
    const { point, eventClass } = await demoCaseFixtures(app.ctx.db);
    const res = await app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie },
      payload: { kind: 'event', classCode: eventClass, description, location: point },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as number;
  };

  it('delivers what was queued or still in the outbox when the app closed, once the next one starts', async () => {
    let up = false;
    const rx = await startReceiver(() => (up ? 200 : 503));
    try {
      const first = await start();
      const sub = await first.app.inject({
        method: 'POST',
        url: '/api/webhooks',
        headers: { cookie: first.cookie },
        payload: { name: 'restart', url: rx.url },
      });
      expect(sub.statusCode, sub.body).toBe(201);
      // Queued and failing: the receiver answers 503 for now.
      const queued: number[] = [];
      for (let i = 0; i < 5; i++) queued.push(await report(first.app, first.acceptor, `queued ${i}`));
      await until(() => queued.every((id) => rx.got.some((g) => g.json.case?.id === id)), 10_000, 'first attempts');
      // Still in the outbox: the worker is stopped before these are written.
      await first.app.ctx.services.webhooks.worker.stop();
      const unsent: number[] = [];
      for (let i = 0; i < 5; i++) unsent.push(await report(first.app, first.acceptor, `outbox ${i}`));
      expect(rx.got.some((g) => unsent.includes(g.json.case?.id as number))).toBe(false);
      await first.app.close();

      up = true;
      const second = await start();
      try {
        const all = [...queued, ...unsent];
        await until(
          () => all.every((id) => rx.got.some((g) => g.json.case?.id === id && g.json.type === 'report')),
          15_000,
          'after restart',
        );
        const res = await second.app.inject({
          method: 'GET',
          url: `/api/webhooks/${sub.json().id}/deliveries?limit=100`,
          headers: { cookie: second.cookie },
        });
        await until(async () => {
          const r = await second.app.inject({
            method: 'GET',
            url: `/api/webhooks/${sub.json().id}/deliveries?limit=100&status=delivered`,
            headers: { cookie: second.cookie },
          });
          return r.json().total === 10;
        }, 5_000);
        expect(res.json().total).toBe(10);
        const outbox = await second.app.ctx.db.selectFrom('webhookOutbox').select('id').execute();
        expect(outbox).toHaveLength(0);
      } finally {
        await second.app.close();
      }
      // Closing the app stopped its worker (before the database could go away under it).
      expect(second.app.ctx.services.webhooks.worker.started).toBe(false);
    } finally {
      await rx.close();
    }
  });
});
