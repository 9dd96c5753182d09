import { Empty, Input, Spin, Tree, type TreeDataNode } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RegionNode } from '../../types.ts';

export function nodeKey(n: Pick<RegionNode, 'level' | 'id'>): string {
  return `${n.level}:${n.id}`;
}

interface Props {
  regions: RegionNode[] | null;
  selectedKey: string | null;
  onSelect(node: RegionNode): void;
}

/** Keeps the nodes whose name or code contains the query, with their ancestors. */
function filterTree(nodes: RegionNode[], q: string): RegionNode[] {
  const out: RegionNode[] = [];
  for (const n of nodes) {
    const children = n.children ? filterTree(n.children, q) : [];
    const hit = n.name.toLowerCase().includes(q) || n.code.toLowerCase().includes(q);
    if (hit || children.length > 0) out.push({ ...n, children: hit && children.length === 0 ? n.children : children });
  }
  return out;
}

function collectKeys(nodes: RegionNode[], into: string[] = []): string[] {
  for (const n of nodes) {
    if (n.children && n.children.length > 0) {
      into.push(nodeKey(n));
      collectKeys(n.children, into);
    }
  }
  return into;
}

function useHeight<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [height, setHeight] = useState(400);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(Math.max(100, el.clientHeight - 12)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, height] as const;
}

export default function RegionTree({ regions, selectedKey, onSelect }: Props) {
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const [expanded, setExpanded] = useState<string[]>([]);
  const [boxRef, height] = useHeight<HTMLDivElement>();

  const index = useMemo(() => {
    const m = new Map<string, RegionNode>();
    const walk = (ns: RegionNode[]) => {
      for (const n of ns) {
        m.set(nodeKey(n), n);
        if (n.children) walk(n.children);
      }
    };
    walk(regions ?? []);
    return m;
  }, [regions]);

  const q = query.trim().toLowerCase();
  const filtered = useMemo(() => (q ? filterTree(regions ?? [], q) : (regions ?? [])), [regions, q]);
  const searchExpanded = useMemo(() => (q ? collectKeys(filtered) : null), [filtered, q]);

  const treeData = useMemo(() => {
    const toData = (n: RegionNode): TreeDataNode => ({
      key: nodeKey(n),
      title: (
        <span className="cl-tree-node" data-testid={`region-${n.code}`}>
          <span>{n.name}</span>
          <span className="cl-tree-node-meta">
            {t(`levels.${n.level}`)} · {t('map.gridCount', { count: n.gridCount })}
          </span>
        </span>
      ),
      isLeaf: !n.children || n.children.length === 0,
      children: n.children?.map(toData),
    });
    return filtered.map(toData);
  }, [filtered, t]);

  return (
    <div className="cl-region-panel">
      <div className="cl-region-panel-head">
        <div className="cl-region-panel-title">{t('map.regions')}</div>
        <Input.Search
          allowClear
          placeholder={t('map.searchPlaceholder')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="region-search"
        />
      </div>
      <div className="cl-region-tree" ref={boxRef} data-testid="region-tree">
        {regions === null ? (
          <div className="cl-fullscreen-center">
            <Spin />
          </div>
        ) : treeData.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('map.noRegions')} />
        ) : (
          <Tree
            blockNode
            showLine={{ showLeafIcon: false }}
            height={height}
            treeData={treeData}
            expandedKeys={searchExpanded ?? expanded}
            onExpand={(keys) => {
              if (!searchExpanded) setExpanded(keys.map(String));
            }}
            selectedKeys={selectedKey ? [selectedKey] : []}
            onSelect={(_keys, info) => {
              const n = index.get(String(info.node.key));
              if (n) onSelect(n);
            }}
          />
        )}
      </div>
    </div>
  );
}
