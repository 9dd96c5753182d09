import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerOptions } from './webhooks.worker.ts';

/** Small timings so retries and timeouts happen within a test. */
export const FAST: Partial<WorkerOptions> = {
  pollMs: 30,
  idlePollMs: 200,
  backoff: { firstMs: 100, maxMs: 400 },
  leaseMarginMs: 300,
};

/** One request a test receiver got. */
export interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown> & { deliveryId: string; type: string; eventId?: number; case?: Record<string, unknown> };
}

/** What the receiver answers: a status, or 'hang' (never answers; the request stays open). */
export type Answer = number | 'hang';

/**
 * A webhook receiver on 127.0.0.1 (port 0) that records every request and answers as
 * `answer` decides (200 by default). Hung requests are ended when it closes.
 */
export async function startReceiver(answer: (r: Received) => Answer = () => 200) {
  const got: Received[] = [];
  const hung = new Set<http.ServerResponse>();
  const state = { answer };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { at: Date.now(), headers: req.headers, body, json: JSON.parse(body) };
      got.push(r);
      const a = state.answer(r);
      if (a === 'hang') {
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      }
      res.writeHead(a, { 'content-type': 'text/plain' });
      res.end(a >= 200 && a < 300 ? 'ok' : 'receiver error');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    /** Requests held open unanswered right now. */
    open: () => hung.size,
    /** Changes how later requests are answered. */
    answerWith(fn: (r: Received) => Answer) {
      state.answer = fn;
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Polls `cond` until it holds (or throws after `timeoutMs`). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
