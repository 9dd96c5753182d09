import crypto from 'node:crypto';
import { CASE_ACTIONS } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import { badRequest, notFound } from '../../errors.ts';
import {
  type DeliveryRow,
  type DeliveryStatus,
  type SubscriptionRow,
  type SubscriptionStats,
  WebhooksRepository,
} from './webhooks.repository.ts';
import { newSecret } from './webhooks.signature.ts';
import { bodyOf, sendSigned, WebhookWorker } from './webhooks.worker.ts';

export interface SubscriptionInput {
  name: string;
  url: string;
  secret?: string;
  eventTypes?: string[];
  regionPrefix?: string | null;
  sources?: string[];
  departmentId?: number | null;
  active?: boolean;
  timeoutMs?: number;
  maxAttempts?: number;
}

export type Subscription = SubscriptionRow & { stats: SubscriptionStats };

const EVENT_TYPES: readonly string[] = CASE_ACTIONS;
const NO_STATS: SubscriptionStats = { pending: 0, delivered: 0, failed: 0 };
const ENTITY = 'webhook_subscription';

/** What the audit log keeps of a subscription: everything but the secret. */
const audited = (s: SubscriptionRow) => ({
  name: s.name,
  url: s.url,
  eventTypes: s.eventTypes,
  regionPrefix: s.regionPrefix,
  sources: s.sources,
  departmentId: s.departmentId,
  active: s.active,
  timeoutMs: s.timeoutMs,
  maxAttempts: s.maxAttempts,
});

/**
 * Webhook subscriptions and their delivery log. Deliveries themselves are made by the
 * worker (webhooks.worker.ts), which the app starts when it is ready and stops on close.
 */
export class WebhooksService {
  readonly repo: WebhooksRepository;
  readonly worker: WebhookWorker;

  constructor(private readonly ctx: Context) {
    this.repo = new WebhooksRepository(ctx.db);
    this.worker = new WebhookWorker(ctx, this.repo);
  }

  /** The event types a subscription may name: the phase-log actions. */
  eventTypes(): readonly string[] {
    return EVENT_TYPES;
  }

  async list(): Promise<Subscription[]> {
    const [subs, stats] = await Promise.all([this.repo.listSubscriptions(), this.repo.stats()]);
    return subs.map((s) => ({ ...s, stats: stats.get(s.id) ?? NO_STATS }));
  }

  async get(id: number): Promise<Subscription> {
    const s = await this.repo.getSubscription(id);
    if (!s) throw notFound('webhook_not_found', `订阅 ${id} 不存在 / Webhook subscription ${id} does not exist`);
    return { ...s, stats: (await this.repo.stats()).get(id) ?? NO_STATS };
  }

  /** Creates a subscription; the answer carries the secret, the only time it is shown. */
  async create(input: SubscriptionInput, actorId: number | null): Promise<Subscription & { secret: string }> {
    await this.check(input);
    const secret = input.secret ?? newSecret();
    const row = await this.ctx.database.transaction(async (tx) => {
      const r = await this.repo.insertSubscription(
        {
          name: input.name,
          url: input.url,
          secret,
          eventTypes: [...new Set(input.eventTypes ?? [])],
          regionPrefix: input.regionPrefix ?? null,
          sources: [...new Set(input.sources ?? [])],
          departmentId: input.departmentId ?? null,
          active: input.active ?? true,
          timeoutMs: input.timeoutMs ?? 5000,
          maxAttempts: input.maxAttempts ?? 10,
          createdBy: actorId,
        },
        tx.db,
      );
      await this.ctx.services.audit.record({ actorId, action: 'webhook.create', entity: ENTITY, entityId: r.id, after: audited(r) }, tx.db);
      return r;
    });
    this.worker.rearm();
    return { ...row, stats: NO_STATS, secret };
  }

  async update(id: number, input: Partial<SubscriptionInput>, actorId: number | null): Promise<Subscription> {
    const before = await this.get(id);
    await this.check(input);
    const patch: Record<string, unknown> = { ...input };
    if (input.eventTypes) patch.eventTypes = [...new Set(input.eventTypes)];
    if (input.sources) patch.sources = [...new Set(input.sources)];
    const row = await this.ctx.database.transaction(async (tx) => {
      const r = await this.repo.updateSubscription(id, patch, tx.db);
      if (!r) throw notFound('webhook_not_found', `订阅 ${id} 不存在 / Webhook subscription ${id} does not exist`);
      await this.ctx.services.audit.record(
        {
          actorId,
          action: 'webhook.update',
          entity: ENTITY,
          entityId: id,
          before: audited(before),
          after: { ...audited(r), ...(input.secret ? { secretChanged: true } : {}) },
        },
        tx.db,
      );
      return r;
    });
    this.worker.rearm();
    return { ...row, stats: before.stats };
  }

  /** Deletes a subscription with its delivery log. */
  async remove(id: number, actorId: number | null): Promise<void> {
    const before = await this.get(id);
    await this.ctx.database.transaction(async (tx) => {
      await this.repo.deleteSubscription(id, tx.db);
      await this.ctx.services.audit.record(
        { actorId, action: 'webhook.delete', entity: ENTITY, entityId: id, before: audited(before) },
        tx.db,
      );
    });
    this.worker.rearm();
  }

  async deliveries(id: number, filter: { status?: DeliveryStatus; caseId?: number; limit: number; offset: number }) {
    await this.get(id);
    return this.repo.listDeliveries(id, filter);
  }

  /** Sends one delivery again (same delivery id), whatever its status, with a fresh attempt count. */
  async replay(deliveryId: number, actorId: number | null): Promise<DeliveryRow> {
    const d = await this.repo.getDelivery(deliveryId);
    if (!d) throw notFound('webhook_delivery_not_found', `投递 ${deliveryId} 不存在 / Delivery ${deliveryId} does not exist`);
    await this.ctx.database.transaction(async (tx) => {
      const n = await this.repo.requeue({ id: deliveryId }, this.ctx.now(), tx.db);
      await this.ctx.services.audit.record(
        { actorId, action: 'webhook.replay', entity: ENTITY, entityId: d.subscriptionId, after: { deliveryId, requeued: n } },
        tx.db,
      );
    });
    this.worker.wake();
    return (await this.repo.getDelivery(deliveryId)) as DeliveryRow;
  }

  /** Re-queues every failed delivery of a subscription. */
  async replayFailed(id: number, actorId: number | null): Promise<{ requeued: number }> {
    await this.get(id);
    const requeued = await this.ctx.database.transaction(async (tx) => {
      const n = await this.repo.requeue({ subscriptionId: id, status: 'failed' }, this.ctx.now(), tx.db);
      await this.ctx.services.audit.record(
        { actorId, action: 'webhook.replay_failed', entity: ENTITY, entityId: id, after: { requeued: n } },
        tx.db,
      );
      return n;
    });
    this.worker.wake();
    return { requeued };
  }

  /**
   * Sends a signed `ping` now (one attempt, no retry; inactive subscriptions too) and logs it
   * as a delivery. No database connection is held while the receiver answers.
   */
  async ping(id: number, actorId: number | null): Promise<DeliveryRow> {
    const s = await this.get(id);
    const secret = (await this.repo.secretOf(id)) as string;
    const deliveryKey = crypto.randomUUID();
    const at = this.ctx.now();
    const payload = { type: 'ping', occurredAt: at.toISOString(), subscription: { id: s.id, name: s.name } };
    const r = await sendSigned(
      { url: s.url, secret, deliveryKey, eventType: 'ping', timeoutMs: s.timeoutMs, attempt: 1 },
      bodyOf(deliveryKey, payload),
    );
    const row = await this.repo.insertPing(
      {
        subscriptionId: id,
        payload,
        outcome: { status: r.ok ? 'delivered' : 'failed', nextAttemptAt: at, at, error: r.error, code: r.code, ms: r.ms },
      },
      deliveryKey,
    );
    await this.ctx.services.audit.record({
      actorId,
      action: 'webhook.ping',
      entity: ENTITY,
      entityId: id,
      after: { deliveryId: row.id, ok: r.ok, code: r.code },
    });
    return row;
  }

  /** Input rules beyond the schema, each with its own stable code. */
  private async check(input: Partial<SubscriptionInput>): Promise<void> {
    if (input.url !== undefined) {
      let u: URL | null = null;
      try {
        u = new URL(input.url);
      } catch {
        u = null;
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) {
        throw badRequest('webhook_url_invalid', `地址须为 http(s) URL / The URL must be an http or https URL: ${input.url}`);
      }
    }
    const unknown = (input.eventTypes ?? []).filter((t) => !EVENT_TYPES.includes(t));
    if (unknown.length > 0) {
      throw badRequest('webhook_event_type_unknown', `未知事件类型 / Unknown event type: ${unknown.join(', ')}`, {
        unknown,
        known: EVENT_TYPES,
      });
    }
    if (input.departmentId !== undefined && input.departmentId !== null && !(await this.repo.departmentExists(input.departmentId))) {
      throw badRequest('webhook_department_unknown', `部门 ${input.departmentId} 不存在 / Department ${input.departmentId} does not exist`);
    }
  }
}
