import { List, Popup, SearchBar, Tag } from 'antd-mobile';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ClassNode } from '../../types.ts';
import { useClasses } from '../cases/caseUtil.ts';

/** A class a report can be filed under: a leaf of the city's taxonomy. */
export interface PickedClass {
  kind: 'component' | 'event';
  code: string;
  name: string;
}

const RECENT_KEY = 'cityloop.field.recentClasses';
const TREE_KEY = 'cityloop.field.classes';
const RECENT_MAX = 6;

function readJson<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}

/** The classes recently reported, newest first (kept on the phone). */
export function rememberClass(c: PickedClass): void {
  const list = readJson<PickedClass[]>(RECENT_KEY, []).filter((x) => !(x.kind === c.kind && x.code === c.code));
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify([c, ...list].slice(0, RECENT_MAX)));
  } catch {
    // storage full: recent classes are a convenience
  }
}

function leaves(nodes: ClassNode[], out: PickedClass[] = []): PickedClass[] {
  for (const n of nodes) {
    if (n.children?.length) leaves(n.children, out);
    else out.push({ kind: n.kind, code: n.code, name: n.name });
  }
  return out;
}

/** The reportable classes, from the server and kept on the phone so the picker works offline. */
function useLeafClasses(): PickedClass[] {
  const idx = useClasses();
  const [list, setList] = useState<PickedClass[]>(() => readJson<PickedClass[]>(TREE_KEY, []));
  useEffect(() => {
    if (!idx || idx.tree.length === 0) return;
    const l = leaves(idx.tree);
    setList(l);
    try {
      localStorage.setItem(TREE_KEY, JSON.stringify(l));
    } catch {
      // the picker then needs the network next time
    }
  }, [idx]);
  return list;
}

interface Props {
  visible: boolean;
  onClose: () => void;
  onPick: (c: PickedClass) => void;
}

/** 问题类别: search by code or name, with the recently used classes on top. */
export default function ClassPicker({ visible, onClose, onPick }: Props) {
  const { t } = useTranslation();
  const all = useLeafClasses();
  const [q, setQ] = useState('');
  const recent = readJson<PickedClass[]>(RECENT_KEY, []);
  const found = useMemo(() => {
    const s = q.trim();
    if (!s) return all.slice(0, 60);
    return all.filter((c) => c.code.startsWith(s) || c.name.includes(s)).slice(0, 60);
  }, [all, q]);
  const pick = (c: PickedClass) => {
    rememberClass(c);
    onPick(c);
    onClose();
  };
  const kindTag = (c: PickedClass) => (
    <Tag color={c.kind === 'event' ? 'warning' : 'primary'} fill="outline">
      {t(`field.kind.${c.kind}`)}
    </Tag>
  );
  return (
    <Popup visible={visible} onMaskClick={onClose} bodyStyle={{ height: '80vh', overflowY: 'auto' }} destroyOnClose>
      <div className="field-picker" data-testid="class-picker">
        <SearchBar placeholder={t('field.report.classSearch')} value={q} onChange={setQ} data-testid="class-search" />
        {recent.length > 0 && !q && (
          <List header={t('field.report.recent')}>
            {recent.map((c) => (
              <List.Item
                key={`r-${c.kind}-${c.code}`}
                onClick={() => pick(c)}
                extra={kindTag(c)}
                data-testid={`class-recent-${c.kind}-${c.code}`}
              >
                {c.code} {c.name}
              </List.Item>
            ))}
          </List>
        )}
        <List header={q ? t('field.report.found', { count: found.length }) : t('field.report.allClasses')}>
          {found.map((c) => (
            <List.Item key={`${c.kind}-${c.code}`} onClick={() => pick(c)} extra={kindTag(c)} data-testid={`class-${c.kind}-${c.code}`}>
              {c.code} {c.name}
            </List.Item>
          ))}
        </List>
      </div>
    </Popup>
  );
}
