import { DEMO_PASSWORD } from '@cityloop/shared';
import type { Context } from '../../context.ts';

/**
 * A tiny city for the component tests on an empty database: two adjacent unit grids
 * (A west, B east, each 0.01° square), two departments, an admin, a department admin of
 * each department and an inspector (read-only).
 */
export const GRID_A = [111.3, 30.7, 111.31, 30.71] as const;
export const GRID_B = [111.31, 30.7, 111.32, 30.71] as const;

const square = ([a, b, c, d]: readonly number[]) =>
  JSON.stringify({
    type: 'Polygon',
    coordinates: [
      [
        [a, b],
        [c, b],
        [c, d],
        [a, d],
        [a, b],
      ],
    ],
  });

export interface TinyCity {
  gridA: number;
  gridB: number;
  deptA: number;
  deptB: number;
}

export async function buildTinyCity(ctx: Context): Promise<TinyCity> {
  const repo = ctx.services.regions.repo;
  const base = { parentId: null, districtId: null, streetId: null, communityId: null };
  const gridA = await repo.insert({ ...base, level: 'grid', code: '420502001001001', name: '网格A', geojson: square(GRID_A) });
  const gridB = await repo.insert({ ...base, level: 'grid', code: '420502001001002', name: '网格B', geojson: square(GRID_B) });
  const dept = (code: string, name: string) =>
    ctx.db
      .insertInto('department')
      .values({ code, name, level: 'city' })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then((r) => r.id);
  const deptA = await dept('T-A', '甲部门');
  const deptB = await dept('T-B', '乙部门');
  const orgs = ctx.services.orgs;
  await orgs.createPerson({ username: 'admin', name: '管理员', password: DEMO_PASSWORD, roles: [{ role: 'admin' }] }, null);
  await orgs.createPerson(
    {
      username: 'da_a',
      name: '甲管理员',
      departmentId: deptA,
      password: DEMO_PASSWORD,
      roles: [{ role: 'dept_admin', scopeDepartmentId: deptA }],
    },
    null,
  );
  await orgs.createPerson(
    {
      username: 'da_b',
      name: '乙管理员',
      departmentId: deptB,
      password: DEMO_PASSWORD,
      roles: [{ role: 'dept_admin', scopeDepartmentId: deptB }],
    },
    null,
  );
  await orgs.createPerson({ username: 'inspector', name: '监督员', password: DEMO_PASSWORD, roles: [{ role: 'inspector' }] }, null);
  return { gridA, gridB, deptA, deptB };
}

/** A CJ/T 214 component code: division 420502 + class + 6-digit serial. */
export const cjCode = (classCode: string, serial: number) => `420502${classCode}${String(serial).padStart(6, '0')}`;

/** A GeoJSON FeatureCollection of points. */
export function featureCollection(
  rows: Array<{ code: string; lng: number; lat: number; props?: Record<string, unknown>; geometry?: unknown }>,
): string {
  return JSON.stringify({
    type: 'FeatureCollection',
    features: rows.map((r) => ({
      type: 'Feature',
      properties: { code: r.code, name: '上水井盖', status: 'intact', ...r.props },
      geometry: r.geometry ?? { type: 'Point', coordinates: [r.lng, r.lat] },
    })),
  });
}
