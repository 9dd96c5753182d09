import 'maplibre-gl/dist/maplibre-gl.css';
import { CloseOutlined } from '@ant-design/icons';
import { COMPONENT_STATUSES } from '@cityloop/shared';
import { Alert, Button, Descriptions, Empty, List, Select, Space, Spin, Tag, TreeSelect, Typography } from 'antd';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { ApiError, api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { CaseItem, CaseList, ComponentProperties, FeatureCollection, RegionNode, RegionProperties } from '../../types.ts';
import { fmtTime, useClasses } from '../cases/caseUtil.ts';
import { buildStyle, LAYER, REGION_SOURCE } from '../map/mapStyle.ts';
import { clusterTooltip } from '../map/popups.ts';
import './census.css';

maplibregl.setWorkerUrl(workerUrl);

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];

/** One component as GET /api/components/:id returns it. */
interface ComponentDetail {
  id: number;
  code: string;
  edition: string;
  classCode: string;
  className: string | null;
  name: string | null;
  status: string;
  ownerDepartmentName: string | null;
  maintainerDepartmentName: string | null;
  gridId: number | null;
  gridCode: string | null;
  gridName: string | null;
  address: string | null;
  geometryType: string;
  lng: number;
  lat: number;
  version: number;
  updatedAt: string;
  createdAt: string;
  source: string | null;
  attributes: Record<string, unknown>;
  history: Array<{ id: number; changedAt: string; changedByName: string | null; action: string }>;
}

const STATUS_COLOR: Record<string, string> = {
  intact: 'green',
  damaged: 'red',
  lost: 'purple',
  occupied: 'orange',
  removed: 'default',
};
const SELECTED = 'census-selected';
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * 部件普查: the component census on the map — clusters at low zooms, single components from
 * zoom 17 (GET /api/components/clusters answers at most 5,000 features per view, so 400,000
 * components stay smooth) — filtered by class and status; a component opens its details and
 * the cases reported on it. The map style and layers are the 地图 page's.
 */
export default function CensusPage() {
  const { t } = useTranslation();
  const { settings, settingsLoaded } = useSession();
  const classes = useClasses();
  const containerRef = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const [classCode, setClassCode] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const [inView, setInView] = useState<number | null>(null);
  const [loadingView, setLoadingView] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [detail, setDetail] = useState<ComponentDetail | null>(null);
  const [cases, setCases] = useState<CaseList | null>(null);
  const filterRef = useRef<{ classCode?: string; status?: string }>({});
  filterRef.current = { classCode, status };
  const refreshRef = useRef<() => void>(() => {});

  // The map, once the city settings are known.
  useEffect(() => {
    const container = containerRef.current;
    if (!settingsLoaded || !container) return;
    const ac = new AbortController();
    const m = new maplibregl.Map({
      container,
      style: buildStyle(settings.basemapUrl),
      center: settings.mapCenter,
      zoom: Math.max(settings.mapZoom, 13),
      maxZoom: 19,
      dragRotate: false,
      pitchWithRotate: false,
      attributionControl: { compact: true },
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    m.touchZoomRotate.disableRotation();
    m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    m.addControl(new maplibregl.ScaleControl({ maxWidth: 120, unit: 'metric' }), 'bottom-right');
    window.__cityloopMap = m;
    delete document.body.dataset.censusReady;
    const loaded = new Promise<void>((resolve) => m.once('load', () => resolve()));

    void loaded.then(() => {
      // The selected component: a ring over its point.
      m.addSource(SELECTED, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      m.addLayer({
        id: SELECTED,
        type: 'circle',
        source: SELECTED,
        paint: { 'circle-radius': 11, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#ff7a00', 'circle-stroke-width': 3 },
      });
      // Grids are not needed here: district and street outlines give the bearings.
      for (const id of [LAYER.gridFill, LAYER.gridLine, LAYER.communityFill, LAYER.communityLine])
        m.setLayoutProperty(id, 'visibility', 'none');
    });
    for (const level of ['district', 'street'] as const) {
      api
        .get<FeatureCollection<RegionProperties>>('/api/regions/geojson', { level, tolerance: 0.0001 }, ac.signal)
        .then(async (fc) => {
          await loaded;
          if (!ac.signal.aborted) m.getSource<maplibregl.GeoJSONSource>(REGION_SOURCE[level])?.setData(fc as unknown as GeoJSONData);
        })
        .catch(() => {});
    }

    // Clusters of the view under the filters; a newer view aborts the older request.
    let timer = 0;
    let pending: AbortController | null = null;
    const refresh = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        if (ac.signal.aborted) return;
        pending?.abort();
        const req = new AbortController();
        pending = req;
        const b = m.getBounds();
        const bbox = [
          clamp(b.getWest(), -180, 180),
          clamp(b.getSouth(), -85, 85),
          clamp(b.getEast(), -180, 180),
          clamp(b.getNorth(), -85, 85),
        ]
          .map((v) => v.toFixed(6))
          .join(',');
        setLoadingView(true);
        api
          .get<FeatureCollection<ComponentProperties> & { total: number }>(
            '/api/components/clusters',
            { bbox, zoom: Math.floor(m.getZoom()), ...filterRef.current },
            req.signal,
          )
          .then((fc) => {
            if (req.signal.aborted) return;
            m.getSource<maplibregl.GeoJSONSource>('components')?.setData(fc as unknown as GeoJSONData);
            setInView(fc.total);
            setError(null);
            m.once('idle', () => {
              document.body.dataset.censusReady = String(Date.now());
            });
          })
          .catch((err: unknown) => {
            if (req.signal.aborted) return;
            setError(err instanceof Error ? err.message : String(err));
          })
          .finally(() => {
            if (!req.signal.aborted) setLoadingView(false);
          });
      }, 200);
    };
    refreshRef.current = refresh;
    void loaded.then(refresh);
    m.on('moveend', refresh);

    // Hover: pointer and a count tooltip on clusters.
    const tooltip = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'cl-tooltip', offset: 14 });
    const layers = [LAYER.componentClusters, LAYER.componentPoints];
    m.on('mousemove', (e) => {
      const hit = m.getLayer(LAYER.componentPoints) ? m.queryRenderedFeatures(e.point, { layers })[0] : undefined;
      m.getCanvas().style.cursor = hit ? 'pointer' : '';
      if (!hit) {
        tooltip.remove();
        return;
      }
      const p = hit.properties as ComponentProperties;
      const content = hit.layer.id === LAYER.componentClusters ? clusterTooltip(Number(p.count)) : document.createElement('div');
      if (hit.layer.id === LAYER.componentPoints) content.textContent = `${p.className ?? ''} · ${p.code ?? ''}`;
      tooltip.setLngLat(e.lngLat).setDOMContent(content).addTo(m);
    });
    m.on('click', (e) => {
      const hit = m.queryRenderedFeatures(e.point, { layers })[0];
      if (!hit || hit.geometry.type !== 'Point') return;
      const [lng, lat] = hit.geometry.coordinates as [number, number];
      if (hit.layer.id === LAYER.componentClusters) {
        m.easeTo({ center: [lng, lat], zoom: Math.min(m.getZoom() + 2, 19) });
        return;
      }
      const id = Number((hit.properties as ComponentProperties).id);
      if (Number.isFinite(id)) setSelectedId(id);
    });

    setMap(m);
    return () => {
      ac.abort();
      pending?.abort();
      window.clearTimeout(timer);
      refreshRef.current = () => {};
      tooltip.remove();
      m.remove();
      if (window.__cityloopMap === m) delete window.__cityloopMap;
      delete document.body.dataset.censusReady;
      setMap(null);
    };
  }, [settingsLoaded, settings.basemapUrl, settings.mapCenter, settings.mapZoom]);

  // A new filter redraws the view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the filter is read through filterRef
  useEffect(() => {
    refreshRef.current();
  }, [classCode, status]);

  // The configured centre may lie outside the city: show the city instead.
  useEffect(() => {
    if (!map) return;
    const ac = new AbortController();
    api
      .get<RegionNode[]>('/api/regions/tree', undefined, ac.signal)
      .then((tree) => {
        const boxes = tree.map((n) => n.bbox).filter((b) => b.every(Number.isFinite));
        if (!boxes.length) return;
        const w = Math.min(...boxes.map((b) => b[0]));
        const s = Math.min(...boxes.map((b) => b[1]));
        const e = Math.max(...boxes.map((b) => b[2]));
        const n = Math.max(...boxes.map((b) => b[3]));
        const c = map.getCenter();
        if (c.lng < w || c.lng > e || c.lat < s || c.lat > n) {
          map.fitBounds(
            [
              [w, s],
              [e, n],
            ],
            { padding: 40, duration: 0 },
          );
        }
      })
      .catch(() => {});
    return () => ac.abort();
  }, [map]);

  // The selected component: its details, the cases on it, and the ring on the map.
  useEffect(() => {
    setDetail(null);
    setCases(null);
    const source = map?.getSource<maplibregl.GeoJSONSource>(SELECTED);
    if (selectedId === null) {
      source?.setData({ type: 'FeatureCollection', features: [] });
      return;
    }
    const ac = new AbortController();
    api
      .get<ComponentDetail>(`/api/components/${selectedId}`, undefined, ac.signal)
      .then((d) => {
        setDetail(d);
        source?.setData({
          type: 'FeatureCollection',
          features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [d.lng, d.lat] } }],
        });
      })
      .catch((err: unknown) => !ac.signal.aborted && setError(err instanceof Error ? err.message : String(err)));
    api
      .get<CaseList>('/api/cases', { componentId: selectedId, limit: 20 }, ac.signal)
      .then(setCases)
      .catch((err: unknown) => {
        if (ac.signal.aborted) return;
        setCases({ items: [], total: 0 });
        if (!(err instanceof ApiError && err.status === 403)) setError(err instanceof Error ? err.message : String(err));
      });
    return () => ac.abort();
  }, [selectedId, map]);

  const classTree = useMemo(
    () =>
      (classes?.tree ?? [])
        .filter((n) => n.kind === 'component')
        .map((n) => ({
          value: n.code,
          title: `${n.code} ${n.name}`,
          children: (n.children ?? []).map((c) => ({ value: c.code, title: `${c.code} ${c.name}` })),
        })),
    [classes],
  );

  const handleLocate = useCallback(() => {
    if (map && detail) map.easeTo({ center: [detail.lng, detail.lat], zoom: Math.max(map.getZoom(), 17) });
  }, [map, detail]);

  const statusTag = (s: string) => <Tag color={STATUS_COLOR[s]}>{t(`componentStatus.${s}`, { defaultValue: s })}</Tag>;

  return (
    <div className="cl-census-page" data-testid="census-page">
      <div className="cl-census-panel">
        <div className="cl-census-head">
          <div className="cl-census-title">{t('maint.census.title')}</div>
          <Space direction="vertical" style={{ width: '100%' }}>
            <TreeSelect
              allowClear
              showSearch={{ treeNodeFilterProp: 'title' }}
              style={{ width: '100%' }}
              placeholder={t('maint.census.allClasses')}
              value={classCode}
              onChange={(v) => setClassCode(v)}
              treeData={classTree}
              data-testid="census-class"
            />
            <Select
              allowClear
              style={{ width: '100%' }}
              placeholder={t('maint.census.allStatuses')}
              value={status}
              onChange={setStatus}
              options={COMPONENT_STATUSES.map((s) => ({ value: s, label: t(`componentStatus.${s}`) }))}
              data-testid="census-status"
            />
            <Typography.Text type="secondary" data-testid="census-count">
              {loadingView && <Spin size="small" style={{ marginRight: 6 }} />}
              {inView === null ? '' : t('maint.census.inView', { n: inView.toLocaleString() })}
            </Typography.Text>
          </Space>
        </div>
        <div className="cl-census-detail">
          {selectedId === null ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('maint.census.pick')} />
          ) : !detail ? (
            <Spin />
          ) : (
            <Space direction="vertical" style={{ width: '100%' }} data-testid="census-detail">
              <Space style={{ justifyContent: 'space-between', width: '100%' }}>
                <Typography.Title level={5} style={{ margin: 0 }}>
                  {detail.className ?? detail.classCode} {statusTag(detail.status)}
                </Typography.Title>
                <Button
                  type="text"
                  size="small"
                  icon={<CloseOutlined />}
                  onClick={() => setSelectedId(null)}
                  aria-label={t('maint.census.close')}
                />
              </Space>
              <Descriptions size="small" column={1} bordered styles={{ label: { width: 92 } }}>
                <Descriptions.Item label={t('maint.census.code')}>
                  <Typography.Text copyable data-testid="census-code">
                    {detail.code}
                  </Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('maint.census.class')}>
                  {detail.classCode} {detail.className}
                </Descriptions.Item>
                {detail.name && <Descriptions.Item label={t('maint.census.name')}>{detail.name}</Descriptions.Item>}
                <Descriptions.Item label={t('maint.census.owner')}>{detail.ownerDepartmentName ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('maint.census.maintainer')}>{detail.maintainerDepartmentName ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('maint.census.grid')}>
                  {detail.gridName ? `${detail.gridName}（${detail.gridCode}）` : '—'}
                </Descriptions.Item>
                <Descriptions.Item label={t('maint.census.address')}>{detail.address ?? '—'}</Descriptions.Item>
                <Descriptions.Item label={t('maint.census.position')}>
                  <Button type="link" size="small" style={{ padding: 0 }} onClick={handleLocate}>
                    {detail.lng.toFixed(6)}, {detail.lat.toFixed(6)}
                  </Button>
                </Descriptions.Item>
                {Object.entries(detail.attributes ?? {}).map(([k, v]) => (
                  <Descriptions.Item key={k} label={k}>
                    {typeof v === 'string' ? v : JSON.stringify(v)}
                  </Descriptions.Item>
                ))}
                <Descriptions.Item label={t('maint.census.updated')}>
                  {fmtTime(detail.updatedAt)} · v{detail.version}
                </Descriptions.Item>
              </Descriptions>
              <Typography.Text strong>
                {t('maint.census.cases')} {cases ? `(${cases.total})` : ''}
              </Typography.Text>
              <List<CaseItem>
                size="small"
                loading={cases === null}
                dataSource={cases?.items ?? []}
                locale={{ emptyText: t('maint.census.noCases') }}
                data-testid="census-cases"
                renderItem={(c) => (
                  <List.Item>
                    <Space direction="vertical" size={0} style={{ width: '100%' }}>
                      <Space style={{ justifyContent: 'space-between', width: '100%' }}>
                        <Link to={`/cases/${c.id}`}>{c.number}</Link>
                        <Tag color={c.state === 'closed' ? 'default' : 'blue'}>{t(`states.${c.state}`, { defaultValue: c.state })}</Tag>
                      </Space>
                      <Typography.Text type="secondary" ellipsis style={{ fontSize: 12 }}>
                        {fmtTime(c.createdAt)} · {c.description}
                      </Typography.Text>
                    </Space>
                  </List.Item>
                )}
              />
              {detail.history.length > 0 && (
                <>
                  <Typography.Text strong>{t('maint.census.history')}</Typography.Text>
                  {detail.history.slice(0, 5).map((h) => (
                    <Typography.Text key={h.id} type="secondary" style={{ fontSize: 12 }}>
                      {fmtTime(h.changedAt)} · {h.changedByName ?? t('maint.audit.system')} · {h.action}
                    </Typography.Text>
                  ))}
                </>
              )}
            </Space>
          )}
        </div>
      </div>
      <div className="cl-map-wrap">
        <div ref={containerRef} className="cl-map" data-testid="census-map" />
        <div className="cl-census-legend">
          {COMPONENT_STATUSES.filter((s) => s !== 'removed').map((s) => (
            <span key={s}>
              <span className={`cl-census-dot s-${s}`} />
              {t(`componentStatus.${s}`)}
            </span>
          ))}
          <span className="cl-census-hint">{t('maint.census.hint')}</span>
        </div>
        {error && <Alert className="cl-map-alert" type="warning" showIcon closable title={error} onClose={() => setError(null)} />}
      </div>
    </div>
  );
}
