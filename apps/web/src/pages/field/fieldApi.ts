import { ApiError } from '../../api.ts';
import i18n from '../../i18n/index.ts';

export interface Spot {
  lng: number;
  lat: number;
}

interface MediaAnswer {
  id: string;
  size: number;
}

/**
 * Uploads photos (POST /api/media, one multipart request) and returns their ids in order.
 * `at` and `spot` are the claimed time and place the server compares with a photo's EXIF.
 */
export async function uploadPhotos(photos: Blob[], spot: Spot | null, at: string): Promise<MediaAnswer[]> {
  const fd = new FormData();
  if (spot) {
    fd.append('claimedLng', String(spot.lng));
    fd.append('claimedLat', String(spot.lat));
  }
  fd.append('claimedAt', at);
  photos.forEach((p, i) => {
    fd.append('file', p, `photo-${i + 1}.jpg`);
  });
  let res: Response;
  try {
    res = await fetch('/api/media', { method: 'POST', body: fd, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network_error', i18n.t('errors.network'));
  }
  const data = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string };
    throw new ApiError(res.status, e.error ?? `http_${res.status}`, e.message ?? `${res.status}`);
  }
  return data as MediaAnswer[];
}

/**
 * Whether an error means "try again later" rather than a refusal: no network, the server
 * down or busy, or the session ended (sent again after the next login).
 */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof ApiError)) return true;
  return err.status === 0 || err.status === 401 || err.status === 408 || err.status === 429 || err.status >= 500;
}

/** A random idempotency key, made once when a report is written. */
export function newKey(): string {
  const rnd = crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  return `field-${rnd}`;
}
