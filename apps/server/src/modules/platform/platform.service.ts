import type { Edition } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { badRequest, forbidden, notFound, unprocessable } from '../../errors.ts';
import type { Auth } from '../auth/auth.service.ts';
import type { ExchangeCase } from '../exchange/exchange.service.ts';
import { MediaService } from '../media/media.service.ts';
import { type OutboxItem, type PlatformLink, PlatformRepository } from './platform.repository.ts';
import { PlatformWorker, RemoteError } from './platform.worker.ts';

export interface LinkInput {
  name: string;
  direction: 'downstream' | 'upstream';
  baseUrl: string;
  apiKey: string;
  departmentId?: number;
  remoteCode?: string;
}

/** What the city platform sends when it forwards a case. */
export interface InboundCase {
  platform: { cityCode: string; name: string };
  /** The case's id on the city platform (progress is reported against it). */
  caseId: number;
  case: Pick<ExchangeCase, 'number' | 'kind' | 'edition' | 'classCode' | 'severity' | 'urgent' | 'description' | 'address'> & {
    location: { lng: number; lat: number };
  };
  /** Photos already uploaded to us with the same API key. */
  photos?: string[];
}

/** Which step on the city's case one of our steps stands for. */
const PROGRESS: Record<string, 'sign' | 'feedback' | 'return_request'> = {
  dispatch: 'sign',
  auto_dispatch: 'sign',
  close: 'feedback',
  refuse: 'return_request',
  cancel: 'return_request',
};

/**
 * 两级平台. A city platform forwards each case dispatched to a department that stands for a
 * district platform (a downstream link); the district platform files it as registered and
 * dispatches it within the district, and reports back through the city's own case API as that
 * department: 签收 when it dispatched the case, 反馈 (note and after-photos) when it closed it,
 * 回退 when it refused it. Both directions go through a persistent outbox (platform.worker.ts).
 */
export class PlatformService {
  readonly repo: PlatformRepository;
  /** Delivers the outbox; the app starts it when ready and stops it on close. */
  readonly worker: PlatformWorker;
  constructor(private readonly ctx: Context) {
    this.repo = new PlatformRepository(ctx.db);
    this.worker = new PlatformWorker(ctx, this.repo, (item) => this.deliver(item));
  }

  // --- links -----------------------------------------------------------------------------

  links() {
    return this.repo.links();
  }

  async createLink(input: LinkInput, actorId: number | null): Promise<PlatformLink> {
    let url: URL;
    try {
      url = new URL(input.baseUrl);
    } catch {
      throw badRequest('platform_url_invalid', `地址无效 / Not a URL: ${input.baseUrl}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw badRequest('platform_url_invalid', `只支持 http/https / Only http and https: ${input.baseUrl}`);
    if (input.direction === 'downstream') {
      if (!input.departmentId)
        throw badRequest(
          'platform_department_required',
          '下级平台需要对应的处置部门 / A downstream link names the department that stands for the district platform',
        );
      const dept = await this.ctx.db.selectFrom('department').select('id').where('id', '=', input.departmentId).executeTakeFirst();
      if (!dept)
        throw unprocessable('department_not_found', `部门 ${input.departmentId} 不存在 / Department ${input.departmentId} does not exist`);
    } else if (!input.remoteCode || !/^\d{6}$/.test(input.remoteCode)) {
      throw badRequest(
        'platform_code_required',
        '上级平台需要 6 位行政区划代码 / An upstream link names the city platform by its 6-digit division code',
      );
    }
    const baseUrl = url.toString().replace(/\/+$/, '');
    try {
      return await this.ctx.database.transaction(async (tx) => {
        const link = await this.repo.insertLink(
          {
            name: input.name,
            direction: input.direction,
            baseUrl,
            apiKey: input.apiKey,
            departmentId: input.direction === 'downstream' ? (input.departmentId ?? null) : null,
            remoteCode: input.direction === 'upstream' ? (input.remoteCode ?? null) : null,
          },
          actorId,
          tx.db,
        );
        await this.ctx.services.audit.record(
          { actorId, action: 'platform.link.create', entity: 'platform_link', entityId: link.id, after: link },
          tx.db,
        );
        return link;
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw unprocessable('platform_link_exists', '该部门或区划已有启用的平台连接 / An active link for that department or code exists');
      throw err;
    }
  }

  async setActive(id: number, active: boolean, actorId: number | null): Promise<PlatformLink> {
    const before = await this.repo.link(id);
    if (!before) throw notFound('platform_link_not_found', `平台连接 ${id} 不存在 / Platform link ${id} does not exist`);
    const after = (await this.repo.setActive(id, active)) as PlatformLink;
    await this.ctx.services.audit.record({
      actorId,
      action: active ? 'platform.link.enable' : 'platform.link.disable',
      entity: 'platform_link',
      entityId: id,
      before,
      after,
    });
    return after;
  }

  outbox(f: { linkId?: number; status?: string; limit: number }) {
    return this.repo.outbox(f);
  }

  async retryNow(id: number, actorId: number | null) {
    if (!(await this.repo.requeue(id, this.ctx.now())))
      throw notFound('platform_outbox_not_failed', `同步记录 ${id} 不存在或未失败 / Outbox item ${id} does not exist or has not failed`);
    await this.ctx.services.audit.record({ actorId, action: 'platform.outbox.retry', entity: 'platform_outbox', entityId: id });
    this.worker.wake();
  }

  // --- the district side: a case forwarded by the city platform ---------------------------

  /** Files a forwarded case as registered (待派遣); the same case again returns the same answer. */
  async inbound(auth: Auth, body: InboundCase) {
    const link = await this.repo.upstreamByCode(body.platform.cityCode);
    if (!link)
      throw forbidden(`没有与 ${body.platform.cityCode} 的上级平台连接 / No active upstream link for platform ${body.platform.cityCode}`);
    const known = await this.repo.mapping(link.id, { remoteCaseId: body.caseId });
    if (known) {
      const row = await this.ctx.services.cases.repo.get(known.caseId);
      return { caseId: known.caseId, caseNumber: row?.number ?? '', created: false };
    }
    const c = body.case;
    const { case: row, created } = await this.ctx.services.cases.report(
      auth,
      {
        source: 'system',
        kind: c.kind,
        edition: c.edition as Edition,
        classCode: c.classCode,
        severity: c.severity,
        urgent: c.urgent,
        description: c.description,
        location: { lng: c.location.lng, lat: c.location.lat, coordSys: 'wgs84' },
        address: c.address ?? undefined,
        channel: 'platform',
        sourceRef: `${body.platform.cityCode}:${c.number}`,
        photos: body.photos,
        idempotencyKey: `platform.${body.platform.cityCode}.${body.caseId}`,
      },
      {
        registeredUpstream: `${body.platform.name} 已立案派遣（案卷 ${c.number}）/ Registered and dispatched by ${body.platform.name} (case ${c.number})`,
      },
    );
    const queued = await this.ctx.database.transaction((tx) =>
      this.repo.mapInbound({ linkId: link.id, caseId: row.id, remoteCaseId: body.caseId, remoteNumber: c.number }, tx.db),
    );
    if (queued > 0) this.worker.wake();
    return { caseId: row.id, caseNumber: row.number, created };
  }

  // --- delivering outbox items --------------------------------------------------------------

  /** Sends one outbox item to the other side; throws RemoteError (or any error) to retry. */
  async deliver(item: OutboxItem): Promise<unknown> {
    return item.kind === 'forward' ? this.#forward(item) : this.#progress(item);
  }

  async #forward(item: OutboxItem) {
    const doc = await this.ctx.services.exchange.caseDocument(item.caseId);
    if (!doc) throw new RemoteError(`case ${item.caseId} is gone`, null, null);
    const settings = await this.ctx.services.settings.get();
    const photos = await this.#uploadPhotos(
      item,
      doc.photos.map((p) => p.id),
    );
    const res = (await this.#call(item, 'POST', '/api/platform/inbound', {
      platform: { cityCode: settings.cityCode, name: settings.cityName },
      caseId: item.caseId,
      case: doc,
      photos,
    })) as { caseId: number; caseNumber: string };
    await this.repo.insertMapping({ linkId: item.linkId, caseId: item.caseId, remoteCaseId: res.caseId, remoteNumber: res.caseNumber });
    return res;
  }

  async #progress(item: OutboxItem) {
    const map = await this.repo.mapping(item.linkId, { caseId: item.caseId });
    if (!map) throw new RemoteError(`case ${item.caseId} has no upstream mapping yet`, null, null);
    const ev = await this.repo.eventOf(item.eventId);
    const step = PROGRESS[item.action];
    if (!ev || !step) return { skipped: 'nothing to report' };
    const path = `/api/cases/${map.remoteCaseId}`;
    const read = async () =>
      (await this.#call(item, 'GET', path)) as { state: string; version: number; pendingRequest: { type: string } | null };
    let remote = await read();
    if (step === 'sign') {
      if (remote.state !== 'dispatched') return { skipped: `already ${remote.state}` };
      await this.#call(item, 'POST', `${path}/actions/sign`, { version: remote.version });
      return { action: 'sign' };
    }
    if (step === 'return_request') {
      if (remote.pendingRequest?.type === 'return' || !['dispatched', 'handling'].includes(remote.state))
        return { skipped: `already ${remote.state}` };
      await this.#call(item, 'POST', `${path}/actions/return_request`, {
        version: remote.version,
        reason: ev.note ?? '不属于本区职责 / Not within the district',
      });
      return { action: 'return_request' };
    }
    // 反馈: the district's last feedback (note and after-photos) before it closed the case.
    if (remote.state === 'dispatched') {
      await this.#call(item, 'POST', `${path}/actions/sign`, { version: remote.version });
      remote = await read();
    }
    if (remote.state !== 'handling') return { skipped: `already ${remote.state}` };
    const fb = await this.repo.lastFeedback(item.caseId, ev.seq);
    const photos = await this.#uploadPhotos(item, fb?.payload.photos ?? []);
    if (photos.length === 0) throw new RemoteError('the closed case has no after-photos to report', null, null);
    await this.#call(item, 'POST', `${path}/actions/feedback`, {
      version: remote.version,
      note: fb?.note ?? ev.note ?? '已处置 / Disposed',
      photos,
    });
    return { action: 'feedback', photos: photos.length };
  }

  /** Sends our photos to the other side's media API with the link's key; returns their ids there. */
  async #uploadPhotos(item: OutboxItem, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const media = this.ctx.services.media;
    const form = new FormData();
    for (const id of ids) {
      const m = await media.get(id);
      if (!m) continue;
      const stream = await media.storage.get(MediaService.keyOf(id, 'original'));
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
      const ext = m.contentType === 'image/png' ? 'png' : m.contentType === 'image/webp' ? 'webp' : 'jpg';
      form.append('file', new Blob([Buffer.concat(chunks)], { type: m.contentType }), `${id}.${ext}`);
    }
    const out = (await this.#call(item, 'POST', '/api/media', form)) as Array<{ id: string }>;
    return out.map((m) => m.id);
  }

  async #call(item: OutboxItem, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { 'x-api-key': item.apiKey, accept: 'application/json' };
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(`${item.baseUrl}${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      throw new RemoteError(`${method} ${path}: ${(err as Error).message}`, null, null);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: kept as text in the error
    }
    if (!res.ok) {
      const code = (json as { error?: string } | null)?.error ?? null;
      throw new RemoteError(
        `${method} ${path}: ${res.status} ${code ?? ''} ${(json as { message?: string } | null)?.message ?? text.slice(0, 200)}`,
        res.status,
        code,
      );
    }
    return json;
  }
}
