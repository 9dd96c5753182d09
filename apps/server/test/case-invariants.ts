import type { CaseState, Role } from '@cityloop/shared';
import { TERMINAL_STATES } from '@cityloop/shared';
import { sql } from 'kysely';
import type { Context } from '../src/context.ts';
import type { CaseRow } from '../src/modules/cases/cases.repository.ts';
import { WORKFLOW_DEFS } from '../src/modules/workflow/workflow.definitions.ts';
import { allowedActions } from '../src/modules/workflow/workflow.engine.ts';

/**
 * Invariants of the case record and its phase log, read straight from the database. Each
 * check returns human-readable violations (empty = all hold), so a failing run names the
 * case, the event and what is wrong rather than a bare count.
 */

/** The columns of a case these checks read (a subset of the row services read). */
type CaseRowDb = Pick<
  CaseRow,
  | 'id'
  | 'number'
  | 'source'
  | 'workflow'
  | 'state'
  | 'phase'
  | 'phaseDeadline'
  | 'departmentId'
  | 'disposalStartedAt'
  | 'disposalDeadline'
  | 'pausedSince'
  | 'pauses'
  | 'pendingRequest'
  | 'reworkCount'
  | 'postponeCount'
  | 'returnCount'
  | 'superviseCount'
  | 'archiveType'
  | 'closedAt'
  | 'mergedIntoId'
  | 'version'
  | 'createdAt'
>;

interface EventRowDb {
  caseId: number;
  seq: number;
  action: string;
  fromState: string | null;
  toState: string;
  phase: string;
  actorRole: string | null;
  departmentId: number | null;
  endedAt: Date;
  deadlineAt: Date | null;
  onTime: boolean | null;
  payload: Record<string, unknown>;
}

/** States in which a case is with a department (after 派遣, before 结案). */
const WITH_DEPARTMENT = new Set(['dispatched', 'handling', 'suspended', 'feedback', 'checking', 'to_close']);
/** Open states before any department holds the case. */
const BEFORE_DISPATCH = new Set(['reported', 'verifying', 'accepted', 'registered', 'coordination', 'self_review']);
/** Actions the system writes at intake (flattened workflow: automatic 立案 and dispatch). */
const INTAKE_ACTIONS = new Set(['auto_register', 'auto_dispatch', 'to_coordination']);

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

export async function loadCases(db: Context['db']): Promise<{ cases: CaseRowDb[]; events: Map<number, EventRowDb[]> }> {
  const cases = await sql<CaseRowDb>`
    SELECT id, number, source, workflow, state, phase, phase_deadline, department_id, disposal_started_at, disposal_deadline,
           paused_since, pauses, pending_request, rework_count, postpone_count, return_count, supervise_count, archive_type,
           closed_at, merged_into_id, version, created_at
    FROM case_file ORDER BY id`.execute(db);
  const rows = await sql<EventRowDb>`
    SELECT case_id, seq, action, from_state, to_state, phase, actor_role, department_id, ended_at, deadline_at, on_time, payload
    FROM case_event ORDER BY case_id, seq`.execute(db);
  const events = new Map<number, EventRowDb[]>();
  for (const e of rows.rows) {
    const id = Number(e.caseId);
    const list = events.get(id) ?? [];
    if (list.length === 0) events.set(id, list);
    list.push({ ...e, caseId: id });
  }
  return { cases: cases.rows.map((c) => ({ ...c, id: Number(c.id) })), events };
}

/**
 * Per case: the state is one of its workflow's states and the row's columns fit it; the log
 * is numbered 1..n, ordered in time, starts with the report, replays through the workflow's
 * transitions (roles and pending requests included) and ends in the row's state; the row's
 * counters, version, pending request and closing data agree with the log.
 */
export function caseViolations(cases: CaseRowDb[], events: Map<number, EventRowDb[]>): string[] {
  const out: string[] = [];
  const byId = new Map(cases.map((c) => [c.id, c]));
  for (const c of cases) {
    const bad = (what: string) => out.push(`case ${c.id} (${c.number}, ${c.workflow}, ${c.state}): ${what}`);
    const def = WORKFLOW_DEFS[c.workflow];
    const sd = def.states[c.state as CaseState];
    if (!sd) {
      bad(`state ${c.state} is not a state of the ${c.workflow} workflow`);
      continue;
    }
    const terminal = TERMINAL_STATES.includes(c.state as CaseState);
    if (Boolean(sd.terminal) !== terminal) bad('terminal flag of the workflow and TERMINAL_STATES disagree');
    if (c.phase !== sd.phase) bad(`phase ${c.phase}, the state waits in ${sd.phase}`);
    if (terminal || c.state === 'suspended') {
      if (c.phaseDeadline !== null) bad('a terminal or suspended case has a phase deadline');
    } else if (c.phaseDeadline === null) bad('an open case on the clock has no phase deadline');
    if ((c.closedAt !== null) !== (c.state === 'closed')) bad(`closed_at ${c.closedAt} does not fit the state`);
    if ((c.archiveType !== null) !== (c.state === 'closed')) bad(`archive_type ${c.archiveType} does not fit the state`);
    if ((c.pausedSince !== null) !== (c.state === 'suspended')) bad(`paused_since ${c.pausedSince} does not fit the state`);
    if ((c.mergedIntoId !== null) !== (c.state === 'merged')) bad(`merged_into_id ${c.mergedIntoId} does not fit the state`);
    if (c.pendingRequest !== null && !['dispatched', 'handling'].includes(c.state)) bad('a pending request outside disposal');
    if (WITH_DEPARTMENT.has(c.state) && c.departmentId === null) bad('no department while with a department');
    if (BEFORE_DISPATCH.has(c.state) && c.departmentId !== null) bad(`department ${c.departmentId} before dispatch`);
    if (['dispatched', 'handling'].includes(c.state)) {
      if (c.disposalStartedAt === null) bad('disposal clock not started');
      if (ms(c.phaseDeadline) !== ms(c.disposalDeadline)) bad('phase deadline is not the disposal deadline during disposal');
    }

    const log = events.get(c.id) ?? [];
    if (log.length === 0) {
      bad('no events');
      continue;
    }
    const first = log[0] as EventRowDb;
    if (first.action !== 'report' || first.fromState !== null) bad(`first event is ${first.action} from ${first.fromState}`);
    if (!['reported', 'self_review'].includes(first.toState)) bad(`report leads to ${first.toState}`);
    if (first.payload.source !== c.source) bad(`report payload source ${String(first.payload.source)}, row source ${c.source}`);
    if (ms(first.endedAt) !== ms(c.createdAt)) bad('report event time is not the creation time');

    const count: Record<string, number> = {};
    let pending: string | null = null;
    let intake = 1;
    let lastDept: number | null = null;
    let suspends = 0;
    let prev: EventRowDb | null = null;
    for (const [i, e] of log.entries()) {
      const at = `event ${e.seq} ${e.action}`;
      count[e.action] = (count[e.action] ?? 0) + 1;
      if (e.seq !== i + 1) bad(`${at}: seq ${e.seq} at position ${i + 1}`);
      // Automatic intake steps have no deadline; the intake marks them done in time.
      const automatic = e.actorRole === 'system' && INTAKE_ACTIONS.has(e.action);
      const onTime = e.deadlineAt === null ? (automatic ? e.onTime === null || e.onTime : e.onTime === null) : null;
      if (onTime === false || (onTime === null && e.onTime !== (ms(e.endedAt) as number) <= (ms(e.deadlineAt) as number))) {
        bad(`${at}: on_time ${e.onTime} does not match ended ${e.endedAt.toISOString()} / deadline ${e.deadlineAt?.toISOString()}`);
      }
      if (prev) {
        if ((ms(e.endedAt) as number) < (ms(prev.endedAt) as number)) bad(`${at}: ended before event ${prev.seq}`);
        if (e.fromState !== prev.toState) bad(`${at}: from ${e.fromState}, but event ${prev.seq} left it ${prev.toState}`);
        const atIntake = INTAKE_ACTIONS.has(e.action) && e.actorRole === 'system' && ms(e.endedAt) === ms(first.endedAt);
        if (atIntake && intake === i) {
          intake++;
          const ok =
            c.workflow === 'flattened' &&
            ((e.action === 'auto_register' && e.fromState === 'reported' && e.toState === 'registered') ||
              (e.action !== 'auto_register' && e.fromState === 'registered' && ['dispatched', 'coordination'].includes(e.toState)));
          if (!ok) bad(`${at}: not an intake step of the flattened workflow (${e.fromState} → ${e.toState})`);
        } else if (e.action === 'merge' && e.payload.mergedCaseId !== undefined) {
          // A report merged into this case: logged here without moving it.
          const merged = byId.get(Number(e.payload.mergedCaseId));
          if (e.fromState !== e.toState) bad(`${at}: a linked report moved the case`);
          if (!merged || merged.mergedIntoId !== c.id) bad(`${at}: merged case ${String(e.payload.mergedCaseId)} does not point here`);
        } else {
          const snap = { state: e.fromState as CaseState, pendingRequest: pending ? { type: pending as 'return' } : null };
          const legal = allowedActions(def, snap, [e.actorRole as Role]);
          const t = def.transitions.find((x) => x.action === e.action && x.from.includes(e.fromState as CaseState));
          if (!t || !legal.includes(e.action as never)) {
            bad(`${at}: not allowed for ${e.actorRole} in ${e.fromState} (pending ${pending}); allowed: ${legal.join(', ')}`);
          } else {
            if (e.toState !== (t.to ?? e.fromState)) bad(`${at}: leads to ${e.toState}, the workflow says ${t.to ?? e.fromState}`);
            if (t.request) pending = t.request;
            if (t.pending || e.action === 'request_reject') pending = null;
          }
        }
      }
      if (['dispatch', 'auto_dispatch'].includes(e.action)) lastDept = e.departmentId;
      if (e.action === 'return_approve' || e.action === 'review_redispatch') lastDept = null;
      if (e.action === 'suspend_approve') suspends++;
      prev = e;
    }
    const last = log[log.length - 1] as EventRowDb;
    const n = (a: string) => count[a] ?? 0;
    if (last.toState !== c.state) bad(`the log ends in ${last.toState}`);
    if (c.version !== log.length - (intake - 1)) bad(`version ${c.version}, log has ${log.length} events (${intake - 1} at intake)`);
    if (n('report') !== 1) bad(`${n('report')} report events`);
    if (c.reworkCount !== n('check_fail') + n('close_reject') + n('review_rework')) bad(`rework_count ${c.reworkCount} vs log`);
    if (c.postponeCount !== n('postpone_approve')) bad(`postpone_count ${c.postponeCount} vs ${n('postpone_approve')} approvals`);
    if (c.returnCount !== n('return_approve')) bad(`return_count ${c.returnCount} vs ${n('return_approve')} approvals`);
    if (c.superviseCount !== n('supervise')) bad(`supervise_count ${c.superviseCount} vs ${n('supervise')} supervise events`);
    if (c.pauses.length !== n('resume')) bad(`${c.pauses.length} pauses vs ${n('resume')} resumes`);
    if (suspends !== n('resume') + (c.state === 'suspended' ? 1 : 0)) bad(`${suspends} suspensions vs ${n('resume')} resumes`);
    if ((c.pendingRequest?.type ?? null) !== pending) bad(`pending request ${c.pendingRequest?.type ?? null}, the log says ${pending}`);
    if (WITH_DEPARTMENT.has(c.state) && c.departmentId !== lastDept) bad(`department ${c.departmentId}, last dispatched to ${lastDept}`);
    if (c.state === 'closed') {
      // The closing event: the last one into closed (a public rating after it leaves the case closed).
      const closing = [...log].reverse().find((e) => e.toState === 'closed' && e.fromState !== 'closed') ?? last;
      if (ms(c.closedAt) !== ms(closing.endedAt)) bad('closed_at is not the time of the closing event');
      const archive = closing.action === 'self_approve' ? 'normal' : closing.payload.archiveType;
      if (c.archiveType !== archive) bad(`archive_type ${c.archiveType}, the closing event says ${String(archive)}`);
    }
  }
  for (const [id] of events) if (!byId.has(id)) out.push(`events of case ${id}, which has no row`);
  return out;
}

/** Set-based cross-checks between case_file and case_event (independent of the per-case replay). */
export async function countViolations(db: Context['db']): Promise<string[]> {
  const out: string[] = [];
  const tally = (rows: Array<{ k: string | null; n: number }>) =>
    Object.fromEntries(rows.map((r) => [String(r.k), Number(r.n)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  const same = (what: string, a: Record<string, number>, b: Record<string, number>) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${what}: rows ${JSON.stringify(a)} vs log ${JSON.stringify(b)}`);
  };
  const states = await sql<{ k: string; n: number }>`SELECT state AS k, count(*)::int AS n FROM case_file GROUP BY state`.execute(db);
  const lastTo = await sql<{ k: string; n: number }>`
    SELECT e.to_state AS k, count(*)::int AS n
    FROM case_event e JOIN (SELECT case_id, max(seq) AS seq FROM case_event GROUP BY case_id) l ON l.case_id = e.case_id AND l.seq = e.seq
    GROUP BY e.to_state`.execute(db);
  same('cases per state / last to_state', tally(states.rows), tally(lastTo.rows));
  const sources = await sql<{ k: string; n: number }>`SELECT source AS k, count(*)::int AS n FROM case_file GROUP BY source`.execute(db);
  const reported = await sql<{ k: string; n: number }>`
    SELECT payload->>'source' AS k, count(*)::int AS n FROM case_event WHERE action = 'report' GROUP BY payload->>'source'`.execute(db);
  same('cases per source / report events per source', tally(sources.rows), tally(reported.rows));
  const counters = await sql<{ k: string; n: number }>`
    SELECT 'rework' AS k, coalesce(sum(rework_count), 0)::int AS n FROM case_file
    UNION ALL SELECT 'postpone', coalesce(sum(postpone_count), 0)::int FROM case_file
    UNION ALL SELECT 'return', coalesce(sum(return_count), 0)::int FROM case_file
    UNION ALL SELECT 'supervise', coalesce(sum(supervise_count), 0)::int FROM case_file
    UNION ALL SELECT 'closed', count(*)::int FROM case_file WHERE closed_at IS NOT NULL`.execute(db);
  const logged = await sql<{ k: string; n: number }>`
    SELECT 'rework' AS k, count(*)::int AS n FROM case_event WHERE action IN ('check_fail', 'close_reject', 'review_rework')
    UNION ALL SELECT 'postpone', count(*)::int FROM case_event WHERE action = 'postpone_approve'
    UNION ALL SELECT 'return', count(*)::int FROM case_event WHERE action = 'return_approve'
    UNION ALL SELECT 'supervise', count(*)::int FROM case_event WHERE action = 'supervise'
    UNION ALL SELECT 'closed', (count(*) FILTER (WHERE action IN ('close', 'self_approve', 'review_close'))
      - count(*) FILTER (WHERE action = 'reopen'))::int FROM case_event`.execute(db);
  same('counters / events', tally(counters.rows), tally(logged.rows));
  const gaps = await sql<{ caseId: number }>`
    SELECT case_id FROM case_event GROUP BY case_id HAVING min(seq) <> 1 OR max(seq) <> count(*) OR count(DISTINCT seq) <> count(*)
    LIMIT 20`.execute(db);
  for (const g of gaps.rows) out.push(`case ${g.caseId}: seq is not 1..n`);
  const noLog = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM case_file c WHERE NOT EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = c.id AND e.seq = 1 AND e.action = 'report')`.execute(
    db,
  );
  if (Number(noLog.rows[0]?.n) !== 0) out.push(`${noLog.rows[0]?.n} cases without a first report event`);
  return out;
}
