import type { Kysely } from 'kysely';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { DB } from './db/schema.ts';
import { AuthService } from './modules/auth/auth.service.ts';
import { CalendarService } from './modules/calendar/calendar.service.ts';
import { CasesService } from './modules/cases/cases.service.ts';
import { CommandService } from './modules/command/command.service.ts';
import { ComponentsService } from './modules/components/components.service.ts';
import { DispatchService } from './modules/dispatch/dispatch.service.ts';
import { EvaluationService } from './modules/evaluation/evaluation.service.ts';
import { ExchangeService } from './modules/exchange/exchange.service.ts';
import { GeocodeService } from './modules/geocode/geocode.service.ts';
import { HotlineService } from './modules/hotline/hotline.service.ts';
import { MediaService } from './modules/media/media.service.ts';
import { OrgsService } from './modules/orgs/orgs.service.ts';
import { PatrolService } from './modules/patrol/patrol.service.ts';
import { PlatformService } from './modules/platform/platform.service.ts';
import { RealtimeService } from './modules/realtime/realtime.service.ts';
import { RegionsService } from './modules/regions/regions.service.ts';
import { StatisticsService } from './modules/statistics/statistics.service.ts';
import { AuditService } from './modules/system/audit.service.ts';
import { SettingsService } from './modules/system/settings.service.ts';
import { TaxonomyService } from './modules/taxonomy/taxonomy.service.ts';
import { WebhooksService } from './modules/webhooks/webhooks.service.ts';

/** What every module is handed: config, the database, and the other modules' services. */
export interface Context {
  config: Config;
  database: Database;
  db: Kysely<DB>;
  services: Services;
  /** The time every rule reads ("now"): the wall clock, or a controlled clock in simulations and tests. */
  now(): Date;
}

export interface Services {
  audit: AuditService;
  settings: SettingsService;
  auth: AuthService;
  orgs: OrgsService;
  regions: RegionsService;
  taxonomy: TaxonomyService;
  components: ComponentsService;
  geocode: GeocodeService;
  calendar: CalendarService;
  cases: CasesService;
  dispatch: DispatchService;
  webhooks: WebhooksService;
  media: MediaService;
  realtime: RealtimeService;
  evaluation: EvaluationService;
  statistics: StatisticsService;
  exchange: ExchangeService;
  hotline: HotlineService;
  platform: PlatformService;
  command: CommandService;
  patrol: PatrolService;
}

export function createContext(config: Config, database: Database, clock: () => Date = () => new Date()): Context {
  const ctx = { config, database, db: database.db, now: clock } as Context;
  ctx.services = {
    audit: new AuditService(ctx),
    settings: new SettingsService(ctx),
    auth: new AuthService(ctx),
    orgs: new OrgsService(ctx),
    regions: new RegionsService(ctx),
    taxonomy: new TaxonomyService(ctx),
    components: new ComponentsService(ctx),
    geocode: new GeocodeService(ctx),
    calendar: new CalendarService(ctx),
    cases: new CasesService(ctx),
    dispatch: new DispatchService(ctx),
    webhooks: new WebhooksService(ctx),
    media: new MediaService(ctx),
    realtime: new RealtimeService(ctx),
    evaluation: new EvaluationService(ctx),
    statistics: new StatisticsService(ctx),
    exchange: new ExchangeService(ctx),
    hotline: new HotlineService(ctx),
    platform: new PlatformService(ctx),
    command: new CommandService(ctx),
    patrol: new PatrolService(ctx),
  };
  return ctx;
}
