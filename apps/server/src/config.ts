import path from 'node:path';
import type { S3Options } from './modules/media/media.s3.ts';

/**
 * Every setting CityLoop reads from the environment, documented once. Nothing else
 * in the server reads `process.env`: the config object is built here at boot,
 * validated, and passed down.
 */
export interface Config {
  /** PORT — HTTP port (default 8080). */
  port: number;
  /** HOST — interface to bind (default 127.0.0.1; 0.0.0.0 to serve a network). */
  host: string;
  /** CITYLOOP_DATA_DIR — embedded database and uploaded media live here (default ./data). */
  dataDir: string;
  /** DATABASE_URL — a PostgreSQL + PostGIS server; unset = the embedded PGlite database. */
  databaseUrl: string | null;
  /**
   * CITYLOOP_DEMO — `true`: load the demo city when the database is empty; `false`: never;
   * unset: load it on first start with the embedded database only.
   */
  demo: boolean | null;
  /** CITYLOOP_DEMO_SCALE — size of the demo city relative to Yichang (default 1). */
  demoScale: number;
  /** CITYLOOP_DEMO_SEED — seed of the demo generator (default 20261122). */
  demoSeed: number;
  /** CITYLOOP_ADMIN_PASSWORD — first admin password outside demo mode; generated and printed once when unset. */
  adminPassword: string | null;
  /** CITYLOOP_SESSION_HOURS — how long a login session lasts without use (default 12). */
  sessionHours: number;
  /** CITYLOOP_LOG_LEVEL — pino level: fatal|error|warn|info|debug|trace|silent (default info). */
  logLevel: string;
  /** CITYLOOP_BASEMAP_URL — optional raster tile URL template for a base map (e.g. 天地图); none by default. */
  basemapUrl: string | null;
  /** CITYLOOP_SECURE_COOKIES — mark the session cookie Secure (set behind HTTPS; default false). */
  secureCookies: boolean;
  /** CITYLOOP_WEB_DIR — built web console to serve at / (default apps/web/dist). */
  webDir: string;
  /**
   * CITYLOOP_S3_ENDPOINT, _BUCKET, _REGION (default us-east-1), _ACCESS_KEY_ID, _SECRET_ACCESS_KEY,
   * _PATH_STYLE (default true), _PREFIX — photos in an S3-compatible bucket instead of the data
   * folder; unset = the local folder.
   */
  mediaS3?: S3Options | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const S3_KEYS = ['ENDPOINT', 'BUCKET', 'REGION', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY', 'PATH_STYLE', 'PREFIX'].map(
  (k) => `CITYLOOP_S3_${k}`,
);
const KNOWN = new Set([
  'PORT',
  'HOST',
  'CITYLOOP_DATA_DIR',
  'DATABASE_URL',
  'CITYLOOP_DEMO',
  'CITYLOOP_DEMO_SCALE',
  'CITYLOOP_DEMO_SEED',
  'CITYLOOP_ADMIN_PASSWORD',
  'CITYLOOP_SESSION_HOURS',
  'CITYLOOP_LOG_LEVEL',
  'CITYLOOP_BASEMAP_URL',
  'CITYLOOP_SECURE_COOKIES',
  'CITYLOOP_WEB_DIR',
  ...S3_KEYS,
]);

/** Reads and validates the environment; throws a ConfigError listing every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const str = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (k: string, def: number, min: number, max: number): number => {
    const v = str(k);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${k}=${JSON.stringify(v)}: expected a whole number from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const num = (k: string, def: number, min: number, max: number): number => {
    const v = str(k);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${k}=${JSON.stringify(v)}: expected a number from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const bool = (k: string): boolean | null => {
    const v = str(k);
    if (v === undefined) return null;
    if (['1', 'true', 'yes', 'on'].includes(v.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(v.toLowerCase())) return false;
    problems.push(`${k}=${JSON.stringify(v)}: expected true or false`);
    return null;
  };

  const databaseUrl = str('DATABASE_URL') ?? null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL: expected a postgres:// or postgresql:// URL');
  }
  const logLevel = str('CITYLOOP_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`CITYLOOP_LOG_LEVEL=${JSON.stringify(logLevel)}: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const adminPassword = str('CITYLOOP_ADMIN_PASSWORD') ?? null;
  if (adminPassword !== null && adminPassword.length < 8) {
    problems.push('CITYLOOP_ADMIN_PASSWORD: must be at least 8 characters');
  }
  const basemapUrl = str('CITYLOOP_BASEMAP_URL') ?? null;
  if (basemapUrl && !/^https?:\/\/.+\{z\}.+/.test(basemapUrl)) {
    problems.push('CITYLOOP_BASEMAP_URL: expected an http(s) tile URL template containing {z}, {x} and {y}');
  }
  let mediaS3: S3Options | null = null;
  const s3Endpoint = str('CITYLOOP_S3_ENDPOINT');
  if (s3Endpoint) {
    if (!/^https?:\/\/[^/]+/.test(s3Endpoint)) problems.push('CITYLOOP_S3_ENDPOINT: expected an http(s) URL of the object store');
    const need = (k: string) => {
      const v = str(`CITYLOOP_S3_${k}`);
      if (!v) problems.push(`CITYLOOP_S3_${k}: required with CITYLOOP_S3_ENDPOINT`);
      return v ?? '';
    };
    const bucket = need('BUCKET');
    if (bucket && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      problems.push('CITYLOOP_S3_BUCKET: expected a bucket name (3–63 lowercase letters, digits, dots and hyphens)');
    }
    const prefix = str('CITYLOOP_S3_PREFIX');
    if (prefix && !/^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/.test(prefix)) {
      problems.push('CITYLOOP_S3_PREFIX: expected lowercase path segments without a leading or trailing /');
    }
    mediaS3 = {
      endpoint: s3Endpoint,
      bucket,
      region: str('CITYLOOP_S3_REGION') ?? 'us-east-1',
      accessKeyId: need('ACCESS_KEY_ID'),
      secretAccessKey: need('SECRET_ACCESS_KEY'),
      pathStyle: bool('CITYLOOP_S3_PATH_STYLE') ?? true,
      prefix,
    };
  } else {
    for (const k of S3_KEYS) if (str(k)) problems.push(`${k}: needs CITYLOOP_S3_ENDPOINT`);
  }
  for (const k of Object.keys(env)) {
    if (k.startsWith('CITYLOOP_') && !KNOWN.has(k)) problems.push(`${k}: unknown setting (typo?)`);
  }

  const config: Config = {
    port: int('PORT', 8080, 0, 65535),
    host: str('HOST') ?? '127.0.0.1',
    dataDir: path.resolve(cwd, str('CITYLOOP_DATA_DIR') ?? './data'),
    databaseUrl,
    demo: bool('CITYLOOP_DEMO'),
    demoScale: num('CITYLOOP_DEMO_SCALE', 1, 0.001, 10),
    demoSeed: int('CITYLOOP_DEMO_SEED', 20261122, 0, 2 ** 31 - 1),
    adminPassword,
    sessionHours: int('CITYLOOP_SESSION_HOURS', 12, 1, 24 * 90),
    logLevel,
    basemapUrl,
    secureCookies: bool('CITYLOOP_SECURE_COOKIES') ?? false,
    webDir: path.resolve(cwd, str('CITYLOOP_WEB_DIR') ?? defaultWebDir()),
    mediaS3,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function defaultWebDir(): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../web/dist');
}
