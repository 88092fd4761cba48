import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { Context } from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { S3Error } from '../../src/errors.js';
import type { ObjectInfo } from '../../src/object/types.js';
import { checkHeaders, redirectLocation, sendableHeaders } from '../../src/s3/header-values.js';
import { setObjectHeaders } from '../../src/s3/response.js';
import { captureLog } from '../helpers/log-lines.js';

function failure(fn: () => unknown): { code: string; argument?: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof S3Error)) throw err;
    return { code: err.code, ...(err.extra.ArgumentName !== undefined ? { argument: err.extra.ArgumentName } : {}) };
  }
}

describe('checkHeaders', () => {
  it('accepts tab, printable ASCII and Latin-1', () => {
    expect(failure(() => checkHeaders({ 'content-type': 'text/plain;\tcharset=x', 'x-amz-meta-a': 'café ÿ', 'x-amz-meta-b': '' }))).toBeUndefined();
  });

  it('refuses control characters and text beyond Latin-1, naming the argument', () => {
    for (const value of ['a\r\nb', 'a\nb', 'a\u0000b', 'a\u001bb', 'a\u007fb', '日本', '😀']) {
      expect(failure(() => checkHeaders({ 'x-amz-meta-a': value }))).toEqual({ code: 'InvalidArgument', argument: 'x-amz-meta-a' });
    }
    expect(failure(() => checkHeaders({ 'content-type': 'a\rb' }, () => 'response-content-type'))).toEqual({ code: 'InvalidArgument', argument: 'response-content-type' });
  });

  it('refuses names that are not tokens, escaping control characters in the name it reports', () => {
    for (const name of ['x-amz-meta-a b', 'x-amz-meta-a:b', 'x-amz-meta-(', 'x-amz-meta-é', '']) {
      expect(failure(() => checkHeaders({ [name]: 'v' }))).toEqual({ code: 'InvalidArgument', argument: name });
    }
    expect(failure(() => checkHeaders({ 'x-amz-meta-\u0000': 'v' }))).toEqual({ code: 'InvalidArgument', argument: '"x-amz-meta-\\u0000"' });
  });

  it('limits user metadata to 2048 bytes of names (without the prefix) and values', () => {
    expect(failure(() => checkHeaders({ 'x-amz-meta-k': 'v'.repeat(2047) }))).toBeUndefined();
    expect(failure(() => checkHeaders({ 'x-amz-meta-k': 'v'.repeat(2048) }))).toEqual({ code: 'MetadataTooLarge' });
  });

  it('limits the other headers together to 8 KB, naming the one past it', () => {
    expect(failure(() => checkHeaders({ 'content-type': 'x'.repeat(8192 - 12) }))).toBeUndefined();
    expect(failure(() => checkHeaders({ 'content-type': 'x'.repeat(8192 - 11) }))).toEqual({ code: 'InvalidArgument', argument: 'content-type' });
    expect(failure(() => checkHeaders({ 'content-type': 'x'.repeat(5000), expires: 'x'.repeat(5000) }))).toEqual({ code: 'InvalidArgument', argument: 'expires' });
  });
});

describe('redirectLocation', () => {
  const params = { bucket: 'b', key: 'a/b c', etag: '"e"' };

  it('adds bucket, key and etag to an absolute http(s) URL, form-encoded, keeping its own query', () => {
    expect(redirectLocation('https://example.com/done', params)).toBe('https://example.com/done?bucket=b&key=a%2Fb+c&etag=%22e%22');
    expect(redirectLocation('http://example.com/done?x=1&y', params)).toBe('http://example.com/done?x=1&y&bucket=b&key=a%2Fb+c&etag=%22e%22');
  });

  it('is undefined for what S3 cannot use as one: not a URL, not http(s), too long to send', () => {
    for (const url of ['/relative', 'not a url', 'javascript:alert(1)', 'ftp://example.com/', 'http://exa mple.com/', `https://example.com/${'p'.repeat(8192)}`]) {
      expect(redirectLocation(url, params)).toBeUndefined();
    }
  });
});

describe('stored headers that HTTP cannot carry (records written before the checks)', () => {
  const legacy = {
    'content-type': 'text/html\r\nSet-Cookie: x=1',
    'x-amz-meta-bad': '日本',
    'x-amz-meta-bad name': 'v',
    'cache-control': 'x'.repeat(60_000),
    'x-amz-meta-ok': 'kept',
    'content-language': 'en',
  };

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('sendableHeaders keeps the valid ones, even after one over the size limit', () => {
    const { sendable, dropped } = sendableHeaders(legacy);
    expect(sendable).toEqual({ 'x-amz-meta-ok': 'kept', 'content-language': 'en' });
    expect(dropped).toEqual(['content-type', 'x-amz-meta-bad', 'x-amz-meta-bad name', 'cache-control']);
  });

  it('GET and HEAD leave them out instead of failing, and say so once', () => {
    const logged = captureLog();
    const sent: Record<string, string> = {};
    const ctx = {
      set(name: string, value: string) {
        validateHeaderName(name);
        validateHeaderValue(name, value);
        sent[name.toLowerCase()] = value;
      },
    } as unknown as Context;
    const info: ObjectInfo = {
      bucket: 'b',
      key: 'k',
      versionId: 'null',
      size: 1,
      etag: 'e',
      modTime: new Date(0),
      deleteMarker: false,
      headers: legacy,
      checksums: {},
      parts: [],
      multipart: false,
    };
    setObjectHeaders(ctx, info, false);
    setObjectHeaders(ctx, info, false);
    expect(sent).toMatchObject({ 'content-type': 'binary/octet-stream', 'x-amz-meta-ok': 'kept', 'content-language': 'en' });
    expect(Object.keys(sent)).not.toContain('cache-control');
    logged.restore();
    expect(logged.lines().filter((line) => line.level === 'warn')).toHaveLength(1);
  });
});
