import { EDITIONS, WORKFLOWS } from '@cityloop/shared';
import { Type } from '@sinclair/typebox';
import type { App } from '../../app.ts';
import { IdParam, Nullable, OneOf, Strict } from '../../lib/schema.ts';
import { WORKFLOW_DEFS } from './workflow.definitions.ts';

/** Workflow definitions (read-only data) and which one each class (and district) runs. */
export async function workflowRoutes(app: App) {
  const { ctx } = app;

  app.get('/api/workflows', {
    config: { access: 'authenticated' },
    schema: {
      tags: ['workflow'],
      summary: 'The workflow definitions: states with phases and limits, transitions with roles and required input',
    },
    handler: async () => Object.values(WORKFLOW_DEFS),
  });

  app.get('/api/workflows/bindings', {
    config: { access: 'taxonomy.read' },
    schema: { tags: ['workflow'], summary: 'Which workflow applies to which class (and district); default standard' },
    handler: async () => ctx.db.selectFrom('workflowBinding').selectAll().orderBy('id').execute(),
  });

  app.post('/api/workflows/bindings', {
    config: { access: 'taxonomy.write' },
    schema: {
      tags: ['workflow'],
      summary:
        'Bind a class (a minor code, a 2-digit major, or all classes of a kind) in a district (or city-wide) to a workflow; new cases only',
      body: Strict({
        edition: OneOf(EDITIONS),
        kind: OneOf(['component', 'event'] as const),
        classCode: Type.Optional(Nullable(Type.String({ pattern: '^\\d{2,9}$' }))),
        districtId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
        workflow: OneOf(WORKFLOWS),
      }),
    },
    handler: async (req, reply) => {
      const b = req.body;
      const row = await ctx.services.cases.bindWorkflow(
        { edition: b.edition, kind: b.kind, classCode: b.classCode ?? null, districtId: b.districtId ?? null, workflow: b.workflow },
        req.auth?.personId ?? null,
      );
      return reply.code(201).send(row);
    },
  });

  app.delete('/api/workflows/bindings/:id', {
    config: { access: 'taxonomy.write' },
    schema: { tags: ['workflow'], summary: 'Remove a binding (new cases fall back to the next one, or standard)', params: IdParam },
    handler: async (req, reply) => {
      await ctx.services.cases.unbindWorkflow(req.params.id, req.auth?.personId ?? null);
      return reply.code(204).send(null);
    },
  });
}
