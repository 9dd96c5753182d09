import type { PositionIndicator, PositionRole } from './evaluation.config.ts';
import { ratio } from './evaluation.config.ts';
import type { PositionFactKind } from './evaluation.repository.ts';

/**
 * Position (岗位) indicators from a person's fact counts (STANDARDS.md 综合评价; definitions in
 * docs/evaluation.md). Rates are fractions 0–1, or null when their denominator is 0.
 */
export type PositionTally = Partial<Record<PositionFactKind, { n: number; flagged: number }>>;
export type PositionValues = Record<string, number | null>;

/** Which fact kinds each indicator is made of (what its drill-down lists). */
export const POSITION_FACTS: { [R in PositionRole]: Record<PositionIndicator<R>, PositionFactKind[]> } = {
  inspector: {
    reported: ['reported'],
    validReported: ['reported'],
    validReportRate: ['reported'],
    verifyDue: ['verified', 'verifyOverdue'],
    verifiedOnTime: ['verified'],
    onTimeVerifyRate: ['verified', 'verifyOverdue'],
    checkDue: ['checked', 'checkOverdue'],
    checkedOnTime: ['checked'],
    onTimeCheckRate: ['checked', 'checkOverdue'],
    missed: ['beatRegistered'],
    beatRegistered: ['beatRegistered'],
    missedRate: ['beatRegistered'],
    selfHandled: ['selfHandled'],
  },
  acceptor: {
    received: ['received'],
    receivedOnTime: ['received'],
    onTimeReceiveRate: ['received'],
    sentVerify: ['sentVerify'],
    sentVerifyOnTime: ['sentVerify'],
    sendVerifyOnTimeRate: ['sentVerify'],
    sentCheck: ['sentCheck'],
    sentCheckOnTime: ['sentCheck'],
    sendCheckOnTimeRate: ['sentCheck'],
  },
  shiftlead: {
    registered: ['registeredBy'],
    registeredOnTime: ['registeredBy'],
    onTimeRegisterRate: ['registeredBy'],
    cancelled: ['registerCancelled'],
    accurateRegisterRate: ['registeredBy', 'registerCancelled'],
    closed: ['closedBy'],
    closedOnTime: ['closedBy'],
    onTimeCloseRate: ['closedBy'],
  },
  dispatcher: {
    dispatched: ['dispatched'],
    dispatchedOnTime: ['dispatched'],
    onTimeDispatchRate: ['dispatched'],
    misdispatched: ['misdispatched'],
    accurateDispatchRate: ['dispatched', 'misdispatched'],
  },
};

/** Counts that are the flagged facts of their kind only: their drill-down lists just those. */
export const POSITION_FLAG_OF: Partial<Record<string, boolean>> = {
  validReported: true,
  verifiedOnTime: true,
  checkedOnTime: true,
  missed: true,
  receivedOnTime: true,
  sentVerifyOnTime: true,
  sentCheckOnTime: true,
  registeredOnTime: true,
  closedOnTime: true,
  dispatchedOnTime: true,
};

/** The indicators of one person in one role. */
export function positionIndicators(role: PositionRole, t: PositionTally): PositionValues {
  const n = (k: PositionFactKind) => t[k]?.n ?? 0;
  const f = (k: PositionFactKind) => t[k]?.flagged ?? 0;
  switch (role) {
    case 'inspector': {
      const verifyDue = n('verified') + n('verifyOverdue');
      const checkDue = n('checked') + n('checkOverdue');
      return {
        reported: n('reported'),
        validReported: f('reported'),
        validReportRate: ratio(f('reported'), n('reported')),
        verifyDue,
        verifiedOnTime: f('verified'),
        onTimeVerifyRate: ratio(f('verified'), verifyDue),
        checkDue,
        checkedOnTime: f('checked'),
        onTimeCheckRate: ratio(f('checked'), checkDue),
        missed: f('beatRegistered'),
        beatRegistered: n('beatRegistered'),
        missedRate: ratio(f('beatRegistered'), n('beatRegistered')),
        selfHandled: n('selfHandled'),
      };
    }
    case 'acceptor':
      return {
        received: n('received'),
        receivedOnTime: f('received'),
        onTimeReceiveRate: ratio(f('received'), n('received')),
        sentVerify: n('sentVerify'),
        sentVerifyOnTime: f('sentVerify'),
        sendVerifyOnTimeRate: ratio(f('sentVerify'), n('sentVerify')),
        sentCheck: n('sentCheck'),
        sentCheckOnTime: f('sentCheck'),
        sendCheckOnTimeRate: ratio(f('sentCheck'), n('sentCheck')),
      };
    case 'shiftlead':
      return {
        registered: n('registeredBy'),
        registeredOnTime: f('registeredBy'),
        onTimeRegisterRate: ratio(f('registeredBy'), n('registeredBy')),
        cancelled: n('registerCancelled'),
        accurateRegisterRate: ratio(n('registeredBy') - n('registerCancelled'), n('registeredBy')),
        closed: n('closedBy'),
        closedOnTime: f('closedBy'),
        onTimeCloseRate: ratio(f('closedBy'), n('closedBy')),
      };
    case 'dispatcher':
      return {
        dispatched: n('dispatched'),
        dispatchedOnTime: f('dispatched'),
        onTimeDispatchRate: ratio(f('dispatched'), n('dispatched')),
        misdispatched: n('misdispatched'),
        accurateDispatchRate: ratio(n('dispatched') - n('misdispatched'), n('dispatched')),
      };
  }
}
