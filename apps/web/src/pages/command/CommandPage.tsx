import './command.css';
import { ArrowLeftOutlined } from '@ant-design/icons';
import { ConfigProvider, Segmented, theme } from 'antd';
import { lazy, type ReactNode, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { type Language, setLanguage } from '../../i18n/index.ts';
import { useSession } from '../../session.tsx';
import { GRID_MAP_LEVELS, regionOutlinesOf } from '../map/outlines.ts';
import { useCaseEvents } from '../workbench/useCaseEvents.ts';
import type { ChartOption } from './Chart.tsx';
import type { PatrolPoint } from './CommandMap.tsx';
import { type OpenCase, type OpenCases, type Overview, type Ranked, STATE_GROUPS } from './commandTypes.ts';

// The screen's frame, figures and ticker show first; the map (MapLibre) and the charts (ECharts)
// load beside them, and the map's outlines are asked for as the screen opens.
const CommandMap = lazy(() => import('./CommandMap.tsx'));
const LazyChart = lazy(() => import('./Chart.tsx'));

function Chart(props: { option: ChartOption; testId?: string }) {
  return (
    <Suspense fallback={<div className="cl-cmd-chart" data-testid={props.testId} />}>
      <LazyChart {...props} />
    </Suspense>
  );
}

const NO_CASES: OpenCase[] = [];
const NO_PATROL: PatrolPoint[] = [];
const NO_HEAT: Overview['heat'] = [];

import { useLiveRead } from './useLiveRead.ts';

const TEXT = '#c9d7ee';
const DIM = '#7f93b2';
const PALETTE = ['#3ea6ff', '#35d39a', '#ffb020', '#b18cff', '#ff6b8b', '#2ee6e6', '#f5e663', '#8a99ad'];
const GRADE_COLORS: Record<string, string> = {
  green: '#35d39a',
  blue: '#3ea6ff',
  yellow: '#f0c419',
  red: '#ff4d4f',
  black: '#5b6b82',
};
/**
 * The overview is read again at least this often: for what moves with the clock alone (deadlines,
 * midnight) and for the evaluation figures, which the server recomputes in the background.
 */
const POLL_MS = 30_000;
/** Inspectors' last positions are read this often. */
const PATROL_POLL_MS = 15_000;
/** The map's open cases are read this long after the figures. */
const MAP_DELAY_MS = 200;

function Panel({
  title,
  extra,
  children,
  className,
  testId,
}: {
  title: string;
  extra?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section className={`cl-cmd-panel ${className ?? ''}`} data-testid={testId}>
      <header className="cl-cmd-panel-head">
        <span className="cl-cmd-panel-title">{title}</span>
        {extra}
      </header>
      <div className="cl-cmd-panel-body">{children}</div>
    </section>
  );
}

const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

function useClock(timeZone: string, lang: string): string {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = window.setInterval(() => setNow(new Date()), 1000);
    return () => window.clearInterval(id);
  }, []);
  const fmt = useMemo(() => {
    const options: Intl.DateTimeFormatOptions = {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    };
    try {
      return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', { ...options, timeZone });
    } catch {
      return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', options);
    }
  }, [timeZone, lang]);
  // YYYY-MM-DD weekday HH:mm:ss, whatever the locale's own order.
  const p = Object.fromEntries(fmt.formatToParts(now).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}  ${p.weekday}  ${p.hour}:${p.minute}:${p.second}`;
}

function rankingOption(items: Ranked[], noScore: string, onTimeLabel: string): ChartOption {
  const rows = items.slice(0, 10).reverse();
  return {
    grid: { left: 8, right: 92, top: 6, bottom: 6, containLabel: true },
    tooltip: {
      trigger: 'item',
      formatter: (p: { dataIndex: number }) => {
        const r = rows[p.dataIndex] as Ranked;
        return `${r.name}<br/>${r.score === null ? noScore : `${r.score.toFixed(1)} (${r.grade})`}<br/>${onTimeLabel} ${pct(r.onTimeRate)}`;
      },
    },
    xAxis: { type: 'value', max: 100, show: false },
    yAxis: {
      type: 'category',
      data: rows.map((r) => r.name),
      axisLabel: { color: TEXT, fontSize: 14, width: 150, overflow: 'truncate' },
      axisLine: { show: false },
      axisTick: { show: false },
    },
    series: [
      {
        type: 'bar',
        barWidth: '58%',
        barMaxWidth: 22,
        showBackground: true,
        backgroundStyle: { color: 'rgba(62,166,255,0.06)', borderRadius: 3 },
        data: rows.map((r) => ({
          value: r.score ?? 0,
          itemStyle: { color: GRADE_COLORS[r.color ?? ''] ?? '#3ea6ff', borderRadius: 3 },
        })),
        label: {
          show: true,
          position: 'right',
          color: TEXT,
          fontSize: 14,
          formatter: (p: { dataIndex: number }) => {
            const r = rows[p.dataIndex] as Ranked;
            return r.score === null ? noScore : `${r.score.toFixed(1)} ${r.grade ?? ''}`;
          },
        },
      },
    ],
  };
}

function gaugeOption(rate: number | null, label: string): ChartOption {
  const value = rate === null ? 0 : Math.round(rate * 1000) / 10;
  const color = rate === null ? '#5b6b82' : rate >= 0.9 ? '#35d39a' : rate >= 0.75 ? '#3ea6ff' : rate >= 0.6 ? '#f0c419' : '#ff4d4f';
  return {
    series: [
      {
        type: 'gauge',
        startAngle: 210,
        endAngle: -30,
        min: 0,
        max: 100,
        radius: '96%',
        center: ['50%', '55%'],
        progress: { show: true, width: 10, itemStyle: { color } },
        axisLine: { lineStyle: { width: 10, color: [[1, 'rgba(62,166,255,0.12)']] } },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        pointer: { show: false },
        anchor: { show: false },
        title: { show: true, offsetCenter: [0, '42%'], color: DIM, fontSize: 15 },
        detail: {
          valueAnimation: false,
          offsetCenter: [0, '-4%'],
          fontSize: 25,
          fontWeight: 600,
          color: TEXT,
          formatter: () => (rate === null ? '—' : `${value.toFixed(1)}%`),
        },
        data: [{ value, name: label }],
      },
    ],
  };
}

/** 监督指挥: the command centre's wall screen — the city map with live cases and today's heat, the day's figures, rankings and a ticker. */
export default function CommandPage() {
  const { t, i18n } = useTranslation();
  const { settings } = useSession();
  const overview = useLiveRead<Overview>('/api/command/overview', 0);
  const cases = useLiveRead<OpenCases>('/api/command/cases', 1000);
  // Inspectors' positions are not case events: read on a timer.
  const patrol = useLiveRead<{ items: PatrolPoint[] }>('/api/patrol/last', 0);
  const refreshPatrol = patrol.refresh;
  useEffect(() => {
    const id = window.setInterval(refreshPatrol, PATROL_POLL_MS);
    return () => window.clearInterval(id);
  }, [refreshPatrol]);
  const o = overview.data;
  useEffect(() => {
    void regionOutlinesOf(GRID_MAP_LEVELS);
  }, []);

  const refreshAll = useRef(() => {});
  refreshAll.current = () => {
    overview.refresh();
    // The figures first: on the embedded database both reads queue on one connection.
    window.setTimeout(cases.refresh, MAP_DELAY_MS);
  };
  const connected = useCaseEvents(() => refreshAll.current());
  // After a (re)connection, events may have been missed: read everything again.
  useEffect(() => {
    if (connected) refreshAll.current();
  }, [connected]);
  useEffect(() => {
    const id = window.setInterval(() => refreshAll.current(), POLL_MS);
    return () => window.clearInterval(id);
  }, []);

  // Ticker rows that arrived since the previous answer flash once.
  const seen = useRef<Set<number> | null>(null);
  const [fresh, setFresh] = useState<Set<number>>(new Set());
  useEffect(() => {
    if (!o) return;
    const ids = o.recent.map((e) => e.id);
    const prev = seen.current;
    seen.current = new Set(ids);
    if (!prev) return;
    const added = new Set(ids.filter((id) => !prev.has(id)));
    if (added.size === 0) return;
    setFresh(added);
    const timer = window.setTimeout(() => setFresh(new Set()), 3000);
    return () => window.clearTimeout(timer);
  }, [o]);

  const lang = i18n.language === 'en' ? 'en' : 'zh-CN';
  const clock = useClock(settings.timeZone, lang);

  const sourceOption = useMemo<ChartOption>(
    () => ({
      color: PALETTE,
      tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
      legend: {
        orient: 'vertical',
        right: 4,
        top: 'middle',
        textStyle: { color: TEXT, fontSize: 14 },
        itemWidth: 12,
        itemHeight: 12,
        formatter: (name: string) => {
          const row = o?.bySource.find((s) => t(`sources.${s.source}`) === name);
          return `${name}  ${row?.n ?? 0}`;
        },
      },
      series: [
        {
          type: 'pie',
          radius: ['48%', '74%'],
          center: ['30%', '52%'],
          avoidLabelOverlap: true,
          label: { show: false },
          itemStyle: { borderColor: '#081629', borderWidth: 2 },
          data: (o?.bySource ?? []).map((s) => ({ name: t(`sources.${s.source}`), value: s.n })),
        },
      ],
    }),
    [o, t],
  );

  const stateOption = useMemo<ChartOption>(() => {
    const rows = o?.byState ?? [];
    return {
      grid: { left: 8, right: 36, top: 8, bottom: 4, containLabel: true },
      tooltip: { trigger: 'item' },
      xAxis: { type: 'value', show: false },
      yAxis: {
        type: 'category',
        inverse: true,
        data: rows.map((r) => t(`states.${r.state}`)),
        axisLabel: { color: TEXT, fontSize: 14 },
        axisLine: { show: false },
        axisTick: { show: false },
      },
      series: [
        {
          type: 'bar',
          barWidth: '56%',
          data: rows.map((r) => ({
            value: r.n,
            itemStyle: { color: STATE_GROUPS.find((g) => g.states.includes(r.state))?.color ?? '#5b6b82', borderRadius: 3 },
          })),
          label: { show: true, position: 'right', color: TEXT, fontSize: 14 },
        },
      ],
    };
  }, [o, t]);

  const classOption = useMemo<ChartOption>(() => {
    const rows = o?.byClass ?? [];
    return {
      grid: { left: 8, right: 40, top: 6, bottom: 4, containLabel: true },
      tooltip: { trigger: 'item' },
      xAxis: { type: 'value', show: false },
      yAxis: {
        type: 'category',
        inverse: true,
        data: rows.map((r) => r.name ?? r.classCode),
        axisLabel: { color: TEXT, fontSize: 14, width: 150, overflow: 'truncate' },
        axisLine: { show: false },
        axisTick: { show: false },
      },
      series: [
        {
          type: 'bar',
          barWidth: '58%',
          data: rows.map((r, i) => ({
            value: r.n,
            itemStyle: { color: i < 3 ? '#ff8a3d' : '#3ea6ff', borderRadius: 3 },
          })),
          label: { show: true, position: 'right', color: TEXT, fontSize: 14 },
        },
      ],
    };
  }, [o]);

  const districtOption = useMemo(() => rankingOption(o?.rankings.districts ?? [], t('command.noScore'), t('command.onTimeClose')), [o, t]);
  const departmentOption = useMemo(
    () => rankingOption(o?.rankings.departments ?? [], t('command.noScore'), t('command.onTimeDisposal')),
    [o, t],
  );
  const gaugeToday = useMemo(() => gaugeOption(o?.onTime.today.rate ?? null, t('command.today')), [o, t]);
  const gaugeMonth = useMemo(() => gaugeOption(o?.onTime.month.rate ?? null, t('command.thisMonth')), [o, t]);

  const counters: Array<{ key: keyof Overview['counters']; tone: string }> = [
    { key: 'reportedToday', tone: 'blue' },
    { key: 'closedToday', tone: 'green' },
    { key: 'open', tone: 'cyan' },
    { key: 'overdue', tone: 'red' },
    { key: 'warning', tone: 'yellow' },
    { key: 'urgent', tone: 'magenta' },
  ];
  const time = (iso: string) =>
    new Intl.DateTimeFormat('zh-CN', {
      timeZone: settings.timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(iso));
  const live = connected && !overview.stale;
  const evaluatedNote = o ? t('command.evaluatedAt', { month: o.month, time: time(o.evaluatedAt).slice(0, 5) }) : '';

  return (
    <ConfigProvider theme={{ algorithm: theme.darkAlgorithm, token: { colorPrimary: '#3ea6ff' } }}>
      <div className="cl-cmd" data-testid="command-screen" data-live={live ? '1' : '0'} data-last-event={o?.lastEventId ?? ''}>
        <header className="cl-cmd-head">
          <div className="cl-cmd-brand">
            <img src="/favicon.svg" alt="" />
            <span className="cl-cmd-city">{settings.cityName}</span>
            <span className="cl-cmd-title">{t('command.title')}</span>
          </div>
          <div className="cl-cmd-clock" data-testid="command-clock">
            {clock}
          </div>
          <div className="cl-cmd-tools">
            <span className={`cl-cmd-live ${live ? 'on' : 'off'}`} data-testid="command-live" data-live={live ? '1' : '0'}>
              <i />
              {live ? t('command.live') : t('command.reconnecting')}
            </span>
            <Segmented
              size="small"
              value={lang}
              options={[
                { label: '中文', value: 'zh-CN' },
                { label: 'EN', value: 'en' },
              ]}
              onChange={(v) => void setLanguage(v as Language)}
              data-testid="command-lang"
            />
            <Link to="/workbench" className="cl-cmd-back" title={t('command.back')}>
              <ArrowLeftOutlined /> {t('command.back')}
            </Link>
          </div>
        </header>
        <main className="cl-cmd-body">
          <div className="cl-cmd-col">
            <Panel title={t('command.situation')} className="cl-cmd-counters-panel" testId="command-counters">
              <div className="cl-cmd-counters">
                {counters.map((c) => (
                  <div
                    key={c.key}
                    className={`cl-cmd-counter tone-${c.tone}`}
                    data-testid={`counter-${c.key}`}
                    data-value={o?.counters[c.key] ?? ''}
                  >
                    <span className="cl-cmd-counter-value">{o ? o.counters[c.key].toLocaleString() : '—'}</span>
                    <span className="cl-cmd-counter-label">{t(`command.counters.${c.key}`)}</span>
                  </div>
                ))}
              </div>
            </Panel>
            <Panel title={t('command.onTimeTitle')} className="cl-cmd-gauges-panel" testId="command-ontime">
              <div className="cl-cmd-gauges">
                <Chart option={gaugeToday} testId="gauge-today" />
                <Chart option={gaugeMonth} testId="gauge-month" />
              </div>
              <div className="cl-cmd-gauge-notes">
                <span>{t('command.onTimeOf', { onTime: o?.onTime.today.onTime ?? 0, due: o?.onTime.today.due ?? 0 })}</span>
                <span>{t('command.onTimeOf', { onTime: o?.onTime.month.onTime ?? 0, due: o?.onTime.month.due ?? 0 })}</span>
              </div>
            </Panel>
            <Panel title={t('command.bySource')} className="cl-cmd-grow" testId="command-by-source">
              {o && o.bySource.length === 0 ? (
                <div className="cl-cmd-empty">{t('command.noReports')}</div>
              ) : (
                <Chart option={sourceOption} />
              )}
            </Panel>
            <Panel title={t('command.byState')} className="cl-cmd-grow" testId="command-by-state">
              {o && o.byState.length === 0 ? <div className="cl-cmd-empty">{t('command.noReports')}</div> : <Chart option={stateOption} />}
            </Panel>
          </div>
          <div className="cl-cmd-centre">
            <div className="cl-cmd-map">
              <Suspense fallback={null}>
                <CommandMap cases={cases.data?.items ?? NO_CASES} heat={o?.heat ?? NO_HEAT} patrol={patrol.data?.items ?? NO_PATROL} />
              </Suspense>
              <div className="cl-cmd-legend" data-testid="command-legend">
                {STATE_GROUPS.map((g) => (
                  <span key={g.key}>
                    <i className="cl-cmd-swatch" style={{ background: g.color }} />
                    {t(`command.groups.${g.key}`)}
                  </span>
                ))}
                <span>
                  <i className="cl-cmd-swatch overdue" />
                  {t('command.legendOverdue')}
                </span>
                <span>
                  <i className="cl-cmd-swatch urgent" />
                  {t('command.legendUrgent')}
                </span>
                <span>
                  <i className="cl-cmd-swatch patrol" />
                  {t('command.legendPatrol')}
                </span>
                <span className="cl-cmd-legend-heat">
                  <b />
                  {t('command.legendHeat')}
                </span>
              </div>
              <div className="cl-cmd-map-count" data-testid="command-map-count">
                {t('command.mapCount', { count: cases.data?.items.length ?? 0 })} ·{' '}
                {t('command.patrolCount', { count: patrol.data?.items.length ?? 0 })}
              </div>
            </div>
            <Panel title={t('command.ticker')} className="cl-cmd-ticker-panel" testId="command-ticker-panel">
              <ul className="cl-cmd-ticker" data-testid="command-ticker" data-first-case={o?.recent[0]?.caseId ?? ''}>
                {(o?.recent ?? []).slice(0, 12).map((e) => (
                  <li key={e.id} className={fresh.has(e.id) ? 'fresh' : ''} data-case-id={e.caseId} data-action={e.action}>
                    <span className="time">{time(e.at)}</span>
                    <span className={`act act-${e.action}`}>{t(`actions.${e.action}`, { defaultValue: e.action })}</span>
                    <span className="num">{e.number}</span>
                    {e.urgent && <span className="urgent">{t('command.urgent')}</span>}
                    <span className="cls">{e.className ?? e.classCode}</span>
                    <span className="src">{t(`sources.${e.source}`, { defaultValue: e.source })}</span>
                    <span className="dist">{e.districtName ?? ''}</span>
                    <span className="state">→ {t(`states.${e.toState}`, { defaultValue: e.toState })}</span>
                  </li>
                ))}
                {o && o.recent.length === 0 && <li className="cl-cmd-empty">{t('command.noEvents')}</li>}
              </ul>
            </Panel>
          </div>
          <div className="cl-cmd-col">
            <Panel title={t('command.byClass')} className="cl-cmd-grow-lg" testId="command-by-class">
              {o && o.byClass.length === 0 ? <div className="cl-cmd-empty">{t('command.noReports')}</div> : <Chart option={classOption} />}
            </Panel>
            <Panel
              title={t('command.districtRanking')}
              extra={<span className="cl-cmd-panel-extra">{evaluatedNote}</span>}
              className="cl-cmd-grow"
              testId="command-district-ranking"
            >
              <Chart option={districtOption} />
            </Panel>
            <Panel
              title={t('command.departmentRanking')}
              extra={<span className="cl-cmd-panel-extra">{evaluatedNote}</span>}
              className="cl-cmd-grow-lg"
              testId="command-department-ranking"
            >
              <Chart option={departmentOption} />
            </Panel>
          </div>
        </main>
      </div>
    </ConfigProvider>
  );
}
