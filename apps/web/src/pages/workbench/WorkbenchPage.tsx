import { ExportOutlined, PhoneOutlined, ReloadOutlined, SendOutlined } from '@ant-design/icons';
import { CASE_SOURCES, CASE_STATES } from '@cityloop/shared';
import {
  App,
  Badge,
  Button,
  Drawer,
  Input,
  Segmented,
  Select,
  Switch,
  Table,
  type TableColumnsType,
  Tabs,
  Tag,
  Tooltip,
  TreeSelect,
} from 'antd';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { CaseCounts, CaseItem, CaseList, ClassNode, QueueSuggestion } from '../../types.ts';
import { caseLight, className, fmtTime, ROLE_STATES, useClasses, useNow, WORKBENCH_ROLES } from '../cases/caseUtil.ts';
import { LightTag } from '../cases/LightTag.tsx';
import ExportButton from '../exchange/ExportButton.tsx';
import { CASE_MAP_LEVELS, regionOutlinesOf } from '../map/outlines.ts';
import type { CasePoint } from './CaseMap.tsx';
import { useCaseEvents } from './useCaseEvents.ts';

// The queue shows first; the map (MapLibre) and the case detail load beside it. The map's
// outlines are asked for as the page opens, while its code still loads.
const CaseMap = lazy(() => import('./CaseMap.tsx'));
const CaseDetailView = lazy(() => import('../cases/CaseDetailView.tsx'));

type Queue = 'todo' | 'done';

interface Filters {
  state?: string;
  classCode?: string;
  source?: string;
  overdue?: boolean;
  q?: string;
}

const PAGE_SIZE = 200;
const OVERVIEW_ROLES = ['leader', 'admin'];

/** Columns each role sees beside number, deadline and state. */
const ROLE_COLUMNS: Record<string, Array<'class' | 'source' | 'created' | 'description' | 'suggestion'>> = {
  acceptor: ['source', 'class', 'description'],
  shiftlead: ['class', 'description', 'source'],
  // Where each waiting case would go, in place of the time reported (the countdown tells the urgency).
  dispatcher: ['class', 'suggestion', 'description'],
  handler: ['class', 'description', 'created'],
  dept_admin: ['class', 'description', 'created'],
  inspector: ['class', 'description'],
  leader: ['class', 'source', 'description'],
  admin: ['class', 'source', 'description'],
};

interface ClassOption {
  value: string;
  title: string;
  selectable?: boolean;
  children?: ClassOption[];
}

function classTreeData(nodes: ClassNode[], kindLabel: (k: string) => string): ClassOption[] {
  const kinds = ['event', 'component'];
  const map = (n: ClassNode): ClassOption => ({
    value: n.code,
    title: `${n.code} ${n.name}`,
    children: n.children && n.level === 'major' ? n.children.map(map) : undefined,
  });
  return kinds.map((k) => ({
    value: `kind:${k}`,
    title: kindLabel(k),
    selectable: false,
    children: nodes.filter((n) => n.kind === k).map(map),
  }));
}

/** Where the routing rules send a waiting case: the department and how it was found, or the coordination queue. */
function SuggestionCell({ s }: { s: QueueSuggestion | null | undefined }) {
  const { t } = useTranslation();
  if (!s) return <span className="cl-dim">—</span>;
  if (s.kind === 'coordination') {
    return (
      <Tooltip title={s.explanation}>
        <Tag color="orange" data-testid="queue-suggestion">
          {t(`dispatchRules.coordination.${s.reason}`)}
        </Tag>
      </Tooltip>
    );
  }
  return (
    <Tooltip title={s.rule ? t('workbench.suggestionRule', { name: s.rule.name }) : s.explanation}>
      <span data-testid="queue-suggestion">
        {s.department.name}
        <Tag bordered={false} style={{ marginInlineStart: 4 }}>
          {t(`dispatchRules.via.${s.via}`)}
        </Tag>
      </span>
    </Tooltip>
  );
}

/** A waiting case the routing rules place with a department: one the dispatcher may send as suggested. */
const dispatchable = (c: CaseItem): c is CaseItem & { suggestion: Extract<QueueSuggestion, { kind: 'department' }> } =>
  c.state === 'registered' && c.suggestion?.kind === 'department';

/** A centre role's workbench: 待办/已办 queue with counts, filters and countdowns beside a map of the listed cases, live. */
export default function WorkbenchPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const classes = useClasses();
  const now = useNow(15_000);

  const myRoles = useMemo(() => WORKBENCH_ROLES.filter((r) => me?.roles.some((g) => g.role === r)), [me]);
  const roleParam = params.get('role');
  const role: string = myRoles.find((r) => r === roleParam) ?? myRoles[0] ?? 'leader';
  const [queue, setQueue] = useState<Queue>('todo');
  /** Leaders and administrators wait on nothing: their first tab is every case in scope, not a 待办 queue. */
  const overview = OVERVIEW_ROLES.includes(role);
  /** The role whose share of 待办 the server lists and counts, for a person with several. */
  const shareOf = myRoles.length > 1 && !overview ? role : undefined;
  const suggests = (ROLE_COLUMNS[role] ?? []).includes('suggestion');
  const { message, modal } = App.useApp();
  /** Cases checked for dispatch as suggested (the dispatcher's 待办). */
  const [picked, setPicked] = useState<number[]>([]);
  const [filters, setFilters] = useState<Filters>({});
  const [search, setSearch] = useState('');
  const [list, setList] = useState<CaseList>({ items: [], total: 0 });
  const [counts, setCounts] = useState<CaseCounts | null>(null);
  const [loading, setLoading] = useState(false);
  /** The first list has been read (or failed): the map waits for it to draw once with the points. */
  const [listed, setListed] = useState(false);
  const [selectedId, setSelectedId] = useState<number | null>(() => Number(params.get('case')) || null);
  const [detailKey, setDetailKey] = useState(0);
  const [flash, setFlash] = useState<Set<number>>(new Set());
  const reqSeq = useRef(0);

  const load = useCallback(async () => {
    const seq = ++reqSeq.current;
    setLoading(true);
    const q = {
      state: filters.state,
      classCode: filters.classCode,
      source: filters.source,
      overdue: filters.overdue ? true : undefined,
      q: filters.q,
      // A person with several roles works the 待办 of the role picked.
      role: shareOf,
    };
    try {
      const [l, c] = await Promise.all([
        api.get<CaseList>('/api/cases', {
          ...q,
          queue: overview && queue === 'todo' ? 'all' : queue,
          limit: PAGE_SIZE,
          // The dispatcher sees where each waiting case would go without opening it.
          suggest: suggests ? true : undefined,
        }),
        api.get<CaseCounts>('/api/cases/counts', q),
      ]);
      if (seq !== reqSeq.current) return;
      setList(l);
      setCounts(c);
    } catch {
      // the list keeps what it had; the live indicator shows the connection
    } finally {
      if (seq === reqSeq.current) {
        setLoading(false);
        setListed(true);
      }
    }
  }, [filters, queue, overview, shareOf, suggests]);

  useEffect(() => {
    void load();
  }, [load]);

  // A checked case that left the list, or can no longer go as suggested, is unchecked.
  useEffect(() => {
    setPicked((p) => {
      const kept = p.filter((id) => list.items.some((c) => c.id === id && dispatchable(c)));
      return kept.length === p.length ? p : kept;
    });
  }, [list]);
  const batchable = suggests && queue === 'todo';

  /** 派遣 of each checked case to its suggested department: one versioned action per case, so a case someone else moved is skipped. */
  const dispatchPicked = () => {
    const rows = list.items.filter(dispatchable).filter((c) => picked.includes(c.id));
    if (rows.length === 0) return;
    modal.confirm({
      title: t('workbench.batchTitle', { count: rows.length }),
      content: t('workbench.batchBody'),
      okText: t('workbench.batchOk'),
      onOk: async () => {
        let done = 0;
        const failed: string[] = [];
        for (const c of rows) {
          try {
            await api.post(`/api/cases/${c.id}/actions/dispatch`, { version: c.version, departmentId: c.suggestion.department.id });
            done++;
          } catch (err) {
            failed.push(`${c.number}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        setPicked([]);
        if (failed.length === 0) message.success(t('workbench.batchDone', { count: done }));
        else message.warning(t('workbench.batchPartly', { done, failed: failed.length, first: failed[0] }), 8);
        void load();
      },
    });
  };

  useEffect(() => {
    void regionOutlinesOf(CASE_MAP_LEVELS);
  }, []);

  // Live: refresh list and counts when a case in scope changes (coalesced), and the open case.
  const pending = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;
  const connected = useCaseEvents((e) => {
    window.clearTimeout(pending.current);
    pending.current = window.setTimeout(() => void loadRef.current(), 250);
    if (e.caseId != null) {
      const id = e.caseId;
      setFlash((s) => new Set(s).add(id));
      window.setTimeout(
        () =>
          setFlash((s) => {
            const n = new Set(s);
            n.delete(id);
            return n;
          }),
        4000,
      );
      if (id === selectedRef.current) setDetailKey((k) => k + 1);
    }
  });

  const items = list.items;

  const points: CasePoint[] = useMemo(
    () =>
      items
        .filter((c) => c.lng != null && c.lat != null)
        .map((c) => ({ id: c.id, lng: c.lng as number, lat: c.lat as number, light: caseLight(c, now), urgent: c.urgent })),
    [items, now],
  );

  // Keyboard: ↑/↓ (or k/j) walk the queue, Esc closes the detail; typing in a field is left alone.
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const selectRef = useRef<(id: number | null) => void>(() => {});
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (e.altKey || e.ctrlKey || e.metaKey || document.querySelector('.ant-modal-wrap:not([style*="display: none"])')) return;
      if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
      const list = itemsRef.current;
      const at = list.findIndex((c) => c.id === selectedRef.current);
      if (e.key === 'ArrowDown' || e.key === 'j') {
        const next = list[Math.min(at + 1, list.length - 1)];
        if (next) selectRef.current(next.id);
        e.preventDefault();
      } else if (e.key === 'ArrowUp' || e.key === 'k') {
        const prev = list[Math.max(at - 1, 0)];
        if (prev) selectRef.current(prev.id);
        e.preventDefault();
      } else if (e.key === 'Escape' && selectedRef.current != null) {
        selectRef.current(null);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const select = (id: number | null) => {
    setSelectedId(id);
    const next = new URLSearchParams(params);
    if (id) next.set('case', String(id));
    else next.delete('case');
    setParams(next, { replace: true });
  };

  selectRef.current = select;

  const setRole = (r: string) => {
    const next = new URLSearchParams(params);
    next.set('role', r);
    setParams(next, { replace: true });
    setFilters({});
    setSearch('');
  };

  const cols = ROLE_COLUMNS[role] ?? ROLE_COLUMNS.leader ?? [];
  const columns: TableColumnsType<CaseItem> = [
    {
      key: 'deadline',
      title: queue === 'todo' ? t('workbench.colDeadline') : t('workbench.colUpdated'),
      width: 130,
      render: (_, c) => (queue === 'todo' ? <LightTag c={c} /> : <span className="cl-dim">{fmtTime(c.updatedAt)}</span>),
    },
    {
      key: 'number',
      title: t('workbench.colNumber'),
      width: 160,
      render: (_, c) => (
        <span className="cl-case-number">
          {c.number}
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
      title: t('workbench.colState'),
      width: 96,
      render: (_, c) => <Tag color="blue">{t(`states.${c.state}`, { defaultValue: c.state })}</Tag>,
    },
    ...cols.map((k) => {
      switch (k) {
        case 'class':
          return {
            key: k,
            title: t('workbench.colClass'),
            width: 120,
            ellipsis: true,
            render: (_: unknown, c: CaseItem) => className(classes, c.kind, c.classCode),
          };
        case 'source':
          return {
            key: k,
            title: t('workbench.colSource'),
            width: 110,
            ellipsis: true,
            render: (_: unknown, c: CaseItem) => t(`sources.${c.source}`, { defaultValue: c.source }),
          };
        case 'created':
          return { key: k, title: t('workbench.colCreated'), width: 130, render: (_: unknown, c: CaseItem) => fmtTime(c.createdAt) };
        case 'suggestion':
          return {
            key: k,
            title: t('workbench.colSuggestion'),
            width: 150,
            ellipsis: true,
            render: (_: unknown, c: CaseItem) => <SuggestionCell s={c.suggestion} />,
          };
        default:
          return { key: k, title: t('workbench.colDescription'), ellipsis: true, render: (_: unknown, c: CaseItem) => c.description };
      }
    }),
  ];

  const stateOptions = (ROLE_STATES[role] ?? CASE_STATES).map((s) => ({ value: s, label: t(`states.${s}`) }));
  // The overview counts its lights from the list; a 待办 queue has the server's counts.
  const shown = useMemo(() => {
    if (!counts) return null;
    if (!overview) return counts;
    const lights = items.map((c) => caseLight(c, now));
    return {
      ...counts,
      todo: list.total,
      overdue: lights.filter((l) => l === 'red').length,
      warning: lights.filter((l) => l === 'yellow').length,
      urgent: items.filter((c) => c.urgent).length,
    };
  }, [counts, overview, items, list.total, now]);
  const countBadges = shown && (
    <span className="cl-count-badges" data-testid="queue-counts">
      <Tag color={shown.overdue > 0 ? '#d4380d' : 'default'} data-testid="count-overdue" data-count={shown.overdue}>
        {t('workbench.overdue')} {shown.overdue}
      </Tag>
      <Tag color={shown.warning > 0 ? '#c28a00' : 'default'} data-testid="count-warning" data-count={shown.warning}>
        {t('workbench.warning')} {shown.warning}
      </Tag>
      <Tag color={shown.urgent > 0 ? '#7a0000' : 'default'} data-testid="count-urgent" data-count={shown.urgent}>
        {t('workbench.urgent')} {shown.urgent}
      </Tag>
    </span>
  );

  return (
    <div className="cl-workbench" data-testid="workbench" data-role={role}>
      <div className="cl-wb-head">
        <div className="cl-wb-title">
          <h2>{t('workbench.title', { role: t(`roles.${role}`) })}</h2>
          <span className="cl-dim cl-wb-hint">{t(`workbench.hint.${role}`, { defaultValue: '' })}</span>
        </div>
        <div className="cl-wb-tools">
          {myRoles.length > 1 && (
            <Segmented
              value={role}
              onChange={(v) => setRole(String(v))}
              options={myRoles.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
              data-testid="role-switch"
            />
          )}
          {myRoles.includes('acceptor') && (
            <Button icon={<PhoneOutlined />} onClick={() => navigate('/hotline')} data-testid="open-hotline">
              {t('workbench.hotline')}
            </Button>
          )}
          {batchable && (
            <Button
              type="primary"
              icon={<SendOutlined />}
              disabled={picked.length === 0}
              onClick={dispatchPicked}
              data-testid="batch-dispatch"
            >
              {t('workbench.batchDispatch', { count: picked.length })}
            </Button>
          )}
          <Button icon={<ReloadOutlined />} onClick={() => void load()}>
            {t('workbench.refresh')}
          </Button>
          <ExportButton
            query={{
              queue: overview && queue === 'todo' ? 'all' : queue,
              role: shareOf,
              state: filters.state,
              classCode: filters.classCode,
              source: filters.source,
              overdue: filters.overdue || undefined,
              q: filters.q,
            }}
          />
          <Tag color={connected ? 'green' : 'orange'} data-testid="live-status" data-live={connected ? '1' : '0'}>
            <Badge status={connected ? 'processing' : 'warning'} /> {connected ? t('workbench.live') : t('workbench.offline')}
          </Tag>
        </div>
      </div>
      <div className="cl-wb-body">
        <div className="cl-wb-queue">
          <Tabs
            activeKey={queue}
            onChange={(k) => setQueue(k as Queue)}
            tabBarExtraContent={queue === 'todo' ? countBadges : undefined}
            items={[
              {
                key: 'todo',
                label: (
                  <span data-testid="tab-todo">
                    {overview ? t('workbench.all') : t('workbench.todo')}{' '}
                    <Badge count={shown?.todo ?? 0} showZero overflowCount={9999} color="#1456c8" />
                  </span>
                ),
              },
              {
                key: 'done',
                label: (
                  <span data-testid="tab-done">
                    {t('workbench.done')} <Badge count={counts?.done ?? 0} showZero overflowCount={9999} color="#8c97a5" />
                  </span>
                ),
              },
            ]}
          />
          <div className="cl-wb-filters">
            <Select
              allowClear
              placeholder={t('workbench.filterState')}
              value={filters.state}
              onChange={(v) => setFilters((f) => ({ ...f, state: v }))}
              options={stateOptions}
              style={{ width: 120 }}
              data-testid="filter-state"
            />
            <TreeSelect
              allowClear
              showSearch={{ treeNodeFilterProp: 'title' }}
              placeholder={t('workbench.filterClass')}
              value={filters.classCode}
              onChange={(v) => setFilters((f) => ({ ...f, classCode: v }))}
              treeData={classTreeData(classes?.tree ?? [], (k) => t(`kinds.${k}`))}
              style={{ width: 150 }}
              popupMatchSelectWidth={280}
              data-testid="filter-class"
            />
            <Select
              allowClear
              placeholder={t('workbench.filterSource')}
              value={filters.source}
              onChange={(v) => setFilters((f) => ({ ...f, source: v }))}
              options={CASE_SOURCES.map((s) => ({ value: s, label: t(`sources.${s}`) }))}
              style={{ width: 130 }}
              data-testid="filter-source"
            />
            <span className="cl-wb-switch">
              <Switch
                size="small"
                checked={!!filters.overdue}
                onChange={(v) => setFilters((f) => ({ ...f, overdue: v }))}
                data-testid="filter-overdue"
              />
              {t('workbench.overdueOnly')}
            </span>
            <Input.Search
              allowClear
              placeholder={t('workbench.search')}
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              onSearch={(v) => setFilters((f) => ({ ...f, q: v.trim() || undefined }))}
              style={{ flex: 1, minWidth: 160 }}
              data-testid="filter-search"
            />
          </div>
          <Table<CaseItem>
            className="cl-wb-table"
            size="small"
            rowKey="id"
            loading={loading && list.items.length === 0}
            dataSource={items}
            columns={columns}
            pagination={false}
            scroll={{ y: 'calc(100vh - 290px)' }}
            locale={{ emptyText: t('workbench.empty') }}
            rowClassName={(c) => [c.id === selectedId ? 'cl-row-selected' : '', flash.has(c.id) ? 'cl-row-flash' : ''].join(' ')}
            rowSelection={
              batchable
                ? {
                    selectedRowKeys: picked,
                    onChange: (keys) => setPicked(keys as number[]),
                    getCheckboxProps: (c) => ({ disabled: !dispatchable(c) }),
                    columnWidth: 36,
                  }
                : undefined
            }
            onRow={(c) =>
              ({
                // A click on the check box picks the case for dispatch; elsewhere on the row it opens it.
                onClick: (e: React.MouseEvent<HTMLElement>) => {
                  if (!(e.target as HTMLElement).closest('.ant-table-selection-column')) select(c.id);
                },
                'data-testid': `case-row-${c.number}`,
              }) as React.HTMLAttributes<HTMLElement>
            }
            footer={() => (
              <span className="cl-dim">
                {t('workbench.total', { count: list.total })} · {t('workbench.keys')}
              </span>
            )}
          />
        </div>
        <div className="cl-wb-map">
          <Suspense fallback={null}>
            <CaseMap points={points} selectedId={selectedId} onSelect={select} pending={!listed} />
          </Suspense>
        </div>
      </div>
      <Drawer
        open={selectedId != null}
        onClose={() => select(null)}
        size={720}
        title={t('caseDetail.title')}
        mask={false}
        extra={
          selectedId != null && (
            <Link to={`/cases/${selectedId}`} data-testid="open-case-page">
              <ExportOutlined /> {t('caseDetail.open')}
            </Link>
          )
        }
        destroyOnHidden
      >
        {selectedId != null && (
          <Suspense fallback={null}>
            <CaseDetailView caseId={selectedId} refreshKey={detailKey} onChanged={() => void load()} />
          </Suspense>
        )}
      </Drawer>
    </div>
  );
}
