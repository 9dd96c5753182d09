/**
 * Which of a city's departments a taxonomy default department code (CG-SZ, SW, JJ, …) means.
 * A department whose code IS the standard code wins; otherwise the first active city-level
 * execution department (in code order) whose name contains one of the code's keywords.
 */

interface Keywords {
  include: string[];
  exclude?: string[];
}

export const STANDARD_DEPARTMENT_KEYWORDS: Record<string, Keywords> = {
  'CG-SZ': { include: ['市政'] },
  'CG-LD': { include: ['路灯', '市政'] },
  'CG-YL': { include: ['园林', '绿化'] },
  'CG-HW': { include: ['环境卫生', '环卫'] },
  'CG-SR': { include: ['市容', '城市管理', '城管'] },
  'CG-ZF': { include: ['综合执法', '城市管理执法', '城管执法', '城市管理', '城管'] },
  SW: { include: ['水务', '供水', '水利'] },
  JJ: { include: ['交警', '交通警察'] },
  JT: { include: ['交通运输'] },
  GA: { include: ['公安'], exclude: ['交警', '交通警察'] },
  XF: { include: ['消防'] },
  DL: { include: ['供电', '电力'] },
  TX: { include: ['通信', '电信', '移动', '联通', '广电'] },
  RQ: { include: ['燃气'] },
  RL: { include: ['热力', '供热'] },
  ZJ: { include: ['住房和城乡建设', '住建'] },
  HB: { include: ['生态环境', '环保', '环境保护'] },
  SCJG: { include: ['市场监督'] },
  MZ: { include: ['民政'] },
  WL: { include: ['文化和旅游', '文旅'] },
  AJ: { include: ['应急管理'] },
  RF: { include: ['人民防空', '人防'] },
  YZ: { include: ['邮政'] },
  QX: { include: ['气象'] },
  TY: { include: ['体育'] },
};

export interface SeedDepartment {
  id: number;
  code: string;
  name: string;
  shortName: string | null;
  level: 'city' | 'district' | 'street';
  kind: 'execution' | 'support' | 'centre';
  active: boolean;
}

/** Standard code → department id, for the codes that resolve. */
export function resolveStandardDepartments(codes: Iterable<string>, departments: readonly SeedDepartment[]): Map<string, number> {
  const active = departments.filter((d) => d.active);
  const cityExec = active.filter((d) => d.level === 'city' && d.kind === 'execution').sort((a, b) => a.code.localeCompare(b.code));
  const out = new Map<string, number>();
  for (const code of codes) {
    const exact = active.find((d) => d.code === code);
    if (exact) {
      out.set(code, exact.id);
      continue;
    }
    const kw = STANDARD_DEPARTMENT_KEYWORDS[code];
    if (!kw) continue;
    const text = (d: SeedDepartment) => `${d.name} ${d.shortName ?? ''}`;
    for (const word of kw.include) {
      const hit = cityExec.find((d) => text(d).includes(word) && !(kw.exclude ?? []).some((x) => text(d).includes(x)));
      if (hit) {
        out.set(code, hit.id);
        break;
      }
    }
  }
  return out;
}
