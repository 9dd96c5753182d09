import type { Kysely } from 'kysely';
import type { Context } from '../../context.ts';
import type { DB } from '../../db/schema.ts';

/** Append-only audit trail of administrative changes: who, when, what, before and after. */
export class AuditService {
  constructor(private readonly ctx: Context) {}

  /** Records one change; pass `db` to write inside the caller's transaction. */
  async record(
    entry: { actorId: number | null; action: string; entity: string; entityId: string | number | null; before?: unknown; after?: unknown },
    db: Kysely<DB> = this.ctx.db,
  ): Promise<void> {
    await db
      .insertInto('auditLog')
      .values({
        actorId: entry.actorId,
        action: entry.action,
        entity: entry.entity,
        entityId: entry.entityId === null ? null : String(entry.entityId),
        before: entry.before === undefined ? null : JSON.stringify(entry.before),
        after: entry.after === undefined ? null : JSON.stringify(entry.after),
      })
      .execute();
  }

  async list(filter: { entity?: string; entityId?: string; limit: number; offset: number }) {
    let q = this.ctx.db.selectFrom('auditLog').selectAll().orderBy('id', 'desc');
    if (filter.entity) q = q.where('entity', '=', filter.entity);
    if (filter.entityId) q = q.where('entityId', '=', filter.entityId);
    return q.limit(filter.limit).offset(filter.offset).execute();
  }
}
