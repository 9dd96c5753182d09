/** Shapes of the command screen's two reads (GET /api/command/overview, /api/command/cases). */

export interface OnTime {
  rate: number | null;
  onTime: number;
  due: number;
}

export interface Ranked {
  id: number;
  name: string;
  score: number | null;
  grade: string | null;
  color: string | null;
  onTimeRate: number | null;
}

export interface RecentEvent {
  id: number;
  caseId: number;
  number: string;
  action: string;
  fromState: string | null;
  toState: string;
  phase: string;
  actorRole: string | null;
  at: string;
  kind: string;
  classCode: string;
  className: string | null;
  source: string;
  urgent: boolean;
  districtName: string | null;
}

export interface Counters {
  reportedToday: number;
  closedToday: number;
  open: number;
  overdue: number;
  warning: number;
  urgent: number;
}

export interface Overview {
  asOf: string;
  timeZone: string;
  today: string;
  month: string;
  scope: { city: boolean; regionIds: number[] };
  lastEventId: number;
  /** When the on-time rates and rankings were computed (the server keeps them up to a few minutes). */
  evaluatedAt: string;
  counters: Counters;
  bySource: Array<{ source: string; n: number }>;
  byState: Array<{ state: string; n: number }>;
  byClass: Array<{ kind: string; edition: string; classCode: string; name: string | null; n: number }>;
  onTime: { today: OnTime; month: OnTime };
  rankings: {
    period: { from: string; to: string };
    configVersion: number;
    districts: Array<Ranked & { registered: number }>;
    departments: Array<Ranked & { dueDisposal: number }>;
  };
  heat: Array<{ gridId: number; n: number }>;
  recent: RecentEvent[];
}

/** [id, lng, lat, state, urgent 0/1, light g/y/r] */
export type OpenCase = [number, number, number, string, 0 | 1, 'g' | 'y' | 'r'];

export interface OpenCases {
  asOf: string;
  limit: number;
  fields: string[];
  items: OpenCase[];
}

/** State groups the map colours cases by, in the order of the loop. */
export const STATE_GROUPS: Array<{ key: string; color: string; states: string[] }> = [
  { key: 'intake', color: '#3ea6ff', states: ['reported', 'verifying', 'accepted', 'self_review'] },
  { key: 'dispatch', color: '#b18cff', states: ['registered', 'coordination'] },
  { key: 'disposal', color: '#ffb020', states: ['dispatched', 'handling'] },
  { key: 'check', color: '#35d39a', states: ['feedback', 'checking', 'to_close'] },
  { key: 'suspended', color: '#8a99ad', states: ['suspended'] },
];

export const groupOf = (state: string): string => STATE_GROUPS.find((g) => g.states.includes(state))?.key ?? 'intake';
