/**
 * Webhooks under intake load: reports filed through the real HTTP API at a target rate
 * (BENCH_RATE, default 1000/s, open loop with at most BENCH_INFLIGHT requests outstanding),
 * BENCH_REPORTS per phase: A without subscriptions; B with BENCH_SUBSCRIBERS (default 4)
 * subscriptions to a receiver on 127.0.0.1 (a thread of this process), the worker delivering;
 * C with the subscriptions but the worker stopped (the trigger and outbox alone); D with the
 * subscriptions disabled. The baseline is the mean of A and D, measured in the same run.
 * Figures: intake with subscribers and with the trigger alone as ratios of the baseline,
 * delivery throughput (deliveries/s from the first report of B to the last receipt), and lag
 * from a report's commit (its 201) to receipt, p50/p99. On PostgreSQL when DATABASE_URL or
 * TEST_DATABASE_URL is set (a throwaway database), else on PGlite.
 */
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { buildApp } from '../apps/server/src/app.ts';
import type { Database } from '../apps/server/src/db/database.ts';
import { demoCity, onThrowawayDatabase } from './_db.ts';

const REPORTS = Number(process.env.BENCH_REPORTS ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 64);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 4);

const RECEIVER = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
let batch = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const j = JSON.parse(body);
    batch.push({ caseId: j.case ? j.case.id : 0, at: Date.now(), type: j.type, id: j.deliveryId });
    res.writeHead(200).end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  parentPort.postMessage({ url: 'http://127.0.0.1:' + server.address().port });
  setInterval(() => { if (batch.length) { parentPort.postMessage(batch); batch = []; } }, 50);
});
`;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `n` tasks at `rate` per second, never more than `inflight` outstanding; resolves when all ended. */
async function paced(n: number, rate: number, inflight: number, task: (i: number) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  let running = 0;
  let failed: unknown = null;
  const all: Promise<void>[] = [];
  for (let i = 0; i < n && !failed; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (running >= inflight) await sleep(1);
    running++;
    all.push(
      task(i)
        .catch((err) => {
          failed = err;
        })
        .finally(() => {
          running--;
        }),
    );
  }
  await Promise.all(all);
  if (failed) throw failed;
  return (performance.now() - t0) / 1000;
}

async function run(database: Database): Promise<Record<string, number | string>> {
  const { config, ctx, key, points, classes } = await demoCity(database, Number(process.env.BENCH_SCALE ?? 0.2));

  // The receiver runs in its own thread (as a real one runs elsewhere), answers 200 at once and
  // reports each receipt's time, delivery id, type and case in batches.
  const receipts: Array<{ caseId: number; at: number; type: string; id: string }> = [];
  let lastReceipt = 0;
  const receiver = new Worker(RECEIVER, { eval: true });
  receiver.on('message', (batch: Array<{ caseId: number; at: number; type: string; id: string }>) => {
    if (!Array.isArray(batch)) return;
    for (const r of batch) {
      receipts.push(r);
      lastReceipt = Math.max(lastReceipt, r.at);
    }
  });
  const receiverUrl = await new Promise<string>((resolve) => receiver.once('message', (m: { url: string }) => resolve(m.url)));

  const app = await buildApp({ config, database, logger: false });
  // BENCH_CONCURRENCY / BENCH_PER_SUBSCRIPTION: the worker's limits (defaults: the app's).
  if (process.env.BENCH_CONCURRENCY) app.ctx.services.webhooks.worker.options.concurrency = Number(process.env.BENCH_CONCURRENCY);
  if (process.env.BENCH_PER_SUBSCRIPTION) {
    app.ctx.services.webhooks.worker.options.perSubscription = Number(process.env.BENCH_PER_SUBSCRIPTION);
  }
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const acked = new Map<number, number>();
    const report = async (i: number) => {
      const p = points[i % points.length] as { lng: number; lat: number };
      const res = await fetch(`${address}/api/cases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key.key },
        body: JSON.stringify({
          source: 'iot',
          kind: 'event',
          classCode: classes[i % classes.length],
          description: `传感器告警 #${i}`,
          location: { lng: p.lng + ((i % 7) - 3) * 1e-5, lat: p.lat },
          idempotencyKey: `bench-wh-${i}-${crypto.randomBytes(4).toString('hex')}`,
        }),
      });
      if (res.status !== 201) throw new Error(`report ${i}: ${res.status} ${await res.text()}`);
      const c = (await res.json()) as { id: number };
      acked.set(c.id, Date.now());
    };
    await paced(50, 200, 4, (i) => report(1_000_000 + i)); // warm up
    let next = 0;
    const phase = async () => REPORTS / (await paced(REPORTS, RATE, INFLIGHT, () => report(next++)));
    const webhooks = app.ctx.services.webhooks;

    // A: no subscription, so the trigger writes nothing and the worker idles.
    const baseA = await phase();

    // B: subscriptions and the worker delivering while intake runs.
    const subs = [];
    for (let s = 0; s < SUBSCRIBERS; s++) subs.push(await webhooks.create({ name: `bench ${s}`, url: `${receiverUrl}/s${s}` }, null));
    acked.clear();
    const started = Date.now();
    const withSubs = await phase();
    const events = Number(
      (
        await sql<{ n: number }>`SELECT count(*)::int AS n FROM case_event WHERE case_id = ANY(${[...acked.keys()]}::bigint[])`.execute(
          ctx.db,
        )
      ).rows[0]?.n,
    );
    const expected = events * SUBSCRIBERS;
    const distinct = () => new Set(receipts.map((r) => r.id)).size;
    const deadline = Date.now() + 600_000;
    while (distinct() < expected && Date.now() < deadline) await sleep(100);
    const drainedS = (lastReceipt - started) / 1000;
    const lags: number[] = [];
    for (const r of receipts) {
      if (r.type !== 'report') continue;
      const ack = acked.get(r.caseId);
      if (ack !== undefined) lags.push(Math.max(0, r.at - ack));
    }
    lags.sort((a, b) => a - b);
    const received = receipts.length;
    const w = { ...webhooks.worker.stats };

    // C: subscriptions but no worker: what intake pays for the trigger and the outbox rows alone.
    await webhooks.worker.stop();
    const triggerOnly = await phase();

    // D: subscriptions disabled: the baseline again, so drift over the run cancels out.
    for (const s of subs) await webhooks.update(s.id, { active: false }, null);
    const baseD = await phase();
    const base = (baseA + baseD) / 2;

    return {
      events_per_s_target: RATE,
      events_per_s: round((events / REPORTS) * withSubs, 1),
      intake_base_per_s: Math.round(base),
      intake_base_first_last: `${Math.round(baseA)}/${Math.round(baseD)}`,
      intake_with_subscribers_per_s: Math.round(withSubs),
      intake_ratio: round(withSubs / base, 3),
      intake_trigger_only_per_s: Math.round(triggerOnly),
      trigger_ratio: round(triggerOnly / base, 3),
      subscribers: SUBSCRIBERS,
      worker_concurrency: webhooks.worker.options.concurrency,
      events,
      deliveries_expected: expected,
      deliveries_received: received,
      deliveries_distinct: distinct(),
      deliveries_per_s: Math.round(received / Math.max(0.001, drainedS)),
      lag_p50_ms: round(pct(lags, 50), 1),
      lag_p99_ms: round(pct(lags, 99), 1),
      lag_max_ms: round(lags.at(-1) ?? 0, 1),
      worker_rounds: w.rounds,
      retried: w.retried,
      reports_per_phase: REPORTS,
    };
  } finally {
    await app.close();
    await receiver.terminate();
  }
}

export default async function webhooks(): Promise<Record<string, number | string>> {
  return onThrowawayDatabase('webhooks', async (database, kind) => ({ database: kind, ...(await run(database)) }), { pool: 16 });
}
