/** The PostgreSQL NOTIFY channel every server process listens on. */
export const EVENTS_CHANNEL = 'cityloop_events';

export const CASE_EVENT_TYPES = ['case.created', 'case.updated', 'case.warning', 'case.overdue'] as const;
export type CaseEventType = (typeof CASE_EVENT_TYPES)[number];

/**
 * A change to a case, fanned out to every server process and on to the browsers that may
 * see the case. Small on purpose (NOTIFY payloads stop at 8000 bytes): clients refetch the
 * case when they need more.
 */
export interface CaseEvent {
  type: CaseEventType;
  caseId: number;
  state?: string;
  phase?: string;
  departmentId?: number | null;
  /** Every department that has held the case (a department keeps seeing a case it handled, e.g. after 回退). */
  departmentIds?: number[];
  districtId?: number | null;
  streetId?: number | null;
  communityId?: number | null;
  gridId?: number | null;
  reporterId?: number | null;
  apiKeyId?: number | null;
  urgent?: boolean;
  /** case.warning / case.overdue: the light reached and the deadline of the phase clock. */
  light?: 'yellow' | 'red';
  deadline?: string;
  /** When it happened (ISO 8601). */
  at: string;
}

/** An event as one process delivered it: `id` is that process's monotonic sequence number. */
export interface DeliveredEvent extends CaseEvent {
  id: number;
}
