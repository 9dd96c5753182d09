import { DownloadOutlined, ReloadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Drawer, Table, type TableColumnsType, Tabs, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { ApiError, api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { fmtCityTime } from '../search/caseQuery.ts';
import {
  type Days,
  DEPARTMENT_COLUMNS,
  download,
  fmtValue,
  GradeTag,
  indicatorLabel,
  LOWER_IS_BETTER,
  PeriodPicker,
  type PeriodValue,
  POSITION_COLUMNS,
  POSITION_ROLES,
  type PositionRole,
  periodOf,
  qs,
  type RankingItem,
  type RankingObject,
  type Rankings,
  REGION_COLUMNS,
  Trend,
  thisMonth,
} from './evaluationShared.tsx';
import './evaluation.css';

const OBJECTS: RankingObject[] = ['district', 'street', 'community', 'grid', 'department', ...POSITION_ROLES];

/** A department's own people (处置人员, 部门管理员 only) see the department tab only, as the API allows. */
function departmentOnly(roles: string[]): boolean {
  const r = roles.filter((x) => ['admin', 'leader', 'shiftlead', 'dispatcher', 'acceptor', 'handler', 'dept_admin'].includes(x));
  return r.length > 0 && r.every((x) => x === 'handler' || x === 'dept_admin');
}

interface Explain {
  value: number | null;
  truncated: boolean;
  object: { name: string };
  cases: Array<{ id: number; number: string }>;
  facts: Array<{
    kind: string;
    caseId: number;
    caseNumber: string;
    flag: boolean;
    event: {
      id: number;
      seq: number;
      action: string;
      phase: string;
      departmentId: number | null;
      endedAt: string;
      deadlineAt: string | null;
      onTime: boolean | null;
    } | null;
  }>;
}

interface DrillTarget {
  object: RankingObject;
  item: RankingItem;
  indicator: string;
  days: Days;
}

/** The cases and phase-log rows behind one number (GET /api/evaluation/explain). */
function DrillDown({ target, onClose }: { target: DrillTarget | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { settings } = useSession();
  const [data, setData] = useState<Explain | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!target) return;
    const ctrl = new AbortController();
    setData(null);
    setError(null);
    const position = (POSITION_ROLES as readonly string[]).includes(target.object);
    const type = position ? 'person' : target.object === 'department' ? 'department' : 'region';
    api
      .get<Explain>(
        '/api/evaluation/explain',
        {
          object: `${type}:${target.item.id}`,
          indicator: target.indicator,
          ...(position ? { role: target.object } : {}),
          ...target.days,
        },
        ctrl.signal,
      )
      .then(setData)
      .catch((e) => {
        if (!(e instanceof DOMException)) setError(e instanceof ApiError ? e.message : String(e));
      });
    return () => ctrl.abort();
  }, [target]);

  const columns: TableColumnsType<Explain['facts'][number]> = [
    {
      title: t('evaluation.drill.kind'),
      dataIndex: 'kind',
      width: 110,
      render: (k: string) => t(`evaluation.facts.${k}`, { defaultValue: k }),
    },
    {
      title: t('evaluation.drill.case'),
      dataIndex: 'caseNumber',
      width: 150,
      render: (n: string, r) => (
        <Link to={`/cases/${r.caseId}`} data-testid="drill-case-link">
          {n}
        </Link>
      ),
    },
    {
      title: t('evaluation.drill.action'),
      key: 'action',
      width: 110,
      render: (_, r) => (r.event ? t(`actions.${r.event.action}`, { defaultValue: r.event.action }) : t('evaluation.drill.caseLevel')),
    },
    { title: t('evaluation.drill.seq'), key: 'seq', width: 56, render: (_, r) => r.event?.seq ?? '—' },
    {
      title: t('evaluation.drill.endedAt'),
      key: 'endedAt',
      width: 140,
      render: (_, r) => fmtCityTime(r.event?.endedAt, settings.timeZone),
    },
    {
      title: t('evaluation.drill.deadline'),
      key: 'deadline',
      width: 140,
      render: (_, r) => fmtCityTime(r.event?.deadlineAt, settings.timeZone),
    },
    {
      title: t('evaluation.drill.onTime'),
      key: 'flag',
      width: 80,
      render: (_, r) =>
        r.kind === 'disposed' || r.kind === 'closed' ? (
          <Tag color={r.flag ? 'green' : 'red'}>{r.flag ? t('evaluation.drill.inTime') : t('evaluation.drill.late')}</Tag>
        ) : null,
    },
  ];

  return (
    <Drawer
      open={!!target}
      onClose={onClose}
      size={880}
      title={
        target
          ? `${target.item.name} · ${indicatorLabel(t, target.object, target.indicator)} = ${fmtValue(target.indicator, target.item.indicators[target.indicator])}`
          : ''
      }
      data-testid="drill-drawer"
    >
      {error ? <Alert type="error" showIcon message={error} /> : null}
      {target && data ? (
        <>
          <Typography.Paragraph type="secondary">
            {t('evaluation.drill.summary', {
              from: target.days.from,
              to: target.days.to,
              cases: data.cases.length,
              facts: data.facts.length,
              value: fmtValue(target.indicator, data.value),
            })}
            {data.truncated ? ` ${t('evaluation.drill.truncated')}` : ''}
          </Typography.Paragraph>
          <Table
            size="small"
            rowKey={(r) => `${r.kind}-${r.caseId}-${r.event?.id ?? 'c'}`}
            columns={columns}
            dataSource={data.facts}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            data-testid="drill-table"
          />
        </>
      ) : null}
    </Drawer>
  );
}

/**
 * 评价排名 `/evaluation/rankings`: one object type's indicators, composite and grade for a month
 * (or quarter, year, custom range), ranked, with arrows against the previous period; any number
 * opens the cases and log rows behind it.
 */
export default function RankingsPage() {
  const { t } = useTranslation();
  const { me, settings } = useSession();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const roles = me?.roles.map((r) => r.role) ?? [];
  const objects = departmentOnly(roles) ? (['department'] as RankingObject[]) : OBJECTS;
  const object = (objects.includes(params.get('object') as RankingObject) ? params.get('object') : objects[0]) as RankingObject;
  const [period, setPeriod] = useState<PeriodValue>(() => ({ kind: 'month', anchor: thisMonth(settings.timeZone) }));
  const days = useMemo(() => {
    const from = params.get('from');
    const to = params.get('to');
    return from && to ? { from, to } : periodOf(period.kind, period.anchor, period.range);
  }, [params, period]);
  const [data, setData] = useState<Rankings | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [drill, setDrill] = useState<DrillTarget | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload re-runs the same query
  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    setError(null);
    api
      .get<Rankings>('/api/statistics/rankings', { object, ...days }, ctrl.signal)
      .then((r) => {
        setData(r);
        setLoading(false);
      })
      .catch((e) => {
        if (e instanceof DOMException) return;
        setError(e instanceof ApiError ? e.message : String(e));
        setLoading(false);
      });
    return () => ctrl.abort();
  }, [object, days.from, days.to, reload]);

  const onPeriod = (v: PeriodValue) => {
    setPeriod(v);
    const next = new URLSearchParams(params);
    next.delete('from');
    next.delete('to');
    setParams(next);
  };

  const isPosition = (POSITION_ROLES as readonly string[]).includes(object);
  const indicatorCols = isPosition
    ? POSITION_COLUMNS[object as PositionRole]
    : object === 'department'
      ? DEPARTMENT_COLUMNS
      : REGION_COLUMNS;
  const cell = (indicator: string) => (_: unknown, r: RankingItem) => (
    <span className="cl-eval-cell">
      <Button
        type="link"
        size="small"
        className="cl-eval-link"
        onClick={() => setDrill({ object, item: r, indicator, days })}
        data-testid={`cell-${indicator}`}
        title={t('evaluation.drillHint')}
      >
        {fmtValue(indicator, r.indicators[indicator])}
      </Button>
      <Trend
        indicator={indicator}
        value={r.indicators[indicator] ?? null}
        previous={r.previousIndicators[indicator]}
        lowerIsBetter={LOWER_IS_BETTER.has(indicator) && !(isPosition && indicator === 'registered')}
      />
    </span>
  );
  const columns: TableColumnsType<RankingItem> = [
    {
      title: t('evaluation.rank'),
      dataIndex: 'rank',
      width: 76,
      fixed: 'left',
      render: (rank: number | null, r) => (
        <span className="cl-eval-cell">
          <b>{rank ?? '—'}</b>
          {rank !== null && r.previousRank !== null ? <Trend indicator="rank" value={-rank} previous={-r.previousRank} /> : null}
        </span>
      ),
    },
    {
      title: t(`evaluation.objects.${object}`),
      dataIndex: 'name',
      width: 170,
      fixed: 'left',
      render: (name: string, r) => (
        <span>
          {name}
          <div className="cl-eval-code">{r.code}</div>
        </span>
      ),
    },
    { title: t('evaluation.grade'), key: 'grade', width: 72, align: 'center', render: (_, r) => <GradeTag s={r.composite} /> },
    {
      title: t('evaluation.composite'),
      key: 'composite',
      width: 110,
      render: (_, r) => (
        <span className="cl-eval-cell">
          <b>{r.composite.value === null ? '—' : r.composite.value.toFixed(2)}</b>
          <Trend indicator="composite" value={r.composite.value} previous={r.previousComposite.value} />
        </span>
      ),
    },
    ...indicatorCols.map((k) => ({
      title: indicatorLabel(t, object, k),
      key: k,
      width: 112,
      render: cell(k),
    })),
  ];

  const exportXlsx = async () => {
    try {
      await download(`/api/statistics/rankings.xlsx?${qs({ object, ...days })}`, `ranking-${object}.xlsx`);
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <div className="cl-eval" data-testid="rankings-page">
      <div className="cl-eval-head">
        <h2>{t('evaluation.rankingsTitle')}</h2>
        <PeriodPicker value={period} onChange={onPeriod} />
        <span className="cl-eval-sub">
          {data
            ? t('evaluation.periodLine', {
                from: data.from,
                to: data.to,
                prevFrom: data.previous.from,
                prevTo: data.previous.to,
                version: data.configVersion,
              })
            : null}
        </span>
        <span className="cl-eval-tools">
          <Button icon={<ReloadOutlined />} onClick={() => setReload((n) => n + 1)} />
          <Button icon={<DownloadOutlined />} onClick={exportXlsx} data-testid="rankings-xlsx">
            {t('evaluation.excel')}
          </Button>
        </span>
      </div>
      <Tabs
        activeKey={object}
        onChange={(k) => {
          const next = new URLSearchParams(params);
          next.set('object', k);
          setParams(next);
        }}
        items={objects.map((o) => ({ key: o, label: t(`evaluation.objectTabs.${o}`) }))}
        data-testid="object-tabs"
      />
      {error ? <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} /> : null}
      <Table
        size="small"
        rowKey="id"
        loading={loading}
        columns={columns}
        dataSource={data?.object === object ? data.items : []}
        pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        scroll={{ x: 'max-content' }}
        data-testid="rankings-table"
        rowClassName={(r) => (r.rank === null ? 'cl-eval-unranked' : '')}
      />
      <Typography.Paragraph type="secondary" className="cl-eval-note">
        {t('evaluation.rankingsNote')}
      </Typography.Paragraph>
      <DrillDown target={drill} onClose={() => setDrill(null)} />
    </div>
  );
}
