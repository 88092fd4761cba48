/**
 * A bucket's objects at one prefix: folders and objects a page (PAGE_SIZE) at a time, with the
 * continuation tokens of the pages before kept to go back; breadcrumbs; uploads by drop or picker;
 * download, delete (one, or the selected, in one DeleteObjects); in a versioned bucket, every
 * version and delete marker on demand; an object's details in a dialog.
 */
import { Fragment, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { deleteObject, deleteObjects, getBucketVersioning, listObjects, listObjectVersions, shareUrl, type Versioning } from '../api/s3.js';
import { describeError } from '../ui/errors.js';
import { baseName } from '../ui/format.js';
import { Confirm } from '../ui/modal.js';
import { notify } from '../ui/notices.js';
import type { PageProps } from '../ui/page.js';
import { href } from '../ui/route.js';
import { ListingTable, type Deletion, type Listing } from './listing.js';
import { ObjectDetail, type ObjectRef } from './object-detail.js';
import { droppedFiles, pickedFiles, type PickedFile } from './upload.js';
import { startUploads, UploadList, useUploaded } from './uploads.js';

const PAGE_SIZE = 200;

/** Buckets / bucket / each folder of the prefix, each a link. */
function Breadcrumbs({ bucket, prefix, children }: { bucket: string; prefix: string; children?: ComponentChildren }) {
  return (
    <nav class="breadcrumbs" aria-label="Location">
      <a href={href('buckets')}>Buckets</a>
      <span class="sep">/</span>
      <a href={href('browse', bucket)} aria-current={prefix === '' ? 'page' : undefined}>
        {bucket}
      </a>
      {prefix
        .split('/')
        .slice(0, -1)
        .map((segment, i, all) => {
          const upTo = `${all.slice(0, i + 1).join('/')}/`;
          return (
            <Fragment key={upTo}>
              <span class="sep">/</span>
              <a href={href('browse', bucket, upTo)} aria-current={upTo === prefix ? 'page' : undefined}>
                {segment}
              </a>
            </Fragment>
          );
        })}
      {children}
    </nav>
  );
}

export function ObjectsPage({ session, params }: PageProps) {
  const [bucket = '', prefix = ''] = params;
  // Both kept with the bucket they are about, so moving to another bucket starts from its own.
  const [versioningOf, setVersioningOf] = useState<{ bucket: string; status: Versioning }>();
  const versioning = versioningOf?.bucket === bucket ? versioningOf.status : '';
  const [versionsShownOf, setVersionsShownOf] = useState<string>();
  const showVersions = versionsShownOf === bucket && versioning !== '';
  const view = `${bucket}\n${prefix}\n${showVersions}`;
  // The tokens of the pages up to the one shown (undefined: the first), for this view only.
  const [paging, setPaging] = useState<{ view: string; tokens: (string | undefined)[] }>({ view, tokens: [undefined] });
  const tokens = paging.view === view ? paging.tokens : [undefined];
  const token = tokens[tokens.length - 1];
  const [listing, setListing] = useState<Listing>();
  const [problem, setProblem] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [reloads, setReloads] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [detail, setDetail] = useState<ObjectRef>();
  const [deletion, setDeletion] = useState<Deletion>();
  const [dropping, setDropping] = useState(false);
  const reload = (): void => setReloads((n) => n + 1);
  // A batch of uploads finishing lists the page again once, not once a file.
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useUploaded(
    useCallback(
      (uploadedTo: string) => {
        if (uploadedTo !== bucket) return;
        clearTimeout(reloadTimer.current);
        reloadTimer.current = setTimeout(reload, 300);
      },
      [bucket],
    ),
  );
  useEffect(() => () => clearTimeout(reloadTimer.current), []);
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    getBucketVersioning(session, bucket, controller.signal).then(
      (status) => setVersioningOf({ bucket, status }),
      () => setVersioningOf({ bucket, status: '' }),
    );
    return () => controller.abort();
  }, [bucket]);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    const options = { token, max: PAGE_SIZE, signal: controller.signal };
    const request = showVersions ? listObjectVersions(session, bucket, prefix, options) : listObjects(session, bucket, prefix, options);
    request.then(
      (page) => {
        setListing(page);
        setProblem(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setListing(undefined);
        setProblem(describeError(err));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [view, token, reloads]);

  useEffect(() => {
    setSelected(new Set());
    scrollTo({ top: 0 });
  }, [view, token]);

  const goTo = (nextTokens: (string | undefined)[]): void => setPaging({ view, tokens: nextTokens });
  const upload = (files: PickedFile[]): void => {
    if (files.length > 0) startUploads(session, bucket, prefix, files);
  };
  const download = async (key: string, versionId?: string): Promise<void> => {
    const name = baseName(key, key.slice(0, key.lastIndexOf('/') + 1));
    const link = document.createElement('a');
    link.href = await shareUrl(session, bucket, key, 3600, { versionId, download: name });
    link.download = name;
    link.click();
  };

  return (
    <div
      class={`objects-page${dropping ? ' dropping' : ''}`}
      onDragOver={(e) => {
        if (!e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        setDropping(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target || !e.currentTarget.contains(e.relatedTarget as Node | null)) setDropping(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDropping(false);
        if (e.dataTransfer) droppedFiles(e.dataTransfer).then(upload, (err: unknown) => notify.error(err, 'Reading the dropped files'));
      }}
    >
      <Breadcrumbs bucket={bucket} prefix={prefix}>
        {versioning !== '' && <span class={`badge ${versioning === 'Enabled' ? 'ok' : 'warn'}`}>{versioning === 'Enabled' ? 'Versioned' : 'Versioning suspended'}</span>}
      </Breadcrumbs>

      <div class="toolbar">
        <button type="button" class="primary" data-action="upload-files" onClick={() => filesInput.current?.click()}>
          Upload files
        </button>
        <button type="button" data-action="upload-folder" onClick={() => folderInput.current?.click()}>
          Upload folder
        </button>
        <input ref={filesInput} type="file" multiple class="visually-hidden" data-upload="files" aria-label="Files to upload" tabIndex={-1} onChange={(e) => {
          upload(pickedFiles(e.currentTarget.files!));
          e.currentTarget.value = '';
        }} />
        <input ref={folderInput} type="file" multiple {...{ webkitdirectory: '' }} class="visually-hidden" data-upload="folder" aria-label="Folder to upload" tabIndex={-1} onChange={(e) => {
          upload(pickedFiles(e.currentTarget.files!));
          e.currentTarget.value = '';
        }} />
        {!showVersions && (
          <button type="button" class="danger" data-action="delete-selected" disabled={selected.size === 0} onClick={() => setDeletion({ keys: [...selected] })}>
            Delete selected{selected.size > 0 ? ` (${selected.size})` : ''}
          </button>
        )}
        <span class="grow" />
        {versioning !== '' && (
          <label class="inline">
            <input type="checkbox" name="showVersions" checked={showVersions} onChange={(e) => setVersionsShownOf(e.currentTarget.checked ? bucket : undefined)} />
            Show versions
          </label>
        )}
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>

      <UploadList bucket={bucket} />
      <p class="hint drop-hint">Drop files or folders anywhere on this page to upload them to {prefix ? `${bucket}/${prefix}` : bucket}.</p>

      {problem && (
        <p class="banner banner-error" role="alert">
          The objects cannot be listed: {problem}
        </p>
      )}
      <ListingTable
        prefix={prefix}
        listing={listing}
        loading={loading}
        problem={problem !== undefined}
        later={token !== undefined}
        showVersions={showVersions}
        selected={selected}
        onSelect={setSelected}
        onOpen={setDetail}
        onDownload={(key, versionId) => void download(key, versionId).catch((err: unknown) => notify.error(err, 'Download'))}
        onDelete={setDeletion}
        folderHref={(folder) => href('browse', bucket, folder)}
      />
      <div class="toolbar pager">
        <button type="button" data-action="previous-page" disabled={tokens.length === 1 || loading} onClick={() => goTo(tokens.slice(0, -1))}>
          Previous page
        </button>
        <span class="muted page-number">Page {tokens.length}</span>
        <button type="button" data-action="next-page" disabled={!listing?.next || loading} onClick={() => goTo([...tokens, listing?.next])}>
          Next page
        </button>
      </div>

      {detail && <ObjectDetail session={session} bucket={bucket} target={detail} onClose={() => setDetail(undefined)} />}
      {deletion && (
        <Confirm
          title={'version' in deletion ? 'Delete version' : deletion.keys.length === 1 ? 'Delete object' : 'Delete objects'}
          message={deletionMessage(deletion, versioning)}
          closeButton
          onConfirm={async () => {
            if ('version' in deletion) await deleteObject(session, bucket, deletion.version.key, deletion.version.versionId);
            else if (deletion.keys.length === 1) await deleteObject(session, bucket, deletion.keys[0]);
            else {
              const failed = await deleteObjects(session, bucket, deletion.keys);
              if (failed.length > 0) throw new Error(`${failed.length} could not be deleted: ${failed.map((f) => `${f.key} (${f.message})`).join(', ')}`);
            }
            notify.info('version' in deletion ? 'Version deleted.' : `${deletion.keys.length === 1 ? deletion.keys[0] : `${deletion.keys.length} objects`} deleted.`);
            reload();
          }}
          onClose={() => setDeletion(undefined)}
        />
      )}
    </div>
  );
}

function deletionMessage(deletion: Deletion, versioning: Versioning) {
  if ('version' in deletion)
    return (
      <p>
        Delete version <code>{deletion.version.versionId}</code> of <strong>{deletion.version.key}</strong> for good?
      </p>
    );
  const what = deletion.keys.length === 1 ? <strong>{deletion.keys[0]}</strong> : <strong>{deletion.keys.length} objects</strong>;
  return (
    <p>
      Delete {what}?{' '}
      {versioning === 'Enabled' ? 'The bucket is versioned: a delete marker hides the latest version, and the versions stay.' : 'This cannot be undone.'}
    </p>
  );
}
