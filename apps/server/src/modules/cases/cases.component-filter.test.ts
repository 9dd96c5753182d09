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

  interface Component {
    id: number;
    code: string;
    classCode: string;
    lng: number;
    lat: number;
  }
  /** Components in the city's grids whose class is enabled, newest or oldest first. */
  const components = async (order: 'asc' | 'desc', limit: number) =>
    (
      await sql<Component>`
        SELECT c.id, c.code, c.class_code, c.lng, c.lat FROM component c
        JOIN taxonomy_class t ON t.edition = c.edition AND t.kind = 'component' AND t.code = c.class_code AND t.enabled
        WHERE c.grid_id IS NOT NULL ORDER BY c.id ${sql.raw(order)} LIMIT ${limit}`.execute(t.ctx.db)
    ).rows;
  /** The inspector reports a case of the component's class at `location`, on the component unless `onComponent` is false. */
  const report = async (c: Component, description: string, location = { lng: c.lng, lat: c.lat }, onComponent = true) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: inspector },
      payload: {
        source: 'inspector',
        kind: 'component',
        classCode: c.classCode,
        ...(onComponent ? { componentCode: c.code } : {}),
        description,
        location,
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: number; duplicates: Array<{ id: number; sameComponent: boolean; distanceM: number }> };
  };

  it('lists only the cases on the component', async () => {
    const [a, b] = await components('asc', 2);
    if (!a || !b) throw new Error('the demo city has no components');
    const onA = (await report(a, '井盖破损')).id;
    await report(b, '另一个部件');
    const res = await t.app.inject({ method: 'GET', url: `/api/cases?componentId=${a.id}`, headers: { cookie: admin } });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((c: { id: number }) => c.id)).toEqual([onA]);
    expect(res.json().items[0].componentId).toBe(a.id);
  });

  it('offers the open cases on the same component as duplicates, however far the reports are placed apart', async () => {
    const comps = await components('desc', 200);
    const [a] = comps;
    if (!a) throw new Error('the demo city has no components');
    // A place in the city ~300 m or more from the component: another component's.
    const metres = (p: { lng: number; lat: number }, q: { lng: number; lat: number }) =>
      Math.hypot((p.lng - q.lng) * 111_320 * Math.cos((p.lat * Math.PI) / 180), (p.lat - q.lat) * 110_540);
    const away = comps.find((c) => metres(c, a) > 300);
    if (!away) throw new Error('no component 300 m from the first');
    const first = await report(a, '井盖缺失');
    const second = await report(a, '井盖缺失', { lng: away.lng, lat: away.lat });
    const offered = second.duplicates.find((d) => d.id === first.id);
    expect(offered).toMatchObject({ sameComponent: true });
    expect(offered?.distanceM).toBeGreaterThan(250);
    // The same place without the component is not offered the case 300 m away.
    const plain = await report(a, '井盖缺失', { lng: away.lng, lat: away.lat }, false);
    expect(plain.duplicates.map((d) => d.id)).not.toContain(first.id);
    expect(plain.duplicates.map((d) => d.id)).toContain(second.id);
  });
});
