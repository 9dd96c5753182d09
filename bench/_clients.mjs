/**
 * The intake benchmark's clients, on a worker thread of their own: like a city's phones and
 * machines they are not the server, so they do not take turns with it on its event loop (they
 * still share the machine's two cores with the server and the database). node:http over
 * kept-alive connections, one per client.
 *
 * Message in: { url, apiKey, points, classes, n, offset, concurrency } → message out:
 * { latencies } (ms, in completion order) or { error }.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const agent = new http.Agent({ keepAlive: true, maxSockets: workerData.maxSockets });

function post(url, apiKey, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': apiKey },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 201 ? resolve() : reject(new Error(`${res.statusCode} ${Buffer.concat(chunks).toString()}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A report of the i-th kind: a sensor alarm at one of the city's points, a fresh idempotency key. */
function report(points, classes, i) {
  const p = points[i % points.length];
  return JSON.stringify({
    source: 'iot',
    kind: 'event',
    classCode: classes[i % classes.length],
    description: `传感器告警 #${i}`,
    location: { lng: p.lng + ((i % 7) - 3) * 1e-5, lat: p.lat },
    idempotencyKey: `bench-${i}-${crypto.randomBytes(4).toString('hex')}`,
  });
}

parentPort.on('message', async ({ url, apiKey, points, classes, n, offset, concurrency }) => {
  const latencies = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = offset + next++;
          const t0 = performance.now();
          await post(url, apiKey, report(points, classes, i));
          latencies.push(performance.now() - t0);
        }
      }),
    );
    parentPort.postMessage({ latencies });
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
