import { AimOutlined, DeleteOutlined, PlusOutlined, UndoOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Form, Input, Modal, Popconfirm, Row, Select, Space, Table, Tag, Typography } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, api, request } from '../../api.ts';
import type { RegionProperties } from '../../types.ts';
import { GRID_MAP_LEVELS, regionOutlinesOf } from '../map/outlines.ts';
import { FormError, MaintPage, showApiError } from './adminUtil.tsx';
import './maint.css';

// The list shows first; the map (MapLibre) loads beside it, its outlines asked for as the page opens.
const GridMap = lazy(() => import('./GridMap.tsx'));

interface Beat {
  id: number;
  code: string;
  name: string;
  inspectorId: number | null;
  inspectorName: string | null;
  gridCount: number;
}

interface GridInfo {
  id: number;
  code: string;
  name: string;
  bbox: [number, number, number, number];
}

/** 应用维护 → 监督员责任网格: each inspector's beat as unit grids on the map, edited by clicking grids. */
export default function BeatsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [beats, setBeats] = useState<Beat[]>([]);
  const [inspectors, setInspectors] = useState<Array<{ id: number; name: string; username: string }>>([]);
  const [query, setQuery] = useState('');
  const [beat, setBeat] = useState<Beat | null>(null);
  const [saved, setSaved] = useState<number[]>([]);
  const [draft, setDraft] = useState<number[]>([]);
  const [inspectorId, setInspectorId] = useState<number | null>(null);
  const [grids, setGrids] = useState<Map<number, GridInfo>>(new Map());
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    void regionOutlinesOf(GRID_MAP_LEVELS);
  }, []);
  const [fit, setFit] = useState<[number, number, number, number] | null>(null);
  const [creating, setCreating] = useState(false);
  const [newError, setNewError] = useState<ApiError | null>(null);
  const [newForm] = Form.useForm<{ code: string; name: string; inspectorId?: number }>();

  const loadBeats = useCallback(async () => {
    try {
      setBeats(await api.get<Beat[]>('/api/beats'));
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    }
  }, [message]);

  useEffect(() => {
    void loadBeats();
    api
      .get<Array<{ id: number; name: string; username: string }>>('/api/people', { role: 'inspector', limit: 1000 })
      .then(setInspectors)
      .catch(() => {});
    // Grid names and bounds, for the list of the beat's grids and to frame it.
    (async () => {
      const all = new Map<number, GridInfo>();
      for (let offset = 0; ; offset += 2000) {
        const page = await api.get<{ items: GridInfo[]; total: number }>('/api/regions', { level: 'grid', limit: 2000, offset });
        for (const g of page.items) all.set(g.id, g);
        if (page.items.length < 2000 || all.size >= page.total) break;
      }
      setGrids(all);
    })().catch(() => {});
  }, [loadBeats]);

  const frame = useCallback(
    (ids: number[]) => {
      const boxes = ids.map((id) => grids.get(id)?.bbox).filter((b): b is [number, number, number, number] => !!b);
      if (!boxes.length) return;
      setFit([
        Math.min(...boxes.map((b) => b[0])),
        Math.min(...boxes.map((b) => b[1])),
        Math.max(...boxes.map((b) => b[2])),
        Math.max(...boxes.map((b) => b[3])),
      ]);
    },
    [grids],
  );

  const openBeat = async (b: Beat) => {
    setError(null);
    try {
      const full = await api.get<Beat & { gridIds: number[] }>(`/api/beats/${b.id}`);
      setBeat(b);
      setSaved(full.gridIds);
      setDraft(full.gridIds);
      setInspectorId(full.inspectorId);
      frame(full.gridIds);
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    }
  };

  // Frame the beat once the grid bounds have arrived.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the grid index first arrives
  useEffect(() => {
    if (saved.length) frame(saved);
  }, [grids]);

  const handleGridClick = (id: number, p: RegionProperties) => {
    if (!beat) {
      message.info(t('maint.beats.pickFirst'));
      return;
    }
    setDraft((cur) => (cur.includes(id) ? cur.filter((x) => x !== id) : [...cur, id]));
    if (!grids.has(id)) setGrids((g) => new Map(g).set(id, { id, code: p.code, name: p.name, bbox: [Number.NaN, 0, 0, 0] }));
  };

  const added = draft.filter((id) => !saved.includes(id));
  const removed = saved.filter((id) => !draft.includes(id));
  const dirty = added.length > 0 || removed.length > 0 || (beat !== null && inspectorId !== beat.inspectorId);

  const handleSave = async () => {
    if (!beat) return;
    setSaving(true);
    setError(null);
    try {
      const res = await request<{ moved?: Array<{ gridId: number; fromBeatId: number }> }>(`/api/beats/${beat.id}`, {
        method: 'PUT',
        body: { gridIds: draft, inspectorId },
      });
      const moved = Array.isArray(res?.moved) ? res.moved.length : 0;
      message.success(moved ? t('maint.beats.savedMoved', { count: moved }) : t('maint.saved'));
      await loadBeats();
      setSaved(draft);
      setBeat((b) => (b ? { ...b, inspectorId, gridCount: draft.length } : b));
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setSaving(false);
    }
  };

  const handleCreate = async () => {
    const v = await newForm.validateFields().catch(() => null);
    if (!v) return;
    setNewError(null);
    try {
      const b = await request<Beat>('/api/beats', {
        method: 'POST',
        body: { code: v.code.trim(), name: v.name.trim(), inspectorId: v.inspectorId ?? null },
      });
      setCreating(false);
      message.success(t('maint.beats.created', { name: b.name }));
      await loadBeats();
      const inspector = inspectors.find((p) => p.id === b.inspectorId);
      await openBeat({ ...b, inspectorName: inspector?.name ?? null, gridCount: 0 });
    } catch (err) {
      setNewError(showApiError(newForm, err, { beat_code_taken: 'code', not_an_inspector: 'inspectorId' }));
    }
  };

  const handleDelete = async () => {
    if (!beat) return;
    setError(null);
    try {
      await request(`/api/beats/${beat.id}`, { method: 'DELETE' });
      message.success(t('maint.beats.deleted', { name: beat.name }));
      setBeat(null);
      setSaved([]);
      setDraft([]);
      await loadBeats();
    } catch (err) {
      setError(err as ApiError);
    }
  };

  const shown = useMemo(() => {
    const q = query.trim();
    return beats.filter((b) => !q || b.name.includes(q) || b.code.includes(q) || (b.inspectorName ?? '').includes(q));
  }, [beats, query]);

  const gridTag = (id: number, color: string) => {
    const g = grids.get(id);
    return (
      <Tag key={id} color={color}>
        {g ? g.code.slice(-6) : `#${id}`}
      </Tag>
    );
  };

  return (
    <MaintPage title={t('maint.beats.nav')} testId="beats-page">
      <Row gutter={16}>
        <Col xs={24} xl={9}>
          <Card
            title={t('maint.beats.list')}
            size="small"
            extra={
              <Button
                size="small"
                icon={<PlusOutlined />}
                onClick={() => {
                  setNewError(null);
                  setCreating(true);
                }}
                data-testid="beat-new"
              >
                {t('maint.beats.new')}
              </Button>
            }
          >
            <Input.Search
              allowClear
              placeholder={t('maint.beats.search')}
              style={{ marginBottom: 8 }}
              onChange={(e) => setQuery(e.target.value)}
              data-testid="beat-search"
            />
            <Table<Beat>
              rowKey="id"
              size="small"
              dataSource={shown}
              pagination={{ defaultPageSize: 12, showSizeChanger: false, size: 'small' }}
              rowClassName={(b) => (b.id === beat?.id ? 'cl-maint-row-selected' : '')}
              onRow={(b) =>
                ({
                  onClick: () => void openBeat(b),
                  style: { cursor: 'pointer' },
                  'data-testid': `beat-row-${b.code}`,
                }) as React.HTMLAttributes<HTMLElement>
              }
              data-testid="beat-table"
              columns={[
                {
                  title: t('maint.beats.name'),
                  render: (_, b) => (
                    <span>
                      {b.name}
                      <br />
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {b.code}
                      </Typography.Text>
                    </span>
                  ),
                },
                {
                  title: t('maint.beats.inspector'),
                  dataIndex: 'inspectorName',
                  width: 90,
                  render: (v: string | null) => v ?? <Tag color="warning">{t('maint.beats.none')}</Tag>,
                },
                { title: t('maint.beats.grids'), dataIndex: 'gridCount', width: 60, align: 'right' },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={15}>
          <Card
            size="small"
            title={beat ? `${beat.name}（${beat.code}）` : t('maint.beats.map')}
            extra={
              beat && (
                <Space>
                  <Select
                    allowClear
                    showSearch
                    optionFilterProp="label"
                    style={{ width: 170 }}
                    placeholder={t('maint.beats.inspector')}
                    value={inspectorId ?? undefined}
                    onChange={(v) => setInspectorId(v ?? null)}
                    options={inspectors.map((p) => ({ value: p.id, label: `${p.name}（${p.username}）` }))}
                    data-testid="beat-inspector"
                  />
                  <Button icon={<AimOutlined />} onClick={() => frame(draft)} aria-label={t('maint.beats.frame')} />
                  <Button
                    icon={<UndoOutlined />}
                    disabled={!dirty}
                    onClick={() => {
                      setDraft(saved);
                      setInspectorId(beat.inspectorId);
                    }}
                  >
                    {t('maint.beats.reset')}
                  </Button>
                  <Button type="primary" disabled={!dirty} loading={saving} onClick={() => void handleSave()} data-testid="beat-save">
                    {t('maint.save')}
                  </Button>
                  <Popconfirm
                    title={t('maint.beats.deleteConfirm', { count: saved.length })}
                    onConfirm={() => void handleDelete()}
                    okButtonProps={{ danger: true, 'data-testid': 'beat-delete-ok' } as { danger: boolean }}
                  >
                    <Button danger icon={<DeleteOutlined />} aria-label={t('maint.remove')} data-testid="beat-delete" />
                  </Popconfirm>
                </Space>
              )
            }
          >
            <FormError error={error} testId="beat-error" />
            <div className="cl-maint-map">
              <div className="cl-maint-map-hint">{beat ? t('maint.beats.hint') : t('maint.beats.pickFirst')}</div>
              <Suspense fallback={null}>
                <GridMap chosen={draft} onGridClick={handleGridClick} fitTo={fit} testId="beat-map" />
              </Suspense>
            </div>
            {beat && (
              <Space direction="vertical" style={{ width: '100%', marginTop: 12 }} data-testid="beat-summary">
                <Typography.Text>
                  {t('maint.beats.count', { count: draft.length })}
                  {dirty && <Tag style={{ marginInlineStart: 8 }}>{t('maint.beats.unsaved')}</Tag>}
                </Typography.Text>
                {added.length > 0 && (
                  <div>
                    <Typography.Text type="secondary">{t('maint.beats.added')} </Typography.Text>
                    {added.map((id) => gridTag(id, 'green'))}
                  </div>
                )}
                {removed.length > 0 && (
                  <div>
                    <Typography.Text type="secondary">{t('maint.beats.removed')} </Typography.Text>
                    {removed.map((id) => gridTag(id, 'red'))}
                  </div>
                )}
                {added.length > 0 && <Alert type="info" showIcon title={t('maint.beats.moveNote')} />}
              </Space>
            )}
          </Card>
        </Col>
      </Row>
      <Modal
        open={creating}
        title={t('maint.beats.new')}
        onCancel={() => setCreating(false)}
        onOk={() => void handleCreate()}
        okText={t('maint.save')}
        okButtonProps={{ 'data-testid': 'beat-create' } as Record<string, string>}
        destroyOnHidden
      >
        <FormError error={newError} testId="beat-new-error" />
        <Form form={newForm} layout="vertical" preserve={false}>
          <Form.Item
            name="code"
            label={t('maint.beats.code')}
            extra={t('maint.beats.codeHelp')}
            rules={[
              { required: true, message: t('maint.required') },
              { pattern: /^[A-Za-z0-9_-]{1,32}$/, message: t('maint.beats.codeHelp') },
            ]}
          >
            <Input maxLength={32} data-testid="beat-new-code" />
          </Form.Item>
          <Form.Item name="name" label={t('maint.beats.name')} rules={[{ required: true, whitespace: true, message: t('maint.required') }]}>
            <Input maxLength={100} data-testid="beat-new-name" />
          </Form.Item>
          <Form.Item name="inspectorId" label={t('maint.beats.inspector')}>
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              placeholder={t('maint.beats.none')}
              options={inspectors.map((p) => ({ value: p.id, label: `${p.name}（${p.username}）` }))}
              data-testid="beat-new-inspector"
            />
          </Form.Item>
        </Form>
      </Modal>
    </MaintPage>
  );
}
