import { Alert, Card, Col, Row, Spin, Statistic, Table, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import Chart, { type ChartOption } from '../command/Chart.tsx';
import { type Change, type Days, PeriodPicker, type PeriodValue, periodOf, Trend, thisMonth } from './evaluationShared.tsx';
import GridHeatMap, { type HotGrid } from './GridHeatMap.tsx';
import './evaluation.css';

export interface Thematic {
  from: string;
  to: string;
  previous: Days;
  reports: Change;
  classes: Array<{ code: string; name: string } & Change>;
  grids: HotGrid[];
  hours: number[];
  sources: Array<{ source: string; label: string; reports: number; previous: number }>;
}

const BLUE = '#1677ff';
const GREY = '#bfc8d6';

/**
 * 专题统计 `/evaluation/statistics`: the reports of a period by class (top 10 against the
 * previous period), by hour of the day and by source, and a heat map of the unit grids.
 */
export default function StatisticsPage() {
  const { t } = useTranslation();
  const { settings } = useSession();
  const [period, setPeriod] = useState<PeriodValue>(() => ({ kind: 'month', anchor: thisMonth(settings.timeZone) }));
  const days = useMemo(() => periodOf(period.kind, period.anchor, period.range), [period]);
  const [data, setData] = useState<Thematic | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    setError(null);
    api
      .get<Thematic>('/api/statistics/thematic', { ...days, top: 10 }, ctrl.signal)
      .then(setData)
      .catch((e) => {
        if (!(e instanceof DOMException)) setError(e instanceof ApiError ? e.message : String(e));
      });
    return () => ctrl.abort();
  }, [days]);

  const classOption: ChartOption = useMemo(() => {
    const rows = [...(data?.classes ?? [])].reverse();
    return {
      animation: false,
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0, data: [t('evaluation.stats.thisPeriod'), t('evaluation.stats.previousPeriod')] },
      grid: { left: 8, right: 24, top: 28, bottom: 8, containLabel: true },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: rows.map((c) => c.name), axisLabel: { width: 120, overflow: 'truncate' } },
      series: [
        { name: t('evaluation.stats.previousPeriod'), type: 'bar', data: rows.map((c) => c.previous ?? 0), itemStyle: { color: GREY } },
        {
          name: t('evaluation.stats.thisPeriod'),
          type: 'bar',
          data: rows.map((c) => c.value ?? 0),
          itemStyle: { color: BLUE },
          label: { show: true, position: 'right' },
        },
      ],
    };
  }, [data, t]);

  const hourOption: ChartOption = useMemo(
    () => ({
      animation: false,
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 12, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, h) => `${h}`), name: t('evaluation.stats.hourAxis') },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data: data?.hours ?? [], itemStyle: { color: '#13a8a8' }, barCategoryGap: '20%' }],
    }),
    [data, t],
  );

  const sourceOption: ChartOption = useMemo(
    () => ({
      animation: false,
      tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
      legend: { bottom: 0, type: 'plain', itemWidth: 12, itemHeight: 8, itemGap: 8, textStyle: { fontSize: 11 } },
      series: [
        {
          type: 'pie',
          radius: ['34%', '60%'],
          center: ['50%', '40%'],
          data: (data?.sources ?? []).map((s) => ({ name: t(`sources.${s.source}`, { defaultValue: s.label }), value: s.reports })),
          label: { position: 'inside', formatter: '{c}', color: '#fff', fontWeight: 600 },
        },
      ],
    }),
    [data, t],
  );

  const top = data?.grids.slice(0, 10) ?? [];

  return (
    <div className="cl-eval" data-testid="statistics-page">
      <div className="cl-eval-head">
        <h2>{t('evaluation.statisticsTitle')}</h2>
        <PeriodPicker value={period} onChange={setPeriod} />
        <span className="cl-eval-sub">
          {data
            ? t('evaluation.stats.periodLine', { from: data.from, to: data.to, prevFrom: data.previous.from, prevTo: data.previous.to })
            : null}
        </span>
      </div>
      {error ? <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} /> : null}
      {!data && !error ? <Spin /> : null}
      {data ? (
        <>
          <Row gutter={12} className="cl-eval-stats">
            <Col span={6}>
              <Card size="small">
                <Statistic title={t('evaluation.stats.reports')} value={data.reports.value ?? 0} />
                <Trend indicator="reports" value={data.reports.value} previous={data.reports.previous} />
                <span className="cl-eval-prev">{t('evaluation.stats.previous', { n: data.reports.previous ?? 0 })}</span>
              </Card>
            </Col>
            <Col span={6}>
              <Card size="small">
                <Statistic
                  title={t('evaluation.stats.classes')}
                  value={data.classes[0]?.name ?? '—'}
                  styles={{ content: { fontSize: 20, lineHeight: '38px' } }}
                />
                <span className="cl-eval-prev">
                  {data.classes[0] && data.reports.value
                    ? t('evaluation.stats.topClass', {
                        n: data.classes[0].value,
                        share: `${(((data.classes[0].value ?? 0) / data.reports.value) * 100).toFixed(1)}%`,
                      })
                    : ''}
                </span>
              </Card>
            </Col>
            <Col span={6}>
              <Card size="small">
                <Statistic title={t('evaluation.stats.grids')} value={data.grids.length} />
                <span className="cl-eval-prev">
                  {top[0] ? t('evaluation.stats.topGrid', { name: top[0].name, n: top[0].reports }) : ''}
                </span>
              </Card>
            </Col>
            <Col span={6}>
              <Card size="small">
                <Statistic
                  title={t('evaluation.stats.peakHour')}
                  value={data.reports.value ? `${data.hours.indexOf(Math.max(...data.hours))}:00` : '—'}
                />
                <span className="cl-eval-prev">{t('evaluation.stats.peakHourHint')}</span>
              </Card>
            </Col>
          </Row>
          <Row gutter={12}>
            <Col span={12}>
              <Card size="small" title={t('evaluation.stats.topClasses')}>
                <div className="cl-eval-chart tall">
                  <Chart option={classOption} testId="chart-classes" />
                </div>
              </Card>
            </Col>
            <Col span={12}>
              <Card size="small" title={t('evaluation.stats.heatMap')}>
                <GridHeatMap grids={data.grids} />
              </Card>
            </Col>
          </Row>
          <Row gutter={12} style={{ marginTop: 12 }}>
            <Col span={9}>
              <Card size="small" title={t('evaluation.stats.byHour')}>
                <div className="cl-eval-chart">
                  <Chart option={hourOption} testId="chart-hours" />
                </div>
              </Card>
            </Col>
            <Col span={7}>
              <Card size="small" title={t('evaluation.stats.bySource')}>
                <div className="cl-eval-chart">
                  <Chart option={sourceOption} testId="chart-sources" />
                </div>
              </Card>
            </Col>
            <Col span={8}>
              <Card size="small" title={t('evaluation.stats.hotGrids')}>
                <Table
                  size="small"
                  rowKey="id"
                  pagination={false}
                  dataSource={top}
                  columns={[
                    { title: '#', key: 'i', width: 36, render: (_, __, i) => i + 1 },
                    { title: t('evaluation.objects.grid'), dataIndex: 'name', ellipsis: true },
                    { title: t('evaluation.stats.reports'), dataIndex: 'reports', width: 80, align: 'right' },
                  ]}
                  data-testid="hot-grids"
                />
              </Card>
            </Col>
          </Row>
          <Typography.Paragraph type="secondary" className="cl-eval-note">
            {t('evaluation.stats.note')}
          </Typography.Paragraph>
        </>
      ) : null}
    </div>
  );
}
