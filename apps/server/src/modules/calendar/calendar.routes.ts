import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { DateTime, Nullable, Strict } from '../../lib/schema.ts';
import { DAY_KINDS, WORK_DAY_MODES } from './calendar.math.ts';

const Literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );

const DayKindSchema = Literals(DAY_KINDS, 'workday 工作日 · weekend 周末 · holiday 节假日 · makeup_workday 调休上班');
const WorkDayModeSchema = Literals(
  WORK_DAY_MODES,
  'hours: N 工作日 = N × a day of working time; close_of_day: ends at the close of the Nth working day after the start day',
);

const TimeLimitSchema = Strict(
  {
    value: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
    unit: Literals(['minute', 'hour', 'day'] as const),
    timeType: Literals(['urgent', 'work', 'natural'] as const, 'urgent 紧急工作时 (continuous) · work 工作时/工作日 · natural 自然日'),
  },
  { description: 'A time limit (时限)' },
);

const Period = Strict({
  start: Type.String({ maxLength: 5, description: 'HH:MM, local time' }),
  end: Type.String({ maxLength: 5, description: 'HH:MM (24:00 allowed), local time' }),
});

const CalendarDay = Type.Object({
  day: Type.String({ description: 'YYYY-MM-DD' }),
  kind: Type.String(),
  name: Nullable(Type.String()),
  source: Type.String({ description: 'national: from the published schedule; city: edited here' }),
  updatedBy: Nullable(Type.Integer()),
  updatedAt: DateTime(),
});

const WorkingPeriods = Type.Object({
  workingPeriods: Type.Array(Type.Object({ start: Type.String(), end: Type.String() })),
  workDayMode: Type.String(),
  timeZone: Type.String(),
});

/** Working calendar: holidays and make-up workdays, working periods, a deadline tool. */
export async function calendarRoutes(app: App) {
  const calendar = app.ctx.services.calendar;

  app.get('/api/calendar/:year', {
    config: { access: 'authenticated' },
    schema: {
      tags: ['calendar'],
      summary: 'A year of the working calendar: its holidays, make-up workdays and city edits, working periods, counts',
      params: Strict({ year: Type.Integer() }),
      response: {
        200: Type.Object({
          year: Type.Integer(),
          timeZone: Type.String(),
          workingPeriods: WorkingPeriods.properties.workingPeriods,
          workDayMode: Type.String(),
          nationalSchedule: Type.Boolean({
            description: 'false when the national schedule of this year is not in the calendar (not published yet)',
          }),
          days: Type.Array(CalendarDay),
          summary: Type.Object({
            days: Type.Integer(),
            workingDays: Type.Integer(),
            restDays: Type.Integer(),
            holidays: Type.Integer(),
            makeupWorkdays: Type.Integer(),
            workingMinutes: Type.Number(),
          }),
        }),
      },
    },
    handler: async (req) => calendar.listDays(req.params.year),
  });

  app.put('/api/calendar/days/:day', {
    config: { access: 'settings.write' },
    schema: {
      tags: ['calendar'],
      summary: 'Set the kind of one day (a city edit, kept when the national schedule is re-seeded; audited)',
      params: Strict({ day: Type.String({ maxLength: 10, description: 'YYYY-MM-DD' }) }),
      body: Strict({ kind: DayKindSchema, name: Type.Optional(Nullable(Type.String({ maxLength: 50 }))) }),
      response: { 200: CalendarDay },
    },
    handler: async (req) => calendar.setDay(req.params.day, req.body.kind, req.body.name ?? null, req.auth?.personId ?? null),
  });

  app.put('/api/calendar/working-periods', {
    config: { access: 'settings.write' },
    schema: {
      tags: ['calendar'],
      summary: 'Replace the daily working periods (sorted, not overlapping) and the 工作日 mode (audited)',
      body: Strict({ periods: Type.Array(Period, { maxItems: 24 }), workDayMode: Type.Optional(WorkDayModeSchema) }),
      response: { 200: WorkingPeriods },
    },
    handler: async (req) => calendar.setWorkingPeriods(req.body.periods, req.body.workDayMode, req.auth?.personId ?? null),
  });

  app.post('/api/calendar/deadline', {
    config: { access: 'authenticated' },
    schema: {
      tags: ['calendar'],
      summary: 'Compute a deadline: start + limit over the working calendar, less pauses (挂账), plus extensions (延期)',
      body: Strict({
        start: Type.String({ maxLength: 40, description: 'ISO 8601; without a zone, the city’s local time' }),
        limit: TimeLimitSchema,
        now: Type.Optional(Type.String({ maxLength: 40, description: 'when to measure the elapsed time (default: now)' })),
        pauses: Type.Optional(
          Type.Array(Strict({ start: Type.String({ maxLength: 40 }), end: Nullable(Type.String({ maxLength: 40 })) }), { maxItems: 100 }),
        ),
        extensions: Type.Optional(Type.Array(TimeLimitSchema, { maxItems: 20 })),
      }),
      response: {
        200: Type.Object({
          timeZone: Type.String(),
          start: Type.String(),
          startLocal: Type.String(),
          deadline: Type.String(),
          deadlineLocal: Type.String(),
          limit: Type.Object({ value: Type.Number(), unit: Type.String(), timeType: Type.String() }),
          now: Type.String(),
          elapsedMin: Type.Number(),
          limitMin: Type.Number(),
          remainingMin: Type.Number(),
          ratio: Type.Number({ description: 'elapsed / limit (超时倍数)' }),
          light: Type.String({ description: 'green < 80 % ≤ yellow < 100 % ≤ red' }),
        }),
      },
    },
    handler: async (req) => calendar.compute(req.body),
  });
}
