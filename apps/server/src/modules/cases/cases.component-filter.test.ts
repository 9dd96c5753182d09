import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers.ts';

/**
 * The census view lists the cases reported on one component (GET /api/cases?componentId=), and a
 * report on a component is offered the open cases on it as duplicates wherever it is placed.
 */
describe('cases: by component', () => {
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

  it('offers the open cases on the same component as duplicates, however far the reports are placed apart', async () => {
    const comps = (
      await sql<{ id: number; code: string; classCode: string; lng: number; lat: number }>`
        SELECT c.id, c.code, c.class_code, c.lng, c.lat FROM component c
        JOIN taxonomy_class t ON t.edition = c.edition AND t.kind = 'component' AND t.code = c.class_code AND t.enabled
        WHERE c.grid_id IS NOT NULL ORDER BY c.id DESC LIMIT 200`.execute(t.ctx.db)
    ).rows;
    const [a] = comps;
    if (!a) throw new Error('the demo city has no components');
    // A place in the city ~300 m or more from the component: another component's.
    const metres = (p: { lng: number; lat: number }, q: { lng: number; lat: number }) =>
      Math.hypot((p.lng - q.lng) * 111_320 * Math.cos((p.lat * Math.PI) / 180), (p.lat - q.lat) * 110_540);
    const away = comps.find((c) => metres(c, a) > 300);
    if (!away) throw new Error('no component 300 m from the first');
    const report = async (location: { lng: number; lat: number }) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/cases',
        headers: { cookie: inspector },
        payload: {
          source: 'inspector',
          kind: 'component',
          classCode: a.classCode,
          componentCode: a.code,
          description: '井盖缺失',
          location,
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json() as { id: number; duplicates: Array<{ id: number; sameComponent: boolean; distanceM: number }> };
    };
    const first = await report({ lng: a.lng, lat: a.lat });
    const second = await report({ lng: away.lng, lat: away.lat });
    const offered = second.duplicates.find((d) => d.id === first.id);
    expect(offered).toMatchObject({ sameComponent: true });
    expect(offered?.distanceM).toBeGreaterThan(250);
    // The same place without the component is not offered the case 300 m away.
    const plain = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: inspector },
      payload: {
        source: 'inspector',
        kind: 'component',
        classCode: a.classCode,
        description: '井盖缺失',
        location: { lng: away.lng, lat: away.lat },
      },
    });
    expect(plain.statusCode, plain.body).toBe(201);
    expect(plain.json().duplicates.map((d: { id: number }) => d.id)).not.toContain(first.id);
    expect(plain.json().duplicates.map((d: { id: number }) => d.id)).toContain(second.id);
  });
});
