import type { Kysely } from 'kysely';
import type { Context } from '../../context.ts';
import type { DB } from '../../db/schema.ts';
import { scopeFacts } from '../realtime/realtime.scope.ts';
import type { PublishInput } from '../realtime/realtime.service.ts';
import type { CaseRow, CasesRepository, Duplicate, NewCase, NewEvent } from './cases.repository.ts';

/** A validated, located report ready to be written: everything but its number and id. */
export interface PendingCase {
  /** The city's calendar day of the report (numbers run per day). */
  day: string;
  row: NewCase;
  /** The opening phase-log rows (report, and for the flattened loop auto-register/dispatch). */
  events: NewEvent[];
  photos: string[];
}

/** The event a new case announces (its id is added once it has one). */
const createdEvent = (r: NewCase): Omit<PublishInput, 'caseId'> => ({
  type: 'case.created',
  state: r.state,
  phase: r.phase,
  ...scopeFacts(r),
  at: r.createdAt,
});

interface Waiting {
  p: PendingCase;
  resolve: (row: (CaseRow & { duplicates: Duplicate[] }) | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for intake. Reports that arrive while a commit is running wait and are written
 * together next, per day, in one SQL statement: it skips taken idempotency keys, numbers the
 * reports, inserts the cases and their opening phase-log rows and sends their NOTIFY. Without
 * photos that statement is its own transaction, so the day's counter row is locked for one
 * statement only; with photos it shares a transaction with flagging their EXIF and attaching
 * them to the cases. A report's promise settles only after its unit committed, so a 201 always
 * means the case is on disk. A unit that fails is retried report by report, so one bad report
 * never takes the others down with it.
 *
 * Resolves to the inserted row with the open cases it may duplicate, or null when the
 * idempotency key was taken meanwhile (the caller then returns the case that holds it).
 */
export class IntakeCommitter {
  readonly #queue: Waiting[] = [];
  #writers = 0;
  #drainScheduled = false;
  /** The case id at which the tables' statistics are renewed next (see #followGrowth). */
  #analyseAt = 0;
  #analysing: Promise<void> | null = null;
  /** Batches written and reports in them, for health checks and the benchmark. */
  readonly stats = { batches: 0, reports: 0, retriedAlone: 0, analysed: 0 };

  constructor(
    private readonly ctx: Context,
    private readonly repo: CasesRepository,
    private readonly maxBatch = 200,
    /** Batches written at once; the day's counter row still orders their numbering. */
    private readonly maxWriters = 1,
    /** The first case count at which statistics are renewed (then at each doubling). */
    private readonly analyseFrom = 1024,
  ) {}

  commit(p: PendingCase): Promise<(CaseRow & { duplicates: Duplicate[] }) | null> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ p, resolve, reject });
      if (this.#writers < this.maxWriters && !this.#drainScheduled) {
        // The writer starts after the requests already received have had their turn, so that
        // they join this batch. It matters on PGlite above all: its queries complete without
        // leaving the microtask queue, so a writer started at once took every report alone
        // (one commit per report, while the rest waited unread on their sockets).
        this.#drainScheduled = true;
        setImmediate(() => {
          this.#drainScheduled = false;
          void this.#drain();
        });
      }
    });
  }

  async #drain(): Promise<void> {
    this.#writers++;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.maxBatch);
        const results = await this.#write(batch.map((w) => w.p)).catch((err: unknown) =>
          batch.map(() => (err instanceof Error ? err : new Error(String(err)))),
        );
        // The next batch need not wait for this one's duplicate lookup.
        void this.#answer(batch, results);
      }
    } finally {
      this.#writers--;
    }
  }

  /** Settles a written batch: rows with their duplicates, nulls, errors. */
  async #answer(batch: Waiting[], results: Array<CaseRow | null | Error>): Promise<void> {
    const written = results.filter((r): r is CaseRow => r !== null && !(r instanceof Error));
    // Duplicates as the acceptor will see them, earlier reports of this batch included. The
    // reports are committed by now: a failure here must not turn them into errors (a client
    // would file them again), so they go back without duplicates.
    let dups = new Map<number, Duplicate[]>();
    try {
      const radius = (await this.ctx.services.settings.get()).duplicateRadiusM;
      dups = await this.repo.duplicatesOfCases(
        written.map((r) => r.id),
        radius,
      );
    } catch {
      // Keep the empty map.
    }
    for (const [i, w] of batch.entries()) {
      const r = results[i];
      if (r instanceof Error) w.reject(r);
      else w.resolve(r ? Object.assign(r, { duplicates: dups.get(r.id) ?? [] }) : null);
    }
  }

  /**
   * Writes reports in units that each commit or fail whole: per day, those without photos and
   * those with. A failed unit is retried report by report.
   * Returns each report's row, null for a taken idempotency key, or its error.
   */
  async #write(ps: PendingCase[]): Promise<Array<CaseRow | null | Error>> {
    const out: Array<CaseRow | null | Error> = ps.map(() => null);
    // A key repeated within the batch is written once; the repeats get null (the caller finds the case).
    const seen = new Set<string>();
    const units = new Map<string, number[]>();
    for (const [i, p] of ps.entries()) {
      const k = p.row.idempotencyKey;
      if (k !== null) {
        if (seen.has(k)) continue;
        seen.add(k);
      }
      const unit = `${p.photos.length > 0 ? 'photos' : 'plain'}:${p.day}`;
      const members = units.get(unit);
      if (members) members.push(i);
      else units.set(unit, [i]);
    }
    const run = async (idx: number[]) => {
      for (const { ord, row } of await this.#insert(idx, ps)) out[ord] = row;
    };
    for (const idx of units.values()) {
      try {
        await run(idx);
      } catch (err) {
        if (idx.length === 1) {
          out[idx[0] as number] = err instanceof Error ? err : new Error(String(err));
          continue;
        }
        for (const i of idx) {
          this.stats.retriedAlone++;
          try {
            await run([i]);
          } catch (e) {
            out[i] = e instanceof Error ? e : new Error(String(e));
          }
        }
      }
    }
    this.stats.batches++;
    this.stats.reports += out.filter((r) => r !== null && !(r instanceof Error)).length;
    this.#followGrowth(out);
    return out;
  }

  /**
   * Renews the statistics of the case tables each time the cases double (from 1,024 on, by the
   * newest id), in the background. The hot statements are planned once per connection on
   * PostgreSQL and from whatever statistics there are on PGlite (no autovacuum there): in a young
   * city those describe a table a fraction of its size, and the plans made from them (a walk
   * over all open cases for duplicates, say) get dearer as it grows until statistics catch up. ANALYZE samples a bounded number of rows and
   * makes PostgreSQL plan again; at doublings it runs some twenty times in a city's life.
   */
  #followGrowth(out: Array<CaseRow | null | Error>): void {
    let newest = 0;
    for (const r of out) if (r !== null && !(r instanceof Error) && r.id > newest) newest = r.id;
    if (newest === 0) return;
    // The next power of two above the newest id.
    const next = 2 ** Math.ceil(Math.log2(newest + 1));
    if (this.#analyseAt === 0) this.#analyseAt = Math.max(this.analyseFrom, next);
    if (newest < this.#analyseAt || this.#analysing) return;
    this.#analyseAt = next;
    this.stats.analysed++;
    this.#analysing = this.ctx.database
      .exec('ANALYZE case_file, case_event')
      .catch(() => {
        // Autovacuum (PostgreSQL) or the nightly tidy (PGlite) does it later.
      })
      .finally(() => {
        this.#analysing = null;
      });
  }

  /** Settles once a renewal of the statistics started by intake has finished (at once if none runs). */
  async analysed(): Promise<void> {
    await this.#analysing;
  }

  /** Files reports of one day that all have photos or all have none; returns the rows written by position. */
  async #insert(idx: number[], ps: PendingCase[]): Promise<Array<{ ord: number; row: CaseRow }>> {
    const withPhotos = (ps[idx[0] as number] as PendingCase).photos.length > 0;
    const written = withPhotos
      ? await this.ctx.database.transaction((tx) => this.#writeDay(tx.db, idx, ps))
      : await this.#writeDay(this.ctx.db, idx, ps);
    // Committed by now (the statement, or the transaction): consoles hear of the cases.
    this.#announce(written, ps);
    return written;
  }

  /**
   * Writes reports all together or not at all: one transaction, one batch statement per day
   * (imports). Bypasses the queue; the day's counter row keeps numbers gapless and ordered.
   * Returns each report's row by position, or null where its idempotency key was taken.
   */
  async writeTogether(ps: PendingCase[]): Promise<Array<CaseRow | null>> {
    const byDay = new Map<string, number[]>();
    for (const [i, p] of ps.entries()) byDay.set(p.day, [...(byDay.get(p.day) ?? []), i]);
    const written = await this.ctx.database.transaction(async (tx) => {
      const all: Array<{ ord: number; row: CaseRow }> = [];
      for (const idx of byDay.values()) all.push(...(await this.#writeDay(tx.db, idx, ps)));
      return all;
    });
    this.#announce(written, ps);
    const out: Array<CaseRow | null> = ps.map(() => null);
    for (const { ord, row } of written) out[ord] = row;
    return out;
  }

  #announce(written: Array<{ ord: number; row: CaseRow }>, ps: PendingCase[]): void {
    this.ctx.services.realtime.committed(
      written.map(({ ord, row }) => ({ ...createdEvent((ps[ord] as PendingCase).row), caseId: row.id })),
    );
  }

  /** One day's reports in one batch statement on `db`; photos are checked before and attached after, on the same `db`. */
  async #writeDay(db: Kysely<DB>, idx: number[], ps: PendingCase[]): Promise<Array<{ ord: number; row: CaseRow }>> {
    const realtime = this.ctx.services.realtime;
    const media = this.ctx.services.media;
    const channel = realtime.notifyChannel;
    const day = (ps[idx[0] as number] as PendingCase).day;
    const events: Array<NewEvent & { ord: number; seq: number }> = [];
    for (const i of idx) {
      const p = ps[i] as PendingCase;
      const opening = p.events.map((e) => ({ ...e }));
      if (p.photos.length > 0) {
        // EXIF place and time are compared with the report's and flagged in the report's log row.
        const checked = await media.compare(p.photos, { lng: p.row.lng, lat: p.row.lat, at: p.row.createdAt }, db);
        const first = opening[0] as NewEvent;
        first.payload = {
          ...first.payload,
          photoFlags: checked.filter((r) => r.flags.length > 0).map((r) => ({ id: r.id, flags: r.flags })),
        };
      }
      for (const [k, e] of opening.entries()) events.push({ ...e, ord: i, seq: k + 1 });
    }
    const rows = idx.map((i) => {
      const p = ps[i] as PendingCase;
      return { ...p.row, ord: i, event: channel ? realtime.template(createdEvent(p.row)) : null };
    });
    const written = await this.repo.insertBatch(day, rows, events, channel, db);
    // Photos join their case in the same transaction.
    for (const { ord, row } of written) {
      const photos = (ps[ord] as PendingCase).photos;
      if (photos.length > 0) await media.attach(photos, row.id, db);
    }
    return written;
  }
}
