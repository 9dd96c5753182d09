/** Shapes of the API answers the console uses. */

export interface RoleGrant {
  role: string;
  scopeRegionId?: number | null;
  scopeDepartmentId?: number | null;
}

export interface Me {
  kind: string;
  personId: number | null;
  username: string;
  name: string;
  departmentId: number | null;
  roles: RoleGrant[];
}

export interface Settings {
  cityName: string;
  cityCode: string;
  gridCodeDigits: 14 | 15;
  edition: string;
  timeZone: string;
  mapCenter: [number, number];
  mapZoom: number;
  basemapUrl: string | null;
}

export type RegionLevel = 'district' | 'street' | 'community' | 'grid';

export type BBox = [number, number, number, number];

export interface RegionNode {
  id: number;
  level: RegionLevel;
  code: string;
  name: string;
  bbox: BBox;
  gridCount: number;
  children?: RegionNode[];
}

export interface RegionRef {
  id: number;
  code: string;
  name: string;
}

export interface LocateResult {
  point: [number, number];
  distanceM: number;
  grid: RegionRef;
  community: RegionRef | null;
  street: RegionRef | null;
  district: RegionRef | null;
}

export interface RegionProperties {
  id: number;
  code: string;
  name: string;
  level: RegionLevel;
  parentId: number | null;
  areaM2: number;
}

export interface ComponentProperties {
  count: number;
  id?: number;
  code?: string;
  classCode?: string;
  className?: string;
  status?: string;
}

export interface FeatureCollection<P = unknown> {
  type: 'FeatureCollection';
  features: Array<{ type: 'Feature'; id?: number | string; geometry: unknown; properties: P }>;
}
