import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { inScope } from './realtime.scope.ts';
import { realtimeOf } from './realtime.service.ts';
import type { DeliveredEvent } from './realtime.types.ts';

/** A slow client whose unsent output grows past this is cut off; it reconnects with Last-Event-ID. */
const MAX_BUFFERED = 1024 * 1024;

const frame = (e: DeliveredEvent) => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

/** Server-Sent Events: live case changes within the caller's scope. */
export async function realtimeRoutes(app: App) {
  const open = new Set<ServerResponse>();

  // Open streams would keep the HTTP server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
    open.clear();
  });
  // The LISTEN connection belongs to the app's lifetime.
  app.addHook('onClose', async () => {
    await realtimeOf(app.ctx).close();
  });

  app.get(
    '/api/events/stream',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['realtime'],
        summary: '案卷实时事件流（SSE）/ Live case events (Server-Sent Events)',
        description:
          'text/event-stream of case.created, case.updated, case.warning and case.overdue within your scope. ' +
          'Send Last-Event-ID (or ?lastEventId=) to replay recent events; `event: resync` means some were missed: refetch.',
        querystring: Type.Object(
          { lastEventId: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const rt = realtimeOf(app.ctx);
      // Everything that needs the database happens before streaming: no connection is held open.
      const scope = await rt.scopeFor(req.auth as NonNullable<typeof req.auth>);
      const header = req.headers['last-event-id'];
      const lastRaw = (Array.isArray(header) ? header[0] : header) ?? req.query.lastEventId;
      const lastId = lastRaw && /^[0-9]{1,18}$/.test(lastRaw) ? Number(lastRaw) : null;

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      open.add(res);

      let ready = false;
      let sent = rt.lastId;
      const queued: DeliveredEvent[] = [];
      let ended = false;
      const write = (chunk: string) => {
        if (ended) return;
        res.write(chunk);
        if (res.writableLength > MAX_BUFFERED) res.end();
      };
      const send = (e: DeliveredEvent) => {
        if (e.id <= sent) return;
        sent = e.id;
        if (inScope(scope, e)) write(frame(e));
      };
      const unsubscribe = await rt.subscribe(
        (e) => (ready ? send(e) : queued.push(e)),
        () => write(`event: resync\ndata: {"reason":"listener_reconnected"}\n\n`),
      );
      const heartbeat = setInterval(() => write(': ping\n\n'), rt.heartbeatMs);
      const offClose = rt.onClose(() => res.end());
      const cleanup = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        unsubscribe();
        offClose();
        open.delete(res);
      };
      res.on('close', cleanup);
      req.raw.on('close', cleanup);
      if (res.destroyed) return cleanup();

      write(`retry: ${rt.retryMs}\n: connected\n\n`);
      if (lastId !== null) {
        const missed = rt.since(lastId);
        if (missed === null) write(`event: resync\ndata: {"reason":"history_gap"}\n\n`);
        else {
          sent = Math.min(sent, lastId);
          for (const e of missed) send(e);
        }
      }
      ready = true;
      for (const e of queued.splice(0)) send(e);
    },
  );
}
