import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';

/**
 * A read that follows live events: `refresh()` fetches at once when nothing is in flight;
 * calls meanwhile fold into one more fetch after it, no sooner than `minGapMs` after the
 * previous one started. A failed fetch keeps the last answer (`stale` tells the screen).
 */
export function useLiveRead<T>(path: string, minGapMs: number) {
  const [data, setData] = useState<T | null>(null);
  const [stale, setStale] = useState(false);
  const s = useRef({ inFlight: false, again: false, startedAt: -Infinity, timer: 0, alive: true }).current;

  const run = useCallback(
    async function fetchNow(): Promise<void> {
      s.inFlight = true;
      s.again = false;
      s.startedAt = performance.now();
      try {
        const answer = await api.get<T>(path);
        if (!s.alive) return;
        setData(answer);
        setStale(false);
      } catch {
        if (s.alive) setStale(true);
      } finally {
        s.inFlight = false;
        if (s.again && s.alive && !s.timer) {
          const wait = Math.max(0, minGapMs - (performance.now() - s.startedAt));
          s.timer = window.setTimeout(() => {
            s.timer = 0;
            void fetchNow();
          }, wait);
        }
      }
    },
    [path, minGapMs, s],
  );

  const refresh = useCallback(() => {
    if (s.inFlight) {
      s.again = true;
      return;
    }
    if (s.timer) return;
    const wait = Math.max(0, minGapMs - (performance.now() - s.startedAt));
    if (wait === 0) {
      void run();
      return;
    }
    s.timer = window.setTimeout(() => {
      s.timer = 0;
      void run();
    }, wait);
  }, [run, minGapMs, s]);

  useEffect(() => {
    s.alive = true;
    void run();
    return () => {
      s.alive = false;
      window.clearTimeout(s.timer);
      s.timer = 0;
    };
  }, [run, s]);

  return { data, stale, refresh };
}
