import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClassKind, type Edition, parseClassCode, type TimeLimit } from '@cityloop/shared';
import type { Context } from '../../context.ts';
import type { TransactionHandle } from '../../db/database.ts';
import { badRequest, conflict, notFound, unprocessable } from '../../errors.ts';
import { TtlCache } from '../../lib/ttl-cache.ts';
import {
  type ClassFilter,
  type ClassLevel,
  type ClassWrite,
  type GeometryType,
  type SeedRow,
  type SeverityLevel,
  type TaxonomyClass,
  TaxonomyRepository,
} from './taxonomy.repository.ts';

export type { ClassLevel, GeometryType, SeverityLevel, TaxonomyClass } from './taxonomy.repository.ts';

/** The committed standards data (built by standards/build.ts); the only taxonomy source at run time. */
export const STANDARDS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../standards/taxonomy.json');

interface StandardsFile {
  format: string;
  departments: Array<{ code: string; name: string }>;
  tables: Array<{
    edition: Edition;
    kind: ClassKind;
    title: string;
    classes: Array<{
      code: string;
      name: string;
      level: 'major' | 'minor';
      parent: string | null;
      geometryType?: GeometryType | null;
      filingCondition?: string;
      closingCondition?: string;
      disposalLimit?: TimeLimit;
      defaultDepartmentCode?: string;
      severityLevels?: SeverityLevel[];
      relatedCode?: string;
      isExtension?: boolean;
    }>;
  }>;
}

let standardsCache: { file: StandardsFile; rows: SeedRow[] } | null = null;

/** Reads taxonomy.json once per process and flattens it into table rows. */
export function loadStandards(): { file: StandardsFile; rows: SeedRow[] } {
  if (standardsCache) return standardsCache;
  const file = JSON.parse(fs.readFileSync(STANDARDS_FILE, 'utf8')) as StandardsFile;
  const rows: SeedRow[] = [];
  for (const t of file.tables) {
    t.classes.forEach((c, i) => {
      rows.push({
        edition: t.edition,
        kind: t.kind,
        code: c.code,
        name: c.name,
        level: c.level,
        parent_code: c.parent,
        major_code: c.code.slice(0, 2),
        filing_condition: c.filingCondition ?? null,
        closing_condition: c.closingCondition ?? null,
        disposal_limit: c.disposalLimit ?? null,
        default_department_code: c.defaultDepartmentCode ?? null,
        severity_levels: c.severityLevels ?? [],
        geometry_type: c.geometryType ?? null,
        related_code: c.relatedCode ?? null,
        is_extension: c.isExtension ?? false,
        sort: i,
      });
    });
  }
  standardsCache = { file, rows };
  return standardsCache;
}

/** The departments the standard defaults point at (codes such as CG-SZ, SW, JJ). */
export function standardDepartments(): Array<{ code: string; name: string }> {
  return loadStandards().file.departments;
}

/** Default disposal limits when a class has none: components 2 工作日, events 1 工作日. */
export const DEFAULT_LIMIT: Record<ClassKind, TimeLimit> = {
  component: { value: 2, unit: 'day', timeType: 'work' },
  event: { value: 1, unit: 'day', timeType: 'work' },
};

export const DEFAULT_SEVERITY_LEVELS: SeverityLevel[] = [
  { code: 'normal', name: '一般' },
  { code: 'major', name: '较重' },
  { code: 'urgent', name: '紧急', limit: { value: 2, unit: 'hour', timeType: 'urgent' } },
];

/** Third-level detail classes (细类): the parent minor's code plus two digits (01-99). */
const DETAIL_CODE: Record<Edition, RegExp> = {
  'CJT214-2007': /^(\d{2})(\d{2})(\d{2})$/,
  'GBT47678.5-2026': /^(\d{2})(\d{3})(\d{2})$/,
};
/** City extension majors are numbered from 21 (01-20 stay with the standard). */
export const FIRST_EXTENSION_MAJOR = 21;

export interface ParsedCode {
  level: ClassLevel;
  parentCode: string | null;
  majorCode: string;
}

/** Which level a code is at in its edition, and its parent; null when it fits no pattern. */
export function parseTaxonomyCode(edition: Edition, kind: ClassKind, code: string): ParsedCode | null {
  if (/^\d{2}$/.test(code)) return code === '00' ? null : { level: 'major', parentCode: null, majorCode: code };
  const minor = parseClassCode(edition, kind, code);
  if (minor) {
    if (/^0+$/.test(minor.major) || /^0+$/.test(minor.minor)) return null;
    return { level: 'minor', parentCode: minor.major, majorCode: minor.major };
  }
  const d = DETAIL_CODE[edition].exec(code);
  if (d) {
    const [, major, minorPart, serial] = d as unknown as [string, string, string, string];
    if (major === '00' || /^0+$/.test(minorPart) || serial === '00') return null;
    return { level: 'detail', parentCode: `${major}${minorPart}`, majorCode: major };
  }
  return null;
}

/** A city's new class: its place in the tree, a name, and optionally its rules. */
export interface NewClass extends ClassWrite {
  edition: Edition;
  kind: ClassKind;
  code: string;
  name: string;
  parentCode?: string;
}

const classId = (edition: string, kind: string, code: string) => `${edition}/${kind}/${code}`;

/**
 * Component and event classes of both coding editions (管理部件 / 管理事件, 事项), with the
 * rule table (立结案标准) each class carries, and the city's own extensions.
 */
export class TaxonomyService {
  readonly repo: TaxonomyRepository;
  /** Classes are read on every report; cached per process, cleared by every write. */
  readonly #classes = new TtlCache<string, TaxonomyClass | null>(10_000);
  constructor(private readonly ctx: Context) {
    this.repo = new TaxonomyRepository(ctx.db);
  }

  /** Runs a write in a transaction and drops the cached classes once it has committed (or failed). */
  #write<T>(fn: (tx: TransactionHandle) => Promise<T>): Promise<T> {
    return this.ctx.database.transaction(fn).finally(() => this.#classes.clear());
  }

  /**
   * Loads the standard classes from standards/taxonomy.json. Idempotent: inserts missing rows
   * only (ON CONFLICT DO NOTHING), so a city's edits and extensions are never overwritten.
   * Call at server start and after migrating a new database.
   */
  async seedStandards(): Promise<{ inserted: number; total: number }> {
    const { rows } = loadStandards();
    const inserted = await this.repo.seed(rows);
    this.#classes.clear();
    return { inserted, total: rows.length };
  }

  list(filter: ClassFilter) {
    return this.repo.list(filter);
  }

  /** Majors → minors → detail classes. `kind` omitted: both kinds (each major says its kind). */
  async tree(edition?: Edition, kind?: ClassKind) {
    const ed = edition ?? (await this.ctx.services.settings.get()).edition;
    const { items } = await this.repo.list({ edition: ed, kind });
    type Node = TaxonomyClass & { children: Node[] };
    const byKey = new Map<string, Node>();
    const roots: Node[] = [];
    // Rows come ordered by kind then code, so a parent always precedes its children.
    for (const c of items) {
      const node: Node = { ...c, children: [] };
      byKey.set(`${c.kind}/${c.code}`, node);
      const parent = c.parentCode ? byKey.get(`${c.kind}/${c.parentCode}`) : undefined;
      if (parent) parent.children.push(node);
      else roots.push(node);
    }
    return roots;
  }

  /** One class, or null. Other modules use this for names, rules and whether a class is active. */
  getClass(edition: Edition, kind: ClassKind, code: string): Promise<TaxonomyClass | null> {
    return this.#classes.get(`${edition}/${kind}/${code}`, () => this.repo.get(edition, kind, code));
  }

  /** One class or 404 class_not_found. */
  async requireClass(edition: Edition, kind: ClassKind, code: string): Promise<TaxonomyClass> {
    const c = await this.getClass(edition, kind, code);
    if (!c) {
      throw notFound('class_not_found', `分类 ${edition} ${kind} ${code} 不存在 / Class ${code} (${edition}, ${kind}) does not exist`, {
        edition,
        kind,
        code,
      });
    }
    return c;
  }

  /**
   * The disposal limit (处置时限) for a class and optional severity: the severity's own limit,
   * else the class's, else its parent's (detail classes), else the kind's default.
   * Throws class_not_found (404) or severity_unknown (422).
   */
  async disposalLimit(edition: Edition, kind: ClassKind, code: string, severity?: string | null): Promise<TimeLimit> {
    const c = await this.requireClass(edition, kind, code);
    const parent = c.level === 'detail' && c.parentCode ? await this.getClass(edition, kind, c.parentCode) : null;
    const levels = c.severityLevels.length > 0 ? c.severityLevels : (parent?.severityLevels ?? DEFAULT_SEVERITY_LEVELS);
    if (severity) {
      const level = levels.find((l) => l.code === severity);
      if (!level) {
        throw unprocessable(
          'severity_unknown',
          `分类 ${code} 没有严重程度 ${severity} / Class ${code} has no severity level "${severity}"`,
          {
            severity,
            known: levels.map((l) => l.code),
          },
        );
      }
      if (level.limit) return level.limit;
    }
    return c.disposalLimit ?? parent?.disposalLimit ?? DEFAULT_LIMIT[kind];
  }

  /** Creates a city extension: a major (21+), a minor under a major, or a detail class under a minor. */
  async create(input: NewClass, actorId: number | null): Promise<TaxonomyClass> {
    const { edition, kind, code } = input;
    const parsed = parseTaxonomyCode(edition, kind, code);
    if (!parsed) {
      const minorDigits = edition === 'CJT214-2007' ? 4 : 5;
      throw unprocessable(
        'class_code_invalid',
        `分类代码 ${code} 不符合 ${edition} 的编码规则（大类 2 位、小类 ${minorDigits} 位、细类 ${minorDigits + 2} 位）/ ` +
          `Code ${code} does not fit ${edition}: a major has 2 digits, a minor ${minorDigits}, a detail class ${minorDigits + 2}`,
        { code, edition },
      );
    }
    if (parsed.level === 'major' && Number(code) < FIRST_EXTENSION_MAJOR) {
      throw unprocessable(
        'class_code_reserved',
        `大类代码 01-20 保留给标准，扩展大类从 21 开始 / Major codes 01-20 belong to the standard; extension majors start at 21`,
        { code },
      );
    }
    if (input.parentCode !== undefined && input.parentCode !== parsed.parentCode) {
      throw unprocessable(
        'class_parent_mismatch',
        `分类代码 ${code} 的上级应为 ${parsed.parentCode ?? '无'} / The parent of ${code} is ${parsed.parentCode ?? 'none'}, not ${input.parentCode}`,
        { code, parentCode: input.parentCode, expected: parsed.parentCode },
      );
    }
    let parent: TaxonomyClass | null = null;
    if (parsed.parentCode) {
      parent = await this.repo.get(edition, kind, parsed.parentCode);
      if (!parent) {
        throw unprocessable(
          'class_parent_not_found',
          `上级分类 ${parsed.parentCode} 不存在 / Parent class ${parsed.parentCode} does not exist`,
          {
            parentCode: parsed.parentCode,
          },
        );
      }
    }
    if (await this.repo.get(edition, kind, code)) {
      throw conflict('class_exists', `分类 ${code} 已存在 / Class ${code} already exists in ${edition} (${kind})`, { edition, kind, code });
    }
    await this.checkWrite(edition, kind, parsed.level, input);

    // Minors and details start from the parent's rules (details) or the kind's defaults.
    const inherit = parsed.level === 'detail' && parent;
    const rules: ClassWrite =
      parsed.level === 'major'
        ? { severityLevels: [] }
        : {
            filingCondition: input.filingCondition !== undefined ? input.filingCondition : inherit ? parent!.filingCondition : null,
            closingCondition: input.closingCondition !== undefined ? input.closingCondition : inherit ? parent!.closingCondition : null,
            disposalLimit: input.disposalLimit !== undefined ? input.disposalLimit : inherit ? parent!.disposalLimit : DEFAULT_LIMIT[kind],
            defaultDepartmentCode:
              input.defaultDepartmentCode !== undefined ? input.defaultDepartmentCode : inherit ? parent!.defaultDepartmentCode : null,
            severityLevels: input.severityLevels ?? (inherit ? parent!.severityLevels : DEFAULT_SEVERITY_LEVELS),
            geometryType:
              kind === 'event' ? null : input.geometryType !== undefined ? input.geometryType : inherit ? parent!.geometryType : 'point',
            relatedCode: input.relatedCode !== undefined ? input.relatedCode : inherit ? parent!.relatedCode : null,
          };
    return this.#write(async (tx) => {
      await this.repo.insert(
        {
          edition,
          kind,
          code,
          name: input.name,
          level: parsed.level,
          parentCode: parsed.parentCode,
          majorCode: parsed.majorCode,
          ...rules,
          enabled: input.enabled,
        },
        tx.db,
      );
      const created = (await this.repo.get(edition, kind, code, tx.db)) as TaxonomyClass;
      await this.ctx.services.audit.record(
        { actorId, action: 'taxonomy.create', entity: 'taxonomy_class', entityId: classId(edition, kind, code), after: created },
        tx.db,
      );
      return created;
    });
  }

  /** Edits a class's name and rules, or enables/disables it. Standard classes included. */
  async update(edition: Edition, kind: ClassKind, code: string, patch: ClassWrite, actorId: number | null): Promise<TaxonomyClass> {
    if (Object.values(patch).every((v) => v === undefined)) {
      throw badRequest('empty_patch', '没有要修改的字段 / Nothing to change: send at least one field');
    }
    const before = await this.requireClass(edition, kind, code);
    await this.checkWrite(edition, kind, before.level, patch);
    return this.#write(async (tx) => {
      await this.repo.update(edition, kind, code, patch, tx.db);
      const after = (await this.repo.get(edition, kind, code, tx.db)) as TaxonomyClass;
      await this.ctx.services.audit.record(
        { actorId, action: 'taxonomy.update', entity: 'taxonomy_class', entityId: classId(edition, kind, code), before, after },
        tx.db,
      );
      return after;
    });
  }

  /** Deletes a city extension class that has no children and no components. Standard classes: disable them instead. */
  async remove(edition: Edition, kind: ClassKind, code: string, actorId: number | null): Promise<void> {
    const before = await this.requireClass(edition, kind, code);
    if (!before.isExtension) {
      throw conflict('class_standard', `标准分类不能删除，可停用 / Standard classes cannot be deleted; disable them instead`, { code });
    }
    if ((await this.repo.countChildren(edition, kind, code)) > 0) {
      throw conflict('class_has_children', `分类 ${code} 下还有子类 / Class ${code} still has child classes`, { code });
    }
    if (kind === 'component' && (await this.repo.componentsUsing(edition, code)) > 0) {
      throw conflict('class_in_use', `已有部件使用分类 ${code}，可停用 / Components use class ${code}; disable it instead`, { code });
    }
    await this.#write(async (tx) => {
      await this.repo.delete(edition, kind, code, tx.db);
      await this.ctx.services.audit.record(
        { actorId, action: 'taxonomy.delete', entity: 'taxonomy_class', entityId: classId(edition, kind, code), before },
        tx.db,
      );
    });
  }

  /** Checks the rule fields of a create or an edit. */
  private async checkWrite(edition: Edition, kind: ClassKind, level: ClassLevel, w: ClassWrite): Promise<void> {
    if (w.name !== undefined && w.name.trim() === '') {
      throw unprocessable('class_name_empty', '分类名称不能为空 / The class name cannot be empty');
    }
    if (w.geometryType && kind !== 'component') {
      throw unprocessable('geometry_type_not_applicable', '事件分类没有几何类型 / Event classes have no geometry type', { kind });
    }
    if (level === 'major') {
      const rules = [
        'filingCondition',
        'closingCondition',
        'disposalLimit',
        'defaultDepartmentCode',
        'geometryType',
        'relatedCode',
      ] as const;
      const given = rules.filter((k) => w[k] !== undefined && w[k] !== null);
      if (given.length > 0 || (w.severityLevels && w.severityLevels.length > 0)) {
        throw unprocessable(
          'class_rules_on_major',
          `大类不设立结案标准，请在小类上设置 / Majors carry no rules; set ${given.join(', ') || 'severityLevels'} on minor classes`,
          {
            fields: given,
          },
        );
      }
    }
    if (w.severityLevels) {
      const codes = w.severityLevels.map((s) => s.code);
      if (new Set(codes).size !== codes.length) {
        throw unprocessable('severity_levels_invalid', '严重程度代码重复 / Severity level codes must be unique', { codes });
      }
    }
    if (w.defaultDepartmentCode && !(await this.repo.departmentExists(w.defaultDepartmentCode))) {
      throw unprocessable(
        'department_not_found',
        `部门 ${w.defaultDepartmentCode} 不存在 / Department ${w.defaultDepartmentCode} does not exist`,
        {
          defaultDepartmentCode: w.defaultDepartmentCode,
        },
      );
    }
    if (w.relatedCode && !(await this.repo.get(edition, 'component', w.relatedCode))) {
      throw unprocessable(
        'related_class_not_found',
        `关联部件分类 ${w.relatedCode} 不存在 / Related component class ${w.relatedCode} does not exist`,
        {
          relatedCode: w.relatedCode,
        },
      );
    }
  }
}
