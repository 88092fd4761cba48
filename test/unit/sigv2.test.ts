/**
 * Signature Version 2 (src/s3/auth/sigv2.ts, authenticate.ts): AWS's documented examples, then
 * requests signed by the independent signer in test/helpers/sigv2.ts: header and query-string
 * forms, the resource with its sub-resources, the time checks and every refusal.
 */
import { describe, expect, it } from 'vitest';
import { authenticate } from '../../src/s3/auth/authenticate.js';
import { verifySigV2, type SigV2Request } from '../../src/s3/auth/sigv2.js';
import { S3Error, type S3ErrorCode } from '../../src/errors.js';
import { asNodeReadsIt, v2HeaderSigned, v2Incoming, v2Presigned, v2PresignQuery, v2StringToSign, type V2Wire, KEYS, NOW, lookup } from '../helpers/sigv2.js';

const AK = KEYS.accessKey;
const SK = KEYS.secretKey;
const DATE = NOW.toUTCString();
const IN_AN_HOUR = Math.floor(NOW.getTime() / 1000) + 3600;

function refusal(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(S3Error);
    return err as S3Error;
  }
  return expect.fail('the request was accepted');
}

function expectRefused(fn: () => unknown, code: S3ErrorCode, message?: RegExp): S3Error {
  const e = refusal(fn);
  expect(e.code, e.message).toBe(code);
  if (message) expect(e.message).toMatch(message);
  return e;
}

const verify = (req: SigV2Request, now = NOW) => verifySigV2(req, lookup, now);
const accepted = (wire: V2Wire) => verify(v2HeaderSigned(wire, KEYS));

/** A signed request with the wire changed after signing, as an attacker would. */
function tampered(wire: V2Wire, change: (signed: SigV2Request) => SigV2Request): () => unknown {
  return () => verify(change(v2HeaderSigned(wire, KEYS)));
}

describe('the examples of AWS "Signing and authenticating REST requests"', () => {
  const at = (date: string) => new Date(date);

  it('Object GET (virtual host)', () => {
    const req = v2Incoming({ method: 'GET', path: '/photos/puppy.jpg', hostBucket: 'awsexamplebucket1', headers: { date: 'Tue, 27 Mar 2007 19:36:42 +0000' } }, {
      authorization: `AWS ${AK}:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=`,
    });
    expect(verify(req, at('2007-03-27T19:36:42Z'))).toMatchObject({ accessKey: AK, presigned: false, algorithm: 'AWS' });
  });

  it('Object PUT (Content-Type signed)', () => {
    const req = v2Incoming(
      { method: 'PUT', path: '/photos/puppy.jpg', hostBucket: 'awsexamplebucket1', headers: { 'content-type': 'image/jpeg', 'content-length': '94328', date: 'Tue, 27 Mar 2007 21:15:45 +0000' } },
      { authorization: `AWS ${AK}:iqRzw+ileNPu1fhspnRs8nOjjIA=` },
    );
    expect(verify(req, at('2007-03-27T21:15:45Z')).accessKey).toBe(AK);
  });

  it('List (the bucket resource ends in "/", list parameters are not signed)', () => {
    const req = v2Incoming(
      { method: 'GET', path: '/', query: 'prefix=photos&max-keys=50&marker=puppy', hostBucket: 'awsexamplebucket1', headers: { 'user-agent': 'Mozilla/5.0', date: 'Tue, 27 Mar 2007 19:42:41 +0000' } },
      { authorization: `AWS ${AK}:m0WP8eCtspQl5Ahe6L1SozdX9YA=` },
    );
    expect(verify(req, at('2007-03-27T19:42:41Z')).accessKey).toBe(AK);
  });

  it('Fetch ?acl (the sub-resource is signed)', () => {
    const req = v2Incoming({ method: 'GET', path: '/', query: 'acl', hostBucket: 'awsexamplebucket1', headers: { date: 'Tue, 27 Mar 2007 19:44:46 +0000' } }, {
      authorization: `AWS ${AK}:82ZHiFIjc+WbcwFKGUVEQspPn+0=`,
    });
    expect(verify(req, at('2007-03-27T19:44:46Z')).accessKey).toBe(AK);
  });

  it('Upload (CNAME bucket, Content-MD5, repeated and mixed-case x-amz-meta headers)', () => {
    const req = v2Incoming(
      {
        method: 'PUT',
        path: '/db-backup.dat.gz',
        hostBucket: 'static.awsexamplebucket1.net',
        headers: {
          date: 'Tue, 27 Mar 2007 21:06:08 +0000',
          'x-amz-acl': 'public-read',
          'content-type': 'application/x-download',
          'content-md5': '4gJE4saaMU4BqNR0kLY+lw==',
          'X-Amz-Meta-ReviewedBy': ['joe@awsexamplebucket1.net', 'jane@awsexamplebucket1.net'],
          'X-Amz-Meta-FileChecksum': '0x02661779',
          'X-Amz-Meta-ChecksumAlgorithm': 'crc32',
          'content-disposition': 'attachment; filename=database.dat',
          'content-encoding': 'gzip',
          'content-length': '5913339',
        },
      },
      { authorization: `AWS ${AK}:dKZcB+bz2EPXgSdXZp9ozGeOM4I=` },
    );
    expect(verify(req, at('2007-03-27T21:06:08Z')).accessKey).toBe(AK);
  });

  it('List all my buckets (resource "/")', () => {
    const req = v2Incoming({ method: 'GET', path: '/', headers: { date: 'Wed, 28 Mar 2007 01:29:59 +0000' } }, { authorization: `AWS ${AK}:qGdzdERIC03wnaRNKh6OqZehG9s=` });
    expect(verify(req, at('2007-03-28T01:29:59Z')).accessKey).toBe(AK);
  });

  it('Unicode keys (the path signed as sent, lower-case escapes kept)', () => {
    const req = v2Incoming({ method: 'GET', path: '/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re', headers: { date: 'Wed, 28 Mar 2007 01:49:49 +0000' } }, {
      authorization: `AWS ${AK}:DNEZGsoieTZ92F3bUfSPQcbGmlM=`,
    });
    expect(verify(req, at('2007-03-28T01:49:49Z')).accessKey).toBe(AK);
  });

  it('query-string authentication (johnsmith, Expires 1175139620)', () => {
    const req = v2Incoming({
      method: 'GET',
      path: '/photos/puppy.jpg',
      query: `AWSAccessKeyId=${AK}&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620`,
      hostBucket: 'johnsmith',
    });
    expect(verify(req, at('2007-03-29T03:00:00Z'))).toMatchObject({ accessKey: AK, presigned: true, algorithm: 'AWS' });
    expectRefused(() => verify(req, new Date(1175139621_000)), 'AccessDenied', /Request has expired/);
  });
});

describe('header authentication', () => {
  it('GET with a Date header; the result says how it was signed', () => {
    expect(accepted({ method: 'GET', path: '/bucket/photo.jpg', headers: { date: DATE } })).toMatchObject({
      accessKey: AK,
      presigned: false,
      algorithm: 'AWS',
      payload: { kind: 'unsigned' },
    });
  });

  it('PUT with Content-MD5, Content-Type, x-amz-acl and x-amz-meta-* headers', () => {
    const wire = {
      method: 'PUT',
      path: '/bucket/docs/report.pdf',
      headers: { date: DATE, 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==', 'content-type': 'application/pdf', 'x-amz-acl': 'private', 'x-amz-meta-owner': 'ops', 'X-Amz-Meta-Stage': ' draft ' },
    };
    expect(accepted(wire).accessKey).toBe(AK);
    expect(v2StringToSign(wire)).toBe(
      `PUT\n1B2M2Y8AsgTpgAmY7PhCfg==\napplication/pdf\n${DATE}\nx-amz-acl:private\nx-amz-meta-owner:ops\nx-amz-meta-stage:draft\n/bucket/docs/report.pdf`,
    );
  });

  it('a declared x-amz-content-sha256 is kept for the body check', () => {
    const hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(accepted({ method: 'PUT', path: '/bucket/k', headers: { date: DATE, 'x-amz-content-sha256': hex } }).payload).toEqual({ kind: 'sha256', hex });
  });

  it('x-amz-date instead of Date: the date line is empty and x-amz-date is signed with the other x-amz headers', () => {
    const wire = { method: 'DELETE', path: '/bucket/photos/puppy.jpg', headers: { date: 'Tue, 27 Mar 2007 21:20:27 +0000', 'x-amz-date': DATE } };
    expect(v2StringToSign(wire)).toBe(`DELETE\n\n\n\nx-amz-date:${DATE}\n/bucket/photos/puppy.jpg`);
    // the stale Date header is not what the clock check reads
    expect(accepted(wire).accessKey).toBe(AK);
    expect(accepted({ method: 'GET', path: '/bucket/k', headers: { 'x-amz-date': DATE } }).accessKey).toBe(AK);
  });

  it('repeated x-amz headers are joined with "," in the order sent', () => {
    const wire = { method: 'PUT', path: '/bucket/k', headers: { date: DATE, 'x-amz-meta-tag': ['b', 'a', 'c'] } };
    expect(v2StringToSign(wire)).toContain('x-amz-meta-tag:b,a,c\n');
    expect(accepted(wire).accessKey).toBe(AK);
    expectRefused(tampered(wire, (r) => ({ ...r, headers: { ...r.headers, 'x-amz-meta-tag': ['a', 'b', 'c'] } })), 'SignatureDoesNotMatch');
  });

  it('a non-ASCII x-amz-meta value, signed as UTF-8 and read by Node as Latin-1', () => {
    const wire = { method: 'PUT', path: '/bucket/k', headers: { date: DATE, 'x-amz-meta-city': 'Zürich' } };
    const req = v2HeaderSigned(wire, KEYS);
    expect(verify({ ...req, headers: { ...req.headers, 'x-amz-meta-city': [asNodeReadsIt('Zürich')] } }).accessKey).toBe(AK);
  });

  it('virtual-host style: the bucket from the Host header leads the resource', () => {
    expect(v2StringToSign({ method: 'GET', path: '/a/b.txt', hostBucket: 'bucket', headers: { date: DATE } })).toMatch(/\n\/bucket\/a\/b\.txt$/);
    expect(accepted({ method: 'GET', path: '/a/b.txt', hostBucket: 'bucket', headers: { date: DATE } }).accessKey).toBe(AK);
    expect(accepted({ method: 'GET', path: '/', query: 'list-type=2', hostBucket: 'bucket', headers: { date: DATE } }).accessKey).toBe(AK);
    // signed for another bucket: refused
    const other = v2HeaderSigned({ method: 'GET', path: '/a/b.txt', hostBucket: 'other', headers: { date: DATE } }, KEYS);
    expectRefused(() => verify({ ...other, hostBucket: 'bucket' }), 'SignatureDoesNotMatch');
  });

  it('the bucket root: "/bucket/" as AWS documents it, or "/bucket" as sent (boto3 path style)', () => {
    expect(accepted({ method: 'GET', path: '/bucket/', headers: { date: DATE } }).accessKey).toBe(AK);
    expect(accepted({ method: 'GET', path: '/bucket', headers: { date: DATE } }).accessKey).toBe(AK);
    const documented = v2HeaderSigned({ method: 'GET', path: '/bucket/', headers: { date: DATE } }, KEYS);
    expect(verify({ ...documented, rawPath: '/bucket' }).accessKey).toBe(AK);
    expect(accepted({ method: 'PUT', path: '/bucket', headers: { date: DATE } }).accessKey).toBe(AK);
  });

  it('a non-ASCII key, percent-encoded on the wire and signed as sent', () => {
    const path = '/bucket/' + ['fünf', '日本語 ファイル.txt'].map(encodeURIComponent).join('/');
    expect(accepted({ method: 'GET', path, headers: { date: DATE } }).accessKey).toBe(AK);
    expect(accepted({ method: 'PUT', path: '/bucket/%F0%9F%98%80emoji', headers: { date: DATE, 'content-type': 'text/plain' } }).accessKey).toBe(AK);
  });
});

describe('sub-resources', () => {
  const cases: [string, V2Wire, string][] = [
    ['?acl on a bucket', { method: 'GET', path: '/bucket/', query: 'acl' }, '/bucket/?acl'],
    ['?acl on an object', { method: 'PUT', path: '/bucket/k', query: 'acl' }, '/bucket/k?acl'],
    ['?uploads', { method: 'POST', path: '/bucket/big.bin', query: 'uploads' }, '/bucket/big.bin?uploads'],
    ['?uploads= (boto3 sends the "=")', { method: 'POST', path: '/bucket/big.bin', query: 'uploads=' }, '/bucket/big.bin?uploads='],
    ['?partNumber&uploadId, sorted by name', { method: 'PUT', path: '/bucket/big.bin', query: 'uploadId=2~abc%2Fdef&partNumber=3' }, '/bucket/big.bin?partNumber=3&uploadId=2~abc/def'],
    ['?versionId', { method: 'GET', path: '/bucket/k', query: 'versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY' }, '/bucket/k?versionId=3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY'],
    [
      'response-* overrides, their values decoded',
      { method: 'GET', path: '/bucket/k', query: 'response-content-type=text%2Fplain%3B%20charset%3Dutf-8&response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22' },
      '/bucket/k?response-content-disposition=attachment; filename="a b.txt"&response-content-type=text/plain; charset=utf-8',
    ],
    ['?tagging', { method: 'PUT', path: '/bucket/k', query: 'tagging' }, '/bucket/k?tagging'],
    ['?delete', { method: 'POST', path: '/bucket/', query: 'delete' }, '/bucket/?delete'],
    ['?versioning', { method: 'PUT', path: '/bucket', query: 'versioning' }, '/bucket?versioning'],
    ['?versions with list parameters left out', { method: 'GET', path: '/bucket/', query: 'versions&prefix=a%2F&max-keys=2' }, '/bucket/?versions'],
  ];

  for (const [name, base, resource] of cases) {
    it(name, () => {
      const wire = { ...base, headers: { date: DATE } };
      expect(v2StringToSign(wire).split('\n').pop()).toBe(resource);
      expect(accepted(wire).accessKey).toBe(AK);
    });
  }

  it('a changed sub-resource value is refused (versionId, uploadId, partNumber, response override)', () => {
    const wire = (query: string) => ({ method: 'PUT', path: '/bucket/k', query, headers: { date: DATE } });
    const change = (from: string, to: string) => tampered(wire(from), (r) => ({ ...r, rawQuery: to }));
    expectRefused(change('uploadId=abc&partNumber=1', 'uploadId=abd&partNumber=1'), 'SignatureDoesNotMatch');
    expectRefused(change('uploadId=abc&partNumber=1', 'uploadId=abc&partNumber=2'), 'SignatureDoesNotMatch');
    expectRefused(change('versionId=v1', 'versionId=v2'), 'SignatureDoesNotMatch');
    expectRefused(change('response-content-type=text%2Fplain', 'response-content-type=text%2Fhtml'), 'SignatureDoesNotMatch');
  });

  it('an added or a dropped sub-resource is refused', () => {
    const plain = { method: 'GET', path: '/bucket/k', headers: { date: DATE } };
    expectRefused(tampered(plain, (r) => ({ ...r, rawQuery: 'acl' })), 'SignatureDoesNotMatch');
    expectRefused(tampered(plain, (r) => ({ ...r, rawQuery: 'versionId=v1' })), 'SignatureDoesNotMatch');
    expectRefused(tampered(plain, (r) => ({ ...r, rawQuery: 'uploadId=u1' })), 'SignatureDoesNotMatch');
    expectRefused(tampered({ ...plain, method: 'DELETE', path: '/bucket/' }, (r) => ({ ...r, rawQuery: 'policy' })), 'SignatureDoesNotMatch');
    expectRefused(tampered({ ...plain, query: 'acl' }, (r) => ({ ...r, rawQuery: '' })), 'SignatureDoesNotMatch');
    expectRefused(tampered({ ...plain, method: 'POST', path: '/bucket/', query: 'delete' }, (r) => ({ ...r, rawQuery: '' })), 'SignatureDoesNotMatch');
  });

  it('a query parameter that is no sub-resource is not signed, so it may be added or changed', () => {
    const wire = { method: 'GET', path: '/bucket/', query: 'prefix=a&max-keys=10', headers: { date: DATE } };
    expect(verify({ ...v2HeaderSigned(wire, KEYS), rawQuery: 'prefix=b&max-keys=1000&delimiter=%2F&list-type=2' }).accessKey).toBe(AK);
    expect(verify({ ...v2HeaderSigned({ ...wire, path: '/bucket/k', query: '' }, KEYS), rawQuery: 'x-id=GetObject' }).accessKey).toBe(AK);
  });
});

describe('query-string authentication', () => {
  const wire = { method: 'GET', path: '/bucket/a%20b.txt' };

  it('a presigned GET and PUT', () => {
    expect(verify(v2Presigned(wire, KEYS, IN_AN_HOUR))).toMatchObject({ accessKey: AK, presigned: true, algorithm: 'AWS', payload: { kind: 'unsigned' } });
    expect(verify(v2Presigned({ method: 'PUT', path: '/bucket/up.bin', headers: { 'content-type': 'application/octet-stream' } }, KEYS, IN_AN_HOUR)).accessKey).toBe(AK);
  });

  it('the Date and clock skew do not matter, only Expires', () => {
    const req = v2Presigned({ ...wire, headers: { date: 'Thu, 01 Jan 1970 00:00:00 GMT' } }, KEYS, IN_AN_HOUR);
    expect(verify(req).accessKey).toBe(AK);
    expect(verify(req, new Date(IN_AN_HOUR * 1000 - 1000)).accessKey).toBe(AK);
  });

  it('with response overrides (signed) and other parameters (not signed)', () => {
    const query = 'response-content-disposition=attachment%3B%20filename%3D%22r%C3%A9sum%C3%A9.pdf%22&response-content-type=application%2Fpdf';
    const req = v2Presigned({ ...wire, query }, KEYS, IN_AN_HOUR);
    expect(verify(req).accessKey).toBe(AK);
    expect(verify({ ...req, rawQuery: `${req.rawQuery}&x-id=GetObject` }).accessKey).toBe(AK);
    expectRefused(() => verify({ ...req, rawQuery: req.rawQuery.replace('application%2Fpdf', 'text%2Fhtml') }), 'SignatureDoesNotMatch');
  });

  it('an expired URL: AccessDenied "Request has expired"', () => {
    const past = Math.floor(NOW.getTime() / 1000) - 1;
    const e = expectRefused(() => verify(v2Presigned(wire, KEYS, past)), 'AccessDenied', /^Request has expired$/);
    expect(e.extra.Expires).toBe(new Date(past * 1000).toISOString());
  });

  it('a missing parameter: AccessDenied', () => {
    const full = v2PresignQuery(wire, KEYS, IN_AN_HOUR);
    for (const name of ['AWSAccessKeyId', 'Expires', 'Signature']) {
      const rawQuery = full.split('&').filter((p) => !p.startsWith(`${name}=`)).join('&');
      expectRefused(() => verify(v2Incoming({ ...wire, query: rawQuery })), 'AccessDenied', /Signature, Expires and AWSAccessKeyId/);
    }
  });

  it('a non-numeric Expires: AccessDenied', () => {
    const full = v2PresignQuery(wire, KEYS, IN_AN_HOUR);
    for (const expires of ['soon', '-5', '1.5e9', '']) {
      expectRefused(() => verify(v2Incoming({ ...wire, query: full.replace(/Expires=\d+/, `Expires=${expires}`) })), 'AccessDenied');
    }
  });

  it('a later Expires than the one signed is refused', () => {
    const req = v2Presigned(wire, KEYS, IN_AN_HOUR);
    expectRefused(() => verify({ ...req, rawQuery: req.rawQuery.replace(`Expires=${IN_AN_HOUR}`, `Expires=${IN_AN_HOUR + 86400}`) }), 'SignatureDoesNotMatch');
  });

  it('an unknown key: InvalidAccessKeyId', () => {
    expectRefused(() => verify(v2Presigned(wire, { accessKey: 'NOSUCHKEY', secretKey: SK }, IN_AN_HOUR)), 'InvalidAccessKeyId');
  });
});

describe('time checks of header authentication', () => {
  it('a Date 20 minutes off either way: RequestTimeTooSkewed', () => {
    for (const offset of [-20, 20]) {
      const date = new Date(NOW.getTime() + offset * 60_000).toUTCString();
      const e = expectRefused(() => accepted({ method: 'GET', path: '/bucket/k', headers: { date } }), 'RequestTimeTooSkewed');
      expect(e.extra.RequestTime).toBe(date);
    }
    const skewedAmz = new Date(NOW.getTime() - 20 * 60_000).toUTCString();
    expectRefused(() => accepted({ method: 'GET', path: '/bucket/k', headers: { date: DATE, 'x-amz-date': skewedAmz } }), 'RequestTimeTooSkewed');
  });

  it('14 minutes off is still accepted', () => {
    expect(accepted({ method: 'GET', path: '/bucket/k', headers: { date: new Date(NOW.getTime() - 14 * 60_000).toUTCString() } }).accessKey).toBe(AK);
  });

  it('no Date and no x-amz-date, or an unreadable one: AccessDenied', () => {
    expectRefused(() => accepted({ method: 'GET', path: '/bucket/k' }), 'AccessDenied', /Date/);
    expectRefused(() => accepted({ method: 'GET', path: '/bucket/k', headers: { date: 'yesterday-ish' } }), 'AccessDenied', /Date/);
  });
});

describe('refusals', () => {
  const wire = { method: 'PUT', path: '/bucket/k', headers: { date: DATE, 'content-type': 'text/plain', 'x-amz-meta-a': '1' } };

  it('an unknown access key: InvalidAccessKeyId', () => {
    const e = expectRefused(() => verify(v2HeaderSigned(wire, { accessKey: 'AKIDUNKNOWN', secretKey: SK })), 'InvalidAccessKeyId');
    expect(e.extra.AWSAccessKeyId).toBe('AKIDUNKNOWN');
  });

  it('a wrong secret: SignatureDoesNotMatch with the string to sign, its bytes, the signature and the key', () => {
    const req = v2HeaderSigned(wire, { accessKey: AK, secretKey: 'not-the-secret' });
    const e = expectRefused(() => verify(req), 'SignatureDoesNotMatch');
    const text = v2StringToSign(wire);
    expect(e.extra).toEqual({
      AWSAccessKeyId: AK,
      StringToSign: text,
      SignatureProvided: String(req.headers.authorization).split(':')[1],
      StringToSignBytes: [...Buffer.from(text)].map((b) => b.toString(16).padStart(2, '0')).join(' '),
    });
  });

  it('a malformed Authorization header: InvalidArgument', () => {
    for (const header of ['AWS nocolon', `AWS ${AK}:`, `AWS :sig`, `AWS ${AK}: sig with spaces`]) {
      const e = expectRefused(() => verify(v2Incoming(wire, { authorization: header })), 'InvalidArgument', /AwsAccessKeyId:signature/);
      expect(e.status).toBe(400);
    }
  });

  it('a tampered path, method, Content-Type, Content-MD5, x-amz header or date is refused', () => {
    const edits: ((r: SigV2Request) => SigV2Request)[] = [
      (r) => ({ ...r, rawPath: '/bucket/K' }),
      (r) => ({ ...r, rawPath: '/bucket2/k' }),
      (r) => ({ ...r, rawPath: '/bucket/k/' }),
      (r) => ({ ...r, method: 'POST' }),
      (r) => ({ ...r, method: 'DELETE' }),
      (r) => ({ ...r, headers: { ...r.headers, 'content-type': ['text/html'] } }),
      (r) => ({ ...r, headers: { ...r.headers, 'content-md5': ['1B2M2Y8AsgTpgAmY7PhCfg=='] } }),
      (r) => ({ ...r, headers: { ...r.headers, 'x-amz-meta-a': ['2'] } }),
      (r) => ({ ...r, headers: { ...r.headers, 'x-amz-acl': ['public-read'] } }),
      (r) => ({ ...r, headers: { ...r.headers, date: [new Date(NOW.getTime() + 1000).toUTCString()] } }),
      (r) => ({ ...r, hostBucket: 'bucket' }),
    ];
    for (const edit of edits) expectRefused(tampered(wire, edit), 'SignatureDoesNotMatch');
  });

  it('headers V2 does not sign may change (Content-Length, Content-Disposition, User-Agent)', () => {
    const req = v2HeaderSigned(wire, KEYS);
    expect(verify({ ...req, headers: { ...req.headers, 'content-length': ['5'], 'content-disposition': ['inline'], 'user-agent': ['x'] } }).accessKey).toBe(AK);
  });
});

describe('authenticate: one mechanism per request', () => {
  const wire = { method: 'GET', path: '/bucket/k', headers: { date: DATE } };

  it('a V2 header request is verified as V2', () => {
    expect(authenticate(v2HeaderSigned(wire, KEYS), lookup, NOW)).toMatchObject({ accessKey: AK, algorithm: 'AWS', presigned: false });
    expect(authenticate(v2Presigned(wire, KEYS, IN_AN_HOUR), lookup, NOW)).toMatchObject({ accessKey: AK, algorithm: 'AWS', presigned: true });
  });

  it('a V2 header beside X-Amz-Algorithm or X-Amz-Credential query parameters: InvalidArgument', () => {
    const signed = v2HeaderSigned(wire, KEYS);
    for (const rawQuery of ['X-Amz-Algorithm=AWS4-HMAC-SHA256', `X-Amz-Credential=${AK}%2F20260314%2Fus-east-1%2Fs3%2Faws4_request`]) {
      expectRefused(() => authenticate({ ...signed, rawQuery }, lookup, NOW), 'InvalidArgument', /^Only one auth mechanism allowed/);
    }
  });

  it('a V2 header beside V2 query parameters: InvalidArgument', () => {
    const signed = v2HeaderSigned(wire, KEYS);
    const e = expectRefused(() => authenticate({ ...signed, rawQuery: v2PresignQuery(wire, KEYS, IN_AN_HOUR) }, lookup, NOW), 'InvalidArgument', /^Only one auth mechanism allowed/);
    expect(e.extra.ArgumentName).toBe('Authorization');
  });

  it('V2 query parameters beside V4 ones: InvalidArgument', () => {
    const req = v2Presigned(wire, KEYS, IN_AN_HOUR);
    expectRefused(() => authenticate({ ...req, rawQuery: `${req.rawQuery}&X-Amz-Algorithm=AWS4-HMAC-SHA256` }, lookup, NOW), 'InvalidArgument', /^Only one auth mechanism allowed/);
  });
});
