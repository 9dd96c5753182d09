import { EditOutlined, UploadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Row, Space, Tag, Typography, Upload } from 'antd';
import type * as maplibregl from 'maplibre-gl';
import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, request } from '../../api.ts';
import type { RegionNode } from '../../types.ts';
import { bboxOfGeometry, type Geometry, GRID_MAP_LEVELS, regionOutlinesOf } from '../map/outlines.ts';
import { fmtArea } from '../map/popups.ts';
import RegionTree from '../map/RegionTree.tsx';
import { FormError, fmtAt, MaintPage } from './adminUtil.tsx';
import RegionImport from './RegionImport.tsx';
import './maint.css';

// The tree shows first; the map (MapLibre) loads beside it, its outlines asked for as the page opens.
const GridMap = lazy(() => import('./GridMap.tsx'));

interface RegionDetail {
  id: number;
  level: string;
  code: string;
  name: string;
  areaM2: number;
  version: number;
  validFrom: string;
  geometry: Geometry;
  history: Array<{ id: number; version: number; validFrom: string; validTo: string | null }>;
}

type Ring = Array<[number, number]>;

/** The rings of a Polygon, or of a MultiPolygon of one part: what vertex editing works on. */
function polygonOf(g: Geometry): Ring[] | null {
  if (g.type === 'Polygon') return g.coordinates as Ring[];
  if (g.type === 'MultiPolygon' && (g.coordinates as Ring[][]).length === 1) return (g.coordinates as Ring[][])[0] ?? null;
  return null;
}

/** The geometry in an uploaded GeoJSON file: a geometry, a Feature, or the first feature of a collection. */
export function geometryOfFile(text: string): Geometry {
  const j = JSON.parse(text) as { type?: string; geometry?: Geometry; features?: Array<{ geometry?: Geometry }>; coordinates?: unknown };
  if (j.type === 'FeatureCollection') {
    const g = j.features?.[0]?.geometry;
    if (!g) throw new Error('empty FeatureCollection');
    return g;
  }
  if (j.type === 'Feature') {
    if (!j.geometry) throw new Error('Feature without geometry');
    return j.geometry;
  }
  if (typeof j.type === 'string' && j.coordinates !== undefined) return j as Geometry;
  throw new Error('not GeoJSON');
}

/** 应用维护 → 网格与区域: the region tree and boundaries; a unit grid's boundary replaced by upload or by moving vertices. */
export default function RegionsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [tree, setTree] = useState<RegionNode[] | null>(null);
  const [selectedKey, setSelectedKey] = useState<string | null>(null);
  const [fit, setFit] = useState<[number, number, number, number] | null>(null);
  const [region, setRegion] = useState<RegionDetail | null>(null);
  const [draft, setDraft] = useState<Geometry | null>(null);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const [reloadKey, setReloadKey] = useState(0);
  const mapRef = useRef<maplibregl.Map | null>(null);
  const markers = useRef<maplibregl.Marker[]>([]);

  const loadTree = useCallback(() => {
    api
      .get<RegionNode[]>('/api/regions/tree')
      .then(setTree)
      .catch((err: unknown) => {
        setTree([]);
        message.error(err instanceof Error ? err.message : String(err));
      });
  }, [message]);
  useEffect(loadTree, [loadTree]);
  useEffect(() => {
    void regionOutlinesOf(GRID_MAP_LEVELS);
  }, []);

  const openRegion = useCallback(
    async (id: number) => {
      setError(null);
      setEditing(false);
      try {
        const r = await api.get<RegionDetail>(`/api/regions/${id}`);
        setRegion(r);
        setDraft(null);
        setFit(bboxOfGeometry(r.geometry));
      } catch (err) {
        message.error(err instanceof Error ? err.message : String(err));
      }
    },
    [message],
  );

  // Vertex handles on the outer ring of a Polygon while editing (kept while they are dragged).
  // biome-ignore lint/correctness/useExhaustiveDependencies: handles are rebuilt when editing starts or the region or upload changes, not on each drag
  useEffect(() => {
    for (const mk of markers.current) mk.remove();
    markers.current = [];
    const m = mapRef.current;
    const g = draft ?? region?.geometry;
    const polygon = g ? polygonOf(g) : null;
    if (!editing || !m || !g || !polygon) return;
    let alive = true;
    // The map is on the page already, so is MapLibre: this import is answered at once.
    void import('maplibre-gl').then(({ Marker }) => {
      if (!alive) return;
      const rings = polygon.map((r) => r.map((p) => [p[0], p[1]] as [number, number]));
      const outer = rings[0] ?? [];
      const n = outer.length - 1; // the last point closes the ring
      for (let i = 0; i < n; i++) {
        const el = document.createElement('div');
        el.className = 'cl-maint-vertex';
        el.dataset.testid = `vertex-${i}`;
        const mk = new Marker({ element: el, draggable: true }).setLngLat(outer[i] as [number, number]).addTo(m);
        mk.on('dragend', () => {
          const { lng, lat } = mk.getLngLat();
          outer[i] = [lng, lat];
          if (i === 0) outer[n] = [lng, lat];
          const next = [outer.map((p) => [...p]), ...rings.slice(1)];
          setDraft({ type: g.type, coordinates: g.type === 'Polygon' ? next : [next] });
        });
        markers.current.push(mk);
      }
    });
    return () => {
      alive = false;
      for (const mk of markers.current) mk.remove();
      markers.current = [];
    };
  }, [editing, region, draft === null]);

  const handleFile = async (file: File) => {
    setError(null);
    try {
      const g = geometryOfFile(await file.text());
      setDraft(g);
      setEditing(false);
      setFit(bboxOfGeometry(g));
      message.info(t('maint.regions.uploaded', { type: g.type }));
    } catch (err) {
      setError(new ApiError(0, 'geojson_unreadable', t('maint.regions.unreadable', { message: (err as Error).message })));
    }
    return false;
  };

  const handleSave = async () => {
    if (!region || !draft) return;
    setSaving(true);
    setError(null);
    try {
      const res = await request<{ id: number }>(`/api/regions/${region.id}/geometry`, { method: 'PUT', body: { geometry: draft } });
      message.success(t('maint.regions.saved', { name: region.name, version: region.version + 1 }));
      setReloadKey((k) => k + 1);
      loadTree();
      await openRegion(res.id);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err)));
    } finally {
      setSaving(false);
    }
  };

  const selectNode = (node: RegionNode) => {
    setSelectedKey(`${node.level}:${node.id}`);
    void openRegion(node.id);
  };

  return (
    <MaintPage title={t('maint.regions.nav')} testId="regions-page">
      {/* The columns stretch to the tallest: the tree's card ends with the map's, not above it. */}
      <Row gutter={16} align="stretch">
        <Col xs={24} xl={6}>
          <Card size="small" style={{ height: '100%' }} styles={{ body: { padding: 0, height: '100%' } }}>
            <div className="cl-maint-tree">
              <RegionTree regions={tree} selectedKey={selectedKey} onSelect={selectNode} />
            </div>
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('maint.regions.map')}>
            <div className="cl-maint-map">
              <div className="cl-maint-map-hint">{editing ? t('maint.regions.dragHint') : t('maint.regions.clickHint')}</div>
              <Suspense fallback={null}>
                <GridMap
                  outline={draft ?? region?.geometry ?? null}
                  fitTo={fit}
                  reloadKey={reloadKey}
                  onReady={(m) => {
                    mapRef.current = m;
                  }}
                  onGridClick={(id) => {
                    setSelectedKey(null);
                    void openRegion(id);
                  }}
                  testId="regions-map"
                />
              </Suspense>
            </div>
          </Card>
        </Col>
        <Col xs={24} xl={6}>
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <Card size="small" title={t('maint.regions.boundary')} data-testid="region-detail">
              {!region ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('maint.regions.pick')} />
              ) : (
                <Space direction="vertical" style={{ width: '100%' }}>
                  <Descriptions size="small" column={1}>
                    <Descriptions.Item label={t('maint.regions.name')}>
                      <span data-testid="region-name">{region.name}</span> <Tag>{t(`levels.${region.level}`)}</Tag>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('maint.regions.code')}>{region.code}</Descriptions.Item>
                    <Descriptions.Item label={t('maint.regions.area')}>{fmtArea(region.areaM2)}</Descriptions.Item>
                    <Descriptions.Item label={t('maint.regions.version')}>
                      v{region.version} · {fmtAt(region.validFrom)}
                    </Descriptions.Item>
                  </Descriptions>
                  <FormError error={error} testId="region-error" />
                  <Space wrap>
                    <Upload accept=".geojson,.json,application/geo+json,application/json" showUploadList={false} beforeUpload={handleFile}>
                      <Button icon={<UploadOutlined />} data-testid="region-upload">
                        {t('maint.regions.upload')}
                      </Button>
                    </Upload>
                    <Button
                      icon={<EditOutlined />}
                      type={editing ? 'primary' : 'default'}
                      disabled={!polygonOf(draft ?? region.geometry)}
                      onClick={() => setEditing((e) => !e)}
                      data-testid="region-edit-vertices"
                    >
                      {t('maint.regions.vertices')}
                    </Button>
                  </Space>
                  {draft && (
                    <Alert
                      type="warning"
                      showIcon
                      title={t('maint.regions.unsaved')}
                      action={
                        <Space direction="vertical">
                          <Button size="small" type="primary" loading={saving} onClick={() => void handleSave()} data-testid="region-save">
                            {t('maint.save')}
                          </Button>
                          <Button
                            size="small"
                            onClick={() => {
                              setDraft(null);
                              setError(null);
                            }}
                          >
                            {t('maint.regions.discard')}
                          </Button>
                        </Space>
                      }
                    />
                  )}
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {region.level === 'grid' ? t('maint.regions.gridRules') : t('maint.regions.regionRules')}
                  </Typography.Text>
                </Space>
              )}
            </Card>
          </Space>
        </Col>
      </Row>
      <RegionImport
        onImported={() => {
          setReloadKey((k) => k + 1);
          loadTree();
          if (region) void openRegion(region.id);
        }}
      />
    </MaintPage>
  );
}
