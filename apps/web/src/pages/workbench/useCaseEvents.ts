import { useEffect, useRef, useState } from 'react';

export interface CaseEventMessage {
  type: string;
  caseId?: number;
  state?: string;
  light?: 'yellow' | 'red';
}

const EVENT_TYPES = ['case.created', 'case.updated', 'case.warning', 'case.overdue', 'resync'];

/**
 * Live case events from /api/events/stream. EventSource reconnects by itself after a dropped
 * connection (sending Last-Event-ID); when the server refuses it (e.g. a restart answered
 * 502 or 401) the source closes, so a new one is opened with a growing delay.
 */
export function useCaseEvents(onEvent: (e: CaseEventMessage) => void): boolean {
  const [connected, setConnected] = useState(false);
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    let source: EventSource | null = null;
    let timer = 0;
    let delay = 1000;
    let stopped = false;
    const open = () => {
      if (stopped) return;
      const es = new EventSource('/api/events/stream', { withCredentials: true });
      source = es;
      es.onopen = () => {
        delay = 1000;
        setConnected(true);
      };
      es.onerror = () => {
        setConnected(false);
        if (es.readyState === EventSource.CLOSED) {
          es.close();
          timer = window.setTimeout(open, delay);
          delay = Math.min(delay * 2, 30_000);
        }
      };
      for (const type of EVENT_TYPES) {
        es.addEventListener(type, (ev) => {
          let data: CaseEventMessage = { type };
          try {
            data = { ...JSON.parse((ev as MessageEvent<string>).data), type };
          } catch {
            // keep the bare type
          }
          handler.current(data);
        });
      }
    };
    open();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      source?.close();
    };
  }, []);

  return connected;
}
