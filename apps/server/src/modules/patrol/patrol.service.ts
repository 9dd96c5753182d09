import type { CoordSys } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { forbidden, notFound, unprocessable } from '../../errors.ts';
import { toWgs84 } from '../../lib/coords.ts';
import type { Auth } from '../auth/auth.service.ts';
import { DAY_MS, isoToDay, Zone } from '../calendar/calendar.math.ts';
import { type Fix, PatrolRepository } from './patrol.repository.ts';

/** A fix may be this far ahead of the server's clock (phones' clocks drift) … */
export const MAX_AHEAD_MS = 5 * 60_000;
/** … and this old: a phone offline for a week sends its track when it comes back, not later. */
export const MAX_AGE_MS = 7 * 24 * 3_600_000;
/** The command map shows inspectors whose last fix is younger than this by default. */
export const DEFAULT_LAST_WINDOW_MIN = 12 * 60;

export interface FixInput {
  at: string;
  lng: number;
  lat: number;
  accuracy?: number;
  speed?: number;
  heading?: number;
}

const CENTRE_ROLES = ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor'];

/** 一日两巡: each beat grid is to be passed through this many times a day. */
export const DAILY_PASSES = 2;
/** Fixes in one grid further apart than this count as separate passes. */
export const PASS_GAP_MIN = 30;

/** 巡查: inspectors' positions while on duty, and the last one of each for the command map. */
export class PatrolService {
  readonly repo: PatrolRepository;
  constructor(private readonly ctx: Context) {
    this.repo = new PatrolRepository(ctx.db);
  }

  /**
   * Stores a batch of the caller's own fixes (client timestamps). Idempotent per (person, time):
   * a resent batch adds nothing. Every fix is checked before any is stored; a bad one refuses
   * the batch with the indexes of what is wrong.
   */
  async report(
    auth: Auth,
    input: { coordSys?: CoordSys; fixes: FixInput[] },
  ): Promise<{ received: number; stored: number; duplicates: number }> {
    if (auth.personId === null) throw forbidden('只有人员可以上报位置 / Only a person can report positions');
    const now = this.ctx.now().getTime();
    const problems: Array<{ index: number; problem: string }> = [];
    const byTime = new Map<number, Fix>();
    input.fixes.forEach((f, index) => {
      const at = Date.parse(f.at);
      if (Number.isNaN(at)) problems.push({ index, problem: 'at_invalid' });
      else if (at > now + MAX_AHEAD_MS) problems.push({ index, problem: 'at_in_future' });
      else if (at < now - MAX_AGE_MS) problems.push({ index, problem: 'at_too_old' });
      const [lng, lat] = toWgs84(f.lng, f.lat, input.coordSys ?? 'wgs84');
      // (0, 0) is a phone without a fix, not a place in the city.
      if (f.lng === 0 && f.lat === 0) problems.push({ index, problem: 'no_fix' });
      // Same time twice in one batch: the first one counts.
      if (!Number.isNaN(at) && !byTime.has(at)) {
        byTime.set(at, {
          at: new Date(at),
          lng,
          lat,
          accuracyM: f.accuracy ?? null,
          speedMps: f.speed ?? null,
          headingDeg: f.heading ?? null,
        });
      }
    });
    if (problems.length > 0) {
      throw unprocessable('patrol_fix_invalid', `位置数据无效 / Some fixes are invalid`, { problems });
    }
    const fixes = [...byTime.values()];
    const stored = await this.repo.insert(auth.personId, fixes);
    return { received: input.fixes.length, stored, duplicates: input.fixes.length - stored };
  }

  /** Each inspector's last position within `minutes`, in the caller's area. */
  async last(auth: Auth, minutes = DEFAULT_LAST_WINDOW_MIN) {
    const regionIds = this.#area(auth);
    const now = this.ctx.now();
    const items = await this.repo.last(new Date(now.getTime() - minutes * 60_000), regionIds);
    return { asOf: now, minutes, items };
  }
  /** The caller's area: null = the whole city, else the regions of its centre roles. */
  #area(auth: Auth): number[] | null {
    const centre = auth.roles.filter((r) => CENTRE_ROLES.includes(r.role));
    const city = centre.some((r) => r.scopeRegionId === null && r.scopeDepartmentId === null);
    return city ? null : centre.map((r) => r.scopeRegionId).filter((x): x is number => x !== null);
  }

  /**
   * One inspector's day (in the city's time zone): the track, and the coverage of the beat —
   * for each beat grid how many times it was passed through, against 一日两巡.
   */
  async day(auth: Auth, personId: number, day: string) {
    const d = isoToDay(day);
    if (d === null) throw unprocessable('patrol_day_invalid', `日期无效 / Not a date: ${day}`);
    const person = await this.ctx.db
      .selectFrom('person')
      .select(['id', 'username', 'name', 'departmentId'])
      .where('id', '=', personId)
      .executeTakeFirst();
    const area = this.#area(auth);
    if (!person || (area !== null && !(await this.repo.beatWithin(personId, area)))) {
      throw notFound('person_not_found', `人员 ${personId} 不存在或不在您的范围内 / No person ${personId} in your area`);
    }
    const zone = new Zone((await this.ctx.services.settings.get()).timeZone);
    const from = new Date(zone.toUtc(d * DAY_MS));
    const to = new Date(zone.toUtc((d + 1) * DAY_MS));
    const [track, passes, beat] = await Promise.all([
      this.repo.track(personId, from, to),
      this.repo.passes(personId, from, to, PASS_GAP_MIN),
      this.repo.beatGrids(personId),
    ]);
    const byGrid = new Map(passes.map((p) => [p.gridId, p]));
    const grids = beat.map((g) => {
      const p = byGrid.get(g.gridId);
      return {
        gridId: g.gridId,
        code: g.code,
        name: g.name,
        beatName: g.beatName,
        passes: p?.passes ?? 0,
        firstAt: p?.firstAt ?? null,
        lastAt: p?.lastAt ?? null,
        geometry: g.geometry,
      };
    });
    const inBeat = new Set(beat.map((g) => g.gridId));
    const visited = grids.filter((g) => g.passes > 0).length;
    const met = grids.filter((g) => g.passes >= DAILY_PASSES).length;
    return {
      person: { id: Number(person.id), username: person.username, name: person.name },
      day,
      from,
      to,
      fixes: track.fixes.map((f) => ({ at: f.at, lng: f.lng, lat: f.lat })),
      lengthM: Math.round(track.lengthM),
      firstAt: track.fixes[0]?.at ?? null,
      lastAt: track.fixes.at(-1)?.at ?? null,
      grids,
      coverage: {
        target: DAILY_PASSES,
        beatGrids: grids.length,
        visited,
        met,
        // No beat, no rate: "not applicable", never 0 % or 100 %.
        visitedRate: grids.length ? visited / grids.length : null,
        metRate: grids.length ? met / grids.length : null,
        outsideBeatGrids: passes.filter((p) => !inBeat.has(p.gridId)).length,
      },
    };
  }
}
