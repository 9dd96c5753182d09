import { sql } from 'kysely';
import type { Context } from '../../context.ts';
import { AppError, conflict, forbidden, notFound, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import { ownDepartment, ownDepartmentOnly } from './evaluation.access.ts';
import type { FactKind } from './evaluation.repository.ts';

/** Appealable department indicators and what an accepted appeal does to the case's facts. */
export const APPEAL_EFFECTS = {
  // Its late disposals count as in time (and leave 超期处置倍数).
  disposedLate: { kind: 'disposed', mode: 'onTime' },
  overdueUndisposed: { kind: 'overdueUndisposed', mode: 'remove' },
  // Not overdue-open, so not due for closing (应结案).
  dueClose: { kind: 'overdueOpen', mode: 'remove' },
  rework: { kind: 'rework', mode: 'remove' },
  returned: { kind: 'returned', mode: 'remove' },
  postponed: { kind: 'postponed', mode: 'remove' },
  suspended: { kind: 'suspended', mode: 'remove' },
} as const satisfies Record<string, { kind: FactKind; mode: 'onTime' | 'remove' }>;
export type AppealIndicator = keyof typeof APPEAL_EFFECTS;
export const APPEAL_INDICATORS = Object.keys(APPEAL_EFFECTS) as AppealIndicator[];

export interface AcceptedAppeal {
  id: number;
  caseId: number;
  departmentId: number;
  indicator: string;
}

export interface Appeal {
  id: number;
  caseId: number;
  caseNumber: string;
  departmentId: number;
  indicator: string;
  reason: string;
  state: 'pending' | 'accepted' | 'refused';
  createdBy: number | null;
  createdAt: Date;
  decidedBy: number | null;
  decidedAt: Date | null;
  remark: string | null;
}

/**
 * The log rows that make a case's deduction in an indicator for a department (what an appeal
 * must point at): the late feedback, the 返工, the approval; for the overdue facts, a disposal
 * deadline of the department's that passed before the case closed (or now).
 */
const DEDUCTION: Record<AppealIndicator, (caseId: number, dept: number, now: Date) => ReturnType<typeof sql>> = {
  disposedLate: (c, d) =>
    sql`EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = ${c} AND e.department_id = ${d} AND e.action = 'feedback' AND e.on_time = false)`,
  rework: (c, d) =>
    sql`EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = ${c} AND e.department_id = ${d} AND e.action IN ('check_fail', 'close_reject'))`,
  returned: (c, d) =>
    sql`EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = ${c} AND e.department_id = ${d} AND e.action = 'return_approve')`,
  postponed: (c, d) =>
    sql`EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = ${c} AND e.department_id = ${d} AND e.action = 'postpone_approve')`,
  suspended: (c, d) =>
    sql`EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = ${c} AND e.department_id = ${d} AND e.action = 'suspend_approve')`,
  overdueUndisposed: (c, d, now) =>
    sql`EXISTS (SELECT 1 FROM case_file k WHERE k.id = ${c} AND k.department_id = ${d} AND k.disposal_deadline < coalesce(k.closed_at, ${now}))`,
  dueClose: (c, d, now) =>
    sql`EXISTS (SELECT 1 FROM case_file k WHERE k.id = ${c} AND k.department_id = ${d} AND k.disposal_deadline < coalesce(k.closed_at, ${now}))`,
};

const APPEAL_COLUMNS = sql`a.id, a.case_id AS "caseId", c.number AS "caseNumber", a.department_id AS "departmentId", a.indicator, a.reason,
  a.state, a.created_by AS "createdBy", a.created_at AS "createdAt", a.decided_by AS "decidedBy", a.decided_at AS "decidedAt", a.remark`;

const num = (x: unknown) => (x === null || x === undefined ? null : Number(x));
const toAppeal = (r: Appeal): Appeal => ({
  ...r,
  id: Number(r.id),
  caseId: Number(r.caseId),
  departmentId: Number(r.departmentId),
  createdBy: num(r.createdBy),
  decidedBy: num(r.decidedBy),
});

/**
 * 申诉: a department appeals one case's deduction in one indicator; an approver (领导, 系统管理员)
 * accepts or refuses it once. Accepted appeals are applied by the evaluation service to live
 * results and to recomputed periods. Every step is audited.
 */
export class EvaluationAppeals {
  constructor(private readonly ctx: Context) {}

  /** Accepted appeals (of one department, or all). */
  async accepted(departmentId?: number): Promise<AcceptedAppeal[]> {
    const only = departmentId === undefined ? sql`true` : sql`department_id = ${departmentId}`;
    const r = await sql<AcceptedAppeal>`
      SELECT id, case_id AS "caseId", department_id AS "departmentId", indicator FROM evaluation_appeal
      WHERE state = 'accepted' AND ${only} ORDER BY id`.execute(this.ctx.db);
    return r.rows.map((x) => ({ ...x, id: Number(x.id), caseId: Number(x.caseId), departmentId: Number(x.departmentId) }));
  }

  /** A department files an appeal against one of its own cases' deductions. */
  async create(auth: Auth, body: { caseId: number; indicator: string; reason: string }): Promise<Appeal> {
    const dept = ownDepartment(auth);
    if (dept === null) throw forbidden('您不属于任何部门 / You belong to no department');
    if (!(APPEAL_INDICATORS as string[]).includes(body.indicator)) {
      throw unprocessable(
        'evaluation_indicator_invalid',
        `指标 ${body.indicator} 不可申诉 / Indicator ${body.indicator} cannot be appealed`,
        {
          indicators: APPEAL_INDICATORS,
        },
      );
    }
    const indicator = body.indicator as AppealIndicator;
    const db = this.ctx.db;
    const c = await sql<{ id: number; number: string; own: boolean; deducted: boolean }>`
      SELECT k.id, k.number,
        (k.department_id = ${dept} OR EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = k.id AND e.department_id = ${dept})) AS own,
        ${DEDUCTION[indicator](body.caseId, dept, this.ctx.now())} AS deducted
      FROM case_file k WHERE k.id = ${body.caseId}`.execute(db);
    const row = c.rows[0];
    if (!row) throw notFound('case_not_found', `案卷 ${body.caseId} 不存在 / Case ${body.caseId} does not exist`);
    if (!row.own) {
      throw new AppError(
        403,
        'evaluation_appeal_not_own_case',
        `只能对本部门的案卷申诉 / A department appeals its own cases only (case ${row.number})`,
      );
    }
    if (!row.deducted) {
      throw unprocessable(
        'evaluation_appeal_nothing',
        `案卷 ${row.number} 在指标 ${indicator} 上没有本部门的扣分 / Case ${row.number} has no deduction in ${indicator} for your department`,
      );
    }
    return this.ctx.database.transaction(async (tx) => {
      const r = await sql<{ id: number }>`
        INSERT INTO evaluation_appeal (case_id, department_id, indicator, reason, created_by, created_at)
        VALUES (${body.caseId}, ${dept}, ${indicator}, ${body.reason}, ${auth.personId}, ${this.ctx.now()})
        ON CONFLICT (case_id, department_id, indicator) DO NOTHING RETURNING id`.execute(tx.db);
      const id = r.rows[0]?.id;
      if (id === undefined) {
        throw conflict(
          'evaluation_appeal_exists',
          `案卷 ${row.number} 的 ${indicator} 已申诉过 / Case ${row.number} has been appealed in ${indicator} already`,
        );
      }
      const appeal = (await this.get(Number(id), tx.db)) as Appeal;
      await this.ctx.services.audit.record(
        { actorId: auth.personId, action: 'evaluation.appeal.create', entity: 'evaluation_appeal', entityId: appeal.id, after: appeal },
        tx.db,
      );
      return appeal;
    });
  }

  /** Appeals, newest first; a department's own people see their department's only. */
  async list(auth: Auth, q: { state?: string; departmentId?: number }): Promise<{ items: Appeal[] }> {
    let dept = q.departmentId;
    if (ownDepartmentOnly(auth)) {
      const own = ownDepartment(auth);
      if (dept !== undefined && dept !== own) {
        throw forbidden('部门人员只能查看本部门申诉 / Department staff see their own department only');
      }
      // Department staff with no department have no appeals.
      if (own === null) return { items: [] };
      dept = own;
    }
    const r = await sql<Appeal>`
      SELECT ${APPEAL_COLUMNS} FROM evaluation_appeal a JOIN case_file c ON c.id = a.case_id
      WHERE ${q.state === undefined ? sql`true` : sql`a.state = ${q.state}`} AND ${dept === undefined ? sql`true` : sql`a.department_id = ${dept}`}
      ORDER BY a.id DESC LIMIT 1000`.execute(this.ctx.db);
    return { items: r.rows.map(toAppeal) };
  }

  /** An approver accepts or refuses a pending appeal, once. */
  async decide(auth: Auth, id: number, body: { decision: 'accept' | 'refuse'; remark: string }): Promise<Appeal> {
    return this.ctx.database.transaction(async (tx) => {
      const before = await this.get(id, tx.db, true);
      if (!before) throw notFound('evaluation_appeal_not_found', `申诉 ${id} 不存在 / Appeal ${id} does not exist`);
      if (before.state !== 'pending') {
        throw conflict(
          'evaluation_appeal_decided',
          `申诉 ${id} 已处理 (${before.state}) / Appeal ${id} was decided already (${before.state})`,
        );
      }
      await sql`
        UPDATE evaluation_appeal SET state = ${body.decision === 'accept' ? 'accepted' : 'refused'}, decided_by = ${auth.personId},
          decided_at = ${this.ctx.now()}, remark = ${body.remark}
        WHERE id = ${id}`.execute(tx.db);
      const after = (await this.get(id, tx.db)) as Appeal;
      await this.ctx.services.audit.record(
        { actorId: auth.personId, action: 'evaluation.appeal.decide', entity: 'evaluation_appeal', entityId: id, before, after },
        tx.db,
      );
      return after;
    });
  }

  private async get(id: number, db: Context['db'], lock = false): Promise<Appeal | undefined> {
    const r = await sql<Appeal>`
      SELECT ${APPEAL_COLUMNS} FROM evaluation_appeal a JOIN case_file c ON c.id = a.case_id WHERE a.id = ${id}
      ${lock ? sql`FOR UPDATE OF a` : sql``}`.execute(db);
    const x = r.rows[0];
    return x ? toAppeal(x) : undefined;
  }
}
