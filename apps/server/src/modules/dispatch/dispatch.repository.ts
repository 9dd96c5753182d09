import { type Insertable, type Kysely, sql, type Updateable } from 'kysely';
import type { DB, DispatchRuleTable } from '../../db/schema.ts';

export interface RuleFilter {
  edition?: string;
  kind?: string;
  classCode?: string;
  regionId?: number;
  departmentId?: number;
  enabled?: boolean;
  source?: 'manual' | 'seed';
  limit: number;
  offset: number;
}

/** A rule as the API shows it: the row plus the names it refers to. */
export interface RuleRow {
  id: number;
  name: string;
  edition: 'CJT214-2007' | 'GBT47678.5-2026' | null;
  kind: 'component' | 'event' | null;
  classCode: string | null;
  className: string | null;
  regionId: number | null;
  regionCode: string | null;
  regionLevel: string | null;
  regionName: string | null;
  ownerDepartmentId: number | null;
  ownerName: string | null;
  departmentId: number;
  departmentCode: string;
  departmentName: string;
  departmentLevel: 'city' | 'district' | 'street';
  departmentActive: boolean;
  priority: number;
  enabled: boolean;
  validFrom: Date | null;
  validTo: Date | null;
  source: 'manual' | 'seed';
  createdBy: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** SQL over `dispatch_rule` (and the names it joins for display and the matcher's cache). */
export class DispatchRepository {
  constructor(private readonly db: Kysely<DB>) {}

  private base(db: Kysely<DB> = this.db) {
    return db
      .selectFrom('dispatchRule as r')
      .innerJoin('department as d', 'd.id', 'r.departmentId')
      .leftJoin('department as o', 'o.id', 'r.ownerDepartmentId')
      .leftJoin('region as g', 'g.id', 'r.regionId')
      .leftJoin('taxonomyClass as c', (j) =>
        j.onRef('c.edition', '=', 'r.edition').onRef('c.kind', '=', 'r.kind').onRef('c.code', '=', 'r.classCode'),
      )
      .select([
        'r.id',
        'r.name',
        'r.edition',
        'r.kind',
        'r.classCode',
        'c.name as className',
        'r.regionId',
        'g.code as regionCode',
        'g.level as regionLevel',
        'g.name as regionName',
        'r.ownerDepartmentId',
        sql<string | null>`coalesce(o.short_name, o.name)`.as('ownerName'),
        'r.departmentId',
        'd.code as departmentCode',
        sql<string>`coalesce(d.short_name, d.name)`.as('departmentName'),
        'd.level as departmentLevel',
        'd.active as departmentActive',
        'r.priority',
        'r.enabled',
        'r.validFrom',
        'r.validTo',
        'r.source',
        'r.createdBy',
        'r.createdAt',
        'r.updatedAt',
      ]);
  }

  async list(f: RuleFilter): Promise<{ items: RuleRow[]; total: number }> {
    let q = this.base().select(sql<number>`count(*) over ()`.as('total'));
    if (f.edition) q = q.where('r.edition', '=', f.edition as 'CJT214-2007');
    if (f.kind) q = q.where('r.kind', '=', f.kind as 'event');
    if (f.classCode) q = q.where('r.classCode', '=', f.classCode);
    if (f.regionId) q = q.where('r.regionId', '=', f.regionId);
    if (f.departmentId) q = q.where('r.departmentId', '=', f.departmentId);
    if (f.enabled !== undefined) q = q.where('r.enabled', '=', f.enabled);
    if (f.source) q = q.where('r.source', '=', f.source);
    const rows = await q.orderBy('r.id').limit(f.limit).offset(f.offset).execute();
    const total = rows.length > 0 ? Number(rows[0]?.total) : 0;
    return { items: rows.map(({ total: _t, ...r }) => r as RuleRow), total };
  }

  async get(id: number, db: Kysely<DB> = this.db): Promise<RuleRow | undefined> {
    return (await this.base(db).where('r.id', '=', id).executeTakeFirst()) as RuleRow | undefined;
  }

  /** Enabled rules that have not expired: what the matcher's cache holds. */
  async activeRules(): Promise<RuleRow[]> {
    return (await this.base()
      .where('r.enabled', '=', true)
      .where((eb) => eb.or([eb('r.validTo', 'is', null), eb('r.validTo', '>', sql<Date>`now()`)]))
      .orderBy('r.id')
      .execute()) as RuleRow[];
  }

  async insert(values: Insertable<DispatchRuleTable>, db: Kysely<DB> = this.db): Promise<number> {
    const row = await db.insertInto('dispatchRule').values(values).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }

  /** Seeded rows only (the conflict target is the seed index). */
  async insertMany(values: Array<Insertable<DispatchRuleTable>>, db: Kysely<DB> = this.db): Promise<number> {
    let n = 0;
    for (let i = 0; i < values.length; i += 500) {
      // Two seeders racing: the second one's rows hit the seed index and are skipped.
      const res = await db
        .insertInto('dispatchRule')
        .values(values.slice(i, i + 500))
        .onConflict((oc) => oc.columns(['edition', 'kind', 'classCode']).where('source', '=', 'seed').doNothing())
        .returning('id')
        .execute();
      n += res.length;
    }
    return n;
  }

  async update(id: number, values: Updateable<DispatchRuleTable>, db: Kysely<DB> = this.db): Promise<void> {
    await db
      .updateTable('dispatchRule')
      .set({ ...values, updatedAt: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** (edition, kind, class code) of every seeded rule, enabled or not. */
  async seededKeys(): Promise<Set<string>> {
    const rows = await this.db.selectFrom('dispatchRule').select(['edition', 'kind', 'classCode']).where('source', '=', 'seed').execute();
    return new Set(rows.map((r) => `${r.edition}|${r.kind}|${r.classCode}`));
  }

  /** Districts, streets and grids, every version (a case filed before a boundary edit keeps the old id). */
  regions() {
    return this.db
      .selectFrom('region')
      .select(['id', 'level', 'code', 'name', 'districtId', 'streetId', 'validTo'])
      .where('level', '!=', 'community')
      .execute();
  }

  departments() {
    return this.db
      .selectFrom('department')
      .select(['id', 'code', 'name', 'shortName', 'level', 'kind', 'regionId', 'active'])
      .orderBy('code')
      .execute();
  }

  component(id: number) {
    return this.db
      .selectFrom('component')
      .select(['id', 'edition', 'classCode', 'ownerDepartmentId', 'maintainerDepartmentId', 'gridId'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** A region row of any version (for validation). */
  region(id: number) {
    return this.db.selectFrom('region').select(['id', 'level', 'code', 'name', 'validTo']).where('id', '=', id).executeTakeFirst();
  }
}
