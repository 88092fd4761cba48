/** The uploads of one bucket's page: each file's progress bar and cancel button; a few files at a time. */
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import type { Session } from '../api/session.js';
import { formatBytes } from './format.js';
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

/** Runs `task` once fewer than `limit` others run. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

/** Upload state for `bucket`; `onUploaded` runs after each file that made it (e.g. to list again). */
export function useUploads(session: Session, bucket: string, onUploaded: () => void) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [slot] = useState(() => limiter(PARALLEL_FILES));
  const uploaded = useRef(onUploaded);
  uploaded.current = onUploaded;
  const update = (id: number, change: Partial<Upload>): void => setUploads((list) => list.map((u) => (u.id === id ? { ...u, ...change } : u)));

  const start = (prefix: string, files: PickedFile[]): void => {
    const added = files.map(({ file, path }) => ({ file, upload: { id: nextId++, bucket, key: prefix + path, size: file.size, sent: 0, status: 'queued' as const, controller: new AbortController() } }));
    setUploads((list) => [...list, ...added.map((a) => a.upload)]);
    for (const { file, upload } of added) {
      void slot(async () => {
        const { signal } = upload.controller;
        if (signal.aborted) return;
        update(upload.id, { status: 'uploading' });
        try {
          await uploadFile(session, bucket, upload.key, file, (sent) => update(upload.id, { sent }), signal);
          update(upload.id, { status: 'done', sent: upload.size });
          uploaded.current();
        } catch (err) {
          if (signal.aborted) update(upload.id, { status: 'cancelled' });
          else update(upload.id, { status: 'failed', problem: err instanceof ApiError ? err.describe() : (err as Error).message });
        }
      });
    }
  };
  const cancel = (upload: Upload): void => {
    upload.controller.abort();
    if (upload.status === 'queued') update(upload.id, { status: 'cancelled' });
  };
  const clearFinished = (): void => setUploads((list) => list.filter((u) => u.status === 'queued' || u.status === 'uploading'));
  return { uploads, start, cancel, clearFinished };
}

const STATUS_TEXT: Record<Upload['status'], string> = { queued: 'Waiting', uploading: 'Uploading', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' };

/** The uploads, each named by its key (and its bucket, when not `bucket`: the list outlives a move to another bucket). */
export function UploadList({ bucket, uploads, onCancel, onClear }: { bucket: string; uploads: Upload[]; onCancel: (upload: Upload) => void; onClear: () => void }) {
  if (uploads.length === 0) return null;
  const active = uploads.filter((u) => u.status === 'queued' || u.status === 'uploading').length;
  return (
    <section class="card uploads" aria-label="Uploads">
      <div class="toolbar">
        <h2 class="grow">{active > 0 ? `Uploading ${active} of ${uploads.length}` : `Uploads (${uploads.length})`}</h2>
        <button type="button" onClick={onClear} disabled={active === uploads.length}>
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
              <div class={`progress upload-progress ${u.status}`} role="progressbar" aria-label={`Upload of ${u.key}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
                <div style={{ width: `${percent}%` }} />
              </div>
              {(u.status === 'queued' || u.status === 'uploading') && (
                <button type="button" class="icon" data-action="cancel-upload" aria-label={`Cancel the upload of ${u.key}`} onClick={() => onCancel(u)}>
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
