import crypto from 'node:crypto';
import type { CaseAction, CaseSource, CaseState, CoordSys, Edition, Role, TimeLimit, TimeType } from '@cityloop/shared';
import { TERMINAL_STATES } from '@cityloop/shared';
import { type Kysely, sql } from 'kysely';
import type { Context } from '../../context.ts';
import type { DB } from '../../db/schema.ts';
import { conflict, forbidden, notFound, unprocessable } from '../../errors.ts';
import { TtlCache } from '../../lib/ttl-cache.ts';
import { type Auth, publicCaller } from '../auth/auth.service.ts';
import { dayToIso } from '../calendar/calendar.math.ts';
import { scopeFacts } from '../realtime/realtime.scope.ts';
import { type Actor, WORKFLOW_DEFS, type WorkflowDef } from '../workflow/workflow.definitions.ts';
import { type ActionInput, allowedActions, decide } from '../workflow/workflow.engine.ts';
import { IntakeCommitter, type PendingCase } from './cases.intake.ts';
import { type CaseRow, CasesRepository, type Duplicate, type NewEvent } from './cases.repository.ts';

export interface ReportInput {
  source?: CaseSource;
  kind: 'component' | 'event';
  edition?: Edition;
  classCode: string;
  severity?: string;
  urgent?: boolean;
  description: string;
  location?: { lng: number; lat: number; coordSys?: CoordSys };
  address?: string;
  componentCode?: string;
  selfHandled?: boolean;
  idempotencyKey?: string;
  reporterContact?: { name?: string; phone?: string };
  /** Within the source: 12345 / 12319 for the hotline, the office for 上级交办, the outlet for media. */
  channel?: string;
  /** The other side's reference: hotline work-order number, instruction document number, article link. */
  sourceRef?: string;
  photos?: string[];
}

export interface ReportOptions {
  /** A public report: the hash of its tracking token. */
  publicTokenHash?: string;
  /** Filed by the platform above, which registered it already (两级平台): starts at 待派遣, with this note. */
  registeredUpstream?: string;
}

/** Which sources each role may report through. */
const SOURCES_BY_ROLE: Partial<Record<Role, readonly CaseSource[]>> = {
  inspector: ['inspector'],
  acceptor: ['hotline', 'leader', 'media', 'public'],
  // Other systems: sensors, video analysis, platforms, and the 12345/12319 hotline platform.
  machine: ['iot', 'video', 'system', 'hotline'],
  admin: ['hotline', 'leader', 'media', 'system'],
};

export interface CaseFilter {
  queue?: 'todo' | 'done' | 'all';
  state?: CaseState;
  classCode?: string;
  districtId?: number;
  departmentId?: number;
  componentId?: number;
  source?: CaseSource;
  overdue?: boolean;
  q?: string;
  from?: string;
  to?: string;
  /** 待办 of this one of the caller's roles only. */
  role?: Role;
  /** Cases waiting for dispatch (待派遣) carry the routing rules' suggestion. */
  suggest?: boolean;
  limit: number;
  offset: number;
}

const roleList = (auth: Auth) => auth.roles.map((r) => r.role);
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** Who files a public report: nobody logged in. */
const PUBLIC_REPORTER: Auth = publicCaller();

/**
 * Cases: intake from every channel, the transitions of the workflow engine with the
 * phase log, queues and timelines. Every transition writes the case row and its
 * case_event in one transaction, guarded by the case version.
 */
/** Log steps whose photos show the result of the disposal (处置后); the others' show the problem. */
const AFTER_PHOTO_ACTIONS = new Set(['feedback', 'check_pass', 'check_fail']);

export class CasesService {
  readonly repo: CasesRepository;
  /** Which workflow a class takes in a district: read on every report, cleared by (un)binding. */
  readonly #workflows = new TtlCache<string, 'standard' | 'flattened'>(10_000);
  readonly #intake: IntakeCommitter;
  constructor(private readonly ctx: Context) {
    this.repo = new CasesRepository(ctx.db);
    this.#intake = new IntakeCommitter(ctx, this.repo);
  }

  /** Group-commit counters (batches and reports written). */
  get intakeStats() {
    return this.#intake.stats;
  }

  // --- intake ------------------------------------------------------------------------

  /** Files a report. A retry with the same idempotency key returns the same case (created=false). */
  async report(
    auth: Auth,
    input: ReportInput,
    opts: ReportOptions = {},
  ): Promise<{ case: CaseRow & { duplicates: Duplicate[] }; created: boolean }> {
    const key = this.#idempotencyKey(auth, input, opts);
    // A retry is answered with the case its first attempt made. Without photos the commit step
    // finds a taken key itself (saving a round trip per report); photos are checked first,
    // because once attached to the case they would fail a retry's photo check.
    if (key && input.photos?.length) {
      const existing = await this.repo.idByIdempotencyKey(key);
      if (existing) return this.existingReport(existing);
    }
    let pending: PendingCase;
    try {
      pending = await this.prepareReport(auth, input, opts);
    } catch (err) {
      // A retry whose first attempt committed meanwhile (its photos are on that case now), or
      // since then (the class was disabled, a grid redrawn): it is answered with that case.
      const existing = key ? await this.repo.idByIdempotencyKey(key) : null;
      if (existing === null) throw err;
      return this.existingReport(existing);
    }
    const created = await this.#intake.commit(pending);
    if (created) return { case: created, created: true };
    // A retry (or a race with one): return the case that holds the key.
    const existing = key ? await this.repo.idByIdempotencyKey(key) : null;
    if (existing === null) throw new Error('case insert returned no row');
    return this.existingReport(existing);
  }

  /** A client's idempotency key, scoped by who reports (a person, an API key, or the public). */
  #idempotencyKey(auth: Auth, input: Pick<ReportInput, 'idempotencyKey'>, opts: { publicTokenHash?: string }): string | null {
    const identity = opts.publicTokenHash !== undefined ? 'public' : auth.personId !== null ? `p${auth.personId}` : `k${auth.apiKeyId}`;
    return input.idempotencyKey ? `${identity}:${input.idempotencyKey}` : null;
  }

  /**
   * Checks and places a report and builds its row and opening log without writing anything:
   * source allowed for the caller, class, location (coordinates, component or address → grid),
   * workflow and the first clocks. Throws the report's first problem as an AppError.
   */
  async prepareReport(auth: Auth, input: ReportInput, opts: ReportOptions = {}): Promise<PendingCase> {
    const isPublic = opts.publicTokenHash !== undefined;
    const key = this.#idempotencyKey(auth, input, opts);
    const roles = roleList(auth);
    const allowedSources: CaseSource[] = isPublic ? ['public'] : [...new Set(roles.flatMap((r) => SOURCES_BY_ROLE[r] ?? []))];
    const source = input.source ?? allowedSources[0];
    if (!source || !allowedSources.includes(source)) {
      throw forbidden(`不能以 ${input.source ?? '?'} 渠道上报 / Your roles may report through: ${allowedSources.join(', ') || 'none'}`);
    }
    if (input.selfHandled && source !== 'inspector') {
      throw unprocessable('self_handle_inspector_only', '只有监督员可以自处理 / Only inspectors report self-handled cases');
    }
    if (input.selfHandled && (!input.photos || input.photos.length < 2)) {
      throw unprocessable('case_fields_required', '自处理需要处置前后照片 / A self-handled report needs before and after photos', {
        missing: ['photos'],
      });
    }

    const settings = await this.ctx.services.settings.get();
    const edition = input.edition ?? settings.edition;
    const cls = await this.ctx.services.taxonomy.getClass(edition, input.kind, input.classCode);
    if (!cls || cls.level === 'major') {
      throw unprocessable(
        'class_not_found',
        `分类 ${input.classCode} 不存在或不是小类 / ${input.kind} class ${input.classCode} (${edition}) does not exist or is a major class`,
      );
    }
    if (!cls.active) throw unprocessable('class_disabled', `分类 ${cls.name} 已停用 / Class ${input.classCode} is disabled`);
    const severity = input.severity ?? 'normal';
    const disposalLimit = await this.ctx.services.taxonomy.disposalLimit(edition, input.kind, input.classCode, severity);
    const urgent = input.urgent === true || severity === 'urgent';

    // Where: coordinates, else the component's position, else a geocoded address.
    let component: { id: number; lng: number; lat: number; maintainerDepartmentId: number | null; address: string | null } | null = null;
    if (input.componentCode) {
      const c = await this.ctx.services.components.getByCode(input.componentCode).catch(() => null);
      if (!c)
        throw unprocessable('component_not_found', `部件 ${input.componentCode} 不存在 / Component ${input.componentCode} does not exist`);
      component = c;
    }
    let point: { lng: number; lat: number; coordSys: CoordSys } | null = input.location
      ? { lng: input.location.lng, lat: input.location.lat, coordSys: input.location.coordSys ?? 'wgs84' }
      : component
        ? { lng: component.lng, lat: component.lat, coordSys: 'wgs84' }
        : null;
    let address = input.address ?? component?.address ?? null;
    if (!point && input.address) {
      const [hit] = await this.ctx.services.geocode.search(input.address, { limit: 1 });
      if (!hit) throw unprocessable('address_not_found', `找不到地址 ${input.address} / No place matches the address "${input.address}"`);
      point = { lng: hit.lng, lat: hit.lat, coordSys: 'wgs84' };
      address = hit.fullAddress;
    }
    if (!point)
      throw unprocessable('case_location_required', '请提供坐标、地址或部件编码 / Give coordinates, an address or a component code', {
        missing: ['location'],
      });
    const located = await this.ctx.services.regions.tryLocate(point.lng, point.lat, point.coordSys);
    if (!located) {
      throw unprocessable('location_outside_city', `位置不在城市网格内 / The location is not in any unit grid of the city`, point);
    }
    const [lng, lat] = located.point;

    // Self-handled reports are reviewed by the centre whatever the class's workflow.
    const workflow = input.selfHandled
      ? 'standard'
      : await this.#workflows.get(`${edition}/${input.kind}/${input.classCode}/${located.district?.id ?? ''}`, () =>
          this.repo.workflowFor(edition, input.kind, input.classCode, located.district?.id ?? null),
        );
    const def = WORKFLOW_DEFS[workflow];
    const now = this.ctx.now();
    const actorRole = roles.find((r) => SOURCES_BY_ROLE[r]?.includes(source)) ?? roles[0] ?? null;

    // The first state: self-handled → review; flattened → auto-registered and auto-dispatched.
    let state: CaseState = input.selfHandled ? 'self_review' : 'reported';
    let departmentId: number | null = null;
    const events: NewEvent[] = [];
    const ev = (e: Partial<NewEvent> & Pick<NewEvent, 'action' | 'toState' | 'phase'>): NewEvent => ({
      fromState: null,
      actorId: null,
      actorRole: null,
      departmentId: null,
      startedAt: now,
      endedAt: now,
      deadlineAt: null,
      timeType: null,
      onTime: null,
      note: null,
      payload: {},
      ...e,
    });
    events.push(
      ev({
        action: 'report',
        toState: state,
        phase: 'report',
        actorId: auth.personId,
        actorRole,
        note: input.description,
        payload: { source, photos: input.photos ?? [], apiKeyId: auth.apiKeyId, selfHandled: input.selfHandled ?? false },
      }),
    );
    if (workflow === 'flattened' && !input.selfHandled) {
      events.push(
        // Automatic steps are logged (actor 'system') but not timed: a role that was skipped is N/A, not 100 %.
        ev({ action: 'auto_register', fromState: 'reported', toState: 'registered', phase: 'register', actorRole: 'system' }),
      );
      // Automatic dispatch by the routing rules (component maintainer, class × region, street office).
      const suggestion = await this.ctx.services.dispatch.suggest({
        edition,
        kind: input.kind,
        classCode: input.classCode,
        gridId: located.grid.id,
        streetId: located.street?.id ?? null,
        districtId: located.district?.id ?? null,
        componentId: component?.id ?? null,
      });
      departmentId = suggestion.kind === 'department' ? suggestion.department.id : null;
      state = departmentId ? 'dispatched' : 'coordination';
      events.push(
        ev({
          action: departmentId ? 'auto_dispatch' : 'to_coordination',
          fromState: 'registered',
          toState: state,
          phase: 'dispatch',
          actorRole: 'system',
          departmentId,
          note: suggestion.explanation,
          payload:
            suggestion.kind === 'department' ? { via: suggestion.via, ruleId: suggestion.rule?.id ?? null } : { reason: suggestion.reason },
        }),
      );
    } else if (opts.registeredUpstream && !input.selfHandled) {
      // Received from the city platform, which accepted and registered it: it waits for our dispatch.
      events.push(
        ev({
          action: 'auto_register',
          fromState: 'reported',
          toState: 'registered',
          phase: 'register',
          actorRole: 'system',
          note: opts.registeredUpstream,
        }),
      );
      state = 'registered';
    }
    const clock = await this.clockFor(def, state, now, { disposalLimit, urgent, pauses: [] });
    const photos = input.photos ?? [];
    if (photos.length > 0) await this.ctx.services.media.assertUsable(auth, photos, null);

    const phase = def.states[state]?.phase ?? 'receive';
    return {
      day: dayToIso((await this.ctx.services.calendar.load()).localDay(now.getTime())),
      row: {
        source,
        workflow,
        kind: input.kind,
        edition,
        classCode: input.classCode,
        severity,
        urgent,
        description: input.description,
        address,
        lng,
        lat,
        gridId: located.grid.id,
        communityId: located.community?.id ?? null,
        streetId: located.street?.id ?? null,
        districtId: located.district?.id ?? null,
        componentId: component?.id ?? null,
        state,
        phase,
        phaseStartedAt: now,
        phaseDeadline: clock.phaseDeadline,
        phaseTimeType: clock.phaseTimeType,
        departmentId,
        disposalLimit,
        disposalStartedAt: clock.disposalStarted,
        disposalDeadline: clock.disposalDeadline,
        selfHandled: input.selfHandled ?? false,
        reporterId: auth.personId,
        reporterContact: input.reporterContact ?? null,
        channel: input.channel ?? null,
        sourceRef: input.sourceRef ?? null,
        apiKeyId: auth.apiKeyId,
        idempotencyKey: key,
        publicTokenHash: opts.publicTokenHash ?? null,
        createdAt: now,
        updatedAt: now,
      },
      events,
      photos,
    };
  }

  /**
   * Writes prepared reports all together or not at all (one transaction), for imports: returns
   * each report's row by position, or null where its idempotency key was already taken.
   */
  async fileTogether(pending: PendingCase[]): Promise<Array<CaseRow | null>> {
    return this.#intake.writeTogether(pending);
  }

  private async existingReport(id: number) {
    const row = (await this.repo.get(id)) as CaseRow;
    return { case: { ...row, duplicates: await this.duplicatesOf(row) }, created: false };
  }

  /**
   * An anonymous report from the public channel. Returns the case number and a tracking
   * token (shown once; only its hash is kept) to follow the case without an account.
   */
  async reportPublic(input: Omit<ReportInput, 'source' | 'selfHandled' | 'urgent' | 'componentCode'> & { uploadToken?: string }) {
    const { uploadToken, ...fields } = input;
    // Anonymous photos belong to the upload token they were sent with: presenting it proves
    // ownership (media.assertUsable). They become public, EXIF-stripped, as they join the case.
    let reporter = PUBLIC_REPORTER;
    if (fields.photos?.length) {
      if (!uploadToken)
        throw unprocessable('media_upload_token_required', '附带照片须提供上传凭证 / Photos need their uploadToken', {
          missing: ['uploadToken'],
        });
      reporter = publicCaller(sha256(uploadToken));
    }
    const token = crypto.randomBytes(18).toString('base64url');
    const { case: c, created } = await this.report(reporter, { ...fields, source: 'public' }, { publicTokenHash: sha256(token) });
    return { number: c.number, state: c.state, createdAt: c.createdAt, created, ...(created ? { token } : {}) };
  }

  /** The public case behind a number and its tracking code; 404 alike for a wrong number or code. */
  async #publicCase(number: string, token: string): Promise<CaseRow> {
    const row = await this.ctx.db.selectFrom('caseFile').select(['id', 'publicTokenHash']).where('number', '=', number).executeTakeFirst();
    if (!row?.publicTokenHash || row.publicTokenHash !== sha256(token)) {
      throw notFound('case_not_found', `案卷 ${number} 不存在或查询码不正确 / No case ${number} with this tracking code`);
    }
    return (await this.repo.get(row.id)) as CaseRow;
  }

  /** Until when the reporter of a closed case may say 未解决 (city setting publicFeedbackDays after the close). */
  async #reopenUntil(c: CaseRow): Promise<{ days: number; until: Date } | null> {
    if (!c.closedAt) return null;
    const { publicFeedbackDays } = await this.ctx.services.settings.get();
    return { days: publicFeedbackDays, until: new Date(new Date(c.closedAt).getTime() + publicFeedbackDays * 86_400_000) };
  }

  /** What the public may see of a case it reported: status and milestones, no names or phone numbers. */
  async publicStatus(number: string, token: string) {
    const c = await this.#publicCase(number, token);
    const log = await this.repo.timeline(c.id);
    const feedback = await this.repo.publicFeedback(c.id);
    const rating = feedback.find((f) => f.kind === 'rating');
    const notFixed = feedback.find((f) => f.kind === 'not_fixed');
    const window = c.state === 'closed' ? await this.#reopenUntil(c) : null;
    // The photos shown publicly (EXIF-stripped): the reporter's own, and the department's
    // after-photos (published when the case closes).
    const photos = await this.ctx.services.media.listPublicForCase(c.id);
    const reported = new Set((log.find((e) => e.action === 'report')?.payload as { photos?: string[] } | null)?.photos ?? []);
    // The class's own name, for a case the centre filed under a class the public list does not have.
    const cls = await this.ctx.services.taxonomy.getClass(c.edition as Edition, c.kind, c.classCode);
    return {
      number: c.number,
      state: c.state,
      kind: c.kind,
      classCode: c.classCode,
      className: cls?.name ?? null,
      description: c.description,
      address: c.address,
      location: { lng: c.lng, lat: c.lat },
      createdAt: c.createdAt,
      closedAt: c.closedAt,
      milestones: log
        .filter((e) => e.phase !== 'supervise')
        .map((e) => ({ action: e.action, phase: e.phase, state: e.toState, at: e.endedAt })),
      photos: photos.filter((p) => reported.has(p.id)),
      afterPhotos: photos.filter((p) => !reported.has(p.id)),
      rating: rating ? { stars: rating.stars as number, comment: rating.comment, at: rating.createdAt } : null,
      notFixed: notFixed ? { reason: notFixed.comment, at: notFixed.createdAt } : null,
      canRate: c.state === 'closed' && !rating,
      canReopen: c.state === 'closed' && !notFixed && window !== null && window.until.getTime() > this.ctx.now().getTime(),
      reopenUntil: window && !notFixed ? window.until : null,
    };
  }

  /**
   * The reporter's satisfaction with a closed case (1–5 stars, an optional comment), once: the
   * case stays closed; the rating is logged (action `rate`) and stored in one transaction.
   */
  async ratePublic(number: string, token: string, input: { stars: number; comment?: string }) {
    const c = await this.#publicCase(number, token);
    const alreadyRated = () => conflict('case_already_rated', '您已评价过此案卷 / You have rated this case already; a case is rated once');
    if ((await this.repo.publicFeedback(c.id)).some((f) => f.kind === 'rating')) throw alreadyRated();
    if (c.state !== 'closed' || !c.closedAt) {
      throw conflict('case_not_closed', '案卷尚未结案，结案后才能评价 / The case is not closed yet; rate it once it is closed', {
        state: c.state,
      });
    }
    const closedAt = new Date(c.closedAt);
    await this.#transition(
      PUBLIC_REPORTER,
      ['public'],
      c,
      'rate',
      { stars: input.stars, note: input.comment, version: c.version },
      async (db) => {
        const ok = await this.repo.insertPublicFeedback(
          { caseId: c.id, kind: 'rating', stars: input.stars, comment: input.comment ?? null, closedAt },
          db,
        );
        if (!ok) throw alreadyRated();
      },
    );
    return this.publicStatus(number, token);
  }

  /**
   * 未解决: the reporter says a closed case is not fixed, with a reason, within the city's
   * publicFeedbackDays of the close and once per case. The case is reopened for the centre's
   * review (action `reopen` → state reopened, in the acceptor's and shift leader's 待办).
   */
  async reopenPublic(number: string, token: string, input: { reason: string }) {
    const c = await this.#publicCase(number, token);
    const alreadyReopened = () =>
      conflict(
        'case_already_reopened',
        '您已反映过未解决，案卷已交复核 / You have said this case is not fixed already; it went back for review once',
      );
    if (c.state === 'reopened' || (await this.repo.publicFeedback(c.id)).some((f) => f.kind === 'not_fixed')) throw alreadyReopened();
    if (c.state !== 'closed' || !c.closedAt) {
      throw conflict(
        'case_not_closed',
        '案卷尚未结案，结案后才能反映未解决 / The case is not closed yet; say it is not fixed once it is closed',
        { state: c.state },
      );
    }
    const window = (await this.#reopenUntil(c)) as { days: number; until: Date };
    if (this.ctx.now().getTime() > window.until.getTime()) {
      throw conflict(
        'reopen_window_passed',
        `结案已超过 ${window.days} 天，不能再反映未解决，请重新上报 / More than ${window.days} days have passed since the case was closed; report the problem again instead`,
        { closedAt: c.closedAt, days: window.days, until: window.until },
      );
    }
    const closedAt = new Date(c.closedAt);
    await this.#transition(PUBLIC_REPORTER, ['public'], c, 'reopen', { reason: input.reason, version: c.version }, async (db) => {
      const ok = await this.repo.insertPublicFeedback(
        { caseId: c.id, kind: 'not_fixed', stars: null, comment: input.reason, closedAt },
        db,
      );
      if (!ok) throw alreadyReopened();
    });
    return this.publicStatus(number, token);
  }

  /** Makes the after-photos of the case's latest 处置反馈 public (served EXIF-stripped), in the closing transaction. */
  async #publishAfterPhotos(caseId: number, db: Kysely<DB>): Promise<void> {
    const fb = await this.repo.lastEvent(caseId, 'feedback', db);
    const photos = (fb?.payload.photos as string[] | undefined) ?? [];
    if (photos.length > 0) await this.ctx.services.media.setPublic(photos, true, db);
  }

  /**
   * Binds a class (minor, 2-digit major, or null = every class of the kind) in a district
   * (or city-wide) to a workflow. Applies to new cases only; cases keep the workflow they started in.
   */
  async bindWorkflow(
    b: {
      edition: string;
      kind: 'component' | 'event';
      classCode: string | null;
      districtId: number | null;
      workflow: 'standard' | 'flattened';
    },
    actorId: number | null,
  ) {
    if (b.classCode && b.classCode.length > 2 && !(await this.ctx.services.taxonomy.getClass(b.edition as Edition, b.kind, b.classCode))) {
      throw unprocessable('class_not_found', `分类 ${b.classCode} 不存在 / Class ${b.classCode} does not exist`);
    }
    if (b.districtId) {
      const d = await this.ctx.db
        .selectFrom('region')
        .select('level')
        .where('id', '=', b.districtId)
        .where('validTo', 'is', null)
        .executeTakeFirst();
      if (d?.level !== 'district')
        throw unprocessable('district_not_found', `区 ${b.districtId} 不存在 / District ${b.districtId} is not a current district`);
    }
    const existing = await this.ctx.db
      .selectFrom('workflowBinding')
      .select('id')
      .where('edition', '=', b.edition)
      .where('kind', '=', b.kind)
      .where((eb) => (b.classCode ? eb('classCode', '=', b.classCode) : eb('classCode', 'is', null)))
      .where((eb) => (b.districtId ? eb('districtId', '=', b.districtId) : eb('districtId', 'is', null)))
      .executeTakeFirst();
    if (existing)
      throw conflict(
        'workflow_binding_exists',
        `已有相同范围的绑定 #${existing.id} / A binding for this class and district exists (#${existing.id})`,
      );
    const row = await this.ctx.db.insertInto('workflowBinding').values(b).returningAll().executeTakeFirstOrThrow();
    this.#workflows.clear();
    await this.ctx.services.audit.record({ actorId, action: 'workflow.bind', entity: 'workflow_binding', entityId: row.id, after: row });
    return row;
  }

  async unbindWorkflow(id: number, actorId: number | null) {
    const row = await this.ctx.db.deleteFrom('workflowBinding').where('id', '=', id).returningAll().executeTakeFirst();
    this.#workflows.clear();
    if (!row) throw notFound('workflow_binding_not_found', `绑定 ${id} 不存在 / Binding ${id} does not exist`);
    await this.ctx.services.audit.record({ actorId, action: 'workflow.unbind', entity: 'workflow_binding', entityId: id, before: row });
  }

  /** Open cases of the same class nearby (city setting duplicateRadiusM, default 50 m) or on the same component. */
  async duplicatesOf(c: CaseRow) {
    if (TERMINAL_STATES.includes(c.state as CaseState)) return [];
    const { duplicateRadiusM } = await this.ctx.services.settings.get();
    return (await this.repo.duplicatesOfCases([c.id], duplicateRadiusM)).get(c.id) ?? [];
  }

  // --- transitions ---------------------------------------------------------------------

  /** Takes an action on a case at the given version; the loser of a race gets 409. */
  async act(auth: Auth, id: number, action: CaseAction, input: ActionInput & { version: number }): Promise<CaseRow> {
    const c = await this.getVisible(auth, id);
    return this.#transition(auth, roleList(auth), c, action, input);
  }

  /**
   * Moves a case the caller may see through one transition of its workflow: the case row, its
   * phase-log row and `inTx` (what else the action writes) in one transaction.
   */
  async #transition(
    auth: Auth,
    roles: readonly Actor[],
    c: CaseRow,
    action: CaseAction,
    input: ActionInput & { version: number },
    inTx?: (db: Kysely<DB>) => Promise<void>,
  ): Promise<CaseRow> {
    const id = c.id;
    // A stale version first: whatever else is wrong, the caller acted on a case that has changed.
    if (input.version !== c.version) {
      throw conflict(
        'case_version_conflict',
        `案卷已被他人更新（当前版本 ${c.version}），请刷新后重试 / The case changed meanwhile (now version ${c.version}); reload and retry`,
        { version: c.version },
      );
    }
    const def = WORKFLOW_DEFS[c.workflow];
    const { transition, role, to } = decide(def, { state: c.state as CaseState, pendingRequest: c.pendingRequest }, action, roles, input);
    await this.assertActScope(auth, role, c, action);

    const now = this.ctx.now();
    const patch: Record<string, unknown> = { state: to };
    let pauses = c.pauses;
    const payload: Record<string, unknown> = {};
    if (input.photos) payload.photos = input.photos;
    let mergeInto: CaseRow | null = null;

    // What the action does beyond moving the state.
    switch (action) {
      case 'dispatch': {
        const dept = input.departmentId as number;
        if (!(await this.repo.departmentActive(dept))) {
          throw unprocessable('department_not_found', `部门 ${dept} 不存在或已停用 / Department ${dept} does not exist or is inactive`);
        }
        // 二级指挥: a district command centre dispatches within its district, to its departments.
        const check = await this.ctx.services.dispatch.checkDispatch(auth, c, dept, {
          edition: c.edition as Edition,
          kind: c.kind,
          classCode: c.classCode,
        });
        if (!check.allowed) {
          throw forbidden(`不能派遣到该部门（${check.reason}）/ You may not dispatch this case to department ${dept} (${check.reason})`);
        }
        patch.departmentId = dept;
        break;
      }
      case 'merge': {
        const target = await this.getVisible(auth, input.intoCaseId as number);
        if (target.id === c.id || TERMINAL_STATES.includes(target.state as CaseState)) {
          throw unprocessable(
            'merge_target_invalid',
            `只能合并到另一个未结案卷 / A report merges into another open case (case ${target.number} is ${target.state})`,
          );
        }
        patch.mergedIntoId = target.id;
        payload.intoCaseId = target.id;
        payload.intoNumber = target.number;
        mergeInto = target;
        break;
      }
      case 'check_fail':
        patch.reworkCount = c.reworkCount + 1;
        break;
      case 'close_reject':
        patch.reworkCount = c.reworkCount + 1;
        break;
      case 'close':
        patch.archiveType = input.archiveType;
        patch.closedAt = now;
        break;
      case 'self_approve':
        patch.archiveType = 'normal';
        patch.closedAt = now;
        break;
      case 'return_request':
      case 'postpone_request':
      case 'suspend_request':
        patch.pendingRequest = {
          type: transition.request,
          reason: input.reason,
          by: auth.personId,
          at: now.toISOString(),
          ...(input.extension ? { extension: input.extension } : {}),
        };
        break;
      case 'request_reject':
        patch.pendingRequest = null;
        payload.rejected = c.pendingRequest;
        break;
      case 'return_approve':
        patch.pendingRequest = null;
        patch.departmentId = null;
        patch.returnCount = c.returnCount + 1;
        patch.disposalStartedAt = null;
        patch.disposalDeadline = null;
        payload.request = c.pendingRequest;
        break;
      case 'postpone_approve': {
        patch.pendingRequest = null;
        patch.postponeCount = c.postponeCount + 1;
        const ext = c.pendingRequest?.extension as { value: number; unit: 'minute' | 'hour' | 'day' };
        const limit = c.disposalLimit as TimeLimit;
        const from = c.disposalDeadline ?? now;
        patch.disposalDeadline = await this.ctx.services.calendar.deadline(new Date(from), {
          ...ext,
          timeType: c.urgent ? 'urgent' : limit.timeType,
        });
        payload.request = c.pendingRequest;
        payload.deadlineBefore = c.disposalDeadline;
        payload.deadlineAfter = patch.disposalDeadline;
        break;
      }
      case 'suspend_approve':
        patch.pendingRequest = null;
        patch.pausedSince = now;
        payload.request = c.pendingRequest;
        break;
      case 'resume': {
        pauses = [...c.pauses, { start: new Date(c.pausedSince ?? now).toISOString(), end: now.toISOString() }];
        patch.pauses = pauses;
        patch.pausedSince = null;
        break;
      }
      case 'supervise':
        patch.superviseCount = c.superviseCount + 1;
        break;
      case 'rate':
        payload.stars = input.stars;
        if (input.note) payload.comment = input.note;
        break;
      case 'reopen':
        // The case is open again; the close it objects to stays in the log (and in the payload).
        patch.closedAt = null;
        patch.archiveType = null;
        payload.closedAt = c.closedAt;
        payload.archiveType = c.archiveType;
        break;
      case 'review_close': {
        // The close stands, confirmed now, with the archive type it had (logged by the reopen).
        const reopened = await this.repo.lastEvent(c.id, 'reopen');
        patch.closedAt = now;
        patch.archiveType = (reopened?.payload.archiveType as string | undefined) ?? 'normal';
        payload.archiveType = patch.archiveType;
        payload.closedBefore = reopened?.payload.closedAt ?? null;
        break;
      }
      case 'review_rework':
        if (c.departmentId === null) {
          throw unprocessable(
            'case_no_department',
            '该案卷没有处置部门，请重新派遣 / The case has no department to rework it; send it back for dispatch instead',
          );
        }
        patch.reworkCount = c.reworkCount + 1;
        patch.archiveType = null;
        break;
      case 'review_redispatch':
        patch.departmentId = null;
        patch.archiveType = null;
        patch.disposalStartedAt = null;
        patch.disposalDeadline = null;
        break;
    }

    // Clocks: a new state starts its phase clock; dispatch (and rework) starts the disposal clock.
    const stateChanged = to !== c.state;
    if (stateChanged) {
      patch.phase = def.states[to]?.phase ?? c.phase;
      patch.phaseStartedAt = now;
      const startsDisposal =
        (to === 'dispatched' && !['handling'].includes(c.state)) || action === 'check_fail' || action === 'review_rework';
      const clock = await this.clockFor(def, to, now, {
        disposalLimit: c.disposalLimit as TimeLimit,
        urgent: c.urgent,
        pauses,
        disposalStarted: startsDisposal ? null : c.disposalStartedAt,
        disposalDeadline: startsDisposal ? null : ((patch.disposalDeadline as Date | undefined) ?? c.disposalDeadline),
      });
      patch.phaseDeadline = clock.phaseDeadline;
      patch.phaseTimeType = clock.phaseTimeType;
      if (startsDisposal || action === 'resume') {
        patch.disposalStartedAt = clock.disposalStarted;
        patch.disposalDeadline = clock.disposalDeadline;
      }
      if (TERMINAL_STATES.includes(to)) {
        patch.phaseDeadline = null;
        patch.phaseTimeType = null;
      }
    } else if (action === 'postpone_approve' && ['dispatched', 'handling'].includes(c.state)) {
      patch.phaseDeadline = patch.disposalDeadline;
    }

    // The phase this action completes, and whether it was done in time.
    const inDisposal = transition.phase === 'dispose';
    const startedAt = inDisposal ? (c.disposalStartedAt ?? c.phaseStartedAt) : c.phaseStartedAt;
    const deadlineAt = inDisposal ? c.disposalDeadline : c.phaseDeadline;
    const timeType = inDisposal
      ? c.urgent
        ? 'urgent'
        : ((c.disposalLimit as TimeLimit | null)?.timeType ?? null)
      : (c.phaseTimeType ?? (c.urgent ? 'urgent' : 'work'));
    const event: NewEvent = {
      action,
      fromState: c.state,
      toState: to,
      phase: transition.phase,
      actorId: auth.personId,
      actorRole: role,
      departmentId: (patch.departmentId as number | undefined) ?? c.departmentId ?? auth.departmentId,
      startedAt: new Date(startedAt),
      endedAt: now,
      deadlineAt: deadlineAt ? new Date(deadlineAt) : null,
      timeType,
      onTime: deadlineAt ? now.getTime() <= new Date(deadlineAt).getTime() : null,
      note: input.note ?? input.reason ?? null,
      payload: { ...payload, ...(input.archiveType ? { archiveType: input.archiveType } : {}) },
    };

    const photos = input.photos ?? [];
    if (photos.length > 0) await this.ctx.services.media.assertUsable(auth, photos, c.id);

    const ok = await this.ctx.database.transaction(async (tx) => {
      let target: CaseRow | null = null;
      if (mergeInto) {
        // Both cases are locked in id order (two reports merged into each other at once must not
        // deadlock), and the target is read again under the lock: it may have moved or closed
        // since it was checked, and its log must record the state it is really in.
        await this.repo.lockCases([id, mergeInto.id], tx.db);
        target = await this.repo.get(mergeInto.id, tx.db);
        if (!target || TERMINAL_STATES.includes(target.state as CaseState) || target.mergedIntoId !== null) {
          throw unprocessable(
            'merge_target_invalid',
            `只能合并到另一个未结案卷 / A report merges into another open case (case ${mergeInto.number} is ${target?.state ?? 'gone'})`,
          );
        }
      }
      if (!(await this.repo.update(id, c.version, { ...patch, updatedAt: now }, tx.db))) return false;
      if (photos.length > 0) await this.ctx.services.media.attach(photos, id, tx.db);
      await this.repo.appendEvent(id, event, tx.db);
      if (inTx) await inTx(tx.db);
      // A public report's after-photos are shown to its reporter once it is closed (EXIF-stripped).
      if (to === 'closed' && c.source === 'public') await this.#publishAfterPhotos(id, tx.db);
      if (target) {
        // The target's log records the linked report; its phase clock is untouched.
        await this.repo.touch(target.id, now, tx.db);
        await this.repo.appendEvent(
          target.id,
          {
            ...event,
            action: 'merge',
            fromState: target.state,
            toState: target.state,
            startedAt: now,
            deadlineAt: null,
            onTime: null,
            note: `合并报告 ${c.number} / Report ${c.number} merged in`,
            payload: { mergedCaseId: c.id, mergedNumber: c.number, source: c.source },
          },
          tx.db,
        );
      }
      await this.ctx.services.realtime.publishInTx(tx.db, {
        type: 'case.updated',
        caseId: id,
        state: to,
        phase: (patch.phase as string | undefined) ?? c.phase,
        ...scopeFacts(c),
        departmentId: 'departmentId' in patch ? (patch.departmentId as number | null) : c.departmentId,
        departmentIds: await this.repo.departmentsOf(id, tx.db),
        at: now,
      });
      return true;
    });
    if (!ok) {
      throw conflict('case_version_conflict', '案卷已被他人更新，请刷新后重试 / The case changed meanwhile; reload and retry');
    }
    return (await this.repo.get(id)) as CaseRow;
  }

  /**
   * Deadlines of the state being entered: its phase limit (the city's phaseLimits setting), or
   * the disposal clock; and the time type that clock counts in, kept on the case.
   */
  private async clockFor(
    def: WorkflowDef,
    state: CaseState,
    now: Date,
    c: {
      disposalLimit: TimeLimit;
      urgent: boolean;
      pauses: Array<{ start: string; end: string }>;
      disposalStarted?: Date | null;
      disposalDeadline?: Date | null;
    },
  ): Promise<{
    phaseDeadline: Date | null;
    phaseTimeType: TimeType | null;
    disposalStarted: Date | null;
    disposalDeadline: Date | null;
  }> {
    const sd = def.states[state];
    const asUrgent = (l: TimeLimit): TimeLimit => (c.urgent ? { ...l, timeType: 'urgent' } : l);
    if (!sd || sd.limit === null)
      return {
        phaseDeadline: null,
        phaseTimeType: null,
        disposalStarted: c.disposalStarted ?? null,
        disposalDeadline: c.disposalDeadline ?? null,
      };
    if (sd.limit === 'disposal') {
      const limit = asUrgent(c.disposalLimit);
      if (c.disposalStarted && c.disposalDeadline) {
        // The clock runs on from dispatch; time spent suspended is added back.
        const pauses = c.pauses.map((p) => ({ start: new Date(p.start), end: new Date(p.end) }));
        const deadline = pauses.length
          ? await this.ctx.services.calendar.deadline(new Date(c.disposalStarted), limit, pauses)
          : new Date(c.disposalDeadline);
        return {
          phaseDeadline: deadline,
          phaseTimeType: limit.timeType,
          disposalStarted: new Date(c.disposalStarted),
          disposalDeadline: deadline,
        };
      }
      const deadline = await this.ctx.services.calendar.deadline(now, limit);
      return { phaseDeadline: deadline, phaseTimeType: limit.timeType, disposalStarted: now, disposalDeadline: deadline };
    }
    const limit = asUrgent((await this.ctx.services.settings.get()).phaseLimits[sd.limit]);
    return {
      phaseDeadline: await this.ctx.services.calendar.deadline(now, limit),
      phaseTimeType: limit.timeType,
      disposalStarted: c.disposalStarted ?? null,
      disposalDeadline: c.disposalDeadline ?? null,
    };
  }

  // --- scope and reads -------------------------------------------------------------------

  /** SQL conditions limiting cases to what this caller may see. */
  private async scopeConditions(auth: Auth): Promise<ReturnType<typeof sql>[] | null> {
    const unscoped = auth.roles.some(
      (r) =>
        ['admin', 'leader', 'acceptor', 'shiftlead', 'dispatcher'].includes(r.role) &&
        r.scopeRegionId === null &&
        r.scopeDepartmentId === null,
    );
    if (unscoped) return null;
    const ors: ReturnType<typeof sql>[] = [];
    for (const r of auth.roles) {
      if (r.scopeRegionId !== null) {
        const g = r.scopeRegionId;
        ors.push(sql`(c.district_id = ${g} OR c.street_id = ${g} OR c.community_id = ${g} OR c.grid_id = ${g})`);
      }
      if (r.role === 'handler' || r.role === 'dept_admin') {
        const dept = r.scopeDepartmentId ?? auth.departmentId ?? -1;
        ors.push(
          sql`(c.department_id = ${dept} OR EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = c.id AND e.department_id = ${dept}))`,
        );
      }
      if (r.role === 'inspector' && auth.personId !== null) {
        const grids = await this.repo.beatGridsOf(auth.personId);
        ors.push(sql`(c.reporter_id = ${auth.personId} OR c.grid_id = ANY(${grids}::bigint[]))`);
      }
      if (r.role === 'machine' && auth.apiKeyId !== null) ors.push(sql`c.api_key_id = ${auth.apiKeyId}`);
    }
    return ors.length > 0 ? [sql`(${sql.join(ors, sql` OR `)})`] : [sql`false`];
  }

  /** A case this caller may see, or 404 (not 403: other departments' cases are not disclosed). */
  async getVisible(auth: Auth, id: number): Promise<CaseRow> {
    const scope = await this.scopeConditions(auth);
    const c = await this.repo.get(id);
    if (c && scope) {
      const { items } = await this.repo.list([...scope, sql`c.id = ${id}`], 1, 0);
      if (items.length === 0) throw notFound('case_not_found', `案卷 ${id} 不存在 / Case ${id} does not exist`);
    }
    if (!c) throw notFound('case_not_found', `案卷 ${id} 不存在 / Case ${id} does not exist`);
    return c;
  }

  /** Departments act on their own cases; inspectors in their beats; district-scoped roles in their district. */
  private async assertActScope(auth: Auth, role: Actor, c: CaseRow, action: CaseAction) {
    const grant = auth.roles.find((r) => r.role === role);
    if (grant?.scopeRegionId) {
      const g = grant.scopeRegionId;
      if (![c.districtId, c.streetId, c.communityId, c.gridId].includes(g))
        throw forbidden('案卷不在您的辖区 / The case is outside your area');
    }
    if ((role === 'handler' || role === 'dept_admin') && action !== 'supervise') {
      const dept = grant?.scopeDepartmentId ?? auth.departmentId;
      if (c.departmentId === null || c.departmentId !== dept)
        throw forbidden('案卷不属于本部门 / The case is not assigned to your department');
    }
    if (role === 'inspector' && c.gridId !== null && auth.personId !== null && (await this.repo.gridHasBeat(c.gridId))) {
      const mine = await this.repo.beatGridsOf(auth.personId);
      if (!mine.includes(c.gridId)) throw forbidden('案卷不在您的责任网格 / The case is not in your beat');
    }
  }

  /** Cases with the actions this caller may take now. */
  async get(auth: Auth, id: number) {
    const c = await this.getVisible(auth, id);
    const def = WORKFLOW_DEFS[c.workflow];
    return {
      ...c,
      allowedActions: allowedActions(def, { state: c.state as CaseState, pendingRequest: c.pendingRequest }, roleList(auth)),
      linkedReports: await this.repo.linkedReports(c.id),
      duplicates: await this.duplicatesOf(c),
      // Named here: a handler or an inspector may not read the department list.
      departmentName: c.departmentId === null ? null : (await this.ctx.services.orgs.getDepartment(c.departmentId)).name,
      // The public reporter's rating and 未解决 (public cases only; no personal data involved).
      publicFeedback: c.source !== 'public' ? [] : await this.repo.publicFeedback(c.id),
    };
  }

  /** What the routing rules suggest for this case, with the rule that matched (for the dispatcher). */
  async dispatchSuggestion(auth: Auth, id: number) {
    return this.#suggestionFor(await this.getVisible(auth, id));
  }

  #suggestionFor(c: CaseRow) {
    return this.ctx.services.dispatch.suggest({
      edition: c.edition as Edition,
      kind: c.kind,
      classCode: c.classCode,
      gridId: c.gridId,
      streetId: c.streetId,
      districtId: c.districtId,
      componentId: c.componentId,
    });
  }

  async timeline(auth: Auth, id: number) {
    await this.getVisible(auth, id);
    return this.repo.timeline(id);
  }

  /**
   * The case's photos with what a reviewer checks them by (EXIF time and place, the flags the
   * upload and the report's comparison set), each with the log step that brought it (report,
   * verify, feedback, check…), in the order of the log: before and after, side by side.
   */
  async photos(auth: Auth, id: number) {
    await this.getVisible(auth, id);
    const [media, log] = await Promise.all([this.ctx.services.media.listForCase(id), this.repo.timeline(id)]);
    const step = new Map<string, { seq: number; action: string; at: Date; stage: 'before' | 'after' }>();
    for (const e of log) {
      const payload = (e.payload ?? {}) as { photos?: unknown; selfHandled?: unknown };
      const ids = Array.isArray(payload.photos) ? payload.photos.filter((m): m is string => typeof m === 'string') : [];
      for (const [i, m] of ids.entries()) {
        if (step.has(m)) continue;
        // The result of the disposal: 反馈 and 核查 photos, and the last of a 自处理 report's (sent after its before-photos).
        const after = AFTER_PHOTO_ACTIONS.has(e.action) || (e.action === 'report' && payload.selfHandled === true && i === ids.length - 1);
        step.set(m, { seq: e.seq, action: e.action, at: e.endedAt, stage: after ? 'after' : 'before' });
      }
    }
    const items = media.map((m) => {
      const s = step.get(m.id);
      return {
        ...m,
        seq: s?.seq ?? null,
        action: s?.action ?? null,
        attachedAt: s ? s.at.toISOString() : null,
        stage: s?.stage ?? 'before',
      };
    });
    // In the order of the log (a photo no step names, e.g. of a merged report, last).
    items.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
    return { items };
  }

  /**
   * What waits on the caller: cases in a state from which one of the caller's roles has an
   * action (chasing 督办 and raising requests aside), with the pending request that action
   * needs (a dispatcher's 回退/延期/挂账 approvals only while one is pending). A department's
   * handlers wait only on their own department's cases.
   */
  #todoCondition(auth: Auth, only?: Role): ReturnType<typeof sql> {
    if (only !== undefined && !roleList(auth).includes(only)) {
      throw forbidden(`您没有 ${only} 角色 / You do not hold the role ${only}`);
    }
    const roles = only !== undefined ? [only] : roleList(auth);
    const ors: ReturnType<typeof sql>[] = [];
    for (const def of Object.values(WORKFLOW_DEFS)) {
      const byPending = new Map<string, Set<string>>();
      for (const t of def.transitions) {
        if (t.action === 'supervise' || t.request || !t.roles.some((r) => roles.includes(r as Role))) continue;
        const key = t.pending ?? '';
        const states = byPending.get(key) ?? new Set<string>();
        for (const st of t.from) states.add(st);
        byPending.set(key, states);
      }
      for (const [pending, states] of byPending) {
        const cond =
          pending === ''
            ? sql`true`
            : pending === 'any'
              ? sql`c.pending_request IS NOT NULL`
              : sql`c.pending_request->>'type' = ${pending}`;
        ors.push(sql`(c.workflow = ${def.name} AND c.state = ANY(${[...states]}::text[]) AND ${cond})`);
      }
    }
    const todo = ors.length > 0 ? sql`(${sql.join(ors, sql` OR `)})` : sql`false`;
    if (roles.every((r) => r === 'handler' || r === 'dept_admin')) return sql`(${todo} AND c.department_id = ${auth.departmentId ?? -1})`;
    return todo;
  }

  /** The caller's own actions (its 已办), reports aside. */
  #doneCondition(auth: Auth): ReturnType<typeof sql> {
    return sql`EXISTS (SELECT 1 FROM case_event e WHERE e.case_id = c.id AND e.actor_id = ${auth.personId ?? -1} AND e.action <> 'report')`;
  }

  /** Scope and filters of a list, without the queue. */
  async #filters(auth: Auth, f: Omit<CaseFilter, 'queue' | 'limit' | 'offset'>): Promise<ReturnType<typeof sql>[]> {
    const where: ReturnType<typeof sql>[] = [];
    const scope = await this.scopeConditions(auth);
    if (scope) where.push(...scope);
    if (f.state) where.push(sql`c.state = ${f.state}`);
    if (f.classCode) where.push(sql`c.class_code = ${f.classCode}`);
    if (f.districtId) where.push(sql`c.district_id = ${f.districtId}`);
    if (f.departmentId) where.push(sql`c.department_id = ${f.departmentId}`);
    if (f.componentId) where.push(sql`c.component_id = ${f.componentId}`);
    if (f.source) where.push(sql`c.source = ${f.source}`);
    if (f.overdue) where.push(sql`c.phase_deadline < ${this.ctx.now()}`);
    if (f.from) where.push(sql`c.created_at >= ${new Date(f.from)}`);
    if (f.to) where.push(sql`c.created_at < ${new Date(f.to)}`);
    if (f.q)
      where.push(
        sql`(c.number LIKE ${`${f.q}%`} OR c.source_ref = ${f.q} OR c.description LIKE ${`%${f.q}%`} OR c.address LIKE ${`%${f.q}%`})`,
      );
    return where;
  }

  /**
   * Lists cases: `todo` = waiting on one of the caller's roles (within scope), `done` = ones
   * the caller acted on, `all` = everything in scope. Urgent first, then nearest deadline.
   */
  async list(auth: Auth, f: CaseFilter) {
    const page = await this.repo.list(await this.conditions(auth, f), f.limit, f.offset);
    if (!f.suggest) return page;
    // The dispatcher's queue shows where each case would go before it is opened: the same
    // suggestion as the case's own, without the alternatives (the case detail lists those).
    const items = await Promise.all(
      page.items.map(async (c) => {
        if (c.state !== 'registered') return c;
        const s = await this.#suggestionFor(c);
        const suggestion =
          s.kind === 'department'
            ? { kind: s.kind, department: s.department, via: s.via, rule: s.rule, explanation: s.explanation }
            : { kind: s.kind, reason: s.reason, explanation: s.explanation };
        return { ...c, suggestion };
      }),
    );
    return { ...page, items };
  }

  /** The SQL conditions (on `case_file c`) of a list: the caller's scope, the filters and the queue. Exports use the same. */
  async conditions(auth: Auth, f: Omit<CaseFilter, 'limit' | 'offset'>): Promise<ReturnType<typeof sql>[]> {
    const where = await this.#filters(auth, f);
    const queue = f.queue ?? 'all';
    if (queue === 'todo') where.push(this.#todoCondition(auth, f.role));
    else if (queue === 'done') where.push(this.#doneCondition(auth));
    return where;
  }

  /**
   * The counts a workbench shows beside its queues, under the same filters: 待办 with how many
   * are overdue, on a yellow light and urgent, 待办 by state, and 已办.
   */
  async counts(auth: Auth, f: Omit<CaseFilter, 'queue' | 'limit' | 'offset'>) {
    const where = await this.#filters(auth, f);
    return this.repo.counts(where, this.#todoCondition(auth, f.role), this.#doneCondition(auth), this.ctx.now());
  }
}
