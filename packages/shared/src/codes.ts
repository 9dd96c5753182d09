/** Coding editions of the component and event tables. */
export const EDITIONS = ['CJT214-2007', 'GBT47678.5-2026'] as const;
export type Edition = (typeof EDITIONS)[number];

export type ClassKind = 'component' | 'event';

export interface ClassRef {
  edition: Edition;
  kind: ClassKind;
  major: string;
  minor: string;
  code: string;
}

const CLASS_CODE: Record<Edition, RegExp> = {
  'CJT214-2007': /^(\d{2})(\d{2})$/,
  'GBT47678.5-2026': /^(\d{2})(\d{3})$/,
};
const COMPONENT_ID: Record<Edition, RegExp> = {
  'CJT214-2007': /^(\d{6})(\d{2})(\d{2})(\d{6})$/,
  'GBT47678.5-2026': /^(\d{6})(\d{2})(\d{3})(\d{6})$/,
};

/** Parses a 4-digit (CJ/T 214) or 5-digit (GB/T 47678.5) class code; null when it does not fit. */
export function parseClassCode(edition: Edition, kind: ClassKind, code: string): ClassRef | null {
  const m = CLASS_CODE[edition].exec(code);
  if (!m) return null;
  return { edition, kind, major: m[1] as string, minor: m[2] as string, code };
}

/** Parses a component id: 16 digits (CJ/T 214) or 17 digits (GB/T 47678.5). */
export function parseComponentId(edition: Edition, id: string): { division: string; classCode: string; serial: string } | null {
  const m = COMPONENT_ID[edition].exec(id);
  if (!m) return null;
  return { division: m[1] as string, classCode: `${m[2]}${m[3]}`, serial: m[4] as string };
}

/** Which edition a component id belongs to, by its length. */
export function componentIdEdition(id: string): Edition | null {
  if (/^\d{16}$/.test(id)) return 'CJT214-2007';
  if (/^\d{17}$/.test(id)) return 'GBT47678.5-2026';
  return null;
}

export type GridCodeDigits = 14 | 15;

/** Unit grid code: division 6 + street 3 + community 3 + serial 2 (CJ/T 213) or 3 (GB/T 30428.1). */
export function parseGridCode(
  code: string,
  digits: GridCodeDigits,
): { district: string; street: string; community: string; serial: string } | null {
  const re = digits === 14 ? /^(\d{6})(\d{3})(\d{3})(\d{2})$/ : /^(\d{6})(\d{3})(\d{3})(\d{3})$/;
  const m = re.exec(code);
  if (!m) return null;
  return { district: m[1] as string, street: m[2] as string, community: m[3] as string, serial: m[4] as string };
}

/** Region code lengths by level: district 6, street 9, community 12, grid 14 or 15. */
export function regionCodePattern(level: RegionLevel, gridDigits: GridCodeDigits): RegExp {
  switch (level) {
    case 'district':
      return /^\d{6}$/;
    case 'street':
      return /^\d{9}$/;
    case 'community':
      return /^\d{12}$/;
    case 'grid':
      return gridDigits === 14 ? /^\d{14}$/ : /^\d{15}$/;
  }
}

export const REGION_LEVELS = ['district', 'street', 'community', 'grid'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

export const COMPONENT_STATUSES = ['intact', 'damaged', 'lost', 'occupied', 'removed'] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];
export const COMPONENT_STATUS_LABELS: Record<ComponentStatus, string> = {
  intact: '完好',
  damaged: '破损',
  lost: '丢失',
  occupied: '占用',
  removed: '废弃',
};

export const COORD_SYSTEMS = ['wgs84', 'gcj02', 'bd09'] as const;
export type CoordSys = (typeof COORD_SYSTEMS)[number];

export type TimeType = 'urgent' | 'work' | 'natural';
export interface TimeLimit {
  value: number;
  unit: 'minute' | 'hour' | 'day';
  timeType: TimeType;
}
