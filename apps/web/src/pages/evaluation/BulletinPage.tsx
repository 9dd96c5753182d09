import { DownloadOutlined, PrinterOutlined } from '@ant-design/icons';
import { Alert, App, Button, DatePicker, Spin } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { ApiError, api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { type Change, type Days, download, fmtValue, GRADE_COLORS, RATE_INDICATORS, type Scored, thisMonth } from './evaluationShared.tsx';
import './evaluation.css';

interface RankRow {
  id: number;
  code: string;
  name: string;
  rank: number | null;
  previousRank: number | null;
  composite: Scored;
  previousComposite: Scored;
  indicators: Record<string, number | null>;
}

export interface Bulletin {
  month: string;
  from: string;
  to: string;
  previous: Days;
  asOf: string;
  configVersion: number;
  totals: Record<string, Change>;
  rankings: { districts: RankRow[]; streets: RankRow[]; departments: RankRow[] };
  worstClasses: Array<{ code: string; name: string } & Change>;
  hotGrids: Array<{ id: number; code: string; name: string; reports: number }>;
  sources: Array<{ source: string; label: string; reports: number; previous: number }>;
}

const TOTAL_ROWS = [
  'reports',
  'registered',
  'closed',
  'dueClose',
  'closeRate',
  'onTimeCloseRate',
  'disposed',
  'onTimeDisposalRate',
  'overdueUndisposed',
];
/** How many streets the printed table lists at most (the Excel file has them all). */
const STREETS_SHOWN = 15;

/** "+2 (+50.0%)", "−5.0 个百分点" for rates, "—" with nothing to compare. */
function changeText(t: (k: string, o?: Record<string, unknown>) => string, k: string, c: Change): string {
  if (c.change === null) return '—';
  const sign = c.change > 0 ? '+' : c.change < 0 ? '−' : '';
  if (RATE_INDICATORS.has(k)) return t('evaluation.bulletin.points', { v: `${sign}${Math.abs(c.change * 100).toFixed(1)}` });
  const pct = c.ratio === null ? '' : ` (${sign}${Math.abs(c.ratio * 100).toFixed(1)}%)`;
  return `${sign}${Math.abs(c.change)}${pct}`;
}

function GradeText({ s }: { s: Scored }) {
  if (!s.grade) return <span>—</span>;
  return (
    <span className="cl-bulletin-grade" style={{ background: GRADE_COLORS[s.color ?? ''] ?? s.color ?? '#888' }}>
      {s.grade}
    </span>
  );
}

function RankTable({ rows: all, object, cols, limit }: { rows: RankRow[]; object: string; cols: string[]; limit?: number }) {
  const { t } = useTranslation();
  // Objects with nothing due are not scored: named in one line under the table, not as empty rows.
  const rows = all.filter((r) => r.rank !== null).slice(0, limit);
  const unscored = all.filter((r) => r.rank === null).length;
  return (
    <table className="cl-bulletin-table" data-testid={`bulletin-rank-${object}`}>
      <thead>
        <tr>
          <th>{t('evaluation.rank')}</th>
          <th>{t(`evaluation.objects.${object}`)}</th>
          <th>{t('evaluation.composite')}</th>
          <th>{t('evaluation.grade')}</th>
          {cols.map((k) => (
            <th key={k}>{t(`evaluation.indicators.${k}`)}</th>
          ))}
          <th>{t('evaluation.bulletin.lastMonth')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id}>
            <td>{r.rank ?? '—'}</td>
            <td className="name">{r.name}</td>
            <td>{r.composite.value === null ? '—' : r.composite.value.toFixed(2)}</td>
            <td>
              <GradeText s={r.composite} />
            </td>
            {cols.map((k) => (
              <td key={k}>{fmtValue(k, r.indicators[k])}</td>
            ))}
            <td>
              {r.previousComposite.value === null
                ? '—'
                : `${r.previousComposite.value.toFixed(2)} ${r.previousComposite.grade ?? ''} · ${t('evaluation.bulletin.rankN', { n: r.previousRank ?? '—' })}`}
            </td>
          </tr>
        ))}
      </tbody>
      {unscored ? (
        <tfoot>
          <tr>
            <td colSpan={cols.length + 5} className="note">
              {t(rows.length ? 'evaluation.bulletin.unscored' : 'evaluation.bulletin.unscoredAll', { n: unscored })}
            </td>
          </tr>
        </tfoot>
      ) : null}
    </table>
  );
}

/**
 * 月度通报 `/evaluation/bulletin?month=YYYY-MM`: the month's bulletin as cities publish it, laid
 * out as A4 pages for 打印/导出PDF (the browser's print), and as an Excel workbook.
 */
export default function BulletinPage() {
  const { t } = useTranslation();
  const { settings } = useSession();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const month = /^\d{4}-\d{2}$/.test(params.get('month') ?? '')
    ? (params.get('month') as string)
    : thisMonth(settings.timeZone).subtract(1, 'month').format('YYYY-MM');
  const [data, setData] = useState<Bulletin | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    setError(null);
    setData(null);
    api
      .get<Bulletin>('/api/statistics/bulletin', { month, top: 10 }, ctrl.signal)
      .then(setData)
      .catch((e) => {
        if (!(e instanceof DOMException)) setError(e instanceof ApiError ? e.message : String(e));
      });
    return () => ctrl.abort();
  }, [month]);

  const exportXlsx = async () => {
    try {
      await download(`/api/statistics/bulletin.xlsx?month=${month}`, `bulletin-${month}.xlsx`);
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    }
  };

  const [y, m] = month.split('-');
  const tot = data?.totals;
  const worst = data?.rankings.districts.filter((r) => r.rank !== null).at(-1);
  const best = data?.rankings.districts.find((r) => r.rank !== null);
  const scoredStreets = data?.rankings.streets.filter((r) => r.rank !== null).length ?? 0;

  return (
    <div className="cl-bulletin-wrap" data-testid="bulletin-page">
      <div className="cl-bulletin-tools">
        <DatePicker
          picker="month"
          allowClear={false}
          value={dayjs(`${month}-01`)}
          onChange={(d) => d && setParams({ month: d.format('YYYY-MM') })}
          data-testid="bulletin-month"
        />
        <Button type="primary" icon={<PrinterOutlined />} onClick={() => window.print()} disabled={!data} data-testid="bulletin-print">
          {t('evaluation.bulletin.print')}
        </Button>
        <Button icon={<DownloadOutlined />} onClick={exportXlsx} disabled={!data} data-testid="bulletin-xlsx">
          {t('evaluation.excel')}
        </Button>
        <span className="cl-eval-sub">{t('evaluation.bulletin.printHint')}</span>
      </div>
      {error ? <Alert type="error" showIcon message={error} /> : null}
      {!data && !error ? <Spin /> : null}
      {data && tot ? (
        <article className="cl-bulletin" data-testid="bulletin-sheet">
          <header className="cl-bulletin-title">
            <div className="org">{t('evaluation.bulletin.org', { city: settings.cityName })}</div>
            <h1>{t('evaluation.bulletin.title', { y, m: Number(m) })}</h1>
            <div className="meta">
              {t('evaluation.bulletin.meta', {
                from: data.from,
                to: dayjs(data.to).subtract(1, 'day').format('YYYY-MM-DD'),
                version: data.configVersion,
                issued: dayjs().format('YYYY-MM-DD'),
              })}
            </div>
          </header>

          <h2>{t('evaluation.bulletin.s1')}</h2>
          <p className="lead" data-testid="bulletin-lead">
            {t('evaluation.bulletin.lead', {
              reports: tot.reports?.value ?? 0,
              registered: tot.registered?.value ?? 0,
              closed: tot.closed?.value ?? 0,
              closeRate: fmtValue('closeRate', tot.closeRate?.value),
              onTime: fmtValue('onTimeCloseRate', tot.onTimeCloseRate?.value),
              change: changeText(t, 'reports', tot.reports as Change),
            })}
            {best && worst && best.id !== worst.id ? ` ${t('evaluation.bulletin.leadRank', { best: best.name, worst: worst.name })}` : ''}
          </p>
          <table className="cl-bulletin-table totals" data-testid="bulletin-totals">
            <thead>
              <tr>
                <th>{t('evaluation.bulletin.figure')}</th>
                <th>{t('evaluation.bulletin.thisMonth')}</th>
                <th>{t('evaluation.bulletin.lastMonth')}</th>
                <th>{t('evaluation.bulletin.change')}</th>
              </tr>
            </thead>
            <tbody>
              {TOTAL_ROWS.filter((k) => tot[k]).map((k) => {
                const c = tot[k] as Change;
                return (
                  <tr key={k}>
                    <td className="name">{k === 'reports' ? t('evaluation.stats.reports') : t(`evaluation.indicators.${k}`)}</td>
                    <td>{fmtValue(k, c.value)}</td>
                    <td>{fmtValue(k, c.previous)}</td>
                    <td>{changeText(t, k, c)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>

          <h2>{t('evaluation.bulletin.s2')}</h2>
          <RankTable rows={data.rankings.districts} object="district" cols={['registered', 'closeRate', 'onTimeCloseRate']} />

          <h2>
            {t(scoredStreets ? 'evaluation.bulletin.s3' : 'evaluation.bulletin.s3plain', { n: Math.min(STREETS_SHOWN, scoredStreets) })}
          </h2>
          <RankTable
            rows={data.rankings.streets}
            object="street"
            cols={['registered', 'closeRate', 'onTimeCloseRate']}
            limit={STREETS_SHOWN}
          />

          <h2>{t('evaluation.bulletin.s4')}</h2>
          <RankTable
            rows={data.rankings.departments}
            object="department"
            cols={['dueDisposal', 'onTimeDisposalRate', 'closeRate', 'reworkRate', 'overdueUndisposed']}
          />

          <h2>{t('evaluation.bulletin.s5')}</h2>
          <table className="cl-bulletin-table" data-testid="bulletin-classes">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('evaluation.bulletin.class')}</th>
                <th>{t('evaluation.bulletin.thisMonth')}</th>
                <th>{t('evaluation.bulletin.lastMonth')}</th>
                <th>{t('evaluation.bulletin.change')}</th>
              </tr>
            </thead>
            <tbody>
              {data.worstClasses.map((c, i) => (
                <tr key={c.code}>
                  <td>{i + 1}</td>
                  <td className="name">
                    {c.name} <span className="code">{c.code}</span>
                  </td>
                  <td>{c.value}</td>
                  <td>{c.previous}</td>
                  <td>{changeText(t, 'reports', c)}</td>
                </tr>
              ))}
            </tbody>
          </table>

          <h2>{t('evaluation.bulletin.s6')}</h2>
          <table className="cl-bulletin-table" data-testid="bulletin-grids">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('evaluation.objects.grid')}</th>
                <th>{t('evaluation.bulletin.gridCode')}</th>
                <th>{t('evaluation.stats.reports')}</th>
              </tr>
            </thead>
            <tbody>
              {data.hotGrids.map((g, i) => (
                <tr key={g.id}>
                  <td>{i + 1}</td>
                  <td className="name">{g.name}</td>
                  <td>{g.code}</td>
                  <td>{g.reports}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <footer className="cl-bulletin-foot">{t('evaluation.bulletin.foot')}</footer>
        </article>
      ) : null}
    </div>
  );
}
