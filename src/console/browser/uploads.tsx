/**
 * The uploads of this tab: each file's progress bar and cancel button, a few files at a time. They
 * live outside any page, so moving to another bucket or page neither stops nor forgets them (and
 * closing the tab while some run asks first).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../api/session.js';
import { describeError } from '../ui/errors.js';
import { formatBytes } from '../ui/format.js';
import { uploadFile, type PickedFile } from './upload.js';

const PARALLEL_FILES = 3;

export interface Upload {
  id: number;
  bucket: string;
  key: string;
  size: number;
  sent: number;
  status: 'queued' | 'uploading' | 'done' | 'failed' | 'cancelled';
  problem?: string;
  controller: AbortController;
}

let nextId = 1;
let current: Upload[] = [];
const listListeners = new Set<(uploads: Upload[]) => void>();
const doneListeners = new Set<(bucket: string) => void>();

const running = (u: Upload): boolean => u.status === 'queued' || u.status === 'uploading';

function publish(uploads: Upload[]): void {
  current = uploads;
  for (const listener of listListeners) listener(current);
}

function update(id: number, change: Partial<Upload>): void {
  publish(current.map((u) => (u.id === id ? { ...u, ...change } : u)));
}

/** Runs `task` once fewer than `limit` others run. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

const slot = limiter(PARALLEL_FILES);

addEventListener('beforeunload', (event) => {
  if (current.some(running)) event.preventDefault();
});

/** Uploads `files` to `bucket` under `prefix`, each keyed by its path. */
export function startUploads(session: Session, bucket: string, prefix: string, files: PickedFile[]): void {
  const added = files.map(({ file, path }) => ({ file, upload: { id: nextId++, bucket, key: prefix + path, size: file.size, sent: 0, status: 'queued' as const, controller: new AbortController() } }));
  publish([...current, ...added.map((a) => a.upload)]);
  for (const { file, upload } of added) {
    void slot(async () => {
      const { signal } = upload.controller;
      if (signal.aborted) return;
      update(upload.id, { status: 'uploading' });
      try {
        await uploadFile(session, bucket, upload.key, file, (sent) => update(upload.id, { sent }), signal);
        update(upload.id, { status: 'done', sent: upload.size });
        for (const listener of doneListeners) listener(bucket);
      } catch (err) {
        if (signal.aborted) update(upload.id, { status: 'cancelled' });
        else update(upload.id, { status: 'failed', problem: describeError(err) });
      }
    });
  }
}

function cancel(upload: Upload): void {
  upload.controller.abort();
  if (upload.status === 'queued') update(upload.id, { status: 'cancelled' });
}

function clearFinished(): void {
  publish(current.filter(running));
}

/** Calls `listener` with the bucket of each upload that completes, until the component unmounts. */
export function useUploaded(listener: (bucket: string) => void): void {
  useEffect(() => {
    doneListeners.add(listener);
    return () => void doneListeners.delete(listener);
  }, [listener]);
}

const STATUS_TEXT: Record<Upload['status'], string> = { queued: 'Waiting', uploading: 'Uploading', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' };

/** The uploads, each named by its key (and its bucket, when not `bucket`). */
export function UploadList({ bucket }: { bucket: string }) {
  const [uploads, setUploads] = useState(current);
  useEffect(() => {
    listListeners.add(setUploads);
    return () => void listListeners.delete(setUploads);
  }, []);
  if (uploads.length === 0) return null;
  const active = uploads.filter(running).length;
  return (
    <section class="card uploads" aria-label="Uploads">
      <div class="toolbar">
        <h2 class="grow">{active > 0 ? `Uploading ${active} of ${uploads.length}` : `Uploads (${uploads.length})`}</h2>
        <button type="button" onClick={clearFinished} disabled={active === uploads.length}>
          Clear finished
        </button>
      </div>
      <ul class="upload-list">
        {uploads.map((u) => {
          const percent = u.size === 0 ? (u.status === 'done' ? 100 : 0) : Math.min(100, Math.round((u.sent / u.size) * 100));
          const name = u.bucket === bucket ? u.key : `${u.bucket}/${u.key}`;
          return (
            <li key={u.id} class="upload" data-bucket={u.bucket} data-key={u.key} data-status={u.status}>
              <span class="upload-name" title={name}>
                {name}
              </span>
              <span class="upload-state muted">
                {u.status === 'uploading' ? `${formatBytes(u.sent)} of ${formatBytes(u.size)}` : `${STATUS_TEXT[u.status]}${u.status === 'done' ? `, ${formatBytes(u.size)}` : ''}`}
              </span>
              <div class={`progress upload-progress ${u.status}`} role="progressbar" aria-label={`Upload of ${name}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
                <div style={{ width: `${percent}%` }} />
              </div>
              {running(u) && (
                <button type="button" class="icon" data-action="cancel-upload" aria-label={`Cancel the upload of ${name}`} onClick={() => cancel(u)}>
                  ×
                </button>
              )}
              {u.problem && <span class="upload-problem">{u.problem}</span>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
