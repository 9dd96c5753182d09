import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers.ts';
import { Zone } from '../modules/calendar/calendar.math.ts';
import { startNightlyTidy, tidy, tidyDue } from './maintenance.ts';

describe('database maintenance', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ empty: true });
  });
  afterAll(() => t.drop());

  it('is due once, in the first check of 03:00 city time of each day', () => {
    const zone = new Zone('Asia/Shanghai');
    // 19:00 UTC is 03:00 the next day in Beijing.
    expect(tidyDue(new Date('2026-11-30T18:59:00Z'), zone, null)).toBeNull();
    expect(tidyDue(new Date('2026-11-30T19:00:00Z'), zone, null)).toBe('2026-12-01');
    expect(tidyDue(new Date('2026-11-30T19:50:00Z'), zone, '2026-12-01')).toBeNull();
    expect(tidyDue(new Date('2026-11-30T20:00:00Z'), zone, null)).toBeNull();
    expect(tidyDue(new Date('2026-12-01T19:10:00Z'), zone, '2026-12-01')).toBe('2026-12-02');
    // Another city's zone: 03:00 in Ürümqi is 21:00 UTC.
    expect(tidyDue(new Date('2026-11-30T21:05:00Z'), new Zone('Asia/Urumqi'), null)).toBe('2026-12-01');
  });

  it('vacuums and analyses: fresh statistics, pages marked all-visible', async () => {
    const { database } = t;
    await sql`CREATE TABLE tidy_probe (id int PRIMARY KEY, note text)`.execute(database.db);
    await sql`INSERT INTO tidy_probe SELECT i, repeat('x', 50) FROM generate_series(1, 5000) i`.execute(database.db);
    const stats = () =>
      sql<{ reltuples: number; relallvisible: number }>`
        SELECT reltuples::float8 AS reltuples, relallvisible FROM pg_class WHERE relname = 'tidy_probe'`.execute(database.db);
    const before = (await stats()).rows[0];
    expect(before?.relallvisible).toBe(0);
    expect(before?.reltuples).not.toBe(5000);
    expect(await tidy(database)).toBeGreaterThan(0);
    const after = (await stats()).rows[0];
    expect(after?.reltuples).toBe(5000);
    expect(after?.relallvisible).toBeGreaterThan(0);
  });

  it('runs at night on the embedded database only, once a day', async () => {
    const { database } = t;
    const runs: number[] = [];
    let now = new Date('2026-11-30T19:00:00Z');
    const stop = startNightlyTidy(database, {
      everyMs: 20,
      zone: async () => new Zone('Asia/Shanghai'),
      now: () => now,
      onDone: (ms) => runs.push(ms),
    });
    // Many checks within the hour: one tidy (it may take a while).
    const end = Date.now() + 30_000;
    while (runs.length === 0 && Date.now() < end && database.kind === 'pglite') await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    now = new Date('2026-11-30T20:00:00Z');
    await new Promise((r) => setTimeout(r, 200));
    stop();
    expect(runs.length).toBe(database.kind === 'pglite' ? 1 : 0);
  });
});
