import type { Zone } from '../modules/calendar/calendar.math.ts';
import type { Database } from './database.ts';

/** The city's local hour at which the embedded database is tidied. */
export const TIDY_HOUR = 3;

/**
 * VACUUM (ANALYZE) of the whole database. PGlite has no autovacuum: without this the planner
 * keeps the statistics of the last ANALYZE (a city that started with a few cases is planned as
 * one forever) and index-only scans (the evaluation's overdue counts) read the heap pages of
 * rows that were never marked all-visible. After the first run only the pages written since
 * are visited. PostgreSQL servers do this themselves (autovacuum).
 */
export async function tidy(database: Database): Promise<number> {
  const t0 = performance.now();
  await database.exec('VACUUM (ANALYZE)');
  return performance.now() - t0;
}

/**
 * The local day (YYYY-MM-DD in the city's zone) on which a tidy is due at `now`: the first
 * check in the TIDY_HOUR hour of a day not tidied yet (`lastDay`); null otherwise.
 */
export function tidyDue(now: Date, zone: Zone, lastDay: string | null): string | null {
  const local = new Date(zone.toLocal(now.getTime()));
  const day = local.toISOString().slice(0, 10);
  return local.getUTCHours() === TIDY_HOUR && day !== lastDay ? day : null;
}

/**
 * On PGlite, checks every `everyMs` whether the night's tidy is due and runs it (nothing on
 * PostgreSQL). Returns the function that stops it.
 */
export function startNightlyTidy(
  database: Database,
  opts: {
    everyMs: number;
    /** The city's zone (the calendar's, which follows the settings). */
    zone: () => Promise<Zone>;
    now?: () => Date;
    onDone?: (ms: number) => void;
    onError?: (err: unknown) => void;
  },
): () => void {
  if (database.kind !== 'pglite') return () => {};
  let lastDay: string | null = null;
  const timer = setInterval(() => {
    void (async () => {
      const day = tidyDue(opts.now?.() ?? new Date(), await opts.zone(), lastDay);
      if (!day) return;
      lastDay = day;
      opts.onDone?.(await tidy(database));
    })().catch((err) => opts.onError?.(err));
  }, opts.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
