import type { GridCodeDigits, TimeLimit } from '@cityloop/shared';
import { sql } from 'kysely';
import type { Context } from '../../context.ts';
import { PHASE_LIMITS, type PhaseLimitKey } from '../workflow/workflow.definitions.ts';

/** City-wide settings stored in the database (they travel with the data, not the process). */
export interface CitySettings {
  /** City name shown in the console. */
  cityName: string;
  /** 6-digit GB/T 2260 division code of the city. */
  cityCode: string;
  /** Unit grid code length: 14 (CJ/T 213) or 15 (GB/T 30428.1). */
  gridCodeDigits: GridCodeDigits;
  /** Default coding edition for new classes and components. */
  edition: 'CJT214-2007' | 'GBT47678.5-2026';
  /** IANA time zone for periods and working hours. */
  timeZone: string;
  /** Map centre and zoom for the console. */
  mapCenter: [number, number];
  mapZoom: number;
  /** Open cases of the same class this close (metres) are offered as duplicates at intake. */
  duplicateRadiusM: number;
  /**
   * Time limits of the centre's phases (受理, 核实, 立案, 派遣, 发核查, 核查, 结案). A centre staffed
   * around the clock counts them in natural time. A change applies to phases started after it.
   */
  phaseLimits: Record<PhaseLimitKey, TimeLimit>;
  /** Days after 结案 in which a public reporter may say 未解决 (not fixed), which reopens the case for review. */
  publicFeedbackDays: number;
}

export const DEFAULT_SETTINGS: CitySettings = {
  cityName: 'CityLoop',
  cityCode: '000000',
  gridCodeDigits: 15,
  edition: 'CJT214-2007',
  timeZone: 'Asia/Shanghai',
  mapCenter: [116.397, 39.908],
  mapZoom: 10,
  duplicateRadiusM: 50,
  phaseLimits: { ...PHASE_LIMITS },
  publicFeedbackDays: 7,
};

/**
 * Settings are read on hot paths (every report reads them more than once), so they are
 * cached: an edit through this process applies at once, one made by another server
 * process within SETTINGS_CACHE_TTL_MS.
 */
export const SETTINGS_CACHE_TTL_MS = 10_000;

export class SettingsService {
  #cache: { at: number; value: Promise<CitySettings> } | null = null;

  constructor(private readonly ctx: Context) {}

  get(): Promise<CitySettings> {
    if (!this.#cache || Date.now() - this.#cache.at > SETTINGS_CACHE_TTL_MS) {
      const value = this.load();
      // A failed read is not cached.
      value.catch(() => {
        if (this.#cache?.value === value) this.#cache = null;
      });
      this.#cache = { at: Date.now(), value };
    }
    return this.#cache.value.then((v) => ({ ...v }));
  }

  private async load(): Promise<CitySettings> {
    const rows = await this.ctx.db.selectFrom('citySetting').select(['key', 'value']).execute();
    const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const r of rows) out[r.key] = r.value;
    // A phase the city has not set keeps its default.
    out.phaseLimits = { ...PHASE_LIMITS, ...((out.phaseLimits as object | undefined) ?? {}) };
    return out as unknown as CitySettings;
  }

  async set(
    values: Partial<Omit<CitySettings, 'phaseLimits'>> & { phaseLimits?: Partial<CitySettings['phaseLimits']> },
    actorId: number | null,
  ): Promise<CitySettings> {
    const before = await this.get();
    if (values.phaseLimits) values = { ...values, phaseLimits: { ...before.phaseLimits, ...values.phaseLimits } };
    this.#cache = null;
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      await this.ctx.db
        .insertInto('citySetting')
        .values({ key, value: JSON.stringify(value) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updatedAt: sql`now()` }))
        .execute();
    }
    this.#cache = null;
    const after = await this.get();
    // Working-time arithmetic depends on the time zone.
    if (values.timeZone !== undefined) this.ctx.services.calendar.invalidate();
    await this.ctx.services.audit.record({ actorId, action: 'settings.update', entity: 'city_setting', entityId: null, before, after });
    return after;
  }
}
