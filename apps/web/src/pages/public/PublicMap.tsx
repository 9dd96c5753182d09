import 'maplibre-gl/dist/maplibre-gl.css';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { buildStyle, REGION_SOURCE } from '../map/mapStyle.ts';
import type { Settings, Spot } from './publicApi.ts';

maplibregl.setWorkerUrl(workerUrl);

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];

interface Props {
  settings: Settings;
  spot: Spot | null;
  /** Given: the map can be tapped and the pin dragged to set the place. */
  onMove?: (spot: Spot) => void;
  height?: number;
  testId?: string;
}

/**
 * A small map of the city's district and street outlines (no external tiles unless the city
 * sets a base map) with one pin: where the problem is.
 */
export default function PublicMap({ settings, spot, onMove, height = 220, testId = 'public-map' }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const markerRef = useRef<maplibregl.Marker | null>(null);
  const moveRef = useRef(onMove);
  moveRef.current = onMove;
  const first = useRef(spot);

  useEffect(() => {
    const container = ref.current;
    if (!container) return;
    const ac = new AbortController();
    const start = first.current;
    const m = new maplibregl.Map({
      container,
      style: buildStyle(settings.basemapUrl),
      center: start ? [start.lng, start.lat] : settings.mapCenter,
      zoom: start ? 16 : Math.min(settings.mapZoom, 12),
      maxZoom: 19,
      dragRotate: false,
      pitchWithRotate: false,
      attributionControl: false,
    });
    m.touchZoomRotate.disableRotation();
    setMap(m);
    const loaded = new Promise<void>((resolve) => m.once('load', () => resolve()));
    for (const level of ['district', 'street'] as const) {
      fetch(`/api/public/regions/outlines?level=${level}`, { signal: ac.signal })
        .then((r) => (r.ok ? r.json() : null))
        .then(async (fc) => {
          await loaded;
          if (fc && !ac.signal.aborted) m.getSource<maplibregl.GeoJSONSource>(REGION_SOURCE[level])?.setData(fc as GeoJSONData);
        })
        .catch(() => {
          // outlines are context only
        });
    }
    m.on('click', (e) => moveRef.current?.({ lng: Number(e.lngLat.lng.toFixed(7)), lat: Number(e.lngLat.lat.toFixed(7)) }));
    void loaded.then(() => {
      if (!ac.signal.aborted) m.once('idle', () => container.setAttribute('data-ready', '1'));
    });
    return () => {
      ac.abort();
      markerRef.current = null;
      setMap(null);
      m.remove();
      container.removeAttribute('data-ready');
    };
  }, [settings.basemapUrl, settings.mapCenter, settings.mapZoom]);

  useEffect(() => {
    const m = map;
    if (!m || !spot) return;
    let marker = markerRef.current;
    if (!marker) {
      marker = new maplibregl.Marker({ color: '#d4380d', draggable: Boolean(moveRef.current) });
      marker.on('dragend', () => {
        const p = marker?.getLngLat();
        if (p) moveRef.current?.({ lng: Number(p.lng.toFixed(7)), lat: Number(p.lat.toFixed(7)) });
      });
      marker.setLngLat([spot.lng, spot.lat]).addTo(m);
      markerRef.current = marker;
    } else {
      marker.setLngLat([spot.lng, spot.lat]);
    }
    m.easeTo({ center: [spot.lng, spot.lat], zoom: Math.max(m.getZoom(), 16), duration: 300 });
  }, [map, spot]);

  return <div ref={ref} className="pr-map" style={{ height }} data-testid={testId} />;
}
