import { ReloadOutlined } from '@ant-design/icons';
import { App, Button, Card, DatePicker, Input, Select, Space, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { fmtAt, MaintPage } from './adminUtil.tsx';
import './maint.css';

interface AuditRow {
  id: number;
  at: string;
  actorId: number | null;
  actorName: string | null;
  actorUsername: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
}

interface Filter {
  entity?: string;
  entityId: string;
  action?: string;
  actorId?: number;
  range?: [Dayjs | null, Dayjs | null] | null;
}

const PAGE = 50;

/** The administrative entities the server audits. */
const ENTITIES = [
  'department',
  'person',
  'beat',
  'taxonomy_class',
  'workflow_binding',
  'city_setting',
  'calendar_day',
  'calendar_setting',
  'region',
  'dispatch_rule',
  'component_import',
  'gazetteer',
  'api_key',
  'webhook',
  'platform_link',
];

const ACTION_COLOR: Record<string, string> = {
  create: 'green',
  update: 'blue',
  delete: 'red',
  disable: 'orange',
  bind: 'green',
  unbind: 'red',
};

function actionColor(action: string): string {
  const verb = action.split('.').pop() ?? '';
  return ACTION_COLOR[verb] ?? 'default';
}

function show(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Before/after side by side: one line per top-level key, changed keys first and marked. */
export function AuditDiff({ before, after }: { before: unknown; after: unknown }) {
  const { t } = useTranslation();
  const obj = (x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : x == null ? {} : { value: x };
  const b = obj(before);
  const a = obj(after);
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  const changed = (k: string) => show(b[k]) !== show(a[k]);
  // A change shows its changed fields (timestamps last); a creation or deletion shows them all.
  const both = before != null && after != null;
  const rank = (k: string) => (changed(k) ? (/At$/.test(k) ? 1 : 0) : 2);
  keys.sort((x, y) => rank(x) - rank(y));
  const shown = both ? keys.filter(changed) : keys;
  if (keys.length === 0) return <Typography.Text type="secondary">{t('maint.audit.noDetail')}</Typography.Text>;
  return (
    <>
      <table className="cl-audit-diff" data-testid="audit-diff">
        <thead>
          <tr>
            <th>{t('maint.audit.field')}</th>
            <th>{t('maint.audit.before')}</th>
            <th>{t('maint.audit.after')}</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((k) => {
            const c = changed(k);
            return (
              <tr key={k}>
                <th>{k}</th>
                <td className={c && k in b ? 'cl-audit-before' : ''}>{show(b[k])}</td>
                <td className={c && k in a ? 'cl-audit-after' : ''}>{show(a[k])}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {both && keys.length > shown.length && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('maint.audit.unchanged', { count: keys.length - shown.length })}
        </Typography.Text>
      )}
    </>
  );
}

/** 应用维护 → 操作审计: who changed what and when, with the before/after of each change. */
export default function AuditPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const [filter, setFilter] = useState<Filter>({ entityId: '' });
  const [people, setPeople] = useState<Array<{ id: number; name: string; username: string }>>([]);

  useEffect(() => {
    api
      .get<Array<{ id: number; name: string; username: string; roles: string[] }>>('/api/people', { role: 'admin', limit: 1000 })
      .then(setPeople)
      .catch(() => {});
  }, []);

  const query = useMemo(
    () => ({
      entity: filter.entity,
      entityId: filter.entityId.trim() || undefined,
      action: filter.action,
      actorId: filter.actorId,
      from: filter.range?.[0]?.startOf('day').toISOString(),
      to: filter.range?.[1]?.endOf('day').add(1, 'millisecond').toISOString(),
    }),
    [filter],
  );

  const load = useCallback(
    async (offset: number) => {
      setLoading(true);
      try {
        const page = await api.get<AuditRow[]>('/api/audit', { ...query, limit: PAGE + 1, offset });
        setMore(page.length > PAGE);
        const items = page.slice(0, PAGE);
        setRows((cur) => (offset === 0 ? items : [...cur, ...items]));
      } catch (err) {
        message.error(err instanceof Error ? err.message : String(err));
      } finally {
        setLoading(false);
      }
    },
    [query, message],
  );

  useEffect(() => {
    void load(0);
  }, [load]);

  const actionLabel = (a: string) => t(`maint.audit.actions.${a.replace(/\./g, '_')}`, { defaultValue: a });

  return (
    <MaintPage title={t('maint.audit.nav')} testId="audit-page">
      <Card
        title={t('maint.audit.title')}
        extra={<Button icon={<ReloadOutlined />} onClick={() => void load(0)} aria-label={t('maint.refresh')} />}
      >
        <Space wrap style={{ marginBottom: 12 }}>
          <Select
            allowClear
            placeholder={t('maint.audit.entity')}
            style={{ width: 170 }}
            value={filter.entity}
            onChange={(entity) => setFilter((f) => ({ ...f, entity }))}
            options={ENTITIES.map((e) => ({ value: e, label: t(`maint.audit.entities.${e}`, { defaultValue: e }) }))}
            data-testid="audit-entity"
          />
          <Input
            allowClear
            placeholder={t('maint.audit.entityId')}
            style={{ width: 150 }}
            value={filter.entityId}
            onChange={(e) => setFilter((f) => ({ ...f, entityId: e.target.value }))}
            data-testid="audit-entity-id"
          />
          <Select
            allowClear
            showSearch
            placeholder={t('maint.audit.action')}
            style={{ width: 170 }}
            value={filter.action}
            onChange={(action) => setFilter((f) => ({ ...f, action }))}
            optionFilterProp="label"
            options={[
              'department.',
              'person.',
              'beat.',
              'taxonomy.',
              'workflow.',
              'settings.',
              'calendar.',
              'region.',
              'dispatch_rule.',
            ].map((a) => ({ value: a, label: t(`maint.audit.actionGroups.${a.slice(0, -1)}`, { defaultValue: a }) }))}
            data-testid="audit-action"
          />
          <Select
            allowClear
            showSearch
            placeholder={t('maint.audit.actor')}
            style={{ width: 150 }}
            value={filter.actorId}
            onChange={(actorId) => setFilter((f) => ({ ...f, actorId }))}
            optionFilterProp="label"
            options={people.map((p) => ({ value: p.id, label: `${p.name}（${p.username}）` }))}
            data-testid="audit-actor"
          />
          <DatePicker.RangePicker value={filter.range ?? null} onChange={(range) => setFilter((f) => ({ ...f, range }))} />
        </Space>
        <Table<AuditRow>
          rowKey="id"
          size="small"
          loading={loading}
          dataSource={rows}
          pagination={false}
          expandable={{
            expandedRowRender: (r) => <AuditDiff before={r.before} after={r.after} />,
            expandRowByClick: true,
          }}
          onRow={(r) => ({ 'data-testid': `audit-row-${r.id}`, style: { cursor: 'pointer' } }) as React.HTMLAttributes<HTMLElement>}
          data-testid="audit-table"
          columns={[
            { title: t('maint.audit.at'), dataIndex: 'at', width: 170, render: (v: string) => fmtAt(v) },
            {
              title: t('maint.audit.actor'),
              width: 150,
              render: (_, r) =>
                r.actorId === null ? (
                  <Tag>{t('maint.audit.system')}</Tag>
                ) : (
                  <span>
                    {r.actorName ?? `#${r.actorId}`} <Typography.Text type="secondary">{r.actorUsername}</Typography.Text>
                  </span>
                ),
            },
            {
              title: t('maint.audit.action'),
              dataIndex: 'action',
              width: 170,
              render: (a: string) => (
                <Tag color={actionColor(a)} data-testid="audit-action-tag">
                  {actionLabel(a)}
                </Tag>
              ),
            },
            {
              title: t('maint.audit.object'),
              width: 220,
              render: (_, r) => (
                <span>
                  {t(`maint.audit.entities.${r.entity}`, { defaultValue: r.entity })}{' '}
                  {r.entityId && <Typography.Text code>{r.entityId}</Typography.Text>}
                </span>
              ),
            },
            {
              title: t('maint.audit.summary'),
              ellipsis: true,
              render: (_, r) => <Typography.Text type="secondary">{summary(r)}</Typography.Text>,
            },
          ]}
        />
        {more && (
          <div style={{ textAlign: 'center', marginTop: 12 }}>
            <Button onClick={() => void load(rows.length)} loading={loading} data-testid="audit-more">
              {t('maint.audit.more')}
            </Button>
          </div>
        )}
      </Card>
    </MaintPage>
  );
}

/** One line of what changed: the keys whose values differ. */
function summary(r: AuditRow): string {
  const obj = (x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
  const b = obj(r.before);
  const a = obj(r.after);
  if (r.before == null) return Object.keys(a).slice(0, 6).join(', ');
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => show(b[k]) !== show(a[k]))
    .sort((x, y) => Number(/At$/.test(x)) - Number(/At$/.test(y)))
    .map((k) => `${k}: ${show(b[k]).slice(0, 30)} → ${show(a[k]).slice(0, 30)}`)
    .join('; ');
}
