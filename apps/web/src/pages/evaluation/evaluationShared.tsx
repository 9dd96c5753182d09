import { ArrowDownOutlined, ArrowUpOutlined, MinusOutlined } from '@ant-design/icons';
import { DatePicker, Segmented, Tag } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api.ts';
import { currentLanguage } from '../../i18n/index.ts';
import { todayIn } from '../search/caseQuery.ts';

/** A period as local days: `from` inclusive, `to` exclusive (YYYY-MM-DD), as the evaluation API takes it. */
export interface Days {
  from: string;
  to: string;
}

export interface Scored {
  value: number | null;
  grade: string | null;
  color: string | null;
}

export interface Change {
  value: number | null;
  previous: number | null;
  change: number | null;
  ratio: number | null;
}

export const POSITION_ROLES = ['inspector', 'acceptor', 'shiftlead', 'dispatcher'] as const;
export type PositionRole = (typeof POSITION_ROLES)[number];
export type RankingObject = 'district' | 'street' | 'community' | 'grid' | 'department' | PositionRole;

export interface RankingItem {
  id: number;
  code: string;
  name: string;
  rank: number | null;
  previousRank: number | null;
  indicators: Record<string, number | null>;
  previousIndicators: Record<string, number | null>;
  composite: Scored;
  previousComposite: Scored;
}

export interface Rankings {
  from: string;
  to: string;
  previous: Days;
  object: RankingObject;
  configVersion: number;
  asOf: string;
  items: RankingItem[];
}

export const REGION_COLUMNS = [
  'registered',
  'reportVerified',
  'reportRate',
  'closed',
  'dueClose',
  'closeRate',
  'closedOnTime',
  'onTimeCloseRate',
] as const;
export const DEPARTMENT_COLUMNS = [
  'dueDisposal',
  'disposed',
  'disposalRate',
  'onTimeDisposalRate',
  'disposedLate',
  'overdueUndisposed',
  'rework',
  'reworkRate',
  'postponed',
  'suspended',
  'returned',
  'closed',
  'closeRate',
] as const;

/** The columns of each position's table (GET /api/evaluation/positions). */
export const POSITION_COLUMNS: Record<PositionRole, readonly string[]> = {
  inspector: [
    'reported',
    'validReported',
    'validReportRate',
    'verifyDue',
    'onTimeVerifyRate',
    'checkDue',
    'onTimeCheckRate',
    'missed',
    'missedRate',
    'selfHandled',
  ],
  acceptor: ['received', 'onTimeReceiveRate', 'sentVerify', 'sendVerifyOnTimeRate', 'sentCheck', 'sendCheckOnTimeRate'],
  shiftlead: ['registered', 'onTimeRegisterRate', 'cancelled', 'accurateRegisterRate', 'closed', 'onTimeCloseRate'],
  dispatcher: ['dispatched', 'onTimeDispatchRate', 'misdispatched', 'accurateDispatchRate'],
};

export const RATE_INDICATORS = new Set([
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
/** Figures where a fall is the good news (the arrows are coloured by what the change means). */
export const LOWER_IS_BETTER = new Set([
  'reportRate',
  'reportVerified',
  'registered',
  'reworkRate',
  'rework',
  'disposedLate',
  'overdueUndisposed',
  'returned',
  'postponed',
  'suspended',
  'reports',
  'missed',
  'missedRate',
  'cancelled',
  'misdispatched',
]);

/** The grade ladder's colour names → screen colours. */
export const GRADE_COLORS: Record<string, string> = {
  green: '#389e0d',
  blue: '#1677ff',
  yellow: '#d4a106',
  red: '#cf1322',
  black: '#262626',
};

export function GradeTag({ s }: { s: Scored }) {
  const { t } = useTranslation();
  if (!s.grade) return <span className="cl-eval-na">{t('evaluation.notScored')}</span>;
  return (
    <Tag
      variant="solid"
      color={GRADE_COLORS[s.color ?? ''] ?? s.color ?? undefined}
      className="cl-eval-grade"
      title={s.value === null ? undefined : s.value.toFixed(2)}
      data-testid="grade"
    >
      {s.grade}
    </Tag>
  );
}

/** An indicator's name; the 值班长's 按时结案率 (over 结案数) is not the regions' 按期结案率 (over 应结案数). */
export function indicatorLabel(t: (k: string) => string, object: RankingObject, k: string): string {
  if (object === 'shiftlead' && (k === 'onTimeCloseRate' || k === 'closedOnTime')) return t(`evaluation.indicators.${k}Shiftlead`);
  return t(`evaluation.indicators.${k}`);
}

/** A count as is, a rate as a percentage with one decimal; N/A as a dash. */
export function fmtValue(indicator: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (RATE_INDICATORS.has(indicator)) return `${(v * 100).toFixed(1)}%`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** ↑ / ↓ / – against the previous period, green when the change is good news, red when bad. */
export function Trend({
  indicator,
  value,
  previous,
  lowerIsBetter = LOWER_IS_BETTER.has(indicator),
}: {
  indicator: string;
  value: number | null;
  previous: number | null | undefined;
  /** Whether a fall is good news (default: by the indicator; a position's 立案数 is work done, not a problem count). */
  lowerIsBetter?: boolean;
}) {
  const { t } = useTranslation();
  if (value === null || previous === null || previous === undefined) return null;
  const d = value - previous;
  const rate = RATE_INDICATORS.has(indicator);
  const title = t('evaluation.previousValue', { value: fmtValue(indicator, previous) });
  if (Math.abs(d) < 1e-9) {
    return (
      <span className="cl-eval-trend flat" title={title}>
        <MinusOutlined />
      </span>
    );
  }
  const good = lowerIsBetter ? d < 0 : d > 0;
  const shown = rate ? `${Math.abs(d * 100).toFixed(1)}` : Number.isInteger(d) ? String(Math.abs(d)) : Math.abs(d).toFixed(1);
  return (
    <span className={`cl-eval-trend ${good ? 'good' : 'bad'}`} title={title} data-testid="trend">
      {d > 0 ? <ArrowUpOutlined /> : <ArrowDownOutlined />}
      {shown}
    </span>
  );
}

export type PeriodKind = 'month' | 'quarter' | 'year' | 'custom';

/** The period a picker value stands for. */
export function periodOf(kind: PeriodKind, d: Dayjs, range?: [Dayjs, Dayjs]): Days {
  if (kind === 'custom' && range) return { from: range[0].format('YYYY-MM-DD'), to: range[1].add(1, 'day').format('YYYY-MM-DD') };
  if (kind === 'year') return { from: d.startOf('year').format('YYYY-MM-DD'), to: d.startOf('year').add(1, 'year').format('YYYY-MM-DD') };
  if (kind === 'quarter') {
    const start = d.startOf('month').month(Math.floor(d.month() / 3) * 3);
    return { from: start.format('YYYY-MM-DD'), to: start.add(3, 'month').format('YYYY-MM-DD') };
  }
  return { from: d.startOf('month').format('YYYY-MM-DD'), to: d.startOf('month').add(1, 'month').format('YYYY-MM-DD') };
}

/** This month in the city's time zone (the default period). */
export function thisMonth(timeZone: string): Dayjs {
  return dayjs(todayIn(timeZone)).startOf('month');
}

export interface PeriodValue {
  kind: PeriodKind;
  anchor: Dayjs;
  range?: [Dayjs, Dayjs];
}

/** 月 / 季 / 年 / 自定义 and the matching picker. */
export function PeriodPicker({ value, onChange }: { value: PeriodValue; onChange: (v: PeriodValue) => void }) {
  const { t } = useTranslation();
  return (
    <span className="cl-eval-period" data-testid="period-picker">
      <Segmented
        value={value.kind}
        onChange={(k) => {
          const kind = k as PeriodKind;
          onChange({
            ...value,
            kind,
            range: kind === 'custom' && !value.range ? [value.anchor.startOf('month'), value.anchor.endOf('month')] : value.range,
          });
        }}
        options={(['month', 'quarter', 'year', 'custom'] as const).map((k) => ({ value: k, label: t(`evaluation.period.${k}`) }))}
        data-testid="period-kind"
      />
      {value.kind === 'custom' ? (
        <DatePicker.RangePicker
          allowClear={false}
          value={value.range}
          onChange={(r) => r?.[0] && r[1] && onChange({ ...value, range: [r[0], r[1]] })}
        />
      ) : (
        <DatePicker
          allowClear={false}
          picker={value.kind}
          value={value.anchor}
          onChange={(d) => d && onChange({ ...value, anchor: d })}
          data-testid="period-date"
        />
      )}
    </span>
  );
}

/** Downloads a file from the API with the session cookie under the name the server gave it. */
export async function download(url: string, fallbackName: string): Promise<void> {
  const sep = url.includes('?') ? '&' : '?';
  const res = await fetch(`${url}${sep}lang=${currentLanguage()}`, { credentials: 'same-origin' });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    throw new ApiError(res.status, body.error ?? `http_${res.status}`, body.message ?? res.statusText);
  }
  const cd = res.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/i.exec(cd)?.[1] ?? fallbackName;
  const blobUrl = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = blobUrl;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000);
}

/** The query string of a period and more. */
export function qs(q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  return p.toString();
}
