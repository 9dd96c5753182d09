import i18n from '../../i18n/index.ts';
import type { ComponentProperties, LocateResult, RegionLevel, RegionRef } from '../../types.ts';

type Child = Node | string | null | undefined | false;

/** Builds DOM for map popups (text is set with textContent, never parsed as HTML). */
export function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

function row(label: string, value: Child): HTMLElement {
  return h('tr', {}, h('th', {}, label), h('td', {}, value));
}

function refText(ref: RegionRef | null): string {
  return ref ? `${ref.name}（${ref.code}）` : '—';
}

export function fmtLngLat(lng: number, lat: number): string {
  return `${lng.toFixed(6)}, ${lat.toFixed(6)}`;
}

export function fmtArea(m2: number): string {
  if (!Number.isFinite(m2)) return '—';
  return m2 >= 1e6 ? `${(m2 / 1e6).toFixed(2)} km²` : `${Math.round(m2).toLocaleString()} m²`;
}

export function loadingPopup(lng: number, lat: number): HTMLElement {
  const t = i18n.t.bind(i18n);
  return h('div', { 'data-testid': 'locate-popup' }, h('div', { class: 'cl-muted' }, fmtLngLat(lng, lat)), h('div', {}, t('map.locating')));
}

export function locatePopup(r: LocateResult): HTMLElement {
  const t = i18n.t.bind(i18n);
  const [lng, lat] = r.point;
  return h(
    'div',
    { 'data-testid': 'locate-popup' },
    h('h4', {}, r.grid.name),
    h(
      'table',
      {},
      h(
        'tbody',
        {},
        row(t('map.grid'), r.grid.code),
        row(t('map.community'), refText(r.community)),
        row(t('map.street'), refText(r.street)),
        row(t('map.district'), refText(r.district)),
        row(t('map.point'), fmtLngLat(lng ?? 0, lat ?? 0)),
      ),
    ),
    r.distanceM > 0 ? h('div', { class: 'cl-muted' }, t('map.distance', { distance: r.distanceM.toFixed(1) })) : null,
  );
}

export function messagePopup(lng: number, lat: number, title: string, detail?: string): HTMLElement {
  return h(
    'div',
    { 'data-testid': 'locate-popup' },
    h('h4', {}, title),
    detail ? h('div', { class: 'cl-muted' }, detail) : null,
    h('div', { class: 'cl-muted' }, fmtLngLat(lng, lat)),
  );
}

export function componentPopup(p: ComponentProperties, lng: number, lat: number): HTMLElement {
  const t = i18n.t.bind(i18n);
  const status = p.status ? t(`componentStatus.${p.status}`, { defaultValue: p.status }) : '—';
  return h(
    'div',
    { 'data-testid': 'component-popup' },
    h('h4', {}, p.className ?? t('map.component')),
    h(
      'table',
      {},
      h(
        'tbody',
        {},
        row(t('map.componentCode'), p.code ?? '—'),
        row(t('map.componentClass'), p.classCode ?? '—'),
        row(t('map.componentStatus'), status),
        row(t('map.point'), fmtLngLat(lng, lat)),
      ),
    ),
  );
}

export function clusterTooltip(count: number): HTMLElement {
  const t = i18n.t.bind(i18n);
  return h('div', {}, h('strong', {}, t('map.cluster', { count })), ' · ', t('map.clusterHint'));
}

export function regionTooltip(level: RegionLevel, name: string, code: string): HTMLElement {
  const t = i18n.t.bind(i18n);
  return h('div', {}, `${t(`levels.${level}`)} · `, h('strong', {}, name), ` ${code}`);
}
