import { useEffect, useState } from 'react';
import { api } from '../../api.ts';
import type { CaseItem, ClassNode, DepartmentRef, Light } from '../../types.ts';

/** Yellow light once this share of the phase time is used (the server's sweep uses the same mark). */
export const YELLOW_SHARE = 0.8;

export const LIGHT_COLORS: Record<Light, string> = {
  green: '#2e9d52',
  yellow: '#e0a100',
  red: '#d4380d',
  none: '#8c97a5',
};

/** The phase clock's light at `now` from the phase start and deadline (wall-clock estimate between the server's marks). */
export function caseLight(c: Pick<CaseItem, 'phaseStartedAt' | 'phaseDeadline'>, now: number = Date.now()): Light {
  if (!c.phaseDeadline) return 'none';
  const end = Date.parse(c.phaseDeadline);
  if (now >= end) return 'red';
  const start = c.phaseStartedAt ? Date.parse(c.phaseStartedAt) : Number.NaN;
  if (Number.isFinite(start) && end > start && now - start >= YELLOW_SHARE * (end - start)) return 'yellow';
  return 'green';
}

/** "2天3小时", "45分钟" (or English) for a span in milliseconds. */
export function fmtSpan(ms: number, en: boolean): string {
  const mins = Math.max(0, Math.floor(Math.abs(ms) / 60_000));
  const d = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  if (mins === 0) return en ? '<1m' : '不到1分钟';
  if (en) {
    if (d > 0) return `${d}d ${h}h`;
    if (h > 0) return `${h}h ${m}m`;
    return `${m}m`;
  }
  if (d > 0) return `${d}天${h}小时`;
  if (h > 0) return `${h}小时${m}分`;
  return `${m}分钟`;
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A clock that ticks every `ms` so countdowns move. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}

/** A GET answered once per page load; a failed one is asked again next time. */
function fetchedOnce<T>(url: string): () => Promise<T> {
  let promise: Promise<T> | null = null;
  return () => {
    promise ??= api.get<T>(url).catch((err: unknown) => {
      promise = null;
      throw err;
    });
    return promise;
  };
}

/** The class tree of the city's edition (both kinds), fetched once per page load. */
const loadClassTree = fetchedOnce<ClassNode[]>('/api/taxonomy/tree');

function flatten(nodes: ClassNode[], out: ClassNode[] = []): ClassNode[] {
  for (const n of nodes) {
    out.push(n);
    if (n.children) flatten(n.children, out);
  }
  return out;
}

export interface ClassIndex {
  tree: ClassNode[];
  /** kind:code → class */
  byCode: Map<string, ClassNode>;
}

export function useClasses(): ClassIndex | null {
  const [idx, setIdx] = useState<ClassIndex | null>(null);
  useEffect(() => {
    let alive = true;
    loadClassTree()
      .then((tree) => {
        if (!alive) return;
        const byCode = new Map<string, ClassNode>();
        for (const n of flatten(tree)) byCode.set(`${n.kind}:${n.code}`, n);
        setIdx({ tree, byCode });
      })
      .catch(() => {
        if (alive) setIdx({ tree: [], byCode: new Map() });
      });
    return () => {
      alive = false;
    };
  }, []);
  return idx;
}

export function className(idx: ClassIndex | null, kind: string, code: string): string {
  return idx?.byCode.get(`${kind}:${code}`)?.name ?? code;
}

const loadDepartments = fetchedOnce<DepartmentRef[]>('/api/departments');

export function useDepartments(): DepartmentRef[] {
  const [list, setList] = useState<DepartmentRef[]>([]);
  useEffect(() => {
    let alive = true;
    loadDepartments()
      .then((d) => alive && setList(d))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, []);
  return list;
}

/** The roles that have a workbench, in the order a switcher shows them. */
export const WORKBENCH_ROLES = ['acceptor', 'shiftlead', 'dispatcher', 'handler', 'dept_admin', 'inspector', 'leader', 'admin'] as const;

/**
 * States a role acts on in some workflow (the transitions' `from`, chases and requests aside): the
 * state filter a workbench offers. The 待办 queue itself is the server's (`role` names a person's
 * one role of several).
 */
export const ROLE_STATES: Record<string, string[] | null> = {
  acceptor: ['reported', 'accepted', 'verifying', 'feedback', 'self_review', 'reopened'],
  shiftlead: ['accepted', 'registered', 'coordination', 'dispatched', 'handling', 'suspended', 'to_close', 'reopened'],
  dispatcher: ['registered', 'coordination', 'dispatched', 'handling', 'suspended'],
  handler: ['dispatched', 'handling', 'suspended'],
  dept_admin: ['dispatched', 'handling', 'suspended'],
  inspector: ['verifying', 'checking'],
  leader: null,
  admin: null,
};
