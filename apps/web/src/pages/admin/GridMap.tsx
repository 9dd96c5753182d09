import 'maplibre-gl/dist/maplibre-gl.css';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { FeatureCollection, RegionProperties } from '../../types.ts';
import { buildStyle, COLORS, LAYER, REGION_SOURCE } from '../map/mapStyle.ts';

maplibregl.setWorkerUrl(workerUrl);

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];
export type RegionFC = FeatureCollection<RegionProperties>;

/** A GeoJSON geometry as the API sends and takes it. */
export interface Geometry {
  type: string;
  coordinates: unknown;
}

/** Layers this map adds over the 地图 page's style: chosen grids, and an edited outline. */
const CHOSEN_FILL = 'maint-chosen-fill';
const CHOSEN_LINE = 'maint-chosen-line';
const EDIT = 'maint-edit';

interface Props {
  /** Grid ids drawn as chosen (filled). */
  chosen?: number[];
  /** Called with the grid under a click. */
  onGridClick?: (id: number, props: RegionProperties) => void;
  /** An outline drawn over everything (a boundary being edited). */
  outline?: Geometry | null;
  /** Fit the view to these bounds whenever they change. */
  fitTo?: [number, number, number, number] | null;
  /** Hands the map to the page once its style has loaded (for markers). */
  onReady?: (map: maplibregl.Map) => void;
  /** Bump to reload the grid layer (after a boundary changed). */
  reloadKey?: number;
  testId: string;
}

/** The city's districts, streets and unit grids, with chosen grids filled; for the maintenance pages. */
export default function GridMap({ chosen = [], onGridClick, outline = null, fitTo = null, onReady, reloadKey = 0, testId }: Props) {
  const { settings, settingsLoaded } = useSession();
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const handlers = useRef({ onGridClick, onReady });
  handlers.current = { onGridClick, onReady };
  const chosenRef = useRef<number[]>([]);

  useEffect(() => {
    if (!settingsLoaded || !ref.current) return;
    const m = new maplibregl.Map({
      container: ref.current,
      style: buildStyle(settings.basemapUrl),
      center: settings.mapCenter,
      zoom: settings.mapZoom,
      maxZoom: 19,
      dragRotate: false,
      pitchWithRotate: false,
      attributionControl: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    window.__cityloopMap = m;
    m.once('load', () => {
      // Grids are what these pages work on: show them from every zoom.
      m.setLayerZoomRange(LAYER.gridFill, 0, 24);
      m.setLayerZoomRange(LAYER.gridLine, 0, 24);
      for (const id of [LAYER.componentClusters, LAYER.componentPoints, LAYER.communityFill, LAYER.communityLine])
        m.setLayoutProperty(id, 'visibility', 'none');
      m.addLayer({
        id: CHOSEN_FILL,
        type: 'fill',
        source: 'grids',
        paint: {
          'fill-color': COLORS.gridFill,
          'fill-opacity': ['case', ['boolean', ['feature-state', 'chosen'], false], 0.45, 0],
        },
      });
      m.addLayer({
        id: CHOSEN_LINE,
        type: 'line',
        source: 'grids',
        paint: {
          'line-color': '#0c3d91',
          'line-width': ['case', ['boolean', ['feature-state', 'chosen'], false], 1.6, 0],
        },
      });
      m.addSource(EDIT, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      m.addLayer({ id: `${EDIT}-fill`, type: 'fill', source: EDIT, paint: { 'fill-color': COLORS.highlight, 'fill-opacity': 0.15 } });
      m.addLayer({ id: `${EDIT}-line`, type: 'line', source: EDIT, paint: { 'line-color': COLORS.highlight, 'line-width': 3 } });
      setMap(m);
      handlers.current.onReady?.(m);
    });
    m.on('click', (e) => {
      const hit = m.queryRenderedFeatures(e.point, { layers: [LAYER.gridFill] })[0];
      if (hit) handlers.current.onGridClick?.(Number(hit.properties.id), hit.properties as RegionProperties);
    });
    m.on('mousemove', (e) => {
      m.getCanvas().style.cursor = m.queryRenderedFeatures(e.point, { layers: [LAYER.gridFill] }).length ? 'pointer' : '';
    });
    return () => {
      m.remove();
      if (window.__cityloopMap === m) delete window.__cityloopMap;
      delete document.body.dataset.gridMapReady;
      setMap(null);
    };
  }, [settingsLoaded, settings.basemapUrl, settings.mapCenter, settings.mapZoom]);

  // Region layers (grids again after a boundary changed).
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloadKey asks for the layers again
  useEffect(() => {
    if (!map) return;
    const ac = new AbortController();
    delete document.body.dataset.gridMapReady;
    for (const level of ['district', 'street', 'grid'] as const) {
      api
        .get<RegionFC>('/api/regions/geojson', { level }, ac.signal)
        .then((fc) => {
          if (ac.signal.aborted) return;
          map.getSource<maplibregl.GeoJSONSource>(REGION_SOURCE[level])?.setData(fc as unknown as GeoJSONData);
          if (level === 'grid') {
            // Feature state lives with the source's data: chosen grids are marked again.
            for (const id of chosenRef.current) map.setFeatureState({ source: 'grids', id }, { chosen: true });
            map.once('idle', () => {
              document.body.dataset.gridMapReady = String(Date.now());
            });
          }
        })
        .catch(() => {});
    }
    return () => ac.abort();
  }, [map, reloadKey]);

  // Chosen grids as feature state.
  useEffect(() => {
    if (!map) return;
    const next = new Set(chosen);
    for (const id of chosenRef.current) if (!next.has(id)) map.setFeatureState({ source: 'grids', id }, { chosen: false });
    for (const id of next) map.setFeatureState({ source: 'grids', id }, { chosen: true });
    chosenRef.current = [...next];
  }, [map, chosen]);

  useEffect(() => {
    if (!map) return;
    map
      .getSource<maplibregl.GeoJSONSource>(EDIT)
      ?.setData(
        outline
          ? ({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: outline }] } as unknown as GeoJSONData)
          : { type: 'FeatureCollection', features: [] },
      );
  }, [map, outline]);

  const fitKey = fitTo?.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: fit when the bounds' values change, not their array
  useEffect(() => {
    if (!map || !fitTo?.every(Number.isFinite)) return;
    map.fitBounds(
      [
        [fitTo[0], fitTo[1]],
        [fitTo[2], fitTo[3]],
      ],
      { padding: 50, maxZoom: 17, duration: 0 },
    );
  }, [map, fitKey]);

  return <div ref={ref} className="cl-maint-map-canvas" data-testid={testId} />;
}

/** The bounds of a geometry's coordinates. */
export function bboxOfGeometry(g: Geometry | null | undefined): [number, number, number, number] | null {
  if (!g) return null;
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const walk = (c: unknown): void => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
      return;
    }
    for (const x of c) walk(x);
  };
  walk((g as { coordinates?: unknown }).coordinates);
  return Number.isFinite(w) ? [w, s, e, n] : null;
}
