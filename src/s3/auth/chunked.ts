/**
 * Decoder for `Content-Encoding: aws-chunked` request bodies, as a Node Transform stream.
 *
 * Wire format (S3 "chunked upload"):
 *
 *   hex-size[;chunk-signature=<64 hex>]\r\n <size bytes of data> \r\n      (repeated)
 *   0[;chunk-signature=<64 hex>]\r\n                                         (final chunk)
 *   then, with trailers:    name:value\r\n ... [x-amz-trailer-signature:<64 hex>\r\n] \r\n
 *   or, without trailers:   \r\n
 *
 * Signed streams (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) chain every chunk's signature from
 * the seed signature of the Authorization header:
 *
 *   chunk:   HMAC(signingKey, "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" +
 *                 previousSignature + "\n" + hex(sha256("")) + "\n" + hex(sha256(chunkData)))
 *   trailer: HMAC(signingKey, "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" +
 *                 previousSignature + "\n" + hex(sha256(canonicalTrailers)))
 *
 * where canonicalTrailers is every trailer except x-amz-trailer-signature, as `name:value\n` with
 * lower-cased names and trimmed values, sorted by name (the canonical-header form, newline-terminated,
 * which is what the AWS SDKs' and CRT's trailer signers hash).
 *
 * Data is pushed downstream as it arrives (never buffered per chunk); a chunk's signature is
 * checked once its last byte has been seen, and the stream errors if it does not match, so the
 * consumer must not commit anything before the stream has ended cleanly.
 *
 * Error codes (S3 gives no precise catalogue for chunk framing; these follow its nearest answers):
 *   - IncompleteBody: malformed framing (bad size line, missing CRLF, malformed trailer line),
 *     a body ending before the final chunk / trailer section, or a decoded length different from
 *     x-amz-decoded-content-length.
 *   - SignatureDoesNotMatch: a wrong or missing chunk signature / trailer signature in signed mode.
 *   - InvalidArgument: a size line over 4 KiB, a trailer section over 16 KiB, a chunk size beyond
 *     2^53, or bytes after the end of the encoded body.
 * Chunk sizes are not policed (S3 requires >= 8 KiB for non-final signed chunks, but the v3 JS SDK
 * itself sends arbitrarily small chunks for STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies).
 * Leniency: a body that ends right after the final 0-size chunk line (no closing CRLF, no trailer
 * section) is accepted unless a signed trailer is expected: all data has been received and verified.
 */
import { createHash, createHmac, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../../errors.js';
import { signaturesEqual, type SigningContext } from './sigv4.js';

export interface ChunkedDecoderOptions {
  /** present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): verify every chunk and the trailer signature */
  signing?: SigningContext;
  /** trailers expected after the final 0-size chunk */
  trailer: boolean;
  /** x-amz-decoded-content-length if given: the total decoded bytes must equal it */
  decodedLength?: number;
}

/** Longest chunk header line accepted (without its CRLF). */
export const MAX_CHUNK_LINE = 4096;
/** Largest trailer section accepted (all lines, CRLFs included). */
export const MAX_TRAILER_SECTION = 16 * 1024;

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';
const CR = 0x0d;
const LF = 0x0a;

const State = {
  SizeLine: 0,
  Data: 1,
  DataCR: 2,
  DataLF: 3,
  Trailer: 4,
  Done: 5,
} as const;
type State = (typeof State)[keyof typeof State];

export class ChunkedDecoder extends Transform {
  /** Trailer headers (lower-cased names), available after 'end'. */
  readonly trailers: Record<string, string> = {};

  private readonly signing: SigningContext | undefined;
  private readonly expectTrailer: boolean;
  private readonly decodedLength: number | undefined;

  private state: State = State.SizeLine;
  private lineParts: Buffer[] = [];
  private lineLen = 0;
  private remaining = 0;
  private decoded = 0;
  private hash: Hash | undefined;
  private chunkSignature: string | undefined;
  private previousSignature: string;
  private trailerBytes = 0;
  private trailerLineCount = 0;
  private trailerSignature: string | undefined;

  constructor(opts: ChunkedDecoderOptions) {
    super();
    this.signing = opts.signing;
    this.expectTrailer = opts.trailer;
    this.decodedLength = opts.decodedLength;
    this.previousSignature = opts.signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.state !== State.Done) {
        const atTrailerStart = this.state === State.Trailer && this.lineLen === 0 && this.trailerLineCount === 0;
        const signedTrailerExpected = this.signing !== undefined && this.expectTrailer;
        if (!atTrailerStart || signedTrailerExpected) {
          throw new S3Error('IncompleteBody', 'The request body ended before the end of the aws-chunked encoding.');
        }
        this.state = State.Done;
      }
      this.checkDecodedLength(true);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private consume(buf: Buffer): void {
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      switch (this.state) {
        case State.SizeLine: {
          const line = this.readLine(buf, pos, MAX_CHUNK_LINE);
          if (line === undefined) return;
          pos = line.next;
          this.startChunk(line.text);
          break;
        }
        case State.Data: {
          const n = Math.min(this.remaining, len - pos);
          const piece = buf.subarray(pos, pos + n);
          pos += n;
          this.remaining -= n;
          this.hash?.update(piece);
          this.push(piece);
          if (this.remaining === 0) {
            this.finishChunk();
            this.state = State.DataCR;
          }
          break;
        }
        case State.DataCR:
          if (buf[pos++] !== CR) throw framing('chunk data is not followed by CRLF');
          this.state = State.DataLF;
          break;
        case State.DataLF:
          if (buf[pos++] !== LF) throw framing('chunk data is not followed by CRLF');
          this.state = State.SizeLine;
          break;
        case State.Trailer: {
          const before = pos;
          const line = this.readLine(buf, pos, MAX_TRAILER_SECTION);
          this.trailerBytes += (line === undefined ? len : line.next) - before;
          if (this.trailerBytes > MAX_TRAILER_SECTION) throw tooLarge('the trailer section exceeds 16 KiB');
          if (line === undefined) return;
          pos = line.next;
          this.trailerLine(line.text);
          break;
        }
        case State.Done:
          throw new S3Error('InvalidArgument', 'Unexpected data after the end of the aws-chunked body.');
      }
    }
  }

  /**
   * Accumulates bytes up to and including the next LF. Returns the line without its CRLF and the
   * position after the LF, or undefined if more input is needed. Enforces `max` on the line length.
   */
  private readLine(buf: Buffer, pos: number, max: number): { text: string; next: number } | undefined {
    const lf = buf.indexOf(LF, pos);
    if (lf < 0) {
      this.lineParts.push(buf.subarray(pos));
      this.lineLen += buf.length - pos;
      // allow one extra byte for a CR that may be followed by LF in the next piece
      if (this.lineLen > max + 1) throw tooLarge('a chunk header line is too long');
      return undefined;
    }
    let line: Buffer;
    if (this.lineParts.length === 0) {
      line = buf.subarray(pos, lf);
    } else {
      this.lineParts.push(buf.subarray(pos, lf));
      line = Buffer.concat(this.lineParts, this.lineLen + (lf - pos));
      this.lineParts = [];
    }
    this.lineLen = 0;
    if (line.length === 0 || line[line.length - 1] !== CR) throw framing('a line is not terminated by CRLF');
    if (line.length - 1 > max) throw tooLarge('a chunk header line is too long');
    return { text: line.toString('latin1', 0, line.length - 1), next: lf + 1 };
  }

  private startChunk(line: string): void {
    const semi = line.indexOf(';');
    const sizeStr = semi < 0 ? line : line.slice(0, semi);
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeStr)) throw framing(`invalid chunk size "${sizeStr.slice(0, 32)}"`);
    const size = parseInt(sizeStr, 16);
    if (!Number.isSafeInteger(size)) throw new S3Error('InvalidArgument', 'The chunk size is too large.');

    this.chunkSignature = undefined;
    if (semi >= 0) {
      for (const ext of line.slice(semi + 1).split(';')) {
        const eq = ext.indexOf('=');
        const name = (eq < 0 ? ext : ext.slice(0, eq)).trim();
        if (name === 'chunk-signature') this.chunkSignature = eq < 0 ? '' : ext.slice(eq + 1).trim();
      }
    }
    if (this.signing && this.chunkSignature === undefined) {
      throw new S3Error('SignatureDoesNotMatch', 'A chunk of a signed aws-chunked body carries no chunk-signature.');
    }

    if (size === 0) {
      if (this.signing) this.verifyChunk(EMPTY_SHA256);
      this.checkDecodedLength(true);
      this.state = State.Trailer;
      return;
    }
    this.decoded += size;
    this.checkDecodedLength(false);
    this.remaining = size;
    this.hash = this.signing ? createHash('sha256') : undefined;
    this.state = State.Data;
  }

  private finishChunk(): void {
    if (this.signing) {
      this.verifyChunk(this.hash!.digest('hex'));
      this.hash = undefined;
    }
  }

  private verifyChunk(dataSha256: string): void {
    const s = this.signing!;
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${s.amzDate}\n${s.scope}\n${this.previousSignature}\n${EMPTY_SHA256}\n${dataSha256}`;
    const expected = createHmac('sha256', s.signingKey).update(sts).digest('hex');
    if (!signaturesEqual(expected, this.chunkSignature ?? '')) {
      throw new S3Error('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.', {
        StringToSign: sts,
        SignatureProvided: this.chunkSignature ?? '',
      });
    }
    this.previousSignature = expected;
  }

  private trailerLine(line: string): void {
    if (line === '') {
      this.finishTrailers();
      this.state = State.Done;
      return;
    }
    this.trailerLineCount++;
    if (!this.expectTrailer) throw framing('the final chunk is not followed by CRLF');
    const colon = line.indexOf(':');
    if (colon <= 0) throw framing('malformed trailer line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).replace(/[ \t]+/g, ' ').trim();
    // an HTTP header token; '__proto__' is refused so the trailers object can stay a plain object
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || name === '__proto__') throw framing('malformed trailer line');
    if (name === TRAILER_SIGNATURE) {
      if (this.trailerSignature !== undefined) throw framing('repeated x-amz-trailer-signature');
      this.trailerSignature = value;
      return;
    }
    if (this.trailerSignature !== undefined) throw framing('a trailer follows x-amz-trailer-signature');
    if (Object.prototype.hasOwnProperty.call(this.trailers, name)) throw framing(`repeated trailer ${name}`);
    this.trailers[name] = value;
  }

  private finishTrailers(): void {
    if (!this.signing || !this.expectTrailer) return;
    if (this.trailerSignature === undefined) {
      throw new S3Error('SignatureDoesNotMatch', 'The trailer of a signed aws-chunked body carries no x-amz-trailer-signature.');
    }
    const s = this.signing;
    const canonical = Object.keys(this.trailers)
      .sort()
      .map((k) => `${k}:${this.trailers[k]}\n`)
      .join('');
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${s.amzDate}\n${s.scope}\n${this.previousSignature}\n${createHash('sha256')
      .update(canonical)
      .digest('hex')}`;
    const expected = createHmac('sha256', s.signingKey).update(sts).digest('hex');
    if (!signaturesEqual(expected, this.trailerSignature)) {
      throw new S3Error('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.', {
        StringToSign: sts,
        SignatureProvided: this.trailerSignature,
      });
    }
    this.previousSignature = expected;
  }

  /** final: the whole body has been decoded, so the count must match exactly. */
  private checkDecodedLength(final: boolean): void {
    if (this.decodedLength === undefined) return;
    if (final ? this.decoded !== this.decodedLength : this.decoded > this.decodedLength) {
      throw new S3Error(
        'IncompleteBody',
        `The decoded body length does not match x-amz-decoded-content-length (${this.decodedLength}).`,
      );
    }
  }
}

function framing(detail: string): S3Error {
  return new S3Error('IncompleteBody', `Malformed aws-chunked body: ${detail}.`);
}

function tooLarge(detail: string): S3Error {
  return new S3Error('InvalidArgument', `Malformed aws-chunked body: ${detail}.`);
}
