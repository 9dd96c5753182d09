import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

export interface PlatformLink {
  id: number;
  name: string;
  direction: 'downstream' | 'upstream';
  baseUrl: string;
  departmentId: number | null;
  remoteCode: string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface OutboxItem {
  id: number;
  linkId: number;
  caseId: number;
  eventId: number;
  seq: number;
  kind: 'forward' | 'progress';
  action: string;
  attempts: number;
  baseUrl: string;
  apiKey: string;
}

const LINK_COLUMNS = sql`id, name, direction, base_url, department_id, remote_code, active, created_at, updated_at`;

/** SQL of platform links, the case mapping and the sync outbox. */
export class PlatformRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async links(): Promise<PlatformLink[]> {
    return (await sql<PlatformLink>`SELECT ${LINK_COLUMNS} FROM platform_link ORDER BY id`.execute(this.db)).rows;
  }

  async link(id: number): Promise<PlatformLink | null> {
    return (await sql<PlatformLink>`SELECT ${LINK_COLUMNS} FROM platform_link WHERE id = ${id}`.execute(this.db)).rows[0] ?? null;
  }

  async upstreamByCode(code: string): Promise<PlatformLink | null> {
    const res = await sql<PlatformLink>`
      SELECT ${LINK_COLUMNS} FROM platform_link WHERE active AND direction = 'upstream' AND remote_code = ${code}`.execute(this.db);
    return res.rows[0] ?? null;
  }

  async insertLink(
    l: { name: string; direction: string; baseUrl: string; apiKey: string; departmentId: number | null; remoteCode: string | null },
    actorId: number | null,
    db: Kysely<DB> = this.db,
  ): Promise<PlatformLink> {
    const res = await sql<PlatformLink>`
      INSERT INTO platform_link (name, direction, base_url, api_key, department_id, remote_code, created_by)
      VALUES (${l.name}, ${l.direction}, ${l.baseUrl}, ${l.apiKey}, ${l.departmentId}, ${l.remoteCode}, ${actorId})
      RETURNING ${LINK_COLUMNS}`.execute(db);
    return res.rows[0] as PlatformLink;
  }

  async setActive(id: number, active: boolean, db: Kysely<DB> = this.db): Promise<PlatformLink | null> {
    const res = await sql<PlatformLink>`
      UPDATE platform_link SET active = ${active}, updated_at = now() WHERE id = ${id} RETURNING ${LINK_COLUMNS}`.execute(db);
    return res.rows[0] ?? null;
  }

  async mapping(linkId: number, by: { caseId?: number; remoteCaseId?: number }) {
    const res = await sql<{ caseId: number; remoteCaseId: number; remoteNumber: string }>`
      SELECT case_id, remote_case_id, remote_number FROM platform_case
      WHERE link_id = ${linkId} AND ${by.caseId !== undefined ? sql`case_id = ${by.caseId}` : sql`remote_case_id = ${by.remoteCaseId ?? -1}`}`.execute(
      this.db,
    );
    return res.rows[0] ?? null;
  }

  async insertMapping(m: { linkId: number; caseId: number; remoteCaseId: number; remoteNumber: string }, db: Kysely<DB> = this.db) {
    await sql`
      INSERT INTO platform_case (link_id, case_id, remote_case_id, remote_number)
      VALUES (${m.linkId}, ${m.caseId}, ${m.remoteCaseId}, ${m.remoteNumber})
      ON CONFLICT DO NOTHING`.execute(db);
  }

  /**
   * Maps a case that came from the city platform to its case there and queues the steps already
   * taken on it. The outbox trigger queues a step only for a mapped case, and the case is filed
   * (and visible to the district's staff) before its mapping is stored: a step taken in between,
   * or before a crash that lost the mapping, would otherwise never reach the city. The case row
   * is locked first, so a transition in flight (which updates the row before it logs its step)
   * either commits before the backfill reads the log or waits and then finds the mapping.
   */
  async mapInbound(m: { linkId: number; caseId: number; remoteCaseId: number; remoteNumber: string }, db: Kysely<DB>) {
    await sql`SELECT id FROM case_file WHERE id = ${m.caseId} FOR UPDATE`.execute(db);
    await this.insertMapping(m, db);
    // The same steps as platform_enqueue() reports back (migration 20261130T0530_platform.sql).
    const res = await sql`
      INSERT INTO platform_outbox (link_id, case_id, event_id, seq, kind, action)
      SELECT ${m.linkId}, e.case_id, e.id, e.seq, 'progress', e.action
      FROM case_event e
      WHERE e.case_id = ${m.caseId} AND e.action IN ('dispatch', 'auto_dispatch', 'close', 'refuse', 'cancel')
      ORDER BY e.id
      ON CONFLICT DO NOTHING`.execute(db);
    return Number(res.numAffectedRows ?? 0);
  }

  /** Every platform a case is mapped to, with the other side's number (the case detail shows it). */
  async mappingsOf(caseId: number) {
    const res = await sql<{ linkId: number; name: string; direction: string; remoteCaseId: number; remoteNumber: string }>`
      SELECT pc.link_id, l.name, l.direction, pc.remote_case_id, pc.remote_number
      FROM platform_case pc JOIN platform_link l ON l.id = pc.link_id WHERE pc.case_id = ${caseId} ORDER BY pc.link_id`.execute(this.db);
    return res.rows;
  }

  /**
   * Claims up to `n` due outbox items, leasing each for `leaseMs`. Per (link, case) only the
   * oldest pending item is eligible, so a case's steps reach the other side in order.
   */
  async claim(n: number, now: Date, leaseMs: number): Promise<OutboxItem[]> {
    const res = await sql<OutboxItem>`
      WITH due AS (
        SELECT o.id FROM platform_outbox o
        WHERE o.status = 'pending' AND o.next_attempt_at <= ${now}
          AND (o.locked_until IS NULL OR o.locked_until < ${now})
          AND NOT EXISTS (
            SELECT 1 FROM platform_outbox p
            WHERE p.status = 'pending' AND p.link_id = o.link_id AND p.case_id = o.case_id AND p.seq < o.seq)
        ORDER BY o.next_attempt_at, o.id
        LIMIT ${n}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE platform_outbox o SET locked_until = ${new Date(now.getTime() + leaseMs)}
      FROM due, platform_link l
      WHERE o.id = due.id AND l.id = o.link_id
      RETURNING o.id, o.link_id, o.case_id, o.event_id, o.seq, o.kind, o.action, o.attempts, l.base_url, l.api_key`.execute(this.db);
    return res.rows;
  }

  async done(id: number, result: unknown, now: Date) {
    await sql`
      UPDATE platform_outbox SET status = 'done', attempts = attempts + 1, done_at = ${now}, locked_until = NULL,
        last_error = NULL, result = ${JSON.stringify(result ?? null)}::jsonb
      WHERE id = ${id}`.execute(this.db);
  }

  async retry(id: number, error: string, next: Date, maxAttempts: number) {
    await sql`
      UPDATE platform_outbox SET attempts = attempts + 1, locked_until = NULL, last_error = ${error.slice(0, 1000)},
        next_attempt_at = ${next},
        status = CASE WHEN attempts + 1 >= ${maxAttempts} THEN 'failed' ELSE 'pending' END
      WHERE id = ${id}`.execute(this.db);
  }

  async outbox(f: { linkId?: number; status?: string; limit: number }) {
    const where = [sql`true`];
    if (f.linkId) where.push(sql`o.link_id = ${f.linkId}`);
    if (f.status) where.push(sql`o.status = ${f.status}`);
    const res = await sql<{
      id: number;
      linkId: number;
      caseId: number;
      caseNumber: string;
      kind: string;
      action: string;
      status: string;
      attempts: number;
      nextAttemptAt: Date;
      lastError: string | null;
      createdAt: Date;
      doneAt: Date | null;
    }>`
      SELECT o.id, o.link_id, o.case_id, c.number AS case_number, o.kind, o.action, o.status, o.attempts, o.next_attempt_at,
        o.last_error, o.created_at, o.done_at
      FROM platform_outbox o JOIN case_file c ON c.id = o.case_id
      WHERE ${sql.join(where, sql` AND `)}
      ORDER BY o.id DESC LIMIT ${f.limit}`.execute(this.db);
    return res.rows;
  }

  /** A failed item goes back to the queue (after the other side was fixed). */
  async requeue(id: number, now: Date) {
    const res = await sql<{ id: number }>`
      UPDATE platform_outbox SET status = 'pending', attempts = 0, next_attempt_at = ${now}, locked_until = NULL
      WHERE id = ${id} AND status = 'failed' RETURNING id`.execute(this.db);
    return res.rows.length === 1;
  }

  /** The log row an outbox item stands for, and the last 反馈 before it (its note and after-photos). */
  async eventOf(eventId: number) {
    const res = await sql<{ caseId: number; seq: number; action: string; note: string | null; payload: Record<string, unknown> }>`
      SELECT case_id, seq, action, note, payload FROM case_event WHERE id = ${eventId}`.execute(this.db);
    return res.rows[0] ?? null;
  }

  async lastFeedback(caseId: number, beforeSeq: number) {
    const res = await sql<{ note: string | null; payload: { photos?: string[] } }>`
      SELECT note, payload FROM case_event WHERE case_id = ${caseId} AND action = 'feedback' AND seq < ${beforeSeq}
      ORDER BY seq DESC LIMIT 1`.execute(this.db);
    return res.rows[0] ?? null;
  }
}
