/** What a request is about: bucket, key and query, read from the raw (still encoded) request target. */
import { S3Error } from '../errors.js';
import { validateBucketName } from './names.js';
import type { ObjectLayer } from '../object/types.js';
import type { AuthResult } from './auth/sigv4.js';
import type { AccessCheck } from './access.js';
import type { Iam } from '../iam/iam.js';
import type { Context } from 'koa';

export interface S3Target {
  bucket?: string;
  key?: string;
  rawPath: string;
  rawQuery: string;
  query: URLSearchParams;
  /** The bucket was named by the Host header, not the path. */
  virtualHost?: boolean;
}

function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI');
  }
}

/** The bucket named by a virtual-host style Host header (`bucket.example.com` under domain `example.com`). */
function bucketFromHost(host: string | undefined, domains: string[]): string | undefined {
  if (!host || domains.length === 0) return undefined;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  for (const domain of domains) {
    if (name.endsWith(`.${domain}`)) return name.slice(0, -domain.length - 1);
  }
  return undefined;
}

/**
 * Virtual-host style (`bucket.<domain>/key`) when the Host header names a bucket under one of
 * `domains`, else path style (`/bucket/key`). The key is taken verbatim: `a//b`, `../x` and `x/`
 * stay as sent.
 */
export function parseTarget(url: string, host?: string, domains: string[] = []): S3Target {
  const q = url.indexOf('?');
  const rawPath = q >= 0 ? url.slice(0, q) : url;
  const rawQuery = q >= 0 ? url.slice(q + 1) : '';
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const hostBucket = bucketFromHost(host, domains);
  const slash = hostBucket !== undefined ? -1 : path.indexOf('/');
  const rawBucket = hostBucket !== undefined ? encodeURIComponent(hostBucket) : slash >= 0 ? path.slice(0, slash) : path;
  const rawKey = hostBucket !== undefined ? path : slash >= 0 ? path.slice(slash + 1) : '';
  return {
    bucket: rawBucket ? decodeComponent(rawBucket) : undefined,
    key: rawKey ? decodeComponent(rawKey) : undefined,
    rawPath,
    rawQuery,
    query: new URLSearchParams(rawQuery),
    ...(hostBucket !== undefined ? { virtualHost: true } : {}),
  };
}

/** Everything a handler needs. */
export interface S3Request {
  ctx: Context;
  target: S3Target;
  auth: AuthResult;
  objects: ObjectLayer;
  /** The identity that asks, and its permission checks beyond the route's own. */
  access: AccessCheck;
  /** Users and each bucket's access settings: for ACL grants and owners, and to tell every node of a change to a bucket's access. */
  iam: Iam;
}

export function requireBucket(req: S3Request): string {
  if (!req.target.bucket) throw new S3Error('InvalidRequest', 'A bucket name is required.');
  validateBucketName(req.target.bucket);
  return req.target.bucket;
}
