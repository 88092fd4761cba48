import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, it, expect } from 'vitest';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { ChunkedDecoder, type ChunkedDecoderOptions } from '../../src/s3/auth/chunked.js';
import { verifySigV4, deriveSigningKey, type SigningContext, type IncomingSignedRequest } from '../../src/s3/auth/sigv4.js';
import { createChecksummer, headerForAlgorithm } from '../../src/s3/checksums.js';
import { S3Error, type S3ErrorCode } from '../../src/errors.js';

// ---------------------------------------------------------------------------------------------
// An independent aws-chunked encoder for the tests

const EMPTY = createHash('sha256').update('').digest('hex');
const sha256 = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer, s: string) => createHmac('sha256', key).update(s).digest('hex');

interface Signer {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  seed: string;
}

interface EncodeOptions {
  chunkSize: number;
  signer?: Signer;
  trailers?: [string, string][];
  /** corrupt the signature of chunk #n (0-based; the final 0-chunk counts) */
  badChunk?: number;
  badTrailerSignature?: boolean;
  omitTrailerSignature?: boolean;
}

function encode(data: Buffer, o: EncodeOptions): { body: Buffer; signatures: string[] } {
  const parts: Buffer[] = [];
  const signatures: string[] = [];
  let prev = o.signer?.seed ?? '';
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += o.chunkSize) pieces.push(data.subarray(i, i + o.chunkSize));
  pieces.push(Buffer.alloc(0));
  pieces.forEach((piece, n) => {
    let ext = '';
    if (o.signer) {
      const s = o.signer;
      let sig = hmac(s.signingKey, ['AWS4-HMAC-SHA256-PAYLOAD', s.amzDate, s.scope, prev, EMPTY, sha256(piece)].join('\n'));
      signatures.push(sig);
      prev = sig;
      if (o.badChunk === n) sig = sig.slice(0, 63) + (sig[63] === '0' ? '1' : '0');
      ext = `;chunk-signature=${sig}`;
    }
    parts.push(Buffer.from(`${piece.length.toString(16)}${ext}\r\n`));
    if (piece.length > 0) parts.push(piece, Buffer.from('\r\n'));
  });
  if (o.trailers) {
    let canonical = '';
    for (const [k, v] of o.trailers) {
      parts.push(Buffer.from(`${k}:${v}\r\n`));
      canonical += `${k.toLowerCase()}:${v}\n`;
    }
    if (o.signer && !o.omitTrailerSignature) {
      const s = o.signer;
      let sig = hmac(s.signingKey, ['AWS4-HMAC-SHA256-TRAILER', s.amzDate, s.scope, prev, sha256(canonical)].join('\n'));
      signatures.push(sig);
      if (o.badTrailerSignature) sig = sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
      parts.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
    }
  }
  parts.push(Buffer.from('\r\n'));
  return { body: Buffer.concat(parts), signatures };
}

function signingContext(s: Signer): SigningContext {
  return {
    accessKey: 'AK',
    secretKey: 'SK',
    signingKey: s.signingKey,
    amzDate: s.amzDate,
    scope: s.scope,
    seedSignature: s.seed,
    region: 'us-east-1',
  };
}

interface Decoded {
  data: Buffer;
  trailers: Record<string, string>;
}

/** Feeds the pieces into a fresh decoder and resolves with the output (or rejects with its error). */
function decode(pieces: Buffer[], opts: ChunkedDecoderOptions): Promise<Decoded> {
  return new Promise((resolve, reject) => {
    const dec = new ChunkedDecoder(opts);
    const out: Buffer[] = [];
    dec.on('data', (b: Buffer) => out.push(b));
    dec.on('error', reject);
    dec.on('end', () => resolve({ data: Buffer.concat(out), trailers: { ...dec.trailers } }));
    for (const p of pieces) {
      if (dec.destroyed) break;
      dec.write(p);
    }
    if (!dec.destroyed) dec.end();
  });
}

async function decodeError(pieces: Buffer[], opts: ChunkedDecoderOptions): Promise<S3Error> {
  let result: unknown;
  try {
    await decode(pieces, opts);
  } catch (err) {
    result = err;
  }
  expect(result, 'expected the decoder to fail').toBeInstanceOf(S3Error);
  return result as S3Error;
}

async function expectCode(pieces: Buffer[], opts: ChunkedDecoderOptions, code: S3ErrorCode): Promise<void> {
  const err = await decodeError(pieces, opts);
  expect(err.code, err.message).toBe(code);
}

function splitAt(body: Buffer, ...points: number[]): Buffer[] {
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(body.subarray(last, p));
    last = p;
  }
  out.push(body.subarray(last));
  return out;
}

function randomSplits(body: Buffer, maxPiece: number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < body.length) {
    const n = 1 + Math.floor(Math.random() * maxPiece);
    out.push(body.subarray(i, i + n));
    i += n;
  }
  return out;
}

const bytewise = (body: Buffer) => Array.from({ length: body.length }, (_, i) => body.subarray(i, i + 1));

const testSigner: Signer = {
  signingKey: deriveSigningKey('secret', '20240301', 'us-east-1', 's3'),
  amzDate: '20240301T120000Z',
  scope: '20240301/us-east-1/s3/aws4_request',
  seed: 'c'.repeat(64),
};

// ---------------------------------------------------------------------------------------------

describe('AWS documentation example: 64 KiB + 1 KiB of "a" in signed chunks', () => {
  const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const seed = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
  const expectedChunkSigs = [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ];
  const req: IncomingSignedRequest = {
    method: 'PUT',
    rawPath: '/examplebucket/chunkObject.txt',
    rawQuery: '',
    headers: {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
        'SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,' +
        `Signature=${seed}`,
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': '66824',
    },
  };
  const data = Buffer.alloc(65536 + 1024, 'a');

  it('the seed signature verifies and the example chunk signatures are reproduced', async () => {
    const auth = verifySigV4(req, (ak) => (ak === 'AKIAIOSFODNN7EXAMPLE' ? SK : undefined), new Date('2013-05-24T00:00:00Z'));
    expect(auth.payload).toEqual({ kind: 'streaming-signed', trailer: false });
    const { body, signatures } = encode(data, {
      chunkSize: 65536,
      signer: { signingKey: auth.context.signingKey, amzDate: auth.context.amzDate, scope: auth.context.scope, seed },
    });
    expect(signatures).toEqual(expectedChunkSigs);
    expect(body.length).toBe(66824);
    expect(body.subarray(0, 88).toString()).toBe(`10000;chunk-signature=${expectedChunkSigs[0]}\r\n`);

    const out = await decode(randomSplits(body, 5000), { signing: auth.context, trailer: false, decodedLength: 66560 });
    expect(out.data.equals(data)).toBe(true);
    expect(out.trailers).toEqual({});
  });

  it('a flipped byte in the second chunk fails with SignatureDoesNotMatch', async () => {
    const auth = verifySigV4(req, () => SK, new Date('2013-05-24T00:00:00Z'));
    const { body } = encode(data, {
      chunkSize: 65536,
      signer: { signingKey: auth.context.signingKey, amzDate: auth.context.amzDate, scope: auth.context.scope, seed },
    });
    const tampered = Buffer.from(body);
    tampered[88 + 65538 + 86 + 10] = 'b'.charCodeAt(0);
    await expectCode([tampered], { signing: auth.context, trailer: false, decodedLength: 66560 }, 'SignatureDoesNotMatch');
  });
});

describe('decoding at every split boundary', () => {
  const data = Buffer.from('The quick brown fox jumps over the lazy dog!');

  const variants: { name: string; enc: EncodeOptions; opts: ChunkedDecoderOptions; trailers: Record<string, string> }[] = [
    {
      name: 'signed, no trailer',
      enc: { chunkSize: 16, signer: testSigner },
      opts: { signing: signingContext(testSigner), trailer: false, decodedLength: data.length },
      trailers: {},
    },
    {
      name: 'signed with trailer',
      enc: { chunkSize: 16, signer: testSigner, trailers: [['x-amz-checksum-crc32c', 'sOO8/Q==']] },
      opts: { signing: signingContext(testSigner), trailer: true, decodedLength: data.length },
      trailers: { 'x-amz-checksum-crc32c': 'sOO8/Q==' },
    },
    {
      name: 'unsigned trailer (SDK format)',
      enc: { chunkSize: 7, trailers: [['x-amz-checksum-crc32', 'DUoRhQ==']] },
      opts: { trailer: true, decodedLength: data.length },
      trailers: { 'x-amz-checksum-crc32': 'DUoRhQ==' },
    },
    {
      name: 'unsigned trailer, several trailers, no decoded length',
      enc: { chunkSize: 100, trailers: [['X-Amz-Checksum-SHA256', 'abc'], ['x-amz-meta-late', ' v  w ']] },
      opts: { trailer: true },
      trailers: { 'x-amz-checksum-sha256': 'abc', 'x-amz-meta-late': 'v w' },
    },
    {
      name: 'signed with two trailers',
      enc: { chunkSize: 5, signer: testSigner, trailers: [['x-amz-checksum-crc32', 'AAAAAA=='], ['x-amz-checksum-sha1', 'Zm9v']] },
      opts: { signing: signingContext(testSigner), trailer: true },
      trailers: { 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-sha1': 'Zm9v' },
    },
  ];

  for (const v of variants) {
    it(`${v.name}: single piece, every 2-way split, every 3-way split sample, one byte at a time`, async () => {
      const { body } = encode(data, v.enc);
      const check = async (pieces: Buffer[]) => {
        const out = await decode(pieces, v.opts);
        expect(out.data.toString()).toBe(data.toString());
        expect(out.trailers).toEqual(v.trailers);
      };
      await check([body]);
      for (let i = 0; i <= body.length; i++) await check(splitAt(body, i));
      const stepI = Math.max(3, Math.floor(body.length / 40));
      const stepJ = Math.max(5, Math.floor(body.length / 30));
      for (let i = 1; i < body.length; i += stepI) {
        for (let j = i; j < body.length; j += stepJ) await check(splitAt(body, i, j));
      }
      await check(bytewise(body));
    });
  }

  it('an empty body (just the final chunk) decodes in every mode', async () => {
    const empty = Buffer.alloc(0);
    const signedBody = encode(empty, { chunkSize: 8, signer: testSigner }).body;
    expect((await decode(bytewise(signedBody), { signing: signingContext(testSigner), trailer: false, decodedLength: 0 })).data.length).toBe(0);
    const unsigned = encode(empty, { chunkSize: 8, trailers: [['x-amz-checksum-crc32', 'AAAAAA==']] }).body;
    const out = await decode([unsigned], { trailer: true, decodedLength: 0 });
    expect(out.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAAAA==' });
  });
});

describe('large bodies at random boundaries', () => {
  it('2 MiB signed with trailer, 64 KiB chunks, random splits', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 12345);
    const crc = createChecksummer('CRC32C');
    crc.update(data);
    const trailer = crc.digest().toString('base64');
    const { body } = encode(data, { chunkSize: 65536, signer: testSigner, trailers: [[headerForAlgorithm('CRC32C'), trailer]] });
    for (const maxPiece of [3, 100, 8192, 70000]) {
      const pieces = randomSplits(body, maxPiece);
      const out = await decode(pieces, { signing: signingContext(testSigner), trailer: true, decodedLength: data.length });
      expect(out.data.equals(data)).toBe(true);
      expect(out.trailers[headerForAlgorithm('CRC32C')]).toBe(trailer);
    }
  });

  it('1 MiB unsigned with irregular chunk sizes', async () => {
    const data = randomBytes(1024 * 1024);
    const { body } = encode(data, { chunkSize: 3333, trailers: [['x-amz-checksum-crc32', 'AAAAAA==']] });
    const out = await decode(randomSplits(body, 20000), { trailer: true, decodedLength: data.length });
    expect(out.data.equals(data)).toBe(true);
  });

  it('passes data downstream as it arrives, not at the end of each chunk', async () => {
    const data = randomBytes(100_000);
    const { body } = encode(data, { chunkSize: 100_000, signer: testSigner });
    const dec = new ChunkedDecoder({ signing: signingContext(testSigner), trailer: false });
    let received = 0;
    dec.on('data', (b: Buffer) => (received += b.length));
    dec.write(body.subarray(0, 50_000));
    await new Promise((r) => setImmediate(r));
    expect(received).toBeGreaterThan(40_000);
    dec.end(body.subarray(50_000));
    await new Promise((r) => dec.on('end', r));
    expect(received).toBe(100_000);
  });
});

describe('errors', () => {
  const data = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
  const signed = { signing: signingContext(testSigner), trailer: false } as const;
  const signedTrailer = { signing: signingContext(testSigner), trailer: true } as const;

  it('wrong chunk signature mid-stream -> SignatureDoesNotMatch', async () => {
    for (const bad of [0, 1, 2, 3]) {
      const { body } = encode(data, { chunkSize: 10, signer: testSigner, badChunk: bad });
      await expectCode(bytewise(body), signed, 'SignatureDoesNotMatch');
      await expectCode([body], signed, 'SignatureDoesNotMatch');
    }
  });

  it('a wrong seed signature or signing key -> SignatureDoesNotMatch', async () => {
    const { body } = encode(data, { chunkSize: 10, signer: testSigner });
    await expectCode([body], { signing: { ...signingContext(testSigner), seedSignature: 'd'.repeat(64) }, trailer: false }, 'SignatureDoesNotMatch');
    await expectCode([body], { signing: { ...signingContext(testSigner), signingKey: Buffer.alloc(32) }, trailer: false }, 'SignatureDoesNotMatch');
    await expectCode([body], { signing: { ...signingContext(testSigner), amzDate: '20240301T120001Z' }, trailer: false }, 'SignatureDoesNotMatch');
  });

  it('missing chunk-signature in signed mode -> SignatureDoesNotMatch', async () => {
    const { body } = encode(data, { chunkSize: 10 });
    await expectCode([body], signed, 'SignatureDoesNotMatch');
  });

  it('wrong or missing trailer signature -> SignatureDoesNotMatch', async () => {
    const trailers: [string, string][] = [['x-amz-checksum-crc32', 'AAAAAA==']];
    const bad = encode(data, { chunkSize: 10, signer: testSigner, trailers, badTrailerSignature: true }).body;
    await expectCode(bytewise(bad), signedTrailer, 'SignatureDoesNotMatch');
    const missing = encode(data, { chunkSize: 10, signer: testSigner, trailers, omitTrailerSignature: true }).body;
    await expectCode([missing], signedTrailer, 'SignatureDoesNotMatch');
    // a trailer value changed after signing
    const good = encode(data, { chunkSize: 10, signer: testSigner, trailers }).body;
    const tampered = Buffer.from(good.toString('latin1').replace('AAAAAA==', 'AAAAAB=='), 'latin1');
    await expectCode([tampered], signedTrailer, 'SignatureDoesNotMatch');
  });

  it('truncated bodies -> IncompleteBody at every cut point', async () => {
    const cases: { body: Buffer; opts: ChunkedDecoderOptions; lenientFrom?: number }[] = [];
    const s = encode(data, { chunkSize: 10, signer: testSigner }).body;
    // the only accepted early end is right after the final chunk line (before its closing CRLF)
    cases.push({ body: s, opts: signed, lenientFrom: s.length - 2 });
    const st = encode(data, { chunkSize: 10, signer: testSigner, trailers: [['x-amz-checksum-crc32', 'AAAAAA==']] }).body;
    cases.push({ body: st, opts: signedTrailer });
    const u = encode(data, { chunkSize: 10, trailers: [['x-amz-checksum-crc32', 'AAAAAA==']] }).body;
    const endOfFinal = u.indexOf('0\r\nx-amz-checksum') + 3;
    cases.push({ body: u, opts: { trailer: true }, lenientFrom: endOfFinal });
    for (const c of cases) {
      for (let cut = 0; cut < c.body.length; cut++) {
        const piece = c.body.subarray(0, cut);
        if (c.lenientFrom !== undefined && cut === c.lenientFrom) {
          const out = await decode([piece], c.opts);
          expect(out.data.equals(data)).toBe(true);
          continue;
        }
        const err = await decodeError([piece], c.opts);
        expect(err.code, `cut at ${cut}: ${err.message}`).toBe('IncompleteBody');
      }
    }
  });

  it('decodedLength mismatch -> IncompleteBody (short and long)', async () => {
    const { body } = encode(data, { chunkSize: 10, signer: testSigner });
    await expectCode([body], { ...signed, decodedLength: data.length + 1 }, 'IncompleteBody');
    await expectCode([body], { ...signed, decodedLength: data.length - 1 }, 'IncompleteBody');
    await expectCode([body], { ...signed, decodedLength: 0 }, 'IncompleteBody');
    const u = encode(data, { chunkSize: 10, trailers: [['x-amz-checksum-crc32', 'AAAAAA==']] }).body;
    await expectCode(bytewise(u), { trailer: true, decodedLength: 5 }, 'IncompleteBody');
  });

  it('oversized chunk header line -> InvalidArgument without buffering it all', async () => {
    const long = Buffer.alloc(5000, 'f');
    await expectCode([long], { trailer: false }, 'InvalidArgument');
    await expectCode([Buffer.from(`10;${'x'.repeat(5000)}\r\n`)], { trailer: false }, 'InvalidArgument');
    // 64 MiB of garbage without a newline: the decoder must fail fast, not accumulate
    const dec = new ChunkedDecoder({ trailer: false });
    const failed = new Promise<S3Error>((resolve) => dec.on('error', (e) => resolve(e as S3Error)));
    const piece = Buffer.alloc(1024, '1');
    let written = 0;
    while (!dec.destroyed && written < 64 * 1024 * 1024) {
      dec.write(piece);
      written += piece.length;
      if (written % (64 * 1024) === 0) await new Promise((r) => setImmediate(r));
    }
    expect((await failed).code).toBe('InvalidArgument');
    expect(written).toBeLessThan(1024 * 1024);
  });

  it('oversized trailer section -> InvalidArgument', async () => {
    const many: [string, string][] = Array.from({ length: 400 }, (_, i) => [`x-amz-meta-t${i}`, 'v'.repeat(40)]);
    const { body } = encode(data, { chunkSize: 10, trailers: many });
    await expectCode(randomSplits(body, 100), { trailer: true }, 'InvalidArgument');
    const one = encode(data, { chunkSize: 10, trailers: [['x-amz-meta-big', 'v'.repeat(20000)]] }).body;
    await expectCode([one], { trailer: true }, 'InvalidArgument');
  });

  it('malformed framing -> IncompleteBody', async () => {
    const bad = [
      'zz\r\nabc\r\n0\r\n\r\n', // not hex
      '\r\n', // empty size
      '-1\r\n\r\n',
      '3\r\nabcX\r\n0\r\n\r\n', // data not followed by CRLF
      '3\r\nabc\n0\r\n\r\n',
      '3\nabc\r\n0\r\n\r\n', // size line ends with a bare LF
      '3 \r\nabc\r\n0\r\n\r\n',
      '3\r\nabc\r\n0\r\nnot a trailer\r\n\r\n', // malformed trailer line (trailer mode below)
      '11111111111111111\r\n', // 17 hex digits
      '3\r\nabc\r\n0\r\n__proto__:x\r\n\r\n', // trailer mode below
      '3\r\nabc\r\n0\r\nbad name:x\r\n\r\n',
    ];
    for (const b of bad) {
      const err = await decodeError([Buffer.from(b)], { trailer: /not a trailer|__proto__|bad name/.test(b) });
      expect(['IncompleteBody'], JSON.stringify(b) + ' ' + err.message).toContain(err.code);
    }
    // trailers where none are expected
    await expectCode([Buffer.from('3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n')], { trailer: false }, 'IncompleteBody');
  });

  it('a chunk size beyond 2^53 -> InvalidArgument; data after the end -> InvalidArgument', async () => {
    await expectCode([Buffer.from('ffffffffffffffff\r\n')], { trailer: false }, 'InvalidArgument');
    await expectCode([Buffer.from('3\r\nabc\r\n0\r\n\r\nextra')], { trailer: false }, 'InvalidArgument');
  });
});

describe('with the real @aws-sdk/client-s3 streaming upload', () => {
  it('decodes STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies and the CRC32 trailer matches', async () => {
    const results: { data: Buffer; trailers: Record<string, string>; error?: unknown }[] = [];
    const server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      try {
        const auth = verifySigV4(
          { method: req.method!, rawPath: q < 0 ? url : url.slice(0, q), rawQuery: q < 0 ? '' : url.slice(q + 1), headers: req.headers },
          (ak) => (ak === 'AK' ? 'SK' : undefined),
        );
        expect(auth.payload).toEqual({ kind: 'streaming-unsigned-trailer' });
      } catch (err) {
        results.push({ data: Buffer.alloc(0), trailers: {}, error: err });
        res.statusCode = 403;
        res.end();
        return;
      }
      const dec = new ChunkedDecoder({ trailer: true, decodedLength: Number(req.headers['x-amz-decoded-content-length']) });
      const out: Buffer[] = [];
      dec.on('data', (b: Buffer) => out.push(b));
      dec.on('error', (error) => {
        results.push({ data: Buffer.concat(out), trailers: {}, error });
        res.statusCode = 400;
        res.end();
      });
      dec.on('end', () => {
        results.push({ data: Buffer.concat(out), trailers: { ...dec.trailers } });
        res.setHeader('etag', '"x"');
        res.end();
      });
      req.pipe(dec);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      maxAttempts: 1,
    });
    try {
      const payload = randomBytes(300_000);
      const pieces = randomSplits(payload, 40_000);
      for (const [alg, checksum] of [
        ['CRC32', undefined],
        ['CRC32C', 'CRC32C'],
        ['CRC64NVME', 'CRC64NVME'],
        ['SHA256', 'SHA256'],
      ] as const) {
        await client.send(
          new PutObjectCommand({ Bucket: 'b', Key: 'k y', Body: Readable.from(pieces), ContentLength: payload.length, ChecksumAlgorithm: checksum }),
        );
        const r = results.at(-1)!;
        expect(r.error).toBeUndefined();
        expect(r.data.equals(payload)).toBe(true);
        const c = createChecksummer(alg);
        c.update(payload);
        expect(r.trailers).toEqual({ [headerForAlgorithm(alg)]: c.digest().toString('base64') });
      }
    } finally {
      client.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
