import type { Context } from '../../context.ts';
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
  /** Where and when the report claims the photos were taken (EXIF is compared with it). */
  claim: { lng: number; lat: number; at: Date };
  publish: Omit<PublishInput, 'caseId'>;
}

interface Waiting {
  p: PendingCase;
  resolve: (row: (CaseRow & { duplicates: Duplicate[] }) | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for intake. Reports that arrive while a commit is running wait and are written
 * together next. Reports without photos go in one SQL statement per day, which is its own
 * transaction: it skips taken idempotency keys, numbers the reports, inserts the cases and their
 * opening phase-log rows and sends their NOTIFY, so the day's counter row is locked for one
 * statement only. Reports with photos share a transaction that also attaches the photos and
 * flags their EXIF. A report's promise settles only after its unit committed, so a 201 always
 * means the case is on disk. A unit that fails is retried report by report, so one bad report
 * never takes the others down with it.
 *
 * Resolves to the inserted row with the open cases it may duplicate, or null when the
 * idempotency key was taken meanwhile (the caller then returns the case that holds it).
 */
export class IntakeCommitter {
  readonly #queue: Waiting[] = [];
  #writers = 0;
  /** Batches written and reports in them, for health checks and the benchmark. */
  readonly stats = { batches: 0, reports: 0, retriedAlone: 0 };

  constructor(
    private readonly ctx: Context,
    private readonly repo: CasesRepository,
    private readonly maxBatch = 200,
    /** Batches written at once; the day's counter row still orders their numbering. */
    private readonly maxWriters = 1,
  ) {}

  commit(p: PendingCase): Promise<(CaseRow & { duplicates: Duplicate[] }) | null> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ p, resolve, reject });
      if (this.#writers < this.maxWriters) void this.#drain();
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
      else w.resolve(r ? { ...r, duplicates: dups.get(r.id) ?? [] } : null);
    }
  }

  /**
   * Writes reports in units that each commit or fail whole: per day a statement for those
   * without photos, a transaction for those with. A failed unit is retried report by report.
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
      const unit = p.photos.length > 0 ? 'photos' : `day:${p.day}`;
      units.set(unit, [...(units.get(unit) ?? []), i]);
    }
    const run = async (idx: number[]) => {
      const p0 = ps[idx[0] as number] as PendingCase;
      if (p0.photos.length > 0) {
        const rows = await this.#insertWithPhotos(idx.map((i) => ps[i] as PendingCase));
        for (const [j, i] of idx.entries()) out[i] = rows[j] ?? null;
      } else {
        for (const { ord, row } of await this.#insertStatement(p0.day, idx, ps)) out[ord] = row;
      }
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
    return out;
  }

  async #insertStatement(day: string, idx: number[], ps: PendingCase[]): Promise<Array<{ ord: number; row: CaseRow }>> {
    const realtime = this.ctx.services.realtime;
    const channel = realtime.notifyChannel;
    const rows = idx.map((i) => {
      const p = ps[i] as PendingCase;
      return { ...p.row, ord: i, event: channel ? realtime.template(p.publish) : null };
    });
    const events = idx.flatMap((i) => (ps[i] as PendingCase).events.map((e, k) => ({ ...e, ord: i, seq: k + 1 })));
    const written = await this.repo.insertBatch(day, rows, events, channel);
    // The statement was its own transaction: it has committed.
    realtime.committed(written.map(({ ord, row }) => ({ ...(ps[ord] as PendingCase).publish, caseId: row.id }) as PublishInput));
    return written;
  }

  async #insertWithPhotos(ps: PendingCase[]): Promise<Array<CaseRow | null>> {
    return this.ctx.database.transaction(async (tx) => {
      const keys = ps.map((p) => p.row.idempotencyKey).filter((k): k is string => k !== null);
      const taken = new Set(keys.length > 0 ? await this.repo.takenKeys(keys, tx.db) : []);
      const fresh = ps.filter((p) => p.row.idempotencyKey === null || !taken.has(p.row.idempotencyKey));
      const numbers = new Map<PendingCase, string>();
      const perDay = new Map<string, PendingCase[]>();
      for (const p of fresh) perDay.set(p.day, [...(perDay.get(p.day) ?? []), p]);
      for (const [day, list] of perDay) {
        const first = await this.repo.reserveNumbers(day, list.length, tx.db);
        for (const [i, p] of list.entries()) numbers.set(p, this.repo.formatNumber(day, first + i));
      }
      const rows =
        fresh.length > 0
          ? await this.repo.insertMany(
              fresh.map((p) => ({ ...p.row, number: numbers.get(p) as string })),
              tx.db,
            )
          : [];
      const byNumber = new Map(rows.map((r) => [r.number, r]));

      const events: Array<NewEvent & { caseId: number; seq: number }> = [];
      const publish: PublishInput[] = [];
      const out: Array<CaseRow | null> = [];
      for (const p of ps) {
        const n = numbers.get(p);
        const row = n ? byNumber.get(n) : undefined;
        if (!row) {
          out.push(null);
          continue;
        }
        const opening = p.events.map((e) => ({ ...e }));
        // Photos join the case; EXIF place and time are compared with the report's and flagged.
        await this.ctx.services.media.attach(p.photos, row.id, tx.db);
        const checked = await this.ctx.services.media.compare(p.photos, p.claim, tx.db);
        const first = opening[0] as NewEvent;
        first.payload = {
          ...first.payload,
          photoFlags: checked.filter((r) => r.flags.length > 0).map((r) => ({ id: r.id, flags: r.flags })),
        };
        for (const [i, e] of opening.entries()) events.push({ ...e, caseId: row.id, seq: i + 1 });
        publish.push({ ...p.publish, caseId: row.id } as PublishInput);
        out.push(row);
      }
      if (events.length > 0) await this.repo.appendOpeningEvents(events, tx.db);
      // Consoles and the big screen hear of them on commit, never on rollback.
      if (publish.length > 0) await this.ctx.services.realtime.publishInTx(tx.db, publish);
      return out;
    });
  }
}
