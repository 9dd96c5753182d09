import { EDITIONS } from '@cityloop/shared';
import { type Static, Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { Nullable, Strict, TimeLimitSchema } from '../../lib/schema.ts';
import { resolvePublicCategories } from './taxonomy.public.ts';

const Edition = Type.Union(
  EDITIONS.map((e) => Type.Literal(e)),
  { description: 'coding edition' },
);
const Kind = Type.Union([Type.Literal('component'), Type.Literal('event')], { description: '管理部件 component / 管理事件 event (事项)' });
const Level = Type.Union([Type.Literal('major'), Type.Literal('minor'), Type.Literal('detail')]);
const Code = Type.String({
  pattern: '^\\d{2,7}$',
  description: 'class code: major 2 digits, minor 4 (CJ/T 214) or 5 (GB/T 47678.5), detail minor + 2',
});
const GeometryType = Type.Union([Type.Literal('point'), Type.Literal('line'), Type.Literal('polygon')]);

const Severity = Strict({
  code: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }),
  name: Type.String({ minLength: 1, maxLength: 50 }),
  limit: Type.Optional(TimeLimitSchema),
});

const ClassSchema = Type.Object({
  edition: Type.String(),
  kind: Type.String(),
  code: Type.String(),
  name: Type.String(),
  level: Type.String(),
  parentCode: Nullable(Type.String()),
  majorCode: Type.String(),
  filingCondition: Nullable(Type.String({ description: '立案条件' })),
  closingCondition: Nullable(Type.String({ description: '结案条件' })),
  disposalLimit: Nullable(TimeLimitSchema),
  defaultDepartmentCode: Nullable(Type.String()),
  severityLevels: Type.Array(Severity),
  geometryType: Nullable(Type.String()),
  relatedCode: Nullable(Type.String({ description: 'GB/T 47678.5 facility matter → its component class' })),
  isExtension: Type.Boolean({ description: "a city's own class (not in the standard)" }),
  enabled: Type.Boolean(),
  active: Type.Boolean({ description: 'enabled and every ancestor enabled: usable for new reports' }),
  updatedAt: Type.Unsafe<Date | string>(Type.String({ format: 'date-time' })),
});
type ClassNode = Static<typeof ClassSchema> & { children: ClassNode[] };
const ClassNodeSchema = Type.Recursive((self) => Type.Intersect([ClassSchema, Type.Object({ children: Type.Array(self) })]), {
  $id: 'TaxonomyNode',
});

const ClassParams = Strict({ edition: Edition, kind: Kind, code: Code });

const RuleFields = {
  filingCondition: Type.Optional(Nullable(Type.String({ maxLength: 2000, description: '立案条件' }))),
  closingCondition: Type.Optional(Nullable(Type.String({ maxLength: 2000, description: '结案条件' }))),
  disposalLimit: Type.Optional(Nullable(TimeLimitSchema)),
  defaultDepartmentCode: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 50 }))),
  severityLevels: Type.Optional(Type.Array(Severity, { maxItems: 10 })),
  geometryType: Type.Optional(Nullable(GeometryType)),
  relatedCode: Type.Optional(Nullable(Code)),
};

export async function taxonomyRoutes(app: App) {
  const taxonomy = app.ctx.services.taxonomy;

  app.get('/api/public/categories', {
    config: { access: 'public' },
    schema: {
      tags: ['public'],
      summary: "What a citizen may report, in plain words, each with the class of the city's taxonomy it files under",
      response: {
        200: Type.Array(
          Type.Object({
            key: Type.String(),
            label: Type.String({ description: 'plain words, Simplified Chinese' }),
            labelEn: Type.String(),
            kind: Kind,
            classCode: Type.String(),
            className: Type.String({ description: "the class's name in the taxonomy" }),
          }),
        ),
      },
    },
    handler: async (_req, reply) => {
      const { edition } = await app.ctx.services.settings.get();
      reply.header('cache-control', 'public, max-age=300');
      return resolvePublicCategories(edition, (e, k, c) => taxonomy.getClass(e, k, c));
    },
  });

  app.get('/api/taxonomy/classes', {
    config: { access: 'taxonomy.read' },
    schema: {
      tags: ['taxonomy'],
      summary: 'List component/event classes with their rules (立结案标准)',
      querystring: Strict({
        edition: Type.Optional(Edition),
        kind: Type.Optional(Kind),
        level: Type.Optional(Level),
        parentCode: Type.Optional(Code),
        q: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'name contains, or code starts with' })),
        enabled: Type.Optional(Type.Boolean({ description: 'filter on the effective state (`active`)' })),
        limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }),
        offset: Type.Integer({ minimum: 0, default: 0 }),
      }),
      response: { 200: Type.Object({ items: Type.Array(ClassSchema), total: Type.Integer() }) },
    },
    handler: async (req) => taxonomy.list(req.query),
  });

  app.get('/api/taxonomy/tree', {
    config: { access: 'taxonomy.read' },
    schema: {
      tags: ['taxonomy'],
      summary: 'Majors → minors → detail classes of one edition (default: the city setting)',
      querystring: Strict({ edition: Type.Optional(Edition), kind: Type.Optional(Kind) }),
      response: { 200: Type.Array(ClassNodeSchema) },
    },
    handler: async (req) => (await taxonomy.tree(req.query.edition, req.query.kind)) as unknown as ClassNode[],
  });

  app.get('/api/taxonomy/classes/:edition/:kind/:code', {
    config: { access: 'taxonomy.read' },
    schema: { tags: ['taxonomy'], summary: 'One class', params: ClassParams, response: { 200: ClassSchema } },
    handler: async (req) => taxonomy.requireClass(req.params.edition, req.params.kind, req.params.code),
  });

  app.post('/api/taxonomy/classes', {
    config: { access: 'taxonomy.write' },
    schema: {
      tags: ['taxonomy'],
      summary: 'Create a city extension class: a major (21+), a minor under a major, or a detail class (细类) under a minor',
      body: Strict({
        edition: Edition,
        kind: Kind,
        code: Type.String({ minLength: 1, maxLength: 20 }),
        name: Type.String({ minLength: 1, maxLength: 100 }),
        parentCode: Type.Optional(Type.String({ maxLength: 20 })),
        enabled: Type.Optional(Type.Boolean()),
        ...RuleFields,
      }),
      response: { 201: ClassSchema },
    },
    handler: async (req, reply) => reply.code(201).send(await taxonomy.create(req.body, req.auth?.personId ?? null)),
  });

  app.patch('/api/taxonomy/classes/:edition/:kind/:code', {
    config: { access: 'taxonomy.write' },
    schema: {
      tags: ['taxonomy'],
      summary: 'Edit a class: name, 立案/结案条件, disposal limit, department, severity levels, geometry; enabled=false disables it',
      params: ClassParams,
      body: Strict({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        enabled: Type.Optional(
          Type.Boolean({ description: 'false: no new reports in this class (a disabled major disables its children)' }),
        ),
        ...RuleFields,
      }),
      response: { 200: ClassSchema },
    },
    handler: async (req) => taxonomy.update(req.params.edition, req.params.kind, req.params.code, req.body, req.auth?.personId ?? null),
  });

  app.delete('/api/taxonomy/classes/:edition/:kind/:code', {
    config: { access: 'taxonomy.write' },
    schema: {
      tags: ['taxonomy'],
      summary: 'Delete an unused city extension class (standard classes can only be disabled)',
      params: ClassParams,
      response: { 204: Type.Null() },
    },
    handler: async (req, reply) => {
      await taxonomy.remove(req.params.edition, req.params.kind, req.params.code, req.auth?.personId ?? null);
      return reply.code(204).send(null);
    },
  });
}
