import { Button, Dialog, ImageViewer, Rate, Steps, TextArea, Toast } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams, useSearchParams } from 'react-router-dom';
import { categoryLabel, usePublicData } from './PublicApp.tsx';
import { call, fmtTime, PublicApiError, type PublicCase, type PublicPhoto, rememberReport } from './publicApi.ts';

const DONE_STATES = new Set(['closed', 'not_accepted', 'not_registered', 'cancelled', 'merged']);

function Photos({ photos, testId }: { photos: PublicPhoto[]; testId: string }) {
  return (
    <div className="pr-photos" data-testid={testId} data-count={photos.length}>
      {photos.map((p, i) => (
        <button
          type="button"
          key={p.id}
          className="pr-photo"
          onClick={() => ImageViewer.Multi.show({ images: photos.map((x) => x.url), defaultIndex: i })}
        >
          <img src={p.url} alt="" loading="lazy" />
        </button>
      ))}
    </div>
  );
}

/** 处理进度: the case's state and milestones, the photos, and once closed the rating and 问题没有解决. */
export default function TrackPage() {
  const { t, i18n } = useTranslation();
  const { number = '' } = useParams();
  const [search] = useSearchParams();
  const token = search.get('token') ?? '';
  const { categories } = usePublicData();
  const [data, setData] = useState<PublicCase | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stars, setStars] = useState(0);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const c = await call<PublicCase>(`/api/public/cases/${encodeURIComponent(number)}?token=${encodeURIComponent(token)}`);
      setData(c);
      setError(null);
    } catch (err) {
      setError(err instanceof PublicApiError && err.status === 404 ? t('track.notFound') : (err as Error).message);
    }
  }, [number, token, t]);
  useEffect(() => {
    void load();
  }, [load]);

  // A link opened on another phone joins that phone's 我的举报.
  useEffect(() => {
    if (data && token) {
      const label = categoryLabel(categories, data.classCode, 'zh-CN') ?? data.classCode;
      rememberReport({ number: data.number, token, category: label, at: data.createdAt });
    }
  }, [data, token, categories]);

  const handleRate = async () => {
    if (stars < 1) {
      Toast.show({ content: t('track.needStars') });
      return;
    }
    setBusy(true);
    try {
      setData(
        await call<PublicCase>(`/api/public/cases/${number}/rating`, {
          body: { token, stars, ...(comment.trim() ? { comment: comment.trim() } : {}) },
        }),
      );
      Toast.show({ content: t('track.thanks') });
    } catch (err) {
      Toast.show({ content: t('track.failed', { message: (err as Error).message }) });
      void load();
    } finally {
      setBusy(false);
    }
  };

  const handleNotFixed = async () => {
    let reason = '';
    const ok = await Dialog.confirm({
      title: t('track.notFixedTitle'),
      content: (
        <div className="pr-dialog">
          <div className="pr-muted">{t('track.notFixedHint')}</div>
          <TextArea
            placeholder={t('track.reasonHint')}
            autoSize={{ minRows: 3, maxRows: 5 }}
            maxLength={500}
            onChange={(v) => {
              reason = v;
            }}
            data-testid="pr-reason"
          />
        </div>
      ),
      confirmText: t('track.send'),
      cancelText: t('track.cancel'),
    });
    if (!ok) return;
    if (reason.trim().length < 2) {
      Toast.show({ content: t('track.needReason') });
      return;
    }
    setBusy(true);
    try {
      setData(await call<PublicCase>(`/api/public/cases/${number}/not-fixed`, { body: { token, reason: reason.trim() } }));
    } catch (err) {
      Toast.show({ content: t('track.failed', { message: (err as Error).message }) });
      void load();
    } finally {
      setBusy(false);
    }
  };

  if (error) {
    return (
      <div className="pr-page">
        <div className="pr-card pr-error" data-testid="pr-track-error">
          {error}
        </div>
      </div>
    );
  }
  if (!data) return <div className="pr-loading" />;

  const lang = i18n.language;
  const label = categoryLabel(categories, data.classCode, lang);
  const finished = DONE_STATES.has(data.state);
  const milestones = [...data.milestones].reverse();
  return (
    <div className="pr-page" data-testid="pr-track" data-state={data.state}>
      <section className="pr-card">
        <div className="pr-label-row">
          <span className="pr-muted">{t('track.number', { number: data.number })}</span>
          <button type="button" className="pr-text-button" onClick={() => void load()}>
            {t('track.reload')}
          </button>
        </div>
        <div className={`pr-state ${finished ? 'pr-state-done' : ''}`} data-testid="pr-state">
          {t(`state.${data.state}`, { defaultValue: data.state })}
        </div>
        <dl className="pr-facts">
          <dt>{t('track.category')}</dt>
          <dd>{label ?? data.className ?? data.classCode}</dd>
          {data.address && (
            <>
              <dt>{t('track.place')}</dt>
              <dd>{data.address}</dd>
            </>
          )}
          <dt>{t('track.reported')}</dt>
          <dd>{fmtTime(data.createdAt)}</dd>
          {data.closedAt && (
            <>
              <dt>{t('track.closed')}</dt>
              <dd>{fmtTime(data.closedAt)}</dd>
            </>
          )}
        </dl>
        <p className="pr-description">{data.description}</p>
      </section>

      {data.afterPhotos.length > 0 && (
        <section className="pr-card">
          <div className="pr-label">{t('track.afterPhotos')}</div>
          <Photos photos={data.afterPhotos} testId="pr-after-photos" />
        </section>
      )}

      {data.canRate && (
        <section className="pr-card" data-testid="pr-rate">
          <div className="pr-label">{t('track.rateTitle')}</div>
          <div className="pr-rate-row">
            <Rate value={stars} onChange={setStars} allowClear={false} />
            <span className="pr-muted">{stars > 0 ? (t('stars', { returnObjects: true }) as string[])[stars - 1] : ''}</span>
          </div>
          <TextArea
            placeholder={t('track.comment')}
            value={comment}
            onChange={setComment}
            maxLength={500}
            autoSize={{ minRows: 2, maxRows: 4 }}
            data-testid="pr-comment"
          />
          <Button block color="primary" loading={busy} onClick={handleRate} className="pr-gap" data-testid="pr-rate-submit">
            {t('track.rate')}
          </Button>
        </section>
      )}
      {data.rating && (
        <section className="pr-card" data-testid="pr-rated">
          <div className="pr-label">{t('track.rated')}</div>
          <div className="pr-rate-row">
            <Rate value={data.rating.stars} readOnly />
            <span className="pr-muted">{(t('stars', { returnObjects: true }) as string[])[data.rating.stars - 1]}</span>
          </div>
          {data.rating.comment && <p className="pr-description">{data.rating.comment}</p>}
        </section>
      )}
      {data.canReopen && (
        <section className="pr-card pr-reopen">
          {data.reopenUntil && <div className="pr-muted">{t('track.reopenUntil', { time: fmtTime(data.reopenUntil) })}</div>}
          <Button block color="danger" fill="outline" loading={busy} onClick={handleNotFixed} className="pr-gap" data-testid="pr-not-fixed">
            {t('track.notFixed')}
          </Button>
        </section>
      )}
      {data.notFixed && (
        <section className="pr-card pr-notice" data-testid="pr-reopened">
          {t('track.reopened')}
          {data.notFixed.reason && <p className="pr-description">“{data.notFixed.reason}”</p>}
        </section>
      )}

      <section className="pr-card">
        <div className="pr-label">{t('track.progress')}</div>
        <Steps direction="vertical" current={0} className="pr-steps" data-testid="pr-milestones">
          {milestones.map((m) => (
            <Steps.Step
              key={`${m.action}-${m.at}`}
              title={t(`milestone.${m.action}`, { defaultValue: m.action })}
              description={fmtTime(m.at)}
              status={m === milestones[0] ? 'process' : 'finish'}
            />
          ))}
        </Steps>
      </section>

      {data.photos.length > 0 && (
        <section className="pr-card">
          <div className="pr-label">{t('track.yourPhotos')}</div>
          <Photos photos={data.photos} testId="pr-photos-reported" />
        </section>
      )}
    </div>
  );
}
