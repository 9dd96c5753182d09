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

  /**
   * Newest first, with the actor's name. `action` matches a prefix ("taxonomy." finds every
   * taxonomy change); from/to bound `at` (from inclusive, to exclusive).
   */
  async list(filter: {
    entity?: string;
    entityId?: string;
    actorId?: number;
    action?: string;
    from?: string;
    to?: string;
    limit: number;
    offset: number;
  }) {
    let q = this.ctx.db
      .selectFrom('auditLog as a')
      .leftJoin('person as p', 'p.id', 'a.actorId')
      .selectAll('a')
      .select(['p.name as actorName', 'p.username as actorUsername'])
      .orderBy('a.id', 'desc');
    if (filter.entity) q = q.where('a.entity', '=', filter.entity);
    if (filter.entityId) q = q.where('a.entityId', '=', filter.entityId);
    if (filter.actorId) q = q.where('a.actorId', '=', filter.actorId);
    if (filter.action) q = q.where('a.action', 'like', `${filter.action.replace(/[\\%_]/g, '\\$&')}%`);
    if (filter.from) q = q.where('a.at', '>=', new Date(filter.from));
    if (filter.to) q = q.where('a.at', '<', new Date(filter.to));
    return q.limit(filter.limit).offset(filter.offset).execute();
  }
}
