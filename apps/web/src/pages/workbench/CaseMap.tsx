import 'maplibre-gl/dist/maplibre-gl.css';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { FeatureCollection, Light, RegionProperties } from '../../types.ts';
import { LIGHT_COLORS } from '../cases/caseUtil.ts';
import { buildStyle, REGION_SOURCE } from '../map/mapStyle.ts';

maplibregl.setWorkerUrl(workerUrl);

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
  testId?: string;
}

const CASES = 'cases';
const PIN = 'pin';

/** The bounding box of a feature collection's coordinates. */
function bboxOf(fc: FeatureCollection): [[number, number], [number, number]] | null {
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
  for (const f of fc.features) walk((f.geometry as { coordinates?: unknown }).coordinates);
  return Number.isFinite(w)
    ? [
        [w, s],
        [e, n],
      ]
    : null;
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
export default function CaseMap({ points, selectedId, onSelect, pin, onPick, testId = 'case-map' }: Props) {
  const { settings, settingsLoaded } = useSession();
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const handlers = useRef({ onSelect, onPick });
  /** Set once the view moved to a case or pin, so the city outline no longer refits. */
  const fitted = useRef(false);
  handlers.current = { onSelect, onPick };

  // biome-ignore lint/correctness/useExhaustiveDependencies: the map is built once the settings are known
  useEffect(() => {
    const container = ref.current;
    if (!settingsLoaded || !container) return;
    const ac = new AbortController();
    const style = buildStyle(settings.basemapUrl);
    style.sources[CASES] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
    style.sources[PIN] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
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
    const m = new maplibregl.Map({
      container,
      style,
      center: settings.mapCenter,
      zoom: Math.min(settings.mapZoom, 13),
      maxZoom: 19,
      dragRotate: false,
      pitchWithRotate: false,
      attributionControl: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    m.touchZoomRotate.disableRotation();
    m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    window.__cityloopMap = m;
    const loaded = new Promise<void>((resolve) => m.once('load', () => resolve()));
    for (const level of ['district', 'street', 'community'] as const) {
      api
        .get<FeatureCollection<RegionProperties>>('/api/regions/geojson', { level }, ac.signal)
        .then(async (fc) => {
          await loaded;
          if (ac.signal.aborted) return;
          m.getSource<maplibregl.GeoJSONSource>(REGION_SOURCE[level])?.setData(fc as unknown as GeoJSONData);
          // Start on the whole city unless a case or a pin already drew the eye.
          if (level === 'district' && !fitted.current) {
            const b = bboxOf(fc);
            if (b) m.fitBounds(b, { padding: 40, duration: 0 });
          }
        })
        .catch(() => {
          // outlines are context only
        });
    }
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
    void loaded.then(() => {
      if (!ac.signal.aborted) {
        setMap(m);
        m.once('idle', () => {
          if (!ac.signal.aborted) container.dataset.ready = '1';
        });
      }
    });
    return () => {
      ac.abort();
      m.remove();
      if (window.__cityloopMap === m) delete window.__cityloopMap;
      delete container.dataset.ready;
      setMap(null);
    };
  }, [settingsLoaded, settings.basemapUrl]);

  useEffect(() => {
    map?.getSource<maplibregl.GeoJSONSource>(CASES)?.setData(pointsFc(points, selectedId));
  }, [map, points, selectedId]);

  // Fly to a newly selected case (not again when the list refreshes).
  const flownTo = useRef<number | null>(null);
  useEffect(() => {
    if (!map || selectedId == null || flownTo.current === selectedId) return;
    const p = points.find((x) => x.id === selectedId);
    if (!p) return;
    flownTo.current = selectedId;
    fitted.current = true;
    map.flyTo({ center: [p.lng, p.lat], zoom: Math.max(map.getZoom(), 15), duration: 800 });
  }, [map, selectedId, points]);

  useEffect(() => {
    if (!map) return;
    const fc = pin
      ? { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: pin }, properties: {} }] }
      : { type: 'FeatureCollection', features: [] };
    map.getSource<maplibregl.GeoJSONSource>(PIN)?.setData(fc as unknown as GeoJSONData);
    if (pin) fitted.current = true;
    if (pin) map.easeTo({ center: pin, zoom: Math.max(map.getZoom(), 15), duration: 600 });
  }, [map, pin]);

  return <div ref={ref} className="cl-case-map" data-testid={testId} />;
}
