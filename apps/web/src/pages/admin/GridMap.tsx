import 'maplibre-gl/dist/maplibre-gl.css';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { useSession } from '../../session.tsx';
import type { RegionProperties } from '../../types.ts';
import { buildStyle, COLORS, LAYER, REGION_SOURCE } from '../map/mapStyle.ts';
import { bboxOfGeometry, type Geometry, GRID_MAP_LEVELS, type RegionFC, regionOutlinesOf, useRegionOutlines } from '../map/outlines.ts';

maplibregl.setWorkerUrl(workerUrl);
// The worker starts loading with this module, while the page still waits for its data.
maplibregl.prewarm();

export { bboxOfGeometry, type Geometry, type RegionFC };

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];

/** Layers of the shared style these maps never show: components, communities, and the streets' hover fill (transparent here). */
const HIDDEN_LAYERS = new Set<string>([
  LAYER.componentClusters,
  LAYER.componentPoints,
  LAYER.communityFill,
  LAYER.communityLine,
  LAYER.streetFill,
]);

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

function outlineFc(outline: Geometry | null): GeoJSONData {
  return (
    outline
      ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: outline }] }
      : { type: 'FeatureCollection', features: [] }
  ) as GeoJSONData;
}

/**
 * The city's districts, streets and unit grids, with chosen grids filled; for the maintenance pages.
 * The map is built once its outlines are here, with them in its style: drawn once rather than
 * again for each part (each frame costs on a machine without a GPU).
 */
export default function GridMap({ chosen = [], onGridClick, outline = null, fitTo = null, onReady, reloadKey = 0, testId }: Props) {
  const { settings, settingsLoaded } = useSession();
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const handlers = useRef({ onGridClick, onReady });
  handlers.current = { onGridClick, onReady };
  const chosenRef = useRef<number[]>([]);
  const outlines = useRegionOutlines(GRID_MAP_LEVELS);
  /** What the map was built with or last given: the same outline and bounds are not applied again. */
  const shown = useRef<{ outline: Geometry | null; fitKey: string | undefined; reloadKey: number }>({
    outline: null,
    fitKey: undefined,
    reloadKey,
  });
  const latest = useRef({ outline, fitTo, reloadKey });
  latest.current = { outline, fitTo, reloadKey };

  const buildable = settingsLoaded && outlines !== null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the map is built once its settings and outlines are known
  useEffect(() => {
    const container = ref.current;
    if (!buildable || !outlines || !container) return;
    const style = buildStyle(settings.basemapUrl);
    style.layers = style.layers
      .filter((l) => !HIDDEN_LAYERS.has(l.id))
      // Grids are what these pages work on: shown from every zoom.
      .map((l) => (l.id === LAYER.gridFill || l.id === LAYER.gridLine ? { ...l, minzoom: 0 } : l));
    for (const level of GRID_MAP_LEVELS) {
      const fc = outlines[level];
      const source = style.sources[REGION_SOURCE[level]];
      if (fc && source?.type === 'geojson') source.data = fc as unknown as GeoJSONData;
    }
    const first = latest.current;
    shown.current = { outline: first.outline, fitKey: first.fitTo?.join(','), reloadKey: first.reloadKey };
    style.sources[EDIT] = { type: 'geojson', data: outlineFc(first.outline) };
    style.layers.push(
      {
        id: CHOSEN_FILL,
        type: 'fill',
        source: 'grids',
        paint: {
          'fill-color': COLORS.gridFill,
          'fill-opacity': ['case', ['boolean', ['feature-state', 'chosen'], false], 0.45, 0],
        },
      },
      {
        id: CHOSEN_LINE,
        type: 'line',
        source: 'grids',
        paint: {
          'line-color': '#0c3d91',
          'line-width': ['case', ['boolean', ['feature-state', 'chosen'], false], 1.6, 0],
        },
      },
      { id: `${EDIT}-fill`, type: 'fill', source: EDIT, paint: { 'fill-color': COLORS.highlight, 'fill-opacity': 0.15 } },
      { id: `${EDIT}-line`, type: 'line', source: EDIT, paint: { 'line-color': COLORS.highlight, 'line-width': 3 } },
    );
    const fit = first.fitTo?.every(Number.isFinite) ? first.fitTo : null;
    const m = new maplibregl.Map({
      container,
      style,
      ...(fit
        ? {
            bounds: [
              [fit[0], fit[1]],
              [fit[2], fit[3]],
            ] as [[number, number], [number, number]],
            fitBoundsOptions: { padding: 50, maxZoom: 17 },
          }
        : { center: settings.mapCenter, zoom: settings.mapZoom }),
      maxZoom: 19,
      dragRotate: false,
      pitchWithRotate: false,
      attributionControl: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    window.__cityloopMap = m;
    let alive = true;
    // With its data in the style the map may be idle in the frame it loads: both are listened for at once.
    m.once('load', () => {
      if (!alive) return;
      m.once('idle', () => {
        if (alive) document.body.dataset.gridMapReady = String(Date.now());
      });
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
      alive = false;
      m.remove();
      if (window.__cityloopMap === m) delete window.__cityloopMap;
      delete document.body.dataset.gridMapReady;
      setMap(null);
    };
  }, [buildable, settings.basemapUrl, settings.mapCenter, settings.mapZoom]);

  // The region layers read again after a boundary changed (the map was built with the current ones).
  useEffect(() => {
    if (!map || shown.current.reloadKey === reloadKey) return;
    shown.current.reloadKey = reloadKey;
    let alive = true;
    delete document.body.dataset.gridMapReady;
    void regionOutlinesOf(GRID_MAP_LEVELS, true).then((fresh) => {
      if (!alive) return;
      for (const level of GRID_MAP_LEVELS) {
        const fc = fresh[level];
        if (fc) map.getSource<maplibregl.GeoJSONSource>(REGION_SOURCE[level])?.setData(fc as unknown as GeoJSONData);
      }
      // Feature state lives with the source's data: chosen grids are marked again.
      for (const id of chosenRef.current) map.setFeatureState({ source: 'grids', id }, { chosen: true });
      map.once('idle', () => {
        if (alive) document.body.dataset.gridMapReady = String(Date.now());
      });
    });
    return () => {
      alive = false;
    };
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
    if (!map || shown.current.outline === outline) return;
    shown.current.outline = outline;
    map.getSource<maplibregl.GeoJSONSource>(EDIT)?.setData(outlineFc(outline));
  }, [map, outline]);

  const fitKey = fitTo?.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: fit when the bounds' values change, not their array
  useEffect(() => {
    if (!map || shown.current.fitKey === fitKey) return;
    shown.current.fitKey = fitKey;
    if (!fitTo?.every(Number.isFinite)) return;
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
