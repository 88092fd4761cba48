/**
 * The shape of S3 error answers on the wire, as AWS S3 writes them (its "Error responses" page and the
 * answers it gives): `<Error><Code/><Message/>` then the fields of the code (BucketName of a bucket
 * error, Key of NoSuchKey, Key and VersionId of NoSuchVersion, UploadId of NoSuchUpload, Method and
 * ResourceType of MethodNotAllowed, ArgumentName and ArgumentValue of InvalidArgument, the signing
 * details of SignatureDoesNotMatch), the Resource (the bucket and key named, else the path) as AWS's
 * REST error answer documents it, then RequestId and HostId; x-amz-request-id
 * and x-amz-id-2 carry the RequestId and the HostId, a longer base64 id.
 */
import { DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, type RawResponse } from '../helpers/raw.js';
import { ACCESS_KEY, TestServer, endServer, serverWithBuckets } from '../helpers/server.js';

const BUCKET = 'error-shape';

let server: TestServer;
let s3: S3Client;
let markerVersion: string;

beforeAll(async () => {
  ({ server, s3 } = await serverWithBuckets([BUCKET], { drives: 4 }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'private.txt', Body: 'secret' }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'deleted.txt', Body: 'gone' }));
  markerVersion = (await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'deleted.txt' }))).VersionId!;
});

afterAll(() => endServer(server, s3));

/** The elements of an error document in order, each with its text. */
function errorElements(res: RawResponse): [string, string][] {
  expect(res.headers['content-type']).toMatch(/^application\/xml/);
  const body = /^<\?xml version="1.0" encoding="UTF-8"\?><Error>([\s\S]*)<\/Error>$/.exec(res.text);
  expect(body, res.text).not.toBeNull();
  return [...body![1].matchAll(/<(\w+)>([^<]*)<\/\1>/g)].map((m) => [m[1], m[2]]);
}

/** The error's elements without the Resource and the ids (checked in every case on their own), as an object in order. */
function shapeOf(res: RawResponse, resource: string): Record<string, string> {
  const elements = errorElements(res);
  const [where, requestId, hostId] = elements.slice(-3);
  expect(where).toEqual(['Resource', resource]);
  expect([requestId[0], hostId[0]]).toEqual(['RequestId', 'HostId']);
  expect(requestId[1]).toBe(res.headers['x-amz-request-id']);
  expect(hostId[1]).toBe(res.headers['x-amz-id-2']);
  expect(hostId[1]).not.toBe(requestId[1]);
  expect(Buffer.from(hostId[1], 'base64').length).toBeGreaterThanOrEqual(48);
  return Object.fromEntries(elements.slice(0, -3));
}

describe('S3 error documents', () => {
  it('NoSuchKey names the key (and not the bucket)', async () => {
    const res = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}/no/such%20key` });
    expect(res.status).toBe(404);
    expect(shapeOf(res, `/${BUCKET}/no/such key`)).toEqual({ Code: 'NoSuchKey', Message: 'The specified key does not exist.', Key: 'no/such key' });
  });

  it('NoSuchBucket names the bucket', async () => {
    const res = await rawRequest(server.endpoint, { method: 'GET', path: '/no-such-bucket-here/k' });
    expect(res.status).toBe(404);
    expect(shapeOf(res, '/no-such-bucket-here/k')).toEqual({ Code: 'NoSuchBucket', Message: 'The specified bucket does not exist.', BucketName: 'no-such-bucket-here' });
  });

  it('NoSuchVersion names the key and the version; NoSuchUpload the upload', async () => {
    // A version id of another key.
    const version = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}/private.txt`, query: `versionId=${markerVersion}` });
    expect(version.status, version.text).toBe(404);
    expect(shapeOf(version, `/${BUCKET}/private.txt`)).toEqual({ Code: 'NoSuchVersion', Message: 'The specified version does not exist.', Key: 'private.txt', VersionId: markerVersion });
    const upload = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/k`, query: 'partNumber=1&uploadId=no-such-upload', body: 'x' });
    expect(upload.status, upload.text).toBe(404);
    expect(shapeOf(upload, `/${BUCKET}/k`)).toEqual({
      Code: 'NoSuchUpload',
      Message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      UploadId: 'no-such-upload',
    });
  });

  it("a copy's missing source is named as the source: its bucket, its key, its version", async () => {
    const copy = (source: string) => rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}/copy-target`, headers: { 'x-amz-copy-source': source } });
    const bucket = await copy('/no-such-source-bucket/k');
    expect([bucket.status, shapeOf(bucket, `/${BUCKET}/copy-target`).BucketName]).toEqual([404, 'no-such-source-bucket']);
    const key = await copy(`/${BUCKET}/no-such-source-key`);
    expect([key.status, shapeOf(key, `/${BUCKET}/copy-target`).Key]).toEqual([404, 'no-such-source-key']);
    const version = await copy(`/${BUCKET}/private.txt?versionId=${markerVersion}`);
    expect(version.status, version.text).toBe(404);
    expect(shapeOf(version, `/${BUCKET}/copy-target`)).toMatchObject({ Code: 'NoSuchVersion', Key: 'private.txt', VersionId: markerVersion });
  });

  it('InvalidArgument names the argument and its value', async () => {
    const res = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}`, query: 'list-type=2&max-keys=lots' });
    expect(res.status).toBe(400);
    expect(shapeOf(res, `/${BUCKET}`)).toEqual({ Code: 'InvalidArgument', Message: 'Provided max-keys not an integer or within integer range', ArgumentName: 'max-keys', ArgumentValue: 'lots' });
  });

  it('MethodNotAllowed names the method and the kind of resource: the service, an object, a delete marker', async () => {
    const service = await rawRequest(server.endpoint, { method: 'POST', path: '/' });
    expect(service.status).toBe(405);
    expect(shapeOf(service, '/')).toEqual({ Code: 'MethodNotAllowed', Message: 'The specified method is not allowed against this resource.', Method: 'POST', ResourceType: 'SERVICE' });
    const object = await rawRequest(server.endpoint, { method: 'POST', path: `/${BUCKET}/private.txt` });
    expect(object.status).toBe(405);
    expect(shapeOf(object, `/${BUCKET}/private.txt`)).toMatchObject({ Code: 'MethodNotAllowed', Method: 'POST', ResourceType: 'OBJECT' });
    const marker = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}/deleted.txt`, query: `versionId=${markerVersion}` });
    expect([marker.status, marker.headers['x-amz-delete-marker']]).toEqual([405, 'true']);
    expect(shapeOf(marker, `/${BUCKET}/deleted.txt`)).toMatchObject({ Code: 'MethodNotAllowed', Method: 'GET', ResourceType: 'DeleteMarker' });
  });

  it('AccessDenied says nothing more', async () => {
    const res = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}/private.txt`, sign: false });
    expect(res.status).toBe(403);
    expect(shapeOf(res, `/${BUCKET}/private.txt`)).toEqual({ Code: 'AccessDenied', Message: 'Access Denied' });
  });

  it('SignatureDoesNotMatch gives what was signed: the key id, the string to sign, the signature and the canonical request', async () => {
    const res = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}`, query: 'list-type=2', secretKey: 'not-the-secret' });
    expect(res.status).toBe(403);
    const shape = shapeOf(res, `/${BUCKET}`);
    expect(Object.keys(shape).slice(0, 3)).toEqual(['Code', 'Message', 'AWSAccessKeyId']);
    expect(shape).toMatchObject({
      Code: 'SignatureDoesNotMatch',
      Message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      AWSAccessKeyId: ACCESS_KEY,
    });
    expect(shape.StringToSign).toMatch(/^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/);
    expect(shape.SignatureProvided).toMatch(/^[0-9a-f]{64}$/);
    expect(shape.CanonicalRequest).toMatch(/^GET\n\/error-shape\nlist-type=2\n/);
    expect(shape.StringToSignBytes).toBe([...Buffer.from(shape.StringToSign!)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
    expect(shape.CanonicalRequestBytes).toBe([...Buffer.from(shape.CanonicalRequest!)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
  });

  it('InvalidAccessKeyId names the key id', async () => {
    const res = await rawRequest(server.endpoint, { method: 'GET', path: '/', accessKey: 'AKIANOSUCHKEY', secretKey: 'whatever-secret' });
    expect(res.status).toBe(403);
    expect(shapeOf(res, '/')).toMatchObject({ Code: 'InvalidAccessKeyId', AWSAccessKeyId: 'AKIANOSUCHKEY' });
  });

  it('a successful answer carries the two ids as well', async () => {
    const res = await rawRequest(server.endpoint, { method: 'GET', path: `/${BUCKET}/private.txt` });
    expect(res.status).toBe(200);
    expect(res.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(Buffer.from(res.headers['x-amz-id-2'] as string, 'base64')).toHaveLength(56);
  });
});
