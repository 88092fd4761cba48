/**
 * The buckets page: each bucket with its creation date and versioning; its usage (objects and bytes)
 * counted only when asked, by listing it whole (a large bucket takes a while, so not on page load);
 * creating a bucket (versioning, Object Lock) and deleting one.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/http.js';
import { bucketUsage, createBucket, deleteBucket, getBucketVersioning, listBuckets, putBucketVersioning, type BucketSummary, type Usage, type Versioning } from '../api/s3.js';
import type { Session } from '../api/session.js';
import { LoadError } from '../ui/errors.js';
import { formatBytes, formatDate } from '../ui/format.js';
import { ListTable } from '../ui/list-table.js';
import { useLoad } from '../ui/load.js';
import { Confirm, FormModal } from '../ui/modal.js';
import { notify } from '../ui/notices.js';
import type { PageProps } from '../ui/page.js';
import { href } from '../ui/route.js';

export function BucketsPage({ session }: PageProps) {
  const listed = useLoad(() => listBuckets(session), [session]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<string>();

  return (
    <>
      <div class="toolbar page-heading">
        <h1 class="grow">Buckets</h1>
        <button type="button" onClick={listed.reload}>
          Refresh
        </button>
        <button type="button" class="primary" data-action="create-bucket" onClick={() => setCreating(true)}>
          Create bucket
        </button>
      </div>
      <LoadError error={listed.error} what="The buckets cannot be listed" />
      <ListTable
        tableClass="list buckets"
        columns={['Name', 'Created', 'Versioning', 'Usage']}
        numeric={['Usage']}
        items={listed.data}
        row={(b) => <BucketRow key={b.name} session={session} bucket={b} onDelete={() => setDeleting(b.name)} />}
        empty="No buckets yet."
        loading={listed.error ? undefined : 'Loading…'}
      />
      {creating && <CreateBucket session={session} onClose={() => setCreating(false)} onCreated={listed.reload} />}
      {deleting && (
        <Confirm
          title="Delete bucket"
          message={
            <p>
              Delete the bucket <strong>{deleting}</strong>? Only an empty bucket can be deleted.
            </p>
          }
          confirmLabel="Delete bucket"
          closeButton
          onConfirm={async () => {
            await deleteBucket(session, deleting);
            notify.info(`Bucket ${deleting} deleted.`);
            listed.reload();
          }}
          explain={(err) => (err instanceof ApiError && err.code === 'BucketNotEmpty' ? 'The bucket is not empty: delete its objects (and their versions) first.' : undefined)}
          onClose={() => setDeleting(undefined)}
        />
      )}
    </>
  );
}

function BucketRow({ session, bucket, onDelete }: { session: Session; bucket: BucketSummary; onDelete: () => void }) {
  const [versioning, setVersioning] = useState<Versioning | 'unknown'>();
  const [usage, setUsage] = useState<Usage & { done: boolean }>();
  const counting = useRef<AbortController | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    getBucketVersioning(session, bucket.name, controller.signal).then(setVersioning, () => setVersioning('unknown'));
    return () => {
      controller.abort();
      counting.current?.abort();
    };
  }, [bucket.name]);

  const count = async (): Promise<void> => {
    const controller = new AbortController();
    counting.current = controller;
    setUsage({ objects: 0, bytes: 0, done: false });
    try {
      const total = await bucketUsage(session, bucket.name, (u) => setUsage({ ...u, done: false }), controller.signal);
      setUsage({ ...total, done: true });
    } catch (err) {
      if (!controller.signal.aborted) notify.error(err, `Counting ${bucket.name}`);
    } finally {
      if (counting.current === controller) counting.current = undefined;
    }
  };
  const stop = (): void => {
    counting.current?.abort();
    counting.current = undefined;
    setUsage(undefined);
  };

  return (
    <tr data-bucket={bucket.name}>
      <td>
        <a href={href('browse', bucket.name)} class="bucket-name">
          {bucket.name}
        </a>
      </td>
      <td>{formatDate(bucket.created)}</td>
      <td class="versioning">{versioning === undefined ? '…' : versioningBadge(versioning)}</td>
      <td class="num usage">
        {usage ? (
          <span>
            {usage.objects.toLocaleString()} objects, {formatBytes(usage.bytes)}
            {!usage.done && (
              <>
                {' '}
                <button type="button" class="icon" aria-label={`Stop counting ${bucket.name}`} onClick={stop}>
                  ■
                </button>
              </>
            )}
          </span>
        ) : (
          <button type="button" data-action="count" aria-label={`Count the objects in ${bucket.name}`} onClick={() => void count()}>
            Count
          </button>
        )}
      </td>
      <td class="row-actions">
        <button type="button" class="danger" data-action="delete-bucket" aria-label={`Delete bucket ${bucket.name}`} onClick={onDelete}>
          Delete
        </button>
      </td>
    </tr>
  );
}

function versioningBadge(status: Versioning | 'unknown') {
  if (status === 'Enabled') return <span class="badge ok">Versioned</span>;
  if (status === 'Suspended') return <span class="badge warn">Suspended</span>;
  if (status === 'unknown') return <span class="muted">?</span>;
  return <span class="muted">Off</span>;
}

function CreateBucket({ session, onClose, onCreated }: { session: Session; onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [versioned, setVersioned] = useState(false);
  const [locked, setLocked] = useState(false);
  const submit = async (): Promise<void> => {
    await createBucket(session, name, { objectLock: locked });
    // Object Lock turns versioning on by itself.
    if (versioned && !locked) await putBucketVersioning(session, name, 'Enabled');
    notify.info(`Bucket ${name} created.`);
    onCreated();
  };
  return (
    <FormModal title="Create bucket" submitLabel="Create" busyLabel="Creating…" closeButton testId="create-bucket" onClose={onClose} submit={submit}>
      <label>
        Name
        <input name="bucket" required minLength={3} maxLength={63} autocomplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <span class="hint">3 to 63 lowercase letters, digits, dots and hyphens.</span>
      </label>
      <label class="inline">
        <input type="checkbox" name="versioning" checked={versioned || locked} disabled={locked} onChange={(e) => setVersioned(e.currentTarget.checked)} />
        Versioning: keep every version of each object
      </label>
      <label class="inline">
        <input type="checkbox" name="objectLock" checked={locked} onChange={(e) => setLocked(e.currentTarget.checked)} />
        Object Lock: allow retention and legal holds (turns versioning on, for good)
      </label>
    </FormModal>
  );
}
