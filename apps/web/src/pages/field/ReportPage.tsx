import { Button, Form, List, Selector, Switch, TextArea, Toast } from 'antd-mobile';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { api } from '../../api.ts';
import ClassPicker, { type PickedClass } from './ClassPicker.tsx';
import FieldMap from './FieldMap.tsx';
import { newKey, type Spot } from './fieldApi.ts';
import { enqueue, flushOutbox, type ReportDraft } from './outbox.ts';
import PhotoField, { type FieldPhoto } from './PhotoField.tsx';

interface Reverse {
  description: string;
  grid: { name: string } | null;
  community: { name: string } | null;
  street: { name: string } | null;
}

type Severity = ReportDraft['severity'];

/** The phone's position (WGS 84, as the Geolocation API gives it). */
function locate(): Promise<Spot> {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error('no geolocation'));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lng: Number(p.coords.longitude.toFixed(7)), lat: Number(p.coords.latitude.toFixed(7)) }),
      reject,
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 10_000 },
    );
  });
}

/** 上报 (and 自处理 when `selfHandled`): photos, the place from GPS, class, severity, description. */
export default function ReportPage({ selfHandled: selfInitial = false }: { selfHandled?: boolean }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [photos, setPhotos] = useState<FieldPhoto[]>([]);
  const [after, setAfter] = useState<FieldPhoto[]>([]);
  const [spot, setSpot] = useState<Spot | null>(null);
  const [gpsError, setGpsError] = useState(false);
  const [place, setPlace] = useState<Reverse | null>(null);
  const [cls, setCls] = useState<PickedClass | null>(null);
  const [picking, setPicking] = useState(false);
  const [severity, setSeverity] = useState<Severity>('normal');
  const [description, setDescription] = useState('');
  const [selfHandled, setSelfHandled] = useState(selfInitial);
  const [busy, setBusy] = useState(false);

  const handleLocate = useCallback(() => {
    setGpsError(false);
    locate()
      .then(setSpot)
      .catch(() => setGpsError(true));
  }, []);
  useEffect(handleLocate, [handleLocate]);

  useEffect(() => {
    if (!spot) return;
    const ac = new AbortController();
    setPlace(null);
    api
      .get<Reverse>('/api/geocode/reverse', { lng: spot.lng, lat: spot.lat }, ac.signal)
      .then(setPlace)
      .catch(() => {
        // offline: the server places the report by its coordinates when it arrives
      });
    return () => ac.abort();
  }, [spot]);

  const handleSubmit = async () => {
    const missing = !photos.length
      ? 'field.report.needPhoto'
      : !spot
        ? 'field.report.needPlace'
        : !cls
          ? 'field.report.needClass'
          : !description.trim()
            ? 'field.report.needDescription'
            : selfHandled && !after.length
              ? 'field.report.needAfter'
              : null;
    if (missing || !spot || !cls) {
      Toast.show({ content: t(missing ?? 'field.report.needPlace') });
      return;
    }
    setBusy(true);
    const draft: ReportDraft = {
      kind: cls.kind,
      classCode: cls.code,
      severity,
      description: description.trim(),
      location: { ...spot, coordSys: 'wgs84' },
      ...(place && place.description.length >= 2 ? { address: place.description.slice(0, 200) } : {}),
      selfHandled,
    };
    try {
      // Written to the phone first; the same key goes with every attempt to send it.
      await enqueue(
        newKey(),
        draft,
        [...photos, ...(selfHandled ? after : [])].map((p) => p.blob),
      );
      const sent = navigator.onLine ? await flushOutbox() : 0;
      Toast.show({ icon: sent > 0 ? 'success' : undefined, content: t(sent > 0 ? 'field.report.sent' : 'field.report.queued') });
      navigate(sent > 0 ? '/field' : '/field/outbox');
    } catch (err) {
      Toast.show({ icon: 'fail', content: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  const placeText = place
    ? [place.community?.name, place.grid ? t('field.report.grid', { name: place.grid.name }) : null].filter(Boolean).join(' · ')
    : null;

  return (
    <div className="field-page" data-testid="field-report">
      <Form layout="vertical" mode="card">
        <Form.Header>{t(selfHandled ? 'field.report.titleSelf' : 'field.report.title')}</Form.Header>
        <Form.Item>
          <PhotoField
            label={t(selfHandled ? 'field.report.before' : 'field.report.photos')}
            photos={photos}
            onChange={setPhotos}
            testId="report-photos"
          />
        </Form.Item>
        {selfHandled && (
          <Form.Item>
            <PhotoField label={t('field.report.after')} photos={after} onChange={setAfter} testId="report-after" />
          </Form.Item>
        )}
        <Form.Item label={t('field.report.place')}>
          <FieldMap spot={spot} onMove={setSpot} />
          <div className="field-place" data-testid="report-place" data-located={spot ? '1' : '0'} data-address={place ? '1' : '0'}>
            {spot ? (
              <>
                <div>{place?.description ?? `${spot.lng.toFixed(5)}, ${spot.lat.toFixed(5)}`}</div>
                {placeText && <div className="field-muted">{placeText}</div>}
                <div className="field-muted">{t('field.report.dragHint')}</div>
              </>
            ) : (
              <span className="field-muted">{t(gpsError ? 'field.report.gpsFailed' : 'field.report.locating')}</span>
            )}
            <Button size="mini" color="primary" fill="outline" onClick={handleLocate} className="field-relocate">
              {t('field.report.relocate')}
            </Button>
          </div>
        </Form.Item>
        <Form.Item label={t('field.report.class')}>
          <List>
            <List.Item onClick={() => setPicking(true)} data-testid="report-class" clickable>
              {cls ? `${cls.code} ${cls.name}` : <span className="field-muted">{t('field.report.pickClass')}</span>}
            </List.Item>
          </List>
        </Form.Item>
        <Form.Item label={t('field.report.severity')}>
          <Selector
            columns={3}
            value={[severity]}
            onChange={(v) => v[0] && setSeverity(v[0])}
            options={(['normal', 'major', 'urgent'] as const).map((s) => ({ label: t(`field.severity.${s}`), value: s }))}
          />
        </Form.Item>
        <Form.Item label={t('field.report.description')}>
          <TextArea
            value={description}
            onChange={setDescription}
            placeholder={t('field.report.descriptionHint')}
            maxLength={2000}
            rows={3}
            showCount
            data-testid="report-description"
          />
        </Form.Item>
        <Form.Item label={t('field.report.selfHandled')} layout="horizontal" childElementPosition="right">
          <Switch checked={selfHandled} onChange={setSelfHandled} />
        </Form.Item>
      </Form>
      <div className="field-submit">
        <Button block color="primary" size="large" loading={busy} onClick={handleSubmit} data-testid="report-submit">
          {t('field.report.submit')}
        </Button>
      </div>
      <ClassPicker visible={picking} onClose={() => setPicking(false)} onPick={setCls} />
    </div>
  );
}
