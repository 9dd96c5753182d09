import { AimOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  AutoComplete,
  Breadcrumb,
  Button,
  Card,
  Cascader,
  Col,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, request } from '../../api.ts';
import { localizeMessage } from '../../i18n/index.ts';
import { useSession } from '../../session.tsx';
import type { ClassNode, GeocodeHit, LocateResult, RegionNode } from '../../types.ts';
import { useClasses, useDepartments } from '../cases/caseUtil.ts';
import CaseMap from '../workbench/CaseMap.tsx';
import { compareRules, type DispatchRule, specificity } from './ruleRank.ts';
import './dispatchRules.css';

interface DeptRef {
  id: number;
  code: string;
  name: string;
  level: string;
}

interface Candidate {
  via: 'rule' | 'maintainer' | 'street_office';
  department: DeptRef;
  rule: { id: number; name: string } | null;
  explanation: string;
}

type Suggestion =
  | {
      kind: 'department';
      via: Candidate['via'];
      department: DeptRef;
      rule: { id: number; name: string; priority: number } | null;
      explanation: string;
      alternatives: Candidate[];
    }
  | { kind: 'coordination'; reason: 'no_rule' | 'disputed'; explanation: string; candidates: Candidate[] };

interface TestResult {
  location: LocateResult;
  class: { code: string; name: string; kind: string };
  suggestion: Suggestion;
}

interface FormValues {
  name?: string;
  cls?: string;
  region?: number[];
  ownerDepartmentId?: number | null;
  departmentId?: number;
  priority: number;
  enabled: boolean;
}

interface RegionOption {
  value: number;
  label: string;
  code: string;
  level: string;
  isLeaf?: boolean;
  children?: RegionOption[];
}

interface ClassOption {
  value: string;
  title: string;
  children?: ClassOption[];
}

/** Which form field an API error code is about, so the message shows next to it. */
const FIELD_OF_ERROR: Record<string, keyof FormValues> = {
  class_not_found: 'cls',
  class_needs_edition: 'cls',
  region_not_found: 'region',
  region_level_invalid: 'region',
  department_not_found: 'departmentId',
  department_inactive: 'departmentId',
  department_not_disposal: 'departmentId',
  owner_department_not_found: 'ownerDepartmentId',
};

/** Class tree options; values are "kind:code" since the two kinds share codes. */
function classOptions(nodes: ClassNode[]): ClassOption[] {
  return nodes.map((n) => ({
    value: `${n.kind}:${n.code}`,
    title: `${n.code} ${n.name}`,
    children: n.children?.length ? classOptions(n.children) : undefined,
  }));
}

function regionOptions(tree: RegionNode[]): RegionOption[] {
  return tree
    .filter((d) => d.level === 'district')
    .map((d) => ({
      value: d.id,
      label: d.name,
      code: d.code,
      level: d.level,
      children: (d.children ?? [])
        .filter((s) => s.level === 'street')
        .map((s) => ({ value: s.id, label: s.name, code: s.code, level: s.level, isLeaf: false })),
    }));
}

/** Grids of a street: grid codes start with their street's code. */
async function loadGrids(street: RegionOption): Promise<RegionOption[]> {
  const res = await api.get<{ items: Array<{ id: number; code: string; name: string }> }>('/api/regions', {
    level: 'grid',
    q: street.code,
    limit: 2000,
  });
  return res.items
    .filter((g) => g.code.startsWith(street.code))
    .map((g) => ({ value: g.id, label: `${g.name}（${g.code}）`, code: g.code, level: 'grid', isLeaf: true }));
}

/** The cascader path (district, street, grid ids) of a region given by its code. */
function regionPath(options: RegionOption[], code: string): RegionOption[] {
  const path: RegionOption[] = [];
  let level: RegionOption[] | undefined = options;
  while (level) {
    const hit: RegionOption | undefined = level.find((o) => code.startsWith(o.code));
    if (!hit) break;
    path.push(hit);
    if (hit.code === code) break;
    level = hit.children;
  }
  return path;
}

/** 应用维护 → 派遣规则: the routing rules (class × region × owner → department), their form, and the 测试派遣 tool. */
export default function DispatchRulesPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { settings } = useSession();
  const edition = settings.edition;
  const classes = useClasses();
  const departments = useDepartments();
  const [rules, setRules] = useState<DispatchRule[]>([]);
  const [loading, setLoading] = useState(false);
  const [regions, setRegions] = useState<RegionOption[]>([]);
  const [filter, setFilter] = useState<{ departmentId?: number; cls?: string; region?: number[] }>({});
  const [editing, setEditing] = useState<DispatchRule | 'new' | null>(null);
  const [form] = Form.useForm<FormValues>();
  const [saving, setSaving] = useState(false);
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [initial, setInitial] = useState<FormValues>({ priority: 0, enabled: true });
  const [streetFallback, setStreetFallback] = useState<boolean | null>(null);

  // 测试派遣
  const [testCls, setTestCls] = useState<string | undefined>();
  const [pin, setPin] = useState<[number, number] | null>(null);
  const [hits, setHits] = useState<GeocodeHit[]>([]);
  const [address, setAddress] = useState('');
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<TestResult | null>(null);
  const [testError, setTestError] = useState<string | null>(null);
  const searchSeq = useRef(0);
  const timer = useRef(0);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const fail = useCallback((err: unknown) => message.error(err instanceof ApiError ? err.message : String(err)), [message]);

  const loadRules = useCallback(async () => {
    setLoading(true);
    try {
      const all: DispatchRule[] = [];
      for (let offset = 0; ; offset += 2000) {
        const page = await api.get<{ items: DispatchRule[]; total: number }>('/api/dispatch/rules', { limit: 2000, offset });
        all.push(...page.items);
        if (page.items.length < 2000 || all.length >= page.total) break;
      }
      setRules(all);
    } catch (err) {
      fail(err);
    } finally {
      setLoading(false);
    }
  }, [fail]);

  useEffect(() => {
    void loadRules();
    api
      .get<RegionNode[]>('/api/regions/tree')
      .then((tree) => setRegions(regionOptions(tree)))
      .catch(fail);
    api
      .get<{ streetFallback: boolean }>('/api/dispatch/settings')
      .then((s) => setStreetFallback(s.streetFallback))
      .catch(() => {});
  }, [loadRules, fail]);

  const handleLoadGrids = async (selected: RegionOption[]) => {
    const street = selected[selected.length - 1];
    if (street?.level !== 'street' || street.children) return;
    try {
      street.children = await loadGrids(street);
      setRegions((cur) => [...cur]);
    } catch (err) {
      fail(err);
    }
  };

  const classTree = useMemo(
    () =>
      (['component', 'event'] as const).map((kind) => ({
        value: `kind:${kind}`,
        title: t(`kinds.${kind}`),
        selectable: false,
        children: classOptions((classes?.tree ?? []).filter((n) => n.kind === kind)),
      })),
    [classes, t],
  );
  const disposalDepartments = useMemo(
    () =>
      departments
        .filter((d) => d.kind !== 'centre')
        .map((d) => ({ value: d.id, label: d.shortName && d.shortName !== d.name ? `${d.name}（${d.shortName}）` : d.name })),
    [departments],
  );

  // The city's edition only (and rules that name no edition), ranked as the matcher ranks them.
  const shown = useMemo(() => {
    const regionCode = filter.region?.length ? codeOf(regions, filter.region) : null;
    const [fKind, fCode] = filter.cls ? filter.cls.split(':') : [];
    return rules
      .filter((r) => r.edition === null || r.edition === edition)
      .filter((r) => filter.departmentId === undefined || r.departmentId === filter.departmentId)
      .filter(
        (r) => !fCode || (r.kind === fKind && r.classCode !== null && (r.classCode.startsWith(fCode) || fCode.startsWith(r.classCode))),
      )
      .filter((r) => !regionCode || (r.regionCode !== null && (r.regionCode.startsWith(regionCode) || regionCode.startsWith(r.regionCode))))
      .sort(compareRules);
  }, [rules, edition, filter, regions]);

  const openForm = async (r: DispatchRule | 'new') => {
    setFormError(null);
    let region: number[] | undefined;
    if (r !== 'new' && r.regionCode) {
      const path = regionPath(regions, r.regionCode);
      const street = path[1];
      if (r.regionLevel === 'grid' && street && !street.children) {
        try {
          street.children = await loadGrids(street);
          setRegions((cur) => [...cur]);
        } catch (err) {
          fail(err);
        }
      }
      region = regionPath(regions, r.regionCode).map((o) => o.value);
    }
    setEditing(r);
    // The form mounts with the modal, so the values are its initial values.
    setInitial(
      r === 'new'
        ? { name: '', cls: undefined, region: undefined, ownerDepartmentId: null, departmentId: undefined, priority: 0, enabled: true }
        : {
            name: r.name,
            cls: r.kind && r.classCode ? `${r.kind}:${r.classCode}` : undefined,
            region,
            ownerDepartmentId: r.ownerDepartmentId,
            departmentId: r.departmentId,
            priority: r.priority,
            enabled: r.enabled,
          },
    );
  };

  // The modal's form mounts on open; fill it once it is there (the form store outlives it).
  useEffect(() => {
    if (editing !== null) form.setFieldsValue(initial);
  }, [editing, initial, form]);

  const runTest = useCallback(
    async (cls = testCls, at = pin) => {
      if (!cls || !at) return;
      const [kind, classCode] = cls.split(':');
      setTesting(true);
      setTestError(null);
      try {
        setResult(await api.post<TestResult>('/api/dispatch/test', { lng: at[0], lat: at[1], kind, classCode }));
      } catch (err) {
        setResult(null);
        setTestError(err instanceof ApiError ? err.message : String(err));
      } finally {
        setTesting(false);
      }
    },
    [testCls, pin],
  );

  /** After any change to the rules, the test answer may have changed too. */
  const afterChange = async () => {
    await loadRules();
    await runTest();
  };

  const handleSave = async () => {
    // A refused field shows its own message in the form; nothing is sent.
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const [kind, classCode] = v.cls ? v.cls.split(':') : [null, null];
    const body = {
      name: v.name?.trim() ?? '',
      edition: classCode ? edition : null,
      kind,
      classCode,
      regionId: v.region?.length ? (v.region[v.region.length - 1] ?? null) : null,
      ownerDepartmentId: v.ownerDepartmentId ?? null,
      departmentId: v.departmentId,
      priority: v.priority ?? 0,
      enabled: v.enabled,
    };
    setSaving(true);
    setFormError(null);
    try {
      if (editing === 'new') {
        const created = await api.post<DispatchRule>('/api/dispatch/rules', body);
        message.success(t('dispatchRules.created', { id: created.id }));
      } else if (editing) {
        await request(`/api/dispatch/rules/${editing.id}`, { method: 'PATCH', body });
        message.success(t('dispatchRules.saved'));
      }
      setEditing(null);
      await afterChange();
    } catch (err) {
      if (err instanceof ApiError) {
        setFormError(err);
        const field = FIELD_OF_ERROR[err.code];
        if (field) form.setFields([{ name: field, errors: [err.message] }]);
      } else fail(err);
    } finally {
      setSaving(false);
    }
  };

  const handleEnable = async (r: DispatchRule, enabled: boolean) => {
    try {
      if (enabled) await request(`/api/dispatch/rules/${r.id}`, { method: 'PATCH', body: { enabled: true } });
      else await request(`/api/dispatch/rules/${r.id}`, { method: 'DELETE' });
      message.success(enabled ? t('dispatchRules.enabledMsg', { id: r.id }) : t('dispatchRules.disabledMsg', { id: r.id }));
      await afterChange();
    } catch (err) {
      fail(err);
    }
  };

  const handleFallback = async (v: boolean) => {
    try {
      const s = await request<{ streetFallback: boolean }>('/api/dispatch/settings', { method: 'PATCH', body: { streetFallback: v } });
      setStreetFallback(s.streetFallback);
      await runTest();
    } catch (err) {
      fail(err);
    }
  };

  const searchAddress = (q: string) => {
    setAddress(q);
    window.clearTimeout(timer.current);
    if (!q.trim()) {
      setHits([]);
      return;
    }
    timer.current = window.setTimeout(() => {
      const seq = ++searchSeq.current;
      api
        .get<GeocodeHit[]>('/api/geocode', { q: q.trim(), limit: 8 })
        .then((h) => seq === searchSeq.current && setHits(h))
        .catch(() => seq === searchSeq.current && setHits([]));
    }, 200);
  };

  /** The matched rule in the table: the table narrows to the tested class, where the rule is highlighted. */
  const handleShowRule = (id: number | undefined) => {
    setFilter({ cls: testCls });
    window.setTimeout(() => document.querySelector(`[data-testid="dr-row-${id}"]`)?.scrollIntoView({ block: 'center' }), 100);
  };

  /** A click on the map: the typed address no longer describes the pin. */
  const handleMapPick = (at: [number, number]) => {
    setAddress('');
    handlePick(at);
  };

  const handlePick = (at: [number, number]) => {
    setPin(at);
    void runTest(testCls, at);
  };

  const levelTag = (r: DispatchRule) => {
    const s = specificity(r);
    return (
      <Space size={[0, 4]} wrap>
        <Tag color={['default', 'purple', 'blue', 'cyan'][s.region]}>{t(`dispatchRules.regionRank.${s.region}`)}</Tag>
        <Tag>{t(`dispatchRules.classRank.${s.class}`)}</Tag>
        {s.owner > 0 && <Tag color="gold">{t('dispatchRules.ownerRank')}</Tag>}
        {r.priority !== 0 && <Tag color="magenta">{t('dispatchRules.priorityTag', { priority: r.priority })}</Tag>}
      </Space>
    );
  };

  const matchedId = result?.suggestion.kind === 'department' ? (result.suggestion.rule?.id ?? null) : null;
  const suggestion = result?.suggestion;
  const viaLabel = (via: Candidate['via']) => t(`dispatchRules.via.${via}`);

  return (
    <div className="cl-page-scroll">
      <Space direction="vertical" size="middle" style={{ width: '100%', padding: 16 }} data-testid="dispatch-rules-page">
        <Breadcrumb items={[{ title: t('dispatchRules.section') }, { title: t('dispatchRules.nav') }]} />
        <Card
          title={t('dispatchRules.title')}
          extra={
            <Space>
              <Button icon={<ReloadOutlined />} onClick={() => void loadRules()} aria-label={t('dispatchRules.refresh')} />
              <Button type="primary" icon={<PlusOutlined />} onClick={() => void openForm('new')} data-testid="dr-new">
                {t('dispatchRules.new')}
              </Button>
            </Space>
          }
        >
          <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>
            {t('dispatchRules.orderHelp')}
          </Typography.Paragraph>
          <Space wrap style={{ marginBottom: 12 }} data-testid="dr-filters">
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              placeholder={t('dispatchRules.filterDepartment')}
              style={{ width: 240 }}
              value={filter.departmentId}
              onChange={(v) => setFilter((f) => ({ ...f, departmentId: v }))}
              options={disposalDepartments}
              data-testid="dr-filter-department"
            />
            <TreeSelect
              allowClear
              showSearch={{ treeNodeFilterProp: 'title' }}
              placeholder={t('dispatchRules.filterClass')}
              style={{ width: 260 }}
              value={filter.cls}
              onChange={(v) => setFilter((f) => ({ ...f, cls: v }))}
              treeData={classTree}
              popupMatchSelectWidth={360}
              data-testid="dr-filter-class"
            />
            <Cascader<RegionOption>
              changeOnSelect
              placeholder={t('dispatchRules.filterRegion')}
              style={{ width: 280 }}
              options={regions}
              loadData={(s) => void handleLoadGrids(s)}
              value={filter.region}
              onChange={(v) => setFilter((f) => ({ ...f, region: v?.length ? (v as number[]) : undefined }))}
              data-testid="dr-filter-region"
            />
            <Typography.Text type="secondary" data-testid="dr-count">
              {t('dispatchRules.count', { shown: shown.length, total: rules.length })}
            </Typography.Text>
          </Space>
          <Table<DispatchRule>
            rowKey="id"
            size="small"
            loading={loading}
            dataSource={shown}
            pagination={{ defaultPageSize: 10, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100] }}
            locale={{ emptyText: t('dispatchRules.none') }}
            rowClassName={(r) => [r.id === matchedId ? 'cl-dr-row-hit' : '', r.enabled ? '' : 'cl-dr-row-off'].join(' ')}
            onRow={(r) => ({ 'data-testid': `dr-row-${r.id}` }) as React.HTMLAttributes<HTMLElement>}
            data-testid="dr-table"
            columns={[
              { title: '#', dataIndex: 'id', width: 60 },
              { title: t('dispatchRules.name'), dataIndex: 'name', ellipsis: true },
              {
                title: t('dispatchRules.class'),
                width: 230,
                ellipsis: true,
                render: (_, r) =>
                  r.classCode ? (
                    <span>
                      {r.kind && <Tag>{t(`kinds.${r.kind}`)}</Tag>}
                      <Typography.Text code>{r.classCode}</Typography.Text> {r.className ?? ''}
                    </span>
                  ) : (
                    <Tag>{t('dispatchRules.anyClass')}</Tag>
                  ),
              },
              {
                title: t('dispatchRules.region'),
                width: 190,
                ellipsis: true,
                render: (_, r) =>
                  r.regionId ? (
                    <span>
                      {r.regionName} <Typography.Text type="secondary">{r.regionCode}</Typography.Text>
                    </span>
                  ) : (
                    <Tag>{t('dispatchRules.cityWide')}</Tag>
                  ),
              },
              {
                title: t('dispatchRules.owner'),
                width: 110,
                render: (_, r) => (r.ownerDepartmentId ? r.ownerName : <Typography.Text type="secondary">—</Typography.Text>),
              },
              {
                title: t('dispatchRules.department'),
                width: 150,
                render: (_, r) => (
                  <span>
                    {r.departmentName}
                    {!r.departmentActive && (
                      <Tag color="error" style={{ marginInlineStart: 4 }}>
                        {t('dispatchRules.departmentInactive')}
                      </Tag>
                    )}
                  </span>
                ),
              },
              { title: t('dispatchRules.specificity'), width: 200, render: (_, r) => levelTag(r) },
              {
                title: t('dispatchRules.enabled'),
                dataIndex: 'enabled',
                width: 60,
                render: (enabled: boolean, r) => (
                  <Switch size="small" checked={enabled} onChange={(v) => void handleEnable(r, v)} data-testid={`dr-enabled-${r.id}`} />
                ),
              },
              {
                title: '',
                width: 110,
                render: (_, r) => (
                  <Space size={0}>
                    <Button type="link" size="small" onClick={() => void openForm(r)} data-testid={`dr-edit-${r.id}`}>
                      {t('dispatchRules.edit')}
                    </Button>
                    {r.enabled && (
                      <Popconfirm title={t('dispatchRules.disableConfirm')} onConfirm={() => void handleEnable(r, false)}>
                        <Button type="link" size="small" danger data-testid={`dr-disable-${r.id}`}>
                          {t('dispatchRules.disable')}
                        </Button>
                      </Popconfirm>
                    )}
                  </Space>
                ),
              },
            ]}
          />
        </Card>

        <Card
          title={t('dispatchRules.testTitle')}
          data-testid="dr-test"
          extra={
            streetFallback !== null && (
              <Space>
                <Typography.Text type="secondary">{t('dispatchRules.streetFallback')}</Typography.Text>
                <Switch size="small" checked={streetFallback} onChange={(v) => void handleFallback(v)} data-testid="dr-street-fallback" />
              </Space>
            )
          }
        >
          <Row gutter={16}>
            <Col xs={24} lg={12}>
              <Space direction="vertical" style={{ width: '100%' }}>
                <TreeSelect
                  showSearch={{ treeNodeFilterProp: 'title' }}
                  placeholder={t('dispatchRules.testClass')}
                  style={{ width: '100%' }}
                  value={testCls}
                  onChange={(v) => {
                    setTestCls(v);
                    void runTest(v, pin);
                  }}
                  treeData={classTree}
                  data-testid="dr-test-class"
                />
                <AutoComplete
                  style={{ width: '100%' }}
                  value={address}
                  options={hits.map((h) => ({
                    value: h.fullAddress,
                    label: <span data-testid={`dr-geocode-hit-${h.id}`}>{h.fullAddress}</span>,
                    key: String(h.id),
                  }))}
                  onSearch={searchAddress}
                  onChange={setAddress}
                  onSelect={(value: string) => {
                    const h = hits.find((x) => x.fullAddress === value);
                    if (h) handlePick([h.lng, h.lat]);
                  }}
                  placeholder={t('dispatchRules.testAddress')}
                  data-testid="dr-test-address"
                />
                <div className="cl-dr-map">
                  <div className="cl-dr-map-hint">
                    <AimOutlined /> {t('dispatchRules.mapHint')}
                  </div>
                  <CaseMap points={[]} pin={pin} onPick={handleMapPick} testId="dr-test-map" />
                </div>
                <Space>
                  <Button
                    type="primary"
                    loading={testing}
                    disabled={!testCls || !pin}
                    onClick={() => void runTest()}
                    data-testid="dr-test-run"
                  >
                    {t('dispatchRules.testRun')}
                  </Button>
                  <Typography.Text type="secondary" data-testid="dr-test-pin">
                    {pin ? `${pin[0].toFixed(6)}, ${pin[1].toFixed(6)}` : t('dispatchRules.noPin')}
                  </Typography.Text>
                </Space>
              </Space>
            </Col>
            <Col xs={24} lg={12}>
              {testError && <Alert type="error" showIcon title={testError} data-testid="dr-test-error" />}
              {!testError && !result && <Alert type="info" title={t('dispatchRules.testEmpty')} />}
              {!testError && result && suggestion && (
                <Space direction="vertical" style={{ width: '100%' }} data-testid="dr-test-result">
                  {suggestion.kind === 'department' ? (
                    <Alert
                      type="success"
                      showIcon
                      title={
                        <Space wrap>
                          <Typography.Text strong style={{ fontSize: 16 }} data-testid="dr-test-department">
                            {suggestion.department.name}
                          </Typography.Text>
                          <Tag color="blue">{viaLabel(suggestion.via)}</Tag>
                        </Space>
                      }
                      description={<span data-testid="dr-test-explanation">{localizeMessage(suggestion.explanation)}</span>}
                    />
                  ) : (
                    <Alert
                      type="warning"
                      showIcon
                      title={
                        <Typography.Text strong style={{ fontSize: 16 }} data-testid="dr-test-department">
                          {t(`dispatchRules.coordination.${suggestion.reason}`)}
                        </Typography.Text>
                      }
                      description={<span data-testid="dr-test-explanation">{localizeMessage(suggestion.explanation)}</span>}
                    />
                  )}
                  <Descriptions size="small" column={1} bordered>
                    <Descriptions.Item label={t('dispatchRules.testMatched')}>
                      <span data-testid="dr-test-rule">
                        {suggestion.kind === 'department' && suggestion.rule ? (
                          <Button type="link" size="small" style={{ padding: 0 }} onClick={() => handleShowRule(suggestion.rule?.id)}>
                            #{suggestion.rule.id} {suggestion.rule.name}
                          </Button>
                        ) : (
                          t('dispatchRules.noRuleMatched')
                        )}
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('dispatchRules.testClassLabel')}>
                      {result.class.code} {result.class.name}
                    </Descriptions.Item>
                    <Descriptions.Item label={t('dispatchRules.testPlace')}>
                      <span data-testid="dr-test-place">
                        {[result.location.district?.name, result.location.street?.name, result.location.grid.name]
                          .filter(Boolean)
                          .join(' / ')}
                        <Typography.Text type="secondary"> {result.location.grid.code}</Typography.Text>
                      </span>
                    </Descriptions.Item>
                    {(suggestion.kind === 'department' ? suggestion.alternatives : suggestion.candidates).length > 0 && (
                      <Descriptions.Item
                        label={suggestion.kind === 'department' ? t('dispatchRules.alternatives') : t('dispatchRules.candidates')}
                      >
                        <Space direction="vertical" size={2}>
                          {(suggestion.kind === 'department' ? suggestion.alternatives : suggestion.candidates).map((c) => (
                            <span key={`${c.via}-${c.department.id}`}>
                              {c.department.name} <Tag>{viaLabel(c.via)}</Tag>
                              <Typography.Text type="secondary">{c.rule ? `#${c.rule.id}` : ''}</Typography.Text>
                            </span>
                          ))}
                        </Space>
                      </Descriptions.Item>
                    )}
                  </Descriptions>
                </Space>
              )}
            </Col>
          </Row>
        </Card>

        <Modal
          open={editing !== null}
          title={editing === 'new' ? t('dispatchRules.new') : t('dispatchRules.editTitle', { id: editing?.id })}
          onCancel={() => setEditing(null)}
          onOk={() => void handleSave()}
          okText={t('dispatchRules.save')}
          okButtonProps={{ 'data-testid': 'dr-save' } as Record<string, string>}
          confirmLoading={saving}
          destroyOnHidden
          width={600}
        >
          {formError && (
            <Alert
              type="error"
              showIcon
              style={{ marginBottom: 12 }}
              title={formError.message}
              description={<Typography.Text type="secondary">{formError.code}</Typography.Text>}
              data-testid="dr-form-error"
            />
          )}
          <Form form={form} layout="vertical" preserve={false} initialValues={initial} data-testid="dr-form">
            <Form.Item name="name" label={t('dispatchRules.name')} rules={[{ max: 200 }]}>
              <Input placeholder={t('dispatchRules.namePlaceholder')} />
            </Form.Item>
            <Form.Item name="cls" label={t('dispatchRules.class')} extra={t('dispatchRules.classHelp')}>
              <TreeSelect
                allowClear
                showSearch={{ treeNodeFilterProp: 'title' }}
                treeData={classTree}
                placeholder={t('dispatchRules.anyClass')}
                data-testid="dr-form-class"
              />
            </Form.Item>
            <Form.Item name="region" label={t('dispatchRules.region')} extra={t('dispatchRules.regionHelp')}>
              <Cascader<RegionOption>
                changeOnSelect
                options={regions}
                loadData={(s) => void handleLoadGrids(s)}
                placeholder={t('dispatchRules.cityWide')}
                showSearch={{ filter: (input, path) => path.some((o) => o.label.includes(input) || o.code.startsWith(input)) }}
                data-testid="dr-form-region"
              />
            </Form.Item>
            <Form.Item name="ownerDepartmentId" label={t('dispatchRules.owner')} extra={t('dispatchRules.ownerHelp')}>
              <Select allowClear showSearch optionFilterProp="label" options={disposalDepartments} placeholder="—" />
            </Form.Item>
            <Form.Item
              name="departmentId"
              label={t('dispatchRules.department')}
              rules={[{ required: true, message: t('dispatchRules.departmentRequired') }]}
            >
              <Select showSearch optionFilterProp="label" options={disposalDepartments} data-testid="dr-form-department" />
            </Form.Item>
            <Space size="large">
              <Form.Item name="priority" label={t('dispatchRules.priority')} extra={t('dispatchRules.priorityHelp')}>
                <InputNumber min={-1000} max={1000} />
              </Form.Item>
              <Form.Item name="enabled" label={t('dispatchRules.enabled')} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Space>
          </Form>
        </Modal>
      </Space>
    </div>
  );
}

/** The code of the last region of a cascader path. */
function codeOf(options: RegionOption[], ids: number[]): string | null {
  let level: RegionOption[] | undefined = options;
  let code: string | null = null;
  for (const id of ids) {
    const hit: RegionOption | undefined = level?.find((o) => o.value === id);
    if (!hit) return code;
    code = hit.code;
    level = hit.children;
  }
  return code;
}
