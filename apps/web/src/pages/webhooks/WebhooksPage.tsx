import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { CASE_ACTIONS, CASE_SOURCES } from '@cityloop/shared';
import {
  App,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Segmented,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { ApiError, api, request } from '../../api.ts';
import { useDepartments } from '../cases/caseUtil.ts';

interface Subscription {
  id: number;
  name: string;
  url: string;
  eventTypes: string[];
  regionPrefix: string | null;
  sources: string[];
  departmentId: number | null;
  active: boolean;
  timeoutMs: number;
  maxAttempts: number;
  stats: { pending: number; delivered: number; failed: number };
}

interface Delivery {
  id: number;
  deliveryKey: string;
  caseId: number | null;
  seq: number | null;
  eventType: string;
  payload: { case?: { number?: string } };
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  lastError: string | null;
  responseCode: number | null;
  responseMs: number | null;
  createdAt: string;
}

interface FormValues {
  name: string;
  url: string;
  eventTypes: string[];
  sources: string[];
  regionPrefix?: string;
  departmentId?: number | null;
  timeoutMs: number;
  maxAttempts: number;
  active: boolean;
}

const time = (s: string | null) => (s ? new Date(s).toLocaleString() : '—');

/** 数据推送 (webhooks): subscriptions to case events and their delivery log with replay. */
export default function WebhooksPage() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const departments = useDepartments();
  const [subs, setSubs] = useState<Subscription[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [editing, setEditing] = useState<Subscription | 'new' | null>(null);
  const [form] = Form.useForm<FormValues>();
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<'all' | Delivery['status']>('all');
  const [log, setLog] = useState<{ items: Delivery[]; total: number }>({ items: [], total: 0 });

  const fail = useCallback((err: unknown) => message.error(err instanceof ApiError ? err.message : String(err)), [message]);

  const loadSubs = useCallback(async () => {
    try {
      const list = await api.get<Subscription[]>('/api/webhooks');
      setSubs(list);
      setSelected((cur) => cur ?? list[0]?.id ?? null);
    } catch (err) {
      fail(err);
    }
  }, [fail]);

  const loadLog = useCallback(async () => {
    if (selected === null) return;
    try {
      setLog(
        await api.get<{ items: Delivery[]; total: number }>(`/api/webhooks/${selected}/deliveries`, {
          status: status === 'all' ? undefined : status,
          limit: 50,
        }),
      );
    } catch (err) {
      fail(err);
    }
  }, [selected, status, fail]);

  useEffect(() => {
    void loadSubs();
  }, [loadSubs]);
  useEffect(() => {
    void loadLog();
    // The log moves on its own (retries, new events): refresh it while the page is open.
    const timer = window.setInterval(() => {
      void loadLog();
      void loadSubs();
    }, 3000);
    return () => window.clearInterval(timer);
  }, [loadLog, loadSubs]);

  const openForm = (s: Subscription | 'new') => {
    setEditing(s);
    form.setFieldsValue(
      s === 'new'
        ? {
            name: '',
            url: '',
            eventTypes: [],
            sources: [],
            regionPrefix: '',
            departmentId: null,
            timeoutMs: 5000,
            maxAttempts: 10,
            active: true,
          }
        : { ...s, regionPrefix: s.regionPrefix ?? '' },
    );
  };

  const handleSave = async () => {
    const v = await form.validateFields();
    const body = { ...v, regionPrefix: v.regionPrefix?.trim() || null, departmentId: v.departmentId ?? null };
    setSaving(true);
    try {
      if (editing === 'new') {
        const created = await api.post<Subscription & { secret: string }>('/api/webhooks', body);
        setSelected(created.id);
        modal.success({
          title: t('webhooks.secretTitle'),
          width: 560,
          content: (
            <Space direction="vertical">
              <Typography.Text>{t('webhooks.secretOnce')}</Typography.Text>
              <Typography.Text code copyable data-testid="webhook-secret">
                {created.secret}
              </Typography.Text>
            </Space>
          ),
        });
      } else if (editing) {
        await request(`/api/webhooks/${editing.id}`, { method: 'PATCH', body });
        message.success(t('webhooks.saved'));
      }
      setEditing(null);
      await loadSubs();
    } catch (err) {
      fail(err);
    } finally {
      setSaving(false);
    }
  };

  const handleToggle = async (s: Subscription, active: boolean) => {
    try {
      await request(`/api/webhooks/${s.id}`, { method: 'PATCH', body: { active } });
      await loadSubs();
    } catch (err) {
      fail(err);
    }
  };

  const handlePing = async (s: Subscription) => {
    try {
      const d = await api.post<Delivery>(`/api/webhooks/${s.id}/ping`);
      if (d.status === 'delivered') message.success(t('webhooks.pingOk', { code: d.responseCode, ms: d.responseMs }));
      else message.warning(t('webhooks.pingFailed', { error: d.lastError ?? '' }));
      setSelected(s.id);
      await loadLog();
    } catch (err) {
      fail(err);
    }
  };

  const handleDelete = async (s: Subscription) => {
    try {
      await request(`/api/webhooks/${s.id}`, { method: 'DELETE' });
      if (selected === s.id) setSelected(null);
      await loadSubs();
    } catch (err) {
      fail(err);
    }
  };

  const handleReplay = async (d: Delivery) => {
    try {
      await api.post(`/api/webhooks/deliveries/${d.id}/replay`);
      message.success(t('webhooks.replayed'));
      await loadLog();
    } catch (err) {
      fail(err);
    }
  };

  const handleReplayFailed = async () => {
    if (selected === null) return;
    try {
      const r = await api.post<{ requeued: number }>(`/api/webhooks/${selected}/replay-failed`);
      message.success(t('webhooks.replayedFailed', { count: r.requeued }));
      await loadLog();
    } catch (err) {
      fail(err);
    }
  };

  const statusTag = (d: Delivery) => {
    if (d.status === 'delivered') return <Tag color="success">{t('webhooks.status.delivered')}</Tag>;
    if (d.status === 'failed') return <Tag color="error">{t('webhooks.status.failed')}</Tag>;
    return d.attempts > 0 ? (
      <Tag color="warning">{t('webhooks.status.retrying')}</Tag>
    ) : (
      <Tag color="processing">{t('webhooks.status.pending')}</Tag>
    );
  };

  const deptName = (id: number | null) => (id === null ? null : (departments?.find((d) => d.id === id)?.name ?? `#${id}`));
  const current = subs.find((s) => s.id === selected);

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%', padding: 16 }} data-testid="webhooks-page">
      <Card
        title={t('webhooks.title')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => openForm('new')} data-testid="webhook-new">
            {t('webhooks.new')}
          </Button>
        }
      >
        <Table<Subscription>
          rowKey="id"
          size="small"
          dataSource={subs}
          pagination={false}
          locale={{ emptyText: t('webhooks.none') }}
          rowClassName={(s) => (s.id === selected ? 'ant-table-row-selected' : '')}
          onRow={(s) => ({ onClick: () => setSelected(s.id), style: { cursor: 'pointer' } })}
          columns={[
            { title: t('webhooks.name'), dataIndex: 'name', width: 160 },
            {
              title: t('webhooks.url'),
              dataIndex: 'url',
              ellipsis: true,
              render: (url: string) => <Typography.Text code>{url}</Typography.Text>,
            },
            {
              title: t('webhooks.filters'),
              width: 240,
              render: (_, s) => (
                <Space size={[0, 4]} wrap>
                  {s.eventTypes.length === 0 ? (
                    <Tag>{t('webhooks.allEvents')}</Tag>
                  ) : (
                    s.eventTypes.map((e) => <Tag key={e}>{t(`actions.${e}`, { defaultValue: e })}</Tag>)
                  )}
                  {s.sources.map((x) => (
                    <Tag key={x} color="gold">
                      {t(`sources.${x}`, { defaultValue: x })}
                    </Tag>
                  ))}
                  {s.regionPrefix && <Tag color="blue">{t('webhooks.regionTag', { code: s.regionPrefix })}</Tag>}
                  {s.departmentId !== null && <Tag color="purple">{deptName(s.departmentId)}</Tag>}
                </Space>
              ),
            },
            {
              title: t('webhooks.deliveries'),
              width: 250,
              render: (_, s) => (
                <Space size={0}>
                  <Tag color="success">
                    {t('webhooks.status.delivered')} {s.stats.delivered}
                  </Tag>
                  <Tag color="processing">
                    {t('webhooks.status.pending')} {s.stats.pending}
                  </Tag>
                  <Tag color={s.stats.failed > 0 ? 'error' : 'default'}>
                    {t('webhooks.status.failed')} {s.stats.failed}
                  </Tag>
                </Space>
              ),
            },
            {
              title: t('webhooks.active'),
              dataIndex: 'active',
              width: 70,
              render: (active: boolean, s) => (
                <Switch
                  size="small"
                  checked={active}
                  onClick={(_, e) => e.stopPropagation()}
                  onChange={(v) => void handleToggle(s, v)}
                  data-testid={`webhook-active-${s.id}`}
                />
              ),
            },
            {
              title: '',
              width: 180,
              render: (_, s) => (
                <Space size={0} onClick={(e) => e.stopPropagation()}>
                  <Button type="link" size="small" onClick={() => openForm(s)}>
                    {t('webhooks.edit')}
                  </Button>
                  <Button type="link" size="small" onClick={() => void handlePing(s)} data-testid={`webhook-ping-${s.id}`}>
                    {t('webhooks.ping')}
                  </Button>
                  <Popconfirm title={t('webhooks.deleteConfirm')} onConfirm={() => void handleDelete(s)}>
                    <Button type="link" size="small" danger>
                      {t('webhooks.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>

      {current && (
        <Card
          title={t('webhooks.logTitle', { name: current.name })}
          extra={
            <Space>
              <Segmented
                value={status}
                onChange={(v) => setStatus(v as typeof status)}
                options={[
                  { value: 'all', label: t('webhooks.status.all') },
                  { value: 'pending', label: t('webhooks.status.pending') },
                  { value: 'delivered', label: t('webhooks.status.delivered') },
                  { value: 'failed', label: t('webhooks.status.failed') },
                ]}
              />
              <Button onClick={() => void handleReplayFailed()} disabled={current.stats.failed === 0}>
                {t('webhooks.replayFailed')}
              </Button>
              <Button icon={<ReloadOutlined />} onClick={() => void loadLog()} aria-label={t('webhooks.refresh')} />
            </Space>
          }
        >
          <Table<Delivery>
            rowKey="id"
            size="small"
            dataSource={log.items}
            pagination={false}
            data-testid="webhook-log"
            locale={{ emptyText: t('webhooks.noDeliveries') }}
            columns={[
              { title: t('webhooks.time'), dataIndex: 'createdAt', render: time, width: 170 },
              {
                title: t('webhooks.event'),
                dataIndex: 'eventType',
                width: 110,
                render: (e: string) => (e === 'ping' ? t('webhooks.pingEvent') : t(`actions.${e}`, { defaultValue: e })),
              },
              {
                title: t('webhooks.case'),
                width: 150,
                render: (_, d) => (d.caseId ? <Link to={`/cases/${d.caseId}`}>{d.payload.case?.number ?? `#${d.caseId}`}</Link> : '—'),
              },
              { title: t('webhooks.statusCol'), width: 90, render: (_, d) => statusTag(d) },
              { title: t('webhooks.attempts'), dataIndex: 'attempts', width: 80 },
              {
                title: t('webhooks.response'),
                width: 120,
                render: (_, d) => (d.responseCode ? `${d.responseCode} · ${d.responseMs ?? '—'} ms` : '—'),
              },
              {
                title: t('webhooks.lastError'),
                dataIndex: 'lastError',
                ellipsis: true,
                render: (e: string | null) =>
                  e ? (
                    <Tooltip title={e}>
                      <Typography.Text type="danger">{e}</Typography.Text>
                    </Tooltip>
                  ) : (
                    '—'
                  ),
              },
              {
                title: t('webhooks.nextAttempt'),
                width: 170,
                render: (_, d) => (d.status === 'pending' && d.attempts > 0 ? time(d.nextAttemptAt) : '—'),
              },
              {
                title: '',
                width: 80,
                render: (_, d) => (
                  <Button size="small" onClick={() => void handleReplay(d)} data-testid={`webhook-replay-${d.id}`}>
                    {t('webhooks.replay')}
                  </Button>
                ),
              },
            ]}
          />
        </Card>
      )}

      <Modal
        open={editing !== null}
        title={editing === 'new' ? t('webhooks.new') : t('webhooks.edit')}
        onCancel={() => setEditing(null)}
        onOk={() => void handleSave()}
        okText={t('webhooks.save')}
        confirmLoading={saving}
        destroyOnHidden
        width={560}
      >
        <Form form={form} layout="vertical" preserve={false} data-testid="webhook-form">
          <Form.Item name="name" label={t('webhooks.name')} rules={[{ required: true, max: 100 }]}>
            <Input />
          </Form.Item>
          <Form.Item
            name="url"
            label={t('webhooks.url')}
            rules={[{ required: true, pattern: /^https?:\/\/\S+$/, message: t('webhooks.urlRule') }]}
          >
            <Input placeholder="https://example.org/cityloop-hook" />
          </Form.Item>
          <Form.Item name="eventTypes" label={t('webhooks.eventTypes')} extra={t('webhooks.eventTypesHelp')}>
            <Select
              mode="multiple"
              allowClear
              options={CASE_ACTIONS.map((a) => ({ value: a, label: t(`actions.${a}`, { defaultValue: a }) }))}
            />
          </Form.Item>
          <Form.Item name="sources" label={t('webhooks.sources')} extra={t('webhooks.sourcesHelp')}>
            <Select
              mode="multiple"
              allowClear
              options={CASE_SOURCES.map((x) => ({ value: x, label: t(`sources.${x}`, { defaultValue: x }) }))}
            />
          </Form.Item>
          <Space style={{ display: 'flex' }} align="start">
            <Form.Item
              name="regionPrefix"
              label={t('webhooks.regionPrefix')}
              extra={t('webhooks.regionPrefixHelp')}
              rules={[{ pattern: /^[0-9A-Za-z]{0,32}$/ }]}
            >
              <Input style={{ width: 200 }} />
            </Form.Item>
            <Form.Item name="departmentId" label={t('webhooks.department')}>
              <Select
                allowClear
                showSearch
                optionFilterProp="label"
                style={{ width: 260 }}
                options={(departments ?? []).map((d) => ({ value: d.id, label: d.name }))}
              />
            </Form.Item>
          </Space>
          <Space>
            <Form.Item name="timeoutMs" label={t('webhooks.timeoutMs')}>
              <InputNumber min={100} max={30000} step={500} />
            </Form.Item>
            <Form.Item name="maxAttempts" label={t('webhooks.maxAttempts')}>
              <InputNumber min={1} max={30} />
            </Form.Item>
            <Form.Item name="active" label={t('webhooks.active')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Space>
        </Form>
      </Modal>
    </Space>
  );
}
