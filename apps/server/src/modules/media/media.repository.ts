import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
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

  /** A case's public photos, oldest first. */
  publicForCase(caseId: number, db: Kysely<DB> = this.db): Promise<MediaRow[]> {
    return db
      .selectFrom('media')
      .selectAll()
      .where('caseId', '=', caseId)
      .where('public', '=', true)
      .orderBy('createdAt')
      .orderBy('id')
      .execute();
  }

  /** How many photos an upload token owns (index media_owner_upload_idx). */
  async countByUploadHash(hash: string, db: Kysely<DB> = this.db): Promise<number> {
    const row = await db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('ownerUploadHash', '=', hash)
      .executeTakeFirstOrThrow();
    return Number(row.n);
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

  /**
   * Attaches unattached (or already this case's) media; returns the ids updated. An anonymous
   * upload joining its case for the first time becomes public (the right side reads the old row).
   */
  async attach(ids: string[], caseId: number, db: Kysely<DB> = this.db): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await db
      .updateTable('media')
      .set({
        caseId,
        public: sql<boolean>`CASE WHEN media.case_id IS NULL AND media.owner_upload_hash IS NOT NULL THEN true ELSE media.public END`,
      })
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
