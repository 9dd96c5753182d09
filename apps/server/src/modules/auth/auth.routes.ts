import { ROLES } from '@cityloop/shared';
import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { notFound } from '../../errors.ts';
import { DateTime, IdParam, Nullable, Strict } from '../../lib/schema.ts';
import { type Auth, SESSION_COOKIE } from './auth.service.ts';

const Me = Type.Object({
  kind: Type.String(),
  personId: Nullable(Type.Integer()),
  username: Type.String(),
  name: Type.String(),
  departmentId: Nullable(Type.Integer()),
  roles: Type.Array(
    Type.Object({ role: Type.String(), scopeRegionId: Nullable(Type.Integer()), scopeDepartmentId: Nullable(Type.Integer()) }),
  ),
});

export async function authRoutes(app: App) {
  const { auth } = app.ctx.services;

  app.post('/api/auth/login', {
    config: { access: 'public' },
    schema: {
      tags: ['auth'],
      summary: 'Log in with username and password; sets an httpOnly session cookie',
      body: Strict({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) }),
      response: { 200: Me },
    },
    handler: async (req, reply) => {
      const { token, auth: me } = await auth.login(req.body.username, req.body.password);
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: app.ctx.config.secureCookies,
        maxAge: app.ctx.config.sessionHours * 3600,
      });
      return me;
    },
  });

  app.post('/api/auth/logout', {
    config: { access: 'public' },
    schema: { tags: ['auth'], summary: 'End the current session', response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      const token = req.cookies[SESSION_COOKIE];
      if (token) await auth.logout(token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  });

  app.get('/api/auth/me', {
    config: { access: 'authenticated' },
    schema: { tags: ['auth'], summary: 'Who am I', response: { 200: Me } },
    handler: async (req) => req.auth as Auth,
  });

  const ApiKey = Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    prefix: Type.String(),
    role: Type.String(),
    departmentId: Nullable(Type.Integer()),
    createdAt: DateTime(),
    lastUsedAt: Type.Optional(Nullable(DateTime())),
    revokedAt: Type.Optional(Nullable(DateTime())),
    key: Type.Optional(Type.String({ description: 'the secret; shown once, at creation' })),
  });

  app.get('/api/api-keys', {
    config: { access: 'apikeys.manage' },
    schema: { tags: ['auth'], summary: 'List API keys (secrets are never shown again)', response: { 200: Type.Array(ApiKey) } },
    handler: async () => auth.listApiKeys(),
  });

  app.post('/api/api-keys', {
    config: { access: 'apikeys.manage' },
    schema: {
      tags: ['auth'],
      summary: 'Create an API key for a machine client (IoT, video analysis, other systems)',
      body: Strict({
        name: Type.String({ minLength: 1, maxLength: 100 }),
        role: Type.Optional(Type.Union(ROLES.map((r) => Type.Literal(r)))),
        departmentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
      }),
      response: { 201: ApiKey },
    },
    handler: async (req, reply) => {
      const created = await auth.createApiKey(
        { name: req.body.name, role: req.body.role ?? 'machine', departmentId: req.body.departmentId ?? null },
        req.auth?.personId ?? null,
      );
      return reply.code(201).send(created);
    },
  });

  app.delete('/api/api-keys/:id', {
    config: { access: 'apikeys.manage' },
    schema: { tags: ['auth'], summary: 'Revoke an API key', params: IdParam, response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      if (!(await auth.revokeApiKey(req.params.id, req.auth?.personId ?? null))) {
        throw notFound('api_key_not_found', `API key ${req.params.id} does not exist or is already revoked`);
      }
      return reply.code(204).send(null);
    },
  });
}
