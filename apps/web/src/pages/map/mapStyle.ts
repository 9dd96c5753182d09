import type { ExpressionSpecification, GeoJSONSourceSpecification, LayerSpecification, StyleSpecification } from 'maplibre-gl';
import type { RegionLevel } from '../../types.ts';

/** Layer toggles offered in the layer switcher. */
export type LayerGroup = 'district' | 'street' | 'community' | 'grid' | 'components';
export const LAYER_GROUPS: LayerGroup[] = ['district', 'street', 'community', 'grid', 'components'];

export const REGION_LEVELS: RegionLevel[] = ['district', 'street', 'community', 'grid'];

/** Source ids of the four region levels. */
export const REGION_SOURCE: Record<RegionLevel, string> = {
  district: 'districts',
  street: 'streets',
  community: 'communities',
  grid: 'grids',
};

export const GRID_MIN_ZOOM = 12;
export const COMMUNITY_MIN_ZOOM = 11;

export const LAYER = {
  districtFill: 'district-fill',
  districtLine: 'district-line',
  streetFill: 'street-fill',
  streetLine: 'street-line',
  communityFill: 'community-fill',
  communityLine: 'community-line',
  gridFill: 'grid-fill',
  gridLine: 'grid-line',
  highlightFill: 'highlight-fill',
  highlightLine: 'highlight-line',
  componentClusters: 'component-clusters',
  componentPoints: 'component-points',
} as const;

/** Which map layers each toggle shows or hides. */
export const GROUP_LAYERS: Record<LayerGroup, string[]> = {
  district: [LAYER.districtFill, LAYER.districtLine],
  street: [LAYER.streetFill, LAYER.streetLine],
  community: [LAYER.communityFill, LAYER.communityLine],
  grid: [LAYER.gridFill, LAYER.gridLine],
  components: [LAYER.componentClusters, LAYER.componentPoints],
};

/** Colours used by both the map and the legend swatches. */
export const COLORS = {
  background: '#eef1f5',
  districtLine: '#0c1f3f',
  streetLine: '#35557f',
  communityLine: '#5f7fa8',
  gridLine: '#7d9cc8',
  gridFill: '#3b7de0',
  highlight: '#ff7a00',
  components: '#1456c8',
};

const DISTRICT_TINTS = ['#dbe6f5', '#e3efe1', '#f5eadb', '#ece1f2', '#f3e0e3', '#dff0f0'];

const EMPTY = { type: 'FeatureCollection', features: [] } as unknown as GeoJSONSourceSpecification['data'];

const hovered = (on: number, off: number): ExpressionSpecification => ['case', ['boolean', ['feature-state', 'hover'], false], on, off];

/** A blank style (no external tiles, glyphs or sprites) with every CityLoop layer over empty sources. */
export function buildStyle(basemapUrl: string | null): StyleSpecification {
  const geojson = () => ({ type: 'geojson' as const, data: EMPTY, promoteId: 'id' });
  const layers: LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': COLORS.background } }];
  const sources: StyleSpecification['sources'] = {
    districts: geojson(),
    streets: geojson(),
    communities: geojson(),
    grids: geojson(),
    highlight: { type: 'geojson', data: EMPTY },
    components: { type: 'geojson', data: EMPTY },
  };
  if (basemapUrl) {
    sources.basemap = { type: 'raster', tiles: [basemapUrl], tileSize: 256, maxzoom: 19 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.9 } });
  }
  const tint: ExpressionSpecification = [
    'match',
    ['%', ['to-number', ['get', 'id'], 0], DISTRICT_TINTS.length],
    ...DISTRICT_TINTS.slice(0, -1).flatMap((c, i) => [i, c]),
    DISTRICT_TINTS[DISTRICT_TINTS.length - 1] as string,
  ] as unknown as ExpressionSpecification;

  layers.push(
    {
      id: LAYER.districtFill,
      type: 'fill',
      source: 'districts',
      paint: { 'fill-color': tint, 'fill-opacity': basemapUrl ? 0.15 : hovered(0.95, 0.75) },
    },
    {
      id: LAYER.streetFill,
      type: 'fill',
      source: 'streets',
      maxzoom: COMMUNITY_MIN_ZOOM,
      paint: { 'fill-color': COLORS.gridFill, 'fill-opacity': hovered(0.1, 0) },
    },
    {
      id: LAYER.communityFill,
      type: 'fill',
      source: 'communities',
      minzoom: COMMUNITY_MIN_ZOOM,
      maxzoom: GRID_MIN_ZOOM,
      paint: { 'fill-color': COLORS.gridFill, 'fill-opacity': hovered(0.12, 0) },
    },
    {
      id: LAYER.gridFill,
      type: 'fill',
      source: 'grids',
      minzoom: GRID_MIN_ZOOM,
      paint: { 'fill-color': COLORS.gridFill, 'fill-opacity': hovered(0.22, 0.05) },
    },
    {
      id: LAYER.gridLine,
      type: 'line',
      source: 'grids',
      minzoom: GRID_MIN_ZOOM,
      paint: {
        'line-color': COLORS.gridLine,
        'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.4, 16, 1],
        'line-opacity': ['interpolate', ['linear'], ['zoom'], 12, 0.5, 14, 0.85],
      },
    },
    {
      id: LAYER.communityLine,
      type: 'line',
      source: 'communities',
      minzoom: COMMUNITY_MIN_ZOOM,
      paint: {
        'line-color': COLORS.communityLine,
        'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.8, 16, 1.6],
        'line-dasharray': [3, 2],
      },
    },
    {
      id: LAYER.streetLine,
      type: 'line',
      source: 'streets',
      paint: {
        'line-color': COLORS.streetLine,
        'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.8, 13, 1.8, 16, 2.5],
        'line-opacity': 0.9,
      },
    },
    {
      id: LAYER.districtLine,
      type: 'line',
      source: 'districts',
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': COLORS.districtLine,
        'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1.5, 12, 3, 16, 4.5],
      },
    },
    {
      id: LAYER.highlightFill,
      type: 'fill',
      source: 'highlight',
      paint: { 'fill-color': COLORS.highlight, 'fill-opacity': 0.08 },
    },
    {
      id: LAYER.highlightLine,
      type: 'line',
      source: 'highlight',
      layout: { 'line-join': 'round' },
      paint: { 'line-color': COLORS.highlight, 'line-width': 3.5 },
    },
    {
      id: LAYER.componentClusters,
      type: 'circle',
      source: 'components',
      filter: ['>', ['to-number', ['get', 'count'], 1], 1],
      paint: {
        'circle-radius': ['step', ['get', 'count'], 8, 10, 11, 50, 14, 200, 17, 1000, 21],
        'circle-color': ['step', ['get', 'count'], '#7fb8f0', 10, '#4c95e3', 50, '#2a74d3', 200, '#1456c8', 1000, '#0c3d91'],
        'circle-opacity': 0.78,
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 1.5,
        'circle-stroke-opacity': 0.9,
      },
    },
    {
      id: LAYER.componentPoints,
      type: 'circle',
      source: 'components',
      filter: ['<=', ['to-number', ['get', 'count'], 1], 1],
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 3.5, 16, 6.5],
        'circle-color': [
          'match',
          ['get', 'status'],
          'intact',
          '#2f9e44',
          'damaged',
          '#e03131',
          'lost',
          '#862e9c',
          'occupied',
          '#f08c00',
          COLORS.components,
        ],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 1.5,
      },
    },
  );
  return { version: 8, name: 'cityloop-blank', sources, layers };
}

/** Fill layer used for hover and the name tooltip of each level. */
export const HOVER_LAYERS: Array<{ layer: string; level: RegionLevel }> = [
  { layer: LAYER.gridFill, level: 'grid' },
  { layer: LAYER.communityFill, level: 'community' },
  { layer: LAYER.streetFill, level: 'street' },
  { layer: LAYER.districtFill, level: 'district' },
];
