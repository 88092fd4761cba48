/**
 * Values that become response headers, through every path that takes them: PUT, CopyObject REPLACE
 * and CreateMultipartUpload headers, POST form fields, response-* overrides of GET and HEAD, and
 * success_action_redirect. A bad one is a 400 with the S3 code (InvalidArgument naming the argument,
 * or MetadataTooLarge), never a 500 or a dropped connection, and nothing is stored; good ones round-trip.
 *
 * On the wire (PUT, copy, multipart) header bytes are Latin-1 text to HTTP. Node's parser refuses
 * control characters and bad names itself, and the server answers for it with InvalidArgument; a
 * client's UTF-8 bytes are stored and returned byte for byte (Go clients send metadata so). Text
 * beyond Latin-1 exists only where the server decodes UTF-8, in form fields and query parameters,
 * and is refused there. (A CRLF inside a value is not expressible on the wire: it ends the header.)
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exactPolicyForm, postForm, signedPolicyFields } from '../helpers/post-form.js';
import { buildHeaders, errorCode, rawRequest, socketRequest, type RawResponse } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const BUCKET = 'header-values';
const KiB = 1024;

let server: TestServer;
let s3: S3Client;

beforeAll(async () => {
  server = await TestServer.start({ drives: 4 });
  s3 = server.client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'source', Body: 'source data' }));
});

afterAll(async () => {
  s3?.destroy();
  await server?.destroy();
});

// Every case asserts its status, so a 500 cannot pass unnoticed; the process must also survive each one.
afterEach(() => {
  expect(server.proc?.exitCode ?? null, `server exited:\n${server.output}`).toBeNull();
});

/** Values no header may carry, as text (where the server decodes UTF-8) ... */
const BAD_TEXT: Record<string, string> = {
  CR: 'a\rb',
  LF: 'a\nb',
  'CRLF and an injected header': 'text/plain\r\nSet-Cookie: injected=1',
  NUL: 'a\u0000b',
  ESC: 'a\u001bb',
  'vertical tab': 'a\u000bb',
  'unit separator': 'a\u001fb',
  DEL: 'a\u007fb',
  CJK: '日本',
  emoji: 'ok 😀',
};
/** ... and as header bytes on the wire, where a CR or LF without its partner is the only way to send one. */
const BAD_BYTES: Record<string, string> = {
  'CR and an injected header': 'a\rSet-Cookie: injected=1',
  'LF and an injected header': 'a\nSet-Cookie: injected=1',
  NUL: 'a\u0000b',
  ESC: 'a\u001bb',
  'vertical tab': 'a\u000bb',
  'unit separator': 'a\u001fb',
  DEL: 'a\u007fb',
};
const BAD_WIRE_NAMES = ['x-amz-meta-a b', 'x-amz-meta-(x)', 'x-amz-meta-é', 'x-amz-meta-a\u0001'];
const BAD_FORM_NAMES = ['x-amz-meta-a b', 'x-amz-meta-a:b', 'x-amz-meta-(x)', 'x-amz-meta-é'];
const STORED_HEADERS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires', 'x-amz-website-redirect-location'];
const TOO_LONG = `text/${'x'.repeat(8 * KiB)}`;
/** User metadata of exactly `bytes` bytes (names without the prefix, and values), in two entries. */
function metadataOf(bytes: number): Record<string, string> {
  return { 'x-amz-meta-a': 'v'.repeat(1000), 'x-amz-meta-b': 'v'.repeat(bytes - 1002) };
}

let keys = 0;
const newKey = (): string => `case-${++keys}`;

interface Outcome {
  status: number;
  code?: string;
  argument?: string;
  stored?: boolean;
}

function refused(argument?: string, code = 'InvalidArgument'): Outcome {
  return { status: 400, code, ...(argument !== undefined ? { argument } : {}), stored: false };
}

function outcomeOf(res: RawResponse): Outcome {
  const argument = /<ArgumentName>([^<]*)<\/ArgumentName>/.exec(res.text)?.[1];
  return { status: res.status, code: errorCode(res.text), ...(argument !== undefined ? { argument } : {}) };
}

async function objectStored(key: string): Promise<boolean> {
  return s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    (err: Error) => {
      if (err.name === 'NotFound') return false;
      throw err;
    },
  );
}

async function uploadStarted(key: string): Promise<boolean> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
  return (out.Uploads ?? []).some((u) => u.Key === key);
}

/** A write path that takes its values as request headers, sent byte for byte on a raw connection. */
interface WirePath {
  send(key: string, headers: Record<string, string>): Promise<RawResponse>;
  stored(key: string): Promise<boolean>;
}

function wireRequest(method: string, key: string, query: string, headers: Record<string, string>, body = ''): Promise<RawResponse> {
  const path = `/${BUCKET}/${key}`;
  const signed = buildHeaders(server.endpoint, { method, path, query, headers, body });
  return socketRequest(server.endpoint, method, query ? `${path}?${query}` : path, signed, Buffer.from(body));
}

const WIRE_PATHS: Record<string, WirePath> = {
  PutObject: { send: (key, headers) => wireRequest('PUT', key, '', headers, 'data'), stored: objectStored },
  'CopyObject REPLACE': {
    send: (key, headers) => wireRequest('PUT', key, '', { 'x-amz-copy-source': `/${BUCKET}/source`, 'x-amz-metadata-directive': 'REPLACE', ...headers }),
    stored: objectStored,
  },
  CreateMultipartUpload: { send: (key, headers) => wireRequest('POST', key, 'uploads', headers), stored: uploadStarted },
};

async function wireOutcome(path: WirePath, headers: Record<string, string>): Promise<Outcome> {
  const key = newKey();
  const res = await path.send(key, headers);
  return { ...outcomeOf(res), stored: await path.stored(key) };
}

/** Runs every case and returns its outcome by name, so that one assertion shows the whole table. */
async function sweep<T>(cases: Record<string, T>, run: (value: T) => Promise<Outcome>): Promise<Record<string, Outcome>> {
  const outcomes: Record<string, Outcome> = {};
  for (const [name, value] of Object.entries(cases)) outcomes[name] = await run(value);
  return outcomes;
}

function expectAll(outcomes: Record<string, Outcome>, expected: (name: string) => Outcome): void {
  expect(outcomes).toEqual(Object.fromEntries(Object.keys(outcomes).map((name) => [name, expected(name)])));
}

const names = (list: string[]): Record<string, string> => Object.fromEntries(list.map((name) => [JSON.stringify(name), name]));

for (const [pathName, path] of Object.entries(WIRE_PATHS)) {
  describe(`${pathName} headers`, () => {
    it('control characters in x-amz-meta-* and content-type: InvalidArgument naming the header, nothing stored', async () => {
      for (const header of ['x-amz-meta-note', 'content-type']) {
        expectAll(await sweep(BAD_BYTES, (value) => wireOutcome(path, { [header]: value })), () => refused(header));
      }
    });

    it('invalid header names: InvalidArgument, nothing stored', async () => {
      expectAll(await sweep(names(BAD_WIRE_NAMES), (name) => wireOutcome(path, { [name]: 'v' })), () => refused());
    });

    it('an 8 KB Content-Type: InvalidArgument, nothing stored', async () => {
      expect(await wireOutcome(path, { 'content-type': TOO_LONG })).toEqual(refused('content-type'));
    });

    it('user metadata: 2048 bytes are stored, 2049 are MetadataTooLarge', async () => {
      expect(await wireOutcome(path, metadataOf(2048))).toEqual({ status: 200, stored: true });
      expect(await wireOutcome(path, metadataOf(2049))).toEqual(refused(undefined, 'MetadataTooLarge'));
    });
  });
}

describe('PutObject headers', () => {
  it('every stored header refuses a NUL, naming itself', async () => {
    expectAll(await sweep(names(STORED_HEADERS), (header) => wireOutcome(WIRE_PATHS.PutObject, { [header]: 'a\u0000b' })), (name) => refused(JSON.parse(name)));
  });

  it('the stored headers together are limited to 8 KB: the one past it is named', async () => {
    const half = 'x'.repeat(4 * KiB);
    expect(await wireOutcome(WIRE_PATHS.PutObject, { 'content-type': `text/${half}` })).toEqual({ status: 200, stored: true });
    expect(await wireOutcome(WIRE_PATHS.PutObject, { 'content-type': `text/${half}`, 'cache-control': half })).toEqual(refused('cache-control'));
  });

  it('valid values round-trip: tab, and non-ASCII metadata as each kind of client sends it', async () => {
    const asBytes = (header: string | undefined): string => Buffer.from(String(header), 'latin1').toString('utf8');
    // The JS SDK sends headers as Latin-1 with a Buffer or stream body, as UTF-8 with a string body.
    const latinKey = newKey();
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: latinKey, Body: Buffer.from('x'), ContentType: 'text/plain;\tcharset=ISO-8859-1', Metadata: { note: 'café ü ÿ' } }));
    const latin = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: latinKey }));
    expect([latin.ContentType, latin.Metadata?.note]).toEqual(['text/plain;\tcharset=ISO-8859-1', 'café ü ÿ']);

    const utf8Key = newKey();
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: utf8Key, Body: 'x', Metadata: { note: 'café ü ÿ' } }));
    expect(asBytes((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: utf8Key }))).Metadata?.note)).toBe('café ü ÿ');

    // Go clients (minio-go, rclone) send any UTF-8 as it is.
    const goKey = newKey();
    expect((await wireRequest('PUT', goKey, '', { 'x-amz-meta-note': '日本 😀' }, 'x')).status).toBe(200);
    const head = await rawRequest(server.endpoint, { method: 'HEAD', path: `/${BUCKET}/${goKey}` });
    expect(asBytes(head.headers['x-amz-meta-note'] as string)).toBe('日本 😀');
  });
});

describe('POST form fields', () => {
  async function postOutcome(fields: Record<string, string>, key = newKey()): Promise<Outcome> {
    const res = await postForm(server.endpoint, BUCKET, exactPolicyForm(BUCKET, { key, ...fields }), { name: 'f.txt', content: 'form data' });
    return { ...outcomeOf(res), stored: await objectStored(key) };
  }

  it('control characters and text beyond Latin-1: InvalidArgument naming the field, nothing stored', async () => {
    for (const field of ['Content-Type', 'x-amz-meta-note']) {
      expectAll(await sweep(BAD_TEXT, (value) => postOutcome({ [field]: value })), () => refused(field.toLowerCase()));
    }
  });

  it('invalid metadata names: InvalidArgument naming the field, nothing stored', async () => {
    expectAll(await sweep(names(BAD_FORM_NAMES), (name) => postOutcome({ [name]: 'v' })), (name) => refused(JSON.parse(name)));
  });

  it('an 8 KB Content-Type: InvalidArgument, nothing stored', async () => {
    expect(await postOutcome({ 'Content-Type': TOO_LONG })).toEqual(refused('content-type'));
  });

  it('user metadata: 2048 bytes are stored, 2049 are MetadataTooLarge', async () => {
    expect(await postOutcome(metadataOf(2048))).toEqual({ status: 204, stored: true });
    expect(await postOutcome(metadataOf(2049))).toEqual(refused(undefined, 'MetadataTooLarge'));
  });

  it('the reported attack, 20 metadata fields of 60 KB under a starts-with policy, is refused before it is buffered, and smaller ones over 2 KB are MetadataTooLarge', async () => {
    const attempt = async (fieldBytes: number): Promise<unknown> => {
      const key = newKey();
      const metadata = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x-amz-meta-f${i}`, 'v'.repeat(fieldBytes)]));
      const conditions = [{ bucket: BUCKET }, { key }, ...Object.keys(metadata).map((name) => ['starts-with', `$${name}`, ''])];
      const res = await postForm(server.endpoint, BUCKET, { key, ...metadata, ...signedPolicyFields(conditions) }, { name: 'f.txt', content: 'form data' });
      return { ...outcomeOf(res), stored: await objectStored(key) };
    };
    // 1.2 MB of fields is past the 64 KiB the form may carry before its file (src/s3/handlers/post-object.ts)
    expect(await attempt(60 * KiB)).toEqual(refused(undefined, 'MaxPostPreDataLengthExceededError'));
    // 20 KB of metadata fits in the form but not in the 2 KB metadata limit
    expect(await attempt(KiB)).toEqual(refused(undefined, 'MetadataTooLarge'));
  });

  it('a success_action_redirect S3 cannot use is taken as no redirect (AWS: "it acts as if the field is not present"): stored, 204, no Location to it', async () => {
    const bad = {
      'not a URL': 'not a url',
      relative: '/after/upload',
      javascript: 'javascript:alert(1)',
      ftp: 'ftp://example.com/',
      'a space in the host': 'http://exa mple.com/',
      'over 8 KB': `https://example.com/${'p'.repeat(8 * KiB)}`,
    };
    const ignored = async (field: string, url: string): Promise<Outcome & { location?: string }> => {
      const key = newKey();
      const res = await postForm(server.endpoint, BUCKET, exactPolicyForm(BUCKET, { key, [field]: url }), { name: 'f.txt', content: 'form data' });
      return { ...outcomeOf(res), stored: await objectStored(key), location: String(res.headers.location).replace(/\/case-\d+$/, '/<key>') };
    };
    const objectLocation = `${server.endpoint}/${BUCKET}/<key>`;
    const outcomes: Record<string, unknown> = {};
    for (const [name, url] of Object.entries(bad)) outcomes[name] = await ignored('success_action_redirect', url);
    outcomes.redirect = await ignored('redirect', 'not a url');
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(outcomes).map((name) => [name, { status: 204, code: undefined, stored: true, location: objectLocation }])));
  });

  it('a file name in UTF-8 becomes the key through ${filename} unchanged', async () => {
    const prefix = newKey();
    const name = 'fötö 日本 🎉.txt';
    const res = await postForm(server.endpoint, BUCKET, { key: `${prefix}/\${filename}`, ...signedPolicyFields([{ bucket: BUCKET }, ['starts-with', '$key', `${prefix}/`]]) }, { name, content: 'named' });
    expect(res.status, res.text).toBe(204);
    expect(await objectStored(`${prefix}/${name}`)).toBe(true);
  });

  it('valid values round-trip and a valid redirect answers 303', async () => {
    const key = newKey();
    const res = await postForm(
      server.endpoint,
      BUCKET,
      exactPolicyForm(BUCKET, { key, 'Content-Type': 'text/plain', 'x-amz-meta-note': 'café\tü', success_action_redirect: 'https://example.com/done?x=1' }),
      { name: 'f.txt', content: 'form data' },
    );
    expect(res.status).toBe(303);
    const location = new URL(String(res.headers.location));
    expect([location.origin + location.pathname, location.searchParams.get('x'), location.searchParams.get('key')]).toEqual(['https://example.com/done', '1', key]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect([head.ContentType, head.Metadata?.note]).toEqual(['text/plain', 'café\tü']);
  });
});

describe('response-* overrides of GET and HEAD', () => {
  const PARAMS = ['response-content-type', 'response-content-language', 'response-expires', 'response-cache-control', 'response-content-disposition', 'response-content-encoding'];

  async function overrideOutcome(method: 'GET' | 'HEAD', param: string, value: string): Promise<Outcome> {
    const res = await rawRequest(server.endpoint, { method, path: `/${BUCKET}/source`, query: `${param}=${encodeURIComponent(value)}` });
    return outcomeOf(res);
  }

  for (const method of ['GET', 'HEAD'] as const) {
    // A HEAD error has no body to name the argument in.
    const expected = (param: string): Outcome => (method === 'GET' ? { status: 400, code: 'InvalidArgument', argument: param } : { status: 400 });

    for (const param of PARAMS) {
      it(`${method} ${param}: control characters, text beyond Latin-1 and 8 KB are InvalidArgument`, async () => {
        expectAll(await sweep({ ...BAD_TEXT, 'over 8 KB': TOO_LONG }, (value) => overrideOutcome(method, param, value)), () => expected(param));
      });
    }
  }

  it('valid overrides are sent, Latin-1 included, and the object still reads', async () => {
    const out = await s3.send(
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: 'source',
        ResponseContentType: 'text/x-test',
        ResponseContentDisposition: 'attachment; filename="café.txt"',
        ResponseCacheControl: 'no-cache',
      }),
    );
    expect([out.ContentType, out.ContentDisposition, out.CacheControl, await out.Body!.transformToString()]).toEqual([
      'text/x-test',
      'attachment; filename="café.txt"',
      'no-cache',
      'source data',
    ]);
  });
});
