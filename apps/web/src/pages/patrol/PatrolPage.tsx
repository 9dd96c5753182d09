import { Alert, Card, Col, DatePicker, Descriptions, Empty, Row, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import * as maplibregl from 'maplibre-gl';
import { type HTMLAttributes, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import GridMap, { bboxOfGeometry, type Geometry } from '../admin/GridMap.tsx';
import { LAYER } from '../map/mapStyle.ts';
import '../admin/maint.css';
import './patrol.css';

type GeoJSONData = Parameters<maplibregl.GeoJSONSource['setData']>[0];

/** One beat grid of the day as GET /api/patrol/day answers it. */
interface DayGrid {
  gridId: number;
  code: string;
  name: string;
  beatName: string;
  passes: number;
  firstAt: string | null;
  lastAt: string | null;
  geometry: Geometry;
}

/** GET /api/patrol/day */
interface PatrolDay {
  person: { id: number; username: string; name: string };
  day: string;
  fixes: Array<{ at: string; lng: number; lat: number }>;
  lengthM: number;
  firstAt: string | null;
  lastAt: string | null;
  grids: DayGrid[];
  coverage: {
    target: number;
    beatGrids: number;
    visited: number;
    met: number;
    visitedRate: number | null;
    metRate: number | null;
    outsideBeatGrids: number;
  };
}

/** Fill colours of a beat grid by its passes: none, fewer than the target, the target met. */
const PASS_COLORS = { none: '#e03131', some: '#f59f00', met: '#2f9e44' };
const GRIDS = 'patrol-grids';
const TRACK = 'patrol-track';
const EMPTY: GeoJSONData = { type: 'FeatureCollection', features: [] };

/** Today's date (YYYY-MM-DD) in the city's time zone. */
function todayIn(timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  } catch {
    return dayjs().format('YYYY-MM-DD');
  }
}

/** A point inside the label's reach: the average of the outer ring's vertices. */
function labelPoint(g: Geometry): [number, number] | null {
  const ring = (g.coordinates as number[][][][] | undefined)?.[0]?.[0];
  if (!ring?.length) return null;
  const pts = ring.length > 1 ? ring.slice(0, -1) : ring;
  let x = 0;
  let y = 0;
  for (const p of pts) {
    x += p[0] ?? 0;
    y += p[1] ?? 0;
  }
  return [x / pts.length, y / pts.length];
}

const pct = (r: number) => `${Math.round(r * 100)}%`;

/**
 * 巡查轨迹: one inspector's day — the GPS track over the beat grids, each grid coloured by how
 * many times it was passed through against 一日两巡, with the day's figures and the grids
 * (the unmet first); a row highlights its grid on the map.
 */
export default function PatrolPage() {
  const { t } = useTranslation();
  const { settings, settingsLoaded } = useSession();
  const [people, setPeople] = useState<Array<{ id: number; name: string; username: string }>>([]);
  const [personId, setPersonId] = useState<number | null>(null);
  const [day, setDay] = useState<string | null>(null);
  const [data, setData] = useState<PatrolDay | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const markers = useRef<maplibregl.Marker[]>([]);

  useEffect(() => {
    api
      .get<Array<{ id: number; name: string; username: string }>>('/api/people', { role: 'inspector', limit: 1000 })
      .then(setPeople)
      .catch(() => {});
  }, []);

  useEffect(() => {
    if (settingsLoaded && day === null) setDay(todayIn(settings.timeZone));
  }, [settingsLoaded, settings.timeZone, day]);

  useEffect(() => {
    setSelected(null);
    if (personId === null || day === null) {
      setData(null);
      return;
    }
    const ac = new AbortController();
    setLoading(true);
    setError(null);
    api
      .get<PatrolDay>('/api/patrol/day', { personId, day }, ac.signal)
      .then((d) => {
        if (!ac.signal.aborted) setData(d);
      })
      .catch((err: unknown) => {
        if (ac.signal.aborted) return;
        setData(null);
        setError(err instanceof Error ? err.message : String(err));
      })
      .finally(() => {
        if (!ac.signal.aborted) setLoading(false);
      });
    return () => ac.abort();
  }, [personId, day]);

  // The page's layers over the grid map: beat grids by passes, and the track, under the highlight.
  const onReady = (m: maplibregl.Map) => {
    m.addSource(GRIDS, { type: 'geojson', data: EMPTY });
    m.addSource(TRACK, { type: 'geojson', data: EMPTY });
    m.addLayer(
      {
        id: `${GRIDS}-fill`,
        type: 'fill',
        source: GRIDS,
        paint: {
          'fill-color': ['step', ['get', 'passes'], PASS_COLORS.none, 1, PASS_COLORS.some, 2, PASS_COLORS.met],
          'fill-opacity': 0.4,
        },
      },
      LAYER.highlightFill,
    );
    m.addLayer(
      { id: `${GRIDS}-line`, type: 'line', source: GRIDS, paint: { 'line-color': '#495057', 'line-width': 1.2 } },
      LAYER.highlightFill,
    );
    m.addLayer(
      {
        id: TRACK,
        type: 'line',
        source: TRACK,
        layout: { 'line-join': 'round', 'line-cap': 'round' },
        paint: { 'line-color': '#1456c8', 'line-width': 3.5, 'line-opacity': 0.9 },
      },
      LAYER.highlightFill,
    );
    setMap(m);
  };

  // The day on the map: grids, track, labels and start/end markers.
  useEffect(() => {
    if (!map) return;
    for (const mk of markers.current) mk.remove();
    markers.current = [];
    const grids = data?.grids ?? [];
    const fixes = data?.fixes ?? [];
    map.getSource<maplibregl.GeoJSONSource>(GRIDS)?.setData({
      type: 'FeatureCollection',
      features: grids.map((g) => ({ type: 'Feature', id: g.gridId, properties: { passes: g.passes }, geometry: g.geometry })),
    } as unknown as GeoJSONData);
    map
      .getSource<maplibregl.GeoJSONSource>(TRACK)
      ?.setData(
        fixes.length > 1
          ? { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: fixes.map((f) => [f.lng, f.lat]) } }
          : EMPTY,
      );
    const add = (el: HTMLElement, at: [number, number]) => {
      markers.current.push(new maplibregl.Marker({ element: el }).setLngLat(at).addTo(map));
    };
    for (const g of grids) {
      const at = labelPoint(g.geometry);
      if (!at) continue;
      const el = document.createElement('div');
      el.className = 'cl-patrol-label';
      // The code's tail (community and grid) keeps labels apart; the table has the full code.
      el.textContent = `${g.code.slice(-6)} · ${g.passes}`;
      add(el, at);
    }
    const ends: Array<[string, string, (typeof fixes)[number] | undefined]> = [
      ['start', t('patrol.start'), fixes[0]],
      ['end', t('patrol.end'), fixes.at(-1)],
    ];
    for (const [kind, text, fix] of ends) {
      if (!fix || (kind === 'end' && fixes.length < 2)) continue;
      const el = document.createElement('div');
      el.className = `cl-patrol-pin cl-patrol-pin-${kind}`;
      el.textContent = text;
      el.title = fmtClock(fix.at, settings.timeZone);
      add(el, [fix.lng, fix.lat]);
    }
  }, [map, data, t, settings.timeZone]);

  useEffect(() => () => markers.current.forEach((mk) => void mk.remove()), []);

  // The chosen row's grid in the map's highlight.
  useEffect(() => {
    if (!map) return;
    const g = data?.grids.find((x) => x.gridId === selected);
    map
      .getSource<maplibregl.GeoJSONSource>('highlight')
      ?.setData(g ? ({ type: 'Feature', properties: {}, geometry: g.geometry } as unknown as GeoJSONData) : EMPTY);
    if (g) {
      const b = bboxOfGeometry(g.geometry);
      if (b && !map.getBounds().contains([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]))
        map.easeTo({ center: [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], duration: 300 });
    }
  }, [map, data, selected]);

  const fitTo = useMemo(
    () =>
      data
        ? bboxOfGeometry({
            type: 'GeometryCollection',
            coordinates: [data.grids.map((g) => g.geometry.coordinates), data.fixes.map((f) => [f.lng, f.lat])],
          })
        : null,
    [data],
  );

  const rows = useMemo(() => {
    if (!data) return [];
    const target = data.coverage.target;
    return [...data.grids].sort(
      (a, b) => Number(a.passes >= target) - Number(b.passes >= target) || a.passes - b.passes || a.code.localeCompare(b.code),
    );
  }, [data]);

  const c = data?.coverage;
  const noBeat = c !== undefined && c.beatGrids === 0;
  const tz = settings.timeZone;

  return (
    <div className="cl-maint-page">
      <Space direction="vertical" size="middle" style={{ width: '100%', padding: 16 }} data-testid="patrol-page">
        <Card size="small">
          <Space wrap>
            <Typography.Title level={5} style={{ margin: 0, marginInlineEnd: 16 }}>
              {t('patrol.title')}
            </Typography.Title>
            <Select
              showSearch
              allowClear
              optionFilterProp="label"
              style={{ width: 220 }}
              placeholder={t('patrol.pickPerson')}
              value={personId ?? undefined}
              onChange={(v) => setPersonId(v ?? null)}
              options={people.map((p) => ({ value: p.id, label: `${p.name}（${p.username}）` }))}
              data-testid="patrol-person"
            />
            <DatePicker
              allowClear={false}
              value={day ? dayjs(day) : null}
              onChange={(d) => d && setDay(d.format('YYYY-MM-DD'))}
              disabledDate={(d) => d.isAfter(dayjs().add(1, 'day'), 'day')}
              data-testid="patrol-day"
            />
          </Space>
        </Card>
        {error && <Alert type="error" showIcon title={error} data-testid="patrol-error" />}
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={14}>
            <Card size="small" loading={false}>
              <div className="cl-maint-map">
                {data && data.fixes.length === 0 && (
                  <div className="cl-maint-map-hint" data-testid="patrol-no-fixes">
                    {t('patrol.noFixes')}
                  </div>
                )}
                <GridMap onReady={onReady} fitTo={fitTo} testId="patrol-map" />
                <div className="cl-patrol-legend">
                  <span>
                    <i style={{ background: PASS_COLORS.none }} />
                    {t('patrol.legend0')}
                  </span>
                  <span>
                    <i style={{ background: PASS_COLORS.some }} />
                    {t('patrol.legend1')}
                  </span>
                  <span>
                    <i style={{ background: PASS_COLORS.met }} />
                    {t('patrol.legend2', { target: c?.target ?? 2 })}
                  </span>
                </div>
              </div>
            </Card>
          </Col>
          <Col xs={24} xl={10}>
            {!data ? (
              <Card size="small">
                <Empty description={loading ? '…' : t('patrol.pickFirst')} />
              </Card>
            ) : (
              <Space direction="vertical" size="middle" style={{ width: '100%' }}>
                <Card size="small" title={`${t('patrol.summary')} · ${data.person.name} · ${data.day}`} data-testid="patrol-summary">
                  {noBeat && (
                    <Alert type="warning" showIcon title={t('patrol.noBeat')} style={{ marginBottom: 8 }} data-testid="patrol-no-beat" />
                  )}
                  <Descriptions size="small" column={1} bordered>
                    <Descriptions.Item label={t('patrol.length')}>
                      <span data-testid="patrol-length">{t('patrol.km', { km: (data.lengthM / 1000).toFixed(2) })}</span>
                      <Typography.Text type="secondary" style={{ marginInlineStart: 8 }}>
                        {t('patrol.fixes', { count: data.fixes.length })}
                      </Typography.Text>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('patrol.times')}>
                      <span data-testid="patrol-times">
                        {data.firstAt ? `${fmtClock(data.firstAt, tz)} – ${fmtClock(data.lastAt, tz)}` : '—'}
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('patrol.coverage')}>
                      <span data-testid="patrol-visited">
                        {c?.beatGrids ? `${c.visited} / ${c.beatGrids}（${pct(c.visitedRate ?? 0)}）` : t('patrol.notApplicable')}
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('patrol.met')}>
                      <span data-testid="patrol-met">
                        {c?.beatGrids ? (
                          <Tag color={c.met === c.beatGrids ? 'green' : c.met > 0 ? 'orange' : 'red'}>
                            {`${c.met} / ${c.beatGrids}（${pct(c.metRate ?? 0)}）`}
                          </Tag>
                        ) : (
                          t('patrol.notApplicable')
                        )}
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('patrol.outside')}>
                      <span data-testid="patrol-outside">{t('patrol.outsideCount', { count: c?.outsideBeatGrids ?? 0 })}</span>
                    </Descriptions.Item>
                  </Descriptions>
                </Card>
                {!noBeat && (
                  <Card size="small" title={t('patrol.grids')}>
                    <Table<DayGrid>
                      size="small"
                      rowKey="gridId"
                      dataSource={rows}
                      pagination={rows.length > 12 ? { pageSize: 12, size: 'small' } : false}
                      rowClassName={(g) => (g.gridId === selected ? 'cl-patrol-row-selected' : '')}
                      onRow={(g) =>
                        ({
                          onClick: () => setSelected(g.gridId === selected ? null : g.gridId),
                          'data-testid': `patrol-grid-${g.code}`,
                          style: { cursor: 'pointer' },
                        }) as HTMLAttributes<HTMLElement>
                      }
                      data-testid="patrol-grids"
                      columns={[
                        {
                          title: t('patrol.code'),
                          dataIndex: 'code',
                          width: 150,
                          render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{v}</span>,
                        },
                        { title: t('patrol.name'), dataIndex: 'name', ellipsis: true },
                        {
                          title: t('patrol.passes'),
                          dataIndex: 'passes',
                          width: 80,
                          align: 'right',
                          render: (v: number) => (
                            <Tag color={v >= (c?.target ?? 2) ? 'green' : v > 0 ? 'orange' : 'red'} style={{ marginInlineEnd: 0 }}>
                              {v}
                            </Tag>
                          ),
                        },
                        { title: t('patrol.firstAt'), dataIndex: 'firstAt', width: 64, render: (v: string | null) => fmtClock(v, tz) },
                        { title: t('patrol.lastAt'), dataIndex: 'lastAt', width: 64, render: (v: string | null) => fmtClock(v, tz) },
                      ]}
                    />
                  </Card>
                )}
              </Space>
            )}
          </Col>
        </Row>
      </Space>
    </div>
  );
}

/** HH:mm in the city's time zone. */
function fmtClock(iso: string | null, timeZone: string): string {
  if (!iso) return '—';
  try {
    return new Intl.DateTimeFormat('zh-CN', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
  } catch {
    return dayjs(iso).format('HH:mm');
  }
}
