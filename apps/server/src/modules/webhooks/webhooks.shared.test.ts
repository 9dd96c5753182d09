import { DEMO_PASSWORD } from '@cityloop/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  demoCaseFixtures,
  type TestDatabase,
  testConfig,
  testDbKind,
  withDatabaseName,
} from '../../../test/helpers.ts';
import { type App, buildApp } from '../../app.ts';
import { openPostgres } from '../../db/database.ts';
import { FAST, startReceiver, until } from './webhooks.fixtures.ts';

/**
 * Two server processes on one PostgreSQL share the deliveries: each event arrives (at least once,
 * here exactly once since no lease expires) and each case in order.
 */
describe.skipIf(testDbKind() !== 'postgres')('webhooks: two processes on one database', () => {
  let tdb: TestDatabase;
  const apps: App[] = [];
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const c of closers) await c();
    await tdb.drop();
  });

  const login = async (app: App, username: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: DEMO_PASSWORD } });
    return String(res.headers['set-cookie']).split(';')[0] as string;
  };

  it('shares the work without sending an event twice or out of order', async () => {
    // A second pool on the same database: the other process.
    const { rows } = await sql<{ name: string }>`SELECT current_database() AS name`.execute(tdb.database.db);
    const other = await openPostgres(withDatabaseName(process.env.TEST_DATABASE_URL as string, rows[0]?.name as string), 4);
    closers.push(() => other.close());
    const a = await buildApp({ config: testConfig(), database: tdb.database, logger: false });
    const b = await buildApp({ config: testConfig(), database: other, logger: false });
    apps.push(a, b);
    await a.ready();
    await b.ready();
    for (const app of [a, b]) Object.assign(app.ctx.services.webhooks.worker.options, { ...FAST, perSubscription: 16 });
    const rx = await startReceiver(() => 200);
    try {
      const admin = await login(a, 'admin');
      const sub = await a.inject({
        method: 'POST',
        url: '/api/webhooks',
        headers: { cookie: admin },
        payload: { name: 'shared', url: rx.url },
      });
      expect(sub.statusCode, sub.body).toBe(201);
      b.ctx.services.webhooks.worker.rearm();
      const { point, eventClass } = await demoCaseFixtures(a.ctx.db);
      const acceptorA = await login(a, 'acceptor');
      const acceptorB = await login(b, 'acceptor');
      const leader = await login(a, 'leader');
      const ids: number[] = [];
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const app = i % 2 ? a : b;
          const res = await app.inject({
            method: 'POST',
            url: '/api/cases',
            headers: { cookie: i % 2 ? acceptorA : acceptorB },
            payload: { kind: 'event', classCode: eventClass, description: `shared ${i}`, location: point },
          });
          expect(res.statusCode, res.body).toBe(201);
          ids.push(res.json().id);
        }),
      );
      for (const id of ids.slice(0, 10)) {
        for (let k = 0; k < 2; k++) {
          const cur = await a.inject({ method: 'GET', url: `/api/cases/${id}`, headers: { cookie: admin } });
          const res = await a.inject({
            method: 'POST',
            url: `/api/cases/${id}/actions/supervise`,
            headers: { cookie: leader },
            payload: { version: cur.json().version, note: `督办 ${k}` },
          });
          expect(res.statusCode, res.body).toBe(200);
        }
      }
      await until(() => rx.got.length >= 40, 15_000, '40 deliveries');
      await new Promise((r) => setTimeout(r, 300));
      expect(rx.got).toHaveLength(40);
      expect(new Set(rx.got.map((g) => g.json.deliveryId)).size).toBe(40);
      for (const id of ids) {
        const seqs = rx.got.filter((g) => g.json.case?.id === id).map((g) => g.json.case?.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => Number(x) - Number(y)));
      }
      const attempts = a.ctx.services.webhooks.worker.stats.attempts + b.ctx.services.webhooks.worker.stats.attempts;
      expect(attempts).toBe(40);
    } finally {
      await rx.close();
    }
  });
});
