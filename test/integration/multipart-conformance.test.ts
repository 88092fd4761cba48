/**
 * Multipart uploads and x-amz-checksum-* as AWS S3 documents them (issue 14): checksum mismatches are
 * BadDigest (header and trailer, PutObject and UploadPart); CompleteMultipartUpload's whole-object
 * checksums (COMPOSITE `-N` and FULL_OBJECT CRCs combined from the parts) are checked against what
 * the parts carried, and GET/HEAD give them back with x-amz-checksum-type; the last acknowledged
 * upload of a part wins; GET/HEAD partNumber and UploadPartCopy ranges are refused as S3 refuses them.
 * Raw requests (an independent SigV4 signer and CRCs) and the AWS SDK v3 against a server of 4 drives.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type ChecksumAlgorithm,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  STREAMING_UNSIGNED_TRAILER,
  buildHeaders,
  crc32Base64,
  crc32cBase64,
  crc64nvmeBase64,
  errorCode,
  md5Hex,
  openRaw,
  rawRequest,
  sha256Base64,
  unsignedChunk,
  unsignedTrailerEnd,
  type RawResponse,
} from '../helpers/raw.js';
import { TestServer, endServer, serverWithBuckets } from '../helpers/server.js';

const MiB = 1024 * 1024;
const BUCKET = 'conformance';
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
let s3: S3Client;

beforeAll(async () => ({ server, s3 } = await serverWithBuckets([BUCKET], { drives: 4 })));

afterAll(() => endServer(server, s3));

function raw(method: string, key: string, query = '', headers: Record<string, string> = {}, body?: Buffer | string): Promise<RawResponse> {
  return rawRequest(server.endpoint, { method, path: `/${BUCKET}/${key}`, query, headers, body });
}

/** The status, code and message of an S3 error answer (with any extra elements asked for). */
function failure(res: RawResponse, ...elements: string[]): Record<string, unknown> {
  const element = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(res.text)?.[1];
  return { status: res.status, code: errorCode(res.text), message: element('Message'), ...Object.fromEntries(elements.map((e) => [e, element(e)])) };
}

async function createUpload(key: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await raw('POST', key, 'uploads=', headers);
  expect(res.status, res.text).toBe(200);
  return /<UploadId>([^<]+)<\/UploadId>/.exec(res.text)![1];
}

function uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw('PUT', key, `partNumber=${partNumber}&uploadId=${uploadId}`, headers, body);
}

function completeXml(parts: { number: number; etag: string; checksums?: Record<string, string> }[]): string {
  const items = parts.map((p) => {
    const sums = Object.entries(p.checksums ?? {}).map(([alg, v]) => `<Checksum${alg}>${v}</Checksum${alg}>`).join('');
    return `<Part><PartNumber>${p.number}</PartNumber><ETag>${p.etag}</ETag>${sums}</Part>`;
  });
  return `<CompleteMultipartUpload>${items.join('')}</CompleteMultipartUpload>`;
}

function complete(key: string, uploadId: string, xml: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw('POST', key, `uploadId=${uploadId}`, headers, xml);
}

const CHECKSUMS: Record<string, (d: Uint8Array) => string> = { CRC32: crc32Base64, CRC32C: crc32cBase64, CRC64NVME: crc64nvmeBase64, SHA256: sha256Base64 };

describe('checksum mismatches are BadDigest', () => {
  it('a wrong x-amz-checksum-* header on UploadPart answers 400 BadDigest naming the algorithm, and keeps no part', async () => {
    const uploadId = await createUpload('bad-part');
    const data = randomBytes(1000);
    for (const [algorithm, sum] of Object.entries(CHECKSUMS)) {
      const res = await uploadPart('bad-part', uploadId, 1, data, { [`x-amz-checksum-${algorithm.toLowerCase()}`]: sum(Buffer.from('other bytes')) });
      expect(failure(res)).toEqual({ status: 400, code: 'BadDigest', message: `The ${algorithm} you specified did not match the calculated checksum.` });
    }
    const parts = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'bad-part', UploadId: uploadId }));
    expect(parts.Parts ?? []).toEqual([]);
  });

  it('a wrong trailing checksum of an aws-chunked UploadPart or PutObject answers 400 BadDigest', async () => {
    const uploadId = await createUpload('bad-trailer');
    const data = randomBytes(100 * 1024);
    const body = Buffer.concat([unsignedChunk(data), unsignedTrailerEnd({ 'x-amz-checksum-crc32c': crc32cBase64(Buffer.from('not it')) })]);
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'x-amz-trailer': 'x-amz-checksum-crc32c', 'content-length': String(body.length) };
    for (const query of [`partNumber=1&uploadId=${uploadId}`, '']) {
      const res = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/bad-trailer`, query, headers, payloadHash: STREAMING_UNSIGNED_TRAILER, body });
      expect(failure(res)).toEqual({ status: 400, code: 'BadDigest', message: 'The CRC32C you specified did not match the calculated checksum.' });
    }
  });

  it('a part of an upload made with a checksum algorithm gets that checksum computed, and a checksum of another algorithm is refused', async () => {
    const uploadId = await createUpload('algorithm-part', { 'x-amz-checksum-algorithm': 'CRC32C' });
    const data = randomBytes(3000);
    const computed = await uploadPart('algorithm-part', uploadId, 1, data);
    expect(computed.status, computed.text).toBe(200);
    expect(computed.headers['x-amz-checksum-crc32c']).toBe(crc32cBase64(data));
    const other = await uploadPart('algorithm-part', uploadId, 2, data, { 'x-amz-checksum-crc32': crc32Base64(data) });
    expect(failure(other)).toEqual({ status: 400, code: 'InvalidRequest', message: 'Checksum Type mismatch occurred, expected checksum Type: crc32c, actual checksum Type: crc32' });
  });
});

describe('CompleteMultipartUpload checksums', () => {
  const bodies = [randomBytes(5 * MiB + 17), randomBytes(5 * MiB), randomBytes(12345)];
  const whole = Buffer.concat(bodies);

  async function uploadWith(key: string, algorithm: string, type?: string) {
    const uploadId = await createUpload(key, { 'x-amz-checksum-algorithm': algorithm, ...(type ? { 'x-amz-checksum-type': type } : {}) });
    const sum = CHECKSUMS[algorithm];
    const parts = [];
    for (const [i, body] of bodies.entries()) {
      const res = await uploadPart(key, uploadId, i + 1, body, { [`x-amz-checksum-${algorithm.toLowerCase()}`]: sum(body) });
      expect(res.status, res.text).toBe(200);
      parts.push({ number: i + 1, etag: String(res.headers.etag), checksums: { [algorithm]: sum(body) } });
    }
    return { uploadId, parts };
  }

  for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME']) {
    it(`a FULL_OBJECT ${algorithm} is the ${algorithm} of the whole object, combined from the parts; a wrong one is BadDigest`, async () => {
      const key = `full-${algorithm}`;
      const { uploadId, parts } = await uploadWith(key, algorithm, 'FULL_OBJECT');
      const header = `x-amz-checksum-${algorithm.toLowerCase()}`;
      const expected = CHECKSUMS[algorithm](whole);
      const wrong = await complete(key, uploadId, completeXml(parts), { [header]: CHECKSUMS[algorithm](bodies[0]), 'x-amz-checksum-type': 'FULL_OBJECT' });
      expect(failure(wrong)).toMatchObject({ status: 400, code: 'BadDigest' });
      const composite = await complete(key, uploadId, completeXml(parts), { 'x-amz-checksum-type': 'COMPOSITE' });
      expect(failure(composite)).toEqual({
        status: 400,
        code: 'BadDigest',
        message: 'The upload was created using the FULL_OBJECT checksum mode. The complete request must use the same checksum mode.',
      });

      const done = await complete(key, uploadId, completeXml(parts), { [header]: expected, 'x-amz-checksum-type': 'FULL_OBJECT' });
      expect(done.status, done.text).toBe(200);
      expect(done.text).toContain(`<Checksum${algorithm}>${expected}</Checksum${algorithm}>`);
      expect(done.text).toContain('<ChecksumType>FULL_OBJECT</ChecksumType>');
      const head = await raw('HEAD', key, '', { 'x-amz-checksum-mode': 'ENABLED' });
      expect([head.headers[header], head.headers['x-amz-checksum-type']]).toEqual([expected, 'FULL_OBJECT']);
      const plain = await raw('HEAD', key);
      expect([plain.headers[header], plain.headers['x-amz-checksum-type']]).toEqual([undefined, undefined]);
      const second = await raw('GET', key, 'partNumber=2', { 'x-amz-checksum-mode': 'ENABLED' });
      expect([second.status, second.headers[header], sha256(second.body)]).toEqual([206, CHECKSUMS[algorithm](bodies[1]), sha256(bodies[1])]);
    });
  }

  it('a COMPOSITE SHA256 is the SHA256 of the parts\' SHA256s, suffixed -N; a part listed with another checksum is InvalidPart', async () => {
    const { uploadId, parts } = await uploadWith('composite-sha256', 'SHA256');
    const composite = `${createHash('sha256').update(Buffer.concat(bodies.map((b) => createHash('sha256').update(b).digest()))).digest('base64')}-3`;
    const swapped = parts.map((p, i) => (i === 1 ? { ...p, checksums: { SHA256: sha256Base64(bodies[0]) } } : p));
    expect(failure(await complete('composite-sha256', uploadId, completeXml(swapped)))).toMatchObject({ status: 400, code: 'InvalidPart' });
    const otherAlgorithm = await complete('composite-sha256', uploadId, completeXml(parts), { 'x-amz-checksum-crc32': crc32Base64(whole) });
    expect(failure(otherAlgorithm)).toEqual({ status: 400, code: 'InvalidRequest', message: 'Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32' });
    const wrongCount = await complete('composite-sha256', uploadId, completeXml(parts), { 'x-amz-checksum-sha256': composite.replace(/-3$/, '-2') });
    expect(failure(wrongCount)).toMatchObject({ status: 400, code: 'BadDigest' });

    const done = await complete('composite-sha256', uploadId, completeXml(parts), { 'x-amz-checksum-sha256': composite, 'x-amz-checksum-type': 'COMPOSITE' });
    expect(done.status, done.text).toBe(200);
    expect(done.text).toContain(`<ChecksumSHA256>${composite}</ChecksumSHA256>`);
    expect(done.text).toContain('<ChecksumType>COMPOSITE</ChecksumType>');
    const get = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'composite-sha256', ChecksumMode: 'ENABLED' }));
    expect([get.ChecksumSHA256, get.ChecksumType]).toEqual([composite, 'COMPOSITE']);
    expect(sha256(await get.Body!.transformToByteArray())).toBe(sha256(whole));
  });

  it('a single PUT answers GET/HEAD with its checksum as FULL_OBJECT', async () => {
    const data = randomBytes(2000);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'single', Body: data, ChecksumAlgorithm: 'CRC32C' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'single', ChecksumMode: 'ENABLED' }));
    expect([head.ChecksumCRC32C, head.ChecksumType]).toEqual([crc32cBase64(data), 'FULL_OBJECT']);
  });

  it('the SDK helpers\' forms complete: lib-storage Upload (composite CRC32) and FULL_OBJECT CRC64NVME through the SDK', async () => {
    const data = randomBytes(40 * MiB);
    const up = await new Upload({ client: s3, params: { Bucket: BUCKET, Key: 'lib-storage', Body: data }, partSize: 5 * MiB, queueSize: 4 }).done();
    expect(up.ETag).toMatch(/-8"$/);
    expect(up.ChecksumCRC32).toMatch(/-8$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'lib-storage', ChecksumMode: 'ENABLED' }));
    expect([got.ChecksumCRC32, got.ChecksumType]).toEqual([up.ChecksumCRC32, 'COMPOSITE']);
    expect(sha256(await got.Body!.transformToByteArray())).toBe(sha256(data));

    const Key = 'sdk-crc64nvme';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, ChecksumAlgorithm: 'CRC64NVME' as ChecksumAlgorithm }));
    const Parts: CompletedPart[] = [];
    for (const [i, Body] of bodies.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: 'CRC64NVME' as ChecksumAlgorithm }));
      Parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC64NVME: r.ChecksumCRC64NVME });
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts }, ChecksumCRC64NVME: crc64nvmeBase64(whole), ChecksumType: 'FULL_OBJECT' }),
    );
    expect([done.ChecksumCRC64NVME, done.ChecksumType]).toEqual([crc64nvmeBase64(whole), 'FULL_OBJECT']);
  });
});

describe('parts uploaded again', () => {
  it('a part uploaded again with another body replaces its ETag and checksum', async () => {
    const uploadId = await createUpload('again', { 'x-amz-checksum-algorithm': 'CRC32' });
    const [first, second] = [randomBytes(4000), randomBytes(5000)];
    await uploadPart('again', uploadId, 1, first);
    const res = await uploadPart('again', uploadId, 1, second);
    expect(res.headers['x-amz-checksum-crc32']).toBe(crc32Base64(second));
    const listed = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'again', UploadId: uploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.ChecksumCRC32, p.Size])).toEqual([[1, `"${md5Hex(second)}"`, crc32Base64(second), 5000]]);
  });

  it('two uploads of one part racing: the one acknowledged last wins, and completing with the other ETag is InvalidPart', async () => {
    const key = 'race';
    const uploadId = await createUpload(key);
    const [slowBody, fastBody] = [randomBytes(3 * MiB), randomBytes(2 * MiB)];
    // The slow upload starts first and sends its body in pieces, finishing after the fast one.
    const path = `/${BUCKET}/${key}?partNumber=1&uploadId=${uploadId}`;
    const slow = openRaw(server.endpoint, 'PUT', path, buildHeaders(server.endpoint, { method: 'PUT', path: `/${BUCKET}/${key}`, query: `partNumber=1&uploadId=${uploadId}`, body: slowBody }));
    const pieces = 6;
    const piece = slowBody.length / pieces;
    slow.req.write(slowBody.subarray(0, piece));
    await sleep(200);
    const fast = await uploadPart(key, uploadId, 1, fastBody);
    expect(fast.status, fast.text).toBe(200);
    for (let i = 1; i < pieces; i++) {
      await sleep(50);
      slow.req.write(slowBody.subarray(i * piece, (i + 1) * piece));
    }
    slow.req.end();
    const slowAnswer = await slow.response;
    expect(slowAnswer.status, slowAnswer.text).toBe(200);
    expect([fast.headers.etag, slowAnswer.headers.etag]).toEqual([`"${md5Hex(fastBody)}"`, `"${md5Hex(slowBody)}"`]);

    const listed = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    expect(listed.Parts?.map((p) => p.ETag)).toEqual([slowAnswer.headers.etag]);
    const stale = await complete(key, uploadId, completeXml([{ number: 1, etag: String(fast.headers.etag) }]));
    expect(failure(stale)).toMatchObject({ status: 400, code: 'InvalidPart' });
    const done = await complete(key, uploadId, completeXml([{ number: 1, etag: String(slowAnswer.headers.etag) }]));
    expect(done.status, done.text).toBe(200);
    const got = await raw('GET', key);
    expect(sha256(got.body)).toBe(sha256(slowBody));
  });
});

describe('GET and HEAD ?partNumber', () => {
  beforeAll(async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'one-part', Body: 'a simple object' }));
  });

  it('a part the object does not have is 416 InvalidPartNumber, with the part asked for and the count', async () => {
    const get = await raw('GET', 'one-part', 'partNumber=5');
    expect(failure(get, 'PartNumberRequested', 'ActualPartCount')).toEqual({
      status: 416,
      code: 'InvalidPartNumber',
      message: 'The requested partnumber is not satisfiable',
      PartNumberRequested: '5',
      ActualPartCount: '1',
    });
    expect((await raw('HEAD', 'one-part', 'partNumber=2')).status).toBe(416);
    const whole = await raw('GET', 'one-part', 'partNumber=1');
    expect([whole.status, whole.body.toString(), whole.headers['x-amz-mp-parts-count']]).toEqual([200, 'a simple object', '1']);
  });

  it('a part number that is not an integer from 1 to 10000 is 400 InvalidArgument', async () => {
    for (const value of ['0', '10001', 'abc', '-1', '1.5', '']) {
      const get = await raw('GET', 'one-part', `partNumber=${value}`);
      expect(failure(get, 'ArgumentName', 'ArgumentValue'), value).toEqual({
        status: 400,
        code: 'InvalidArgument',
        message: 'Part number must be an integer between 1 and 10000, inclusive',
        ArgumentName: 'partNumber',
        ArgumentValue: value,
      });
      expect((await raw('HEAD', 'one-part', `partNumber=${value}`)).status, value).toBe(400);
    }
  });

  it('a part number with a Range header is 400 InvalidRequest', async () => {
    const get = await raw('GET', 'one-part', 'partNumber=1', { range: 'bytes=0-1' });
    expect(failure(get)).toEqual({ status: 400, code: 'InvalidRequest', message: 'Cannot specify both Range header and partNumber query parameter' });
  });
});

describe('UploadPartCopy ranges', () => {
  it('a malformed x-amz-copy-source-range, or one beyond the source, is 400 InvalidArgument naming the header, as S3 answers', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy-source', Body: '0123456789' }));
    const uploadId = await createUpload('copy-dest');
    const copy = (range: string) => raw('PUT', 'copy-dest', `partNumber=1&uploadId=${uploadId}`, { 'x-amz-copy-source': `${BUCKET}/copy-source`, 'x-amz-copy-source-range': range });
    const form = 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy';
    const cases: [string, string][] = [
      ['0-2', form],
      ['bytes=0', form],
      ['bytes=-2', form],
      ['bytes=a-z', form],
      ['bytes=0-2,3-5', form],
      ['bytes=0-10', 'Range specified is not valid for source object of size: 10'],
      ['bytes=10-12', 'Range specified is not valid for source object of size: 10'],
      ['bytes=5-2', 'Range specified is not valid for source object of size: 10'],
    ];
    for (const [range, message] of cases) {
      expect(failure(await copy(range), 'ArgumentName', 'ArgumentValue'), range).toEqual({
        status: 400,
        code: 'InvalidArgument',
        message,
        ArgumentName: 'x-amz-copy-source-range',
        ArgumentValue: range,
      });
    }
    const ok = await copy('bytes=2-5');
    expect(ok.status, ok.text).toBe(200);
    const listed = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'copy-dest', UploadId: uploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 4]]);
  });
});
