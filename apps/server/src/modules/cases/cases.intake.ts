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
 * together in the next transaction: one numbering step per day, one multi-row INSERT of the
 * cases, one of their opening phase-log rows, one NOTIFY. A report's promise settles only after
 * its transaction committed, so a 201 always means the case is on disk.
 *
 * If a batch fails (a photo attached elsewhere meanwhile, a constraint), each of its reports is
 * retried alone, so one bad report never takes the others down with it.
 *
 * Resolves to the inserted row with the open cases it may duplicate, or null when the
 * idempotency key was taken meanwhile (the caller then returns the case that holds it).
 */
export class IntakeCommitter {
  readonly #queue: Waiting[] = [];
  #running = false;
  /** Batches written and reports in them, for health checks and the benchmark. */
  readonly stats = { batches: 0, reports: 0, retriedAlone: 0 };

  constructor(
    private readonly ctx: Context,
    private readonly repo: CasesRepository,
    private readonly maxBatch = 200,
  ) {}

  commit(p: PendingCase): Promise<(CaseRow & { duplicates: Duplicate[] }) | null> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ p, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.maxBatch);
        try {
          const rows = await this.#write(batch.map((w) => w.p));
          for (const [i, w] of batch.entries()) w.resolve(rows[i] ?? null);
        } catch (err) {
          if (batch.length === 1) {
            (batch[0] as Waiting).reject(err);
            continue;
          }
          for (const w of batch) {
            this.stats.retriedAlone++;
            try {
              w.resolve((await this.#write([w.p]))[0] ?? null);
            } catch (e) {
              w.reject(e);
            }
          }
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /** Writes reports in one transaction; returns each one's row, or null for a taken idempotency key. */
  async #write(ps: PendingCase[]): Promise<Array<(CaseRow & { duplicates: Duplicate[] }) | null>> {
    return this.ctx.database.transaction(async (tx) => {
      // Keys already used (a retry racing its original), and repeats within the batch, get no
      // number: numbers stay gapless within a process.
      const keys = ps.map((p) => p.row.idempotencyKey).filter((k): k is string => k !== null);
      const taken = new Set(keys.length > 0 ? await this.repo.takenKeys(keys, tx.db) : []);
      const fresh: PendingCase[] = [];
      for (const p of ps) {
        const k = p.row.idempotencyKey;
        if (k !== null && taken.has(k)) continue;
        if (k !== null) taken.add(k);
        fresh.push(p);
      }
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
      const radius = (await this.ctx.services.settings.get()).duplicateRadiusM;
      for (const p of ps) {
        const n = numbers.get(p);
        const row = n ? byNumber.get(n) : undefined;
        if (!row) {
          out.push(null);
          continue;
        }
        const opening = p.events.map((e) => ({ ...e }));
        if (p.photos.length > 0) {
          // Photos join the case; EXIF place and time are compared with the report's and flagged.
          await this.ctx.services.media.attach(p.photos, row.id, tx.db);
          const checked = await this.ctx.services.media.compare(p.photos, p.claim, tx.db);
          const first = opening[0] as NewEvent;
          first.payload = {
            ...first.payload,
            photoFlags: checked.filter((r) => r.flags.length > 0).map((r) => ({ id: r.id, flags: r.flags })),
          };
        }
        for (const [i, e] of opening.entries()) events.push({ ...e, caseId: row.id, seq: i + 1 });
        publish.push({ ...p.publish, caseId: row.id } as PublishInput);
        out.push(row);
      }
      if (events.length > 0) await this.repo.appendOpeningEvents(events, tx.db);
      // Consoles and the big screen hear of them on commit, never on rollback.
      if (publish.length > 0) await this.ctx.services.realtime.publishInTx(tx.db, publish);
      // Duplicates as the acceptor will see them, earlier reports of this batch included.
      const dups = await this.repo.duplicatesOfCases(
        rows.map((r) => r.id),
        radius,
        tx.db,
      );
      this.stats.batches++;
      this.stats.reports += rows.length;
      return out.map((r) => (r ? { ...r, duplicates: dups.get(r.id) ?? [] } : null));
    });
  }
}
