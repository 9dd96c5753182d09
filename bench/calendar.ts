export { default } from '../apps/server/src/modules/calendar/calendar.bench.ts';
