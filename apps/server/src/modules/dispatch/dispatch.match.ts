/**
 * The dispatch matcher (派遣规则匹配): pure, no I/O, so it can run for every report at intake.
 *
 * A rule's conditions: class (edition + kind + code; a 2-digit major code covers the whole
 * major, a minor code also covers its detail classes; NULL = any), region (a district, street
 * or unit grid; NULL = anywhere), component owner department (NULL = any component or none).
 *
 * Specificity — compared in this order, the first difference decides:
 *   1. region:  grid (3) > street (2) > district (1) > anywhere (0)
 *   2. class:   detail (3) > minor (2) > major (1) > any (0)
 *   3. owner:   owner named and matching (1) > none (0)
 *   4. priority: higher explicit priority wins between equally specific rules
 * Rules still tied after step 4 that name the SAME department agree: the lowest rule id is
 * cited. Tied rules naming DIFFERENT departments are a dispute → the coordination queue (协同).
 *
 * A case linked to a component goes to the component's maintainer department (养护单位),
 * unless a matching rule explicitly overrides it: a rule that names the case's exact class
 * (minor or detail, not a major or "any") AND a region or an owner. Among overriding rules
 * the order above applies.
 *
 * No matching rule: the street office of the case's street (属地) when the city allows that
 * fallback and one exists; otherwise the coordination queue with reason 'no_rule'.
 */

export type RuleRegionLevel = 'district' | 'street' | 'grid';

export interface DeptRef {
  id: number;
  code: string;
  name: string;
  level: 'city' | 'district' | 'street';
}

/** A rule as the matcher sees it: conditions resolved to current region ids, names for explanations. */
export interface MatchRule {
  id: number;
  name: string;
  edition: string | null;
  kind: string | null;
  classCode: string | null;
  className: string | null;
  /** The CURRENT region id the rule applies to (the service maps region versions by code). */
  regionId: number | null;
  regionLevel: RuleRegionLevel | null;
  regionName: string | null;
  ownerDepartmentId: number | null;
  ownerName: string | null;
  department: DeptRef;
  priority: number;
  validFrom: Date | null;
  validTo: Date | null;
}

export interface MatchInput {
  edition: string;
  kind: string;
  classCode: string;
  className?: string | null;
  gridId?: number | null;
  streetId?: number | null;
  districtId?: number | null;
  /** The linked component's maintainer (养护单位), when the case has a component. */
  componentMaintainer?: DeptRef | null;
  componentOwnerId?: number | null;
  /** The street office (街道办事处) of the case's street, for the 属地 fallback. */
  streetOffice?: DeptRef | null;
  /** When the case is dispatched (rules outside their validity window are ignored); default now. */
  at?: Date;
}

export interface MatchOptions {
  /** Fall back to the street office (属地) when no rule matches. Default true. */
  streetFallback?: boolean;
}

export interface Specificity {
  region: number;
  class: number;
  owner: number;
}

export interface RuleRef {
  id: number;
  name: string;
  priority: number;
  specificity: Specificity;
}

export type Via = 'rule' | 'maintainer' | 'street_office';

export interface Candidate {
  via: Via;
  department: DeptRef;
  rule: RuleRef | null;
  explanation: string;
}

export interface DepartmentResult {
  kind: 'department';
  via: Via;
  department: DeptRef;
  rule: RuleRef | null;
  explanation: string;
  /** Other departments that matched, best first (what a dispatcher may pick instead). */
  alternatives: Candidate[];
}

export interface CoordinationResult {
  kind: 'coordination';
  reason: 'no_rule' | 'disputed';
  explanation: string;
  /** Disputed: the departments in dispute; no rule: the street office, if one exists. */
  candidates: Candidate[];
}

export type MatchResult = DepartmentResult | CoordinationResult;

const REGION_RANK: Record<RuleRegionLevel, number> = { district: 1, street: 2, grid: 3 };
/** Length of a detail class code (细类) per edition; majors are 2 digits. */
const DETAIL_LENGTH: Record<string, number> = { 'CJT214-2007': 6, 'GBT47678.5-2026': 7 };

/** Rank of a rule's class condition: any 0, major 1, minor 2, detail 3. */
export function classRank(edition: string | null, code: string | null): number {
  if (code === null) return 0;
  if (code.length === 2) return 1;
  return edition !== null && code.length >= (DETAIL_LENGTH[edition] ?? Number.POSITIVE_INFINITY) ? 3 : 2;
}

/** The specificity of a rule that matches `input`, or null when it does not match. */
export function ruleMatches(rule: MatchRule, input: MatchInput, at: Date): Specificity | null {
  if (rule.edition !== null && rule.edition !== input.edition) return null;
  if (rule.kind !== null && rule.kind !== input.kind) return null;
  if (rule.classCode !== null && !(rule.classCode === input.classCode || input.classCode.startsWith(rule.classCode))) return null;
  let region = 0;
  if (rule.regionId !== null) {
    const level = rule.regionLevel;
    const id = level === 'grid' ? input.gridId : level === 'street' ? input.streetId : level === 'district' ? input.districtId : null;
    if (level === null || id == null || id !== rule.regionId) return null;
    region = REGION_RANK[level];
  }
  if (rule.ownerDepartmentId !== null && rule.ownerDepartmentId !== input.componentOwnerId) return null;
  if (rule.validFrom && rule.validFrom.getTime() > at.getTime()) return null;
  if (rule.validTo && rule.validTo.getTime() <= at.getTime()) return null;
  return { region, class: classRank(rule.edition, rule.classCode), owner: rule.ownerDepartmentId === null ? 0 : 1 };
}

interface Scored {
  rule: MatchRule;
  spec: Specificity;
}

/** Negative when `a` should win over `b`: region, class, owner, priority, then the lower id. */
export function compareScored(a: Scored, b: Scored): number {
  return (
    b.spec.region - a.spec.region ||
    b.spec.class - a.spec.class ||
    b.spec.owner - a.spec.owner ||
    b.rule.priority - a.rule.priority ||
    a.rule.id - b.rule.id
  );
}

const sameRank = (a: Scored, b: Scored) =>
  a.spec.region === b.spec.region && a.spec.class === b.spec.class && a.spec.owner === b.spec.owner && a.rule.priority === b.rule.priority;

const deptLabel = (d: DeptRef) => d.name;
const classLabel = (code: string | null, name: string | null, en: boolean) =>
  code === null ? (en ? 'any class' : '任意类别') : name ? `${code} ${name}` : code;

/** '规则 #12「…」：0101 上水井盖 × 西陵区 → 水务集团 / Rule #12 "…": 0101 上水井盖 × 西陵区 → 水务集团' */
export function explainRule(rule: MatchRule): string {
  const part = (en: boolean) => {
    const cls = classLabel(rule.classCode, rule.className, en);
    const region = rule.regionId === null ? (en ? 'city-wide' : '全市') : (rule.regionName ?? `#${rule.regionId}`);
    const owner =
      rule.ownerDepartmentId === null
        ? ''
        : en
          ? ` × owner ${rule.ownerName ?? rule.ownerDepartmentId}`
          : ` × 权属 ${rule.ownerName ?? rule.ownerDepartmentId}`;
    const name = rule.name ? (en ? ` "${rule.name}"` : `「${rule.name}」`) : '';
    return en
      ? `Rule #${rule.id}${name}: ${cls} × ${region}${owner} → ${deptLabel(rule.department)}`
      : `规则 #${rule.id}${name}：${cls} × ${region}${owner} → ${deptLabel(rule.department)}`;
  };
  return `${part(false)} / ${part(true)}`;
}

function ruleRef(s: Scored): RuleRef {
  return { id: s.rule.id, name: s.rule.name, priority: s.rule.priority, specificity: s.spec };
}

function ruleCandidate(s: Scored): Candidate {
  return { via: 'rule', department: s.rule.department, rule: ruleRef(s), explanation: explainRule(s.rule) };
}

function maintainerCandidate(d: DeptRef, input: MatchInput): Candidate {
  const cls = classLabel(input.classCode, input.className ?? null, false);
  return {
    via: 'maintainer',
    department: d,
    rule: null,
    explanation: `部件养护单位：${deptLabel(d)}（${cls}）/ Component maintainer: ${deptLabel(d)} (${cls})`,
  };
}

function streetCandidate(d: DeptRef): Candidate {
  return {
    via: 'street_office',
    department: d,
    rule: null,
    explanation: `无匹配规则，按属地派往 ${deptLabel(d)} / No rule matched; by locality (属地) to ${deptLabel(d)}`,
  };
}

/** Best rule per department (ranked list → one candidate per department, best first). */
function distinctByDepartment(ranked: Scored[]): Scored[] {
  const seen = new Set<number>();
  return ranked.filter((s) => !seen.has(s.rule.department.id) && seen.add(s.rule.department.id));
}

/**
 * Chooses among ranked rules: the winner, or a dispute when the top rank names several
 * departments. `extra` candidates (e.g. the maintainer) are appended to the alternatives.
 */
function decide(ranked: Scored[], extra: Candidate[]): MatchResult {
  const top = ranked[0] as Scored;
  const tied = ranked.filter((s) => sameRank(s, top));
  const tiedDepts = distinctByDepartment(tied);
  if (tiedDepts.length > 1) {
    const ids = tiedDepts.map((s) => `#${s.rule.id}`).join('、');
    const idsEn = tiedDepts.map((s) => `#${s.rule.id}`).join(', ');
    const names = tiedDepts.map((s) => deptLabel(s.rule.department));
    return {
      kind: 'coordination',
      reason: 'disputed',
      explanation:
        `规则 ${ids} 同等具体却指向不同单位（${names.join('、')}），转协同 / ` +
        `Rules ${idsEn} are equally specific but name different departments (${names.join(', ')}); to the coordination queue`,
      candidates: [...tiedDepts.map(ruleCandidate), ...extra],
    };
  }
  const alternatives = distinctByDepartment(ranked)
    .filter((s) => s.rule.department.id !== top.rule.department.id)
    .map(ruleCandidate);
  for (const e of extra) {
    if (e.department.id !== top.rule.department.id && !alternatives.some((a) => a.department.id === e.department.id)) alternatives.push(e);
  }
  return {
    kind: 'department',
    via: 'rule',
    department: top.rule.department,
    rule: ruleRef(top),
    explanation: explainRule(top.rule),
    alternatives,
  };
}

/** Whether a matching rule takes a component case away from the component's maintainer. */
export const overridesMaintainer = (s: Scored) => s.spec.class >= 2 && (s.spec.region > 0 || s.spec.owner > 0);

/** Routes one case: see the module comment for the order of precedence. */
export function matchRules(rules: readonly MatchRule[], input: MatchInput, options: MatchOptions = {}): MatchResult {
  const at = input.at ?? new Date();
  const ranked: Scored[] = [];
  for (const rule of rules) {
    const spec = ruleMatches(rule, input, at);
    if (spec) ranked.push({ rule, spec });
  }
  ranked.sort(compareScored);

  const maintainer = input.componentMaintainer ?? null;
  if (maintainer) {
    const overriding = ranked.filter(overridesMaintainer);
    const m = maintainerCandidate(maintainer, input);
    if (overriding.length > 0) {
      const rest = distinctByDepartment(ranked.filter((s) => !overridesMaintainer(s))).map(ruleCandidate);
      const result = decide(overriding, [m]);
      if (result.kind === 'department') {
        for (const c of rest) {
          if (c.department.id !== result.department.id && !result.alternatives.some((a) => a.department.id === c.department.id)) {
            result.alternatives.push(c);
          }
        }
      }
      return result;
    }
    const alternatives = distinctByDepartment(ranked)
      .filter((s) => s.rule.department.id !== maintainer.id)
      .map(ruleCandidate);
    return { kind: 'department', via: 'maintainer', department: maintainer, rule: null, explanation: m.explanation, alternatives };
  }

  if (ranked.length > 0) return decide(ranked, []);

  const office = input.streetOffice ?? null;
  if (office && options.streetFallback !== false) {
    const c = streetCandidate(office);
    return { kind: 'department', via: 'street_office', department: office, rule: null, explanation: c.explanation, alternatives: [] };
  }
  return {
    kind: 'coordination',
    reason: 'no_rule',
    explanation: '无匹配规则，转协同 / No rule matched; to the coordination queue',
    candidates: office ? [streetCandidate(office)] : [],
  };
}
