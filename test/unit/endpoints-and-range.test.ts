import { describe, expect, it } from 'vitest';
import { EndpointError, expandEllipses, parseTopology } from '../../src/cluster/endpoints.js';
import { resolveRange } from '../../src/s3/range.js';
import { S3Error } from '../../src/errors.js';
import { chooseSetSize, layoutSets } from '../../src/erasure/bootstrap.js';

describe('drive arguments', () => {
  it('expands ellipses, several and zero-padded', () => {
    expect(expandEllipses('/d{1...3}')).toEqual(['/d1', '/d2', '/d3']);
    expect(expandEllipses('/n{1...2}/d{01...02}')).toEqual(['/n1/d01', '/n1/d02', '/n2/d01', '/n2/d02']);
    expect(expandEllipses('/plain')).toEqual(['/plain']);
    expect(() => expandEllipses('/d{3...1}')).toThrow(EndpointError);
  });

  const here = { host: '127.0.0.1', port: 9002 };

  it('reads local paths as one node and URLs as nodes, finding this one by host:port', () => {
    const single = parseTopology(['/d{1...4}'], here);
    expect([single.nodes, single.localNode, single.drives.length]).toEqual([[''], 0, 4]);
    const cluster = parseTopology(['http://localhost:{9001...9004}/n/d{1...2}'], here);
    expect(cluster.nodes).toEqual(['127.0.0.1:9001', '127.0.0.1:9002', '127.0.0.1:9003', '127.0.0.1:9004']);
    expect(cluster.localNode).toBe(1);
    expect(cluster.drives[2]).toEqual({ text: 'http://localhost:9002/n/d1', node: '127.0.0.1:9002', path: '/n/d1' });
    expect(cluster.fingerprint).toBe(parseTopology(['http://127.0.0.1:{9001...9004}/n/d{1...2}'], here).fingerprint);
    expect(cluster.fingerprint).not.toBe(parseTopology(['http://127.0.0.1:{9001...9004}/n/d{1...3}'], here).fingerprint);
  });

  it('refuses duplicates, mixtures and a node that is not in the list', () => {
    expect(() => parseTopology(['/a', '/a'], here)).toThrow(EndpointError);
    expect(() => parseTopology(['/a', 'http://127.0.0.1:9002/b'], here)).toThrow(/mix/);
    expect(() => parseTopology(['http://127.0.0.1:{9005...9006}/d'], here)).toThrow(/not among/);
    expect(() => parseTopology(['http://127.0.0.1/d'], here)).toThrow(/port/);
    expect(() => parseTopology(['http://127.0.0.1:{9001...9002}/d{1...4}', 'http://127.0.0.1:{9003...9004}/d{1...4}'], here)).toThrow(/pools/);
    expect(() => parseTopology(['/a{1...2}', '/b{1...2}'], here)).toThrow(/pools/);
  });

  it('lays sets out round-robin over the nodes', () => {
    // 2 nodes x 4 drives, endpoint order node-major; sets of 4 take two drives of each node.
    const nodes = [0, 0, 0, 0, 1, 1, 1, 1];
    expect(chooseSetSize(8, 2)).toBe(8);
    expect(layoutSets(nodes, 4)).toEqual([[0, 4, 1, 5], [2, 6, 3, 7]]);
    expect(chooseSetSize(12, 3)).toBe(12);
    expect(chooseSetSize(20, 4)).toBe(4);
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
