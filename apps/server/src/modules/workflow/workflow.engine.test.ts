import type { CaseState } from '@cityloop/shared';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../../errors.ts';
import { FLATTENED, STANDARD } from './workflow.definitions.ts';
import { allowedActions, decide } from './workflow.engine.ts';

const snap = (state: CaseState, pending: 'return' | 'postpone' | 'suspend' | null = null) => ({
  state,
  pendingRequest: pending ? { type: pending } : null,
});

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected an error');
}

describe('workflow engine', () => {
  it('walks the standard happy path with the right roles', () => {
    const steps: Array<[CaseState, string, string, CaseState]> = [
      ['reported', 'send_verify', 'acceptor', 'verifying'],
      ['verifying', 'verify', 'inspector', 'accepted'],
      ['accepted', 'register', 'shiftlead', 'registered'],
      ['registered', 'dispatch', 'dispatcher', 'dispatched'],
      ['dispatched', 'sign', 'handler', 'handling'],
      ['handling', 'feedback', 'handler', 'feedback'],
      ['feedback', 'send_check', 'acceptor', 'checking'],
      ['checking', 'check_pass', 'inspector', 'to_close'],
      ['to_close', 'close', 'shiftlead', 'closed'],
    ];
    const input = { photos: ['p1'], note: 'done', departmentId: 1, archiveType: 'normal', reason: 'r' };
    for (const [from, action, role, to] of steps) {
      const d = decide(STANDARD, snap(from), action as never, [role as never], input);
      expect(d.to, `${from} ${action}`).toBe(to);
      expect(d.role).toBe(role);
    }
  });

  it('refuses an illegal transition with 409 and lists the allowed actions', () => {
    const err = errorOf(() => decide(STANDARD, snap('reported'), 'close', ['acceptor'], {}));
    expect(err.status).toBe(409);
    expect(err.code).toBe('case_invalid_transition');
    expect((err.details as { allowedActions: string[] }).allowedActions).toEqual(['accept', 'reject', 'send_verify', 'merge']);
  });

  it('refuses the wrong role with 403 and missing input with 422 naming it', () => {
    expect(errorOf(() => decide(STANDARD, snap('accepted'), 'register', ['acceptor'], {})).status).toBe(403);
    const err = errorOf(() => decide(STANDARD, snap('handling'), 'feedback', ['handler'], { note: ' ' }));
    expect(err.status).toBe(422);
    expect((err.details as { missing: string[] }).missing).toEqual(['photos', 'note']);
  });

  it('sends a failed check back to the same department as rework', () => {
    expect(decide(STANDARD, snap('checking'), 'check_fail', ['inspector'], { photos: ['p'], reason: '未清理' }).to).toBe('dispatched');
  });

  it('runs requests and approvals: one pending request at a time, approvals need one', () => {
    expect(
      decide(STANDARD, snap('handling'), 'postpone_request', ['handler'], { reason: '材料', extension: { value: 2, unit: 'day' } }).to,
    ).toBe('handling');
    expect(errorOf(() => decide(STANDARD, snap('handling', 'postpone'), 'suspend_request', ['handler'], { reason: 'x' })).status).toBe(409);
    expect(errorOf(() => decide(STANDARD, snap('handling'), 'postpone_approve', ['dispatcher'], {})).status).toBe(409);
    expect(decide(STANDARD, snap('handling', 'suspend'), 'suspend_approve', ['dispatcher'], {}).to).toBe('suspended');
    expect(decide(STANDARD, snap('suspended'), 'resume', ['dispatcher'], {}).to).toBe('handling');
    expect(decide(STANDARD, snap('dispatched', 'return'), 'return_approve', ['dispatcher'], {}).to).toBe('registered');
    expect(allowedActions(STANDARD, snap('handling', 'postpone'), ['dispatcher'])).toEqual([
      'postpone_approve',
      'request_reject',
      'supervise',
    ]);
  });

  it('lets the shift leader close or send back in the flattened flow', () => {
    expect(decide(FLATTENED, snap('handling'), 'feedback', ['handler'], { photos: ['a'], note: 'ok' }).to).toBe('to_close');
    expect(decide(FLATTENED, snap('to_close'), 'close_reject', ['shiftlead'], { reason: '未完成' }).to).toBe('handling');
    expect(decide(FLATTENED, snap('to_close'), 'close', ['shiftlead'], { archiveType: 'normal' }).to).toBe('closed');
    expect(errorOf(() => decide(FLATTENED, snap('reported'), 'accept', ['acceptor'], {})).status).toBe(409);
  });

  it('gives every non-terminal state of each workflow a phase, and every transition target a state', () => {
    for (const def of [STANDARD, FLATTENED]) {
      for (const t of def.transitions) {
        for (const s of [...t.from, ...(t.to ? [t.to] : [])]) expect(def.states[s], `${def.name} ${t.action} ${s}`).toBeDefined();
      }
    }
  });
});
