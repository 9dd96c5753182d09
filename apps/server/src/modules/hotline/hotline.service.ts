import { CASE_STATE_LABELS, type CaseState, TERMINAL_STATES } from '@cityloop/shared';
import { sql } from 'kysely';
import type { Context } from '../../context.ts';
import { conflict, notFound, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';

/** A work order as the hotline platform sends it. */
export interface HotlineOrder {
  orderNo: string;
  channel?: '12345' | '12319';
  content: string;
  kind?: 'component' | 'event';
  classCode?: string;
  className?: string;
  address?: string;
  location?: { lng: number; lat: number; coordSys?: 'wgs84' | 'gcj02' | 'bd09' };
  caller?: { name?: string; phone?: string };
  urgent?: boolean;
  reportedAt?: string;
}

/** Log rows whose remark the hotline may pass on to the caller (results and refusals, not internal chat). */
const TOLD_TO_CALLER = new Set(['reject', 'refuse', 'cancel', 'feedback', 'close', 'self_approve', 'merge']);

/**
 * 12345/12319 integration: the hotline platform files work orders (one case each, idempotent
 * by order number), passes on the caller's chasing (催办 → 督办) and additions, and reads a
 * work order's status. Status changes flow back by webhook (docs/hotline.md).
 */
export class HotlineService {
  constructor(private readonly ctx: Context) {}

  /** Files a work order, or returns the case it already made (created=false). */
  async create(auth: Auth, order: HotlineOrder) {
    const existing = await this.#caseId(order.orderNo);
    if (existing !== null) return { order: await this.status(auth, order.orderNo), created: false };
    const channel = order.channel ?? '12345';
    const fields: Record<string, string> = {
      sourceRef: order.orderNo,
      description: order.content,
      kind: order.kind ?? '',
      classCode: order.classCode ?? '',
      className: order.className ?? '',
      address: order.address ?? '',
      lng: order.location ? String(order.location.lng) : '',
      lat: order.location ? String(order.location.lat) : '',
      coordSys: order.location?.coordSys ?? '',
      callerName: order.caller?.name ?? '',
      callerPhone: order.caller?.phone ?? '',
      severity: order.urgent ? 'urgent' : '',
      reportedAt: order.reportedAt ?? '',
    };
    const parsed = await this.ctx.services.exchange.parseReport(fields, { source: 'hotline', channel });
    if ('errors' in parsed) {
      const first = parsed.errors[0];
      throw unprocessable(first?.code ?? 'hotline_order_invalid', first?.message ?? 'invalid work order', { errors: parsed.errors });
    }
    const { created } = await this.ctx.services.cases.report(auth, {
      ...parsed.report,
      urgent: order.urgent,
      // The same order sent twice at once still makes one case.
      idempotencyKey: `hotline.${channel}.${order.orderNo}`,
    });
    return { order: await this.status(auth, order.orderNo), created };
  }

  /** A work order's case: state, department, deadlines, result and the history the caller may hear. */
  async status(auth: Auth, orderNo: string) {
    const id = await this.#caseId(orderNo);
    if (id === null) throw notFound('hotline_order_not_found', `工单 ${orderNo} 不存在 / No case was filed for work order ${orderNo}`);
    const c = await this.ctx.services.cases.getVisible(auth, id);
    const log = await sql<{
      seq: number;
      action: string;
      toState: string;
      endedAt: Date;
      note: string | null;
      departmentName: string | null;
    }>`
      SELECT e.seq, e.action, e.to_state, e.ended_at, e.note, d.name AS department_name
      FROM case_event e LEFT JOIN department d ON d.id = e.department_id
      WHERE e.case_id = ${id} ORDER BY e.seq`.execute(this.ctx.db);
    const dept = c.departmentId
      ? await this.ctx.db.selectFrom('department').select(['code', 'name']).where('id', '=', c.departmentId).executeTakeFirst()
      : undefined;
    const photos = await sql<{ id: string }>`
      SELECT id FROM media WHERE case_id = ${id} AND public ORDER BY created_at, id`.execute(this.ctx.db);
    const result = [...log.rows].reverse().find((e) => e.action === 'feedback' || e.action === 'close');
    return {
      orderNo,
      caseId: c.id,
      caseNumber: c.number,
      status: TERMINAL_STATES.includes(c.state as CaseState) ? ('closed' as const) : ('open' as const),
      state: c.state,
      stateLabel: CASE_STATE_LABELS[c.state as CaseState] ?? c.state,
      department: dept ? { code: dept.code, name: dept.name } : null,
      disposalDeadline: c.disposalDeadline,
      closedAt: c.closedAt,
      archiveType: c.archiveType,
      result: result?.note ?? null,
      photos: photos.rows.map((p) => `/api/public/media/${p.id}`),
      history: log.rows.map((e) => ({
        seq: e.seq,
        at: e.endedAt,
        action: e.action,
        state: e.toState,
        stateLabel: CASE_STATE_LABELS[e.toState as CaseState] ?? e.toState,
        department: e.departmentName,
        note: TOLD_TO_CALLER.has(e.action) ? e.note : null,
      })),
    };
  }

  /**
   * The hotline passes something on: the caller chased the case (催办, logged as 督办 with the
   * hotline as actor) or added to the report (appended to the description, audited).
   */
  async update(auth: Auth, orderNo: string, u: { type: 'urge' | 'supplement'; content: string }) {
    const id = await this.#caseId(orderNo);
    if (id === null) throw notFound('hotline_order_not_found', `工单 ${orderNo} 不存在 / No case was filed for work order ${orderNo}`);
    const c = await this.ctx.services.cases.getVisible(auth, id);
    if (TERMINAL_STATES.includes(c.state as CaseState))
      throw conflict('hotline_case_closed', `案卷 ${c.number} 已办结 / Case ${c.number} is already finished (${c.state})`);
    if (u.type === 'urge') {
      // A concurrent action may move the version: read again and retry a few times.
      for (let attempt = 0; ; attempt++) {
        const cur = await this.ctx.services.cases.getVisible(auth, id);
        try {
          await this.ctx.services.cases.act(auth, id, 'supervise', { version: cur.version, note: `热线催办：${u.content}` });
          break;
        } catch (err) {
          if (attempt >= 3 || (err as { code?: string }).code !== 'case_version_conflict') throw err;
        }
      }
    } else {
      const stamp = new Intl.DateTimeFormat('sv-SE', {
        timeZone: (await this.ctx.services.settings.get()).timeZone,
        dateStyle: 'short',
        timeStyle: 'short',
      }).format(this.ctx.now());
      const res = await sql<{ description: string }>`
        UPDATE case_file SET description = left(description || ${`\n【热线补充 ${stamp}】${u.content}`}, 4000),
          version = version + 1, updated_at = ${this.ctx.now()}
        WHERE id = ${id} RETURNING description`.execute(this.ctx.db);
      await this.ctx.services.audit.record({
        actorId: null,
        action: 'hotline.supplement',
        entity: 'case_file',
        entityId: id,
        before: { description: c.description },
        after: { description: res.rows[0]?.description, apiKeyId: auth.apiKeyId },
      });
    }
    return this.status(auth, orderNo);
  }

  async #caseId(orderNo: string): Promise<number | null> {
    const row = await sql<{ id: number }>`
      SELECT id FROM case_file WHERE source = 'hotline' AND source_ref = ${orderNo} ORDER BY id LIMIT 1`.execute(this.ctx.db);
    return row.rows[0]?.id ?? null;
  }
}
