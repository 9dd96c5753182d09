import { DEMO_PASSWORD } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { csvRow } from '../../db/database.ts';
import { conflict } from '../../errors.ts';
import { DEMO_EDITION } from './demo.classes.ts';
import { generateCity } from './demo.generator.ts';
import { DemoRepository } from './demo.repository.ts';

export interface DemoOptions {
  scale: number;
  seed: number;
  log?: (msg: string) => void;
}

export interface DemoSummary {
  districts: number;
  streets: number;
  communities: number;
  grids: number;
  departments: number;
  inspectors: number;
  people: number;
  components: number;
  gazetteer: number;
  seconds: number;
}

/** Rows per COPY statement for the big tables. */
const CHUNK = 50_000;

/**
 * Generates the demo city (reproducible from the seed) and loads it into an empty,
 * migrated database: every row goes in with COPY inside one transaction, so a failure
 * leaves the database as it was. The city settings are written after the commit.
 */
export async function loadDemoCity(ctx: Context, opts: DemoOptions): Promise<DemoSummary> {
  // The city's rules refer to the standards' classes and the holiday calendar: make sure they are there.
  await ctx.services.taxonomy.seedStandards();
  await ctx.services.calendar.seedNational();
  const started = performance.now();
  const log = opts.log ?? (() => {});
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const repo = new DemoRepository();
  if ((await repo.existingRows(ctx.db)) > 0) {
    throw conflict('demo_database_not_empty', '演示城市只能载入空数据库 / The demo city loads into an empty database only');
  }

  const city = generateCity({ scale: opts.scale, seed: opts.seed });
  const addresses = city.gazetteer();
  const c = city.counts;
  log(
    `generated ${city.cityName}: ${c.districts} districts, ${c.streets} streets, ${c.communities} communities, ${c.grids} grids (${elapsed()})`,
  );
  // One argon2id hash shared by every demo person: hashing each would take seconds.
  const passwordHash = await ctx.services.auth.hashPassword(DEMO_PASSWORD);

  let componentRows = 0;
  let gazetteerRows = 0;
  await ctx.database.transaction(async (tx) => {
    const base = await repo.maxIds(tx.db);
    const regionId = (i: number | null) => (i === null ? null : base.region + i + 1);
    const deptId = (i: number | null) => (i === null ? null : base.department + i + 1);
    const personId = (i: number) => base.person + i + 1;

    await tx.copyCsv(
      'region',
      ['id', 'level', 'code', 'name', 'parent_id', 'district_id', 'street_id', 'community_id', 'geom', 'area_m2'],
      city.regions
        .map((r, i) =>
          csvRow([
            regionId(i),
            r.level,
            r.code,
            r.name,
            regionId(r.parent),
            regionId(r.district),
            regionId(r.street),
            regionId(r.community),
            r.ewkt,
            0,
          ]),
        )
        .join(''),
    );
    await repo.computeAreas(tx.db, base.region + 1, base.region + city.regions.length);
    log(`regions: ${city.regions.length} rows (${elapsed()})`);

    await tx.copyCsv(
      'department',
      ['id', 'code', 'name', 'short_name', 'level', 'kind', 'parent_id', 'region_id', 'phone'],
      city.departments
        .map((d, i) => csvRow([deptId(i), d.code, d.name, d.shortName, d.level, d.kind, deptId(d.parent), regionId(d.region), d.phone]))
        .join(''),
    );
    await tx.copyCsv(
      'person',
      ['id', 'username', 'name', 'phone', 'department_id', 'password_hash'],
      city.people.map((p, i) => csvRow([personId(i), p.username, p.name, p.phone, deptId(p.department), passwordHash])).join(''),
    );
    await tx.copyCsv(
      'person_role',
      ['person_id', 'role', 'scope_region_id', 'scope_department_id'],
      city.people
        .flatMap((p, i) => p.roles.map((r) => csvRow([personId(i), r.role, regionId(r.scopeRegion), deptId(r.scopeDepartment)])))
        .join(''),
    );
    await tx.copyCsv(
      'beat',
      ['id', 'code', 'name', 'inspector_id'],
      city.beats.map((b, i) => csvRow([base.beat + i + 1, b.code, b.name, personId(b.inspector)])).join(''),
    );
    await tx.copyCsv(
      'beat_grid',
      ['beat_id', 'grid_id'],
      city.beats.flatMap((b, i) => b.grids.map((g) => csvRow([base.beat + i + 1, regionId(g)]))).join(''),
    );
    log(`departments: ${city.departments.length}, people: ${city.people.length}, beats: ${city.beats.length} (${elapsed()})`);

    const restoreComponent = await repo.suspendIndexes(tx.db, 'component');
    const restoreGazetteer = await repo.suspendIndexes(tx.db, 'gazetteer');
    const componentColumns = [
      'code',
      'edition',
      'class_code',
      'name',
      'geom',
      'status',
      'owner_department_id',
      'maintainer_department_id',
      'grid_id',
      'address',
      'attributes',
      'source',
    ];
    // One chunk in flight while the next is generated: on PostgreSQL the server parses and
    // stores a chunk while this process builds the next one.
    let chunk: string[] = [];
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      if (chunk.length === 0) return;
      const csv = chunk.join('');
      chunk = [];
      await inFlight;
      inFlight = tx.copyCsv('component', componentColumns, csv).then((n) => {
        componentRows += n;
        log(`components: ${componentRows.toLocaleString('en')} / ${city.componentCount.toLocaleString('en')} (${elapsed()})`);
      });
      // Marked as handled here; the next `await inFlight` still throws its error.
      inFlight.catch(() => {});
    };
    try {
      for (const k of city.components()) {
        chunk.push(
          csvRow([
            k.code,
            DEMO_EDITION,
            k.classCode,
            k.name,
            k.ewkt,
            k.status,
            deptId(k.owner),
            deptId(k.maintainer),
            regionId(k.grid),
            k.address,
            k.attributes,
            'demo',
          ]),
        );
        if (chunk.length >= CHUNK) await flush();
      }
      await flush();
    } finally {
      // Never leave a COPY running when the transaction ends, whichever way it ends.
      await inFlight.catch(() => {});
    }
    await inFlight;

    const gazetteerColumns = [
      'kind',
      'name',
      'full_address',
      'road_name',
      'house_number',
      'district_id',
      'grid_id',
      'geom',
      'aliases',
      'search_text',
    ];
    for (let i = 0; i < addresses.length; i += CHUNK) {
      const rows = addresses
        .slice(i, i + CHUNK)
        .map((a) =>
          csvRow([
            a.kind,
            a.name,
            a.fullAddress,
            a.roadName,
            a.houseNumber,
            regionId(a.district),
            regionId(a.grid),
            a.ewkt,
            pgArray(a.aliases),
            a.searchText,
          ]),
        );
      gazetteerRows += await tx.copyCsv('gazetteer', gazetteerColumns, rows.join(''));
    }
    log(`gazetteer: ${gazetteerRows.toLocaleString('en')} addresses (${elapsed()})`);
    await repo.restoreIndexes(tx.db, [...restoreComponent, ...restoreGazetteer]);
    log(`indexes rebuilt (${elapsed()})`);
    await repo.resetSequences(tx.db);
  });

  await ctx.services.settings.set(
    { cityName: city.cityName, cityCode: city.cityCode, gridCodeDigits: 15, mapCenter: city.center, mapZoom: city.zoom },
    null,
  );
  // Routing rules from the classes' default departments, so reports dispatch out of the box.
  const rules = await ctx.services.dispatch.seedDefaultRules();
  log(`dispatch rules: ${JSON.stringify(rules)}`);
  await repo.analyze(ctx.db);
  const seconds = (performance.now() - started) / 1000;
  log(`done in ${seconds.toFixed(1)} s`);
  return {
    districts: c.districts,
    streets: c.streets,
    communities: c.communities,
    grids: c.grids,
    departments: city.departments.length,
    inspectors: city.beats.length,
    people: city.people.length,
    components: componentRows,
    gazetteer: gazetteerRows,
    seconds,
  };
}

/** A PostgreSQL text[] literal. */
function pgArray(items: string[]): string {
  return `{${items.map((s) => `"${s.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
