import { Alert, App, Button, Card, Descriptions, Empty, Popconfirm, Space, Spin, Tag, Timeline, Typography } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import type { CaseDetail, CaseItem, CasePhoto, DispatchSuggestion, TimelineRow } from '../../types.ts';
import ActionForm, { useActionErrorText } from './ActionForm.tsx';
import CasePhotos from './CasePhotos.tsx';
import { caseLight, className, fmtSpan, fmtTime, useClasses } from './caseUtil.ts';
import { LightTag } from './LightTag.tsx';

export { LightTag };

/** The map code (MapLibre) loads only where a case shows its place. */
const CaseMap = lazy(() => import('../workbench/CaseMap.tsx'));

interface Props {
  caseId: number;
  /** Show a small map of the case's place (the workbench drawer sits beside a map already). */
  showMap?: boolean;
  /** Bumped by the parent when a live event names this case. */
  refreshKey?: number;
  onChanged?: (c?: CaseItem) => void;
}

/** Everything about one case: fields, photos, the phase log, duplicates, dispatch suggestion and the allowed actions. */
export default function CaseDetailView({ caseId, refreshKey = 0, onChanged, showMap = false }: Props) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const classes = useClasses();
  const errorText = useActionErrorText();
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [timeline, setTimeline] = useState<TimelineRow[]>([]);
  const [photos, setPhotos] = useState<CasePhoto[]>([]);
  /** Where a report sent with coordinates only is, in words (reverse geocoding; nothing is stored). */
  const [place, setPlace] = useState<string | null>(null);
  const [suggestion, setSuggestion] = useState<DispatchSuggestion | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [action, setAction] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);

  const reload = useCallback(() => setReloads((n) => n + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey and reloads trigger a refetch
  useEffect(() => {
    const ac = new AbortController();
    Promise.all([
      api.get<CaseDetail>(`/api/cases/${caseId}`, undefined, ac.signal),
      api.get<TimelineRow[]>(`/api/cases/${caseId}/timeline`, undefined, ac.signal),
      api.get<{ items: CasePhoto[] }>(`/api/cases/${caseId}/photos`, undefined, ac.signal),
    ])
      .then(([d, tl, ph]) => {
        setDetail(d);
        setTimeline(tl);
        setPhotos(ph.items);
        setError(null);
        if (d.allowedActions.includes('dispatch')) {
          api
            .get<DispatchSuggestion>(`/api/cases/${caseId}/dispatch-suggestion`, undefined, ac.signal)
            .then(setSuggestion)
            .catch(() => setSuggestion(null));
        } else {
          setSuggestion(null);
        }
      })
      .catch((err: unknown) => {
        if (!ac.signal.aborted) setError(t('caseDetail.loadFailed', { message: err instanceof Error ? err.message : String(err) }));
      });
    return () => ac.abort();
  }, [caseId, refreshKey, reloads, t]);

  const needsPlace = detail !== null && detail.address === null && detail.lng != null && detail.lat != null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: asked once per case (its place does not change)
  useEffect(() => {
    setPlace(null);
    if (!needsPlace || !detail) return;
    const ac = new AbortController();
    api
      .get<{ description: string; source: string }>('/api/geocode/reverse', { lng: detail.lng, lat: detail.lat }, ac.signal)
      .then((r) => {
        if (r.source !== 'coordinates') setPlace(r.description);
      })
      .catch(() => {});
    return () => ac.abort();
  }, [detail?.id, needsPlace]);

  if (error) return <Alert type="error" showIcon title={error} />;
  if (!detail)
    return (
      <div className="cl-fullscreen-center" style={{ minHeight: 200 }}>
        <Spin />
      </div>
    );

  const roleName = (r: string | null) => (r ? t(`roles.${r}`, { defaultValue: r }) : '');

  const merge = async (into: { id: number }) => {
    try {
      const updated = await api.post<CaseItem>(`/api/cases/${detail.id}/actions/merge`, { version: detail.version, intoCaseId: into.id });
      message.success(t('caseDetail.merged'));
      onChanged?.(updated);
      reload();
    } catch (err) {
      message.error(errorText(err));
      reload();
    }
  };

  const actionButtons = detail.allowedActions.filter((a) => a !== 'merge');
  const canMerge = detail.allowedActions.includes('merge');

  return (
    <div
      className="cl-case-detail"
      data-testid="case-detail"
      data-case-id={detail.id}
      data-state={detail.state}
      data-version={detail.version}
    >
      <Card
        size="small"
        title={t('caseDetail.actionsTitle')}
        className="cl-case-actions"
        extra={
          <Tag color={detail.urgent ? 'red' : 'blue'} data-testid="case-state">
            {t(`states.${detail.state}`, { defaultValue: detail.state })}
          </Tag>
        }
      >
        {actionButtons.length === 0 ? (
          <Typography.Text type="secondary">{t('caseDetail.noActions')}</Typography.Text>
        ) : (
          <Space wrap>
            {actionButtons.map((a, i) => (
              <Button key={a} type={i === 0 ? 'primary' : 'default'} onClick={() => setAction(a)} data-testid={`action-${a}`}>
                {t(`actions.${a}`, { defaultValue: a })}
              </Button>
            ))}
          </Space>
        )}
        {suggestion && (
          <Alert
            style={{ marginTop: 12 }}
            type="info"
            showIcon
            data-testid="dispatch-suggestion"
            title={suggestion.department ? `${t('caseDetail.suggestion')}：${suggestion.department.name}` : t('caseDetail.noSuggestion')}
            description={
              suggestion.rule ? t('caseDetail.suggestionRule', { rule: `#${suggestion.rule.id} ${suggestion.rule.name}` }) : undefined
            }
          />
        )}
      </Card>

      <Descriptions size="small" bordered column={2} className="cl-case-fields" data-testid="case-fields">
        <Descriptions.Item label={t('caseDetail.number')}>{detail.number}</Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.state')}>{t(`states.${detail.state}`, { defaultValue: detail.state })}</Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.source')}>
          {t(`sources.${detail.source}`, { defaultValue: detail.source })}
          {detail.channel ? ` · ${detail.channel}` : ''}
          {detail.sourceRef ? ` · ${t('caseDetail.sourceRef')} ${detail.sourceRef}` : ''}
        </Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.phase')}>{t(`phases.${detail.phase}`, { defaultValue: detail.phase })}</Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.class')} span={2}>
          {t(`kinds.${detail.kind}`)} · {detail.classCode} {className(classes, detail.kind, detail.classCode)}
        </Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.severity')}>
          {t(`severities.${detail.severity}`, { defaultValue: detail.severity })}
        </Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.urgent')}>{detail.urgent ? t('caseDetail.yes') : t('caseDetail.no')}</Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.description')} span={2}>
          {detail.description}
        </Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.address')} span={2}>
          <span data-testid="case-address">{detail.address ?? (place ? t('caseDetail.addressDerived', { place }) : '—')}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.location')}>
          {detail.lng != null && detail.lat != null ? `${detail.lng.toFixed(6)}, ${detail.lat.toFixed(6)}` : '—'}
        </Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.workflow')}>
          {t(`caseDetail.workflows.${detail.workflow}`, { defaultValue: detail.workflow })}
        </Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.deadline')}>
          <LightTag c={detail} />
          {detail.phaseDeadline && <div className="cl-dim">{fmtTime(detail.phaseDeadline)}</div>}
        </Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.phaseStarted')}>{fmtTime(detail.phaseStartedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.department')}>{detail.departmentName ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.disposalDeadline')}>{fmtTime(detail.disposalDeadline)}</Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.reporter')}>
          {/* A caller's contact as given; else the staff member who filed it (the log's first step). */}
          {(detail.reporterContact ? [detail.reporterContact.name, detail.reporterContact.phone].filter(Boolean).join(' ') : '') ||
            (timeline[0]?.action === 'report' && timeline[0].actorName
              ? t('caseDetail.actor', { name: timeline[0].actorName, role: roleName(timeline[0].actorRole) })
              : '—')}
        </Descriptions.Item>
        <Descriptions.Item label={t('caseDetail.createdAt')}>{fmtTime(detail.createdAt)}</Descriptions.Item>
        {detail.closedAt && <Descriptions.Item label={t('caseDetail.closedAt')}>{fmtTime(detail.closedAt)}</Descriptions.Item>}
        {detail.archiveType && (
          <Descriptions.Item label={t('caseDetail.archiveType')}>
            {t(`archiveTypes.${detail.archiveType}`, { defaultValue: detail.archiveType })}
          </Descriptions.Item>
        )}
        {detail.pendingRequest && (
          <Descriptions.Item label={t('caseDetail.pending')}>
            {t(`actions.${detail.pendingRequest.type}_request`, { defaultValue: detail.pendingRequest.type })}
            {detail.pendingRequest.reason ? `：${detail.pendingRequest.reason}` : ''}
          </Descriptions.Item>
        )}
        {detail.publicFeedback && detail.publicFeedback.length > 0 && (
          <Descriptions.Item label={t('caseDetail.publicFeedback')} span={2}>
            <div data-testid="case-public-feedback">
              {detail.publicFeedback.map((f) => (
                <div key={f.kind}>
                  {f.kind === 'rating'
                    ? `${t('caseDetail.rating', { stars: f.stars })}${f.comment ? `：${f.comment}` : ''}`
                    : t('caseDetail.notFixed', { reason: f.comment ?? '' })}
                  <span className="cl-dim"> · {fmtTime(f.createdAt)}</span>
                </div>
              ))}
            </div>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('caseDetail.counts')}>
          {detail.reworkCount} / {detail.postponeCount} / {detail.returnCount} / {detail.superviseCount}
        </Descriptions.Item>
      </Descriptions>

      {showMap && detail.lng != null && detail.lat != null && (
        <div className="cl-case-minimap">
          <Suspense fallback={null}>
            <CaseMap
              points={[{ id: detail.id, lng: detail.lng, lat: detail.lat, light: caseLight(detail), urgent: detail.urgent }]}
              selectedId={detail.id}
              testId="case-minimap"
            />
          </Suspense>
        </div>
      )}

      {(detail.duplicates.length > 0 || detail.linkedReports.length > 0) && (
        <Card
          size="small"
          title={detail.duplicates.length > 0 ? t('caseDetail.duplicates') : t('caseDetail.linked')}
          data-testid="case-duplicates"
        >
          {detail.duplicates.map((d) => (
            <div key={d.id} className="cl-dup-row">
              <span>
                <b>{d.number}</b> {d.description}
                {d.distanceM != null && (
                  <span className="cl-dim"> · {t('caseDetail.distance', { distance: Math.round(d.distanceM) })}</span>
                )}
              </span>
              {canMerge && (
                <Popconfirm title={t('caseDetail.mergeConfirm', { number: d.number })} onConfirm={() => void merge(d)}>
                  <Button size="small" data-testid={`merge-${d.id}`}>
                    {t('caseDetail.mergeInto')}
                  </Button>
                </Popconfirm>
              )}
            </div>
          ))}
          {detail.linkedReports.length > 0 && (
            <>
              {detail.duplicates.length > 0 && <Typography.Text strong>{t('caseDetail.linked')}</Typography.Text>}
              {detail.linkedReports.map((r) => (
                <div key={r.id} className="cl-dup-row">
                  <span>
                    <b>{r.number}</b> {r.description}
                  </span>
                </div>
              ))}
            </>
          )}
        </Card>
      )}

      <CasePhotos photos={photos} />

      <Card size="small" title={t('caseDetail.timeline')} data-testid="case-timeline">
        {timeline.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
        ) : (
          <Timeline
            items={timeline.map((r) => ({
              key: r.seq,
              color: r.onTime === false ? 'red' : r.onTime === true ? 'green' : 'blue',
              content: (
                <div className="cl-tl-row" data-testid={`timeline-${r.action}`}>
                  <div>
                    <b>{t(`actions.${r.action}`, { defaultValue: r.action })}</b>
                    {r.toState && <span className="cl-dim"> → {t(`states.${r.toState}`, { defaultValue: r.toState })}</span>}
                    {r.onTime === true && (
                      <Tag color="green" style={{ marginInlineStart: 8 }}>
                        {t('caseDetail.onTime')}
                      </Tag>
                    )}
                    {r.onTime === false && (
                      <Tag color="red" style={{ marginInlineStart: 8 }}>
                        {t('caseDetail.late')}
                      </Tag>
                    )}
                  </div>
                  <div className="cl-dim">
                    {fmtTime(r.endedAt ?? r.startedAt)} ·{' '}
                    {r.actorName ? t('caseDetail.actor', { name: r.actorName, role: roleName(r.actorRole) }) : '—'}
                    {r.departmentName ? ` · ${r.departmentName}` : ''}
                    {r.deadlineAt ? ` · ${t('caseDetail.deadlineAt', { time: fmtTime(r.deadlineAt) })}` : ''}
                    {r.endedAt && r.startedAt !== r.endedAt
                      ? ` · ${t(`phases.${r.phase}`, { defaultValue: r.phase })} ${fmtSpan(Date.parse(r.endedAt) - Date.parse(r.startedAt), i18n.language === 'en')}`
                      : ''}
                  </div>
                  {r.note && <div className="cl-tl-note">{r.note}</div>}
                </div>
              ),
            }))}
          />
        )}
      </Card>

      <ActionForm
        detail={detail}
        action={action}
        suggestion={suggestion}
        onClose={() => setAction(null)}
        onChanged={(c) => {
          if (c) message.success(t('actionForm.done', { action: t(`actions.${action ?? ''}`) }));
          onChanged?.(c);
          reload();
        }}
      />
    </div>
  );
}
