import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';

/** The census view lists the cases reported on one component: GET /api/cases?componentId=. */
describe('cases: filter by component', () => {
  let t: TestApp;
  let admin: string;
  let inspector: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login('admin');
    inspector = await t.login('inspector');
  });
  afterAll(() => t.close());

  it('lists only the cases on the component', async () => {
    const comps = await sql<{ id: number; code: string; classCode: string; lng: number; lat: number }>`
      SELECT c.id, c.code, c.class_code, c.lng, c.lat FROM component c
      JOIN taxonomy_class t ON t.edition = c.edition AND t.kind = 'component' AND t.code = c.class_code AND t.enabled
      WHERE c.grid_id IS NOT NULL ORDER BY c.id LIMIT 2`.execute(t.ctx.db);
    const [a, b] = comps.rows;
    if (!a || !b) throw new Error('the demo city has no components');
    const report = async (c: typeof a, description: string) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/cases',
        headers: { cookie: inspector },
        payload: {
          source: 'inspector',
          kind: 'component',
          classCode: c.classCode,
          componentCode: c.code,
          description,
          location: { lng: c.lng, lat: c.lat },
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as number;
    };
    const onA = await report(a, '井盖破损');
    await report(b, '另一个部件');
    const res = await t.app.inject({ method: 'GET', url: `/api/cases?componentId=${a.id}`, headers: { cookie: admin } });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((c: { id: number }) => c.id)).toEqual([onA]);
    expect(res.json().items[0].componentId).toBe(a.id);
  });
});
