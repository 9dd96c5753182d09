import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';

/** Seconds between two sends of the inspector's track while on duty. */
export const PATROL_INTERVAL_S = 30;
/** Fixes kept while they cannot be sent (the endpoint takes at most 500 a batch). */
const MAX_BUFFER = 500;
const DUTY_KEY = 'cityloop.field.onDuty';

interface Fix {
  at: string;
  lng: number;
  lat: number;
  accuracy?: number;
  speed?: number;
  heading?: number;
}

function fixOf(p: GeolocationPosition): Fix {
  const c = p.coords;
  const f: Fix = { at: new Date(p.timestamp).toISOString(), lng: c.longitude, lat: c.latitude };
  if (Number.isFinite(c.accuracy)) f.accuracy = Math.min(100_000, Math.max(0, c.accuracy));
  if (c.speed != null && Number.isFinite(c.speed)) f.speed = Math.min(100, Math.max(0, c.speed));
  if (c.heading != null && Number.isFinite(c.heading)) f.heading = Math.min(360, Math.max(0, c.heading));
  return f;
}

/**
 * 上班/下班: while on duty the phone watches its position and sends the fixes gathered every
 * PATROL_INTERVAL_S seconds (POST /api/patrol/positions); fixes that could not be sent wait
 * for the next round (the server skips any it already has). The toggle survives a reload.
 */
export function usePatrol(): { onDuty: boolean; setOnDuty: (on: boolean) => void; lastSent: string | null } {
  const [onDuty, setDuty] = useState(() => localStorage.getItem(DUTY_KEY) === '1');
  const [lastSent, setLastSent] = useState<string | null>(null);
  const buffer = useRef<Fix[]>([]);

  const setOnDuty = (on: boolean) => {
    try {
      localStorage.setItem(DUTY_KEY, on ? '1' : '0');
    } catch {
      // the toggle then lasts for this page only
    }
    setDuty(on);
  };

  useEffect(() => {
    if (!onDuty || !navigator.geolocation) return;
    let sending = false;
    const send = async () => {
      if (sending || buffer.current.length === 0 || !navigator.onLine) return;
      sending = true;
      const batch = buffer.current.slice(0, MAX_BUFFER);
      try {
        await api.post('/api/patrol/positions', { coordSys: 'wgs84', fixes: batch });
        buffer.current = buffer.current.slice(batch.length);
        setLastSent(new Date().toISOString());
      } catch {
        // kept for the next round
      } finally {
        sending = false;
      }
    };
    let first = true;
    const watch = navigator.geolocation.watchPosition(
      (p) => {
        const f = fixOf(p);
        const last = buffer.current[buffer.current.length - 1];
        if (last?.at === f.at) return;
        buffer.current = [...buffer.current, f].slice(-MAX_BUFFER);
        // The first fix goes at once, so the centre sees the inspector come on duty.
        if (first) {
          first = false;
          void send();
        }
      },
      () => {},
      { enableHighAccuracy: true, maximumAge: 5_000 },
    );
    const timer = window.setInterval(() => void send(), PATROL_INTERVAL_S * 1000);
    return () => {
      navigator.geolocation.clearWatch(watch);
      window.clearInterval(timer);
      void send();
    };
  }, [onDuty]);

  return { onDuty, setOnDuty, lastSent };
}
