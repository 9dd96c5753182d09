import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers.ts';
import { PREPARED } from './database.ts';

describe('database: hot-path queries as prepared statements', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ empty: true });
  });
  afterAll(() => t.drop());

  it('runs a marked query as a named statement on PostgreSQL (planned once per connection), and plainly on PGlite', async () => {
    const { database } = t;
    const out = await database.transaction(async (tx) => {
      const answers: number[] = [];
      for (const x of [1, 2, 3]) {
        const r = await sql<{ y: number }>`${PREPARED} SELECT ${x}::int * 2 AS y`.execute(tx.db);
        answers.push(r.rows[0]?.y as number);
      }
      await sql`SELECT ${4}::int * 2 AS y`.execute(tx.db);
      const prepared =
        database.kind === 'postgres'
          ? (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements WHERE NOT from_sql`.execute(tx.db)).rows.map(
              (r) => r.statement,
            )
          : [];
      return { answers, prepared };
    });
    expect(out.answers).toEqual([2, 4, 6]);
    if (database.kind === 'postgres') {
      // One statement for the three marked calls; the unmarked query was not kept.
      expect(out.prepared.filter((s) => s.includes('* 2 AS y'))).toEqual(['/*prepared*/ SELECT $1::int * 2 AS y']);
    }
  });
});
