import { describe, it, expect, beforeAll } from 'vitest';

import { initCodec, ReedSolomon } from '../../src/codec/reed-solomon.js';

// ---------------------------------------------------------------------------
// Reference implementation: deliberately plain, byte at a time.
// ---------------------------------------------------------------------------

const R_EXP: number[] = [];
const R_LOG: number[] = new Array<number>(256).fill(0);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    R_EXP[i] = x;
    R_LOG[x] = i;
    x = x << 1;
    if (x >= 256) x = x ^ 0x11d;
  }
}

function rMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return R_EXP[(R_LOG[a]! + R_LOG[b]!) % 255]!;
}

function rInv(a: number): number {
  if (a === 0) throw new Error('inverse of zero');
  return R_EXP[(255 - R_LOG[a]!) % 255]!;
}

function rPow(a: number, n: number): number {
  let r = 1;
  for (let i = 0; i < n; i++) r = rMul(r, a);
  return r;
}

function rMatMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) =>
    b[0]!.map((_, c) => {
      let acc = 0;
      for (let k = 0; k < row.length; k++) acc ^= rMul(row[k]!, b[k]![c]!);
      return acc;
    }),
  );
}

function rInvert(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let p = col;
    while (p < n && a[p]![col] === 0) p++;
    if (p === n) throw new Error('singular');
    [a[p], a[col]] = [a[col]!, a[p]!];
    const s = rInv(a[col]![col]!);
    a[col] = a[col]!.map((v) => rMul(v, s));
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]!;
      a[r] = a[r]!.map((v, c) => v ^ rMul(f, a[col]![c]!));
    }
  }
  return a.map((row) => row.slice(n));
}

/** (D+P) x D systematic matrix: Vandermonde(points 0..N-1) times the inverse of its top square. */
function rEncodeMatrix(d: number, p: number): number[][] {
  const v = Array.from({ length: d + p }, (_, r) => Array.from({ length: d }, (_, c) => rPow(r, c)));
  return rMatMul(v, rInvert(v.slice(0, d)));
}

const refMatrices = new Map<string, number[][]>();
function refMatrix(d: number, p: number): number[][] {
  const key = `${d}+${p}`;
  let m = refMatrices.get(key);
  if (!m) {
    m = rEncodeMatrix(d, p);
    refMatrices.set(key, m);
  }
  return m;
}

function refParity(d: number, p: number, data: Uint8Array[]): Uint8Array[] {
  const m = refMatrix(d, p);
  const len = data[0]!.length;
  const out: Uint8Array[] = [];
  for (let o = 0; o < p; o++) {
    const row = m[d + o]!;
    const par = new Uint8Array(len);
    for (let i = 0; i < d; i++) {
      const c = row[i]!;
      const src = data[i]!;
      for (let b = 0; b < len; b++) par[b] = par[b]! ^ rMul(c, src[b]!);
    }
    out.push(par);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** Small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function randomBytes(next: () => number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 4) {
    const v = next();
    out[i] = v;
    if (i + 1 < len) out[i + 1] = v >>> 8;
    if (i + 2 < len) out[i + 2] = v >>> 16;
    if (i + 3 < len) out[i + 3] = v >>> 24;
  }
  return out;
}

function encodedShards(rs: ReedSolomon, next: () => number, len: number): Uint8Array[] {
  const shards: Uint8Array[] = [];
  for (let i = 0; i < rs.totalShards; i++) shards.push(i < rs.dataShards ? randomBytes(next, len) : new Uint8Array(len));
  rs.encode(shards);
  return shards;
}

/** All subsets of {0..n-1} of size k, as index arrays. */
function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const rec = (start: number): void => {
    if (cur.length === k) {
      out.push([...cur]);
      return;
    }
    for (let i = start; i < n; i++) {
      cur.push(i);
      rec(i + 1);
      cur.pop();
    }
  };
  rec(0);
  return out;
}

function randomPattern(next: () => number, n: number, maxMissing: number): number[] {
  const k = 1 + (next() % maxMissing);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k).sort((a, b) => a - b);
}

/** Drops `missing` from a copy of `shards`, reconstructs, and checks every shard against the original. */
function checkReconstruct(rs: ReedSolomon, shards: Uint8Array[], missing: number[]): void {
  const damaged: (Uint8Array | null)[] = shards.slice();
  for (const m of missing) damaged[m] = null;
  const result = rs.reconstruct(damaged);
  expect(result).toBe(damaged);
  for (let i = 0; i < shards.length; i++) {
    const got = result[i];
    if (!(got instanceof Uint8Array) || got.length !== shards[i]!.length || Buffer.compare(got, shards[i]!) !== 0) {
      throw new Error(`${rs.dataShards}+${rs.parityShards}: shard ${i} wrong after losing [${missing.join(',')}]`);
    }
  }
}

const CONFIGS: [number, number][] = [];
for (let n = 2; n <= 16; n++) for (let p = 1; p <= Math.floor(n / 2); p++) CONFIGS.push([n - p, p]);

const AWKWARD_LENGTHS = [0, 1, 15, 16, 17, 4095, 4096 + 3, 65536 + 7];

beforeAll(async () => {
  await initCodec();
  await initCodec(); // idempotent
});

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe('reference sanity', () => {
  it('reference GF arithmetic is a field', () => {
    for (let a = 1; a < 256; a++) expect(rMul(a, rInv(a))).toBe(1);
    expect(rMul(0x80, 2)).toBe(0x1d);
  });
});

describe('ReedSolomon construction', () => {
  it('rejects invalid shard counts with RangeError', () => {
    expect(() => new ReedSolomon(0, 2)).toThrow(RangeError);
    expect(() => new ReedSolomon(4, -1)).toThrow(RangeError);
    expect(() => new ReedSolomon(200, 57)).toThrow(RangeError);
    expect(() => new ReedSolomon(1.5, 1)).toThrow(RangeError);
    const rs = new ReedSolomon(200, 56);
    expect(rs.totalShards).toBe(256);
  });

  it('exposes the shard counts', () => {
    const rs = new ReedSolomon(6, 3);
    expect([rs.dataShards, rs.parityShards, rs.totalShards]).toEqual([6, 3, 9]);
  });
});

describe('encode matches the reference byte for byte', () => {
  for (const [d, p] of CONFIGS) {
    it(`${d}+${p}`, () => {
      const next = rng(d * 100 + p);
      const rs = new ReedSolomon(d, p);
      for (const len of AWKWARD_LENGTHS) {
        const data = Array.from({ length: d }, () => randomBytes(next, len));
        // Pre-fill parity with junk to prove encode overwrites it.
        const parity = Array.from({ length: p }, () => randomBytes(next, len));
        const shards = [...data.map((s) => Uint8Array.from(s)), ...parity];
        rs.encode(shards);
        for (let i = 0; i < d; i++) expect(Buffer.compare(shards[i]!, data[i]!)).toBe(0);
        const want = refParity(d, p, data);
        for (let o = 0; o < p; o++) {
          if (Buffer.compare(shards[d + o]!, want[o]!) !== 0) {
            throw new Error(`${d}+${p} len=${len}: parity ${o} differs from reference`);
          }
        }
      }
    });
  }

  it('handles shards larger than one kernel chunk (1 MiB + 5)', () => {
    const next = rng(7);
    for (const [d, p] of [
      [4, 2],
      [2, 1],
      [10, 4],
    ] as const) {
      const rs = new ReedSolomon(d, p);
      const data = Array.from({ length: d }, () => randomBytes(next, (1 << 20) + 5));
      const shards = [...data, ...Array.from({ length: p }, () => new Uint8Array((1 << 20) + 5))];
      rs.encode(shards);
      const want = refParity(d, p, data);
      for (let o = 0; o < p; o++) expect(Buffer.compare(shards[d + o]!, want[o]!)).toBe(0);
    }
  });

  it('accepts unaligned subarray views and leaves data shards untouched', () => {
    const next = rng(11);
    const rs = new ReedSolomon(5, 3);
    const len = 1001;
    const backing = randomBytes(next, 8 * len + 13);
    const shards = Array.from({ length: 8 }, (_, i) => backing.subarray(3 + i * len, 3 + (i + 1) * len));
    const data = shards.slice(0, 5).map((s) => Uint8Array.from(s));
    rs.encode(shards);
    const want = refParity(5, 3, data);
    for (let i = 0; i < 5; i++) expect(Buffer.compare(shards[i]!, data[i]!)).toBe(0);
    for (let o = 0; o < 3; o++) expect(Buffer.compare(shards[5 + o]!, want[o]!)).toBe(0);
  });

  it('supports P = 0 and D = 1', () => {
    const next = rng(3);
    const none = new ReedSolomon(3, 0);
    const shards = [randomBytes(next, 10), randomBytes(next, 10), randomBytes(next, 10)];
    none.encode(shards);
    const mirror = new ReedSolomon(1, 3);
    const m = [randomBytes(next, 100), new Uint8Array(100), new Uint8Array(100), new Uint8Array(100)];
    mirror.encode(m);
    for (let i = 1; i < 4; i++) expect(Buffer.compare(m[i]!, m[0]!)).toBe(0);
    expect(mirror.reconstruct([null, null, null, m[3]!])[0]).toEqual(m[0]);
  });

  it('rejects mismatched shard counts and lengths', () => {
    const rs = new ReedSolomon(2, 1);
    expect(() => rs.encode([new Uint8Array(4), new Uint8Array(4)])).toThrow();
    expect(() => rs.encode([new Uint8Array(4), new Uint8Array(5), new Uint8Array(4)])).toThrow();
    expect(() => rs.reconstruct([new Uint8Array(4), null])).toThrow();
    expect(() => rs.reconstruct([new Uint8Array(4), null, new Uint8Array(3)])).toThrow();
  });
});

describe('reconstruct', () => {
  for (const [d, p] of CONFIGS) {
    const n = d + p;
    it(`${d}+${p}: ${n <= 8 ? 'every' : 'random'} erasure pattern of up to ${p} shards`, () => {
      const next = rng(n * 1000 + p);
      const rs = new ReedSolomon(d, p);
      const shards = encodedShards(rs, next, 333);
      if (n <= 8) {
        for (let k = 1; k <= p; k++) for (const missing of combinations(n, k)) checkReconstruct(rs, shards, missing);
      } else {
        for (let t = 0; t < 200; t++) checkReconstruct(rs, shards, randomPattern(next, n, p));
      }
      // Exactly P missing, with a longer shard that spans kernel blocks.
      const big = encodedShards(rs, next, 65536 + 7);
      for (let t = 0; t < 3; t++) {
        const missing = combinations(n, p)[next() % combinations(n, p).length]!;
        checkReconstruct(rs, big, missing);
      }
    });
  }

  it('large codes: 200+56 and 128+128 round-trip with P shards lost', () => {
    const next = rng(256);
    for (const [d, p] of [
      [200, 56],
      [128, 128],
    ] as const) {
      const rs = new ReedSolomon(d, p);
      const shards = encodedShards(rs, next, 1000 + (next() % 100));
      for (let t = 0; t < 3; t++) {
        const missing = randomPattern(next, d + p, p);
        while (missing.length < p) {
          const extra = next() % (d + p);
          if (!missing.includes(extra)) missing.push(extra);
        }
        checkReconstruct(rs, shards, missing);
      }
    }
  });

  it('one instance stays correct over many sequential reconstructs', () => {
    const next = rng(99);
    const rs = new ReedSolomon(10, 4);
    const shards = encodedShards(rs, next, 4096 + 3);
    for (let t = 0; t < 120; t++) {
      const missing = randomPattern(next, 14, 4);
      checkReconstruct(rs, shards, missing);
      // Reuse the same (cached) pattern right away: the second call must agree too.
      if (t % 10 === 0) checkReconstruct(rs, shards, missing);
    }
  });

  it('many instances interleaved stay correct', () => {
    const next = rng(1234);
    const setups = [
      [4, 2],
      [8, 4],
      [3, 3],
      [12, 4],
      [2, 1],
    ].map(([d, p]) => {
      const rs = new ReedSolomon(d!, p!);
      return { rs, shards: encodedShards(rs, next, 1 + (next() % 5000)) };
    });
    for (let t = 0; t < 100; t++) {
      const { rs, shards } = setups[t % setups.length]!;
      checkReconstruct(rs, shards, randomPattern(next, rs.totalShards, rs.parityShards));
      if (t % 7 === 0) {
        // Re-encode in between and compare with the stored parity.
        const again = shards.map((s, i) => (i < rs.dataShards ? s : new Uint8Array(s.length)));
        rs.encode(again);
        for (let i = rs.dataShards; i < rs.totalShards; i++) expect(Buffer.compare(again[i]!, shards[i]!)).toBe(0);
      }
    }
  });

  it('dataOnly rebuilds data shards and may leave parity null', () => {
    const next = rng(5);
    const rs = new ReedSolomon(6, 3);
    const shards = encodedShards(rs, next, 777);
    const damaged: (Uint8Array | null)[] = shards.slice();
    damaged[1] = null;
    damaged[4] = null;
    damaged[7] = null;
    const out = rs.reconstruct(damaged, { dataOnly: true });
    expect(out).toBe(damaged);
    expect(Buffer.compare(out[1]!, shards[1]!)).toBe(0);
    expect(Buffer.compare(out[4]!, shards[4]!)).toBe(0);
    expect(damaged[7]).toBeNull();
    // Only parity missing + dataOnly: nothing to do.
    const parityGone: (Uint8Array | null)[] = shards.slice();
    parityGone[6] = null;
    rs.reconstruct(parityGone, { dataOnly: true });
    expect(parityGone[6]).toBeNull();
    // Without dataOnly the parity comes back.
    rs.reconstruct(parityGone);
    expect(Buffer.compare(parityGone[6]!, shards[6]!)).toBe(0);
  });

  it('fills zero-length shards', () => {
    const rs = new ReedSolomon(3, 2);
    const shards: (Uint8Array | null)[] = [new Uint8Array(0), null, new Uint8Array(0), null, new Uint8Array(0)];
    const out = rs.reconstruct(shards);
    for (const s of out) expect(s).toEqual(new Uint8Array(0));
  });

  it('nothing missing returns the same array unchanged', () => {
    const next = rng(8);
    const rs = new ReedSolomon(4, 2);
    const shards = encodedShards(rs, next, 50);
    const copy = shards.slice();
    expect(rs.reconstruct(shards)).toBe(shards);
    for (let i = 0; i < 6; i++) expect(shards[i]).toBe(copy[i]);
  });

  it('throws when fewer than D shards are present', () => {
    const next = rng(9);
    const rs = new ReedSolomon(5, 3);
    const shards = encodedShards(rs, next, 100);
    for (const missing of [[0, 1, 2, 3], [4, 5, 6, 7], [0, 2, 4, 6, 7], [0, 1, 2, 3, 4, 5, 6, 7]]) {
      const damaged: (Uint8Array | null)[] = shards.slice();
      for (const m of missing) damaged[m] = null;
      expect(() => rs.reconstruct(damaged)).toThrow(Error);
    }
    // And the instance still works afterwards.
    checkReconstruct(rs, shards, [0, 6, 7]);
  });
});
