import type { ClassKind, Edition, TimeLimit } from '@cityloop/shared';
import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';

export type ClassLevel = 'major' | 'minor' | 'detail';
export type GeometryType = 'point' | 'line' | 'polygon';

export interface SeverityLevel {
  code: string;
  name: string;
  limit?: TimeLimit;
}

/** A class row as the API shows it; `active` = enabled and every ancestor enabled. */
export interface TaxonomyClass {
  edition: Edition;
  kind: ClassKind;
  code: string;
  name: string;
  level: ClassLevel;
  parentCode: string | null;
  majorCode: string;
  filingCondition: string | null;
  closingCondition: string | null;
  disposalLimit: TimeLimit | null;
  defaultDepartmentCode: string | null;
  severityLevels: SeverityLevel[];
  geometryType: GeometryType | null;
  relatedCode: string | null;
  isExtension: boolean;
  enabled: boolean;
  active: boolean;
  sort: number;
  updatedAt: Date;
}

/** One row as seedStandards() inserts it (snake_case keys: they feed jsonb_to_recordset). */
export interface SeedRow {
  edition: Edition;
  kind: ClassKind;
  code: string;
  name: string;
  level: ClassLevel;
  parent_code: string | null;
  major_code: string;
  filing_condition: string | null;
  closing_condition: string | null;
  disposal_limit: TimeLimit | null;
  default_department_code: string | null;
  severity_levels: SeverityLevel[];
  geometry_type: GeometryType | null;
  related_code: string | null;
  is_extension: boolean;
  sort: number;
}

export interface ClassFilter {
  edition?: Edition;
  kind?: ClassKind;
  level?: ClassLevel;
  parentCode?: string;
  q?: string;
  enabled?: boolean;
  limit?: number;
  offset?: number;
}

export interface ClassWrite {
  name?: string;
  filingCondition?: string | null;
  closingCondition?: string | null;
  disposalLimit?: TimeLimit | null;
  defaultDepartmentCode?: string | null;
  severityLevels?: SeverityLevel[];
  geometryType?: GeometryType | null;
  relatedCode?: string | null;
  enabled?: boolean;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const ACTIVE = sql<boolean>`(c.enabled AND coalesce(p.enabled, true) AND coalesce(m.enabled, true))`;

/** SQL over `taxonomy_class`. */
export class TaxonomyRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Classes with their effective state: a class is active when it and its ancestors are enabled. */
  private base(db: Kysely<DB> = this.db) {
    return db
      .selectFrom('taxonomyClass as c')
      .leftJoin('taxonomyClass as p', (j) =>
        j.onRef('p.edition', '=', 'c.edition').onRef('p.kind', '=', 'c.kind').onRef('p.code', '=', 'c.parentCode'),
      )
      .leftJoin('taxonomyClass as m', (j) =>
        j
          .onRef('m.edition', '=', 'c.edition')
          .onRef('m.kind', '=', 'c.kind')
          .onRef('m.code', '=', 'c.majorCode')
          .on('c.level', '=', 'detail'),
      )
      .select([
        'c.edition',
        'c.kind',
        'c.code',
        'c.name',
        'c.level',
        'c.parentCode',
        'c.majorCode',
        'c.filingCondition',
        'c.closingCondition',
        'c.disposalLimit',
        'c.defaultDepartmentCode',
        'c.severityLevels',
        'c.geometryType',
        'c.relatedCode',
        'c.isExtension',
        'c.enabled',
        ACTIVE.as('active'),
        'c.sort',
        'c.updatedAt',
      ]);
  }

  async list(f: ClassFilter): Promise<{ items: TaxonomyClass[]; total: number }> {
    let q = this.base().select(sql<number>`count(*) over ()`.as('total'));
    if (f.edition) q = q.where('c.edition', '=', f.edition);
    if (f.kind) q = q.where('c.kind', '=', f.kind);
    if (f.level) q = q.where('c.level', '=', f.level);
    if (f.parentCode) q = q.where('c.parentCode', '=', f.parentCode);
    if (f.q) {
      const like = escapeLike(f.q);
      q = q.where((eb) => eb.or([eb('c.name', 'like', `%${like}%`), eb('c.code', 'like', `${like}%`)]));
    }
    if (f.enabled !== undefined) q = q.where(sql<boolean>`${ACTIVE} = ${f.enabled}`);
    const rows = await q
      .orderBy('c.edition')
      .orderBy('c.kind')
      .orderBy('c.code')
      .limit(f.limit ?? 10_000)
      .offset(f.offset ?? 0)
      .execute();
    const total = rows.length > 0 ? Number(rows[0]?.total) : 0;
    return { items: rows.map(({ total: _t, ...r }) => r as unknown as TaxonomyClass), total };
  }

  async get(edition: Edition, kind: ClassKind, code: string, db: Kysely<DB> = this.db): Promise<TaxonomyClass | null> {
    const row = await this.base(db)
      .where('c.edition', '=', edition)
      .where('c.kind', '=', kind)
      .where('c.code', '=', code)
      .executeTakeFirst();
    return (row as unknown as TaxonomyClass | undefined) ?? null;
  }

  async countChildren(edition: Edition, kind: ClassKind, code: string): Promise<number> {
    const r = await this.db
      .selectFrom('taxonomyClass')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('edition', '=', edition)
      .where('kind', '=', kind)
      .where('parentCode', '=', code)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async departmentExists(code: string): Promise<boolean> {
    const r = await this.db.selectFrom('department').select('id').where('code', '=', code).executeTakeFirst();
    return !!r;
  }

  async componentsUsing(edition: Edition, code: string): Promise<number> {
    const r = await this.db
      .selectFrom('component')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('edition', '=', edition)
      .where('classCode', '=', code)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Inserts the standard rows that are missing, in one statement (one jsonb parameter);
   * rows already present — a city's edits included — are left as they are.
   */
  async seed(rows: SeedRow[]): Promise<number> {
    const res = await sql<{ n: number }>`
      WITH ins AS (
      INSERT INTO taxonomy_class (edition, kind, code, name, level, parent_code, major_code, filing_condition,
        closing_condition, disposal_limit, default_department_code, severity_levels, geometry_type, related_code,
        is_extension, sort)
      SELECT x.edition, x.kind, x.code, x.name, x.level, x.parent_code, x.major_code, x.filing_condition,
        x.closing_condition, x.disposal_limit, x.default_department_code, coalesce(x.severity_levels, '[]'::jsonb),
        x.geometry_type, x.related_code, coalesce(x.is_extension, false), coalesce(x.sort, 0)
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
        edition text, kind text, code text, name text, level text, parent_code text, major_code text,
        filing_condition text, closing_condition text, disposal_limit jsonb, default_department_code text,
        severity_levels jsonb, geometry_type text, related_code text, is_extension boolean, sort integer)
      ON CONFLICT (edition, kind, code) DO NOTHING
      RETURNING 1)
      SELECT count(*)::int AS n FROM ins`.execute(this.db);
    return Number(res.rows[0]?.n ?? 0);
  }

  async insert(
    row: {
      edition: Edition;
      kind: ClassKind;
      code: string;
      name: string;
      level: ClassLevel;
      parentCode: string | null;
      majorCode: string;
    } & ClassWrite,
    db: Kysely<DB> = this.db,
  ): Promise<void> {
    await db
      .insertInto('taxonomyClass')
      .values({
        edition: row.edition,
        kind: row.kind,
        code: row.code,
        name: row.name,
        level: row.level,
        parentCode: row.parentCode,
        majorCode: row.majorCode,
        filingCondition: row.filingCondition ?? null,
        closingCondition: row.closingCondition ?? null,
        disposalLimit: row.disposalLimit ? JSON.stringify(row.disposalLimit) : null,
        defaultDepartmentCode: row.defaultDepartmentCode ?? null,
        severityLevels: JSON.stringify(row.severityLevels ?? []),
        geometryType: row.geometryType ?? null,
        relatedCode: row.relatedCode ?? null,
        isExtension: true,
        enabled: row.enabled ?? true,
      })
      .execute();
  }

  async update(edition: Edition, kind: ClassKind, code: string, patch: ClassWrite, db: Kysely<DB> = this.db): Promise<void> {
    const set: Record<string, unknown> = { updatedAt: sql`now()` };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.filingCondition !== undefined) set.filingCondition = patch.filingCondition;
    if (patch.closingCondition !== undefined) set.closingCondition = patch.closingCondition;
    if (patch.disposalLimit !== undefined) set.disposalLimit = patch.disposalLimit === null ? null : JSON.stringify(patch.disposalLimit);
    if (patch.defaultDepartmentCode !== undefined) set.defaultDepartmentCode = patch.defaultDepartmentCode;
    if (patch.severityLevels !== undefined) set.severityLevels = JSON.stringify(patch.severityLevels);
    if (patch.geometryType !== undefined) set.geometryType = patch.geometryType;
    if (patch.relatedCode !== undefined) set.relatedCode = patch.relatedCode;
    if (patch.enabled !== undefined) set.enabled = patch.enabled;
    await db
      .updateTable('taxonomyClass')
      .set(set)
      .where('edition', '=', edition)
      .where('kind', '=', kind)
      .where('code', '=', code)
      .execute();
  }

  async delete(edition: Edition, kind: ClassKind, code: string, db: Kysely<DB> = this.db): Promise<void> {
    await db.deleteFrom('taxonomyClass').where('edition', '=', edition).where('kind', '=', kind).where('code', '=', code).execute();
  }
}
