/**
 * Copies one file or object to another place, whichever sides are local or remote:
 *  - local → remote: one streamed PutObject up to the part size, else a parallel multipart Upload;
 *  - remote → local: GetObject streamed to a partial file, renamed when complete, mtime kept;
 *  - remote → remote on one endpoint: server-side CopyObject, or (if the server answers
 *    NotImplemented, or for another endpoint) a streamed GET → PUT;
 *  - local → local: a streamed copy.
 * Transient failures (network, 5xx) are retried twice, the bytes already counted taken back.
 */
import {
  CopyObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type GetObjectCommandOutput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, unlinkSync } from 'node:fs';
import { mkdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { onAbort } from './action.js';
import { CliError, isNotImplemented, networkReason } from './errors.js';
import { PARTIAL_SUFFIX, type Entry, type Loc } from './location.js';
import { contentTypeFor } from './mime.js';
import type { Remote } from './remote.js';

export const DEFAULT_PART_SIZE = 64 * 1024 * 1024;
/** S3's largest single CopyObject. */
const MAX_COPY_OBJECT = 5 * 1024 ** 3;
const ATTEMPTS = 3;

export interface TransferOptions {
  partSize: number;
  /** Parts in flight for one multipart upload. */
  queueSize?: number;
  /** Called with each chunk's size as it moves (negative to take back a failed attempt's bytes). */
  onBytes: (bytes: number) => void;
}

/** An error tagged with the side of the transfer it came from, for the message. */
class SideError extends Error {
  constructor(
    readonly cause: unknown,
    readonly loc: Loc,
  ) {
    super('transfer failed');
  }
}

async function side<T>(loc: Loc, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    throw err instanceof SideError ? err : new SideError(err, loc);
  }
}

function explain(err: unknown): Error {
  if (!(err instanceof SideError)) return err as Error;
  if (err.cause instanceof CliError) return err.cause;
  if (err.loc.kind === 'remote') return err.loc.remote.explain(err.cause, { bucket: err.loc.bucket, key: err.loc.key });
  return err.cause as Error;
}

function isTransient(err: unknown): boolean {
  const cause = err instanceof SideError ? err.cause : err;
  if (cause instanceof CliError || isNotImplemented(cause)) return false;
  if (networkReason(cause)) return true;
  const status = (cause as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = (cause as { name?: string })?.name ?? '';
  return (status !== undefined && status >= 500) || name.startsWith('SlowDown') || name === 'RequestTimeout';
}

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

/** `source` piped through a byte counter; errors on the source fail the result. */
function counted(source: Readable, onBytes: (n: number) => void): Readable {
  const out = counter(onBytes);
  source.once('error', (err) => out.destroy(err));
  return source.pipe(out);
}

/** CopySource: bucket and key, the key URL-encoded but for its slashes. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function sameEndpoint(a: Remote, b: Remote): boolean {
  return a === b || (a.config.url === b.config.url && a.config.accessKey === b.config.accessKey);
}

/** Writes `body` to `path` through a partial file renamed into place when complete. */
async function writeLocal(path: string, body: Readable, modTime: Date | undefined, onBytes: (n: number) => void): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new CliError(`cannot write "${path}": it is a folder`);
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}${PARTIAL_SUFFIX}`);
  const forget = onAbort(() => {
    try {
      unlinkSync(tmp); // synchronous: this runs while the process is stopping
    } catch {
      // already gone
    }
  });
  try {
    await pipeline(body, counter(onBytes), createWriteStream(tmp));
    if (modTime) await utimes(tmp, modTime, modTime);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    forget();
  }
}

async function putStream(
  remote: Remote,
  dst: { bucket: string; key: string },
  body: Readable | Buffer,
  size: number,
  params: Partial<PutObjectCommandInput>,
  options: TransferOptions,
  onBytes: (n: number) => void,
): Promise<void> {
  if (size <= options.partSize) {
    const streamed = Buffer.isBuffer(body) ? body : counted(body, onBytes);
    await remote.client.send(new PutObjectCommand({ ...params, Bucket: dst.bucket, Key: dst.key, Body: streamed, ContentLength: size }));
    if (Buffer.isBuffer(body)) onBytes(size);
    return;
  }
  const upload = new Upload({
    client: remote.client,
    params: { ...params, Bucket: dst.bucket, Key: dst.key, Body: body },
    partSize: options.partSize,
    queueSize: options.queueSize ?? 4,
    leavePartsOnError: false,
  });
  let last = 0;
  upload.on('httpUploadProgress', (p) => {
    if (p.loaded !== undefined && p.loaded > last) {
      onBytes(p.loaded - last);
      last = p.loaded;
    }
  });
  await upload.done();
}

/** Metadata a streamed remote → remote copy carries over from the GET. */
function carriedHeaders(get: GetObjectCommandOutput): Partial<PutObjectCommandInput> {
  return {
    ContentType: get.ContentType,
    ContentEncoding: get.ContentEncoding,
    ContentDisposition: get.ContentDisposition,
    ContentLanguage: get.ContentLanguage,
    CacheControl: get.CacheControl,
    Metadata: get.Metadata,
  };
}

async function attempt(src: Loc, entry: Entry, dst: Loc, options: TransferOptions, onBytes: (n: number) => void): Promise<void> {
  if (src.kind === 'local' && dst.kind === 'local') {
    await side(dst, writeLocal(dst.path, await side(src, openLocal(src.path)), entry.modTime, onBytes));
    return;
  }
  if (src.kind === 'local' && dst.kind === 'remote') {
    const body = entry.size === 0 ? Buffer.alloc(0) : await side(src, openLocal(src.path));
    await side(dst, putStream(dst.remote, dst, body, entry.size, { ContentType: contentTypeFor(dst.key) }, options, onBytes));
    return;
  }
  if (src.kind === 'remote' && dst.kind === 'local') {
    const get = await side(src, src.remote.client.send(new GetObjectCommand({ Bucket: src.bucket, Key: src.key })));
    await side(dst, writeLocal(dst.path, get.Body as Readable, get.LastModified ?? entry.modTime, onBytes));
    return;
  }
  if (src.kind === 'remote' && dst.kind === 'remote') {
    if (sameEndpoint(src.remote, dst.remote) && !dst.remote.copyUnsupported && entry.size <= MAX_COPY_OBJECT) {
      try {
        await dst.remote.client.send(
          new CopyObjectCommand({ Bucket: dst.bucket, Key: dst.key, CopySource: copySource(src.bucket, src.key) }),
        );
        onBytes(entry.size);
        return;
      } catch (err) {
        if (!isNotImplemented(err)) throw new SideError(err, dst);
        dst.remote.copyUnsupported = true; // and stream it instead, quietly
      }
    }
    const get = await side(src, src.remote.client.send(new GetObjectCommand({ Bucket: src.bucket, Key: src.key })));
    const size = get.ContentLength ?? entry.size;
    const body = size === 0 ? Buffer.alloc(0) : (get.Body as Readable);
    await side(dst, putStream(dst.remote, dst, body, size, carriedHeaders(get), options, onBytes));
  }
}

async function openLocal(path: string): Promise<Readable> {
  const stream = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}

/** Copies `src` (described by `entry`) to `dst`. Errors come back as one-line CliErrors where known. */
export async function transfer(src: Loc, entry: Entry, dst: Loc, options: TransferOptions): Promise<void> {
  for (let n = 1; ; n++) {
    let moved = 0;
    const onBytes = (b: number): void => {
      moved += b;
      options.onBytes(b);
    };
    try {
      await attempt(src, entry, dst, options, onBytes);
      return;
    } catch (err) {
      if (moved !== 0) options.onBytes(-moved);
      if (n >= ATTEMPTS || !isTransient(err)) throw explain(err);
      await new Promise((r) => setTimeout(r, 200 * 2 ** n));
    }
  }
}
