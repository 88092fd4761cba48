import { describe, expect, it } from 'vitest';
import { EndpointError, expandEllipses, parseDriveArgs } from '../../src/cluster/endpoints.js';
import { resolveRange } from '../../src/s3/range.js';
import { S3Error } from '../../src/errors.js';
import { chooseSetSize } from '../../src/erasure/bootstrap.js';

describe('drive arguments', () => {
  it('expands ellipses, several and zero-padded', () => {
    expect(expandEllipses('/d{1...3}')).toEqual(['/d1', '/d2', '/d3']);
    expect(expandEllipses('/n{1...2}/d{01...02}')).toEqual(['/n1/d01', '/n1/d02', '/n2/d01', '/n2/d02']);
    expect(expandEllipses('/plain')).toEqual(['/plain']);
    expect(() => expandEllipses('/d{3...1}')).toThrow(EndpointError);
  });

  it('refuses duplicates and (for now) remote endpoints', () => {
    expect(() => parseDriveArgs(['/a', '/a'])).toThrow(EndpointError);
    expect(() => parseDriveArgs(['http://host:9000/d{1...4}'])).toThrow(/not supported yet/);
  });

  it('chooses the largest set size up to 16 that divides the drive count', () => {
    expect(chooseSetSize(4)).toBe(4);
    expect(chooseSetSize(16)).toBe(16);
    expect(chooseSetSize(32)).toBe(16);
    expect(chooseSetSize(24)).toBe(12);
    expect(() => chooseSetSize(17)).toThrow();
  });
});

describe('Range header', () => {
  const size = 1000;
  it('reads the three forms', () => {
    expect(resolveRange('bytes=0-9', size)).toEqual({ start: 0, end: 9 });
    expect(resolveRange('bytes=990-', size)).toEqual({ start: 990, end: 999 });
    expect(resolveRange('bytes=-10', size)).toEqual({ start: 990, end: 999 });
    expect(resolveRange('bytes=-5000', size)).toEqual({ start: 0, end: 999 });
    expect(resolveRange('bytes=900-5000', size)).toEqual({ start: 900, end: 999 });
  });

  it('ignores what S3 ignores', () => {
    expect(resolveRange(undefined, size)).toBeUndefined();
    expect(resolveRange('bytes=0-1,5-6', size)).toBeUndefined();
    expect(resolveRange('items=0-1', size)).toBeUndefined();
    expect(resolveRange('bytes=9-1', size)).toBeUndefined();
  });

  it('refuses unsatisfiable ranges with InvalidRange', () => {
    for (const header of ['bytes=1000-', 'bytes=1000-1001', 'bytes=-0']) {
      try {
        resolveRange(header, size);
        expect.unreachable();
      } catch (err) {
        expect((err as S3Error).code).toBe('InvalidRange');
        expect((err as S3Error).status).toBe(416);
      }
    }
    expect(() => resolveRange('bytes=0-', 0)).toThrow(S3Error);
  });
});
