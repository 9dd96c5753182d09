import { sql } from 'kysely';
import type { Context } from '../../context.ts';
import { conflict, forbidden, notFound, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import { ownDepartment, ownDepartmentOnly } from './evaluation.access.ts';
import { POSITION_ROLES } from './evaluation.config.ts';
import { REGION_LEVELS } from './evaluation.repository.ts';
import type { Attribution, EvaluationService, PeriodQuery } from './evaluation.service.ts';

/** The object types a closed period stores, each as the live endpoint returns it. */
export const PERIOD_OBJECTS = [
  'department',
  ...REGION_LEVELS.map((l) => `region:${l}` as const),
  ...POSITION_ROLES.map((r) => `position:${r}` as const),
] as const;
export type PeriodObject = (typeof PERIOD_OBJECTS)[number];

export const PERIOD_KINDS = ['month', 'quarter', 'year', 'custom'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

export interface PeriodVersion {
  version: number;
  configVersion: number;
  asOf: Date;
  appealIds: number[];
  computedBy: number | null;
  computedAt: Date;
  reason: string | null;
}

export interface ClosedPeriod {
  id: number;
  kind: PeriodKind;
  from: string;
  to: string;
  attribution: Attribution;
  timeZone: string;
  closedBy: number | null;
  closedAt: Date;
  versions: PeriodVersion[];
}

/** YYYY-MM-DD plus whole months (the 1st of a month stays the 1st). */
export function addMonths(day: string, months: number): string {
  const [y, m] = day.split('-').map(Number) as [number, number];
  const n = y * 12 + (m - 1) + months;
  return `${String(Math.floor(n / 12)).padStart(4, '0')}-${String((n % 12) + 1).padStart(2, '0')}-01`;
}

/**
 * Closed (materialised) evaluation periods: every object type's results computed once and
 * stored with the configuration version, asOf and appeals used, so later corrections of the log
 * leave them as they were; a recompute on purpose adds a version and is audited.
 */
export class EvaluationPeriods {
  constructor(
    private readonly ctx: Context,
    private readonly evaluation: EvaluationService,
  ) {}

  /** A period's days from its kind: a month, quarter or year starting at `from`, or `from`..`to`. */
  bounds(kind: PeriodKind, from: string, to?: string): { from: string; to: string } {
    const invalid = (why: string) => unprocessable('evaluation_period_invalid', why);
    const [, mm, dd] = from.split('-');
    if (kind === 'custom') {
      if (!to) throw invalid('自定义周期须给出止日 to / A custom period needs `to`');
      return { from, to };
    }
    let end: string;
    if (kind === 'month') {
      if (dd !== '01') throw invalid(`月度周期从某月 1 日开始 / A month starts on the 1st (${from})`);
      end = addMonths(from, 1);
    } else if (kind === 'quarter') {
      if (dd !== '01' || !['01', '04', '07', '10'].includes(mm as string)) {
        throw invalid(`季度从 1、4、7、10 月 1 日开始 / A quarter starts on 01-01, 04-01, 07-01 or 10-01 (${from})`);
      }
      end = addMonths(from, 3);
    } else {
      if (dd !== '01' || mm !== '01') throw invalid(`年度从 1 月 1 日开始 / A year starts on 01-01 (${from})`);
      end = addMonths(from, 12);
    }
    if (to !== undefined && to !== end) throw invalid(`${kind} 周期止日应为 ${end} / A ${kind} from ${from} ends on ${end}, not ${to}`);
    return { from, to: end };
  }

  /** Closes a period: computes and stores every object type's results (version 1). */
  async close(
    auth: Auth,
    body: { kind: PeriodKind; from: string; to?: string; attribution?: Attribution; configVersion?: number },
  ): Promise<ClosedPeriod> {
    const days = this.bounds(body.kind, body.from, body.to);
    const q: PeriodQuery = { ...days, attribution: body.attribution ?? 'completed', configVersion: body.configVersion };
    const period = await this.evaluation.period(q);
    if (period.hi > this.ctx.now()) {
      throw unprocessable(
        'evaluation_period_not_ended',
        `周期 ${days.from}..${days.to} 尚未结束 / The period ${days.from}..${days.to} has not ended yet`,
      );
    }
    const existing = await this.find(days.from, days.to, q.attribution as Attribution);
    if (existing) throw this.exists(existing);
    const computed = await this.computeAll(q);
    const id = await this.ctx.database.transaction(async (tx) => {
      const r = await sql<{ id: number }>`
        INSERT INTO evaluation_period (kind, from_day, to_day, attribution, time_zone, closed_by, closed_at)
        VALUES (${body.kind}, ${days.from}::date, ${days.to}::date, ${q.attribution}, ${period.zone}, ${auth.personId}, ${this.ctx.now()})
        ON CONFLICT (from_day, to_day, attribution) DO NOTHING RETURNING id`.execute(tx.db);
      const pid = r.rows[0]?.id;
      if (pid === undefined)
        throw conflict('evaluation_period_exists', `周期 ${days.from}..${days.to} 已关闭 / The period is closed already`);
      await this.store(tx.db, Number(pid), 1, computed, auth, null);
      await this.ctx.services.audit.record(
        {
          actorId: auth.personId,
          action: 'evaluation.period.close',
          entity: 'evaluation_period',
          entityId: Number(pid),
          after: {
            ...days,
            kind: body.kind,
            attribution: q.attribution,
            configVersion: computed.configVersion,
            appealIds: computed.appealIds,
          },
        },
        tx.db,
      );
      return Number(pid);
    });
    return (await this.get(id)) as ClosedPeriod;
  }

  /** Recomputes a closed period on purpose: a new version from the log as it is now; the old ones stay. */
  async recompute(auth: Auth, id: number, body: { reason: string; configVersion?: number }): Promise<ClosedPeriod> {
    const p = await this.get(id);
    if (!p) throw notFound('evaluation_period_not_found', `评价周期 ${id} 不存在 / Evaluation period ${id} does not exist`);
    const computed = await this.computeAll({ from: p.from, to: p.to, attribution: p.attribution, configVersion: body.configVersion });
    await this.ctx.database.transaction(async (tx) => {
      // The period row is locked so two recomputes number their versions one after the other.
      await sql`SELECT id FROM evaluation_period WHERE id = ${id} FOR UPDATE`.execute(tx.db);
      const last = await sql<{ v: number }>`
        SELECT max(version)::int AS v FROM evaluation_period_version WHERE period_id = ${id}`.execute(tx.db);
      const previous = Number(last.rows[0]?.v ?? 0);
      await this.store(tx.db, id, previous + 1, computed, auth, body.reason);
      const before = p.versions.find((v) => v.version === previous);
      await this.ctx.services.audit.record(
        {
          actorId: auth.personId,
          action: 'evaluation.period.recompute',
          entity: 'evaluation_period',
          entityId: id,
          before: before ?? null,
          after: {
            version: previous + 1,
            configVersion: computed.configVersion,
            asOf: computed.asOf,
            appealIds: computed.appealIds,
            reason: body.reason,
          },
        },
        tx.db,
      );
    });
    return (await this.get(id)) as ClosedPeriod;
  }

  /** Closed periods, newest first. */
  async list(): Promise<{ items: ClosedPeriod[] }> {
    const r = await sql<{ id: number }>`SELECT id FROM evaluation_period ORDER BY from_day DESC, to_day DESC, id DESC`.execute(this.ctx.db);
    const items: ClosedPeriod[] = [];
    for (const x of r.rows) items.push((await this.get(Number(x.id))) as ClosedPeriod);
    return { items };
  }

  /** The stored results of one object type in one version (default: the latest). */
  async results(auth: Auth, id: number, q: { object: PeriodObject; version?: number }) {
    const own = ownDepartmentOnly(auth) ? ownDepartment(auth) : undefined;
    if (own !== undefined && q.object !== 'department') {
      throw forbidden('部门人员只能查看本部门评价 / Department staff see their own department only');
    }
    if (own === null) throw forbidden('您不属于任何部门 / You belong to no department');
    const p = await this.get(id);
    if (!p) throw notFound('evaluation_period_not_found', `评价周期 ${id} 不存在 / Evaluation period ${id} does not exist`);
    const v = q.version === undefined ? p.versions.at(-1) : p.versions.find((x) => x.version === q.version);
    if (!v) {
      throw notFound(
        'evaluation_period_version_not_found',
        `评价周期 ${id} 没有版本 ${q.version} / Period ${id} has no version ${q.version}`,
      );
    }
    const r = await sql<{ items: unknown }>`
      SELECT items FROM evaluation_period_result WHERE period_id = ${id} AND version = ${v.version} AND object = ${q.object}`.execute(
      this.ctx.db,
    );
    const raw = r.rows[0]?.items ?? [];
    let items = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ department?: { id: number } }>;
    if (own !== undefined) items = items.filter((x) => x.department?.id === own);
    return {
      period: p,
      version: v.version,
      configVersion: v.configVersion,
      asOf: v.asOf,
      computedAt: v.computedAt,
      appealIds: v.appealIds,
      object: q.object,
      items,
    };
  }

  async get(id: number): Promise<ClosedPeriod | undefined> {
    const r = await sql<Omit<ClosedPeriod, 'versions'>>`
      SELECT id, kind, to_char(from_day, 'YYYY-MM-DD') AS "from", to_char(to_day, 'YYYY-MM-DD') AS "to", attribution,
        time_zone AS "timeZone", closed_by AS "closedBy", closed_at AS "closedAt"
      FROM evaluation_period WHERE id = ${id}`.execute(this.ctx.db);
    const p = r.rows[0];
    if (!p) return undefined;
    const v = await sql<PeriodVersion>`
      SELECT version, config_version AS "configVersion", as_of AS "asOf", appeal_ids AS "appealIds", computed_by AS "computedBy",
        computed_at AS "computedAt", reason
      FROM evaluation_period_version WHERE period_id = ${id} ORDER BY version`.execute(this.ctx.db);
    return {
      ...p,
      id: Number(p.id),
      closedBy: p.closedBy === null ? null : Number(p.closedBy),
      versions: v.rows.map((x) => ({
        ...x,
        computedBy: x.computedBy === null ? null : Number(x.computedBy),
        appealIds: (typeof x.appealIds === 'string' ? JSON.parse(x.appealIds) : x.appealIds) as number[],
      })),
    };
  }

  private async find(from: string, to: string, attribution: Attribution) {
    const r = await sql<{ id: number }>`
      SELECT id FROM evaluation_period WHERE from_day = ${from}::date AND to_day = ${to}::date AND attribution = ${attribution}`.execute(
      this.ctx.db,
    );
    return r.rows[0] ? Number(r.rows[0].id) : undefined;
  }

  private exists(id: number) {
    return conflict(
      'evaluation_period_exists',
      `该周期已关闭 (${id})，如需重算请用 recompute / The period is closed already (${id}); recompute it instead`,
      {
        periodId: id,
      },
    );
  }

  /** Every object type's results of a period, scored with one configuration version. */
  private async computeAll(q: PeriodQuery) {
    const { version } = await this.evaluation.config(q.configVersion);
    const pq = { ...q, configVersion: version };
    const results = new Map<PeriodObject, unknown[]>();
    const departments = await this.evaluation.departmentResults(pq);
    results.set('department', departments.items);
    for (const level of REGION_LEVELS) results.set(`region:${level}`, (await this.evaluation.regionResults({ ...pq, level })).items);
    for (const role of POSITION_ROLES) results.set(`position:${role}`, (await this.evaluation.positionResults({ ...pq, role })).items);
    const appealIds = [...new Set(departments.items.flatMap((x) => x.appeals))].sort((a, b) => a - b);
    return { configVersion: version, asOf: departments.asOf, appealIds, results };
  }

  private async store(
    db: Context['db'],
    periodId: number,
    version: number,
    c: Awaited<ReturnType<EvaluationPeriods['computeAll']>>,
    auth: Auth,
    reason: string | null,
  ) {
    await sql`
      INSERT INTO evaluation_period_version (period_id, version, config_version, as_of, appeal_ids, computed_by, computed_at, reason)
      VALUES (${periodId}, ${version}, ${c.configVersion}, ${c.asOf}, ${JSON.stringify(c.appealIds)}::jsonb, ${auth.personId},
        ${this.ctx.now()}, ${reason})`.execute(db);
    for (const [object, items] of c.results) {
      await sql`
        INSERT INTO evaluation_period_result (period_id, version, object, items)
        VALUES (${periodId}, ${version}, ${object}, ${JSON.stringify(items)}::jsonb)`.execute(db);
    }
  }
}
