import { type Static, Type } from '@sinclair/typebox';
import { DateTime, Nullable } from '../../lib/schema.ts';

const Count = Type.Integer({ minimum: 0 });
const Rate = Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'fraction 0–1; null when nothing was due' }));

const OnTime = Type.Object({
  rate: Rate,
  onTime: Count,
  due: Count,
});

const Ranked = {
  id: Type.Integer(),
  name: Type.String(),
  score: Nullable(Type.Number({ description: 'composite score 0–100 of the evaluation configuration' })),
  grade: Nullable(Type.String()),
  color: Nullable(Type.String()),
  onTimeRate: Rate,
};

/** GET /api/command/overview */
export const CommandOverview = Type.Object(
  {
    asOf: DateTime({ description: 'the moment the figures were taken' }),
    timeZone: Type.String({ description: "the city's time zone; today and the month are local to it" }),
    today: Type.String({ description: 'YYYY-MM-DD' }),
    month: Type.String({ description: 'YYYY-MM' }),
    scope: Type.Object({ city: Type.Boolean(), regionIds: Type.Array(Type.Integer()) }),
    lastEventId: Type.Number({ description: 'newest live event this server had delivered when the figures were taken' }),
    counters: Type.Object({
      reportedToday: Count,
      closedToday: Count,
      open: Count,
      overdue: Count,
      warning: Count,
      urgent: Count,
    }),
    bySource: Type.Array(Type.Object({ source: Type.String(), n: Count }), { description: "today's reports by source" }),
    byState: Type.Array(Type.Object({ state: Type.String(), n: Count }), { description: "today's reports by their state now" }),
    byClass: Type.Array(
      Type.Object({ kind: Type.String(), edition: Type.String(), classCode: Type.String(), name: Nullable(Type.String()), n: Count }),
      { description: "today's reports by class, the ten most reported" },
    ),
    evaluatedAt: DateTime({
      description: 'when the on-time rates and rankings were computed (kept up to 5 min, recomputed every 30 s in the background)',
    }),
    onTime: Type.Object({ today: OnTime, month: OnTime }, { description: '按期结案率 of the area' }),
    rankings: Type.Object({
      period: Type.Object({ from: Type.String(), to: Type.String() }),
      configVersion: Type.Integer(),
      districts: Type.Array(Type.Object({ ...Ranked, registered: Count })),
      departments: Type.Array(Type.Object({ ...Ranked, dueDisposal: Count })),
    }),
    heat: Type.Array(Type.Object({ gridId: Type.Integer(), n: Count }), { description: "today's reports per unit grid" }),
    recent: Type.Array(
      Type.Object({
        id: Type.Integer(),
        caseId: Type.Integer(),
        number: Type.String(),
        action: Type.String(),
        fromState: Nullable(Type.String()),
        toState: Type.String(),
        phase: Type.String(),
        actorRole: Nullable(Type.String()),
        at: DateTime(),
        kind: Type.String(),
        classCode: Type.String(),
        className: Nullable(Type.String()),
        source: Type.String(),
        urgent: Type.Boolean(),
        districtName: Nullable(Type.String()),
      }),
      { description: 'the newest phase-log rows, newest first' },
    ),
  },
  { $id: 'CommandOverview', title: 'CommandOverview' },
);
export type CommandOverview = Static<typeof CommandOverview>;

/** GET /api/command/cases */
export const CommandCases = Type.Object(
  {
    asOf: DateTime(),
    limit: Type.Integer({ description: 'at most this many cases are listed (urgent and overdue first)' }),
    fields: Type.Array(Type.String(), { description: 'the meaning of each tuple position' }),
    items: Type.Array(Type.Array(Type.Union([Type.Number(), Type.String()]), { minItems: 6, maxItems: 6 }), {
      description: 'open cases as [id, lng, lat, state, urgent 0/1, light g/y/r]',
    }),
  },
  { $id: 'CommandCases', title: 'CommandCases' },
);
