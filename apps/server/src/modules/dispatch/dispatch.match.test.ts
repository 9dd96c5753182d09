import { describe, expect, it } from 'vitest';
import { classRank, type DeptRef, type MatchInput, type MatchRule, matchRules } from './dispatch.match.ts';

const dept = (id: number, name: string, level: DeptRef['level'] = 'city'): DeptRef => ({ id, code: `D${id}`, name, level });
const SW = dept(1, '水务集团');
const SZ = dept(2, '市政处');
const CGJ = dept(3, '临江城管局', 'district');
const HW = dept(4, '环卫处');
const OFFICE = dept(5, '东湖街道办事处', 'street');
const MAINT = dept(6, '养护公司');

// Regions: district 10 ⊃ street 20 ⊃ grid 30; another district 11.
const AT = { gridId: 30, streetId: 20, districtId: 10 };
const REGION = {
  district: { regionId: 10, regionLevel: 'district' as const, regionName: '临江区' },
  street: { regionId: 20, regionLevel: 'street' as const, regionName: '东湖街道' },
  grid: { regionId: 30, regionLevel: 'grid' as const, regionName: '420502001001001' },
  otherDistrict: { regionId: 11, regionLevel: 'district' as const, regionName: '南岸区' },
};

let nextId = 1;
function rule(p: Partial<MatchRule> & { department: DeptRef }): MatchRule {
  return {
    id: nextId++,
    name: '',
    edition: 'CJT214-2007',
    kind: 'component',
    classCode: null,
    className: null,
    regionId: null,
    regionLevel: null,
    regionName: null,
    ownerDepartmentId: null,
    ownerName: null,
    priority: 0,
    validFrom: null,
    validTo: null,
    ...p,
  };
}

const input = (p: Partial<MatchInput> = {}): MatchInput => ({
  edition: 'CJT214-2007',
  kind: 'component',
  classCode: '0101',
  className: '上水井盖',
  ...AT,
  ...p,
});

const winner = (rules: MatchRule[], i: MatchInput = input()) => {
  const r = matchRules(rules, i);
  if (r.kind !== 'department') throw new Error(`expected a department, got ${r.kind} ${r.reason}`);
  return r;
};

describe('class rank', () => {
  it('ranks any < major < minor < detail in both editions', () => {
    expect(classRank(null, null)).toBe(0);
    expect(classRank('CJT214-2007', '01')).toBe(1);
    expect(classRank('CJT214-2007', '0101')).toBe(2);
    expect(classRank('CJT214-2007', '010101')).toBe(3);
    expect(classRank('GBT47678.5-2026', '01001')).toBe(2);
    expect(classRank('GBT47678.5-2026', '0100101')).toBe(3);
  });
});

describe('matching conditions', () => {
  it('a class condition matches its own code, its major covers minors and details, a minor covers its details', () => {
    const major = rule({ classCode: '01', department: SZ });
    expect(winner([major]).department).toEqual(SZ);
    expect(winner([major], input({ classCode: '010101' })).department).toEqual(SZ);
    expect(matchRules([major], input({ classCode: '0201' })).kind).toBe('coordination');
    const minor = rule({ classCode: '0101', department: SW });
    expect(winner([minor], input({ classCode: '010101' })).department).toEqual(SW);
    expect(matchRules([minor], input({ classCode: '0102' })).kind).toBe('coordination');
    const detail = rule({ classCode: '010101', department: SW });
    expect(matchRules([detail], input({ classCode: '0101' })).kind).toBe('coordination');
  });

  it('edition and kind must agree; NULL edition/kind matches any', () => {
    const r = rule({ classCode: '0101', department: SW });
    expect(matchRules([r], input({ kind: 'event' })).kind).toBe('coordination');
    expect(matchRules([r], input({ edition: 'GBT47678.5-2026' })).kind).toBe('coordination');
    const anything = rule({ edition: null, kind: null, department: HW });
    expect(winner([anything], input({ edition: 'GBT47678.5-2026', kind: 'event', classCode: '01001' })).department).toEqual(HW);
  });

  it('a region condition matches only cases inside that district, street or grid', () => {
    const other = rule({ ...REGION.otherDistrict, department: CGJ });
    expect(matchRules([other], input()).kind).toBe('coordination');
    for (const r of [REGION.district, REGION.street, REGION.grid]) {
      expect(winner([rule({ ...r, department: CGJ })]).department).toEqual(CGJ);
    }
    // A case with no grid/street (outside the city) never matches a regional rule.
    expect(matchRules([rule({ ...REGION.grid, department: CGJ })], input({ gridId: null, streetId: null, districtId: null })).kind).toBe(
      'coordination',
    );
  });

  it('an owner condition needs the component owner to be that department', () => {
    const r = rule({ classCode: '0101', ownerDepartmentId: SW.id, ownerName: SW.name, department: SW });
    expect(matchRules([r], input()).kind).toBe('coordination');
    expect(matchRules([r], input({ componentOwnerId: SZ.id })).kind).toBe('coordination');
    expect(winner([r], input({ componentOwnerId: SW.id })).department).toEqual(SW);
  });

  it('rules outside their validity window are ignored (valid_to is exclusive)', () => {
    const at = new Date('2026-11-22T00:00:00Z');
    const future = rule({ validFrom: new Date('2026-12-01T00:00:00Z'), department: SW });
    const ended = rule({ validTo: at, department: SZ });
    const current = rule({ validFrom: new Date('2026-01-01T00:00:00Z'), validTo: new Date('2027-01-01T00:00:00Z'), department: HW });
    expect(winner([future, ended, current], input({ at })).department).toEqual(HW);
    expect(matchRules([future, ended], input({ at })).kind).toBe('coordination');
  });
});

describe('specificity: the most specific rule wins', () => {
  it('region: grid > street > district > anywhere, whatever the order of the rules', () => {
    const anywhere = rule({ classCode: '0101', department: SW });
    const district = rule({ ...REGION.district, department: CGJ });
    const street = rule({ ...REGION.street, department: OFFICE });
    const grid = rule({ ...REGION.grid, department: HW });
    const all = [anywhere, district, street, grid];
    expect(winner(all).department).toEqual(HW);
    expect(winner([...all].reverse()).department).toEqual(HW);
    expect(winner([anywhere, district, street]).department).toEqual(OFFICE);
    expect(winner([anywhere, district]).department).toEqual(CGJ);
    expect(winner([anywhere]).department).toEqual(SW);
  });

  it('region outranks class: "any class in this street" beats "0101 anywhere"', () => {
    const byClass = rule({ classCode: '0101', department: SW });
    const byStreet = rule({ ...REGION.street, department: OFFICE });
    const r = winner([byClass, byStreet]);
    expect(r.department).toEqual(OFFICE);
    expect(r.alternatives.map((a) => a.department.id)).toEqual([SW.id]);
  });

  it('class within the same region: detail > minor > major > any', () => {
    const any = rule({ ...REGION.district, department: CGJ });
    const major = rule({ ...REGION.district, classCode: '01', department: SZ });
    const minor = rule({ ...REGION.district, classCode: '0101', department: SW });
    const detail = rule({ ...REGION.district, classCode: '010101', department: HW });
    expect(winner([any, major, minor, detail], input({ classCode: '010101' })).department).toEqual(HW);
    expect(winner([any, major, minor, detail], input({ classCode: '0101' })).department).toEqual(SW);
    expect(winner([any, major, detail], input({ classCode: '0101' })).department).toEqual(SZ);
    expect(winner([any, detail], input({ classCode: '0101' })).department).toEqual(CGJ);
  });

  it('owner within the same region and class: a matching owner condition beats none', () => {
    const plain = rule({ classCode: '0101', department: SZ });
    const owned = rule({ classCode: '0101', ownerDepartmentId: SW.id, department: SW });
    expect(winner([plain, owned], input({ componentOwnerId: SW.id })).department).toEqual(SW);
    expect(winner([plain, owned], input({ componentOwnerId: 99 })).department).toEqual(SZ);
  });

  it('class outranks owner: "0101 owned by X" loses to "010101" in the same region', () => {
    const owned = rule({ classCode: '0101', ownerDepartmentId: SW.id, department: SW });
    const detail = rule({ classCode: '010101', department: HW });
    expect(winner([owned, detail], input({ classCode: '010101', componentOwnerId: SW.id })).department).toEqual(HW);
  });

  it('explicit priority breaks a tie between equally specific rules naming different departments', () => {
    const a = rule({ classCode: '0101', department: SW, priority: 0 });
    const b = rule({ classCode: '0101', department: SZ, priority: 5 });
    const r = winner([a, b]);
    expect(r.department).toEqual(SZ);
    expect(r.rule?.id).toBe(b.id);
    expect(r.alternatives.map((x) => x.department.id)).toEqual([SW.id]);
  });

  it('priority never beats specificity', () => {
    const loud = rule({ classCode: '0101', department: SW, priority: 1000 });
    const specific = rule({ ...REGION.grid, classCode: '0101', department: HW, priority: -5 });
    expect(winner([loud, specific]).department).toEqual(HW);
  });

  it('equally specific rules naming the same department agree: the lowest id is cited', () => {
    const first = rule({ classCode: '0101', department: SW });
    const second = rule({ classCode: '0101', department: SW });
    const r = winner([second, first]);
    expect(r.rule?.id).toBe(first.id);
    expect(r.alternatives).toEqual([]);
  });

  it('equally specific rules with equal priority naming different departments are a dispute → coordination', () => {
    const a = rule({ ...REGION.street, classCode: '0101', department: SW });
    const b = rule({ ...REGION.street, classCode: '0101', department: OFFICE });
    const lessSpecific = rule({ classCode: '0101', department: SZ });
    const r = matchRules([a, b, lessSpecific], input());
    expect(r.kind).toBe('coordination');
    if (r.kind !== 'coordination') return;
    expect(r.reason).toBe('disputed');
    expect(r.candidates.map((c) => c.department.id).sort()).toEqual([SW.id, OFFICE.id].sort());
    expect(r.explanation).toContain(`#${a.id}`);
    expect(r.explanation).toContain('to the coordination queue');
    // A more specific rule settles the dispute.
    const grid = rule({ ...REGION.grid, classCode: '0101', department: HW });
    expect(winner([a, b, grid]).department).toEqual(HW);
  });

  it('a dispute below the winning rank does not matter', () => {
    const a = rule({ classCode: '0101', department: SW });
    const b = rule({ classCode: '0101', department: SZ });
    const top = rule({ ...REGION.district, classCode: '0101', department: CGJ });
    expect(winner([a, b, top]).department).toEqual(CGJ);
  });
});

describe('component maintainer', () => {
  it('a case with a component goes to its maintainer, ahead of city-wide and catch-all rules', () => {
    const cityWide = rule({ classCode: '0101', department: SW });
    const catchAll = rule({ ...REGION.grid, department: OFFICE });
    const r = winner([cityWide, catchAll], input({ componentMaintainer: MAINT, componentOwnerId: SW.id }));
    expect(r.via).toBe('maintainer');
    expect(r.department).toEqual(MAINT);
    expect(r.rule).toBeNull();
    expect(r.explanation).toBe('部件养护单位：养护公司（0101 上水井盖）/ Component maintainer: 养护公司 (0101 上水井盖)');
    expect(r.alternatives.map((a) => a.department.id)).toEqual([OFFICE.id, SW.id]);
  });

  it('a rule naming the exact class and a region (or an owner) overrides the maintainer', () => {
    const byRegion = rule({ ...REGION.district, classCode: '0101', department: CGJ });
    const r = winner([byRegion], input({ componentMaintainer: MAINT }));
    expect(r.via).toBe('rule');
    expect(r.department).toEqual(CGJ);
    expect(r.alternatives.map((a) => a.department.id)).toEqual([MAINT.id]);

    const byOwner = rule({ classCode: '0101', ownerDepartmentId: SW.id, department: SW });
    expect(winner([byOwner], input({ componentMaintainer: MAINT, componentOwnerId: SW.id })).department).toEqual(SW);
    // A major-level regional rule is not explicit enough.
    const majorRegional = rule({ ...REGION.district, classCode: '01', department: SZ });
    expect(winner([majorRegional], input({ componentMaintainer: MAINT })).department).toEqual(MAINT);
  });

  it('overriding rules in dispute go to coordination, with the maintainer among the candidates', () => {
    const a = rule({ ...REGION.street, classCode: '0101', department: SW });
    const b = rule({ ...REGION.street, classCode: '0101', department: SZ });
    const r = matchRules([a, b], input({ componentMaintainer: MAINT }));
    expect(r).toMatchObject({ kind: 'coordination', reason: 'disputed' });
    if (r.kind === 'coordination') expect(r.candidates.map((c) => c.department.id)).toEqual([SW.id, SZ.id, MAINT.id]);
  });
});

describe('no rule', () => {
  it('falls back to the street office (属地) with its own explanation', () => {
    const r = winner([], input({ streetOffice: OFFICE }));
    expect(r.via).toBe('street_office');
    expect(r.department).toEqual(OFFICE);
    expect(r.explanation).toBe('无匹配规则，按属地派往 东湖街道办事处 / No rule matched; by locality (属地) to 东湖街道办事处');
  });

  it('goes to coordination when the fallback is off or there is no street office', () => {
    expect(matchRules([], input())).toEqual({
      kind: 'coordination',
      reason: 'no_rule',
      explanation: '无匹配规则，转协同 / No rule matched; to the coordination queue',
      candidates: [],
    });
    const off = matchRules([], input({ streetOffice: OFFICE }), { streetFallback: false });
    expect(off).toMatchObject({ kind: 'coordination', reason: 'no_rule' });
    if (off.kind === 'coordination') expect(off.candidates.map((c) => c.department.id)).toEqual([OFFICE.id]);
  });

  it('a matching rule always beats the street fallback', () => {
    const r = winner([rule({ classCode: '01', department: SZ })], input({ streetOffice: OFFICE }));
    expect(r.via).toBe('rule');
    expect(r.department).toEqual(SZ);
  });
});

describe('explanations', () => {
  it('are bilingual and name the rule, class, region and department', () => {
    const r = winner([
      rule({ id: 12, name: '', ...REGION.district, classCode: '0101', className: '上水井盖', department: { ...SW, name: '水务' } }),
    ]);
    expect(r.explanation).toBe('规则 #12：0101 上水井盖 × 临江区 → 水务 / Rule #12: 0101 上水井盖 × 临江区 → 水务');
    const any = winner([rule({ id: 13, name: '兜底', department: HW })]);
    expect(any.explanation).toBe('规则 #13「兜底」：任意类别 × 全市 → 环卫处 / Rule #13 "兜底": any class × city-wide → 环卫处');
    const owned = winner(
      [rule({ id: 14, classCode: '0101', ownerDepartmentId: SW.id, ownerName: '水务集团', department: SW })],
      input({ componentOwnerId: SW.id }),
    );
    expect(owned.explanation).toContain('× 权属 水务集团 → 水务集团');
    expect(owned.explanation).toContain('× owner 水务集团 → 水务集团');
  });
});
