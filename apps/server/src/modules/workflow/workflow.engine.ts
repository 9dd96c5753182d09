import type { CaseAction, CaseState } from '@cityloop/shared';
import { AppError, forbidden } from '../../errors.ts';
import type { Actor, Requirement, Transition, WorkflowDef } from './workflow.definitions.ts';

/** What the engine needs to know about a case to decide a transition. */
export interface CaseSnapshot {
  state: CaseState;
  pendingRequest: { type: 'return' | 'postpone' | 'suspend' } | null;
}

export interface ActionInput {
  reason?: string;
  note?: string;
  departmentId?: number;
  photos?: string[];
  archiveType?: string;
  extension?: { value: number; unit: 'minute' | 'hour' | 'day' };
  intoCaseId?: number;
  /** 满意度 1–5 (the public reporter's rating). */
  stars?: number;
}

function pendingOk(t: Transition, snap: CaseSnapshot): boolean {
  if (t.request) return snap.pendingRequest === null;
  if (t.pending === 'any') return snap.pendingRequest !== null;
  if (t.pending) return snap.pendingRequest?.type === t.pending;
  return true;
}

/** The actions these roles may take on the case now. */
export function allowedActions(def: WorkflowDef, snap: CaseSnapshot, roles: readonly Actor[]): CaseAction[] {
  return def.transitions
    .filter((t) => t.from.includes(snap.state) && pendingOk(t, snap) && t.roles.some((r) => roles.includes(r)))
    .map((t) => t.action);
}

function missing(requires: readonly Requirement[], input: ActionInput): Requirement[] {
  return requires.filter((r) => {
    const v = input[r];
    if (r === 'photos') return !Array.isArray(v) || v.length === 0;
    if (typeof v === 'string') return v.trim() === '';
    return v === undefined || v === null;
  });
}

/**
 * Decides an action: the transition, the role it is taken in, and the next state.
 * Throws 409 (not possible from this state; lists what is), 403 (not this role's action)
 * or 422 (required input missing; names it).
 */
export function decide(
  def: WorkflowDef,
  snap: CaseSnapshot,
  action: CaseAction,
  roles: readonly Actor[],
  input: ActionInput,
): { transition: Transition; role: Actor; to: CaseState } {
  const candidates = def.transitions.filter((t) => t.action === action && t.from.includes(snap.state));
  const transition = candidates.find((t) => pendingOk(t, snap));
  if (!transition) {
    const allowed = allowedActions(def, snap, roles);
    const why = candidates.length > 0 ? (candidates[0]?.request ? '已有待审批的申请' : '没有待审批的申请') : `当前状态不能执行 ${action}`;
    throw new AppError(409, 'case_invalid_transition', `${why} / Action ${action} is not possible in state ${snap.state}`, {
      state: snap.state,
      action,
      allowedActions: allowed,
    });
  }
  const role = transition.roles.find((r) => roles.includes(r));
  if (!role)
    throw forbidden(
      `该操作需要角色 ${transition.roles.join('/')} / Action ${action} needs one of the roles ${transition.roles.join(', ')}`,
    );
  const lacking = missing(transition.requires, input);
  if (lacking.length > 0) {
    throw new AppError(422, 'case_fields_required', `缺少必填项: ${lacking.join(', ')} / Missing required input: ${lacking.join(', ')}`, {
      missing: lacking,
    });
  }
  return { transition, role, to: transition.to ?? snap.state };
}
