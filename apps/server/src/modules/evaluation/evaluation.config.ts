/**
 * Scoring as data (STANDARDS.md, 综合评价): each object type lists the indicators of its
 * composite with a direction, a conversion to a 0–100 score and a weight; bucket tables turn
 * counts into scores; the grade ladder turns the composite into A–E. The city's versions live
 * in evaluation_config; DEFAULT_EVALUATION_CONFIG is version 1 (the migration stores it).
 */

export const DEPARTMENT_INDICATORS = [
  'dueDisposal', // 应处置数
  'disposed', // 处置数
  'disposalRate', // 处置率
  'disposedOnTime', // 按期处置数
  'onTimeDisposalRate', // 按期处置率
  'disposedLate', // 超期处置数
  'overdueUndisposed', // 超期未处置数
  'rework', // 返工数
  'reworkRate', // 返工率
  'postponed', // 延期数
  'suspended', // 挂账数
  'returned', // 回退数
  'closed', // 结案数
  'dueClose', // 应结案数
  'closeRate', // 结案率
  'overdueMultiple', // 超期处置倍数: Σ elapsed / limit over the late disposals
] as const;
export type DepartmentIndicator = (typeof DEPARTMENT_INDICATORS)[number];

export const REGION_INDICATORS = [
  'reportVerified', // 监督举报数 (public and hotline reports confirmed by 核实)
  'reportRate', // 监督举报率 = 监督举报数 / 立案数
  'registered', // 立案数
  'closed', // 结案数
  'dueClose', // 应结案数
  'closeRate', // 结案率
  'closedOnTime', // 按期结案数
  'onTimeCloseRate', // 按期结案率
] as const;
export type RegionIndicator = (typeof REGION_INDICATORS)[number];

/** Positions (岗位): the roles evaluated person by person. */
export const POSITION_ROLES = ['inspector', 'acceptor', 'shiftlead', 'dispatcher'] as const;
export type PositionRole = (typeof POSITION_ROLES)[number];

export const POSITION_INDICATORS = {
  // 监督员
  inspector: [
    'reported', // 上报数 (not self-handled)
    'validReported', // 有效上报数: reports that led to 立案
    'validReportRate', // 有效上报率
    'verifyDue', // 应核实数
    'verifiedOnTime', // 按时核实数
    'onTimeVerifyRate', // 按时核实率
    'checkDue', // 应核查数
    'checkedOnTime', // 按时核查数
    'onTimeCheckRate', // 按时核查率
    'missed', // 漏报数
    'beatRegistered', // 立案数 of the beat's grids (漏报率's denominator)
    'missedRate', // 漏报率
    'selfHandled', // 自处理数
  ],
  // 受理员
  acceptor: [
    'received', // 受理数
    'receivedOnTime', // 按时受理数
    'onTimeReceiveRate', // 按时受理率
    'sentVerify', // 发核实数 (应发核实数)
    'sentVerifyOnTime', // 按时发核实数
    'sendVerifyOnTimeRate', // 核实按时派发率
    'sentCheck', // 发核查数 (应发核查数)
    'sentCheckOnTime', // 按时发核查数
    'sendCheckOnTimeRate', // 核查按时派发率
  ],
  // 值班长
  shiftlead: [
    'registered', // 立案数
    'registeredOnTime', // 按时立案数
    'onTimeRegisterRate', // 按时立案率
    'cancelled', // 作废数 (of the cases they registered)
    'accurateRegisterRate', // 准确立案率 = (立案数 − 作废数) / 立案数
    'closed', // 结案数
    'closedOnTime', // 按时结案数
    'onTimeCloseRate', // 按时结案率 = 按时结案数 / 结案数
  ],
  // 派遣员
  dispatcher: [
    'dispatched', // 派遣数
    'dispatchedOnTime', // 按时派遣数
    'onTimeDispatchRate', // 按时派遣率
    'misdispatched', // 错误派遣数
    'accurateDispatchRate', // 准确派遣率 = (派遣数 − 错误派遣数) / 派遣数
  ],
} as const satisfies Record<PositionRole, readonly string[]>;
export type PositionIndicator<R extends PositionRole = PositionRole> = (typeof POSITION_INDICATORS)[R][number];

export type Indicator = DepartmentIndicator | RegionIndicator | PositionIndicator;
export type ObjectType = 'department' | 'region' | PositionRole;

/** A count → score table: the first row whose `upTo` (inclusive) is ≥ the count gives the score. */
export interface BucketTable {
  rows: Array<{ upTo: number; score: number }>;
  otherwise: number;
}

export interface CompositeTerm {
  indicator: Indicator;
  /** 'up': higher is better; 'down': lower is better (a rate scores 100 − rate). */
  direction: 'up' | 'down';
  /** 'rate': the rate in percent (or 100 − it when direction is down); 'bucket': a bucket table. */
  conversion: 'rate' | 'bucket';
  /** Bucket table name; for regions, `regionClassTables` picks it by the region's class instead. */
  table?: string;
  weight: number;
}

export interface EvaluationConfig {
  /** Per object type; a version without a position's terms (version 1) leaves that position unscored. */
  composites: Record<'department' | 'region', CompositeTerm[]> & Partial<Record<PositionRole, CompositeTerm[]>>;
  buckets: Record<string, BucketTable>;
  /** Region class (一类/二类/三类) → bucket table for the region 立案数 term. */
  regionClassTables: Record<string, string>;
  /** Region classes: a default and per-region overrides (region id → class). */
  regionClasses: { default: string; byRegionId: Record<string, string> };
  /** Grade ladder, highest first: a composite ≥ min gets the grade. */
  grades: Array<{ grade: string; min: number; color: string; label: string }>;
}

/** The STANDARDS.md bucket scores, one per `upTo` bound in turn; 0 past the last bound. */
const LADDER_SCORES = [100, 90, 75, 60, 40];
const ladder = (upTos: number[]): BucketTable => ({
  rows: upTos.map((upTo, i) => ({ upTo, score: LADDER_SCORES[i] as number })),
  otherwise: 0,
});

/** A count where more is better, as inclusive upper bounds: ≤100 → 0, ≤300 → 40, …, ≥2001 → 100. */
const RISING: BucketTable = {
  rows: [
    { upTo: 100, score: 0 },
    { upTo: 300, score: 40 },
    { upTo: 500, score: 60 },
    { upTo: 1200, score: 75 },
    { upTo: 2000, score: 90 },
  ],
  otherwise: 100,
};

/** STANDARDS.md defaults (version 2: version 1 plus the positions); the region weights use CityLoop's correction (按期结案率 40 %, sum 100 %). */
export const DEFAULT_EVALUATION_CONFIG: EvaluationConfig = {
  composites: {
    department: [
      // 案件数: the department's caseload, taken as 应处置数.
      { indicator: 'dueDisposal', direction: 'down', conversion: 'bucket', table: 'departmentCases', weight: 10 },
      { indicator: 'closeRate', direction: 'up', conversion: 'rate', weight: 30 },
      { indicator: 'onTimeDisposalRate', direction: 'up', conversion: 'rate', weight: 30 },
      { indicator: 'reworkRate', direction: 'down', conversion: 'rate', weight: 30 },
    ],
    region: [
      { indicator: 'reportRate', direction: 'down', conversion: 'rate', weight: 10 },
      { indicator: 'registered', direction: 'down', conversion: 'bucket', weight: 20 },
      { indicator: 'closeRate', direction: 'up', conversion: 'rate', weight: 30 },
      { indicator: 'onTimeCloseRate', direction: 'up', conversion: 'rate', weight: 40 },
    ],
    // 监督员: 有效上报率 40 + (100 − 漏报率) 20 + 按时核实率 20 + 按时核查率 20 (漏报率 inverted: STANDARDS bug 3).
    inspector: [
      { indicator: 'validReportRate', direction: 'up', conversion: 'rate', weight: 40 },
      { indicator: 'missedRate', direction: 'down', conversion: 'rate', weight: 20 },
      { indicator: 'onTimeVerifyRate', direction: 'up', conversion: 'rate', weight: 20 },
      { indicator: 'onTimeCheckRate', direction: 'up', conversion: 'rate', weight: 20 },
    ],
    // 受理员: 受理数 (bucket) 25 + 核实按时派发率 40 + 核查按时派发率 35 (bug 4: each rate in its own slot).
    acceptor: [
      { indicator: 'received', direction: 'up', conversion: 'bucket', table: 'acceptorReceived', weight: 25 },
      { indicator: 'sendVerifyOnTimeRate', direction: 'up', conversion: 'rate', weight: 40 },
      { indicator: 'sendCheckOnTimeRate', direction: 'up', conversion: 'rate', weight: 35 },
    ],
    // 值班长: 按时立案率 25 + 准确立案率 40 + 按时结案率 35 (bug 5: 按时结案率 in its own slot).
    shiftlead: [
      { indicator: 'onTimeRegisterRate', direction: 'up', conversion: 'rate', weight: 25 },
      { indicator: 'accurateRegisterRate', direction: 'up', conversion: 'rate', weight: 40 },
      { indicator: 'onTimeCloseRate', direction: 'up', conversion: 'rate', weight: 35 },
    ],
    // 派遣员: 派遣数 (bucket, bug 6) 20 + 按时派遣率 40 + 准确派遣率 40.
    dispatcher: [
      { indicator: 'dispatched', direction: 'up', conversion: 'bucket', table: 'dispatcherDispatched', weight: 20 },
      { indicator: 'onTimeDispatchRate', direction: 'up', conversion: 'rate', weight: 40 },
      { indicator: 'accurateDispatchRate', direction: 'up', conversion: 'rate', weight: 40 },
    ],
  },
  buckets: {
    // ≤50 → 100, ≤100 → 90, ≤200 → 75, ≤500 → 60, ≤1000 → 40, else 0.
    departmentCases: ladder([50, 100, 200, 500, 1000]),
    // 一类区域: 0 → 100, <3 → 90, <5 → 75, <7 → 60, <9 → 40, else 0.
    regionClass1: ladder([0, 2, 4, 6, 8]),
    // 二类区域: 0 → 100, <4 → 90, <6 → 75, <8 → 60, <10 → 40, else 0.
    regionClass2: ladder([0, 3, 5, 7, 9]),
    // 受理数 in a month (more is better): ≥2001 → 100, ≥1201 → 90, ≥501 → 75, ≥301 → 60, ≥101 → 40, else 0.
    acceptorReceived: RISING,
    // 派遣数 has no source table: it starts from the 受理数 table until calibrated.
    dispatcherDispatched: RISING,
  },
  // 三类区域 has no source table: it starts from the 二类 table until calibrated.
  regionClassTables: { '1': 'regionClass1', '2': 'regionClass2', '3': 'regionClass2' },
  regionClasses: { default: '1', byRegionId: {} },
  grades: [
    { grade: 'A', min: 90, color: 'green', label: '绿' },
    { grade: 'B', min: 75, color: 'blue', label: '蓝' },
    { grade: 'C', min: 60, color: 'yellow', label: '黄' },
    { grade: 'D', min: 40, color: 'red', label: '红' },
    { grade: 'E', min: 0, color: 'black', label: '黑' },
  ],
};

/** Score of a count from a bucket table. */
export function bucketScore(table: BucketTable, count: number): number {
  for (const row of table.rows) if (count <= row.upTo) return row.score;
  return table.otherwise;
}

export interface TermScore {
  indicator: Indicator;
  value: number | null;
  /** 0–100, or null when the indicator is not applicable (zero denominator). */
  score: number | null;
  weight: number;
}

export interface Composite {
  /** Weighted score; weights of not-applicable terms are spread over the rest. Null if no term applies. */
  value: number | null;
  grade: string | null;
  color: string | null;
  terms: TermScore[];
}

/** The composite of one object from its indicator values (rates as fractions 0–1, null = N/A). */
export function composite(
  config: EvaluationConfig,
  type: ObjectType,
  values: Partial<Record<Indicator, number | null>>,
  regionId?: number,
): Composite {
  const defined = config.composites[type] ?? [];
  const terms: TermScore[] = defined.map((t) => {
    const value = values[t.indicator] ?? null;
    let score: number | null = null;
    if (value !== null) {
      if (t.conversion === 'rate') score = t.direction === 'up' ? value * 100 : 100 - value * 100;
      else {
        const name =
          type === 'region' && !t.table
            ? config.regionClassTables[config.regionClasses.byRegionId[String(regionId)] ?? config.regionClasses.default]
            : t.table;
        const table = name ? config.buckets[name] : undefined;
        if (!table) throw new Error(`evaluation config: no bucket table for ${t.indicator}`);
        score = bucketScore(table, value);
      }
    }
    return { indicator: t.indicator, value, score, weight: t.weight };
  });
  const applicable = terms.filter((t) => t.score !== null);
  const weights = applicable.reduce((s, t) => s + t.weight, 0);
  // An object none of whose rates applies (nothing due in the period) is not scored: its count
  // terms alone (a bucket gives 100 for 0 cases) would rank an idle object at the top.
  const rated = defined.some((t, i) => t.conversion === 'rate' && terms[i]?.score !== null);
  if (!rated || weights === 0) return { value: null, grade: null, color: null, terms };
  const value = applicable.reduce((s, t) => s + (t.score as number) * t.weight, 0) / weights;
  const grade = config.grades.find((g) => value >= g.min) ?? config.grades.at(-1) ?? null;
  return { value, grade: grade?.grade ?? null, color: grade?.color ?? null, terms };
}

/** A ratio, or null ("not applicable") when the denominator is zero. */
export const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);
