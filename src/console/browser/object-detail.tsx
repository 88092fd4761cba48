/**
 * One object (or one version of it) in a dialog: its size, ETag, type, date, version and user
 * metadata; its tags, edited in place; a preview of images, text (the first 64 KiB) and PDFs; a
 * download link; and a share link with an expiry.
 */
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getObjectTagging, headObject, putObjectTagging, readObjectStart, shareUrl, type ObjectHead, type Tags } from '../api/s3.js';
import type { Session } from '../api/session.js';
import { CopyButton } from '../ui/copy-button.js';
import { baseName, formatBytes, formatDate } from '../ui/format.js';
import { Modal } from '../ui/modal.js';
import { notify } from '../ui/notices.js';

const TEXT_PREVIEW_BYTES = 64 * 1024;
const PREVIEW_URL_SECONDS = 3600;

type PreviewKind = 'image' | 'text' | 'pdf' | undefined;

function previewKind(key: string, contentType: string): PreviewKind {
  const type = contentType.split(';')[0].trim().toLowerCase();
  const extension = /\.([a-z0-9]+)$/i.exec(key)?.[1].toLowerCase() ?? '';
  if (type.startsWith('image/') || ['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg', 'avif', 'bmp'].includes(extension)) return 'image';
  // Framed from this origin, so only what the server will answer as a PDF: an HTML object named .pdf would script the console.
  if (type === 'application/pdf') return 'pdf';
  if (type.startsWith('text/') || /json|xml|yaml|javascript/.test(type) || ['txt', 'md', 'csv', 'log', 'json', 'yaml', 'yml', 'xml', 'ini', 'conf', 'ts', 'js', 'py', 'sh'].includes(extension)) return 'text';
  return undefined;
}

export interface ObjectRef {
  key: string;
  versionId?: string;
}

export function ObjectDetail({ session, bucket, target, onClose }: { session: Session; bucket: string; target: ObjectRef; onClose: () => void }) {
  const { key, versionId } = target;
  const [head, setHead] = useState<ObjectHead>();
  const [problem, setProblem] = useState<string>();
  const [downloadUrl, setDownloadUrl] = useState<string>();
  useEffect(() => {
    headObject(session, bucket, key, versionId).then(setHead, (err: unknown) => {
      setProblem('The object cannot be read.');
      notify.error(err, `Reading ${key}`);
    });
    void shareUrl(session, bucket, key, PREVIEW_URL_SECONDS, { versionId, download: baseName(key, key.slice(0, key.lastIndexOf('/') + 1)) }).then(setDownloadUrl);
  }, [bucket, key, versionId]);
  const kind = head && previewKind(key, head.contentType);

  return (
    <Modal title={baseName(key, key.slice(0, key.lastIndexOf('/') + 1))} onClose={onClose} wide closeButton testId="object">
      {problem && <p class="banner banner-error">{problem}</p>}
      <div class="grid-2 object-detail">
        <section aria-label="Properties">
          <dl class="kv properties">
            <dt>Key</dt>
            <dd>{key}</dd>
            <dt>Size</dt>
            <dd data-field="size">{head ? `${formatBytes(head.size)} (${head.size.toLocaleString()} bytes)` : '…'}</dd>
            <dt>ETag</dt>
            <dd data-field="etag">{head?.etag ?? '…'}</dd>
            <dt>Content type</dt>
            <dd data-field="content-type">{head?.contentType || '…'}</dd>
            <dt>Last modified</dt>
            <dd>{head ? formatDate(head.lastModified) : '…'}</dd>
            <dt>Version</dt>
            <dd data-field="version-id">{head ? (head.versionId ?? 'none (unversioned)') : '…'}</dd>
            {head &&
              Object.entries(head.metadata).map(([name, value]) => (
                <Fragment key={name}>
                  <dt>x-amz-meta-{name}</dt>
                  <dd data-meta={name}>{value}</dd>
                </Fragment>
              ))}
          </dl>
          <div class="toolbar object-actions">
            <a class="button" href={downloadUrl} download={baseName(key, key.slice(0, key.lastIndexOf('/') + 1))} aria-disabled={!downloadUrl} data-action="download">
              Download
            </a>
          </div>
          <TagEditor session={session} bucket={bucket} target={target} />
          <ShareLink session={session} bucket={bucket} target={target} />
        </section>
        <section aria-label="Preview" class="preview">
          <h3>Preview</h3>
          {head ? <Preview session={session} bucket={bucket} target={target} kind={kind} size={head.size} /> : <div class="preview-box muted">Loading…</div>}
        </section>
      </div>
    </Modal>
  );
}

function Preview({ session, bucket, target, kind, size }: { session: Session; bucket: string; target: ObjectRef; kind: PreviewKind; size: number }) {
  const [url, setUrl] = useState<string>();
  const [text, setText] = useState<string>();
  useEffect(() => {
    if (size === 0) return;
    if (kind === 'image' || kind === 'pdf') void shareUrl(session, bucket, target.key, PREVIEW_URL_SECONDS, { versionId: target.versionId }).then(setUrl);
    if (kind === 'text')
      readObjectStart(session, bucket, target.key, TEXT_PREVIEW_BYTES, target.versionId).then(
        (bytes) => setText(new TextDecoder().decode(bytes)),
        (err: unknown) => notify.error(err, 'Reading the preview'),
      );
  }, [kind, target.key, target.versionId]);
  if (size === 0) return <div class="preview-box muted">The object is empty.</div>;
  if (kind === 'image') return <div class="preview-box">{url && <img class="preview-image" src={url} alt={`Preview of ${target.key}`} />}</div>;
  if (kind === 'pdf') return <div class="preview-box">{url && <iframe class="preview-pdf" src={url} title={`Preview of ${target.key}`} />}</div>;
  if (kind === 'text')
    return (
      <div class="preview-box">
        <pre class="preview-text">{text ?? 'Loading…'}</pre>
        {size > TEXT_PREVIEW_BYTES && <p class="hint">The first 64 KiB of {formatBytes(size)}.</p>}
      </div>
    );
  return <div class="preview-box muted">No preview for this type of object.</div>;
}

function TagEditor({ session, bucket, target }: { session: Session; bucket: string; target: ObjectRef }) {
  const [tags, setTags] = useState<Tags>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    getObjectTagging(session, bucket, target.key, target.versionId).then(setTags, (err: unknown) => {
      setTags([]);
      notify.error(err, 'Reading the tags');
    });
  }, [target.key, target.versionId]);
  const change = (index: number, part: 0 | 1, value: string): void => setTags((list) => list?.map((t, i) => (i === index ? (part === 0 ? [value, t[1]] : [t[0], value]) : t)));
  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    try {
      const kept = (tags ?? []).filter(([k]) => k.trim() !== '');
      await putObjectTagging(session, bucket, target.key, kept, target.versionId);
      setTags(kept);
      notify.info('Tags saved.');
    } catch (err) {
      notify.error(err, 'Saving the tags');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="tags stack" onSubmit={save} aria-label="Tags">
      <h3>Tags</h3>
      {tags === undefined && <p class="muted">Loading…</p>}
      {tags?.length === 0 && <p class="muted">No tags.</p>}
      {tags?.map(([k, v], i) => (
        <div class="tag-row" key={i}>
          <input aria-label={`Tag ${i + 1} key`} name="tag-key" maxLength={128} value={k} onInput={(e) => change(i, 0, e.currentTarget.value)} />
          <input aria-label={`Tag ${i + 1} value`} name="tag-value" maxLength={256} value={v} onInput={(e) => change(i, 1, e.currentTarget.value)} />
          <button type="button" class="icon" aria-label={`Remove tag ${k}`} onClick={() => setTags((list) => list?.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <div class="toolbar">
        <button type="button" data-action="add-tag" disabled={!tags || tags.length >= 10} onClick={() => setTags((list) => [...(list ?? []), ['', '']])}>
          Add tag
        </button>
        <button type="submit" class="primary" data-action="save-tags" disabled={busy || !tags}>
          {busy ? 'Saving…' : 'Save tags'}
        </button>
      </div>
    </form>
  );
}

const EXPIRIES: { label: string; seconds: number }[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
];

function ShareLink({ session, bucket, target }: { session: Session; bucket: string; target: ObjectRef }) {
  const [seconds, setSeconds] = useState(EXPIRIES[0].seconds);
  const [link, setLink] = useState<{ url: string; lasts: string }>();
  const url = link?.url;
  const input = useRef<HTMLInputElement>(null);
  const make = async (): Promise<void> => {
    const made = await shareUrl(session, bucket, target.key, seconds, { versionId: target.versionId });
    setLink({ url: made, lasts: EXPIRIES.find((e) => e.seconds === seconds)?.label ?? '' });
  };
  return (
    <div class="share stack" aria-label="Share link" role="group">
      <h3>Share link</h3>
      <div class="toolbar">
        <label class="inline">
          Expires after
          <select name="expiry" value={String(seconds)} onChange={(e) => setSeconds(Number(e.currentTarget.value))}>
            {EXPIRIES.map((e) => (
              <option key={e.seconds} value={String(e.seconds)}>
                {e.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" data-action="share" onClick={() => void make()}>
          Create link
        </button>
      </div>
      {url && (
        <div class="toolbar share-url">
          <input ref={input} class="grow" readOnly name="share-url" aria-label="Share link" value={url} onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={url} what="Link" select={() => input.current} action="copy" />
        </div>
      )}
      {link && <p class="hint">Anyone with the link can download this object for {link.lasts}.</p>}
    </div>
  );
}
