import { MinusCircleOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { ROLES } from '@cityloop/shared';
import {
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  type FormInstance,
  Input,
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
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ApiError, api, request } from '../../api.ts';
import type { RegionNode } from '../../types.ts';
import { FormError, MaintPage, showApiError } from './adminUtil.tsx';
import './maint.css';

export interface Department {
  id: number;
  code: string;
  name: string;
  shortName: string | null;
  level: 'city' | 'district' | 'street';
  kind: 'execution' | 'support' | 'centre';
  parentId: number | null;
  regionId: number | null;
  phone: string | null;
  active: boolean;
}

interface DeptRow extends Department {
  children?: DeptRow[];
}

interface PersonRow {
  id: number;
  username: string;
  name: string;
  phone: string | null;
  departmentId: number | null;
  departmentName: string | null;
  active: boolean;
  roles: string[];
}

interface Grant {
  role: string;
  scopeRegionId?: number | null;
  scopeDepartmentId?: number | null;
}

interface DeptForm {
  code?: string;
  name: string;
  shortName?: string | null;
  level?: Department['level'];
  kind: Department['kind'];
  parentId?: number | null;
  regionId?: number | null;
  phone?: string | null;
  active?: boolean;
}

interface PersonForm {
  username?: string;
  name: string;
  phone?: string | null;
  departmentId?: number | null;
  password?: string;
  active?: boolean;
  roles: Grant[];
}

const LEVEL_COLOR: Record<string, string> = { city: 'blue', district: 'purple', street: 'cyan' };
const KIND_COLOR: Record<string, string> = { execution: 'green', support: 'gold', centre: 'magenta' };
/** Roles a person may be given here (API keys hold `machine`). */
const PERSON_ROLES = ROLES.filter((r) => r !== 'machine');

const DEPT_FIELDS: Record<string, string> = {
  department_code_taken: 'code',
  department_not_found: 'parentId',
  region_not_found: 'regionId',
};
const PERSON_FIELDS: Record<string, string> = {
  username_taken: 'username',
  department_not_found: 'departmentId',
  role_unknown: 'roles',
};

/** Departments as a tree by parent (roots: no parent, or a parent filtered away). */
function deptTree(list: Department[]): DeptRow[] {
  const ids = new Set(list.map((d) => d.id));
  const kids = new Map<number, DeptRow[]>();
  const roots: DeptRow[] = [];
  const levelRank = { city: 0, district: 1, street: 2 };
  const sorted = [...list].sort((a, b) => levelRank[a.level] - levelRank[b.level] || a.code.localeCompare(b.code));
  const rows = sorted.map((d) => ({ ...d }) as DeptRow);
  for (const r of rows) {
    if (r.parentId !== null && ids.has(r.parentId)) {
      const arr = kids.get(r.parentId) ?? [];
      arr.push(r);
      kids.set(r.parentId, arr);
    } else roots.push(r);
  }
  for (const r of rows) {
    const c = kids.get(r.id);
    if (c) r.children = c;
  }
  return roots;
}

/** District and street options (the scopes a role can be limited to). */
function regionOptions(tree: RegionNode[]) {
  return tree.map((d) => ({
    value: d.id,
    title: d.name,
    children: (d.children ?? []).filter((s) => s.level === 'street').map((s) => ({ value: s.id, title: s.name })),
  }));
}

/** 应用维护 → 部门与人员: departments (city/district/street, kind, parent, active) and people with roles and scopes. */
/**
 * Fills a dialog's form with what it opens on. The dialog's fields may mount more than once as it
 * opens (so the forms keep their values: with `preserve={false}` a role row's value was dropped on
 * the way and a new person opened without the default role); what an earlier opening left is reset
 * first. Nothing the user has typed already is overwritten, when a quick hand gets there first.
 */
function fillForm<T extends object>(form: FormInstance<T>, values: T): void {
  if (form.isFieldsTouched()) return;
  form.resetFields();
  form.setFieldsValue(values as Parameters<FormInstance<T>['setFieldsValue']>[0]);
}

export default function OrgsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [departments, setDepartments] = useState<Department[]>([]);
  const [people, setPeople] = useState<PersonRow[]>([]);
  const [regions, setRegions] = useState<RegionNode[]>([]);
  const [loadingD, setLoadingD] = useState(false);
  const [loadingP, setLoadingP] = useState(false);
  const [deptFilter, setDeptFilter] = useState<{ level?: string; q: string; inactive: boolean }>({ q: '', inactive: true });
  const [selectedDept, setSelectedDept] = useState<number | null>(null);
  const [personFilter, setPersonFilter] = useState<{ role?: string; q: string }>({ q: '' });

  const [editDept, setEditDept] = useState<Department | 'new' | null>(null);
  const [deptForm] = Form.useForm<DeptForm>();
  const [deptError, setDeptError] = useState<ApiError | null>(null);
  const [editPerson, setEditPerson] = useState<number | 'new' | null>(null);
  const [personForm] = Form.useForm<PersonForm>();
  const [personError, setPersonError] = useState<ApiError | null>(null);
  const [personInitial, setPersonInitial] = useState<PersonForm | null>(null);
  const [saving, setSaving] = useState(false);

  const fail = useCallback((err: unknown) => message.error(err instanceof Error ? err.message : String(err)), [message]);

  const loadDepartments = useCallback(async () => {
    setLoadingD(true);
    try {
      setDepartments(await api.get<Department[]>('/api/departments'));
    } catch (err) {
      fail(err);
    } finally {
      setLoadingD(false);
    }
  }, [fail]);

  const loadPeople = useCallback(async () => {
    setLoadingP(true);
    try {
      const all: PersonRow[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await api.get<PersonRow[]>('/api/people', { limit: 1000, offset });
        all.push(...page);
        if (page.length < 1000) break;
      }
      setPeople(all);
    } catch (err) {
      fail(err);
    } finally {
      setLoadingP(false);
    }
  }, [fail]);

  useEffect(() => {
    void loadDepartments();
    void loadPeople();
    api
      .get<RegionNode[]>('/api/regions/tree')
      .then(setRegions)
      .catch(() => {});
  }, [loadDepartments, loadPeople]);

  const byId = useMemo(() => new Map(departments.map((d) => [d.id, d])), [departments]);
  const regionTree = useMemo(() => regionOptions(regions), [regions]);

  const shownDepts = useMemo(() => {
    const q = deptFilter.q.trim();
    const list = departments.filter(
      (d) =>
        (deptFilter.inactive || d.active) &&
        (!deptFilter.level || d.level === deptFilter.level) &&
        (!q || d.name.includes(q) || d.code.startsWith(q) || (d.shortName ?? '').includes(q)),
    );
    return q || deptFilter.level ? list.map((d) => ({ ...d }) as DeptRow) : deptTree(list);
  }, [departments, deptFilter]);

  const shownPeople = useMemo(() => {
    const q = personFilter.q.trim();
    return people.filter(
      (p) =>
        (selectedDept === null || p.departmentId === selectedDept) &&
        (!personFilter.role || p.roles.includes(personFilter.role)) &&
        (!q || p.name.includes(q) || p.username.includes(q) || (p.phone ?? '').includes(q)),
    );
  }, [people, personFilter, selectedDept]);

  const deptOptions = useMemo(
    () => departments.map((d) => ({ value: d.id, label: `${d.name}${d.active ? '' : `（${t('maint.inactive')}）`}` })),
    [departments, t],
  );

  // --- departments ------------------------------------------------------------------

  const openDept = (d: Department | 'new') => {
    setDeptError(null);
    setEditDept(d);
  };
  // The modal's form mounts with it: its values are both initial values and set once it is there.
  const deptInitial = useMemo<DeptForm | undefined>(
    () =>
      editDept === null
        ? undefined
        : editDept === 'new'
          ? { code: '', name: '', shortName: null, level: 'district', kind: 'execution', parentId: null, regionId: null, phone: null }
          : { ...editDept },
    [editDept],
  );
  useEffect(() => {
    if (deptInitial) fillForm(deptForm, deptInitial);
  }, [deptInitial, deptForm]);

  const handleSaveDept = async () => {
    const v = await deptForm.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    setDeptError(null);
    const common = {
      name: v.name.trim(),
      shortName: v.shortName?.trim() || null,
      kind: v.kind,
      parentId: v.parentId ?? null,
      regionId: v.regionId ?? null,
      phone: v.phone?.trim() || null,
    };
    try {
      if (editDept === 'new') {
        const d = await api.post<Department>('/api/departments', { ...common, code: v.code?.trim(), level: v.level });
        message.success(t('maint.orgs.deptCreated', { name: d.name }));
        // The new department is shown (it may sit on a later page of the tree).
        setDeptFilter((f) => ({ ...f, q: d.code }));
      } else if (editDept) {
        await request(`/api/departments/${editDept.id}`, { method: 'PATCH', body: { ...common, active: v.active } });
        message.success(t('maint.saved'));
      }
      setEditDept(null);
      await loadDepartments();
    } catch (err) {
      setDeptError(showApiError(deptForm, err, DEPT_FIELDS));
    } finally {
      setSaving(false);
    }
  };

  const handleDeptActive = async (d: Department, active: boolean) => {
    try {
      await request(`/api/departments/${d.id}`, { method: 'PATCH', body: { active } });
      message.success(active ? t('maint.enabledMsg', { name: d.name }) : t('maint.disabledMsg', { name: d.name }));
      await loadDepartments();
    } catch (err) {
      fail(err);
    }
  };

  // --- people -----------------------------------------------------------------------

  const openPerson = async (id: number | 'new') => {
    setPersonError(null);
    if (id === 'new') {
      setPersonInitial({ username: '', name: '', phone: null, departmentId: selectedDept, password: '', roles: [{ role: 'handler' }] });
    } else {
      try {
        const p = await api.get<{ name: string; phone: string | null; departmentId: number | null; active: boolean; roles: Grant[] }>(
          `/api/people/${id}`,
        );
        setPersonInitial({ name: p.name, phone: p.phone, departmentId: p.departmentId, active: p.active, roles: p.roles });
      } catch (err) {
        fail(err);
        return;
      }
    }
    setEditPerson(id);
  };
  useEffect(() => {
    if (editPerson !== null && personInitial) fillForm(personForm, personInitial);
  }, [editPerson, personInitial, personForm]);

  const handleSavePerson = async () => {
    const v = await personForm.validateFields().catch(() => null);
    if (!v) return;
    const roles = (v.roles ?? []).map((g) => ({
      role: g.role,
      scopeRegionId: g.scopeRegionId ?? null,
      scopeDepartmentId: g.scopeDepartmentId ?? null,
    }));
    const body: Record<string, unknown> = {
      name: v.name.trim(),
      phone: v.phone?.trim() || null,
      departmentId: v.departmentId ?? null,
      roles,
    };
    if (v.password) body.password = v.password;
    setSaving(true);
    setPersonError(null);
    try {
      if (editPerson === 'new') {
        const p = await api.post<{ id: number; name: string; username: string }>('/api/people', { ...body, username: v.username?.trim() });
        message.success(t('maint.orgs.personCreated', { name: p.name }));
        setSelectedDept(null);
        setPersonFilter((f) => ({ ...f, q: p.username }));
      } else if (editPerson !== null) {
        await request(`/api/people/${editPerson}`, { method: 'PATCH', body: { ...body, active: v.active } });
        message.success(t('maint.saved'));
      }
      setEditPerson(null);
      await loadPeople();
    } catch (err) {
      setPersonError(showApiError(personForm, err, PERSON_FIELDS));
    } finally {
      setSaving(false);
    }
  };

  const handlePersonActive = async (p: PersonRow, active: boolean) => {
    try {
      await request(`/api/people/${p.id}`, { method: 'PATCH', body: { active } });
      message.success(active ? t('maint.enabledMsg', { name: p.name }) : t('maint.disabledMsg', { name: p.name }));
      await loadPeople();
    } catch (err) {
      fail(err);
    }
  };

  const levelTag = (level: string) => <Tag color={LEVEL_COLOR[level]}>{t(`maint.orgs.levels.${level}`)}</Tag>;
  const kindTag = (kind: string) => <Tag color={KIND_COLOR[kind]}>{t(`maint.orgs.kinds.${kind}`)}</Tag>;
  const selected = selectedDept === null ? null : byId.get(selectedDept);

  return (
    <MaintPage title={t('maint.orgs.nav')} testId="orgs-page">
      <Row gutter={16}>
        <Col xs={24} xl={11}>
          <Card
            title={t('maint.orgs.departments')}
            extra={
              <Space>
                <Button icon={<ReloadOutlined />} onClick={() => void loadDepartments()} aria-label={t('maint.refresh')} />
                <Button type="primary" icon={<PlusOutlined />} onClick={() => openDept('new')} data-testid="dept-new">
                  {t('maint.orgs.newDept')}
                </Button>
              </Space>
            }
          >
            <Space wrap style={{ marginBottom: 12 }}>
              <Input.Search
                allowClear
                placeholder={t('maint.orgs.searchDept')}
                style={{ width: 200 }}
                value={deptFilter.q}
                onChange={(e) => setDeptFilter((f) => ({ ...f, q: e.target.value }))}
                data-testid="dept-search"
              />
              <Select
                allowClear
                placeholder={t('maint.orgs.level')}
                style={{ width: 110 }}
                value={deptFilter.level}
                onChange={(level) => setDeptFilter((f) => ({ ...f, level }))}
                options={['city', 'district', 'street'].map((l) => ({ value: l, label: t(`maint.orgs.levels.${l}`) }))}
              />
              <Checkbox checked={deptFilter.inactive} onChange={(e) => setDeptFilter((f) => ({ ...f, inactive: e.target.checked }))}>
                {t('maint.showInactive')}
              </Checkbox>
            </Space>
            <Table<DeptRow>
              rowKey="id"
              size="small"
              loading={loadingD}
              dataSource={shownDepts}
              pagination={{ defaultPageSize: 20, showSizeChanger: false, size: 'small' }}
              rowClassName={(d) => [d.id === selectedDept ? 'cl-maint-row-selected' : '', d.active ? '' : 'cl-maint-row-off'].join(' ')}
              onRow={(d) =>
                ({
                  onClick: () => setSelectedDept((cur) => (cur === d.id ? null : d.id)),
                  'data-testid': `dept-row-${d.code}`,
                  style: { cursor: 'pointer' },
                }) as React.HTMLAttributes<HTMLElement>
              }
              data-testid="dept-table"
              columns={[
                {
                  title: t('maint.orgs.name'),
                  render: (_, d) => (
                    <span>
                      {d.shortName || d.name}{' '}
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {d.code}
                      </Typography.Text>
                    </span>
                  ),
                },
                { title: t('maint.orgs.level'), dataIndex: 'level', width: 70, render: levelTag },
                { title: t('maint.orgs.kind'), dataIndex: 'kind', width: 90, render: kindTag },
                {
                  title: t('maint.active'),
                  dataIndex: 'active',
                  width: 60,
                  render: (active: boolean, d) => (
                    <Switch
                      onClick={(_, e) => e.stopPropagation()}
                      size="small"
                      checked={active}
                      onChange={(v) => void handleDeptActive(d, v)}
                      data-testid={`dept-active-${d.code}`}
                    />
                  ),
                },
                {
                  title: '',
                  width: 60,
                  render: (_, d) => (
                    <Button
                      type="link"
                      size="small"
                      onClick={(e) => {
                        e.stopPropagation();
                        openDept(d);
                      }}
                      data-testid={`dept-edit-${d.code}`}
                    >
                      {t('maint.edit')}
                    </Button>
                  ),
                },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={13}>
          <Card
            title={
              <Space>
                {t('maint.orgs.people')}
                {selected && (
                  <Tag closable onClose={() => setSelectedDept(null)} color="blue" data-testid="people-dept-filter">
                    {selected.name}
                  </Tag>
                )}
              </Space>
            }
            extra={
              <Space>
                <Button icon={<ReloadOutlined />} onClick={() => void loadPeople()} aria-label={t('maint.refresh')} />
                <Button type="primary" icon={<PlusOutlined />} onClick={() => void openPerson('new')} data-testid="person-new">
                  {t('maint.orgs.newPerson')}
                </Button>
              </Space>
            }
          >
            <Space wrap style={{ marginBottom: 12 }}>
              <Input.Search
                allowClear
                placeholder={t('maint.orgs.searchPerson')}
                style={{ width: 200 }}
                value={personFilter.q}
                onChange={(e) => setPersonFilter((f) => ({ ...f, q: e.target.value }))}
                data-testid="person-search"
              />
              <Select
                allowClear
                placeholder={t('maint.orgs.role')}
                style={{ width: 130 }}
                value={personFilter.role}
                onChange={(role) => setPersonFilter((f) => ({ ...f, role }))}
                options={PERSON_ROLES.map((r) => ({ value: r, label: t(`roles.${r}`, { defaultValue: r }) }))}
              />
              <Typography.Text type="secondary">{t('maint.count', { shown: shownPeople.length, total: people.length })}</Typography.Text>
            </Space>
            <Table<PersonRow>
              rowKey="id"
              size="small"
              loading={loadingP}
              dataSource={shownPeople}
              pagination={{ defaultPageSize: 20, showSizeChanger: false, size: 'small' }}
              rowClassName={(p) => (p.active ? '' : 'cl-maint-row-off')}
              onRow={(p) => ({ 'data-testid': `person-row-${p.username}` }) as React.HTMLAttributes<HTMLElement>}
              data-testid="person-table"
              columns={[
                { title: t('maint.orgs.username'), dataIndex: 'username', width: 120, ellipsis: true },
                { title: t('maint.orgs.personName'), dataIndex: 'name', width: 90 },
                {
                  title: t('maint.orgs.department'),
                  dataIndex: 'departmentName',
                  ellipsis: true,
                  render: (v: string | null, p) => (p.departmentId ? byId.get(p.departmentId)?.shortName || v : '—'),
                },
                {
                  title: t('maint.orgs.roles'),
                  dataIndex: 'roles',
                  render: (roles: string[]) => (
                    <Space size={[0, 4]} wrap>
                      {roles.map((r) => (
                        <Tag key={r}>{t(`roles.${r}`, { defaultValue: r })}</Tag>
                      ))}
                    </Space>
                  ),
                },
                {
                  title: t('maint.active'),
                  dataIndex: 'active',
                  width: 60,
                  render: (active: boolean) =>
                    active ? <Tag color="success">{t('maint.on')}</Tag> : <Tag color="default">{t('maint.off')}</Tag>,
                },
                {
                  title: '',
                  width: 110,
                  render: (_, p) => (
                    <Space size={0}>
                      <Button type="link" size="small" onClick={() => void openPerson(p.id)} data-testid={`person-edit-${p.username}`}>
                        {t('maint.edit')}
                      </Button>
                      {p.active ? (
                        <Popconfirm title={t('maint.orgs.disablePersonConfirm')} onConfirm={() => void handlePersonActive(p, false)}>
                          <Button type="link" size="small" danger data-testid={`person-disable-${p.username}`}>
                            {t('maint.disable')}
                          </Button>
                        </Popconfirm>
                      ) : (
                        <Button type="link" size="small" onClick={() => void handlePersonActive(p, true)}>
                          {t('maint.enable')}
                        </Button>
                      )}
                    </Space>
                  ),
                },
              ]}
            />
          </Card>
        </Col>
      </Row>

      <Modal
        open={editDept !== null}
        title={editDept === 'new' ? t('maint.orgs.newDept') : t('maint.orgs.editDept', { name: editDept?.name })}
        onCancel={() => setEditDept(null)}
        onOk={() => void handleSaveDept()}
        okText={t('maint.save')}
        okButtonProps={{ 'data-testid': 'dept-save' } as Record<string, string>}
        confirmLoading={saving}
        destroyOnHidden
        width={560}
      >
        <FormError error={deptError} testId="dept-form-error" />
        <Form form={deptForm} layout="vertical" initialValues={deptInitial} data-testid="dept-form">
          <Row gutter={12}>
            <Col span={10}>
              <Form.Item
                name="code"
                label={t('maint.orgs.code')}
                rules={[
                  { required: editDept === 'new', message: t('maint.required') },
                  { pattern: /^[A-Za-z0-9_-]{1,32}$/, message: t('maint.orgs.codePattern') },
                ]}
              >
                <Input disabled={editDept !== 'new'} data-testid="dept-code" />
              </Form.Item>
            </Col>
            <Col span={14}>
              <Form.Item
                name="name"
                label={t('maint.orgs.name')}
                rules={[{ required: true, whitespace: true, message: t('maint.required') }]}
              >
                <Input maxLength={100} data-testid="dept-name" />
              </Form.Item>
            </Col>
          </Row>
          <Row gutter={12}>
            <Col span={10}>
              <Form.Item name="shortName" label={t('maint.orgs.shortName')}>
                <Input maxLength={50} />
              </Form.Item>
            </Col>
            <Col span={14}>
              <Form.Item name="phone" label={t('maint.orgs.phone')} rules={[{ max: 32 }]}>
                <Input />
              </Form.Item>
            </Col>
          </Row>
          <Row gutter={12}>
            <Col span={10}>
              <Form.Item
                name="level"
                label={t('maint.orgs.level')}
                rules={[{ required: true }]}
                extra={editDept !== 'new' ? t('maint.orgs.levelFixed') : undefined}
              >
                <Select
                  disabled={editDept !== 'new'}
                  options={['city', 'district', 'street'].map((l) => ({ value: l, label: t(`maint.orgs.levels.${l}`) }))}
                  data-testid="dept-level"
                />
              </Form.Item>
            </Col>
            <Col span={14}>
              <Form.Item name="kind" label={t('maint.orgs.kind')} rules={[{ required: true }]}>
                <Select options={['execution', 'support', 'centre'].map((k) => ({ value: k, label: t(`maint.orgs.kinds.${k}`) }))} />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="parentId" label={t('maint.orgs.parent')}>
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              placeholder="—"
              options={deptOptions.filter((o) => editDept === 'new' || o.value !== editDept?.id)}
              data-testid="dept-parent"
            />
          </Form.Item>
          <Form.Item name="regionId" label={t('maint.orgs.region')} extra={t('maint.orgs.regionHelp')}>
            <TreeSelect allowClear showSearch={{ treeNodeFilterProp: 'title' }} treeData={regionTree} placeholder="—" />
          </Form.Item>
          {editDept !== 'new' && (
            <Form.Item name="active" label={t('maint.active')} valuePropName="checked">
              <Switch />
            </Form.Item>
          )}
        </Form>
      </Modal>

      <Modal
        open={editPerson !== null}
        title={editPerson === 'new' ? t('maint.orgs.newPerson') : t('maint.orgs.editPerson', { name: personInitial?.name })}
        onCancel={() => setEditPerson(null)}
        onOk={() => void handleSavePerson()}
        okText={t('maint.save')}
        okButtonProps={{ 'data-testid': 'person-save' } as Record<string, string>}
        confirmLoading={saving}
        destroyOnHidden
        width={680}
      >
        <FormError error={personError} testId="person-form-error" />
        <Form form={personForm} layout="vertical" initialValues={personInitial ?? undefined} data-testid="person-form">
          <Row gutter={12}>
            <Col span={8}>
              {editPerson === 'new' ? (
                <Form.Item
                  name="username"
                  label={t('maint.orgs.username')}
                  rules={[
                    { required: true, message: t('maint.required') },
                    { pattern: /^[A-Za-z0-9_.-]{2,64}$/, message: t('maint.orgs.usernamePattern') },
                  ]}
                >
                  <Input autoComplete="off" data-testid="person-username" />
                </Form.Item>
              ) : (
                <Form.Item label={t('maint.orgs.username')}>
                  <Input disabled value={people.find((p) => p.id === editPerson)?.username} />
                </Form.Item>
              )}
            </Col>
            <Col span={8}>
              <Form.Item
                name="name"
                label={t('maint.orgs.personName')}
                rules={[{ required: true, whitespace: true, message: t('maint.required') }]}
              >
                <Input maxLength={64} data-testid="person-name" />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item
                name="phone"
                label={t('maint.orgs.phone')}
                rules={[{ pattern: /^[0-9+\- ]{3,20}$/, message: t('maint.orgs.phonePattern') }]}
              >
                <Input data-testid="person-phone" />
              </Form.Item>
            </Col>
          </Row>
          <Row gutter={12}>
            <Col span={14}>
              <Form.Item name="departmentId" label={t('maint.orgs.department')}>
                <Select
                  allowClear
                  showSearch
                  optionFilterProp="label"
                  options={deptOptions}
                  placeholder="—"
                  data-testid="person-department"
                />
              </Form.Item>
            </Col>
            <Col span={10}>
              <Form.Item
                name="password"
                label={editPerson === 'new' ? t('maint.orgs.password') : t('maint.orgs.newPassword')}
                rules={[{ min: 8, message: t('maint.orgs.passwordMin') }]}
                extra={editPerson === 'new' ? t('maint.orgs.passwordHelp') : t('maint.orgs.passwordKeep')}
              >
                <Input.Password autoComplete="new-password" data-testid="person-password" />
              </Form.Item>
            </Col>
          </Row>
          <Typography.Text strong>{t('maint.orgs.rolesAndScopes')}</Typography.Text>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
            {t('maint.orgs.scopeHelp')}
          </Typography.Paragraph>
          <Form.List
            name="roles"
            rules={[
              {
                validator: async (_, v: Grant[] | undefined) => {
                  const names = (v ?? []).map((g) => g?.role).filter(Boolean);
                  if (new Set(names).size !== names.length) throw new Error(t('maint.orgs.roleTwice'));
                },
              },
            ]}
          >
            {(fields, { add, remove }, { errors }) => (
              <>
                {fields.map((f, i) => (
                  <Space key={f.key} align="baseline" style={{ display: 'flex' }} data-testid={`person-role-${i}`}>
                    <Form.Item name={[f.name, 'role']} rules={[{ required: true, message: t('maint.required') }]}>
                      <Select
                        style={{ width: 130 }}
                        placeholder={t('maint.orgs.role')}
                        options={PERSON_ROLES.map((r) => ({ value: r, label: t(`roles.${r}`, { defaultValue: r }) }))}
                      />
                    </Form.Item>
                    <Form.Item name={[f.name, 'scopeRegionId']}>
                      <TreeSelect
                        allowClear
                        showSearch={{ treeNodeFilterProp: 'title' }}
                        style={{ width: 190 }}
                        treeData={regionTree}
                        placeholder={t('maint.orgs.scopeRegion')}
                      />
                    </Form.Item>
                    <Form.Item name={[f.name, 'scopeDepartmentId']}>
                      <Select
                        allowClear
                        showSearch
                        optionFilterProp="label"
                        style={{ width: 200 }}
                        options={deptOptions}
                        placeholder={t('maint.orgs.scopeDepartment')}
                      />
                    </Form.Item>
                    <MinusCircleOutlined onClick={() => remove(f.name)} aria-label={t('maint.remove')} />
                  </Space>
                ))}
                <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ role: undefined })} data-testid="person-add-role">
                  {t('maint.orgs.addRole')}
                </Button>
                <Form.ErrorList errors={errors} />
              </>
            )}
          </Form.List>
          {editPerson !== 'new' && (
            <Form.Item
              name="active"
              label={t('maint.active')}
              valuePropName="checked"
              style={{ marginTop: 12 }}
              extra={t('maint.orgs.disableHelp')}
            >
              <Switch />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </MaintPage>
  );
}
