import type { ColumnType, Generated } from 'kysely';

/**
 * Table types, camelCased (Kysely's CamelCasePlugin maps them to snake_case SQL).
 * Keep in step with migrations/*.sql. Geometry columns are written and read through
 * SQL functions (ST_GeomFromGeoJSON / ST_AsGeoJSON), so they are typed as strings.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;
type Geometry = ColumnType<string, string, string>;

export interface SchemaMigrationTable {
  version: string;
  name: string;
  appliedAt: Generated<Date>;
}

export interface CitySettingTable {
  key: string;
  value: Json;
  updatedAt: Generated<Date>;
}

export interface RegionTable {
  id: Generated<number>;
  level: 'district' | 'street' | 'community' | 'grid';
  code: string;
  name: string;
  parentId: number | null;
  districtId: number | null;
  streetId: number | null;
  communityId: number | null;
  geom: Geometry;
  areaM2: number;
  version: Generated<number>;
  validFrom: Generated<Date>;
  validTo: Timestamp | null;
  properties: ColumnType<Record<string, unknown>, string | undefined, string>;
  createdAt: Generated<Date>;
}

export interface DepartmentTable {
  id: Generated<number>;
  code: string;
  name: string;
  shortName: string | null;
  level: 'city' | 'district' | 'street';
  kind: ColumnType<'execution' | 'support' | 'centre', 'execution' | 'support' | 'centre' | undefined>;
  parentId: number | null;
  regionId: number | null;
  phone: string | null;
  active: Generated<boolean>;
  createdAt: Generated<Date>;
}

export interface PersonTable {
  id: Generated<number>;
  username: string;
  name: string;
  phone: string | null;
  departmentId: number | null;
  passwordHash: string | null;
  active: Generated<boolean>;
  locale: Generated<string>;
  createdAt: Generated<Date>;
}

export interface PersonRoleTable {
  id: Generated<number>;
  personId: number;
  role: string;
  scopeRegionId: number | null;
  scopeDepartmentId: number | null;
}

export interface BeatTable {
  id: Generated<number>;
  code: string;
  name: string;
  inspectorId: number | null;
  createdAt: Generated<Date>;
}

export interface BeatGridTable {
  beatId: number;
  gridId: number;
}

export interface SessionTable {
  tokenHash: string;
  personId: number;
  createdAt: Generated<Date>;
  expiresAt: Timestamp;
  lastSeenAt: Generated<Date>;
}

export interface ApiKeyTable {
  id: Generated<number>;
  name: string;
  prefix: string;
  keyHash: string;
  role: string;
  departmentId: number | null;
  createdBy: number | null;
  createdAt: Generated<Date>;
  lastUsedAt: Timestamp | null;
  revokedAt: Timestamp | null;
}

export interface TaxonomyClassTable {
  id: Generated<number>;
  edition: 'CJT214-2007' | 'GBT47678.5-2026';
  kind: 'component' | 'event';
  code: string;
  name: string;
  level: 'major' | 'minor' | 'detail';
  parentCode: string | null;
  majorCode: string;
  filingCondition: string | null;
  closingCondition: string | null;
  disposalLimit: ColumnType<unknown, string | null, string | null>;
  defaultDepartmentCode: string | null;
  severityLevels: ColumnType<unknown, string | undefined, string>;
  geometryType: 'point' | 'line' | 'polygon' | null;
  relatedCode: string | null;
  isExtension: Generated<boolean>;
  enabled: Generated<boolean>;
  sort: Generated<number>;
  updatedAt: Generated<Date>;
}

export interface ComponentTable {
  id: Generated<number>;
  code: string;
  edition: string;
  classCode: string;
  name: string | null;
  geom: Geometry;
  status: Generated<string>;
  ownerDepartmentId: number | null;
  maintainerDepartmentId: number | null;
  gridId: number | null;
  address: string | null;
  attributes: ColumnType<Record<string, unknown>, string | undefined, string>;
  source: string | null;
  version: Generated<number>;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
}

export interface ComponentHistoryTable {
  id: Generated<number>;
  componentId: number;
  changedAt: Generated<Date>;
  changedBy: number | null;
  action: string;
  before: ColumnType<unknown, string | null, string | null>;
  after: ColumnType<unknown, string | null, string | null>;
}

export interface GazetteerTable {
  id: Generated<number>;
  kind: 'district' | 'area' | 'block' | 'road' | 'doorplate' | 'poi';
  name: string;
  fullAddress: string;
  roadName: string | null;
  houseNumber: string | null;
  districtId: number | null;
  gridId: number | null;
  geom: Geometry;
  aliases: ColumnType<string[], string[] | undefined, string[]>;
  searchText: string;
  validFrom: Generated<Date>;
  validTo: Timestamp | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Generated<Date>;
  actorId: number | null;
  action: string;
  entity: string;
  entityId: string | null;
  before: ColumnType<unknown, string | null, string | null>;
  after: ColumnType<unknown, string | null, string | null>;
}

export interface DB {
  schemaMigration: SchemaMigrationTable;
  citySetting: CitySettingTable;
  region: RegionTable;
  department: DepartmentTable;
  person: PersonTable;
  personRole: PersonRoleTable;
  beat: BeatTable;
  beatGrid: BeatGridTable;
  session: SessionTable;
  apiKey: ApiKeyTable;
  taxonomyClass: TaxonomyClassTable;
  component: ComponentTable;
  componentHistory: ComponentHistoryTable;
  gazetteer: GazetteerTable;
  auditLog: AuditLogTable;
}
