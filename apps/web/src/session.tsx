import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, api, onUnauthorized } from './api.ts';
import type { Me, Settings } from './types.ts';

const DEFAULT_SETTINGS: Settings = {
  cityName: 'CityLoop',
  cityCode: '000000',
  gridCodeDigits: 15,
  edition: 'CJT214-2007',
  timeZone: 'Asia/Shanghai',
  mapCenter: [116.397, 39.908],
  mapZoom: 10,
  basemapUrl: null,
};

interface SessionValue {
  /** undefined while the first `/api/auth/me` is in flight; null when logged out. */
  me: Me | null | undefined;
  settings: Settings;
  settingsLoaded: boolean;
  login(username: string, password: string): Promise<Me>;
  logout(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [settings, setSettings] = useState<Settings>(DEFAULT_SETTINGS);
  const [settingsLoaded, setSettingsLoaded] = useState(false);

  useEffect(() => {
    let alive = true;
    api
      .get<Settings>('/api/settings')
      .then((s) => {
        if (alive) setSettings({ ...DEFAULT_SETTINGS, ...s });
      })
      .catch(() => {
        // keep the defaults; the map still works
      })
      .finally(() => {
        if (alive) setSettingsLoaded(true);
      });
    api
      .get<Me>('/api/auth/me')
      .then((m) => {
        if (alive) setMe(m);
      })
      .catch((err: unknown) => {
        if (!alive) return;
        if (!(err instanceof ApiError) || err.status !== 401) console.warn('GET /api/auth/me failed', err);
        setMe(null);
      });
    const off = onUnauthorized(() => setMe(null));
    return () => {
      alive = false;
      off();
    };
  }, []);

  useEffect(() => {
    document.title = `${settings.cityName} · CityLoop`;
  }, [settings.cityName]);

  const login = useCallback(async (username: string, password: string) => {
    const m = await api.post<Me>('/api/auth/login', { username, password });
    setMe(m);
    return m;
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.post<void>('/api/auth/logout');
    } finally {
      setMe(null);
    }
  }, []);

  const value = useMemo(() => ({ me, settings, settingsLoaded, login, logout }), [me, settings, settingsLoaded, login, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
