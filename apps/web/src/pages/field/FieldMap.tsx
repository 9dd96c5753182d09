import 'maplibre-gl/dist/maplibre-gl.css';
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import type { FeatureCollection, RegionProperties } from '../../types.ts';
import { buildStyle, REGION_SOURCE } from '../map/mapStyle.ts';
import type { Spot } from './fieldApi.ts';

maplibregl.setWorkerUrl(workerUrl);

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];

interface Props {
  spot: Spot | null;
  /** Given: the pin can be dragged (or the map tapped) to correct the GPS position. */
  onMove?: (spot: Spot) => void;
  height?: number;
  testId?: string;
}

/**
 * A small map of the city's own layers (no external tiles) with one pin: the report's place,
 * draggable to where the problem really is, or a case's place to go to.
 */
export default function FieldMap({ spot, onMove, height = 200, testId = 'field-map' }: Props) {
  const { settings, settingsLoaded } = useSession();
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const markerRef = useRef<maplibregl.Marker | null>(null);
  const moveRef = useRef(onMove);
  moveRef.current = onMove;

  // biome-ignore lint/correctness/useExhaustiveDependencies: built once the settings are known; the pin follows below
  useEffect(() => {
    const container = ref.current;
    if (!settingsLoaded || !container) return;
    const ac = new AbortController();
    const m = new maplibregl.Map({
      container,
      style: buildStyle(settings.basemapUrl),
      center: spot ? [spot.lng, spot.lat] : settings.mapCenter,
      zoom: spot ? 16 : Math.min(settings.mapZoom, 13),
      maxZoom: 19,
      dragRotate: false,
      pitchWithRotate: false,
      attributionControl: false,
    });
    m.touchZoomRotate.disableRotation();
    setMap(m);
    const loaded = new Promise<void>((resolve) => m.once('load', () => resolve()));
    for (const level of ['street', 'community', 'grid'] as const) {
      const b = m.getBounds();
      api
        .get<FeatureCollection<RegionProperties>>(
          '/api/regions/geojson',
          { level, bbox: level === 'grid' ? [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].join(',') : undefined },
          ac.signal,
        )
        .then(async (fc) => {
          await loaded;
          if (!ac.signal.aborted) m.getSource<maplibregl.GeoJSONSource>(REGION_SOURCE[level])?.setData(fc as unknown as GeoJSONData);
        })
        .catch(() => {
          // outlines are context only (and absent offline)
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
  }, [settingsLoaded, settings.basemapUrl]);

  useEffect(() => {
    const m = map;
    if (!m || !spot) return;
    let marker = markerRef.current;
    if (!marker) {
      marker = new maplibregl.Marker({ color: '#1456c8', draggable: Boolean(moveRef.current) });
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

  return <div ref={ref} className="field-map" style={{ height }} data-testid={testId} />;
}
