import 'maplibre-gl/dist/maplibre-gl.css';
import { Alert, Card, Checkbox, Spin } from 'antd';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { BBox, ComponentProperties, FeatureCollection, LocateResult, RegionNode, RegionProperties } from '../../types.ts';
import {
  buildStyle,
  COLORS,
  GRID_MIN_ZOOM,
  GROUP_LAYERS,
  HOVER_LAYERS,
  LAYER,
  LAYER_GROUPS,
  type LayerGroup,
  REGION_LEVELS,
  REGION_SOURCE,
} from './mapStyle.ts';
import { clusterTooltip, componentPopup, fmtLngLat, loadingPopup, locatePopup, messagePopup, regionTooltip } from './popups.ts';
import RegionTree, { nodeKey } from './RegionTree.tsx';

maplibregl.setWorkerUrl(workerUrl);

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];
type RegionFeature = FeatureCollection<RegionProperties>['features'][number];

const EMPTY_FC: FeatureCollection = { type: 'FeatureCollection', features: [] };

function setSourceData<P>(map: maplibregl.Map, source: string, data: FeatureCollection<P>): void {
  map.getSource<maplibregl.GeoJSONSource>(source)?.setData(data as unknown as GeoJSONData);
}

function unionBBox(nodes: RegionNode[]): BBox | null {
  let b: BBox | null = null;
  for (const n of nodes) {
    const [w, s, e, nn] = n.bbox;
    if (![w, s, e, nn].every(Number.isFinite)) continue;
    b = b ? [Math.min(b[0], w), Math.min(b[1], s), Math.max(b[2], e), Math.max(b[3], nn)] : [w, s, e, nn];
  }
  return b;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Feature state lets the fill layers brighten the region under the mouse. */
interface HoverRef {
  source: string;
  id: string | number;
}

function StatusBar({ map, gridsOn }: { map: maplibregl.Map; gridsOn: boolean }) {
  const { t } = useTranslation();
  const [zoom, setZoom] = useState(map.getZoom());
  const [cursor, setCursor] = useState<[number, number] | null>(null);
  useEffect(() => {
    let frame = 0;
    const onZoom = () => setZoom(map.getZoom());
    const onMove = (e: maplibregl.MapMouseEvent) => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setCursor([e.lngLat.lng, e.lngLat.lat]));
    };
    map.on('zoom', onZoom);
    map.on('mousemove', onMove);
    return () => {
      cancelAnimationFrame(frame);
      map.off('zoom', onZoom);
      map.off('mousemove', onMove);
    };
  }, [map]);
  return (
    <div className="cl-map-status" data-testid="map-status">
      Z {zoom.toFixed(1)}
      {cursor ? ` · ${fmtLngLat(cursor[0], cursor[1])}` : ''}
      {gridsOn && zoom < GRID_MIN_ZOOM ? ` · ${t('map.zoomHint')}` : ''}
    </div>
  );
}

function LegendLine({ color, width, dashed }: { color: string; width: number; dashed?: boolean }) {
  return (
    <span
      className="cl-legend-swatch"
      style={{ borderTopColor: color, borderTopWidth: width, borderTopStyle: dashed ? 'dashed' : 'solid' }}
    />
  );
}

const LEGEND: Record<LayerGroup, React.ReactNode> = {
  district: <LegendLine color={COLORS.districtLine} width={3} />,
  street: <LegendLine color={COLORS.streetLine} width={2} />,
  community: <LegendLine color={COLORS.communityLine} width={1} dashed />,
  grid: <LegendLine color={COLORS.gridLine} width={1} />,
  components: (
    <span
      className="cl-legend-swatch"
      style={{ width: 10, height: 10, borderRadius: 5, border: 'none', background: COLORS.components, marginLeft: 2, marginRight: 8 }}
    />
  ),
};

const GROUP_LABEL: Record<LayerGroup, string> = {
  district: 'map.layerDistricts',
  street: 'map.layerStreets',
  community: 'map.layerCommunities',
  grid: 'map.layerGrids',
  components: 'map.layerComponents',
};

export default function MapPage() {
  const { t } = useTranslation();
  const { settings, settingsLoaded } = useSession();
  const containerRef = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const [tree, setTree] = useState<RegionNode[] | null>(null);
  const [selectedKey, setSelectedKey] = useState<string | null>(null);
  const [visible, setVisible] = useState<LayerGroup[]>(LAYER_GROUPS);
  const [error, setError] = useState<string | null>(null);
  const features = useRef(new Map<string, RegionFeature>());
  const loaded = useRef(false);
  const refreshComponentsRef = useRef<() => void>(() => {});
  const visibleRef = useRef(visible);
  visibleRef.current = visible;

  // Region tree (independent of the map).
  useEffect(() => {
    const ac = new AbortController();
    api
      .get<RegionNode[]>('/api/regions/tree', undefined, ac.signal)
      .then((nodes) => setTree(Array.isArray(nodes) ? nodes : []))
      .catch((err: unknown) => {
        if (ac.signal.aborted) return;
        setTree([]);
        setError(t('map.loadFailed', { message: err instanceof Error ? err.message : String(err) }));
      });
    return () => ac.abort();
  }, [t]);

  // The map itself, created once the city settings are known.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the map is rebuilt only when the basemap or the initial view changes
  useEffect(() => {
    const container = containerRef.current;
    if (!settingsLoaded || !container) return;
    const ac = new AbortController();
    const m = new maplibregl.Map({
      container,
      style: buildStyle(settings.basemapUrl),
      center: settings.mapCenter,
      zoom: settings.mapZoom,
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
    delete document.body.dataset.mapReady;
    features.current.clear();
    loaded.current = false;

    const mapLoaded = new Promise<void>((resolve) => m.once('load', () => resolve()));
    void mapLoaded.then(() => {
      loaded.current = true;
      for (const g of LAYER_GROUPS) {
        const on = visibleRef.current.includes(g);
        for (const id of GROUP_LAYERS[g]) m.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
      }
    });

    // Region layers.
    for (const level of REGION_LEVELS) {
      api
        .get<FeatureCollection<RegionProperties>>('/api/regions/geojson', { level }, ac.signal)
        .then(async (fc) => {
          await mapLoaded;
          if (ac.signal.aborted) return;
          for (const f of fc.features) features.current.set(`${level}:${f.properties.id}`, f);
          setSourceData(m, REGION_SOURCE[level], fc);
          if (level === 'grid') {
            m.once('idle', () => {
              if (!ac.signal.aborted) document.body.dataset.mapReady = '1';
            });
          }
        })
        .catch((err: unknown) => {
          if (ac.signal.aborted) return;
          setError(t('map.loadFailed', { message: err instanceof Error ? err.message : String(err) }));
        });
    }

    // Component clusters for the current view; the endpoint may be absent on older servers.
    let clusterTimer = 0;
    let clusterAbort: AbortController | null = null;
    const refreshComponents = () => {
      window.clearTimeout(clusterTimer);
      clusterTimer = window.setTimeout(() => {
        if (ac.signal.aborted || !visibleRef.current.includes('components')) return;
        clusterAbort?.abort();
        const req = new AbortController();
        clusterAbort = req;
        const b = m.getBounds();
        const bbox = [
          clamp(b.getWest(), -180, 180),
          clamp(b.getSouth(), -85, 85),
          clamp(b.getEast(), -180, 180),
          clamp(b.getNorth(), -85, 85),
        ]
          .map((v) => v.toFixed(6))
          .join(',');
        api
          .get<FeatureCollection<ComponentProperties>>('/api/components/clusters', { bbox, zoom: Math.floor(m.getZoom()) }, req.signal)
          .then((fc) => {
            if (!req.signal.aborted && fc && Array.isArray(fc.features)) setSourceData(m, 'components', fc);
          })
          .catch((err: unknown) => {
            if (req.signal.aborted) return;
            setSourceData(m, 'components', EMPTY_FC);
            if (!(err instanceof ApiError && err.status === 404)) console.warn('component clusters:', err);
          });
      }, 250);
    };
    void mapLoaded.then(refreshComponents);
    m.on('moveend', refreshComponents);
    refreshComponentsRef.current = refreshComponents;

    // Hover: tooltip with the name of what is under the mouse.
    const tooltip = new maplibregl.Popup({
      closeButton: false,
      closeOnClick: false,
      className: 'cl-tooltip',
      offset: 14,
      maxWidth: '360px',
    });
    let hover: HoverRef | null = null;
    const setHover = (next: HoverRef | null) => {
      if (hover && (!next || hover.source !== next.source || hover.id !== next.id)) {
        m.setFeatureState(hover, { hover: false });
      }
      if (next) m.setFeatureState(next, { hover: true });
      hover = next;
    };
    const hoverLayers = [LAYER.componentClusters, LAYER.componentPoints, ...HOVER_LAYERS.map((l) => l.layer)];
    let moveFrame = 0;
    m.on('mousemove', (e) => {
      cancelAnimationFrame(moveFrame);
      moveFrame = requestAnimationFrame(() => {
        if (!loaded.current) return;
        const hits = m.queryRenderedFeatures(e.point, { layers: hoverLayers });
        const top = hits[0];
        if (!top) {
          setHover(null);
          tooltip.remove();
          m.getCanvas().style.cursor = '';
          return;
        }
        const layerId = top.layer.id;
        if (layerId === LAYER.componentClusters || layerId === LAYER.componentPoints) {
          setHover(null);
          const p = top.properties as ComponentProperties;
          m.getCanvas().style.cursor = 'pointer';
          const content =
            layerId === LAYER.componentClusters
              ? clusterTooltip(Number(p.count))
              : regionTooltip('grid', p.className ?? t('map.component'), p.code ?? '');
          if (layerId === LAYER.componentPoints) {
            content.textContent = `${p.className ?? t('map.component')} · ${p.code ?? ''}`;
          }
          tooltip.setLngLat(e.lngLat).setDOMContent(content).addTo(m);
          return;
        }
        m.getCanvas().style.cursor = '';
        const level = HOVER_LAYERS.find((l) => l.layer === layerId)?.level;
        const p = top.properties as RegionProperties;
        if (!level || top.id === undefined) return;
        setHover({ source: REGION_SOURCE[level], id: top.id });
        tooltip
          .setLngLat(e.lngLat)
          .setDOMContent(regionTooltip(level, p.name, p.code))
          .addTo(m);
      });
    });
    m.getCanvasContainer().addEventListener('mouseleave', () => {
      cancelAnimationFrame(moveFrame);
      setHover(null);
      tooltip.remove();
    });

    // Click: components first, otherwise locate the point in the grid system.
    const clickPopup = new maplibregl.Popup({ className: 'cl-popup', maxWidth: '340px', offset: 6, closeOnClick: false });
    let locateSeq = 0;
    m.on('click', (e) => {
      if (!loaded.current) return;
      tooltip.remove();
      const hit = m.queryRenderedFeatures(e.point, { layers: [LAYER.componentClusters, LAYER.componentPoints] })[0];
      if (hit && hit.geometry.type === 'Point') {
        const [lng, lat] = hit.geometry.coordinates as [number, number];
        if (hit.layer.id === LAYER.componentClusters) {
          m.easeTo({ center: [lng, lat], zoom: Math.min(m.getZoom() + 2, 19) });
        } else {
          clickPopup
            .setLngLat([lng, lat])
            .setDOMContent(componentPopup(hit.properties as ComponentProperties, lng, lat))
            .addTo(m);
        }
        return;
      }
      const { lng, lat } = e.lngLat;
      const seq = ++locateSeq;
      clickPopup.setLngLat(e.lngLat).setDOMContent(loadingPopup(lng, lat)).addTo(m);
      api
        .get<LocateResult>('/api/regions/locate', { lng: lng.toFixed(7), lat: lat.toFixed(7) }, ac.signal)
        .then((r) => {
          if (seq === locateSeq) clickPopup.setDOMContent(locatePopup(r));
        })
        .catch((err: unknown) => {
          if (seq !== locateSeq || ac.signal.aborted) return;
          if (err instanceof ApiError && err.code === 'location_outside_city') {
            clickPopup.setDOMContent(messagePopup(lng, lat, t('map.outside')));
          } else {
            clickPopup.setDOMContent(messagePopup(lng, lat, t('map.locateFailed'), err instanceof Error ? err.message : String(err)));
          }
        });
    });

    setMap(m);
    return () => {
      ac.abort();
      clusterAbort?.abort();
      window.clearTimeout(clusterTimer);
      cancelAnimationFrame(moveFrame);
      refreshComponentsRef.current = () => {};
      m.remove();
      if (window.__cityloopMap === m) delete window.__cityloopMap;
      delete document.body.dataset.mapReady;
      loaded.current = false;
      setMap(null);
    };
  }, [settingsLoaded, settings.basemapUrl, settings.mapCenter, settings.mapZoom]);

  // When the configured centre lies outside the city, show the whole city instead.
  useEffect(() => {
    if (!map || !tree || tree.length === 0) return;
    const b = unionBBox(tree);
    if (!b) return;
    const c = map.getCenter();
    if (c.lng < b[0] || c.lng > b[2] || c.lat < b[1] || c.lat > b[3]) {
      map.fitBounds(
        [
          [b[0], b[1]],
          [b[2], b[3]],
        ],
        { padding: 40, duration: 0 },
      );
    }
  }, [map, tree]);

  // Layer switcher.
  useEffect(() => {
    if (!map) return;
    const apply = () => {
      for (const g of LAYER_GROUPS) {
        const on = visible.includes(g);
        for (const id of GROUP_LAYERS[g]) {
          if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
        }
      }
      refreshComponentsRef.current();
    };
    if (loaded.current) apply();
  }, [map, visible]);

  const selectRegion = useCallback(
    (node: RegionNode) => {
      const key = nodeKey(node);
      setSelectedKey(key);
      if (!map) return;
      const [w, s, e, n] = node.bbox;
      if ([w, s, e, n].every(Number.isFinite)) {
        map.fitBounds(
          [
            [w, s],
            [e, n],
          ],
          { padding: 60, maxZoom: 17, duration: 800 },
        );
      }
      const f = features.current.get(key);
      setSourceData(map, 'highlight', f ? { type: 'FeatureCollection', features: [f] } : EMPTY_FC);
    },
    [map],
  );

  return (
    <div className="cl-map-page">
      <RegionTree regions={tree} selectedKey={selectedKey} onSelect={selectRegion} />
      <div className="cl-map-wrap">
        <div ref={containerRef} className="cl-map" data-testid="map" />
        {!settingsLoaded && (
          <div className="cl-fullscreen-center">
            <Spin />
          </div>
        )}
        <Card size="small" className="cl-layer-panel" title={t('map.layers')} data-testid="layer-panel">
          <Checkbox.Group<LayerGroup>
            value={visible}
            onChange={(v) => setVisible(v)}
            options={LAYER_GROUPS.map((g) => ({
              value: g,
              label: (
                <span>
                  {LEGEND[g]}
                  {t(GROUP_LABEL[g])}
                </span>
              ),
            }))}
          />
        </Card>
        {error && <Alert className="cl-map-alert" type="warning" showIcon closable title={error} onClose={() => setError(null)} />}
        {map && <StatusBar map={map} gridsOn={visible.includes('grid')} />}
      </div>
    </div>
  );
}
