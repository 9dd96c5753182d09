import type { ClassKind, Edition } from '@cityloop/shared';
import type { TaxonomyClass } from './taxonomy.repository.ts';

/**
 * What a citizen reports, in plain words, and the class each one files under in each coding
 * edition. A short list of the commonest public reports; the acceptor reclassifies a report
 * when it turns out to be something else. A category whose class the city has not got, or has
 * disabled, is not offered.
 */
export interface PublicCategoryDef {
  key: string;
  zh: string;
  en: string;
  classes: Partial<Record<Edition, { kind: ClassKind; code: string }>>;
}

export const PUBLIC_CATEGORIES: readonly PublicCategoryDef[] = [
  {
    key: 'garbage',
    zh: '垃圾乱倒、垃圾堆积',
    en: 'Rubbish dumped or piling up',
    classes: { 'CJT214-2007': { kind: 'event', code: '0102' }, 'GBT47678.5-2026': { kind: 'event', code: '06010' } },
  },
  {
    key: 'bin',
    zh: '垃圾箱满溢、损坏',
    en: 'Bin overflowing or broken',
    classes: { 'CJT214-2007': { kind: 'component', code: '0305' }, 'GBT47678.5-2026': { kind: 'event', code: '03005' } },
  },
  {
    key: 'manhole',
    zh: '井盖丢失、破损',
    en: 'Manhole cover missing or broken',
    classes: { 'CJT214-2007': { kind: 'component', code: '0114' }, 'GBT47678.5-2026': { kind: 'event', code: '01023' } },
  },
  {
    key: 'streetlight',
    zh: '路灯不亮、损坏',
    en: 'Street light out or broken',
    classes: { 'CJT214-2007': { kind: 'component', code: '0118' }, 'GBT47678.5-2026': { kind: 'event', code: '01037' } },
  },
  {
    key: 'road',
    zh: '道路破损、坑洼',
    en: 'Damaged road or pothole',
    classes: { 'CJT214-2007': { kind: 'event', code: '0110' }, 'GBT47678.5-2026': { kind: 'event', code: '06013' } },
  },
  {
    key: 'flooding',
    zh: '道路积水',
    en: 'Flooded road',
    classes: { 'CJT214-2007': { kind: 'event', code: '0406' } },
  },
  {
    key: 'flyers',
    zh: '乱贴小广告',
    en: 'Illegal flyers and stickers',
    classes: { 'CJT214-2007': { kind: 'event', code: '0201' }, 'GBT47678.5-2026': { kind: 'event', code: '07001' } },
  },
  {
    key: 'vending',
    zh: '占道经营、店外经营',
    en: 'Stalls or shops blocking the pavement',
    classes: { 'CJT214-2007': { kind: 'event', code: '0504' }, 'GBT47678.5-2026': { kind: 'event', code: '09005' } },
  },
  {
    key: 'clutter',
    zh: '乱堆物料、杂物',
    en: 'Things piled on the street',
    classes: { 'CJT214-2007': { kind: 'event', code: '0507' }, 'GBT47678.5-2026': { kind: 'event', code: '06036' } },
  },
  {
    key: 'parking',
    zh: '机动车乱停放',
    en: 'Cars parked where they should not be',
    classes: { 'CJT214-2007': { kind: 'event', code: '0505' }, 'GBT47678.5-2026': { kind: 'event', code: '09009' } },
  },
  {
    key: 'bikes',
    zh: '共享单车、非机动车乱停放',
    en: 'Bikes parked in the way',
    classes: { 'CJT214-2007': { kind: 'event', code: '0506' }, 'GBT47678.5-2026': { kind: 'event', code: '09010' } },
  },
  {
    key: 'construction',
    zh: '工地扬尘、施工扰民',
    en: 'Building-site dust or noise',
    classes: { 'CJT214-2007': { kind: 'event', code: '0302' }, 'GBT47678.5-2026': { kind: 'event', code: '08004' } },
  },
  {
    key: 'greenery',
    zh: '绿地脏乱',
    en: 'Dirty or neglected green space',
    classes: { 'CJT214-2007': { kind: 'event', code: '0106' }, 'GBT47678.5-2026': { kind: 'event', code: '06017' } },
  },
  {
    key: 'other',
    zh: '其他市容问题',
    en: 'Something else',
    classes: { 'CJT214-2007': { kind: 'event', code: '0199' } },
  },
];

export interface PublicCategory {
  key: string;
  label: string;
  labelEn: string;
  kind: ClassKind;
  classCode: string;
  /** The class's name in the taxonomy (the standard's term). */
  className: string;
}

/** The categories offered in an edition: those whose class exists and is active, in the list's order. */
export async function resolvePublicCategories(
  edition: Edition,
  getClass: (edition: Edition, kind: ClassKind, code: string) => Promise<TaxonomyClass | null>,
): Promise<PublicCategory[]> {
  const out: PublicCategory[] = [];
  for (const def of PUBLIC_CATEGORIES) {
    const ref = def.classes[edition];
    if (!ref) continue;
    const cls = await getClass(edition, ref.kind, ref.code);
    if (!cls?.active || cls.level === 'major') continue;
    out.push({ key: def.key, label: def.zh, labelEn: def.en, kind: ref.kind, classCode: ref.code, className: cls.name });
  }
  return out;
}
