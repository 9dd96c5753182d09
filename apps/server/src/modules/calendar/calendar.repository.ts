import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.ts';
import type { DayKind, WorkDayMode, WorkingPeriod } from './calendar.math.ts';

export interface CalendarDayRow {
  day: string;
  kind: DayKind;
  name: string | null;
  source: 'national' | 'city';
  updatedBy: number | null;
  updatedAt: Date;
}

export interface CalendarSettingRow {
  workingPeriods: WorkingPeriod[];
  workDayMode: WorkDayMode;
  updatedBy: number | null;
  updatedAt: Date;
}

/** `day` is a date column: read as 'YYYY-MM-DD' text so no driver shifts it through a time zone. */
const dayText = sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day');

/** SQL over `calendar_day` and `calendar_setting`. */
export class CalendarRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Every stored day with its kind (a few hundred rows per decade): what the calendar is built from. */
  allKinds(): Promise<Array<{ day: string; kind: DayKind }>> {
    return this.db.selectFrom('calendarDay').select([dayText, 'kind']).execute();
  }

  listYear(year: number): Promise<CalendarDayRow[]> {
    return this.db
      .selectFrom('calendarDay')
      .select([dayText, 'kind', 'name', 'source', 'updatedBy', 'updatedAt'])
      .where(sql<boolean>`day BETWEEN ${`${year}-01-01`}::date AND ${`${year}-12-31`}::date`)
      .orderBy(sql`calendar_day.day`)
      .execute();
  }

  getDay(day: string, db: Kysely<DB> = this.db): Promise<CalendarDayRow | undefined> {
    return db
      .selectFrom('calendarDay')
      .select([dayText, 'kind', 'name', 'source', 'updatedBy', 'updatedAt'])
      .where(sql<boolean>`day = ${day}::date`)
      .executeTakeFirst();
  }

  /** A city edit: inserts or replaces the day and marks it as the city's. */
  async upsertCityDay(row: { day: string; kind: DayKind; name: string | null; updatedBy: number | null }, db: Kysely<DB> = this.db) {
    await db
      .insertInto('calendarDay')
      .values({ day: row.day, kind: row.kind, name: row.name, source: 'city', updatedBy: row.updatedBy })
      .onConflict((oc) =>
        oc.column('day').doUpdateSet({ kind: row.kind, name: row.name, source: 'city', updatedBy: row.updatedBy, updatedAt: sql`now()` }),
      )
      .execute();
  }

  /**
   * Writes national days: new days are inserted, national rows that changed are updated, city
   * rows are left alone. Returns how many rows were written.
   */
  async upsertNational(rows: Array<{ day: string; kind: DayKind; name: string }>): Promise<number> {
    let written = 0;
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const res = await this.db
        .insertInto('calendarDay')
        .values(chunk.map((r) => ({ day: r.day, kind: r.kind, name: r.name, source: 'national' as const })))
        .onConflict((oc) =>
          oc
            .column('day')
            .doUpdateSet({ kind: (eb) => eb.ref('excluded.kind'), name: (eb) => eb.ref('excluded.name'), updatedAt: sql`now()` })
            .where('calendarDay.source', '=', 'national')
            .where((eb) =>
              eb.or([
                eb('calendarDay.kind', '!=', eb.ref('excluded.kind')),
                sql<boolean>`calendar_day.name IS DISTINCT FROM excluded.name`,
              ]),
            ),
        )
        .returning(sql<string>`1`.as('one'))
        .execute();
      written += res.length;
    }
    return written;
  }

  countBySource(): Promise<Array<{ source: string; n: number }>> {
    return this.db
      .selectFrom('calendarDay')
      .select(['source', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('source')
      .execute()
      .then((rows) => rows.map((r) => ({ source: r.source, n: Number(r.n) })));
  }

  getSetting(db: Kysely<DB> = this.db): Promise<CalendarSettingRow | undefined> {
    return db
      .selectFrom('calendarSetting')
      .select(['workingPeriods', 'workDayMode', 'updatedBy', 'updatedAt'])
      .executeTakeFirst() as Promise<CalendarSettingRow | undefined>;
  }

  async putSetting(row: { workingPeriods: WorkingPeriod[]; workDayMode: WorkDayMode; updatedBy: number | null }, db: Kysely<DB> = this.db) {
    const values = { workingPeriods: JSON.stringify(row.workingPeriods), workDayMode: row.workDayMode, updatedBy: row.updatedBy };
    await db
      .insertInto('calendarSetting')
      .values({ id: true, ...values })
      .onConflict((oc) => oc.column('id').doUpdateSet({ ...values, updatedAt: sql`now()` }))
      .execute();
  }
}
