/**
 * Turns an upload request into a PutBody: undo aws-chunked framing, count and hash every byte
 * (MD5 for the ETag, the payload SHA-256 when signed, the x-amz-checksum-* algorithm in use), and
 * check all of it against what the client declared once the last byte is in.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream';
import type { Context } from 'koa';
import { S3Error } from '../errors.js';
import type { PutBody, SealedBody } from '../object/types.js';
import { ChunkedDecoder } from './auth/chunked.js';
import type { AuthResult } from './auth/sigv4.js';
import { requestBody } from './body-watchdog.js';
import { firstValue, type HeaderSource } from './object-request.js';
import {
  algorithmFromHeader,
  createChecksummer,
  headerForAlgorithm,
  parseChecksumValue,
  type Checksummer,
  type ChecksumAlgorithm,
} from './checksums.js';

/** Largest single PUT, as in S3. */
export const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

function parseLength(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new S3Error('InvalidArgument', `Invalid ${what}.`);
  return Number(value);
}

/** The checksum algorithm of a request (its headers, or a form's fields) and where its expected value comes from. */
function declaredChecksum(headers: HeaderSource): { algorithm: ChecksumAlgorithm; fromTrailer: boolean } | undefined {
  const inHeaders = Object.keys(headers)
    .map((name) => algorithmFromHeader(name))
    .filter((a): a is ChecksumAlgorithm => a !== undefined);
  const trailer = firstValue(headers['x-amz-trailer'])?.trim().toLowerCase();
  const inTrailer = trailer ? algorithmFromHeader(trailer) : undefined;
  if (trailer && !inTrailer) throw new S3Error('InvalidArgument', `Unsupported trailer: ${trailer}.`);
  if (inHeaders.length + (inTrailer ? 1 : 0) > 1) {
    throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  }
  if (inHeaders.length === 1) return { algorithm: inHeaders[0], fromTrailer: false };
  if (inTrailer) return { algorithm: inTrailer, fromTrailer: true };
  const sdkAlgorithm = firstValue(headers['x-amz-sdk-checksum-algorithm'])?.toUpperCase();
  if (sdkAlgorithm) {
    const algorithm = algorithmFromHeader(`x-amz-checksum-${sdkAlgorithm.toLowerCase()}`);
    if (!algorithm) throw new S3Error('InvalidRequest', `Unsupported checksum algorithm: ${sdkAlgorithm}.`);
    return { algorithm, fromTrailer: false };
  }
  return undefined;
}

function parseContentMd5(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  const digest = Buffer.from(value, 'base64');
  if (digest.length !== 16 || digest.toString('base64') !== value.trim()) throw new S3Error('InvalidDigest');
  return digest;
}

export function entityTooLarge(size: number, maxSize: number): S3Error {
  return new S3Error('EntityTooLarge', undefined, { ProposedSize: String(size), MaxSizeAllowed: String(maxSize) });
}

function checksumMismatch(algorithm: ChecksumAlgorithm): S3Error {
  return new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
}

interface UploadBodyOptions {
  /** Largest body taken; a larger declared size is refused before a byte is read. */
  maxSize?: number;
  /** A part's upload's checksum algorithm: the part's checksum must be of it, and is computed when the part declares none. */
  uploadAlgorithm?: ChecksumAlgorithm;
  /** false: x-amz-checksum-* headers are not of this body (they describe the object a CompleteMultipartUpload makes). */
  checksumHeaders?: boolean;
}

/** Refuses a body coded other than chunked (`Transfer-Encoding: gzip, chunked`): S3 decodes none, and storing the coded bytes would change the object. */
export function checkTransferEncoding(headers: IncomingHttpHeaders): void {
  const coding = headers['transfer-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'chunked') throw new S3Error('NotImplemented', undefined, { Header: 'Transfer-Encoding' });
}

/** The request's body as an upload. */
export function uploadBody(ctx: Context, auth: AuthResult, { maxSize = MAX_OBJECT_SIZE, uploadAlgorithm, checksumHeaders = true }: UploadBodyOptions = {}): PutBody {
  const req = ctx.req;
  const payload = auth.payload;
  const streaming = payload.kind === 'streaming-signed' || payload.kind === 'streaming-unsigned-trailer';
  const contentLength = parseLength(firstValue(req.headers['content-length']), 'Content-Length');
  const decodedLength = parseLength(firstValue(req.headers['x-amz-decoded-content-length']), 'x-amz-decoded-content-length');
  // A body sent with Transfer-Encoding: chunked has no Content-Length; S3 takes its size from x-amz-decoded-content-length.
  const expectedSize = streaming ? decodedLength : (contentLength ?? (req.headers['transfer-encoding'] !== undefined ? decodedLength : undefined));
  if (expectedSize === undefined) throw new S3Error('MissingContentLength');
  if (expectedSize > maxSize) throw entityTooLarge(expectedSize, maxSize);

  const contentMd5 = parseContentMd5(firstValue(req.headers['content-md5']));
  const checksum = checksumHeaders ? declaredChecksum(req.headers) : undefined;
  if (uploadAlgorithm && checksum && checksum.algorithm !== uploadAlgorithm) {
    throw new S3Error('InvalidRequest', `Checksum Type mismatch occurred, expected checksum Type: ${uploadAlgorithm.toLowerCase()}, actual checksum Type: ${checksum.algorithm.toLowerCase()}`);
  }
  const headerChecksum =
    checksum && !checksum.fromTrailer ? firstValue(req.headers[headerForAlgorithm(checksum.algorithm)]) : undefined;
  if (headerChecksum !== undefined) parseChecksumValue(checksum!.algorithm, headerChecksum);

  let decoder: ChunkedDecoder | undefined;
  const body = requestBody(ctx);
  let source: AsyncIterable<Buffer> = body;
  if (streaming) {
    decoder = new ChunkedDecoder({
      signing: payload.kind === 'streaming-signed' ? auth.context : undefined,
      trailer: payload.kind === 'streaming-unsigned-trailer' || (payload.kind === 'streaming-signed' && payload.trailer),
      decodedLength: expectedSize,
    });
    source = pipeline(body, decoder, () => undefined);
  }

  return hashingBody(source, {
    maxSize: expectedSize,
    sha256: payload.kind === 'sha256',
    algorithm: checksum?.algorithm ?? uploadAlgorithm,
    verify(d) {
      if (d.size !== expectedSize) throw new S3Error('IncompleteBody');
      if (contentMd5 && !contentMd5.equals(d.md5)) throw new S3Error('BadDigest');
      if (payload.kind === 'sha256' && d.sha256 !== payload.hex.toLowerCase()) throw new S3Error('XAmzContentSHA256Mismatch');
      if (!checksum || d.checksum === undefined) return;
      const expected = checksum.fromTrailer ? decoder?.trailers[headerForAlgorithm(checksum.algorithm)] : headerChecksum;
      if (expected !== undefined) {
        parseChecksumValue(checksum.algorithm, expected);
        if (expected !== d.checksum) throw checksumMismatch(checksum.algorithm);
      } else if (checksum.fromTrailer) {
        throw new S3Error('InvalidRequest', `The trailer ${headerForAlgorithm(checksum.algorithm)} was declared but not sent.`);
      }
    },
  });
}

/**
 * A POST form's file as a PutBody: its size within the policy's bounds, checked against the form's
 * Content-MD5 and x-amz-checksum-* fields as a PUT's body is against those headers. An
 * x-amz-checksum-algorithm field needs the value of that algorithm beside it, as AWS documents.
 */
export function formFileBody(file: AsyncIterable<Buffer>, fields: HeaderSource, size: { minSize: number; maxSize: number }): PutBody {
  const contentMd5 = parseContentMd5(firstValue(fields['content-md5']));
  const checksum = declaredChecksum(fields);
  const expected = checksum ? firstValue(fields[headerForAlgorithm(checksum.algorithm)]) : undefined;
  const requested = firstValue(fields['x-amz-checksum-algorithm']);
  if (requested !== undefined && (expected === undefined || requested.toUpperCase() !== checksum!.algorithm)) {
    throw new S3Error('InvalidRequest', 'x-amz-checksum-algorithm specified, but no corresponding x-amz-checksum-* field was found.');
  }
  if (expected !== undefined) parseChecksumValue(checksum!.algorithm, expected);
  return hashingBody(file, {
    maxSize: size.maxSize,
    oversize: () => new S3Error('EntityTooLarge', undefined, { MaxSizeAllowed: String(size.maxSize) }),
    algorithm: checksum?.algorithm,
    verify(d) {
      if (d.size < size.minSize) throw new S3Error('EntityTooSmall', undefined, { ProposedSize: String(d.size), MinSizeAllowed: String(size.minSize) });
      if (contentMd5 && !contentMd5.equals(d.md5)) throw new S3Error('BadDigest');
      if (expected !== undefined && expected !== d.checksum) throw checksumMismatch(checksum!.algorithm);
    },
  });
}

/** What hashing a body found. */
interface Digests {
  size: number;
  md5: Buffer;
  sha256?: string;
  /** base64 of the requested x-amz-checksum algorithm's value. */
  checksum?: string;
}

interface HashingOptions {
  /** More bytes than this fails the body: IncompleteBody (longer than declared) unless `oversize` says otherwise. */
  maxSize?: number;
  oversize?: () => S3Error;
  sha256?: boolean;
  algorithm?: ChecksumAlgorithm;
  /** Throws when the digests contradict what the client declared. */
  verify?: (digests: Digests) => void;
}

/** A PutBody over `source` that hashes every byte as it passes and seals with the digests. */
export function hashingBody(source: AsyncIterable<Buffer>, options: HashingOptions): PutBody {
  const md5 = createHash('md5');
  const sha256: Hash | undefined = options.sha256 ? createHash('sha256') : undefined;
  const checksummer: Checksummer | undefined = options.algorithm ? createChecksummer(options.algorithm) : undefined;
  let size = 0;
  let ended = false;

  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      size += chunk.length;
      if (options.maxSize !== undefined && size > options.maxSize) {
        throw options.oversize?.() ?? new S3Error('IncompleteBody', 'The request body is longer than its declared length.');
      }
      md5.update(chunk);
      sha256?.update(chunk);
      checksummer?.update(chunk);
      yield chunk;
    }
    ended = true;
  }

  function seal(): SealedBody {
    if (!ended) throw new S3Error('IncompleteBody');
    const digests: Digests = {
      size,
      md5: md5.digest(),
      ...(sha256 ? { sha256: sha256.digest('hex') } : {}),
      ...(checksummer ? { checksum: checksummer.digest().toString('base64') } : {}),
    };
    options.verify?.(digests);
    const checksums: Record<string, string> = {};
    if (options.algorithm && digests.checksum !== undefined) checksums[options.algorithm] = digests.checksum;
    return { etag: digests.md5.toString('hex'), size, checksums };
  }

  return { stream: hashed(), seal };
}
