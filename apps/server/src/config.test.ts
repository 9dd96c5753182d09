import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({}, '/srv/cityloop');
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: '/srv/cityloop/data', databaseUrl: null, demo: null });
  });

  it('lists every bad key at once', () => {
    try {
      loadConfig({ PORT: 'eighty', CITYLOOP_DEMO: 'maybe', DATABASE_URL: 'mysql://x', CITYLOOP_DEMOO: '1', CITYLOOP_LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const keys = (err as ConfigError).problems.map((p) => p.split(/[=:]/)[0]);
      expect(keys).toEqual(expect.arrayContaining(['PORT', 'CITYLOOP_DEMO', 'DATABASE_URL', 'CITYLOOP_DEMOO', 'CITYLOOP_LOG_LEVEL']));
      expect((err as ConfigError).problems).toHaveLength(5);
    }
  });

  it('reads the documented settings', () => {
    const c = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u@h/db',
      CITYLOOP_DEMO: 'false',
      CITYLOOP_DATA_DIR: '/var/lib/cityloop',
    });
    expect(c).toMatchObject({ port: 9000, host: '0.0.0.0', databaseUrl: 'postgres://u@h/db', demo: false, dataDir: '/var/lib/cityloop' });
  });
});
