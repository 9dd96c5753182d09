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

export type Light = 'green' | 'yellow' | 'red' | 'none';

/** A case as the lists and the detail return it. */
export interface CaseItem {
  id: number;
  number: string;
  source: string;
  workflow: string;
  kind: 'component' | 'event';
  edition: string;
  classCode: string;
  severity: string;
  urgent: boolean;
  description: string;
  address: string | null;
  lng: number | null;
  lat: number | null;
  gridId: number | null;
  communityId: number | null;
  streetId: number | null;
  districtId: number | null;
  componentId: number | null;
  state: string;
  phase: string;
  phaseStartedAt: string | null;
  phaseDeadline: string | null;
  phaseTimeType: string | null;
  departmentId: number | null;
  disposalDeadline: string | null;
  pendingRequest: { type: string; reason?: string } | null;
  selfHandled: boolean;
  reporterContact: { name?: string; phone?: string } | null;
  /** Within the source: 12345 / 12319, the office, the outlet, open311, platform. */
  channel?: string | null;
  /** The other side's reference: work-order number, document number, the city platform's case. */
  sourceRef?: string | null;
  reworkCount: number;
  postponeCount: number;
  returnCount: number;
  superviseCount: number;
  archiveType: string | null;
  closedAt: string | null;
  mergedIntoId: number | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** In a list asked with suggest=true, on cases waiting for dispatch: where the routing rules send it. */
  suggestion?: QueueSuggestion | null;
}

/** The routing rules' suggestion for a case in a queue (the case detail has the alternatives too). */
export type QueueSuggestion =
  | {
      kind: 'department';
      department: { id: number; name: string };
      via: 'rule' | 'maintainer' | 'street_office';
      rule: { id: number; name: string } | null;
      explanation: string;
    }
  | { kind: 'coordination'; reason: 'no_rule' | 'disputed'; explanation: string };

export interface CaseDetail extends CaseItem {
  allowedActions: string[];
  /** The disposing department's name (whoever may see the case, department list or not). */
  departmentName: string | null;
  linkedReports: Array<Partial<CaseItem> & { id: number }>;
  duplicates: Array<Partial<CaseItem> & { id: number; distanceM?: number }>;
  /** A public case's rating and 未解决 by its reporter. */
  publicFeedback?: Array<{ kind: 'rating' | 'not_fixed'; stars: number | null; comment: string | null; createdAt: string }>;
}

export interface CaseList {
  items: CaseItem[];
  total: number;
}

export interface CaseCounts {
  todo: number;
  overdue: number;
  warning: number;
  urgent: number;
  done: number;
  todoByState: Record<string, number>;
}

export interface TimelineRow {
  seq: number;
  action: string;
  fromState: string | null;
  toState: string | null;
  phase: string;
  actorName: string | null;
  actorRole: string | null;
  departmentName: string | null;
  startedAt: string;
  endedAt: string | null;
  deadlineAt: string | null;
  timeType: string | null;
  onTime: boolean | null;
  note: string | null;
  payload: { photos?: string[]; [k: string]: unknown } | null;
}

/** A case's photo as GET /api/cases/:id/photos gives it: EXIF, flags, and the log step that brought it. */
export interface CasePhoto {
  id: string;
  width: number;
  height: number;
  exif: { takenAt: string | null; lng: number | null; lat: number | null } | null;
  /** exif_missing | exif_gps_far | exif_time_far | duplicate */
  flags: string[];
  createdAt: string;
  url: string;
  thumbUrl: string;
  seq: number | null;
  action: string | null;
  attachedAt: string | null;
  /** The problem (处置前) or the result (处置后). */
  stage: 'before' | 'after';
}

export interface DepartmentRef {
  id: number;
  code: string;
  name: string;
  shortName?: string | null;
  level: string;
  kind?: string;
}

export interface DispatchSuggestion {
  kind: string;
  via: string;
  department: DepartmentRef | null;
  rule: { id: number; name: string; priority: number } | null;
  explanation: string;
  alternatives: DepartmentRef[];
}

export interface ClassNode {
  edition: string;
  kind: 'component' | 'event';
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
  children?: ClassNode[];
}

export interface GeocodeHit {
  id: number;
  kind: string;
  name: string;
  fullAddress: string;
  lng: number;
  lat: number;
  grid: RegionRef | null;
}

export interface MediaItem {
  id: string;
  url: string;
  thumbUrl: string;
  flags: string[];
}
