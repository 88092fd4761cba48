/**
 * The S3 calls the console makes, on fetch with SigV4 (api/http.ts): paths are encoded here, XML
 * answers read with DOMParser. Each call names the permission it needs, for the message a refusal gets.
 */
import { send, type ApiRequest } from './http.js';
import type { Session } from './session.js';
import { encodeRfc3986, presignUrl } from './signer.js';

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
  const decode = (value: string | undefined): string => decodeURIComponent((value ?? '').replace(/\+/g, ' '));
  return {
    folders: children(root, 'CommonPrefixes').map((p) => decode(childText(p, 'Prefix'))),
    objects: children(root, 'Contents').map((c) => ({
      key: decode(childText(c, 'Key')),
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
