import { ROLES } from '@cityloop/shared';
import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { IdParam, Nullable, Strict } from '../../lib/schema.ts';
import type { Auth } from '../auth/auth.service.ts';

const Department = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  shortName: Nullable(Type.String()),
  level: Type.String(),
  kind: Type.String(),
  parentId: Nullable(Type.Integer()),
  regionId: Nullable(Type.Integer()),
  phone: Nullable(Type.String()),
  active: Type.Boolean(),
});

/** A role with its optional data scope (a region and/or a department). */
const RoleGrant = Strict({
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  scopeRegionId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  scopeDepartmentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
});
const Phone = Type.String({ pattern: '^[0-9+\\- ]{3,20}$' });

export async function orgsRoutes(app: App) {
  const orgs = app.ctx.services.orgs;

  app.get('/api/departments', {
    config: { access: 'orgs.read' },
    schema: {
      tags: ['orgs'],
      summary: 'Departments: city, district and street level; execution, support and the centres',
      querystring: Strict({
        level: Type.Optional(Type.Union([Type.Literal('city'), Type.Literal('district'), Type.Literal('street')])),
        q: Type.Optional(Type.String({ maxLength: 50 })),
      }),
      response: { 200: Type.Array(Department) },
    },
    handler: async (req) => orgs.listDepartments(req.query),
  });

  app.get('/api/departments/:id', {
    config: { access: 'orgs.read' },
    schema: { tags: ['orgs'], summary: 'One department', params: IdParam, response: { 200: Department } },
    handler: async (req) => orgs.getDepartment(req.params.id),
  });

  app.post('/api/departments', {
    config: { access: 'orgs.write' },
    schema: {
      tags: ['orgs'],
      summary: 'Create a department (audited)',
      body: Strict({
        code: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
        name: Type.String({ minLength: 1, maxLength: 100 }),
        shortName: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
        level: Type.Union([Type.Literal('city'), Type.Literal('district'), Type.Literal('street')]),
        kind: Type.Optional(Type.Union([Type.Literal('execution'), Type.Literal('support'), Type.Literal('centre')])),
        parentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
        regionId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
        phone: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
      }),
      response: { 201: Department },
    },
    handler: async (req, reply) => reply.code(201).send(await orgs.createDepartment(req.body, req.auth?.personId ?? null)),
  });

  app.get('/api/people', {
    config: { access: 'orgs.read' },
    schema: {
      tags: ['orgs'],
      summary: 'People with their roles (a department admin sees its own department)',
      querystring: Strict({
        departmentId: Type.Optional(Type.Integer({ minimum: 1 })),
        role: Type.Optional(Type.Union(ROLES.map((r) => Type.Literal(r)))),
        q: Type.Optional(Type.String({ maxLength: 50 })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        offset: Type.Integer({ minimum: 0, default: 0 }),
      }),
    },
    handler: async (req) => orgs.listPeople(req.query, req.auth),
  });

  app.post('/api/people', {
    config: { access: 'orgs.write' },
    schema: {
      tags: ['orgs'],
      summary: 'Create a person with roles and scopes (audited)',
      body: Strict({
        username: Type.String({ pattern: '^[A-Za-z0-9_.-]{2,64}$' }),
        name: Type.String({ minLength: 1, maxLength: 64 }),
        phone: Type.Optional(Nullable(Phone)),
        departmentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
        password: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
        roles: Type.Array(RoleGrant, { maxItems: 10 }),
      }),
    },
    handler: async (req, reply) => reply.code(201).send(await orgs.createPerson(req.body, req.auth?.personId ?? null)),
  });

  app.patch('/api/departments/:id', {
    config: { access: 'orgs.write' },
    schema: {
      tags: ['orgs'],
      summary: 'Change a department (audited)',
      params: IdParam,
      body: Strict({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        shortName: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
        kind: Type.Optional(Type.Union([Type.Literal('execution'), Type.Literal('support'), Type.Literal('centre')])),
        parentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
        regionId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
        phone: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
        active: Type.Optional(Type.Boolean()),
      }),
      response: { 200: Department },
    },
    handler: async (req) => orgs.updateDepartment(req.params.id, req.body, req.auth?.personId ?? null),
  });

  app.get('/api/people/:id', {
    config: { access: 'orgs.read' },
    schema: { tags: ['orgs'], summary: 'One person with roles and scopes', params: IdParam },
    handler: async (req) => orgs.getPerson(req.params.id),
  });

  app.patch('/api/people/:id', {
    config: { access: 'orgs.write' },
    schema: {
      tags: ['orgs'],
      summary: 'Change a person: details, active, password, roles and scopes (audited; deactivation ends sessions)',
      params: IdParam,
      body: Strict({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        phone: Type.Optional(Nullable(Phone)),
        departmentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
        active: Type.Optional(Type.Boolean()),
        password: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
        roles: Type.Optional(Type.Array(RoleGrant, { maxItems: 10 })),
      }),
    },
    handler: async (req) => orgs.updatePerson(req.params.id, req.body, req.auth as Auth),
  });
}
