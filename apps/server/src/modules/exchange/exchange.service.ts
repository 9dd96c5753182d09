import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  ARCHIVE_TYPE_LABELS,
  type ArchiveType,
  CASE_SOURCE_LABELS,
  CASE_STATE_LABELS,
  type CaseSource,
  type CaseState,
  COMPONENT_STATUS_LABELS,
  type ComponentStatus,
  EDITIONS,
  type Edition,
  PHASE_LABELS,
  type Phase,
  SEVERITIES,
  type Severity,
} from '@cityloop/shared';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import type { Context } from '../../context.ts';
import { AppError, unprocessable } from '../../errors.ts';
import { TtlCache } from '../../lib/ttl-cache.ts';
import type { Auth } from '../auth/auth.service.ts';
import type { PendingCase } from '../cases/cases.intake.ts';
import type { CaseFilter, ReportInput } from '../cases/cases.service.ts';
import {
  EXPORT_PAGE,
  ExchangeRepository,
  type ExportCaseRow,
  type ExportComponentRow,
  type ExportEventRow,
  type ExportPhotoRow,
  type ExportRegionRow,
} from './exchange.repository.ts';
import {
  CONTENT_TYPES,
  type Column,
  csvStream,
  type ExportFormat,
  type ExportLang,
  jsonArrayStream,
  sheetOf,
  XLSX_MAX_ROWS,
  xlsxStream,
} from './exchange.writers.ts';

/** Name and version of the case exchange document (docs/exchange.md). */
export const CASE_DOC_FORMAT = 'cityloop-cases';
export const CASE_DOC_VERSION = 1;
/** Rows one import may hold: larger files are split by the sender. */
export const IMPORT_MAX_ROWS = 10_000;

/** A case with its phase log and photo links, as the exchange document carries it. */
export interface ExchangeCase {
  number: string;
  source: string;
  channel: string | null;
  sourceRef: string | null;
  workflow: string;
  kind: 'component' | 'event';
  edition: string;
  classCode: string;
  className: string | null;
  majorCode: string | null;
  majorName: string | null;
  severity: string;
  urgent: boolean;
  description: string;
  address: string | null;
  location: { lng: number; lat: number; crs: 'WGS84' };
  region: {
    district: { code: string; name: string } | null;
    street: { code: string; name: string } | null;
    community: { code: string; name: string } | null;
    grid: { code: string } | null;
  };
  componentCode: string | null;
  state: string;
  phase: string;
  phaseDeadline: string | null;
  department: { code: string; name: string } | null;
  disposalDeadline: string | null;
  counts: { rework: number; postpone: number; return: number; supervise: number };
  archiveType: string | null;
  mergedInto: string | null;
  createdAt: string;
  closedAt: string | null;
  updatedAt: string;
  events?: Array<{
    seq: number;
    action: string;
    fromState: string | null;
    toState: string;
    phase: string;
    actor: { name: string | null; role: string | null };
    department: { code: string; name: string } | null;
    startedAt: string;
    endedAt: string;
    deadlineAt: string | null;
    timeType: string | null;
    onTime: boolean | null;
    note: string | null;
  }>;
  photos: Array<{ id: string; url: string; thumbnailUrl: string; contentType: string; public: boolean }>;
}

type CaseBundle = { c: ExportCaseRow; events: ExportEventRow[]; photos: ExportPhotoRow[] };

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const codeName = (code: string | null, name: string | null) => (code ? { code, name: name ?? '' } : null);
const label = <K extends string>(labels: Record<K, string>, v: string | null, lang: ExportLang) =>
  v === null ? null : lang === 'en' ? v : (labels[v as K] ?? v);

/** The columns of a case table (CSV, Excel). */
function caseColumns(base: string): Column<CaseBundle>[] {
  return [
    { key: 'number', zh: '案卷编号', en: 'number', value: (b) => b.c.number, width: 16 },
    { key: 'source', zh: '来源', en: 'source', value: (b, l) => label(CASE_SOURCE_LABELS, b.c.source as CaseSource, l) },
    { key: 'channel', zh: '渠道', en: 'channel', value: (b) => b.c.channel },
    { key: 'sourceRef', zh: '来源编号', en: 'source_ref', value: (b) => b.c.sourceRef, width: 18 },
    {
      key: 'kind',
      zh: '类型',
      en: 'kind',
      value: (b, l) => (l === 'en' ? b.c.kind : b.c.kind === 'component' ? '部件' : '事件'),
      width: 6,
    },
    { key: 'classCode', zh: '分类编码', en: 'class_code', value: (b) => b.c.classCode, width: 10 },
    { key: 'majorName', zh: '大类', en: 'major_class', value: (b) => b.c.majorName },
    { key: 'className', zh: '小类', en: 'class_name', value: (b) => b.c.className, width: 18 },
    { key: 'severity', zh: '等级', en: 'severity', value: (b) => b.c.severity, width: 8 },
    { key: 'urgent', zh: '紧急', en: 'urgent', value: (b, l) => (l === 'en' ? b.c.urgent : b.c.urgent ? '是' : '否'), width: 6 },
    { key: 'description', zh: '问题描述', en: 'description', value: (b) => b.c.description, width: 40 },
    { key: 'address', zh: '地址', en: 'address', value: (b) => b.c.address, width: 30 },
    { key: 'lng', zh: '经度', en: 'lng', value: (b) => Number(b.c.lng.toFixed(7)), width: 12 },
    { key: 'lat', zh: '纬度', en: 'lat', value: (b) => Number(b.c.lat.toFixed(7)), width: 12 },
    { key: 'district', zh: '区', en: 'district', value: (b) => b.c.districtName },
    { key: 'street', zh: '街道', en: 'street', value: (b) => b.c.streetName },
    { key: 'community', zh: '社区', en: 'community', value: (b) => b.c.communityName },
    { key: 'grid', zh: '单元网格', en: 'grid_code', value: (b) => b.c.gridCode, width: 18 },
    { key: 'componentCode', zh: '部件编码', en: 'component_code', value: (b) => b.c.componentCode, width: 18 },
    { key: 'state', zh: '状态', en: 'state', value: (b, l) => label(CASE_STATE_LABELS, b.c.state as CaseState, l) },
    { key: 'phase', zh: '阶段', en: 'phase', value: (b, l) => label(PHASE_LABELS, b.c.phase as Phase, l) },
    { key: 'phaseDeadline', zh: '阶段时限', en: 'phase_deadline', value: (b) => b.c.phaseDeadline, width: 20 },
    { key: 'department', zh: '处置部门', en: 'department', value: (b) => b.c.departmentName, width: 20 },
    { key: 'disposalDeadline', zh: '处置时限', en: 'disposal_deadline', value: (b) => b.c.disposalDeadline, width: 20 },
    { key: 'rework', zh: '返工次数', en: 'rework_count', value: (b) => b.c.reworkCount, width: 8 },
    { key: 'postpone', zh: '延期次数', en: 'postpone_count', value: (b) => b.c.postponeCount, width: 8 },
    { key: 'return', zh: '回退次数', en: 'return_count', value: (b) => b.c.returnCount, width: 8 },
    { key: 'supervise', zh: '督办次数', en: 'supervise_count', value: (b) => b.c.superviseCount, width: 8 },
    {
      key: 'archiveType',
      zh: '结案类型',
      en: 'archive_type',
      value: (b, l) => label(ARCHIVE_TYPE_LABELS, b.c.archiveType as ArchiveType, l),
    },
    { key: 'mergedInto', zh: '合并至', en: 'merged_into', value: (b) => b.c.mergedIntoNumber, width: 16 },
    { key: 'createdAt', zh: '上报时间', en: 'created_at', value: (b) => b.c.createdAt, width: 20 },
    { key: 'closedAt', zh: '结案时间', en: 'closed_at', value: (b) => b.c.closedAt, width: 20 },
    {
      key: 'photos',
      zh: '照片',
      en: 'photos',
      value: (b) => b.photos.map((p) => `${base}/api/media/${p.id}`).join(' ') || null,
      width: 30,
    },
  ];
}

const eventColumns: Column<{ number: string; e: ExportEventRow }>[] = [
  { key: 'number', zh: '案卷编号', en: 'number', value: (r) => r.number, width: 16 },
  { key: 'seq', zh: '序号', en: 'seq', value: (r) => r.e.seq, width: 6 },
  { key: 'action', zh: '操作', en: 'action', value: (r) => r.e.action, width: 14 },
  { key: 'fromState', zh: '原状态', en: 'from_state', value: (r, l) => label(CASE_STATE_LABELS, r.e.fromState as CaseState, l) },
  { key: 'toState', zh: '新状态', en: 'to_state', value: (r, l) => label(CASE_STATE_LABELS, r.e.toState as CaseState, l) },
  { key: 'phase', zh: '阶段', en: 'phase', value: (r, l) => label(PHASE_LABELS, r.e.phase as Phase, l) },
  { key: 'actor', zh: '操作人', en: 'actor', value: (r) => r.e.actorName },
  { key: 'actorRole', zh: '角色', en: 'actor_role', value: (r) => r.e.actorRole },
  { key: 'department', zh: '部门', en: 'department', value: (r) => r.e.departmentName, width: 20 },
  { key: 'startedAt', zh: '开始时间', en: 'started_at', value: (r) => r.e.startedAt, width: 20 },
  { key: 'endedAt', zh: '完成时间', en: 'ended_at', value: (r) => r.e.endedAt, width: 20 },
  { key: 'deadlineAt', zh: '时限', en: 'deadline_at', value: (r) => r.e.deadlineAt, width: 20 },
  {
    key: 'onTime',
    zh: '按时',
    en: 'on_time',
    value: (r, l) => (r.e.onTime === null ? null : l === 'en' ? r.e.onTime : r.e.onTime ? '是' : '否'),
    width: 6,
  },
  { key: 'note', zh: '意见', en: 'note', value: (r) => r.e.note, width: 40 },
];

const componentColumns: Column<ExportComponentRow>[] = [
  { key: 'code', zh: '部件编码', en: 'code', value: (r) => r.code, width: 18 },
  { key: 'classCode', zh: '分类编码', en: 'class_code', value: (r) => r.classCode, width: 10 },
  { key: 'className', zh: '小类', en: 'class_name', value: (r) => r.className, width: 16 },
  { key: 'name', zh: '名称', en: 'name', value: (r) => r.name, width: 20 },
  { key: 'status', zh: '状态', en: 'status', value: (r, l) => label(COMPONENT_STATUS_LABELS, r.status as ComponentStatus, l) },
  { key: 'owner', zh: '主管部门', en: 'owner', value: (r) => r.ownerName, width: 20 },
  { key: 'maintainer', zh: '养护单位', en: 'maintainer', value: (r) => r.maintainerName, width: 20 },
  { key: 'grid', zh: '单元网格', en: 'grid_code', value: (r) => r.gridCode, width: 18 },
  { key: 'address', zh: '地址', en: 'address', value: (r) => r.address, width: 30 },
  { key: 'lng', zh: '经度', en: 'lng', value: (r) => Number(r.lng.toFixed(7)), width: 12 },
  { key: 'lat', zh: '纬度', en: 'lat', value: (r) => Number(r.lat.toFixed(7)), width: 12 },
  { key: 'updatedAt', zh: '更新时间', en: 'updated_at', value: (r) => r.updatedAt, width: 20 },
];

const regionColumns: Column<ExportRegionRow>[] = [
  { key: 'level', zh: '层级', en: 'level', value: (r) => r.level, width: 10 },
  { key: 'code', zh: '编码', en: 'code', value: (r) => r.code, width: 18 },
  { key: 'name', zh: '名称', en: 'name', value: (r) => r.name, width: 20 },
  { key: 'parent', zh: '上级编码', en: 'parent_code', value: (r) => r.parentCode, width: 18 },
  { key: 'area', zh: '面积(平方米)', en: 'area_m2', value: (r) => Math.round(r.areaM2), width: 12 },
  { key: 'lng', zh: '内点经度', en: 'lng', value: (r) => Number(r.lng.toFixed(7)), width: 12 },
  { key: 'lat', zh: '内点纬度', en: 'lat', value: (r) => Number(r.lat.toFixed(7)), width: 12 },
  { key: 'version', zh: '版本', en: 'version', value: (r) => r.version, width: 6 },
  { key: 'validFrom', zh: '生效时间', en: 'valid_from', value: (r) => r.validFrom, width: 20 },
];

/** Header aliases an import understands, per field: our own export's headers and a 12345 work order's. */
const IMPORT_ALIASES: Record<string, string[]> = {
  sourceRef: ['来源编号', '工单编号', '工单号', '编号', 'source_ref', 'sourceref', 'order_no', 'orderno', 'number'],
  source: ['来源', 'source'],
  channel: ['渠道', '来电渠道', 'channel'],
  reportedAt: ['来电时间', '受理时间', '上报时间', 'reported_at', 'reportedat', 'created_at'],
  callerName: ['来电人', '联系人', '反映人', 'caller_name', 'callername'],
  callerPhone: ['联系电话', '来电号码', '电话', 'caller_phone', 'callerphone', 'phone'],
  description: ['问题描述', '诉求内容', '内容', 'description'],
  address: ['地址', '问题地址', '事发地址', 'address'],
  lng: ['经度', 'lng', 'longitude', 'lon'],
  lat: ['纬度', 'lat', 'latitude'],
  coordSys: ['坐标系', 'coord_sys', 'coordsys'],
  kind: ['类型', 'kind'],
  classCode: ['分类编码', '小类编码', 'class_code', 'classcode'],
  className: ['小类', '分类名称', '小类名称', 'class_name', 'classname'],
  severity: ['等级', '紧急程度', 'severity'],
  componentCode: ['部件编码', 'component_code', 'componentcode'],
  edition: ['编码标准', 'edition'],
};
const ALIAS_TO_FIELD = new Map(Object.entries(IMPORT_ALIASES).flatMap(([field, names]) => names.map((n) => [n.toLowerCase(), field])));

const SEVERITY_WORDS: Record<string, Severity> = { 一般: 'normal', 重大: 'major', 紧急: 'urgent', 特急: 'urgent' };
const KIND_WORDS: Record<string, 'component' | 'event'> = { 部件: 'component', 事件: 'event', component: 'component', event: 'event' };

export interface ImportRowReport {
  /** Line in the file (the header is line 1), or position in a JSON document (1-based). */
  row: number;
  sourceRef: string | null;
  status: 'valid' | 'created' | 'exists' | 'error';
  number?: string;
  errors?: Array<{ field?: string; code: string; message: string }>;
}

export interface ImportReport {
  dryRun: boolean;
  total: number;
  created: number;
  existing: number;
  invalid: number;
  rows: ImportRowReport[];
}

type RawRow = { row: number; fields: Record<string, string> };
type ClassIndex = {
  byCode: Map<string, Array<'component' | 'event'>>;
  byName: Map<string, Array<{ kind: 'component' | 'event'; code: string }>>;
};

/**
 * Data exchange: exports of cases (with phase logs and photo links), components, grids and
 * regions as CSV, Excel, JSON or GeoJSON, streamed page by page; imports of cases from other
 * systems (a hotline's CSV or Excel, another platform's exchange document), all rows or none.
 */
export class ExchangeService {
  readonly repo: ExchangeRepository;
  /** Enabled classes by code and by name (imports and hotline orders resolve classes against it). */
  readonly #classes = new TtlCache<'all', ClassIndex>(10_000);
  constructor(private readonly ctx: Context) {
    this.repo = new ExchangeRepository(ctx.db);
  }

  // --- exports ---------------------------------------------------------------------------

  /** Every case under the caller's scope and the filters, as a stream in the chosen format. */
  async exportCases(
    auth: Auth,
    f: Omit<CaseFilter, 'limit' | 'offset'> & { format: ExportFormat; lang: ExportLang; events: boolean; baseUrl: string },
  ): Promise<{ stream: Readable; contentType: string; filename: string }> {
    const where = await this.ctx.services.cases.conditions(auth, f);
    const stamp = this.#stamp();
    const withEvents = f.events || f.format === 'json' || f.format === 'geojson';
    if (f.format === 'xlsx') {
      const n = await this.repo.countCases(where);
      if (n > XLSX_MAX_ROWS)
        throw unprocessable(
          'export_too_large',
          `${n} 条超过 Excel 单表上限，请缩小范围或导出 CSV / ${n} rows exceed an Excel sheet; narrow the filter or export CSV`,
          {
            rows: n,
            max: XLSX_MAX_ROWS,
          },
        );
    }
    const bundles = () => this.#caseBundles(where, withEvents);
    const cols = caseColumns(f.baseUrl);
    const filename = `cases-${stamp}.${f.format}`;
    const contentType = CONTENT_TYPES[f.format];
    if (f.format === 'csv') return { stream: csvStream(cols, bundles(), f.lang), contentType, filename };
    if (f.format === 'xlsx') {
      const events = this.#eventRows(bundles());
      const sheets = [sheetOf(f.lang === 'en' ? 'cases' : '案卷', cols, bundles(), f.lang)];
      if (f.events) sheets.push(sheetOf(f.lang === 'en' ? 'phase log' : '流转记录', eventColumns, events, f.lang) as never);
      return { stream: xlsxStream(sheets), contentType, filename };
    }
    const items = this.#map(bundles(), (b) => this.#toExchange(b, f.baseUrl));
    if (f.format === 'json') {
      const head = {
        format: CASE_DOC_FORMAT,
        version: CASE_DOC_VERSION,
        exportedAt: this.ctx.now().toISOString(),
        platform: await this.#platform(f.baseUrl),
      };
      return { stream: jsonArrayStream(head, 'cases', items), contentType, filename };
    }
    const features = this.#map(items, (c) => {
      const { location, ...properties } = c;
      return { type: 'Feature', id: c.number, geometry: { type: 'Point', coordinates: [location.lng, location.lat] }, properties };
    });
    return { stream: jsonArrayStream({ type: 'FeatureCollection' }, 'features', features), contentType, filename };
  }

  /** One case as the exchange document carries it (phase log and photo links), or null. */
  async caseDocument(caseId: number, baseUrl = ''): Promise<ExchangeCase | null> {
    const [c] = await this.repo.casePage([sql`c.id = ${caseId}`], 0, 1);
    if (!c) return null;
    const [events, photos] = await Promise.all([this.repo.eventsOf([c.id]), this.repo.photosOf([c.id])]);
    return this.#toExchange({ c, events, photos }, baseUrl);
  }

  async exportComponents(f: {
    format: ExportFormat;
    lang: ExportLang;
    classCode?: string;
    status?: string;
    districtId?: number;
  }): Promise<{ stream: Readable; contentType: string; filename: string }> {
    const rows = () => this.#pages((after) => this.repo.componentPage(f, after));
    return this.#table('components', componentColumns, rows, f, (r) => {
      const { geometry, lng: _lng, lat: _lat, ...properties } = r;
      return { type: 'Feature', id: r.code, geometry: JSON.parse(geometry), properties: { ...properties, id: undefined } };
    });
  }

  async exportRegions(f: { format: ExportFormat; lang: ExportLang; level?: string }) {
    const rows = () => this.#pages((after) => this.repo.regionPage(f.level, after));
    return this.#table(`regions${f.level ? `-${f.level}` : ''}`, regionColumns, rows, f, (r) => {
      const { geometry, lng: _lng, lat: _lat, id: _id, ...properties } = r;
      return { type: 'Feature', id: r.code, geometry: JSON.parse(geometry), properties };
    });
  }

  #table<T>(
    name: string,
    cols: Column<T>[],
    rows: () => AsyncIterable<T>,
    f: { format: ExportFormat; lang: ExportLang },
    feature: (r: T) => Record<string, unknown>,
  ) {
    const filename = `${name}-${this.#stamp()}.${f.format}`;
    const contentType = CONTENT_TYPES[f.format];
    if (f.format === 'csv') return { stream: csvStream(cols, rows(), f.lang), contentType, filename };
    if (f.format === 'xlsx') return { stream: xlsxStream([sheetOf(name, cols, rows(), f.lang)]), contentType, filename };
    const features = this.#map(rows(), feature);
    return { stream: jsonArrayStream({ type: 'FeatureCollection' }, 'features', features), contentType, filename };
  }

  #stamp(): string {
    return this.ctx.now().toISOString().slice(0, 19).replaceAll(':', '').replace('T', '-');
  }

  async #platform(baseUrl: string) {
    const s = await this.ctx.services.settings.get();
    return { name: s.cityName, cityCode: s.cityCode, url: baseUrl };
  }

  /** Pages in id order until one comes back short. */
  async *#pages<T extends { id: number }>(page: (afterId: number) => Promise<T[]>): AsyncGenerator<T> {
    let after = 0;
    for (;;) {
      const rows = await page(after);
      yield* rows;
      if (rows.length < EXPORT_PAGE) return;
      after = (rows[rows.length - 1] as T).id;
    }
  }

  async *#map<A, B>(xs: AsyncIterable<A>, f: (a: A) => B): AsyncGenerator<B> {
    for await (const x of xs) yield f(x);
  }

  async *#caseBundles(where: ReturnType<typeof sql>[], withEvents: boolean): AsyncGenerator<CaseBundle> {
    let after = 0;
    for (;;) {
      const page = await this.repo.casePage(where, after);
      const ids = page.map((c) => c.id);
      const [events, photos] = await Promise.all([withEvents ? this.repo.eventsOf(ids) : [], this.repo.photosOf(ids)]);
      const eventsBy = groupBy(events, (e) => e.caseId);
      const photosBy = groupBy(photos, (p) => p.caseId);
      for (const c of page) yield { c, events: eventsBy.get(c.id) ?? [], photos: photosBy.get(c.id) ?? [] };
      if (page.length < EXPORT_PAGE) return;
      after = (page[page.length - 1] as ExportCaseRow).id;
    }
  }

  async *#eventRows(bundles: AsyncIterable<CaseBundle>) {
    for await (const b of bundles) for (const e of b.events) yield { number: b.c.number, e };
  }

  #toExchange({ c, events, photos }: CaseBundle, base: string): ExchangeCase {
    return {
      number: c.number,
      source: c.source,
      channel: c.channel,
      sourceRef: c.sourceRef,
      workflow: c.workflow,
      kind: c.kind,
      edition: c.edition,
      classCode: c.classCode,
      className: c.className,
      majorCode: c.majorCode,
      majorName: c.majorName,
      severity: c.severity,
      urgent: c.urgent,
      description: c.description,
      address: c.address,
      location: { lng: Number(c.lng.toFixed(7)), lat: Number(c.lat.toFixed(7)), crs: 'WGS84' },
      region: {
        district: codeName(c.districtCode, c.districtName),
        street: codeName(c.streetCode, c.streetName),
        community: codeName(c.communityCode, c.communityName),
        grid: c.gridCode ? { code: c.gridCode } : null,
      },
      componentCode: c.componentCode,
      state: c.state,
      phase: c.phase,
      phaseDeadline: iso(c.phaseDeadline),
      department: codeName(c.departmentCode, c.departmentName),
      disposalDeadline: iso(c.disposalDeadline),
      counts: { rework: c.reworkCount, postpone: c.postponeCount, return: c.returnCount, supervise: c.superviseCount },
      archiveType: c.archiveType,
      mergedInto: c.mergedIntoNumber,
      createdAt: c.createdAt.toISOString(),
      closedAt: iso(c.closedAt),
      updatedAt: c.updatedAt.toISOString(),
      events: events.map((e) => ({
        seq: e.seq,
        action: e.action,
        fromState: e.fromState,
        toState: e.toState,
        phase: e.phase,
        actor: { name: e.actorName, role: e.actorRole },
        department: codeName(e.departmentCode, e.departmentName),
        startedAt: e.startedAt.toISOString(),
        endedAt: e.endedAt.toISOString(),
        deadlineAt: iso(e.deadlineAt),
        timeType: e.timeType,
        onTime: e.onTime,
        note: e.note,
      })),
      photos: photos.map((p) => ({
        id: p.id,
        url: `${base}/api/media/${p.id}`,
        thumbnailUrl: `${base}/api/media/${p.id}/thumb`,
        contentType: p.contentType,
        public: p.public,
      })),
    };
  }

  // --- imports ---------------------------------------------------------------------------

  /**
   * Imports cases from another system: every row is checked as a report would be (class, place,
   * fields); rows already filed from the same reference are reported as existing and skipped. If
   * any row is invalid nothing is written (422 import_invalid with the row report); otherwise all
   * new rows are written in one transaction. `dryRun` checks only.
   */
  async importCases(
    auth: Auth,
    input: { kind: 'csv' | 'xlsx' | 'json'; body: Buffer | unknown; dryRun: boolean; source?: CaseSource; channel?: string },
  ): Promise<ImportReport> {
    const raw = await this.#readRows(input.kind, input.body);
    if (raw.length === 0) throw unprocessable('import_empty', '文件中没有数据行 / The file holds no data rows');
    if (raw.length > IMPORT_MAX_ROWS)
      throw unprocessable('import_too_large', `一次最多导入 ${IMPORT_MAX_ROWS} 行 / At most ${IMPORT_MAX_ROWS} rows per import`, {
        rows: raw.length,
        max: IMPORT_MAX_ROWS,
      });
    const settings = await this.ctx.services.settings.get();
    // Another platform's document comes through the system channel; a file is a hotline's work orders.
    const source: CaseSource = input.source ?? (input.kind === 'json' ? 'system' : 'hotline');
    const defaultChannel = input.channel ?? (source === 'hotline' ? '12345' : null);

    // Classes by code and by name, for rows that name their class in words.
    const classes = await this.#classes.get('all', () => this.#classIndex());
    const refs = raw.map((r) => r.fields.sourceRef?.trim() ?? '').filter((s) => s !== '');
    const existing = await this.repo.casesBySourceRef(source, refs);
    const seen = new Map<string, number>();

    const reports: ImportRowReport[] = [];
    const toWrite: Array<{ report: ImportRowReport; pending: PendingCase }> = [];
    for (const r of raw) {
      const rep: ImportRowReport = { row: r.row, sourceRef: r.fields.sourceRef?.trim() || null, status: 'valid' };
      reports.push(rep);
      const errors: NonNullable<ImportRowReport['errors']> = [];
      const parsed = this.#toReport(r.fields, { source, channel: defaultChannel, edition: settings.edition, classes }, errors);
      const ref = rep.sourceRef;
      if (ref) {
        const first = seen.get(ref);
        if (first !== undefined)
          errors.push({ field: 'sourceRef', code: 'duplicate_in_file', message: `与第 ${first} 行重复 / Repeats row ${first}` });
        else seen.set(ref, r.row);
        const number = existing.get(ref);
        if (number && errors.length === 0) {
          rep.status = 'exists';
          rep.number = number;
          continue;
        }
      }
      if (parsed && errors.length === 0) {
        try {
          const pending = await this.ctx.services.cases.prepareReport(auth, parsed.report);
          const first = pending.events[0];
          if (first) first.payload = { ...first.payload, imported: { row: r.row, reportedAt: parsed.reportedAt } };
          toWrite.push({ report: rep, pending });
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
          if (err.status === 403) throw err;
          errors.push({ code: err.code, message: err.message });
        }
      }
      if (errors.length > 0) {
        rep.status = 'error';
        rep.errors = errors;
      }
    }
    const report = (): ImportReport => ({
      dryRun: input.dryRun,
      total: reports.length,
      created: reports.filter((r) => r.status === 'created').length,
      existing: reports.filter((r) => r.status === 'exists').length,
      invalid: reports.filter((r) => r.status === 'error').length,
      rows: reports,
    });
    if (reports.some((r) => r.status === 'error')) {
      const rep = report();
      throw unprocessable(
        'import_invalid',
        `${rep.invalid} 行有误，未导入任何数据 / ${rep.invalid} of ${rep.total} rows are invalid; nothing was imported`,
        rep,
      );
    }
    if (input.dryRun || toWrite.length === 0) return report();

    const rows = await this.ctx.services.cases.fileTogether(toWrite.map((w) => w.pending));
    for (const [i, w] of toWrite.entries()) {
      const row = rows[i];
      if (row) {
        w.report.status = 'created';
        w.report.number = row.number;
      } else {
        // Filed meanwhile by a concurrent import of the same rows.
        w.report.status = 'exists';
      }
    }
    const out = report();
    await this.ctx.services.audit.record({
      actorId: auth.personId,
      action: 'exchange.import_cases',
      entity: 'case_file',
      entityId: null,
      after: { source, channel: defaultChannel, total: out.total, created: out.created, existing: out.existing },
    });
    return out;
  }

  /** Enabled minor and detail classes of both editions, by `edition/code` and by `edition/name`. */
  async #classIndex(): Promise<ClassIndex> {
    const rows = await sql<{ edition: string; kind: 'component' | 'event'; code: string; name: string }>`
      SELECT edition, kind, code, name FROM taxonomy_class WHERE enabled AND level <> 'major'`.execute(this.ctx.db);
    const byCode = new Map<string, Array<'component' | 'event'>>();
    const byName = new Map<string, Array<{ kind: 'component' | 'event'; code: string }>>();
    for (const r of rows.rows) {
      const c = `${r.edition}/${r.code}`;
      const n = `${r.edition}/${r.name}`;
      byCode.set(c, [...(byCode.get(c) ?? []), r.kind]);
      byName.set(n, [...(byName.get(n) ?? []), { kind: r.kind, code: r.code }]);
    }
    return { byCode, byName };
  }

  /**
   * Fields of another system's work order (the import field names) → a report, or the problems
   * found, each with its field and a stable code. Checks formats and the class; the place and
   * the rest are checked when the report is prepared.
   */
  async parseReport(
    fields: Record<string, string>,
    d: { source: CaseSource; channel: string | null },
  ): Promise<{ report: ReportInput; reportedAt: string | null } | { errors: NonNullable<ImportRowReport['errors']> }> {
    const settings = await this.ctx.services.settings.get();
    const classes = await this.#classes.get('all', () => this.#classIndex());
    const errors: NonNullable<ImportRowReport['errors']> = [];
    const parsed = this.#toReport(fields, { ...d, edition: settings.edition, classes }, errors);
    return parsed && errors.length === 0 ? parsed : { errors };
  }

  /** One row's fields → a report, or null with its problems appended to `errors`. */
  #toReport(
    f: Record<string, string>,
    d: {
      source: CaseSource;
      channel: string | null;
      edition: string;
      classes: ClassIndex;
    },
    errors: NonNullable<ImportRowReport['errors']>,
  ): { report: ReportInput; reportedAt: string | null } | null {
    const v = (k: string) => {
      const s = f[k]?.trim();
      return s ? s : undefined;
    };
    const sourceRef = v('sourceRef');
    if (!sourceRef) errors.push({ field: 'sourceRef', code: 'field_required', message: '缺少工单编号 / The work-order number is missing' });
    else if (sourceRef.length > 200)
      errors.push({ field: 'sourceRef', code: 'field_too_long', message: '工单编号过长 / The work-order number is too long' });
    const description = v('description');
    if (!description) errors.push({ field: 'description', code: 'field_required', message: '缺少问题描述 / The description is missing' });
    else if (description.length > 2000)
      errors.push({
        field: 'description',
        code: 'field_too_long',
        message: '问题描述超过 2000 字 / The description exceeds 2,000 characters',
      });

    const edition = v('edition') ?? d.edition;
    if (!(EDITIONS as readonly string[]).includes(edition))
      errors.push({
        field: 'edition',
        code: 'invalid_edition',
        message: `编码标准应为 ${EDITIONS.join('/')} / Unknown edition ${edition}`,
      });
    let kind: 'component' | 'event' | undefined;
    const kindWord = v('kind');
    if (kindWord) {
      kind = KIND_WORDS[kindWord.toLowerCase()];
      if (!kind)
        errors.push({ field: 'kind', code: 'invalid_kind', message: `类型应为 部件/事件 / Kind must be component or event: ${kindWord}` });
    }
    let classCode = v('classCode');
    const className = v('className');
    if (classCode) {
      const kinds = (d.classes.byCode.get(`${edition}/${classCode}`) ?? []).filter((k) => !kind || k === kind);
      if (kinds.length === 0)
        errors.push({
          field: 'classCode',
          code: 'class_not_found',
          message: `分类 ${classCode} 不存在或已停用 / No enabled class ${classCode}`,
        });
      else if (kinds.length > 1 && !kind)
        errors.push({
          field: 'kind',
          code: 'kind_required',
          message: `编码 ${classCode} 部件事件都有，请填写类型 / Code ${classCode} exists as a component and an event class; give the kind`,
        });
      else kind = kinds[0];
    } else if (className) {
      const hits = (d.classes.byName.get(`${edition}/${className}`) ?? []).filter((h) => !kind || h.kind === kind);
      if (hits.length === 1) {
        classCode = hits[0]?.code;
        kind = hits[0]?.kind;
      } else
        errors.push({
          field: 'className',
          code: hits.length === 0 ? 'class_not_found' : 'class_ambiguous',
          message:
            hits.length === 0
              ? `没有名为“${className}”的小类 / No class is named "${className}"`
              : `“${className}”对应多个分类，请填写分类编码 / "${className}" names several classes; give the class code`,
        });
    } else
      errors.push({ field: 'classCode', code: 'field_required', message: '缺少分类编码或小类名称 / Give a class code or a class name' });

    let severity: Severity | undefined;
    const sev = v('severity');
    if (sev) {
      severity = (SEVERITIES as readonly string[]).includes(sev) ? (sev as Severity) : SEVERITY_WORDS[sev];
      if (!severity)
        errors.push({ field: 'severity', code: 'invalid_severity', message: `等级应为 一般/重大/紧急 / Unknown severity ${sev}` });
    }

    let location: ReportInput['location'];
    const lngS = v('lng');
    const latS = v('lat');
    if (lngS || latS) {
      const lng = Number(lngS);
      const lat = Number(latS);
      if (!lngS || !latS || !Number.isFinite(lng) || !Number.isFinite(lat) || Math.abs(lng) > 180 || Math.abs(lat) > 90)
        errors.push({ field: 'lng', code: 'invalid_coordinates', message: `经纬度无效 / Invalid coordinates ${lngS ?? ''},${latS ?? ''}` });
      else {
        const cs = (v('coordSys') ?? 'wgs84').toLowerCase();
        if (cs !== 'wgs84' && cs !== 'gcj02' && cs !== 'bd09')
          errors.push({
            field: 'coordSys',
            code: 'invalid_coord_sys',
            message: `坐标系应为 wgs84/gcj02/bd09 / Unknown coordinate system ${cs}`,
          });
        else location = { lng, lat, coordSys: cs };
      }
    }
    const address = v('address');
    if (address && address.length > 200)
      errors.push({ field: 'address', code: 'field_too_long', message: '地址过长 / The address is too long' });
    const componentCode = v('componentCode');
    if (componentCode && !/^\d{16,17}$/.test(componentCode))
      errors.push({
        field: 'componentCode',
        code: 'invalid_component_code',
        message: `部件编码格式有误 / Malformed component code ${componentCode}`,
      });
    if (!lngS && !latS && !address && !componentCode)
      errors.push({ field: 'address', code: 'case_location_required', message: '缺少地址或经纬度 / Give an address or coordinates' });

    const phone = v('callerPhone');
    if (phone && !/^[0-9+\- ]{3,20}$/.test(phone))
      errors.push({ field: 'callerPhone', code: 'invalid_phone', message: `电话号码格式有误 / Malformed phone number ${phone}` });
    const name = v('callerName');
    let reportedAt: string | null = null;
    const at = v('reportedAt');
    if (at) {
      const t = new Date(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(at) ? `${at.replace(' ', 'T')}+08:00` : at);
      if (Number.isNaN(t.getTime()))
        errors.push({ field: 'reportedAt', code: 'invalid_time', message: `时间格式有误 / Unreadable time ${at}` });
      else reportedAt = t.toISOString();
    }
    const channel = v('channel') ?? d.channel ?? undefined;
    if (channel && channel.length > 32)
      errors.push({ field: 'channel', code: 'field_too_long', message: '渠道过长 / The channel is too long' });
    if (errors.length > 0 || !kind || !classCode || !description || !sourceRef) return null;
    return {
      reportedAt,
      report: {
        source: d.source,
        kind,
        edition: edition as Edition,
        classCode,
        severity,
        description,
        location,
        address,
        componentCode,
        channel,
        sourceRef,
        reporterContact: name || phone ? { name: name?.slice(0, 50), phone } : undefined,
        idempotencyKey: `import.${d.source}.${crypto.createHash('sha256').update(sourceRef).digest('hex').slice(0, 40)}`,
      },
    };
  }

  /** The data rows of an upload, fields renamed from their headers. */
  async #readRows(kind: 'csv' | 'xlsx' | 'json', body: Buffer | unknown): Promise<RawRow[]> {
    if (kind === 'json') return this.#jsonRows(body);
    let table: string[][];
    if (kind === 'csv') {
      try {
        table = parseCsv(body as Buffer, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
      } catch (err) {
        throw unprocessable('import_unreadable', `CSV 无法解析 / The CSV cannot be read: ${(err as Error).message}`);
      }
    } else {
      const wb = new ExcelJS.Workbook();
      try {
        await wb.xlsx.load(body as Buffer as unknown as ArrayBuffer);
      } catch {
        throw unprocessable('import_unreadable', 'Excel 文件无法读取 / The Excel file cannot be read');
      }
      const ws = wb.worksheets[0];
      table = [];
      ws?.eachRow({ includeEmpty: false }, (row) => {
        const cells: string[] = [];
        row.eachCell({ includeEmpty: true }, (cell, col) => {
          const val = cell.value;
          cells[col - 1] =
            val instanceof Date
              ? val.toISOString()
              : val === null || val === undefined
                ? ''
                : typeof val === 'object'
                  ? String(cell.text)
                  : String(val);
        });
        table.push(Array.from(cells, (c) => c ?? ''));
      });
    }
    const [head, ...rows] = table;
    if (!head) return [];
    const fields = head.map((h) => ALIAS_TO_FIELD.get(h.trim().toLowerCase()) ?? null);
    if (!fields.includes('description'))
      throw unprocessable('import_columns', '找不到“问题描述”列 / No description column (问题描述 / description) in the header', {
        header: head,
        known: IMPORT_ALIASES,
      });
    return rows.map((cells, i) => ({
      row: i + 2,
      fields: Object.fromEntries(fields.flatMap((f, k) => (f ? [[f, cells[k] ?? '']] : []))),
    }));
  }

  /** Rows from an exchange document (another platform's export). */
  #jsonRows(body: unknown): RawRow[] {
    const doc = body as { format?: unknown; version?: unknown; platform?: { cityCode?: unknown }; cases?: unknown };
    if (!doc || typeof doc !== 'object' || doc.format !== CASE_DOC_FORMAT || doc.version !== CASE_DOC_VERSION || !Array.isArray(doc.cases))
      throw unprocessable(
        'import_format',
        `不是 ${CASE_DOC_FORMAT} v${CASE_DOC_VERSION} 文档 / Not a ${CASE_DOC_FORMAT} version ${CASE_DOC_VERSION} document`,
      );
    const origin = typeof doc.platform?.cityCode === 'string' ? doc.platform.cityCode : 'ext';
    return (doc.cases as Array<Partial<ExchangeCase> | null>).map((c, i) => {
      const s = (x: unknown) => (typeof x === 'string' ? x : typeof x === 'number' ? String(x) : '');
      return {
        row: i + 1,
        fields: {
          sourceRef: c?.number ? `${origin}:${s(c.number)}` : '',
          kind: s(c?.kind),
          edition: s(c?.edition),
          classCode: s(c?.classCode),
          severity: s(c?.severity),
          description: s(c?.description),
          address: s(c?.address),
          lng: s(c?.location?.lng),
          lat: s(c?.location?.lat),
          componentCode: s(c?.componentCode),
          reportedAt: s(c?.createdAt),
        },
      };
    });
  }
}

function groupBy<T, K>(xs: T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}
