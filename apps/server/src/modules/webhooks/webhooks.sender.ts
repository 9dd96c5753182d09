import http from 'node:http';
import https from 'node:https';

/** The outcome of one HTTP attempt. */
export interface SendResult {
  ok: boolean;
  /** The response status, null when none came (connection refused, timeout). */
  code: number | null;
  /** Why it failed, short and free of secrets; null on success. */
  error: string | null;
  ms: number;
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** How much of an error response is kept for the delivery log. */
const ERROR_BODY_CHARS = 200;

/**
 * POSTs `body` once. Success is any 2xx; redirects are not followed (a 3xx is a failure, so a
 * moved receiver shows up in the log). The whole exchange is bounded by `timeoutMs`: a
 * receiver that hangs costs its own delivery that long and nothing more. `signal` aborts it
 * (the worker stopping).
 */
export function send(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<SendResult> {
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);
  return new Promise<SendResult>((resolve) => {
    let done = false;
    const finish = (r: Omit<SendResult, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, ms: elapsed() });
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      finish({ ok: false, code: null, error: 'invalid URL' });
      return;
    }
    const mod = target.protocol === 'https:' ? https : http;
    const req = mod.request(target, {
      method: 'POST',
      agent: target.protocol === 'https:' ? agents.https : agents.http,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'CityLoop-Webhooks/1',
        ...headers,
      },
    });
    const timer = setTimeout(() => {
      finish({ ok: false, code: null, error: `timeout after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      finish({ ok: false, code: null, error: 'aborted' });
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, code: null, error: err.code ?? err.message }));
    req.on('response', (res) => {
      const code = res.statusCode ?? 0;
      const ok = code >= 200 && code < 300;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (!ok && text.length < ERROR_BODY_CHARS) text += chunk;
      });
      res.on('end', () => finish({ ok, code, error: ok ? null : `HTTP ${code}${text ? `: ${text.slice(0, ERROR_BODY_CHARS)}` : ''}` }));
      res.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, code, error: err.code ?? err.message }));
    });
    req.end(body);
  });
}
