import { useEffect, useState } from 'react';
import { ApiError, api } from '../../api.ts';
import { isTransient, type Spot, uploadPhotos } from './fieldApi.ts';

/** A report as written on the phone: the body of POST /api/cases without its photo ids. */
export interface ReportDraft {
  kind: 'component' | 'event';
  classCode: string;
  severity: 'normal' | 'major' | 'urgent';
  description: string;
  location: Spot & { coordSys: 'wgs84' };
  address?: string;
  selfHandled: boolean;
}

/** A report waiting to be sent (待发送), kept in IndexedDB with its photos until the server took it. */
export interface PendingReport {
  /** The idempotency key, made when the report was written: a resend opens no second case. */
  key: string;
  createdAt: string;
  draft: ReportDraft;
  photos: Blob[];
  attempts: number;
  /** The server refused it (not a network problem): kept for the inspector to see, not retried. */
  error?: string;
  /** Set once sent. */
  caseNumber?: string;
}

const DB_NAME = 'cityloop-field';
const STORE = 'outbox';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(STORE, { keyPath: 'key' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = run(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

const listeners = new Set<() => void>();
function changed() {
  for (const l of listeners) l();
}

export async function listPending(): Promise<PendingReport[]> {
  const all = await tx<PendingReport[]>('readonly', (s) => s.getAll() as IDBRequest<PendingReport[]>);
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

async function put(p: PendingReport): Promise<void> {
  await tx('readwrite', (s) => s.put(p));
  changed();
}

export async function removePending(key: string): Promise<void> {
  await tx('readwrite', (s) => s.delete(key));
  changed();
}

/** Keeps a written report (photos as Blobs) before anything is sent. */
export async function enqueue(key: string, draft: ReportDraft, photos: Blob[]): Promise<void> {
  await put({ key, createdAt: new Date().toISOString(), draft, photos, attempts: 0 });
}

interface CaseAnswer {
  id: number;
  number: string;
}

let flushing: Promise<number> | null = null;

/**
 * Sends what waits, oldest first: photos, then the report with its own idempotency key, so
 * a report the server took before the answer was lost comes back as the same case. Stops at
 * the first network failure (the rest would fail too). Returns how many were sent.
 * One flush at a time: a second call joins the running one.
 */
export function flushOutbox(): Promise<number> {
  flushing ??= (async () => {
    let sent = 0;
    try {
      for (const p of await listPending()) {
        if (p.error) continue;
        try {
          const media = await uploadPhotos(p.photos, p.draft.location, p.createdAt);
          const c = await api.post<CaseAnswer>('/api/cases', {
            ...p.draft,
            idempotencyKey: p.key,
            photos: media.map((m) => m.id),
          });
          await removePending(p.key);
          sent += 1;
          lastSent = c.number;
        } catch (err) {
          if (isTransient(err)) {
            await put({ ...p, attempts: p.attempts + 1 });
            break;
          }
          await put({ ...p, attempts: p.attempts + 1, error: err instanceof ApiError ? err.message : String(err) });
        }
      }
    } finally {
      flushing = null;
    }
    if (sent > 0) changed();
    return sent;
  })();
  return flushing;
}

let lastSent: string | null = null;
/** The case number of the last report sent (for the success toast). */
export function lastSentNumber(): string | null {
  return lastSent;
}

/** The waiting reports, kept current; sending is retried on `online` and every 30 s while any wait. */
export function useOutbox(): { pending: PendingReport[]; flush: () => Promise<number> } {
  const [pending, setPending] = useState<PendingReport[]>([]);
  useEffect(() => {
    let alive = true;
    const reload = () => {
      listPending()
        .then((l) => alive && setPending(l))
        .catch(() => {});
    };
    listeners.add(reload);
    reload();
    return () => {
      alive = false;
      listeners.delete(reload);
    };
  }, []);
  const waiting = pending.some((p) => !p.error);
  useEffect(() => {
    const retry = () => {
      if (navigator.onLine) void flushOutbox();
    };
    window.addEventListener('online', retry);
    const timer = waiting ? window.setInterval(retry, 30_000) : 0;
    retry();
    return () => {
      window.removeEventListener('online', retry);
      window.clearInterval(timer);
    };
  }, [waiting]);
  return { pending, flush: flushOutbox };
}
