import type { Auth } from '../auth/auth.service.ts';
import type { CaseEvent } from './realtime.types.ts';

/** Which case events one caller may receive; the same rules as case visibility in the cases module. */
export interface EventScope {
  /** Unscoped centre roles see everything. */
  all: boolean;
  /** handler / dept_admin: their department. */
  departments: Set<number>;
  /** Region-scoped roles: any of district / street / community / grid. */
  regions: Set<number>;
  /** Inspectors: the grids of their beats. */
  grids: Set<number>;
  /** Inspectors also see what they reported themselves. */
  reporterId: number | null;
  /** Machine clients: the cases their API key filed. */
  apiKeyId: number | null;
}

/** The facts of a case that decide who may hear of it, as an event carries them. */
export function scopeFacts(c: {
  departmentId: number | null;
  districtId: number | null;
  streetId: number | null;
  communityId: number | null;
  gridId: number | null;
  reporterId: number | null;
  apiKeyId: number | null;
  urgent: boolean;
}): Pick<CaseEvent, 'departmentId' | 'districtId' | 'streetId' | 'communityId' | 'gridId' | 'reporterId' | 'apiKeyId' | 'urgent'> {
  const { departmentId, districtId, streetId, communityId, gridId, reporterId, apiKeyId, urgent } = c;
  return { departmentId, districtId, streetId, communityId, gridId, reporterId, apiKeyId, urgent };
}

const CENTRE_ROLES = ['admin', 'leader', 'acceptor', 'shiftlead', 'dispatcher'];

/** Builds the scope of a caller; `beatGrids` loads an inspector's grids (once per connection). */
export async function scopeOf(auth: Auth, beatGrids: (personId: number) => Promise<number[]>): Promise<EventScope> {
  const scope: EventScope = { all: false, departments: new Set(), regions: new Set(), grids: new Set(), reporterId: null, apiKeyId: null };
  scope.all = auth.roles.some((r) => CENTRE_ROLES.includes(r.role) && r.scopeRegionId === null && r.scopeDepartmentId === null);
  if (scope.all) return scope;
  for (const r of auth.roles) {
    if (r.scopeRegionId !== null) scope.regions.add(r.scopeRegionId);
    if (r.role === 'handler' || r.role === 'dept_admin') {
      const dept = r.scopeDepartmentId ?? auth.departmentId;
      if (dept !== null) scope.departments.add(dept);
    }
    if (r.role === 'inspector' && auth.personId !== null) {
      scope.reporterId = auth.personId;
      for (const g of await beatGrids(auth.personId)) scope.grids.add(g);
    }
    if (r.role === 'machine' && auth.apiKeyId !== null) scope.apiKeyId = auth.apiKeyId;
  }
  return scope;
}

const has = (set: Set<number>, v: number | null | undefined) => v !== null && v !== undefined && set.has(v);

/** Whether an event falls inside the scope. */
export function inScope(scope: EventScope, e: CaseEvent): boolean {
  if (scope.all) return true;
  if (has(scope.departments, e.departmentId)) return true;
  if (e.departmentIds?.some((d) => scope.departments.has(d))) return true;
  if (
    has(scope.regions, e.districtId) ||
    has(scope.regions, e.streetId) ||
    has(scope.regions, e.communityId) ||
    has(scope.regions, e.gridId)
  )
    return true;
  if (has(scope.grids, e.gridId)) return true;
  if (scope.reporterId !== null && e.reporterId === scope.reporterId) return true;
  if (scope.apiKeyId !== null && e.apiKeyId === scope.apiKeyId) return true;
  return false;
}
