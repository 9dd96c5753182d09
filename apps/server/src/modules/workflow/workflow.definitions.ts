import type { CaseAction, CaseState, Phase, Role, TimeLimit, WorkflowName } from '@cityloop/shared';

/**
 * Workflows as data. A transition names the action, the states it leaves from, the state
 * it leads to (`null` = stays), the roles allowed, the input it requires, and the phase the
 * action completes (what the phase log and evaluation count). A state names the phase it
 * waits in and the time limit of that wait (null = the class's disposal limit).
 */
export type Requirement = 'reason' | 'note' | 'departmentId' | 'photos' | 'archiveType' | 'extension' | 'intoCaseId' | 'stars';

/**
 * Who takes an action: a role, or `public` — the anonymous reporter of a public case, who acts
 * with the case's tracking code (never a person's role, so no route grants it).
 */
export type Actor = Role | 'public';

export interface Transition {
  action: CaseAction;
  from: readonly CaseState[];
  to: CaseState | null;
  roles: readonly Actor[];
  requires: readonly Requirement[];
  /** The phase this action completes. */
  phase: Phase;
  /** A pending request of this type must exist (approvals) or must not exist (requests). */
  pending?: 'return' | 'postpone' | 'suspend' | 'any';
  /** Raises a request instead of moving the case. */
  request?: 'return' | 'postpone' | 'suspend';
}

export interface StateDef {
  /** The phase the case waits in while in this state. */
  phase: Phase;
  /**
   * Wait limit: a phase limit of the city's settings (phaseLimits), 'disposal' = the class ×
   * severity disposal limit, null = no clock (paused or terminal).
   */
  limit: PhaseLimitKey | 'disposal' | null;
  terminal?: boolean;
}

export interface WorkflowDef {
  name: WorkflowName;
  label: string;
  states: Partial<Record<CaseState, StateDef>>;
  transitions: readonly Transition[];
}

const work = (minutes: number): TimeLimit => ({ value: minutes, unit: 'minute', timeType: 'work' });

/**
 * CityLoop's default phase limits (STANDARDS.md §5), the defaults of the city setting
 * phaseLimits; urgent cases count them on the continuous clock.
 */
export const PHASE_LIMITS = {
  receive: work(30),
  verify: work(120),
  register: work(30),
  dispatch: work(30),
  sendCheck: work(30),
  check: work(120),
  close: work(30),
} as const satisfies Record<string, TimeLimit>;

/** The phase limits a city sets: 受理, 核实, 立案, 派遣, 发核查 (send to check), 核查, 结案. */
export type PhaseLimitKey = keyof typeof PHASE_LIMITS;
export const PHASE_LIMIT_KEYS = Object.keys(PHASE_LIMITS) as PhaseLimitKey[];

const OPEN_STATES: readonly CaseState[] = [
  'reported',
  'verifying',
  'accepted',
  'registered',
  'coordination',
  'dispatched',
  'handling',
  'suspended',
  'feedback',
  'checking',
  'to_close',
  'self_review',
  'reopened',
];

const terminal: StateDef = { phase: 'close', limit: null, terminal: true };

/** Sub-flows shared by both workflows: requests, approvals, 督办. `approver` differs. */
function subFlows(approver: readonly Role[]): Transition[] {
  return [
    {
      action: 'return_request',
      from: ['dispatched', 'handling'],
      to: null,
      roles: ['handler', 'dept_admin'],
      requires: ['reason'],
      phase: 'dispose',
      request: 'return',
    },
    {
      action: 'return_approve',
      from: ['dispatched', 'handling'],
      to: 'registered',
      roles: approver,
      requires: [],
      phase: 'dispatch',
      pending: 'return',
    },
    {
      action: 'postpone_request',
      from: ['handling'],
      to: null,
      roles: ['handler', 'dept_admin'],
      requires: ['reason', 'extension'],
      phase: 'dispose',
      request: 'postpone',
    },
    { action: 'postpone_approve', from: ['handling'], to: null, roles: approver, requires: [], phase: 'dispose', pending: 'postpone' },
    {
      action: 'suspend_request',
      from: ['handling'],
      to: null,
      roles: ['handler', 'dept_admin'],
      requires: ['reason'],
      phase: 'dispose',
      request: 'suspend',
    },
    { action: 'suspend_approve', from: ['handling'], to: 'suspended', roles: approver, requires: [], phase: 'suspend', pending: 'suspend' },
    {
      action: 'resume',
      from: ['suspended'],
      to: 'handling',
      roles: [...approver, 'handler', 'dept_admin'],
      requires: [],
      phase: 'suspend',
    },
    {
      action: 'request_reject',
      from: ['dispatched', 'handling'],
      to: null,
      roles: approver,
      requires: ['reason'],
      phase: 'dispose',
      pending: 'any',
    },
    {
      action: 'supervise',
      from: OPEN_STATES,
      to: null,
      // 督办 by the centre's leaders, or 催办 passed on by the hotline platform (an API key).
      roles: ['leader', 'dispatcher', 'shiftlead', 'machine'],
      requires: ['note'],
      phase: 'supervise',
    },
  ];
}

/**
 * The public reporter's say after 结案, in both workflows: a satisfaction rating (the case stays
 * closed), or 未解决 with a reason, which reopens the case for the centre to review (the service
 * allows it within the city's publicFeedbackDays of the close, once). The review, in the
 * receiving phase: 维持结案 (the close stands), 返工 to the department that handled it, or back to
 * 待派遣 for another department.
 */
function publicFeedbackFlows(reviewers: readonly Role[]): Transition[] {
  return [
    { action: 'rate', from: ['closed'], to: null, roles: ['public'], requires: ['stars'], phase: 'appraise' },
    { action: 'reopen', from: ['closed'], to: 'reopened', roles: ['public'], requires: ['reason'], phase: 'appraise' },
    { action: 'review_close', from: ['reopened'], to: 'closed', roles: reviewers, requires: ['reason'], phase: 'receive' },
    { action: 'review_rework', from: ['reopened'], to: 'dispatched', roles: reviewers, requires: ['reason'], phase: 'receive' },
    { action: 'review_redispatch', from: ['reopened'], to: 'registered', roles: reviewers, requires: ['reason'], phase: 'receive' },
  ];
}

/** The standard loop: 受理 → 核实 → 立案 → 派遣 → 签收/处置 → 反馈 → 核查 → 结案 (or 返工). */
/** Shared sub-flows name every open state; keep only the states a workflow has. */
function defineWorkflow(def: WorkflowDef): WorkflowDef {
  return {
    ...def,
    transitions: def.transitions.map((t) => ({ ...t, from: t.from.filter((s) => def.states[s] !== undefined) })),
  };
}

export const STANDARD: WorkflowDef = defineWorkflow({
  name: 'standard',
  label: '标准流程',
  states: {
    reported: { phase: 'receive', limit: 'receive' },
    verifying: { phase: 'verify', limit: 'verify' },
    accepted: { phase: 'register', limit: 'register' },
    registered: { phase: 'dispatch', limit: 'dispatch' },
    coordination: { phase: 'dispatch', limit: 'dispatch' },
    dispatched: { phase: 'dispose', limit: 'disposal' },
    handling: { phase: 'dispose', limit: 'disposal' },
    suspended: { phase: 'suspend', limit: null },
    feedback: { phase: 'check', limit: 'sendCheck' },
    checking: { phase: 'check', limit: 'check' },
    to_close: { phase: 'close', limit: 'close' },
    self_review: { phase: 'receive', limit: 'receive' },
    reopened: { phase: 'receive', limit: 'receive' },
    closed: terminal,
    not_accepted: terminal,
    not_registered: terminal,
    cancelled: terminal,
    merged: terminal,
  },
  transitions: [
    { action: 'accept', from: ['reported'], to: 'accepted', roles: ['acceptor'], requires: [], phase: 'receive' },
    { action: 'reject', from: ['reported', 'accepted'], to: 'not_accepted', roles: ['acceptor'], requires: ['reason'], phase: 'receive' },
    { action: 'send_verify', from: ['reported', 'accepted'], to: 'verifying', roles: ['acceptor'], requires: [], phase: 'receive' },
    {
      action: 'merge',
      from: ['reported', 'accepted', 'verifying'],
      to: 'merged',
      roles: ['acceptor'],
      requires: ['intoCaseId'],
      phase: 'receive',
    },
    { action: 'verify', from: ['verifying'], to: 'accepted', roles: ['inspector'], requires: ['photos'], phase: 'verify' },
    { action: 'verify_reject', from: ['verifying'], to: 'not_accepted', roles: ['inspector'], requires: ['reason'], phase: 'verify' },
    { action: 'register', from: ['accepted'], to: 'registered', roles: ['shiftlead'], requires: [], phase: 'register' },
    { action: 'refuse', from: ['accepted'], to: 'not_registered', roles: ['shiftlead'], requires: ['reason'], phase: 'register' },
    {
      action: 'cancel',
      from: ['accepted', 'registered', 'coordination'],
      to: 'cancelled',
      roles: ['shiftlead'],
      requires: ['reason'],
      phase: 'cancel',
    },
    {
      action: 'dispatch',
      from: ['registered', 'coordination'],
      to: 'dispatched',
      roles: ['dispatcher'],
      requires: ['departmentId'],
      phase: 'dispatch',
    },
    { action: 'to_coordination', from: ['registered'], to: 'coordination', roles: ['dispatcher'], requires: ['reason'], phase: 'dispatch' },
    { action: 'sign', from: ['dispatched'], to: 'handling', roles: ['handler', 'dept_admin'], requires: [], phase: 'dispose' },
    {
      action: 'feedback',
      from: ['handling'],
      to: 'feedback',
      roles: ['handler', 'dept_admin'],
      requires: ['photos', 'note'],
      phase: 'dispose',
    },
    { action: 'send_check', from: ['feedback'], to: 'checking', roles: ['acceptor'], requires: [], phase: 'check' },
    { action: 'check_pass', from: ['checking'], to: 'to_close', roles: ['inspector'], requires: ['photos'], phase: 'check' },
    { action: 'check_fail', from: ['checking'], to: 'dispatched', roles: ['inspector'], requires: ['photos', 'reason'], phase: 'check' },
    { action: 'close', from: ['to_close'], to: 'closed', roles: ['shiftlead'], requires: ['archiveType'], phase: 'close' },
    { action: 'self_approve', from: ['self_review'], to: 'closed', roles: ['acceptor'], requires: [], phase: 'close' },
    { action: 'self_reject', from: ['self_review'], to: 'accepted', roles: ['acceptor'], requires: ['reason'], phase: 'receive' },
    ...subFlows(['dispatcher']),
    ...publicFeedbackFlows(['acceptor', 'shiftlead']),
  ],
});

/**
 * The flattened loop (Chengdu): report → automatic 立案 and dispatch → the handler feeds
 * back with photos straight to the shift leader, who closes or sends it back (返工).
 */
export const FLATTENED: WorkflowDef = defineWorkflow({
  name: 'flattened',
  label: '扁平化流程',
  states: {
    coordination: { phase: 'dispatch', limit: 'dispatch' },
    registered: { phase: 'dispatch', limit: 'dispatch' },
    dispatched: { phase: 'dispose', limit: 'disposal' },
    handling: { phase: 'dispose', limit: 'disposal' },
    suspended: { phase: 'suspend', limit: null },
    to_close: { phase: 'close', limit: 'close' },
    reopened: { phase: 'receive', limit: 'receive' },
    closed: terminal,
    cancelled: terminal,
  },
  transitions: [
    {
      action: 'dispatch',
      from: ['registered', 'coordination'],
      to: 'dispatched',
      roles: ['dispatcher', 'shiftlead'],
      requires: ['departmentId'],
      phase: 'dispatch',
    },
    {
      action: 'cancel',
      from: ['registered', 'coordination'],
      to: 'cancelled',
      roles: ['shiftlead'],
      requires: ['reason'],
      phase: 'cancel',
    },
    { action: 'sign', from: ['dispatched'], to: 'handling', roles: ['handler', 'dept_admin'], requires: [], phase: 'dispose' },
    {
      action: 'feedback',
      from: ['handling'],
      to: 'to_close',
      roles: ['handler', 'dept_admin'],
      requires: ['photos', 'note'],
      phase: 'dispose',
    },
    { action: 'close', from: ['to_close'], to: 'closed', roles: ['shiftlead'], requires: ['archiveType'], phase: 'close' },
    { action: 'close_reject', from: ['to_close'], to: 'handling', roles: ['shiftlead'], requires: ['reason'], phase: 'close' },
    ...subFlows(['shiftlead', 'dispatcher']),
    ...publicFeedbackFlows(['acceptor', 'shiftlead']),
  ],
});

export const WORKFLOW_DEFS: Record<WorkflowName, WorkflowDef> = { standard: STANDARD, flattened: FLATTENED };
