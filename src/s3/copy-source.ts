/** The source side of CopyObject and UploadPartCopy: which object, which bytes, under what conditions. */
import { S3Error } from '../errors.js';
import type { ByteRange, ObjectInfo, ObjectReader } from '../object/types.js';
import { hashingBody } from './body.js';
import type { ChecksumAlgorithm } from './checksums.js';
import { checkCopySourceConditions } from './conditions.js';
import { validateBucketName, validateObjectKey } from './names.js';
import { checkVersionId } from './object-request.js';
import { isObjectLayerError } from '../object/errors.js';
import type { S3Request } from './request.js';
import type { PutBody } from '../object/types.js';

export interface CopySource {
  bucket: string;
  key: string;
  versionId?: string;
}

/** `x-amz-copy-source: [/]bucket/key[?versionId=...]`, URL-encoded. */
export function parseCopySource(header: string): CopySource {
  const [rawPath, rawQuery] = header.split('?', 2);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding.');
  }
  if (path.startsWith('/')) path = path.slice(1);
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey.');
  const versionId = rawQuery ? new URLSearchParams(rawQuery).get('versionId') : null;
  const source = { bucket: path.slice(0, slash), key: path.slice(slash + 1), ...(versionId !== null ? { versionId: checkVersionId(versionId) } : {}) };
  validateBucketName(source.bucket);
  validateObjectKey(source.key);
  return source;
}

/**
 * `x-amz-copy-source-range: bytes=first-last`, which must lie within the source. S3 answers
 * InvalidArgument both for a value of another form and for one beyond the source (not InvalidRange).
 */
function parseCopyRange(header: string, size: number): ByteRange {
  const invalid = (message: string): S3Error => new S3Error('InvalidArgument', message, { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header });
  const match = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  if (!match) throw invalid('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy');
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start || end >= size) throw invalid(`Range specified is not valid for source object of size: ${size}`);
  return { start, end };
}

/** Opens the copy source named by the request, checking its conditions and optional range. */
export async function openCopySource(req: S3Request, options: { allowRange: boolean }): Promise<{ source: CopySource; reader: ObjectReader }> {
  const headers = req.ctx.req.headers;
  const source = parseCopySource(String(headers['x-amz-copy-source']));
  await req.access.require(source.versionId === undefined ? 's3:GetObject' : 's3:GetObjectVersion', source);
  const rangeHeader = headers['x-amz-copy-source-range'];
  if (rangeHeader !== undefined && !options.allowRange) throw new S3Error('InvalidArgument', 'Range is only valid for UploadPartCopy.');
  const reader = await req.objects
    .getObject(source.bucket, source.key, {
      versionId: source.versionId,
      range: (info: ObjectInfo) => {
        checkCopySourceConditions(headers, info);
        return rangeHeader !== undefined ? parseCopyRange(String(rangeHeader), info.size) : undefined;
      },
    })
    .catch((err: unknown) => {
      // A delete marker is no source; the copy's answer does not describe the source's marker.
      if (isObjectLayerError(err, 'version-is-delete-marker')) throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
      // The answer names the source, not the bucket and key the request's path names.
      if (isObjectLayerError(err, 'no-such-key')) throw new S3Error('NoSuchKey', undefined, { Key: source.key });
      if (isObjectLayerError(err, 'no-such-bucket')) throw new S3Error('NoSuchBucket', undefined, { BucketName: source.bucket });
      if (isObjectLayerError(err, 'no-such-version')) throw new S3Error('NoSuchVersion', undefined, { Key: source.key, VersionId: source.versionId ?? '' });
      throw err;
    });
  return { source, reader };
}

/** The copy's bytes as an upload body, hashed as they stream through (never through the client). */
export function copyBody(reader: ObjectReader, algorithm?: ChecksumAlgorithm): PutBody {
  const body = hashingBody(reader.stream, { algorithm });
  return {
    stream: body.stream,
    seal() {
      // Let go of the source (and its read lock) before the destination commits: it may be the same key.
      reader.stream.destroy();
      return body.seal();
    },
  };
}
