import 'maplibre-gl/dist/maplibre-gl.css';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { useSession } from '../../session.tsx';
import { bboxOfCollection, GRID_MAP_LEVELS, useRegionOutlines } from '../map/outlines.ts';
import { type OpenCase, STATE_GROUPS } from './commandTypes.ts';

maplibregl.setWorkerUrl(workerUrl);
// The worker starts loading with this module, while the screen still waits for its data.
maplibregl.prewarm();

/** The outline levels the big screen draws (the maintenance maps' levels: the same answers serve both). */
const COMMAND_MAP_LEVELS = GRID_MAP_LEVELS;
const SOURCE_OF = { district: 'districts', street: 'streets', grid: 'grids' } as const;

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];

/** An inspector's last position (GET /api/patrol/last). */
export interface PatrolPoint {
  personId: number;
  name: string;
  at: string;
  lng: number;
  lat: number;
}

interface Props {
  cases: OpenCase[];
  heat: Array<{ gridId: number; n: number }>;
  patrol: PatrolPoint[];
}

const EMPTY = { type: 'FeatureCollection', features: [] } as unknown as GeoJSONData;

/** The city's dark map: districts, streets and grids of the regions API (no external tiles), today's grid heat, open cases. */
function darkStyle(basemapUrl: string | null): maplibregl.StyleSpecification {
  const geojson = (promote = true) => ({ type: 'geojson' as const, data: EMPTY, ...(promote ? { promoteId: 'id' } : {}) });
  const groupColor = [
    'match',
    ['get', 'group'],
    ...STATE_GROUPS.flatMap((g) => [g.key, g.color]),
    '#3ea6ff',
  ] as unknown as maplibregl.ExpressionSpecification;
  const heat = ['coalesce', ['feature-state', 'n'], 0] as maplibregl.ExpressionSpecification;
  const layers: maplibregl.LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': '#06101f' } }];
  const sources: maplibregl.StyleSpecification['sources'] = {
    districts: geojson(),
    streets: geojson(),
    grids: geojson(),
    cases: geojson(false),
    patrol: geojson(false),
  };
  if (basemapUrl) {
    sources.basemap = { type: 'raster', tiles: [basemapUrl], tileSize: 256, maxzoom: 19 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.35, 'raster-saturation': -0.8 } });
  }
  layers.push(
    { id: 'district-fill', type: 'fill', source: 'districts', paint: { 'fill-color': '#0d2344', 'fill-opacity': 0.9 } },
    {
      id: 'grid-heat',
      type: 'fill',
      source: 'grids',
      paint: {
        // Steps rather than a blend: blue and yellow mixed in RGB read as grey on a dark map.
        'fill-color': ['step', heat, '#1f5fbf', 2, '#2f93e0', 3, '#f0b429', 5, '#ff7a2f', 8, '#ff2d55'],
        'fill-opacity': ['case', ['>', heat, 0], 0.7, 0],
      },
    },
    {
      id: 'grid-line',
      type: 'line',
      source: 'grids',
      minzoom: 12,
      paint: { 'line-color': '#1d3a63', 'line-width': 0.5 },
    },
    {
      id: 'street-line',
      type: 'line',
      source: 'streets',
      paint: { 'line-color': '#24528f', 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.6, 14, 1.6] },
    },
    {
      id: 'district-line',
      type: 'line',
      source: 'districts',
      layout: { 'line-join': 'round' },
      paint: { 'line-color': '#3fb6ff', 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1.5, 14, 3.5], 'line-opacity': 0.9 },
    },
    {
      id: 'cases-overdue',
      type: 'circle',
      source: 'cases',
      filter: ['==', ['get', 'light'], 'r'],
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 8, 13, 13, 16, 17],
        'circle-color': '#ff2d2d',
        'circle-opacity': 0.35,
        'circle-blur': 0.4,
      },
    },
    {
      id: 'cases-points',
      type: 'circle',
      source: 'cases',
      paint: {
        'circle-radius': [
          'interpolate',
          ['linear'],
          ['zoom'],
          9,
          ['case', ['get', 'urgent'], 5, 3.5],
          13,
          ['case', ['get', 'urgent'], 8, 6],
          16,
          ['case', ['get', 'urgent'], 11, 8],
        ],
        'circle-color': groupColor,
        'circle-stroke-color': ['case', ['get', 'urgent'], '#ffffff', ['==', ['get', 'light'], 'r'], '#ff2d2d', '#06101f'],
        'circle-stroke-width': ['case', ['get', 'urgent'], 1.8, ['==', ['get', 'light'], 'r'], 1.2, 0.6],
      },
    },
  );
  layers.push(
    {
      id: 'patrol-halo',
      type: 'circle',
      source: 'patrol',
      paint: { 'circle-radius': 11, 'circle-color': '#2ee6e6', 'circle-opacity': ['case', ['get', 'fresh'], 0.25, 0.08] },
    },
    {
      id: 'patrol-points',
      type: 'circle',
      source: 'patrol',
      paint: {
        'circle-radius': 5,
        'circle-color': ['case', ['get', 'fresh'], '#2ee6e6', '#5b6b82'],
        'circle-stroke-color': '#06101f',
        'circle-stroke-width': 2,
      },
    },
  );
  return { version: 8, name: 'cityloop-command', sources, layers };
}

const groupByState = new Map(STATE_GROUPS.flatMap((g) => g.states.map((s) => [s, g.key] as const)));

function casesFc(cases: OpenCase[]): GeoJSONData {
  return {
    type: 'FeatureCollection',
    features: cases.map(([id, lng, lat, state, urgent, light]) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [lng, lat] },
      properties: { id, group: groupByState.get(state) ?? 'intake', urgent: urgent === 1, light },
    })),
  } as unknown as GeoJSONData;
}

/** The big screen's map of the city with today's grid heat and the open cases, fitted to the city. */
/** A fix older than this is drawn grey: the inspector is off duty or out of coverage. */
const PATROL_FRESH_MS = 15 * 60_000;

function patrolFc(points: PatrolPoint[]): GeoJSONData {
  const now = Date.now();
  return {
    type: 'FeatureCollection',
    features: points.map((p) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [p.lng, p.lat] },
      properties: { id: p.personId, name: p.name, fresh: now - Date.parse(p.at) < PATROL_FRESH_MS },
    })),
  } as unknown as GeoJSONData;
}

/**
 * The map is built once its outlines are here, with them (and whatever cases and positions are
 * known by then) in its style: drawn once rather than again for each part, each frame costing on
 * a machine without a GPU.
 */
export default function CommandMap({ cases, heat, patrol }: Props) {
  const { settings, settingsLoaded } = useSession();
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const outlines = useRegionOutlines(COMMAND_MAP_LEVELS);
  const heated = useRef<number[]>([]);
  /** The cases and positions the map holds: the same arrays are not sent again. */
  const shown = useRef<{ cases: OpenCase[] | null; patrol: PatrolPoint[] | null }>({ cases: null, patrol: null });
  const latest = useRef({ cases, patrol });
  latest.current = { cases, patrol };

  const buildable = settingsLoaded && outlines !== null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the map is built once its settings and outlines are known
  useEffect(() => {
    const container = ref.current;
    if (!buildable || !outlines || !container) return;
    const style = darkStyle(settings.basemapUrl);
    for (const level of COMMAND_MAP_LEVELS) {
      const fc = outlines[level];
      const source = style.sources[SOURCE_OF[level]];
      if (fc && source?.type === 'geojson') source.data = fc as unknown as GeoJSONData;
    }
    const first = latest.current;
    shown.current = { cases: first.cases, patrol: first.patrol };
    const casesSource = style.sources.cases;
    if (casesSource?.type === 'geojson') casesSource.data = casesFc(first.cases);
    const patrolSource = style.sources.patrol;
    if (patrolSource?.type === 'geojson') patrolSource.data = patrolFc(first.patrol);
    container.dataset.cases = String(first.cases.length);
    container.dataset.patrol = String(first.patrol.length);
    const bounds = bboxOfCollection(outlines.district);
    const m = new maplibregl.Map({
      container,
      style,
      // The legend sits over the map's foot: the city is kept clear of it.
      ...(bounds
        ? { bounds, fitBoundsOptions: { padding: { top: 56, bottom: 96, left: 40, right: 40 } } }
        : { center: settings.mapCenter, zoom: Math.min(settings.mapZoom, 12) }),
      maxZoom: 18,
      dragRotate: false,
      pitchWithRotate: false,
      attributionControl: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    m.touchZoomRotate.disableRotation();
    window.__cityloopMap = m;
    let alive = true;
    // With its data in the style the map may be idle in the frame it loads: both are listened for at once.
    m.once('load', () => {
      if (!alive) return;
      m.once('idle', () => {
        if (alive) container.dataset.ready = '1';
      });
      setMap(m);
    });
    const onResize = () => m.resize();
    window.addEventListener('resize', onResize);
    return () => {
      alive = false;
      window.removeEventListener('resize', onResize);
      m.remove();
      if (window.__cityloopMap === m) delete window.__cityloopMap;
      delete container.dataset.ready;
      setMap(null);
      heated.current = [];
    };
  }, [buildable, settings.basemapUrl]);

  useEffect(() => {
    if (!map || shown.current.cases === cases) return;
    shown.current.cases = cases;
    map.getSource<maplibregl.GeoJSONSource>('cases')?.setData(casesFc(cases));
    if (ref.current) ref.current.dataset.cases = String(cases.length);
  }, [map, cases]);

  useEffect(() => {
    if (!map || shown.current.patrol === patrol) return;
    shown.current.patrol = patrol;
    map.getSource<maplibregl.GeoJSONSource>('patrol')?.setData(patrolFc(patrol));
    if (ref.current) ref.current.dataset.patrol = String(patrol.length);
  }, [map, patrol]);

  useEffect(() => {
    if (!map || !outlines?.grid) return;
    for (const id of heated.current) map.removeFeatureState({ source: 'grids', id }, 'n');
    for (const h of heat) map.setFeatureState({ source: 'grids', id: h.gridId }, { n: h.n });
    heated.current = heat.map((h) => h.gridId);
  }, [map, heat, outlines]);

  return <div ref={ref} className="cl-cmd-map-canvas" data-testid="command-map" />;
}
