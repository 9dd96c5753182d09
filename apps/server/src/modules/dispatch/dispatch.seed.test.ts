import { describe, expect, it } from 'vitest';
import { resolveStandardDepartments, type SeedDepartment } from './dispatch.seed.ts';

let id = 0;
const d = (name: string, p: Partial<SeedDepartment> = {}): SeedDepartment => ({
  id: ++id,
  code: `4205000${id}`,
  name,
  shortName: null,
  level: 'city',
  kind: 'execution',
  active: true,
  ...p,
});

describe('standard department codes → a city’s departments', () => {
  const cgj = d('演示市城市管理执法局');
  const sz = d('演示市市政设施管理处');
  const hw = d('演示市环境卫生管理处');
  const jj = d('演示市公安局交通警察支队');
  const sw = d('演示市水务集团有限公司');
  const tx = d('中国电信演示市分公司');
  const gb = d('演示市广电网络有限公司');
  const districtHw = d('临江区环境卫生管理所', { level: 'district' });
  const centre = d('演示市数字化城市管理监督中心', { kind: 'centre' });
  const retired = d('演示市热力公司', { active: false });
  const all = [centre, districtHw, cgj, sz, hw, jj, sw, tx, gb, retired];

  it('matches by name keywords among active city execution departments', () => {
    const m = resolveStandardDepartments(['CG-SZ', 'CG-LD', 'CG-HW', 'CG-ZF', 'CG-SR', 'SW', 'JJ', 'TX', 'GA', 'RL'], all);
    expect(Object.fromEntries(m)).toEqual({
      'CG-SZ': sz.id,
      'CG-LD': sz.id, // no 路灯处: the 市政 department
      'CG-HW': hw.id, // not the district's 环卫所
      'CG-ZF': cgj.id, // not the 监督中心 (a centre)
      'CG-SR': cgj.id,
      SW: sw.id,
      JJ: jj.id,
      TX: tx.id, // the first in code order of 电信/广电
    });
    // GA must not take the 交警支队 (公安局交通警察支队); RL's company is inactive.
    expect(m.has('GA')).toBe(false);
    expect(m.has('RL')).toBe(false);
  });

  it('a department whose code is the standard code wins over keywords', () => {
    const own = d('水务局', { code: 'SW', level: 'district' });
    expect(resolveStandardDepartments(['SW'], [...all, own]).get('SW')).toBe(own.id);
  });
});
