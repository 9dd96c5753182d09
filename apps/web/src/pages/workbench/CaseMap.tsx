import 'maplibre-gl/dist/maplibre-gl.css';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { useSession } from '../../session.tsx';
import type { Light } from '../../types.ts';
import { LIGHT_COLORS } from '../cases/caseUtil.ts';
import { buildStyle, LAYER, REGION_SOURCE } from '../map/mapStyle.ts';
import { bboxOfCollection, CASE_MAP_LEVELS, useRegionOutlines } from '../map/outlines.ts';

maplibregl.setWorkerUrl(workerUrl);
// The worker starts loading with this module, while the page still waits for its data.
maplibregl.prewarm();

/** Layers of the shared style this map never shows: hover fills (transparent here), grids, highlight, components. */
const HIDDEN_LAYERS = new Set<string>([
  LAYER.streetFill,
  LAYER.communityFill,
  LAYER.gridFill,
  LAYER.gridLine,
  LAYER.highlightFill,
  LAYER.highlightLine,
  LAYER.componentClusters,
  LAYER.componentPoints,
]);

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];

export interface CasePoint {
  id: number;
  lng: number;
  lat: number;
  light: Light;
  urgent: boolean;
}

interface Props {
  points: CasePoint[];
  selectedId?: number | null;
  onSelect?: (id: number) => void;
  /** A single pin (the hotline form's location); clicking the map moves it when onPick is given. */
  pin?: [number, number] | null;
  onPick?: (lngLat: [number, number]) => void;
  /**
   * The points are still being read: the map waits for them (and for the outlines) and is built
   * once with everything, rather than drawn again as each part arrives (each frame costs on a
   * machine without a GPU).
   */
  pending?: boolean;
  testId?: string;
}

const CASES = 'cases';
const PIN = 'pin';

function pinFc(pin: [number, number] | null | undefined): GeoJSONData {
  return (
    pin
      ? { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: pin }, properties: {} }] }
      : { type: 'FeatureCollection', features: [] }
  ) as GeoJSONData;
}

function pointsKey(points: CasePoint[], selectedId: number | null | undefined): string {
  return `${selectedId ?? ''}/${points.map((p) => `${p.id},${p.lng},${p.lat},${p.light},${p.urgent ? 1 : 0}`).join(';')}`;
}

function pointsFc(points: CasePoint[], selectedId: number | null | undefined) {
  return {
    type: 'FeatureCollection',
    features: points.map((p) => ({
      type: 'Feature',
      id: p.id,
      geometry: { type: 'Point', coordinates: [p.lng, p.lat] },
      properties: { id: p.id, light: p.light, urgent: p.urgent, selected: p.id === selectedId },
    })),
  } as unknown as GeoJSONData;
}

/** The workbench map: district/street outlines and the listed cases as points coloured by their light. */
export default function CaseMap({ points, selectedId, onSelect, pin, onPick, pending = false, testId = 'case-map' }: Props) {
  const { settings, settingsLoaded } = useSession();
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const handlers = useRef({ onSelect, onPick });
  handlers.current = { onSelect, onPick };
  const outlines = useRegionOutlines(CASE_MAP_LEVELS);
  /** Latched once everything the first drawing needs is here: the map is built once. */
  const [ready, setReady] = useState(false);
  /** What the cases source holds: the same points (a list read again, a clock tick) are not sent to the map again. */
  const shown = useRef<string | null>(null);
  /** The pin the map holds: the one it was built with is drawn already; a later one is set and eased to. */
  const pinShown = useRef<[number, number] | null | undefined>(undefined);
  /** The case the view went to last (so a refreshed list does not fly there again). */
  const flownTo = useRef<number | null>(null);
  const latest = useRef({ points, selectedId });
  latest.current = { points, selectedId };

  useEffect(() => {
    if (settingsLoaded && outlines && !pending) setReady(true);
  }, [settingsLoaded, outlines, pending]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the map is built once its settings, outlines and first points are known
  useEffect(() => {
    const container = ref.current;
    if (!ready || !outlines || !container) return;
    const ac = new AbortController();
    const style = buildStyle(settings.basemapUrl);
    style.layers = style.layers.filter((l) => !HIDDEN_LAYERS.has(l.id));
    for (const level of CASE_MAP_LEVELS) {
      const fc = outlines[level];
      const source = style.sources[REGION_SOURCE[level]];
      if (fc && source?.type === 'geojson') source.data = fc as unknown as GeoJSONData;
    }
    const first = latest.current;
    shown.current = pointsKey(first.points, first.selectedId);
    style.sources[CASES] = { type: 'geojson', data: pointsFc(first.points, first.selectedId) };
    // A selected case is where the map starts (rather than flying there from the city).
    const at = first.selectedId != null ? first.points.find((p) => p.id === first.selectedId) : undefined;
    if (at) flownTo.current = at.id;
    style.sources[PIN] = { type: 'geojson', data: pinFc(pin) };
    pinShown.current = pin;
    const lightColor = [
      'match',
      ['get', 'light'],
      'red',
      LIGHT_COLORS.red,
      'yellow',
      LIGHT_COLORS.yellow,
      'green',
      LIGHT_COLORS.green,
      LIGHT_COLORS.none,
    ];
    style.layers.push(
      {
        id: 'cases-halo',
        type: 'circle',
        source: CASES,
        filter: ['==', ['get', 'selected'], true],
        paint: {
          'circle-radius': 14,
          'circle-color': '#1456c8',
          'circle-opacity': 0.25,
          'circle-stroke-color': '#1456c8',
          'circle-stroke-width': 2,
        },
      },
      {
        id: 'cases-points',
        type: 'circle',
        source: CASES,
        paint: {
          'circle-radius': ['case', ['get', 'urgent'], 8, 6],
          'circle-color': lightColor as maplibregl.ExpressionSpecification,
          'circle-stroke-color': ['case', ['get', 'urgent'], '#7a0000', '#ffffff'],
          'circle-stroke-width': ['case', ['get', 'urgent'], 2.5, 1.5],
        },
      },
      {
        id: 'pin',
        type: 'circle',
        source: PIN,
        paint: { 'circle-radius': 9, 'circle-color': '#1456c8', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 },
      },
    );
    // Start on the selected case, or the pin, or else the whole city.
    const focus: [number, number] | null = at ? [at.lng, at.lat] : (pin ?? null);
    const bounds = focus ? null : bboxOfCollection(outlines.district);
    const m = new maplibregl.Map({
      container,
      style,
      ...(bounds
        ? { bounds, fitBoundsOptions: { padding: 40 } }
        : { center: focus ?? settings.mapCenter, zoom: focus ? 15 : Math.min(settings.mapZoom, 13) }),
      maxZoom: 19,
      dragRotate: false,
      pitchWithRotate: false,
      attributionControl: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    m.touchZoomRotate.disableRotation();
    m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    window.__cityloopMap = m;
    // With its data in the style the map may be idle in the frame it loads: both are listened for at once.
    m.once('load', () => {
      if (ac.signal.aborted) return;
      m.once('idle', () => {
        if (!ac.signal.aborted) container.dataset.ready = '1';
      });
      setMap(m);
    });
    m.on('click', (e) => {
      const hit = m.queryRenderedFeatures(e.point, { layers: ['cases-points'] })[0];
      if (hit && handlers.current.onSelect) {
        handlers.current.onSelect(Number(hit.properties.id));
        return;
      }
      handlers.current.onPick?.([Number(e.lngLat.lng.toFixed(7)), Number(e.lngLat.lat.toFixed(7))]);
    });
    m.on('mousemove', (e) => {
      const hit = m.queryRenderedFeatures(e.point, { layers: ['cases-points'] })[0];
      m.getCanvas().style.cursor = hit ? 'pointer' : handlers.current.onPick ? 'crosshair' : '';
    });
    return () => {
      ac.abort();
      m.remove();
      if (window.__cityloopMap === m) delete window.__cityloopMap;
      delete container.dataset.ready;
      setMap(null);
    };
  }, [ready, settings.basemapUrl]);

  useEffect(() => {
    if (!map) return;
    const key = pointsKey(points, selectedId);
    if (shown.current === key) return;
    shown.current = key;
    map.getSource<maplibregl.GeoJSONSource>(CASES)?.setData(pointsFc(points, selectedId));
  }, [map, points, selectedId]);

  // Fly to a newly selected case (not again when the list refreshes).
  useEffect(() => {
    if (!map || selectedId == null || flownTo.current === selectedId) return;
    const p = points.find((x) => x.id === selectedId);
    if (!p) return;
    flownTo.current = selectedId;
    map.flyTo({ center: [p.lng, p.lat], zoom: Math.max(map.getZoom(), 15), duration: 800 });
  }, [map, selectedId, points]);

  useEffect(() => {
    if (!map || pinShown.current === pin) return;
    pinShown.current = pin;
    map.getSource<maplibregl.GeoJSONSource>(PIN)?.setData(pinFc(pin));
    if (pin) map.easeTo({ center: pin, zoom: Math.max(map.getZoom(), 15), duration: 600 });
  }, [map, pin]);

  return <div ref={ref} className="cl-case-map" data-testid={testId} />;
}
