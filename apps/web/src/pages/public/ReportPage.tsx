import { Button, Input, SearchBar, Selector, TextArea, Toast } from 'antd-mobile';
import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { type CompressedPhoto, compressImage } from '../field/image.ts';
import { usePublicData } from './PublicApp.tsx';
import { call, type Place, PublicApiError, rememberReport, type Spot, trackPath } from './publicApi.ts';

/** The map (MapLibre, most of the page's bytes) loads after the form, which works without it. */
const PublicMap = lazy(() => import('./PublicMap.tsx'));

/** Photos per report: what one anonymous upload request takes. */
const MAX_PHOTOS = 3;

interface Photo extends CompressedPhoto {
  url: string;
}

interface Reverse {
  description: string;
  inCity: boolean;
}

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

const newKey = () =>
  `pub-${Date.now().toString(36)}-${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('')}`;

/** 我要举报: photos, the place (GPS, address search or the map), the kind of problem in plain words, a description, a phone. */
export default function ReportPage() {
  const { t, i18n } = useTranslation();
  const { settings, categories } = usePublicData();
  const [photos, setPhotos] = useState<Photo[]>([]);
  const [spot, setSpot] = useState<Spot | null>(null);
  const [locating, setLocating] = useState(false);
  const [gpsError, setGpsError] = useState(false);
  const [place, setPlace] = useState<Reverse | null>(null);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<Place[] | null>(null);
  const [category, setCategory] = useState<string | null>(null);
  const [description, setDescription] = useState('');
  const [phone, setPhone] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ number: string; token: string } | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const key = useRef(newKey());
  const current = useRef(photos);
  current.current = photos;

  useEffect(
    () => () => {
      for (const p of current.current) URL.revokeObjectURL(p.url);
    },
    [],
  );

  const handleLocate = useCallback(() => {
    setGpsError(false);
    setLocating(true);
    locate()
      .then(setSpot)
      .catch(() => setGpsError(true))
      .finally(() => setLocating(false));
  }, []);
  useEffect(handleLocate, [handleLocate]);

  useEffect(() => {
    if (!spot) return;
    const ac = new AbortController();
    setPlace(null);
    call<Reverse>(`/api/public/geocode/reverse?lng=${spot.lng}&lat=${spot.lat}`, { signal: ac.signal })
      .then(setPlace)
      .catch(() => {
        // the server places the report by its coordinates
      });
    return () => ac.abort();
  }, [spot]);

  const handleSearch = async (q: string) => {
    if (!q.trim()) return;
    try {
      setHits(await call<Place[]>(`/api/public/geocode?q=${encodeURIComponent(q.trim())}`));
    } catch (err) {
      Toast.show({ content: (err as Error).message });
    }
  };

  const handleFiles = async (files: FileList | null) => {
    if (!files?.length) return;
    const added: Photo[] = [];
    for (const f of Array.from(files).slice(0, MAX_PHOTOS - photos.length)) {
      try {
        const c = await compressImage(f);
        added.push({ ...c, url: URL.createObjectURL(c.blob) });
      } catch {
        Toast.show({ content: t('report.photoUnreadable') });
      }
    }
    setPhotos([...current.current, ...added]);
  };
  const removePhoto = (i: number) => {
    const p = photos[i];
    if (p) URL.revokeObjectURL(p.url);
    setPhotos(photos.filter((_, j) => j !== i));
  };

  const handleSubmit = async () => {
    const cat = categories?.find((c) => c.key === category);
    const problem = !spot
      ? 'report.needPlace'
      : !cat
        ? 'report.needCategory'
        : !description.trim()
          ? 'report.needDescription'
          : phone.trim() && !/^[0-9+\- ]{3,20}$/.test(phone.trim())
            ? 'report.badPhone'
            : null;
    if (problem || !spot || !cat) {
      Toast.show({ content: t(problem ?? 'report.needPlace') });
      return;
    }
    setBusy(true);
    try {
      let upload: { uploadToken: string; media: Array<{ id: string }> } | null = null;
      if (photos.length > 0) {
        const form = new FormData();
        photos.forEach((p, i) => {
          form.append('file', p.blob, `photo-${i + 1}.jpg`);
        });
        upload = await call('/api/public/media', { form });
      }
      const out = await call<{ number: string; token?: string }>('/api/public/cases', {
        body: {
          kind: cat.kind,
          classCode: cat.classCode,
          description: description.trim(),
          location: spot,
          ...(place?.description && place.description.length >= 2 ? { address: place.description.slice(0, 200) } : {}),
          ...(phone.trim() ? { reporterContact: { phone: phone.trim() } } : {}),
          ...(upload ? { photos: upload.media.map((m) => m.id), uploadToken: upload.uploadToken } : {}),
          idempotencyKey: key.current,
        },
      });
      if (out.token) {
        rememberReport({ number: out.number, token: out.token, category: cat.label, at: new Date().toISOString() });
        setDone({ number: out.number, token: out.token });
      }
    } catch (err) {
      Toast.show({ content: t('report.failed', { message: err instanceof PublicApiError ? err.message : String(err) }) });
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    const link = `${location.origin}${trackPath(done.number, done.token)}`;
    return (
      <div className="pr-page" data-testid="pr-done">
        <div className="pr-card pr-done">
          <div className="pr-done-icon">✓</div>
          <h2>{t('done.title')}</h2>
          <div className="pr-muted">{t('done.number')}</div>
          <div className="pr-number" data-testid="pr-done-number">
            {done.number}
          </div>
          <p className="pr-muted">{t('done.keep')}</p>
          <div className="pr-link" data-testid="pr-done-link">
            {link}
          </div>
          <Link to={trackPath(done.number, done.token)} className="pr-button-link" data-testid="pr-follow">
            {t('done.follow')}
          </Link>
          <Button
            block
            fill="outline"
            onClick={() => {
              void navigator.clipboard?.writeText(link).then(() => Toast.show({ content: t('done.copied') }));
            }}
          >
            {t('done.copy')}
          </Button>
          <Button
            block
            fill="none"
            onClick={() => {
              key.current = newKey();
              setPhotos([]);
              setDescription('');
              setCategory(null);
              setDone(null);
            }}
          >
            {t('done.another')}
          </Button>
        </div>
      </div>
    );
  }

  const en = i18n.language === 'en';
  return (
    <div className="pr-page" data-testid="pr-report">
      <section className="pr-card">
        <div className="pr-label">{t('report.photos')}</div>
        <div className="pr-photos" data-testid="pr-photos" data-count={photos.length}>
          {photos.map((p, i) => (
            <div key={p.url} className="pr-photo">
              <img src={p.url} alt="" />
              <button type="button" className="pr-photo-remove" aria-label={t('report.removePhoto')} onClick={() => removePhoto(i)}>
                ×
              </button>
            </div>
          ))}
          {photos.length < MAX_PHOTOS && (
            <button type="button" className="pr-photo-add" onClick={() => fileInput.current?.click()}>
              <span className="pr-photo-plus">＋</span>
              <span>{t('report.addPhoto')}</span>
            </button>
          )}
        </div>
        <div className="pr-hint">{t('report.photoHint', { max: MAX_PHOTOS })}</div>
        <input
          ref={fileInput}
          type="file"
          accept="image/*"
          multiple
          hidden
          data-testid="pr-photo-input"
          onChange={(e) => {
            void handleFiles(e.target.files);
            e.target.value = '';
          }}
        />
      </section>

      <section className="pr-card">
        <div className="pr-label-row">
          <span className="pr-label">{t('report.place')}</span>
          <button type="button" className="pr-text-button" onClick={handleLocate} disabled={locating}>
            {locating ? t('report.locating') : t('report.locate')}
          </button>
        </div>
        <SearchBar
          placeholder={t('report.search')}
          value={query}
          onChange={(v) => {
            setQuery(v);
            if (!v) setHits(null);
          }}
          onSearch={(v) => void handleSearch(v)}
          data-testid="pr-search"
        />
        {hits && (
          <ul className="pr-hits" data-testid="pr-hits">
            {hits.length === 0 && <li className="pr-muted">{t('report.noHits')}</li>}
            {hits.map((h) => (
              <li key={`${h.lng},${h.lat},${h.fullAddress}`}>
                <button
                  type="button"
                  onClick={() => {
                    setSpot({ lng: h.lng, lat: h.lat });
                    setHits(null);
                    setQuery(h.fullAddress);
                  }}
                >
                  <b>{h.name}</b>
                  <span className="pr-muted">{h.fullAddress}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {settings && (
          <Suspense fallback={<div className="pr-map" style={{ height: 220 }} />}>
            <PublicMap settings={settings} spot={spot} onMove={setSpot} />
          </Suspense>
        )}
        <div className="pr-place" data-testid="pr-place">
          {gpsError && !spot ? (
            <span className="pr-error">{t('report.gpsFailed')}</span>
          ) : place ? (
            place.inCity ? (
              place.description
            ) : (
              <span className="pr-error">{t('report.outside')}</span>
            )
          ) : (
            <span className="pr-muted">{t('report.mapHint')}</span>
          )}
        </div>
      </section>

      <section className="pr-card">
        <div className="pr-label">{t('report.category')}</div>
        <Selector
          className="pr-categories"
          columns={2}
          value={category ? [category] : []}
          onChange={(v) => setCategory(v[0] ?? null)}
          options={(categories ?? []).map((c) => ({ label: en ? c.labelEn : c.label, value: c.key }))}
          data-testid="pr-categories"
        />
      </section>

      <section className="pr-card">
        <div className="pr-label">{t('report.description')}</div>
        <TextArea
          placeholder={t('report.descriptionHint')}
          value={description}
          onChange={setDescription}
          maxLength={1000}
          autoSize={{ minRows: 3, maxRows: 6 }}
          showCount
          data-testid="pr-description"
        />
        <div className="pr-label pr-gap">{t('report.phone')}</div>
        <Input type="tel" placeholder={t('report.phoneHint')} value={phone} onChange={setPhone} clearable data-testid="pr-phone" />
      </section>

      <div className="pr-submit">
        <Button
          block
          color="primary"
          size="large"
          loading={busy}
          loadingText={t('report.sending')}
          onClick={handleSubmit}
          data-testid="pr-submit"
        >
          {t('report.submit')}
        </Button>
      </div>
    </div>
  );
}
