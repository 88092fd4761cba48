/**
 * The S3 calls the console makes, on fetch with SigV4 (api/http.ts): paths are encoded here, XML
 * answers read with DOMParser. Each call names the permission it needs, for the message a refusal gets.
 */
import { ApiError, send, sendWithProgress, type ApiRequest } from './http.js';
import type { Session } from './session.js';
import { encodeRfc3986, presignUrl, sha256Base64 } from './signer.js';

/** `/bucket` or `/bucket/key`, each key segment encoded, `/` kept. */
export function objectPath(bucket: string, key?: string): string {
  const encodedBucket = encodeRfc3986(bucket);
  return key === undefined ? `/${encodedBucket}` : `/${encodedBucket}/${key.split('/').map(encodeRfc3986).join('/')}`;
}

export function parseXml(text: string): Document {
  return new DOMParser().parseFromString(text, 'application/xml');
}

/** The text of `name` children of `parent` (direct children only). */
export function childText(parent: Element | Document, name: string): string | undefined {
  for (const child of Array.from(parent.children)) if (child.localName === name) return child.textContent ?? '';
  return undefined;
}

export function children(parent: Element | Document, name: string): Element[] {
  return Array.from(parent.children).filter((c) => c.localName === name);
}

/** A key or prefix from a listing asked with encoding-type=url. */
const decodeListed = (value: string | undefined): string => decodeURIComponent((value ?? '').replace(/\+/g, ' '));

export async function s3Xml(session: Session, request: ApiRequest): Promise<Element> {
  const response = await send(session, request);
  const doc = parseXml(await response.text());
  return doc.documentElement;
}

export interface BucketSummary {
  name: string;
  created: Date;
}

export async function listBuckets(session: Session): Promise<BucketSummary[]> {
  const root = await s3Xml(session, { method: 'GET', path: '/', permission: 's3:ListAllMyBuckets' });
  const list = children(root, 'Buckets')[0];
  return (list ? children(list, 'Bucket') : []).map((b) => ({ name: childText(b, 'Name') ?? '', created: new Date(childText(b, 'CreationDate') ?? 0) }));
}

export interface ObjectSummary {
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
}

export interface ListPage {
  folders: string[];
  objects: ObjectSummary[];
  /** Give it back to get the next page; undefined on the last. */
  next?: string;
}

/** One page (up to `max` entries) of `prefix`, folded at `/`. */
export async function listObjects(session: Session, bucket: string, prefix: string, options: { token?: string; max?: number; signal?: AbortSignal } = {}): Promise<ListPage> {
  const query: Record<string, string> = { 'list-type': '2', delimiter: '/', prefix, 'max-keys': String(options.max ?? 200), 'encoding-type': 'url' };
  if (options.token) query['continuation-token'] = options.token;
  const root = await s3Xml(session, { method: 'GET', path: objectPath(bucket), query, permission: 's3:ListBucket', signal: options.signal });
  return {
    folders: children(root, 'CommonPrefixes').map((p) => decodeListed(childText(p, 'Prefix'))),
    objects: children(root, 'Contents').map((c) => ({
      key: decodeListed(childText(c, 'Key')),
      size: Number(childText(c, 'Size') ?? 0),
      lastModified: new Date(childText(c, 'LastModified') ?? 0),
      etag: childText(c, 'ETag') ?? '',
    })),
    next: childText(root, 'IsTruncated') === 'true' ? childText(root, 'NextContinuationToken') : undefined,
  };
}

/** A URL anyone may GET the object with for `expiresIn` seconds (at most 7 days, as S3 allows). */
export function shareUrl(session: Session, bucket: string, key: string, expiresIn: number, options: { versionId?: string; download?: string } = {}): Promise<string> {
  const query: Record<string, string> = {};
  if (options.versionId) query.versionId = options.versionId;
  if (options.download !== undefined) query['response-content-disposition'] = `attachment; filename*=UTF-8''${encodeRfc3986(options.download)}`;
  return presignUrl(session, { method: 'GET', path: objectPath(bucket, key), query }, expiresIn);
}

/** A request carrying an XML document, with the checksum that proves its body. */
export function xmlRequest(request: ApiRequest & { body: string }): ApiRequest {
  return { ...request, headers: { ...request.headers, 'content-type': 'application/xml', 'x-amz-checksum-sha256': sha256Base64(request.body) } };
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function createBucket(session: Session, bucket: string, options: { objectLock: boolean }): Promise<void> {
  const headers: Record<string, string> = options.objectLock ? { 'x-amz-bucket-object-lock-enabled': 'true' } : {};
  await send(session, { method: 'PUT', path: objectPath(bucket), headers, permission: 's3:CreateBucket' });
}

export async function deleteBucket(session: Session, bucket: string): Promise<void> {
  await send(session, { method: 'DELETE', path: objectPath(bucket), permission: 's3:DeleteBucket' });
}

/** 'Enabled', 'Suspended', or '' for a bucket that was never versioned. */
export type Versioning = 'Enabled' | 'Suspended' | '';

export async function getBucketVersioning(session: Session, bucket: string, signal?: AbortSignal): Promise<Versioning> {
  const root = await s3Xml(session, { method: 'GET', path: objectPath(bucket), query: { versioning: '' }, permission: 's3:GetBucketVersioning', signal });
  return (childText(root, 'Status') ?? '') as Versioning;
}

export async function putBucketVersioning(session: Session, bucket: string, status: 'Enabled' | 'Suspended'): Promise<void> {
  const body = `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${status}</Status></VersioningConfiguration>`;
  await send(session, xmlRequest({ method: 'PUT', path: objectPath(bucket), query: { versioning: '' }, body, permission: 's3:PutBucketVersioning' }));
}

export interface Usage {
  objects: number;
  bytes: number;
}

/**
 * Counts a bucket's objects and bytes by listing it whole, a thousand keys a request (only when the
 * user asks: a large bucket takes a while); `onProgress` sees the running totals; stops on `signal`.
 */
export async function bucketUsage(session: Session, bucket: string, onProgress: (usage: Usage) => void, signal?: AbortSignal): Promise<Usage> {
  const usage = { objects: 0, bytes: 0 };
  let token: string | undefined;
  do {
    const query: Record<string, string> = { 'list-type': '2', 'max-keys': '1000', 'encoding-type': 'url' };
    if (token) query['continuation-token'] = token;
    const root = await s3Xml(session, { method: 'GET', path: objectPath(bucket), query, permission: 's3:ListBucket', signal });
    for (const c of children(root, 'Contents')) {
      usage.objects += 1;
      usage.bytes += Number(childText(c, 'Size') ?? 0);
    }
    onProgress({ ...usage });
    token = childText(root, 'IsTruncated') === 'true' ? childText(root, 'NextContinuationToken') : undefined;
  } while (token);
  return usage;
}

export interface VersionSummary {
  key: string;
  versionId: string;
  latest: boolean;
  deleteMarker: boolean;
  size: number;
  lastModified: Date;
  etag: string;
}

export interface VersionPage {
  folders: string[];
  versions: VersionSummary[];
  /** Give it back to get the next page; undefined on the last. */
  next?: string;
}

/** One page of `prefix`'s versions and delete markers, folded at `/`; the page token packs the key and version markers. */
export async function listObjectVersions(session: Session, bucket: string, prefix: string, options: { token?: string; max?: number; signal?: AbortSignal } = {}): Promise<VersionPage> {
  const query: Record<string, string> = { versions: '', delimiter: '/', prefix, 'max-keys': String(options.max ?? 200), 'encoding-type': 'url' };
  if (options.token) {
    const [keyMarker, versionIdMarker] = JSON.parse(options.token) as [string, string];
    query['key-marker'] = keyMarker;
    if (versionIdMarker) query['version-id-marker'] = versionIdMarker;
  }
  const root = await s3Xml(session, { method: 'GET', path: objectPath(bucket), query, permission: 's3:ListBucketVersions', signal: options.signal });
  const versions = Array.from(root.children)
    .filter((c) => c.localName === 'Version' || c.localName === 'DeleteMarker')
    .map((v) => ({
      key: decodeListed(childText(v, 'Key')),
      versionId: childText(v, 'VersionId') ?? 'null',
      latest: childText(v, 'IsLatest') === 'true',
      deleteMarker: v.localName === 'DeleteMarker',
      size: Number(childText(v, 'Size') ?? 0),
      lastModified: new Date(childText(v, 'LastModified') ?? 0),
      etag: childText(v, 'ETag') ?? '',
    }));
  const truncated = childText(root, 'IsTruncated') === 'true';
  return {
    folders: children(root, 'CommonPrefixes').map((p) => decodeListed(childText(p, 'Prefix'))),
    versions,
    next: truncated ? JSON.stringify([decodeListed(childText(root, 'NextKeyMarker')), childText(root, 'NextVersionIdMarker') ?? '']) : undefined,
  };
}

export async function deleteObject(session: Session, bucket: string, key: string, versionId?: string): Promise<void> {
  const permission = versionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject';
  await send(session, { method: 'DELETE', path: objectPath(bucket, key), query: versionId ? { versionId } : {}, permission });
}

/** Deletes up to 1000 objects in one request; answers the keys that could not be deleted, with why. */
export async function deleteObjects(session: Session, bucket: string, keys: string[]): Promise<{ key: string; message: string }[]> {
  const body = `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join('')}</Delete>`;
  const root = await s3Xml(session, xmlRequest({ method: 'POST', path: objectPath(bucket), query: { delete: '' }, body, permission: 's3:DeleteObject' }));
  return children(root, 'Error').map((e) => ({ key: childText(e, 'Key') ?? '', message: childText(e, 'Message') || childText(e, 'Code') || 'failed' }));
}

export interface ObjectHead {
  size: number;
  etag: string;
  contentType: string;
  lastModified: Date;
  versionId?: string;
  /** x-amz-meta-* headers, without the prefix. */
  metadata: Record<string, string>;
}

export async function headObject(session: Session, bucket: string, key: string, versionId?: string): Promise<ObjectHead> {
  const response = await send(session, { method: 'HEAD', path: objectPath(bucket, key), query: versionId ? { versionId } : {}, permission: versionId ? 's3:GetObjectVersion' : 's3:GetObject' });
  const metadata: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = value;
  });
  return {
    size: Number(response.headers.get('content-length') ?? 0),
    etag: response.headers.get('etag') ?? '',
    contentType: response.headers.get('content-type') ?? '',
    lastModified: new Date(response.headers.get('last-modified') ?? 0),
    versionId: response.headers.get('x-amz-version-id') ?? undefined,
    metadata,
  };
}

/** The first `bytes` bytes of an object (a Range GET), for previews. */
export async function readObjectStart(session: Session, bucket: string, key: string, bytes: number, versionId?: string): Promise<ArrayBuffer> {
  const response = await send(session, { method: 'GET', path: objectPath(bucket, key), query: versionId ? { versionId } : {}, headers: { range: `bytes=0-${bytes - 1}` }, permission: versionId ? 's3:GetObjectVersion' : 's3:GetObject' });
  return response.arrayBuffer();
}

export type Tags = [string, string][];

export async function getObjectTagging(session: Session, bucket: string, key: string, versionId?: string): Promise<Tags> {
  const root = await s3Xml(session, { method: 'GET', path: objectPath(bucket, key), query: { tagging: '', ...(versionId ? { versionId } : {}) }, permission: versionId ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging' });
  const set = children(root, 'TagSet')[0];
  return (set ? children(set, 'Tag') : []).map((t) => [childText(t, 'Key') ?? '', childText(t, 'Value') ?? '']);
}

export async function putObjectTagging(session: Session, bucket: string, key: string, tags: Tags, versionId?: string): Promise<void> {
  const body = `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${tags.map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`).join('')}</TagSet></Tagging>`;
  const query = { tagging: '', ...(versionId ? { versionId } : {}) };
  await send(session, xmlRequest({ method: 'PUT', path: objectPath(bucket, key), query, body, permission: versionId ? 's3:PutObjectVersionTagging' : 's3:PutObjectTagging' }));
}

/** Uploads `body` in one PUT, reporting bytes sent. */
export async function putObject(session: Session, bucket: string, key: string, body: Blob, onProgress: (sent: number) => void, signal?: AbortSignal): Promise<void> {
  const headers: Record<string, string> = body.type ? { 'content-type': body.type } : {};
  await sendWithProgress(session, { method: 'PUT', path: objectPath(bucket, key), headers, body, permission: 's3:PutObject', signal }, onProgress);
}

export async function createMultipartUpload(session: Session, bucket: string, key: string, contentType: string): Promise<string> {
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  const root = await s3Xml(session, { method: 'POST', path: objectPath(bucket, key), query: { uploads: '' }, headers, permission: 's3:PutObject' });
  return childText(root, 'UploadId') ?? '';
}

/** Uploads one part, reporting bytes sent; answers its ETag. */
export async function uploadPart(session: Session, bucket: string, key: string, uploadId: string, partNumber: number, body: Blob, onProgress: (sent: number) => void, signal?: AbortSignal): Promise<string> {
  const query = { uploadId, partNumber: String(partNumber) };
  const { etag } = await sendWithProgress(session, { method: 'PUT', path: objectPath(bucket, key), query, body, permission: 's3:PutObject', signal }, onProgress);
  return etag;
}

export async function completeMultipartUpload(session: Session, bucket: string, key: string, uploadId: string, etags: string[]): Promise<void> {
  const body = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  const root = await s3Xml(session, { method: 'POST', path: objectPath(bucket, key), query: { uploadId }, headers: { 'content-type': 'application/xml' }, body, permission: 's3:PutObject' });
  // A 200 can still carry an error, found while the parts were being put together.
  if (root.localName === 'Error') throw new ApiError(200, childText(root, 'Code') ?? 'InternalError', childText(root, 'Message') ?? 'The upload could not be completed.');
}

export async function abortMultipartUpload(session: Session, bucket: string, key: string, uploadId: string): Promise<void> {
  await send(session, { method: 'DELETE', path: objectPath(bucket, key), query: { uploadId }, permission: 's3:AbortMultipartUpload' });
}
