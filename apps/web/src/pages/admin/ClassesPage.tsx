import { DeleteOutlined, MinusCircleOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  AutoComplete,
  Button,
  Card,
  Col,
  Empty,
  Form,
  Input,
  Modal,
  Popconfirm,
  Row,
  Segmented,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, api, request } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { RegionNode } from '../../types.ts';
import { useDepartments } from '../cases/caseUtil.ts';
import { FormError, fmtAt, fmtLimit, MaintPage, showApiError, type TimeLimit, TimeLimitInput } from './adminUtil.tsx';
import './maint.css';

const EDITIONS = ['CJT214-2007', 'GBT47678.5-2026'] as const;
type Kind = 'component' | 'event';
const PHASE_KEYS = ['receive', 'verify', 'register', 'dispatch', 'sendCheck', 'check', 'close'] as const;

interface Severity {
  code: string;
  name: string;
  limit?: TimeLimit;
}

interface TaxClass {
  edition: string;
  kind: Kind;
  code: string;
  name: string;
  level: 'major' | 'minor' | 'detail';
  parentCode: string | null;
  filingCondition: string | null;
  closingCondition: string | null;
  disposalLimit: TimeLimit | null;
  defaultDepartmentCode: string | null;
  severityLevels: Severity[];
  isExtension: boolean;
  enabled: boolean;
  active: boolean;
  updatedAt: string;
  children?: TaxClass[];
}

interface Binding {
  id: number;
  edition: string;
  kind: Kind;
  classCode: string | null;
  districtId: number | null;
  workflow: 'standard' | 'flattened';
  createdAt: string;
}

interface ClassForm {
  name: string;
  filingCondition?: string | null;
  closingCondition?: string | null;
  disposalLimit?: TimeLimit | null;
  defaultDepartmentCode?: string | null;
  severityLevels: Array<{ code: string; name: string; limit?: TimeLimit | null }>;
  enabled: boolean;
}

interface NewClassForm {
  code: string;
  name: string;
  parentCode?: string;
}

const CLASS_FIELDS: Record<string, string> = {
  class_name_empty: 'name',
  severity_levels_invalid: 'severityLevels',
  department_not_found: 'defaultDepartmentCode',
};
const NEW_CLASS_FIELDS: Record<string, string> = {
  class_code_invalid: 'code',
  class_code_reserved: 'code',
  class_exists: 'code',
  class_parent_not_found: 'parentCode',
  class_parent_mismatch: 'parentCode',
};

/** Drops the empty parts of a tree filter: nodes matching the query keep their subtree. */
function filterTree(nodes: TaxClass[], q: string): TaxClass[] {
  if (!q) return nodes;
  const out: TaxClass[] = [];
  for (const n of nodes) {
    const hit = n.code.startsWith(q) || n.name.includes(q);
    const kids = hit ? n.children : filterTree(n.children ?? [], q);
    if (hit || (kids && kids.length > 0)) out.push({ ...n, children: kids?.length ? kids : undefined });
  }
  return out;
}

function flatten(nodes: TaxClass[], out: TaxClass[] = []): TaxClass[] {
  for (const n of nodes) {
    out.push(n);
    if (n.children) flatten(n.children, out);
  }
  return out;
}

/** Antd tables expand rows with a `children` array, so leaves carry none. */
function tableRows(nodes: TaxClass[]): TaxClass[] {
  return nodes.map((n) => ({ ...n, children: n.children?.length ? tableRows(n.children) : undefined }));
}

/** 应用维护 → 分类与时限: classes of both editions with 立案/结案条件 and limits, phase limits, workflow bindings. */
export default function ClassesPage() {
  const { t } = useTranslation();
  return (
    <MaintPage title={t('maint.classes.nav')} testId="classes-page">
      <Card styles={{ body: { paddingTop: 4 } }}>
        <Tabs
          items={[
            { key: 'classes', label: t('maint.classes.tabClasses'), children: <ClassesTab /> },
            { key: 'phases', label: t('maint.classes.tabPhases'), children: <PhaseLimitsTab /> },
            { key: 'bindings', label: t('maint.classes.tabBindings'), children: <BindingsTab /> },
          ]}
          destroyOnHidden
          data-testid="classes-tabs"
        />
      </Card>
    </MaintPage>
  );
}

function ClassesTab() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { settings } = useSession();
  const departments = useDepartments();
  const [edition, setEdition] = useState<string>(settings.edition);
  const [kind, setKind] = useState<Kind>('component');
  const [tree, setTree] = useState<TaxClass[]>([]);
  const [loading, setLoading] = useState(false);
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<string[]>([]);
  const [form] = Form.useForm<ClassForm>();
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const [creating, setCreating] = useState(false);
  const [newForm] = Form.useForm<NewClassForm>();
  const [newError, setNewError] = useState<ApiError | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setTree(await api.get<TaxClass[]>('/api/taxonomy/tree', { edition, kind }));
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setLoading(false);
    }
  }, [edition, kind, message]);

  useEffect(() => {
    setSelected(null);
    void load();
  }, [load]);

  const all = useMemo(() => flatten(tree), [tree]);
  const current = useMemo(() => all.find((c) => c.code === selected) ?? null, [all, selected]);
  const rows = useMemo(() => tableRows(filterTree(tree, query.trim())), [tree, query]);
  const deptOptions = useMemo(
    () => departments.filter((d) => d.kind !== 'centre').map((d) => ({ value: d.code, label: `${d.shortName || d.name}（${d.code}）` })),
    [departments],
  );

  useEffect(() => {
    if (!current) return;
    setError(null);
    form.resetFields();
    form.setFieldsValue({
      name: current.name,
      filingCondition: current.filingCondition,
      closingCondition: current.closingCondition,
      disposalLimit: current.disposalLimit,
      defaultDepartmentCode: current.defaultDepartmentCode,
      severityLevels: current.severityLevels.map((s) => ({ ...s, limit: s.limit ?? null })),
      enabled: current.enabled,
    });
  }, [current, form]);

  const url = (c: TaxClass) => `/api/taxonomy/classes/${encodeURIComponent(c.edition)}/${c.kind}/${c.code}`;

  const handleSave = async () => {
    if (!current) return;
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    setError(null);
    try {
      const body: Record<string, unknown> = {
        name: v.name.trim(),
        filingCondition: v.filingCondition?.trim() || null,
        closingCondition: v.closingCondition?.trim() || null,
        disposalLimit: v.disposalLimit ?? null,
        defaultDepartmentCode: v.defaultDepartmentCode ?? null,
        severityLevels: (v.severityLevels ?? []).map((s) => ({
          code: s.code.trim(),
          name: s.name.trim(),
          ...(s.limit ? { limit: s.limit } : {}),
        })),
        enabled: v.enabled,
      };
      // Only what changed: the audit shows the change, and stored values are not checked again.
      const was = current as unknown as Record<string, unknown>;
      for (const k of Object.keys(body)) if (JSON.stringify(body[k]) === JSON.stringify(was[k] ?? null)) delete body[k];
      if (Object.keys(body).length > 0) await request(url(current), { method: 'PATCH', body });
      message.success(t('maint.classes.savedClass', { code: current.code, name: v.name }));
      await load();
    } catch (err) {
      setError(showApiError(form, err, CLASS_FIELDS));
    } finally {
      setSaving(false);
    }
  };

  const handleDelete = async () => {
    if (!current) return;
    try {
      await request(url(current), { method: 'DELETE' });
      message.success(t('maint.classes.deleted', { code: current.code }));
      setSelected(null);
      await load();
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    }
  };

  const openNew = () => {
    setNewError(null);
    setCreating(true);
  };
  const newInitial = useMemo<NewClassForm>(() => {
    const parent = current && current.level !== 'detail' ? current.code : undefined;
    return { code: parent ?? '', name: '', parentCode: parent };
  }, [current]);
  useEffect(() => {
    if (creating) newForm.setFieldsValue(newInitial);
  }, [creating, newInitial, newForm]);

  const handleCreate = async () => {
    const v = await newForm.validateFields().catch(() => null);
    if (!v) return;
    setNewError(null);
    try {
      const c = await api.post<TaxClass>('/api/taxonomy/classes', {
        edition,
        kind,
        code: v.code.trim(),
        name: v.name.trim(),
        ...(v.parentCode ? { parentCode: v.parentCode } : {}),
      });
      message.success(t('maint.classes.created', { code: c.code, name: c.name }));
      setCreating(false);
      await load();
      if (c.parentCode) setExpanded((e) => [...new Set([...e, c.parentCode as string, c.parentCode?.slice(0, 2) as string])]);
      setSelected(c.code);
    } catch (err) {
      setNewError(showApiError(newForm, err, NEW_CLASS_FIELDS));
    }
  };

  const parentOptions = useMemo(
    () => all.filter((c) => c.level !== 'detail').map((c) => ({ value: c.code, label: `${c.code} ${c.name}` })),
    [all],
  );

  return (
    <Row gutter={16}>
      <Col xs={24} xl={12}>
        <Space wrap style={{ marginBottom: 12 }}>
          <Segmented
            value={edition}
            onChange={(v) => setEdition(String(v))}
            options={EDITIONS.map((e) => ({
              value: e,
              label: (
                <span data-testid={`edition-${e}`}>
                  {t(`maint.classes.editions.${e.replace('.', '_')}`)}
                  {e === settings.edition ? ` · ${t('maint.classes.inUse')}` : ''}
                </span>
              ),
            }))}
          />
          <Segmented
            value={kind}
            onChange={(v) => setKind(v as Kind)}
            options={(['component', 'event'] as const).map((k) => ({ value: k, label: t(`kinds.${k}`) }))}
            data-testid="class-kind"
          />
          <Input.Search
            allowClear
            style={{ width: 180 }}
            placeholder={t('maint.classes.search')}
            onChange={(e) => setQuery(e.target.value)}
            data-testid="class-search"
          />
          <Button icon={<ReloadOutlined />} onClick={() => void load()} aria-label={t('maint.refresh')} />
          <Button icon={<PlusOutlined />} onClick={openNew} data-testid="class-new">
            {t('maint.classes.newExtension')}
          </Button>
        </Space>
        <Table<TaxClass>
          rowKey="code"
          size="small"
          loading={loading}
          dataSource={rows}
          pagination={false}
          scroll={{ y: 620 }}
          expandable={{
            expandedRowKeys: query.trim() ? flatten(rows).map((r) => r.code) : expanded,
            onExpandedRowsChange: (keys) => setExpanded(keys.map(String)),
          }}
          rowClassName={(c) => [c.code === selected ? 'cl-maint-row-selected' : '', c.active ? '' : 'cl-maint-row-off'].join(' ')}
          onRow={(c) =>
            ({
              onClick: () => setSelected(c.code),
              style: { cursor: 'pointer' },
              'data-testid': `class-row-${c.code}`,
            }) as React.HTMLAttributes<HTMLElement>
          }
          data-testid="class-table"
          columns={[
            {
              title: t('maint.classes.code'),
              dataIndex: 'code',
              width: 170,
              render: (code: string) => <Typography.Text code>{code}</Typography.Text>,
            },
            {
              title: t('maint.classes.name'),
              render: (_, c) => (
                <Space size={4}>
                  {c.name}
                  {c.isExtension && <Tag color="purple">{t('maint.classes.extension')}</Tag>}
                  {c.level === 'detail' && <Tag>{t('maint.classes.detail')}</Tag>}
                </Space>
              ),
            },
            {
              title: t('maint.classes.disposalLimit'),
              width: 150,
              render: (_, c) => (c.level === 'major' ? '' : fmtLimit(c.disposalLimit)),
            },
            {
              title: t('maint.active'),
              width: 60,
              render: (_, c) => (c.active ? <Tag color="success">{t('maint.on')}</Tag> : <Tag>{t('maint.off')}</Tag>),
            },
          ]}
        />
      </Col>
      <Col xs={24} xl={12}>
        {!current ? (
          <Empty description={t('maint.classes.pick')} style={{ marginTop: 80 }} />
        ) : (
          <Card
            size="small"
            title={
              <Space>
                <Typography.Text code>{current.code}</Typography.Text>
                {current.name}
                <Tag>{t(`maint.classes.levels.${current.level}`)}</Tag>
                {current.isExtension && <Tag color="purple">{t('maint.classes.extension')}</Tag>}
              </Space>
            }
            extra={
              current.isExtension && (
                <Popconfirm title={t('maint.classes.deleteConfirm')} onConfirm={() => void handleDelete()}>
                  <Button danger size="small" icon={<DeleteOutlined />} data-testid="class-delete">
                    {t('maint.remove')}
                  </Button>
                </Popconfirm>
              )
            }
            data-testid="class-editor"
          >
            <FormError error={error} testId="class-form-error" />
            <Form form={form} layout="vertical" data-testid="class-form">
              <Row gutter={12}>
                <Col span={16}>
                  <Form.Item
                    name="name"
                    label={t('maint.classes.name')}
                    rules={[{ required: true, whitespace: true, message: t('maint.required') }]}
                  >
                    <Input maxLength={100} />
                  </Form.Item>
                </Col>
                <Col span={8}>
                  <Form.Item name="enabled" label={t('maint.active')} valuePropName="checked" extra={t('maint.classes.enabledHelp')}>
                    <Switch data-testid="class-enabled" />
                  </Form.Item>
                </Col>
              </Row>
              <Form.Item name="filingCondition" label={t('maint.classes.filing')}>
                <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={2000} data-testid="class-filing" />
              </Form.Item>
              <Form.Item name="closingCondition" label={t('maint.classes.closing')}>
                <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={2000} data-testid="class-closing" />
              </Form.Item>
              <Row gutter={12}>
                <Col span={13}>
                  <Form.Item name="disposalLimit" label={t('maint.classes.disposalLimit')} extra={t('maint.classes.disposalHelp')}>
                    <TimeLimitInput allowClear testId="class-limit" />
                  </Form.Item>
                </Col>
                <Col span={11}>
                  <Form.Item name="defaultDepartmentCode" label={t('maint.classes.department')}>
                    <AutoComplete
                      allowClear
                      options={deptOptions}
                      placeholder="—"
                      filterOption={(q, o) => String(o?.label ?? '').includes(q) || String(o?.value ?? '').startsWith(q)}
                    />
                  </Form.Item>
                </Col>
              </Row>
              <Typography.Text strong>{t('maint.classes.severities')}</Typography.Text>
              <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
                {t('maint.classes.severitiesHelp')}
              </Typography.Paragraph>
              <Form.List name="severityLevels">
                {(fields, { add, remove }) => (
                  <>
                    {fields.map((f, i) => (
                      <Space key={f.key} align="baseline" style={{ display: 'flex' }} data-testid={`severity-${i}`}>
                        <Form.Item
                          name={[f.name, 'code']}
                          rules={[
                            { required: true, message: t('maint.required') },
                            { pattern: /^[a-z][a-z0-9_]{0,31}$/, message: t('maint.classes.severityCode') },
                          ]}
                        >
                          <Input style={{ width: 90 }} placeholder="normal" />
                        </Form.Item>
                        <Form.Item name={[f.name, 'name']} rules={[{ required: true, message: t('maint.required') }]}>
                          <Input style={{ width: 170 }} maxLength={50} />
                        </Form.Item>
                        <Form.Item name={[f.name, 'limit']}>
                          <TimeLimitInput allowClear testId={`severity-limit-${i}`} />
                        </Form.Item>
                        <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('maint.remove')} />
                      </Space>
                    ))}
                    <Button type="dashed" size="small" icon={<PlusOutlined />} onClick={() => add({ code: '', name: '', limit: null })}>
                      {t('maint.classes.addSeverity')}
                    </Button>
                  </>
                )}
              </Form.List>
              <Space style={{ marginTop: 16, width: '100%', justifyContent: 'space-between' }}>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('maint.classes.updatedAt', { at: fmtAt(current.updatedAt) })}
                </Typography.Text>
                <Button type="primary" loading={saving} onClick={() => void handleSave()} data-testid="class-save">
                  {t('maint.save')}
                </Button>
              </Space>
            </Form>
          </Card>
        )}
      </Col>
      <Modal
        open={creating}
        title={t('maint.classes.newExtension')}
        onCancel={() => setCreating(false)}
        onOk={() => void handleCreate()}
        okText={t('maint.save')}
        okButtonProps={{ 'data-testid': 'class-create' } as Record<string, string>}
        destroyOnHidden
      >
        <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('maint.classes.extensionHelp')} />
        <FormError error={newError} testId="class-new-error" />
        <Form form={newForm} layout="vertical" preserve={false} initialValues={newInitial}>
          <Form.Item name="parentCode" label={t('maint.classes.parent')} extra={t('maint.classes.parentHelp')}>
            <Select allowClear showSearch optionFilterProp="label" options={parentOptions} placeholder={t('maint.classes.newMajor')} />
          </Form.Item>
          <Form.Item
            name="code"
            label={t('maint.classes.code')}
            rules={[
              { required: true, message: t('maint.required') },
              { pattern: /^\d{2,9}$/, message: t('maint.classes.codeDigits') },
            ]}
          >
            <Input data-testid="class-new-code" />
          </Form.Item>
          <Form.Item
            name="name"
            label={t('maint.classes.name')}
            rules={[{ required: true, whitespace: true, message: t('maint.required') }]}
          >
            <Input maxLength={100} data-testid="class-new-name" />
          </Form.Item>
        </Form>
      </Modal>
    </Row>
  );
}

function PhaseLimitsTab() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Record<string, TimeLimit>>();
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    api
      .get<{ phaseLimits: Record<string, TimeLimit> }>('/api/settings')
      .then((s) => form.setFieldsValue(s.phaseLimits))
      .catch((err: unknown) => message.error(err instanceof Error ? err.message : String(err)));
  }, [form, message]);

  const handleSave = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    setError(null);
    try {
      const s = await request<{ phaseLimits: Record<string, TimeLimit> }>('/api/settings', { method: 'PATCH', body: { phaseLimits: v } });
      form.setFieldsValue(s.phaseLimits);
      message.success(t('maint.saved'));
    } catch (err) {
      setError(showApiError(form, err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <div style={{ maxWidth: 640 }} data-testid="phase-limits">
      <Typography.Paragraph type="secondary">{t('maint.classes.phaseHelp')}</Typography.Paragraph>
      <FormError error={error} testId="phase-form-error" />
      <Form form={form} layout="horizontal" labelCol={{ flex: '100px' }}>
        {PHASE_KEYS.map((k) => (
          <Form.Item key={k} name={k} label={t(`maint.classes.phaseKeys.${k}`)} rules={[{ required: true, message: t('maint.required') }]}>
            <TimeLimitInput testId={`phase-${k}`} />
          </Form.Item>
        ))}
        <Form.Item label=" " colon={false}>
          <Button type="primary" loading={saving} onClick={() => void handleSave()} data-testid="phase-save">
            {t('maint.save')}
          </Button>
        </Form.Item>
      </Form>
    </div>
  );
}

interface BindingForm {
  edition: string;
  kind: Kind;
  classCode?: string;
  districtId?: number;
  workflow: 'standard' | 'flattened';
}

function BindingsTab() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { settings } = useSession();
  const [bindings, setBindings] = useState<Binding[]>([]);
  const [districts, setDistricts] = useState<RegionNode[]>([]);
  const [classes, setClasses] = useState<Record<string, TaxClass[]>>({});
  const [form] = Form.useForm<BindingForm>();
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const edition = Form.useWatch('edition', form) ?? settings.edition;
  const kind = Form.useWatch('kind', form) ?? 'event';

  const load = useCallback(async () => {
    try {
      setBindings(await api.get<Binding[]>('/api/workflows/bindings'));
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    }
  }, [message]);

  useEffect(() => {
    void load();
    api
      .get<RegionNode[]>('/api/regions/tree')
      .then((tree) => setDistricts(tree.filter((d) => d.level === 'district')))
      .catch(() => {});
  }, [load]);

  // Class trees of both kinds of the editions in use (for names and the picker).
  const editionsNeeded = useMemo(() => [...new Set([edition, ...bindings.map((b) => b.edition)])], [edition, bindings]);
  useEffect(() => {
    for (const e of editionsNeeded) {
      for (const k of ['component', 'event'] as const) {
        const key = `${e}:${k}`;
        if (classes[key]) continue;
        setClasses((c) => ({ ...c, [key]: [] }));
        api
          .get<TaxClass[]>('/api/taxonomy/tree', { edition: e, kind: k })
          .then((tree) => setClasses((c) => ({ ...c, [key]: tree })))
          .catch(() => {});
      }
    }
  }, [editionsNeeded, classes]);

  const nameOf = (b: Pick<Binding, 'edition' | 'kind' | 'classCode'>) =>
    b.classCode ? (flatten(classes[`${b.edition}:${b.kind}`] ?? []).find((c) => c.code === b.classCode)?.name ?? '') : '';
  const districtName = (id: number | null) => (id === null ? null : (districts.find((d) => d.id === id)?.name ?? `#${id}`));

  const classTree = useMemo(() => {
    interface Opt {
      value: string;
      title: string;
      children?: Opt[];
    }
    const toNode = (c: TaxClass): Opt => ({
      value: c.code,
      title: `${c.code} ${c.name}`,
      // Bindings name a major or a minor class; detail classes follow their minor.
      children: c.level === 'major' ? (c.children ?? []).map(toNode) : undefined,
    });
    return (classes[`${edition}:${kind}`] ?? []).map(toNode);
  }, [classes, edition, kind]);

  const handleAdd = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    setError(null);
    try {
      await api.post('/api/workflows/bindings', {
        edition: v.edition,
        kind: v.kind,
        classCode: v.classCode ?? null,
        districtId: v.districtId ?? null,
        workflow: v.workflow,
      });
      message.success(t('maint.classes.bound'));
      form.setFieldsValue({ classCode: undefined, districtId: undefined });
      await load();
    } catch (err) {
      setError(showApiError(form, err, { class_not_found: 'classCode', district_not_found: 'districtId' }));
    } finally {
      setSaving(false);
    }
  };

  const handleDelete = async (b: Binding) => {
    try {
      await request(`/api/workflows/bindings/${b.id}`, { method: 'DELETE' });
      message.success(t('maint.classes.unbound', { id: b.id }));
      await load();
    } catch (err) {
      message.error(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="bindings">
      <Alert type="warning" showIcon title={t('maint.classes.bindingsNote')} data-testid="bindings-note" />
      <FormError error={error} testId="binding-form-error" />
      <Form
        form={form}
        layout="inline"
        initialValues={{ edition: settings.edition, kind: 'event', workflow: 'flattened' }}
        data-testid="binding-form"
        style={{ rowGap: 8 }}
      >
        <Form.Item name="edition" label={t('maint.classes.edition')}>
          <Select
            style={{ width: 150 }}
            options={EDITIONS.map((e) => ({ value: e, label: t(`maint.classes.editions.${e.replace('.', '_')}`) }))}
            onChange={() => form.setFieldsValue({ classCode: undefined })}
          />
        </Form.Item>
        <Form.Item name="kind" label={t('maint.classes.kind')}>
          <Select
            style={{ width: 90 }}
            options={(['component', 'event'] as const).map((k) => ({ value: k, label: t(`kinds.${k}`) }))}
            onChange={() => form.setFieldsValue({ classCode: undefined })}
          />
        </Form.Item>
        <Form.Item name="classCode" label={t('maint.classes.class')}>
          <TreeSelect
            allowClear
            showSearch={{ treeNodeFilterProp: 'title' }}
            style={{ width: 240 }}
            treeData={classTree}
            placeholder={t('maint.classes.allClasses')}
            popupMatchSelectWidth={340}
            data-testid="binding-class"
          />
        </Form.Item>
        <Form.Item name="districtId" label={t('maint.classes.district')}>
          <Select
            allowClear
            style={{ width: 140 }}
            placeholder={t('maint.classes.cityWide')}
            options={districts.map((d) => ({ value: d.id, label: d.name }))}
            data-testid="binding-district"
          />
        </Form.Item>
        <Form.Item name="workflow" label={t('maint.classes.workflow')}>
          <Select
            style={{ width: 130 }}
            options={(['standard', 'flattened'] as const).map((w) => ({ value: w, label: t(`maint.classes.workflows.${w}`) }))}
            data-testid="binding-workflow"
          />
        </Form.Item>
        <Form.Item>
          <Button type="primary" icon={<PlusOutlined />} loading={saving} onClick={() => void handleAdd()} data-testid="binding-add">
            {t('maint.classes.bind')}
          </Button>
        </Form.Item>
      </Form>
      <Table<Binding>
        rowKey="id"
        size="small"
        dataSource={bindings}
        pagination={false}
        locale={{ emptyText: t('maint.classes.noBindings') }}
        onRow={(b) => ({ 'data-testid': `binding-row-${b.id}` }) as React.HTMLAttributes<HTMLElement>}
        data-testid="binding-table"
        columns={[
          { title: '#', dataIndex: 'id', width: 60 },
          {
            title: t('maint.classes.edition'),
            dataIndex: 'edition',
            width: 150,
            render: (e: string) => t(`maint.classes.editions.${e.replace('.', '_')}`, { defaultValue: e }),
          },
          { title: t('maint.classes.kind'), dataIndex: 'kind', width: 80, render: (k: string) => t(`kinds.${k}`) },
          {
            title: t('maint.classes.class'),
            render: (_, b) =>
              b.classCode ? (
                <span>
                  <Typography.Text code>{b.classCode}</Typography.Text> {nameOf(b)}
                </span>
              ) : (
                <Tag>{t('maint.classes.allClasses')}</Tag>
              ),
          },
          {
            title: t('maint.classes.district'),
            width: 120,
            render: (_, b) => districtName(b.districtId) ?? <Tag>{t('maint.classes.cityWide')}</Tag>,
          },
          {
            title: t('maint.classes.workflow'),
            dataIndex: 'workflow',
            width: 120,
            render: (w: string) => <Tag color={w === 'flattened' ? 'orange' : 'blue'}>{t(`maint.classes.workflows.${w}`)}</Tag>,
          },
          { title: t('maint.classes.boundAt'), dataIndex: 'createdAt', width: 160, render: (v: string) => fmtAt(v) },
          {
            title: '',
            width: 70,
            render: (_, b) => (
              <Popconfirm title={t('maint.classes.unbindConfirm')} onConfirm={() => void handleDelete(b)}>
                <Button type="link" size="small" danger data-testid={`binding-delete-${b.id}`}>
                  {t('maint.remove')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
    </Space>
  );
}
