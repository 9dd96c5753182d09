/** A dispatch rule as GET /api/dispatch/rules returns it. */
export interface DispatchRule {
  id: number;
  name: string;
  edition: string | null;
  kind: 'component' | 'event' | null;
  classCode: string | null;
  className: string | null;
  regionId: number | null;
  regionCode: string | null;
  regionLevel: 'district' | 'street' | 'grid' | null;
  regionName: string | null;
  ownerDepartmentId: number | null;
  ownerName: string | null;
  departmentId: number;
  departmentCode: string;
  departmentName: string;
  departmentLevel: string;
  departmentActive: boolean;
  priority: number;
  enabled: boolean;
  validFrom: string | null;
  validTo: string | null;
  source: 'manual' | 'seed';
  createdAt: string;
  updatedAt: string;
}

export interface Specificity {
  region: number;
  class: number;
  owner: number;
}

const REGION_RANK: Record<string, number> = { district: 1, street: 2, grid: 3 };
/** Length of a detail class code (细类) per edition; majors are 2 digits (as the server's matcher). */
const DETAIL_LENGTH: Record<string, number> = { 'CJT214-2007': 6, 'GBT47678.5-2026': 7 };

/** How specific a rule is, in the matcher's terms: region grid 3 > street 2 > district 1 > city-wide 0; class detail 3 > minor 2 > major 1 > any 0; owner named 1. */
export function specificity(r: Pick<DispatchRule, 'edition' | 'classCode' | 'regionLevel' | 'ownerDepartmentId'>): Specificity {
  const code = r.classCode;
  let cls = 0;
  if (code !== null) {
    if (code.length === 2) cls = 1;
    else cls = r.edition !== null && code.length >= (DETAIL_LENGTH[r.edition] ?? Number.POSITIVE_INFINITY) ? 3 : 2;
  }
  return { region: r.regionLevel ? (REGION_RANK[r.regionLevel] ?? 0) : 0, class: cls, owner: r.ownerDepartmentId === null ? 0 : 1 };
}

/**
 * The order the matcher ranks rules in (region, class, owner, priority, then the lower id).
 * Disabled rules never match but keep their place, so disabling one does not move its row.
 */
export function compareRules(a: DispatchRule, b: DispatchRule): number {
  const sa = specificity(a);
  const sb = specificity(b);
  return sb.region - sa.region || sb.class - sa.class || sb.owner - sa.owner || b.priority - a.priority || a.id - b.id;
}
