import { ReloadOutlined } from '@ant-design/icons';
import { CASE_SOURCES, CASE_STATES } from '@cityloop/shared';
import {
  Alert,
  Button,
  DatePicker,
  Input,
  Select,
  Switch,
  Table,
  type TableColumnsType,
  type TablePaginationConfig,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import type { SorterResult } from 'antd/es/table/interface';
import dayjs from 'dayjs';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { ApiError, api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { CaseItem, CaseList, ClassNode, DepartmentRef, RegionRef } from '../../types.ts';
import { className, useClasses } from '../cases/caseUtil.ts';
import { LightTag } from '../cases/LightTag.tsx';
import { can } from '../exchange/access.ts';
import ExportButton from '../exchange/ExportButton.tsx';
import { apiFilters, type CaseSearch, fmtCityTime, PAGE_SIZES, parseSearch, searchToParams, todayIn } from './caseQuery.ts';
import './search.css';

interface ClassOption {
  value: string;
  title: string;
  selectable?: boolean;
  children?: ClassOption[];
}

/**
 * Kinds → major classes → minor classes. The list filters on one class code exactly, so only
 * minor (and finer) classes are selectable.
 */
function classTree(nodes: ClassNode[], kindLabel: (k: string) => string): ClassOption[] {
  const map = (n: ClassNode): ClassOption => ({
    value: `${n.kind}:${n.code}`,
    title: `${n.code} ${n.name}`,
    selectable: n.level !== 'major',
    children: n.children?.length ? n.children.map(map) : undefined,
  });
  return ['event', 'component'].map((k) => ({
    value: `kind:${k}`,
    title: kindLabel(k),
    selectable: false,
    children: nodes.filter((n) => n.kind === k).map(map),
  }));
}

/** The list's rows also carry the other side's reference (a work-order number), which `q` matches. */
type ListedCase = CaseItem & { channel?: string | null; sourceRef?: string | null };

type SortKey = 'number' | 'createdAt' | 'deadline' | 'state';

const SORTERS: Record<SortKey, (a: CaseItem, b: CaseItem) => number> = {
  number: (a, b) => a.number.localeCompare(b.number),
  createdAt: (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt),
  deadline: (a, b) =>
    (a.phaseDeadline ? Date.parse(a.phaseDeadline) : Number.POSITIVE_INFINITY) -
    (b.phaseDeadline ? Date.parse(b.phaseDeadline) : Number.POSITIVE_INFINITY),
  state: (a, b) => CASE_STATES.indexOf(a.state as never) - CASE_STATES.indexOf(b.state as never),
};

function parseSort(sort: string | undefined): { key: SortKey; order: 'ascend' | 'descend' } | null {
  const [key, dir] = (sort ?? '').split(':');
  if (!key || !(key in SORTERS)) return null;
  return { key: key as SortKey, order: dir === 'desc' ? 'descend' : 'ascend' };
}

/** The department picker; only for roles that may read the departments list. */
function DepartmentSelect({
  departments,
  value,
  onChange,
}: {
  departments: DepartmentRef[];
  value?: number;
  onChange: (v: number | undefined) => void;
}) {
  const { t } = useTranslation();
  return (
    <Select
      allowClear
      showSearch={{ optionFilterProp: 'label' }}
      placeholder={t('caseSearch.department')}
      value={value}
      onChange={(v) => onChange(v ?? undefined)}
      options={departments.map((d) => ({ value: d.id, label: d.shortName || d.name }))}
      style={{ width: 180 }}
      popupMatchSelectWidth={260}
      data-testid="search-department"
    />
  );
}

function useDistricts(): RegionRef[] {
  const [list, setList] = useState<RegionRef[]>([]);
  useEffect(() => {
    let alive = true;
    api
      .get<{ items: RegionRef[] }>('/api/regions', { level: 'district', limit: 200 })
      .then((r) => alive && setList(r.items))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, []);
  return list;
}

/**
 * 案卷查询 `/cases`: every case in the caller's scope under number/text, class, district,
 * department, state, source, time and overdue filters, paged by the server. The filters live
 * in the URL so a list can be bookmarked and shared; the same filters drive the export.
 */
export default function CaseSearchPage() {
  const { t } = useTranslation();
  const { me, settings } = useSession();
  const tz = settings.timeZone;
  const [params, setParams] = useSearchParams();
  const search = useMemo(() => parseSearch(params), [params]);
  const classes = useClasses();
  const districts = useDistricts();
  const [text, setText] = useState(search.q ?? '');
  const [list, setList] = useState<CaseList | null>(null);
  const [overdueCount, setOverdueCount] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const seq = useRef(0);

  // The text box follows the URL (back/forward, a shared link).
  useEffect(() => setText(search.q ?? ''), [search.q]);

  const filters = useMemo(() => apiFilters(search, tz), [search, tz]);

  useEffect(() => {
    void reloadKey;
    const mine = ++seq.current;
    const ctrl = new AbortController();
    setLoading(true);
    setError(null);
    const page = api.get<CaseList>('/api/cases', { ...filters, limit: search.size, offset: (search.page - 1) * search.size }, ctrl.signal);
    // How many of the results are past their phase deadline (the count only).
    const overdue = filters.overdue
      ? null
      : api.get<CaseList>('/api/cases', { ...filters, overdue: true, limit: 1, offset: 0 }, ctrl.signal).catch(() => null);
    Promise.all([page, overdue])
      .then(([l, o]) => {
        if (mine !== seq.current) return;
        setList(l);
        setOverdueCount(filters.overdue ? l.total : (o?.total ?? null));
      })
      .catch((err: unknown) => {
        if (mine !== seq.current || (err instanceof DOMException && err.name === 'AbortError')) return;
        setError(err instanceof ApiError ? err.message : String(err));
      })
      .finally(() => {
        if (mine === seq.current) setLoading(false);
      });
    return () => ctrl.abort();
  }, [filters, search.page, search.size, reloadKey]);

  /**
   * Changes filters (back to page 1) or the page; every change is a new URL entry. Built on the
   * address bar as it is now, not as this render saw it: the router renders a navigation as a
   * transition, so a click right after one may still reach the previous render's handlers.
   */
  const update = (patch: Partial<CaseSearch>, keepPage = false) => {
    const next = { ...parseSearch(new URLSearchParams(window.location.search)), ...patch };
    if (!keepPage) next.page = 1;
    setParams(searchToParams(next));
  };

  const sort = parseSort(search.sort);
  const items = useMemo(() => {
    const rows = list?.items ?? [];
    if (!sort) return rows;
    const cmp = SORTERS[sort.key];
    return [...rows].sort((a, b) => (sort.order === 'ascend' ? cmp(a, b) : cmp(b, a)));
  }, [list, sort]);

  const districtName = useMemo(() => new Map(districts.map((d) => [d.id, d.name])), [districts]);
  const mayReadDepartments = can(me, 'orgs.read');
  const departmentList = useDepartmentList(mayReadDepartments);
  const departments = useMemo(() => new Map(departmentList.map((d) => [d.id, d.shortName || d.name])), [departmentList]);
  const sortOrder = (key: SortKey) => (sort?.key === key ? sort.order : null);

  const columns: TableColumnsType<CaseItem> = [
    {
      key: 'number',
      title: t('caseSearch.colNumber'),
      width: 170,
      sorter: true,
      sortOrder: sortOrder('number'),
      render: (_, c) => (
        <span className="cl-case-number">
          <Link to={`/cases/${c.id}`} data-testid={`open-case-${c.number}`}>
            {c.number}
          </Link>
          {c.urgent && (
            <Tag color="red" style={{ marginInlineStart: 4 }}>
              {t('workbench.urgent')}
            </Tag>
          )}
        </span>
      ),
    },
    {
      key: 'state',
      title: t('caseSearch.colState'),
      width: 110,
      sorter: true,
      sortOrder: sortOrder('state'),
      render: (_, c) => (
        <Tag color="blue" data-state={c.state}>
          {t(`states.${c.state}`, { defaultValue: c.state })}
        </Tag>
      ),
    },
    {
      key: 'deadline',
      title: t('caseSearch.colDeadline'),
      width: 140,
      sorter: true,
      sortOrder: sortOrder('deadline'),
      render: (_, c) => <LightTag c={c} />,
    },
    {
      key: 'class',
      title: t('caseSearch.colClass'),
      width: 130,
      ellipsis: true,
      render: (_, c) => className(classes, c.kind, c.classCode),
    },
    { key: 'description', title: t('caseSearch.colDescription'), ellipsis: true, render: (_, c) => c.description },
    { key: 'address', title: t('caseSearch.colAddress'), width: 150, ellipsis: true, render: (_, c) => c.address ?? '—' },
    {
      key: 'district',
      title: t('caseSearch.colDistrict'),
      width: 76,
      ellipsis: true,
      render: (_, c) => (c.districtId != null ? (districtName.get(c.districtId) ?? '—') : '—'),
    },
    {
      key: 'department',
      title: t('caseSearch.colDepartment'),
      width: 120,
      ellipsis: true,
      render: (_, c) => (c.departmentId != null ? (departments.get(c.departmentId) ?? '—') : '—'),
    },
    {
      key: 'source',
      title: t('caseSearch.colSource'),
      width: 130,
      ellipsis: true,
      render: (_, c) => {
        const { sourceRef } = c as ListedCase;
        return (
          <>
            {t(`sources.${c.source}`, { defaultValue: c.source })}
            {sourceRef && (
              <span className="cl-search-ref" title={sourceRef} data-testid={`source-ref-${c.number}`}>
                {sourceRef}
              </span>
            )}
          </>
        );
      },
    },
    {
      key: 'createdAt',
      title: t('caseSearch.colCreated'),
      width: 140,
      sorter: true,
      sortOrder: sortOrder('createdAt'),
      render: (_, c) => <span className="cl-dim">{fmtCityTime(c.createdAt, tz)}</span>,
    },
  ];

  const onTableChange = (
    pagination: TablePaginationConfig,
    _filters: unknown,
    sorter: SorterResult<CaseItem> | SorterResult<CaseItem>[],
    extra: { action: string },
  ) => {
    if (extra.action === 'sort') {
      const s = Array.isArray(sorter) ? sorter[0] : sorter;
      const key = s?.columnKey as SortKey | undefined;
      update({ sort: key && s?.order ? `${key}:${s.order === 'descend' ? 'desc' : 'asc'}` : undefined }, true);
      return;
    }
    const size = pagination.pageSize ?? search.size;
    const sizeChanged = size !== parseSearch(new URLSearchParams(window.location.search)).size;
    update({ page: sizeChanged ? 1 : (pagination.current ?? 1), size }, true);
  };

  const classValue = useMemo(() => {
    if (!search.classCode) return undefined;
    const hit = ['event', 'component'].find((k) => classes?.byCode.has(`${k}:${search.classCode}`));
    return `${hit ?? 'event'}:${search.classCode}`;
  }, [search.classCode, classes]);

  const range: [dayjs.Dayjs, dayjs.Dayjs] | null =
    search.from || search.to ? [dayjs(search.from ?? search.to), dayjs(search.to ?? search.from)] : null;
  const total = list?.total ?? 0;
  const { page: _page, size: _size, sort: _sort, ...only } = search;
  const hasFilters = Object.values(only).some((v) => v !== undefined);

  return (
    <div className="cl-page-scroll">
      <div className="cl-search" data-testid="case-search">
        <div className="cl-search-head">
          <h2>{t('caseSearch.title')}</h2>
          <span className="cl-search-counts" data-testid="search-counts">
            <Typography.Text strong data-testid="search-total" data-total={list ? total : ''}>
              {t('caseSearch.total', { count: total })}
            </Typography.Text>
            {overdueCount != null && (
              <Tag color={overdueCount > 0 ? '#d4380d' : 'default'} data-testid="search-overdue" data-count={overdueCount}>
                {t('caseSearch.overdueCount', { count: overdueCount })}
              </Tag>
            )}
          </span>
          <span className="cl-search-tools">
            <Button icon={<ReloadOutlined />} onClick={() => setReloadKey((k) => k + 1)} data-testid="search-refresh">
              {t('caseSearch.refresh')}
            </Button>
            <ExportButton query={filters} />
          </span>
        </div>
        <div className="cl-search-filters">
          <Input.Search
            allowClear
            placeholder={t('caseSearch.q')}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onSearch={(v) => update({ q: v.trim() || undefined })}
            style={{ width: 300 }}
            enterButton
            data-testid="search-q"
          />
          <TreeSelect
            allowClear
            showSearch={{ treeNodeFilterProp: 'title' }}
            placeholder={t('caseSearch.class')}
            value={classValue}
            onChange={(v?: string) => update({ classCode: v ? v.split(':')[1] : undefined })}
            treeData={classTree(classes?.tree ?? [], (k) => t(`kinds.${k}`))}
            style={{ width: 180 }}
            popupMatchSelectWidth={300}
            data-testid="search-class"
          />
          <Select
            allowClear
            placeholder={t('caseSearch.district')}
            value={search.districtId}
            onChange={(v?: number) => update({ districtId: v ?? undefined })}
            options={districts.map((d) => ({ value: d.id, label: d.name }))}
            style={{ width: 130 }}
            data-testid="search-district"
          />
          {mayReadDepartments && (
            <DepartmentSelect departments={departmentList} value={search.departmentId} onChange={(v) => update({ departmentId: v })} />
          )}
          <Select
            allowClear
            placeholder={t('caseSearch.state')}
            value={search.state}
            onChange={(v?: string) => update({ state: v ?? undefined })}
            options={CASE_STATES.map((s) => ({ value: s, label: t(`states.${s}`) }))}
            style={{ width: 130 }}
            data-testid="search-state"
          />
          <Select
            allowClear
            placeholder={t('caseSearch.source')}
            value={search.source}
            onChange={(v?: string) => update({ source: v ?? undefined })}
            options={CASE_SOURCES.map((s) => ({ value: s, label: t(`sources.${s}`) }))}
            style={{ width: 150 }}
            data-testid="search-source"
          />
          <DatePicker.RangePicker
            value={range}
            allowEmpty={[true, true]}
            onChange={(v) =>
              update({
                from: v?.[0] ? v[0].format('YYYY-MM-DD') : undefined,
                to: v?.[1] ? v[1].format('YYYY-MM-DD') : undefined,
              })
            }
            presets={[
              { label: t('caseSearch.today'), value: [dayjs(todayIn(tz)), dayjs(todayIn(tz))] },
              { label: t('caseSearch.last7'), value: [dayjs(todayIn(tz)).subtract(6, 'day'), dayjs(todayIn(tz))] },
              { label: t('caseSearch.last30'), value: [dayjs(todayIn(tz)).subtract(29, 'day'), dayjs(todayIn(tz))] },
            ]}
            placeholder={[t('caseSearch.from'), t('caseSearch.to')]}
            data-testid="search-range"
          />
          <span className="cl-search-switch">
            <Switch
              size="small"
              checked={!!search.overdue}
              onChange={(v) => update({ overdue: v || undefined })}
              data-testid="search-overdue-only"
            />
            {t('caseSearch.overdueOnly')}
          </span>
          {hasFilters && (
            <Button type="link" onClick={() => setParams(searchToParams({ page: 1, size: search.size }))} data-testid="search-reset">
              {t('caseSearch.reset')}
            </Button>
          )}
        </div>
        <div className="cl-dim cl-search-hint">{t('caseSearch.hint', { tz })}</div>
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="search-error" />}
        <Table<CaseItem>
          className="cl-search-table"
          size="small"
          rowKey="id"
          loading={loading}
          dataSource={items}
          columns={columns}
          onChange={onTableChange}
          showSorterTooltip={{ title: t('caseSearch.sortHint') }}
          locale={{ emptyText: t('caseSearch.empty') }}
          onRow={(c) => ({ 'data-testid': `search-row-${c.number}`, 'data-state': c.state }) as React.HTMLAttributes<HTMLElement>}
          pagination={{
            current: search.page,
            pageSize: search.size,
            total,
            showSizeChanger: true,
            pageSizeOptions: PAGE_SIZES.map(String),
            showQuickJumper: total > search.size * 5,
            showTotal: (n, [a, b]) => t('caseSearch.range', { from: a, to: b, count: n }),
          }}
        />
      </div>
    </div>
  );
}

/** The departments, for the picker and the list's column; not asked for by roles that may not read them. */
function useDepartmentList(allowed: boolean): DepartmentRef[] {
  const [list, setList] = useState<DepartmentRef[]>([]);
  useEffect(() => {
    if (!allowed) return;
    let alive = true;
    api
      .get<DepartmentRef[]>('/api/departments')
      .then((l) => alive && setList(l))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [allowed]);
  return list;
}
