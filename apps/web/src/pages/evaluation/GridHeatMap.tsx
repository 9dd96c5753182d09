import 'maplibre-gl/dist/maplibre-gl.css';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { FeatureCollection } from '../../types.ts';
import { bboxOfCollection } from '../map/outlines.ts';

maplibregl.setWorkerUrl(workerUrl);

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];
const EMPTY = { type: 'FeatureCollection', features: [] } as unknown as GeoJSONData;

export interface HotGrid {
  id: number;
  code: string;
  name: string;
  lng: number;
  lat: number;
  reports: number;
}

/** A light map of the city (district and grid outlines from the regions API, no external tiles). */
function lightStyle(basemapUrl: string | null): maplibregl.StyleSpecification {
  const sources: maplibregl.StyleSpecification['sources'] = {
    districts: { type: 'geojson', data: EMPTY },
    grids: { type: 'geojson', data: EMPTY, promoteId: 'id' },
    hot: { type: 'geojson', data: EMPTY },
  };
  const layers: maplibregl.LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f6f9' } }];
  if (basemapUrl) {
    sources.basemap = { type: 'raster', tiles: [basemapUrl], tileSize: 256, maxzoom: 19 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.6, 'raster-saturation': -0.6 } });
  }
  const n = ['coalesce', ['feature-state', 'n'], 0] as maplibregl.ExpressionSpecification;
  layers.push(
    { id: 'district-fill', type: 'fill', source: 'districts', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.7 } },
    {
      id: 'grid-count',
      type: 'fill',
      source: 'grids',
      minzoom: 12,
      paint: {
        'fill-color': ['step', n, '#ffffff', 1, '#fee391', 3, '#fe9929', 6, '#d7301f'],
        'fill-opacity': ['case', ['>', n, 0], 0.55, 0],
      },
    },
    { id: 'grid-line', type: 'line', source: 'grids', minzoom: 12, paint: { 'line-color': '#c7d0dc', 'line-width': 0.5 } },
    {
      id: 'district-line',
      type: 'line',
      source: 'districts',
      paint: { 'line-color': '#5b7db1', 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1, 14, 2.5] },
    },
    {
      id: 'hot-heat',
      type: 'heatmap',
      source: 'hot',
      maxzoom: 15,
      paint: {
        'heatmap-weight': ['interpolate', ['linear'], ['get', 'w'], 0, 0, 1, 1],
        'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 9, 1, 14, 2.5],
        'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 9, 18, 12, 32, 15, 60],
        'heatmap-opacity': ['interpolate', ['linear'], ['zoom'], 12, 0.85, 15, 0.3],
        'heatmap-color': [
          'interpolate',
          ['linear'],
          ['heatmap-density'],
          0,
          'rgba(255,255,255,0)',
          0.15,
          '#ffffb2',
          0.35,
          '#fecc5c',
          0.6,
          '#fd8d3c',
          0.8,
          '#f03b20',
          1,
          '#bd0026',
        ],
      },
    },
    {
      id: 'hot-count',
      type: 'circle',
      source: 'hot',
      minzoom: 13,
      paint: {
        'circle-radius': 9,
        'circle-color': '#bd0026',
        'circle-opacity': 0.8,
        'circle-stroke-color': '#fff',
        'circle-stroke-width': 1,
      },
    },
  );
  return { version: 8, name: 'cityloop-heat', sources, layers };
}

/**
 * The reports per unit grid as a heat map: a heatmap layer on a point inside each grid weighted
 * by its reports (relative to the busiest grid), and, zoomed in, the grids themselves shaded by count.
 */
export default function GridHeatMap({ grids }: { grids: HotGrid[] }) {
  const { settings, settingsLoaded } = useSession();
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const shaded = useRef<number[]>([]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the map is built once the settings are known
  useEffect(() => {
    const container = ref.current;
    if (!settingsLoaded || !container) return;
    const ac = new AbortController();
    const m = new maplibregl.Map({
      container,
      style: lightStyle(settings.basemapUrl),
      center: settings.mapCenter,
      zoom: Math.min(settings.mapZoom, 11),
      maxZoom: 18,
      dragRotate: false,
      attributionControl: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    const loaded = new Promise<void>((resolve) => m.once('load', () => resolve()));
    const fetched = (['district', 'grid'] as const).map((level) =>
      api
        .get<FeatureCollection>('/api/regions/geojson', { level }, ac.signal)
        .then(async (fc) => {
          await loaded;
          if (ac.signal.aborted) return;
          m.getSource<maplibregl.GeoJSONSource>(level === 'district' ? 'districts' : 'grids')?.setData(fc as unknown as GeoJSONData);
          if (level === 'district') {
            const b = bboxOfCollection(fc);
            if (b) m.fitBounds(b, { padding: 24, duration: 0 });
          }
        })
        .catch(() => {
          // outlines are context: the heat goes on without them
        }),
    );
    void Promise.all([loaded, ...fetched]).then(() => {
      if (ac.signal.aborted) return;
      setMap(m);
    });
    return () => {
      ac.abort();
      m.remove();
      setMap(null);
      delete container.dataset.ready;
    };
  }, [settingsLoaded, settings.basemapUrl]);

  useEffect(() => {
    const container = ref.current;
    if (!map || !container) return;
    const max = Math.max(1, ...grids.map((g) => g.reports));
    map.getSource<maplibregl.GeoJSONSource>('hot')?.setData({
      type: 'FeatureCollection',
      features: grids.map((g) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [g.lng, g.lat] },
        properties: { id: g.id, n: g.reports, w: g.reports / max },
      })),
    } as unknown as GeoJSONData);
    for (const id of shaded.current) map.removeFeatureState({ source: 'grids', id });
    for (const g of grids) map.setFeatureState({ source: 'grids', id: g.id }, { n: g.reports });
    shaded.current = grids.map((g) => g.id);
    delete container.dataset.ready;
    map.once('idle', () => {
      container.dataset.ready = '1';
    });
    map.triggerRepaint();
  }, [map, grids]);

  return <div ref={ref} className="cl-eval-map" data-testid="heat-map" />;
}
