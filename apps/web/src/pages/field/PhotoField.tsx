import { Button, Image, Toast } from 'antd-mobile';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { type CompressedPhoto, compressImage, fmtBytes } from './image.ts';

export interface FieldPhoto extends CompressedPhoto {
  url: string;
}

interface Props {
  label: string;
  photos: FieldPhoto[];
  onChange: (photos: FieldPhoto[]) => void;
  testId: string;
  max?: number;
}

/** Take or pick photos; each is compressed at once and the bytes saved are shown. */
export default function PhotoField({ label, photos, onChange, testId, max = 6 }: Props) {
  const { t } = useTranslation();
  const camera = useRef<HTMLInputElement>(null);
  const album = useRef<HTMLInputElement>(null);
  const current = useRef(photos);
  current.current = photos;

  // Object URLs are released when the field goes away.
  useEffect(
    () => () => {
      for (const p of current.current) URL.revokeObjectURL(p.url);
    },
    [],
  );

  const handleFiles = async (files: FileList | null) => {
    if (!files?.length) return;
    const added: FieldPhoto[] = [];
    for (const f of Array.from(files).slice(0, max - photos.length)) {
      try {
        const c = await compressImage(f);
        added.push({ ...c, url: URL.createObjectURL(c.blob) });
      } catch {
        Toast.show({ content: t('field.photo.unreadable') });
      }
    }
    onChange([...current.current, ...added]);
  };
  const remove = (i: number) => {
    const p = photos[i];
    if (p) URL.revokeObjectURL(p.url);
    onChange(photos.filter((_, j) => j !== i));
  };
  const original = photos.reduce((s, p) => s + p.originalBytes, 0);
  const compressed = photos.reduce((s, p) => s + p.blob.size, 0);

  return (
    <div className="field-photos" data-testid={testId} data-count={photos.length} data-original={original} data-compressed={compressed}>
      <div className="field-photos-label">{label}</div>
      <div className="field-photos-grid">
        {photos.map((p, i) => (
          <div key={p.url} className="field-photo">
            <Image src={p.url} width={76} height={76} fit="cover" />
            <button type="button" className="field-photo-remove" aria-label={t('field.photo.remove')} onClick={() => remove(i)}>
              ×
            </button>
          </div>
        ))}
      </div>
      {photos.length < max && (
        <div className="field-photos-buttons">
          <Button size="small" color="primary" fill="outline" onClick={() => camera.current?.click()}>
            {t('field.photo.camera')}
          </Button>
          <Button size="small" fill="outline" onClick={() => album.current?.click()}>
            {t('field.photo.album')}
          </Button>
        </div>
      )}
      {photos.length > 0 && (
        <div className="field-photos-saved" data-testid={`${testId}-saved`}>
          {t('field.photo.saved', {
            original: fmtBytes(original),
            compressed: fmtBytes(compressed),
            percent: original > 0 ? Math.max(0, Math.round((1 - compressed / original) * 100)) : 0,
          })}
        </div>
      )}
      <input
        ref={camera}
        type="file"
        accept="image/*"
        capture="environment"
        hidden
        onChange={(e) => {
          void handleFiles(e.target.files);
          e.target.value = '';
        }}
      />
      <input
        ref={album}
        type="file"
        accept="image/*"
        multiple
        hidden
        data-testid={`${testId}-input`}
        onChange={(e) => {
          void handleFiles(e.target.files);
          e.target.value = '';
        }}
      />
    </div>
  );
}
