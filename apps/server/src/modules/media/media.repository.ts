import type { Insertable, Kysely, Selectable } from 'kysely';
import type { DB, MediaTable } from '../../db/schema.ts';

export type MediaRow = Selectable<MediaTable>;

export class MediaRepository {
  constructor(private readonly db: Kysely<DB>) {}

  get(id: string, db: Kysely<DB> = this.db): Promise<MediaRow | undefined> {
    return db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
  }

  many(ids: string[], db: Kysely<DB> = this.db): Promise<MediaRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return db.selectFrom('media').selectAll().where('id', 'in', ids).execute();
  }

  forCase(caseId: number, db: Kysely<DB> = this.db): Promise<MediaRow[]> {
    return db.selectFrom('media').selectAll().where('caseId', '=', caseId).orderBy('createdAt').orderBy('id').execute();
  }

  /** Which of these hashes are already stored. */
  async knownHashes(hashes: string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const rows = await this.db.selectFrom('media').select('sha256').where('sha256', 'in', hashes).distinct().execute();
    return new Set(rows.map((r) => r.sha256));
  }

  insert(rows: Insertable<MediaTable>[]): Promise<MediaRow[]> {
    return this.db.insertInto('media').values(rows).returningAll().execute();
  }

  /** Attaches unattached (or already this case's) media; returns the ids updated. */
  async attach(ids: string[], caseId: number, db: Kysely<DB> = this.db): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await db
      .updateTable('media')
      .set({ caseId })
      .where('id', 'in', ids)
      .where((eb) => eb.or([eb('caseId', 'is', null), eb('caseId', '=', caseId)]))
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async setPublic(ids: string[], value: boolean, db: Kysely<DB> = this.db): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await db.updateTable('media').set({ public: value }).where('id', 'in', ids).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async setFlags(id: string, flags: string[], db: Kysely<DB> = this.db): Promise<void> {
    await db
      .updateTable('media')
      .set({ flags: JSON.stringify(flags) })
      .where('id', '=', id)
      .execute();
  }
}
