import crypto from 'node:crypto';
import type { Permission, Role, RouteAccess } from '@cityloop/shared';
import { ROLES, roleHasPermission } from '@cityloop/shared';
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import type { Context } from '../../context.ts';
import { forbidden, unauthorized } from '../../errors.ts';
import { TtlCache } from '../../lib/ttl-cache.ts';

/** Who is calling: a logged-in person or a machine with an API key. */
export interface Auth {
  kind: 'session' | 'apikey';
  personId: number | null;
  apiKeyId: number | null;
  username: string;
  name: string;
  departmentId: number | null;
  roles: Array<{ role: Role; scopeRegionId: number | null; scopeDepartmentId: number | null }>;
  /**
   * Anonymous callers of the public channel only (no person, no API key): the sha256 of the
   * upload token they presented, which owns the photos uploaded with it. Never set otherwise.
   */
  uploadTokenHash?: string;
}

export const SESSION_COOKIE = 'cityloop_session';

/** A caller nobody logged in as: the public channel; an anonymous upload also names its token's hash. */
export function publicCaller(uploadTokenHash?: string): Auth {
  return {
    kind: 'session',
    personId: null,
    apiKeyId: null,
    username: 'public',
    name: '公众',
    departmentId: null,
    roles: [],
    ...(uploadTokenHash === undefined ? {} : { uploadTokenHash }),
  };
}

// argon2id with OWASP's second recommended setting (19 MiB, t=2, p=1).
const ARGON = { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 as const };

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** How long an API key's record is reused before it is read again (revocations elsewhere show within it). */
export const API_KEY_CACHE_MS = 5_000;

export class AuthService {
  readonly #apiKeys = new TtlCache<
    string,
    { id: number; name: string; role: string; departmentId: number | null; revokedAt: Date | null; lastUsedAt: Date | null } | null
  >(API_KEY_CACHE_MS);
  /** A hash of a random string, verified when the user is unknown so timing does not reveal accounts. */
  #dummyHash: Promise<string> | null = null;

  constructor(private readonly ctx: Context) {}

  hashPassword(password: string): Promise<string> {
    return hash(password, ARGON);
  }

  /** Checks a username and password; returns a new session token. */
  async login(username: string, password: string): Promise<{ token: string; auth: Auth }> {
    const person = await this.ctx.db
      .selectFrom('person')
      .select(['id', 'passwordHash', 'active'])
      .where('username', '=', username)
      .executeTakeFirst();
    this.#dummyHash ??= hash(crypto.randomBytes(16).toString('hex'), ARGON);
    const ok = await verify(person?.passwordHash ?? (await this.#dummyHash), password).catch(() => false);
    if (!person?.active || !person.passwordHash || !ok) {
      throw unauthorized('用户名或密码错误 / Wrong username or password');
    }
    const token = crypto.randomBytes(32).toString('base64url');
    await this.ctx.db
      .insertInto('session')
      .values({
        tokenHash: sha256(token),
        personId: person.id,
        expiresAt: new Date(Date.now() + this.ctx.config.sessionHours * 3600_000),
      })
      .execute();
    const auth = await this.loadPerson(person.id);
    if (!auth) throw unauthorized();
    return { token, auth };
  }

  async logout(token: string): Promise<void> {
    await this.ctx.db.deleteFrom('session').where('tokenHash', '=', sha256(token)).execute();
  }

  /** Resolves a session token (session, person and roles in one round trip); slides its expiry while it is used. */
  async fromSession(token: string): Promise<Auth | null> {
    const tokenHash = sha256(token);
    const { rows } = await sql<{
      expiresAt: Date;
      lastSeenAt: Date;
      personId: number;
      username: string;
      name: string;
      departmentId: number | null;
      active: boolean;
      roles: Auth['roles'] | null;
    }>`
      SELECT s.expires_at, s.last_seen_at, p.id AS person_id, p.username, p.name, p.department_id, p.active,
             (SELECT json_agg(json_build_object('role', r.role, 'scopeRegionId', r.scope_region_id,
                                                'scopeDepartmentId', r.scope_department_id))
              FROM person_role r WHERE r.person_id = p.id) AS roles
      FROM session s JOIN person p ON p.id = s.person_id
      WHERE s.token_hash = ${tokenHash}`.execute(this.ctx.db);
    const row = rows[0];
    if (!row || new Date(row.expiresAt).getTime() < Date.now() || !row.active) return null;
    // Touch at most once a minute to keep reads cheap.
    if (Date.now() - new Date(row.lastSeenAt).getTime() > 60_000) {
      await this.ctx.db
        .updateTable('session')
        .set({
          lastSeenAt: sql`now()`,
          expiresAt: new Date(Date.now() + this.ctx.config.sessionHours * 3600_000),
        })
        .where('tokenHash', '=', tokenHash)
        .execute();
    }
    return {
      kind: 'session',
      personId: row.personId,
      apiKeyId: null,
      username: row.username,
      name: row.name,
      departmentId: row.departmentId,
      roles: (row.roles ?? []).filter((r) => (ROLES as readonly string[]).includes(r.role)),
    };
  }

  async loadPerson(personId: number): Promise<Auth | null> {
    const person = await this.ctx.db
      .selectFrom('person')
      .select(['id', 'username', 'name', 'departmentId', 'active'])
      .where('id', '=', personId)
      .executeTakeFirst();
    if (!person?.active) return null;
    const roles = await this.ctx.db
      .selectFrom('personRole')
      .select(['role', 'scopeRegionId', 'scopeDepartmentId'])
      .where('personId', '=', personId)
      .execute();
    return {
      kind: 'session',
      personId: person.id,
      apiKeyId: null,
      username: person.username,
      name: person.name,
      departmentId: person.departmentId,
      roles: roles.filter((r) => (ROLES as readonly string[]).includes(r.role)) as Auth['roles'],
    };
  }

  /** Creates an API key for a machine client; the secret is returned once and stored hashed. */
  async createApiKey(input: { name: string; role: Role; departmentId: number | null }, actorId: number | null) {
    const prefix = crypto.randomBytes(4).toString('hex');
    const secret = `clk_${prefix}_${crypto.randomBytes(24).toString('base64url')}`;
    const row = await this.ctx.db
      .insertInto('apiKey')
      .values({ name: input.name, prefix, keyHash: sha256(secret), role: input.role, departmentId: input.departmentId, createdBy: actorId })
      .returning(['id', 'name', 'prefix', 'role', 'departmentId', 'createdAt'])
      .executeTakeFirstOrThrow();
    await this.ctx.services.audit.record({ actorId, action: 'apikey.create', entity: 'api_key', entityId: row.id, after: { ...row } });
    return { ...row, key: secret };
  }

  async listApiKeys() {
    return this.ctx.db
      .selectFrom('apiKey')
      .select(['id', 'name', 'prefix', 'role', 'departmentId', 'createdAt', 'lastUsedAt', 'revokedAt'])
      .orderBy('id')
      .execute();
  }

  async revokeApiKey(id: number, actorId: number | null) {
    const res = await this.ctx.db
      .updateTable('apiKey')
      .set({ revokedAt: new Date() })
      .where('id', '=', id)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    this.#apiKeys.clear();
    if (Number(res.numUpdatedRows) > 0) {
      await this.ctx.services.audit.record({ actorId, action: 'apikey.revoke', entity: 'api_key', entityId: id });
    }
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Resolves an API key. Machines call at high rates, so a key's record is cached for
   * API_KEY_CACHE_MS: a revocation through this process applies at once, one through another
   * server process within that time.
   */
  async fromApiKey(secret: string): Promise<Auth | null> {
    const row = await this.#apiKeys.get(sha256(secret), async () => {
      const r = await this.ctx.db
        .selectFrom('apiKey')
        .select(['id', 'name', 'role', 'departmentId', 'revokedAt', 'lastUsedAt'])
        .where('keyHash', '=', sha256(secret))
        .executeTakeFirst();
      return r ?? null;
    });
    if (!row || row.revokedAt) return null;
    if (!row.lastUsedAt || Date.now() - new Date(row.lastUsedAt).getTime() > 60_000) {
      row.lastUsedAt = new Date();
      await this.ctx.db.updateTable('apiKey').set({ lastUsedAt: row.lastUsedAt }).where('id', '=', row.id).execute();
    }
    return {
      kind: 'apikey',
      personId: null,
      apiKeyId: row.id,
      username: `apikey:${row.id}`,
      name: row.name,
      departmentId: row.departmentId,
      roles: [{ role: row.role as Role, scopeRegionId: null, scopeDepartmentId: row.departmentId }],
    };
  }

  /** Throws 401/403 unless `auth` may use a route declared with `access`. */
  requireAccess(auth: Auth | null, access: RouteAccess): void {
    if (access === 'public') return;
    if (!auth) throw unauthorized();
    if (access === 'authenticated') return;
    if (!hasPermission(auth, access)) throw forbidden();
  }
}

export function hasPermission(auth: Auth, permission: Permission): boolean {
  return auth.roles.some((r) => roleHasPermission(r.role, permission));
}
