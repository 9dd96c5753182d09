import type { Readable } from 'node:stream';
import {
  DEPARTMENT_INDICATORS,
  POSITION_INDICATORS,
  POSITION_ROLES,
  type PositionRole,
  REGION_INDICATORS,
} from '../evaluation/evaluation.config.ts';
import { type ExportLang, xlsxStream } from '../exchange/exchange.writers.ts';
import type { Change, RankingItem, RankingObject, StatisticsService } from './statistics.service.ts';

type Label = { zh: string; en: string };

/** Indicator names as the standard words them. */
export const INDICATOR_LABELS: Record<string, Label> = {
  dueDisposal: { zh: '应处置数', en: 'Due for disposal' },
  disposed: { zh: '处置数', en: 'Disposed' },
  disposalRate: { zh: '处置率', en: 'Disposal rate' },
  disposedOnTime: { zh: '按期处置数', en: 'Disposed on time' },
  onTimeDisposalRate: { zh: '按期处置率', en: 'On-time disposal rate' },
  disposedLate: { zh: '超期处置数', en: 'Disposed late' },
  overdueUndisposed: { zh: '超期未处置数', en: 'Overdue, not disposed' },
  rework: { zh: '返工数', en: 'Rework' },
  reworkRate: { zh: '返工率', en: 'Rework rate' },
  postponed: { zh: '延期数', en: 'Postponed' },
  suspended: { zh: '挂账数', en: 'Suspended' },
  returned: { zh: '回退数', en: 'Returned' },
  closed: { zh: '结案数', en: 'Closed' },
  dueClose: { zh: '应结案数', en: 'Due to close' },
  closeRate: { zh: '结案率', en: 'Close rate' },
  overdueMultiple: { zh: '超期处置倍数', en: 'Overdue multiple' },
  reportVerified: { zh: '监督举报数', en: 'Verified public reports' },
  reportRate: { zh: '监督举报率', en: 'Public report rate' },
  registered: { zh: '立案数', en: 'Registered' },
  closedOnTime: { zh: '按期结案数', en: 'Closed on time' },
  onTimeCloseRate: { zh: '按期结案率', en: 'On-time close rate' },
  reports: { zh: '上报数', en: 'Reports' },
  // 岗位 (positions)
  reported: { zh: '上报数', en: 'Reported' },
  validReported: { zh: '有效上报数', en: 'Valid reports' },
  validReportRate: { zh: '有效上报率', en: 'Valid report rate' },
  verifyDue: { zh: '应核实数', en: 'Due to verify' },
  verifiedOnTime: { zh: '按时核实数', en: 'Verified on time' },
  onTimeVerifyRate: { zh: '按时核实率', en: 'On-time verify rate' },
  checkDue: { zh: '应核查数', en: 'Due to check' },
  checkedOnTime: { zh: '按时核查数', en: 'Checked on time' },
  onTimeCheckRate: { zh: '按时核查率', en: 'On-time check rate' },
  missed: { zh: '漏报数', en: 'Missed' },
  beatRegistered: { zh: '责任网格立案数', en: 'Registered in beat' },
  missedRate: { zh: '漏报率', en: 'Missed rate' },
  selfHandled: { zh: '自处理数', en: 'Self-handled' },
  received: { zh: '受理数', en: 'Received' },
  receivedOnTime: { zh: '按时受理数', en: 'Received on time' },
  onTimeReceiveRate: { zh: '按时受理率', en: 'On-time receive rate' },
  sentVerify: { zh: '发核实数', en: 'Sent to verify' },
  sentVerifyOnTime: { zh: '按时发核实数', en: 'Sent to verify on time' },
  sendVerifyOnTimeRate: { zh: '核实按时派发率', en: 'Verify sent on time rate' },
  sentCheck: { zh: '发核查数', en: 'Sent to check' },
  sentCheckOnTime: { zh: '按时发核查数', en: 'Sent to check on time' },
  sendCheckOnTimeRate: { zh: '核查按时派发率', en: 'Check sent on time rate' },
  registeredOnTime: { zh: '按时立案数', en: 'Registered on time' },
  onTimeRegisterRate: { zh: '按时立案率', en: 'On-time register rate' },
  cancelled: { zh: '作废数', en: 'Cancelled' },
  accurateRegisterRate: { zh: '准确立案率', en: 'Accurate register rate' },
  dispatched: { zh: '派遣数', en: 'Dispatched' },
  dispatchedOnTime: { zh: '按时派遣数', en: 'Dispatched on time' },
  onTimeDispatchRate: { zh: '按时派遣率', en: 'On-time dispatch rate' },
  misdispatched: { zh: '错误派遣数', en: 'Misdispatched' },
  accurateDispatchRate: { zh: '准确派遣率', en: 'Accurate dispatch rate' },
};

/** The 值班长's 结案 figures are 按时 (over 结案数), not the regions' 按期 (over 应结案数). */
const SHIFTLEAD_LABELS: Record<string, Label> = {
  closedOnTime: { zh: '按时结案数', en: 'Closed on time' },
  onTimeCloseRate: { zh: '按时结案率', en: 'On-time close rate' },
};

const OBJECT_LABELS: Record<RankingObject, Label> = {
  district: { zh: '区', en: 'District' },
  street: { zh: '街道', en: 'Street' },
  community: { zh: '社区', en: 'Community' },
  grid: { zh: '单元网格', en: 'Unit grid' },
  department: { zh: '部门', en: 'Department' },
  inspector: { zh: '监督员', en: 'Inspector' },
  acceptor: { zh: '受理员', en: 'Acceptor' },
  shiftlead: { zh: '值班长', en: 'Shift leader' },
  dispatcher: { zh: '派遣员', en: 'Dispatcher' },
};

const RATES = new Set([
  'disposalRate',
  'onTimeDisposalRate',
  'reworkRate',
  'closeRate',
  'reportRate',
  'onTimeCloseRate',
  'validReportRate',
  'onTimeVerifyRate',
  'onTimeCheckRate',
  'missedRate',
  'onTimeReceiveRate',
  'sendVerifyOnTimeRate',
  'sendCheckOnTimeRate',
  'onTimeRegisterRate',
  'accurateRegisterRate',
  'onTimeDispatchRate',
  'accurateDispatchRate',
]);

const l = (x: Label, lang: ExportLang) => (lang === 'en' ? x.en : x.zh);
/** A rate as a percentage with one decimal (Excel shows the number; N/A stays empty). */
const pct = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
const num = (v: number | null | undefined) => (v === null || v === undefined ? null : v);
const value = (k: string, v: number | null | undefined) => (RATES.has(k) ? pct(v) : num(v));
const header = (k: string, lang: ExportLang, object?: RankingObject) => {
  const x = (object === 'shiftlead' ? SHIFTLEAD_LABELS[k] : undefined) ?? INDICATOR_LABELS[k] ?? { zh: k, en: k };
  return RATES.has(k) ? `${l(x, lang)} (%)` : l(x, lang);
};

type Ranking = Awaited<ReturnType<StatisticsService['rankings']>>;
type Bulletin = Awaited<ReturnType<StatisticsService['bulletin']>>;

/** One object type's ranking as a sheet: rank, object, grade, composite and its change, every indicator. */
function rankingSheet(r: { object: RankingObject; items: RankingItem[] }, lang: ExportLang, name?: string) {
  const indicators: readonly string[] = (POSITION_ROLES as readonly string[]).includes(r.object)
    ? POSITION_INDICATORS[r.object as PositionRole]
    : r.object === 'department'
      ? DEPARTMENT_INDICATORS
      : REGION_INDICATORS;
  const zh = lang !== 'en';
  return {
    name: name ?? `${l(OBJECT_LABELS[r.object], lang)}${zh ? '排名' : ' ranking'}`,
    columns: [
      { header: zh ? '排名' : 'Rank', width: 6 },
      { header: zh ? '上期排名' : 'Previous rank', width: 9 },
      { header: zh ? '编码' : 'Code', width: 14 },
      { header: l(OBJECT_LABELS[r.object], lang), width: 22 },
      { header: zh ? '等级' : 'Grade', width: 6 },
      { header: zh ? '综合指标值' : 'Composite', width: 10 },
      { header: zh ? '上期综合指标值' : 'Previous composite', width: 12 },
      { header: zh ? '环比变化' : 'Change', width: 9 },
      ...indicators.map((k) => ({ header: header(k, lang, r.object), width: 11 })),
    ],
    write: async (add: (values: unknown[]) => void) => {
      for (const i of r.items) {
        const c = i.composite.value;
        const p = i.previousComposite.value;
        add([
          i.rank,
          i.previousRank,
          i.code,
          i.name,
          i.composite.grade,
          c,
          p,
          c === null || p === null ? null : Math.round((c - p) * 100) / 100,
          ...indicators.map((k) => value(k, i.indicators[k])),
        ]);
      }
    },
  };
}

/** 评价排名 as an Excel workbook. */
export function rankingWorkbook(r: Ranking, lang: ExportLang): Readable {
  return xlsxStream([rankingSheet(r, lang)]);
}

/** 月度通报 as an Excel workbook: totals, the three rankings, worst classes, hot-spot grids, sources. */
export function bulletinWorkbook(b: Bulletin, lang: ExportLang): Readable {
  const zh = lang !== 'en';
  const totalKeys = Object.keys(b.totals) as Array<keyof Bulletin['totals']>;
  const totals = {
    name: zh ? '总体情况' : 'Totals',
    columns: [
      { header: zh ? '指标' : 'Figure', width: 16 },
      { header: `${b.month}`, width: 12 },
      { header: zh ? `上月 ${b.previous.from.slice(0, 7)}` : `Previous ${b.previous.from.slice(0, 7)}`, width: 14 },
      { header: zh ? '环比增减' : 'Change', width: 10 },
      { header: zh ? '环比 (%)' : 'Change (%)', width: 10 },
    ],
    write: async (add: (values: unknown[]) => void) => {
      for (const k of totalKeys) {
        const c = b.totals[k] as Change;
        const rate = RATES.has(k);
        add([
          header(k, lang),
          rate ? pct(c.value) : c.value,
          rate ? pct(c.previous) : c.previous,
          rate ? pct(c.change) : c.change,
          rate ? null : pct(c.ratio),
        ]);
      }
    },
  };
  const asRanking = (object: RankingObject, rows: Bulletin['rankings']['districts']) =>
    rankingSheet(
      {
        object,
        items: rows.map((x) => ({ ...x, previousIndicators: {} })),
      },
      lang,
    );
  const classes = {
    name: zh ? '高发问题' : 'Top classes',
    columns: [
      { header: zh ? '类别编码' : 'Class code', width: 10 },
      { header: zh ? '类别' : 'Class', width: 20 },
      { header: zh ? '本月上报' : 'Reports', width: 10 },
      { header: zh ? '上月上报' : 'Previous', width: 10 },
      { header: zh ? '环比 (%)' : 'Change (%)', width: 10 },
    ],
    write: async (add: (values: unknown[]) => void) => {
      for (const c of b.worstClasses) add([c.code, c.name, c.value, c.previous, pct(c.ratio)]);
    },
  };
  const grids = {
    name: zh ? '热点网格' : 'Hot-spot grids',
    columns: [
      { header: zh ? '网格编码' : 'Grid code', width: 18 },
      { header: zh ? '网格' : 'Grid', width: 22 },
      { header: zh ? '上报数' : 'Reports', width: 10 },
    ],
    write: async (add: (values: unknown[]) => void) => {
      for (const g of b.hotGrids) add([g.code, g.name, g.reports]);
    },
  };
  const sources = {
    name: zh ? '案件来源' : 'Sources',
    columns: [
      { header: zh ? '来源' : 'Source', width: 18 },
      { header: zh ? '本月上报' : 'Reports', width: 10 },
      { header: zh ? '上月上报' : 'Previous', width: 10 },
    ],
    write: async (add: (values: unknown[]) => void) => {
      for (const s of b.sources) add([zh ? s.label : s.source, s.reports, s.previous]);
    },
  };
  return xlsxStream([
    totals,
    asRanking('district', b.rankings.districts),
    asRanking('street', b.rankings.streets),
    asRanking('department', b.rankings.departments),
    classes,
    grids,
    sources,
  ]);
}
