/**
 * Arithmetic over GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1
 * (0x11d, generator 2), plus the small dense-matrix helpers the Reed-Solomon
 * codec needs. Matrices are arrays of rows, each row a Uint8Array.
 */

export const GF_POLY = 0x11d;

/** EXP[i] = 2^i for 0 <= i < 510 (doubled so EXP[LOG[a] + LOG[b]] needs no modulo). */
export const EXP: Uint8Array = new Uint8Array(510);
/** LOG[a] = discrete log of a (base 2) for a != 0; LOG[0] is unused (0). */
export const LOG: Uint8Array = new Uint8Array(256);

{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= GF_POLY;
  }
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255]!;
}

/** Full 256x256 product table: MUL_TABLE[a * 256 + b] = a * b. */
export const MUL_TABLE: Uint8Array = new Uint8Array(65536);
{
  for (let a = 1; a < 256; a++) {
    const la = LOG[a]!;
    for (let b = 1; b < 256; b++) MUL_TABLE[a * 256 + b] = EXP[la + LOG[b]!]!;
  }
}

/**
 * Split-nibble tables for the SIMD kernel: for every constant c, 32 bytes at
 * NIBBLE_TABLES[c * 32]: 16 bytes c*k (k = 0..15), then 16 bytes c*(k << 4).
 */
export const NIBBLE_TABLES: Uint8Array = new Uint8Array(256 * 32);
{
  for (let c = 0; c < 256; c++) {
    for (let k = 0; k < 16; k++) {
      NIBBLE_TABLES[c * 32 + k] = MUL_TABLE[c * 256 + k]!;
      NIBBLE_TABLES[c * 32 + 16 + k] = MUL_TABLE[c * 256 + (k << 4)]!;
    }
  }
}

export function gfAdd(a: number, b: number): number {
  return (a ^ b) & 0xff;
}

export function gfMul(a: number, b: number): number {
  return MUL_TABLE[((a & 0xff) << 8) | (b & 0xff)]!;
}

export function gfInv(a: number): number {
  if ((a & 0xff) === 0) throw new RangeError('GF(2^8): zero has no inverse');
  return EXP[255 - LOG[a & 0xff]!]!;
}

export function gfDiv(a: number, b: number): number {
  if ((b & 0xff) === 0) throw new RangeError('GF(2^8): division by zero');
  if ((a & 0xff) === 0) return 0;
  return EXP[LOG[a & 0xff]! + 255 - LOG[b & 0xff]!]!;
}

/** a^n for n >= 0 (0^0 = 1). */
export function gfPow(a: number, n: number): number {
  if (n === 0) return 1;
  if ((a & 0xff) === 0) return 0;
  return EXP[(LOG[a & 0xff]! * n) % 255]!;
}

export type Matrix = Uint8Array[];

export function matrixZero(rows: number, cols: number): Matrix {
  const m: Matrix = [];
  for (let r = 0; r < rows; r++) m.push(new Uint8Array(cols));
  return m;
}

export function matrixIdentity(n: number): Matrix {
  const m = matrixZero(n, n);
  for (let i = 0; i < n; i++) m[i]![i] = 1;
  return m;
}

export function matrixClone(m: Matrix): Matrix {
  return m.map((row) => Uint8Array.from(row));
}

/** a (r x k) times b (k x c) over GF(2^8). */
export function matrixMultiply(a: Matrix, b: Matrix): Matrix {
  const k = b.length;
  const cols = k === 0 ? 0 : b[0]!.length;
  const out = matrixZero(a.length, cols);
  for (let r = 0; r < a.length; r++) {
    const ar = a[r]!;
    if (ar.length !== k) throw new RangeError('matrixMultiply: dimension mismatch');
    const or = out[r]!;
    for (let i = 0; i < k; i++) {
      const coef = ar[i]!;
      if (coef === 0) continue;
      const base = coef << 8;
      const br = b[i]!;
      for (let c = 0; c < cols; c++) or[c]! ^= MUL_TABLE[base | br[c]!]!;
    }
  }
  return out;
}

/**
 * Inverse of a square matrix by Gauss-Jordan elimination. Throws an Error if
 * the matrix is singular. The input is not modified.
 */
export function matrixInvert(m: Matrix): Matrix {
  const n = m.length;
  for (const row of m) if (row.length !== n) throw new RangeError('matrixInvert: matrix is not square');
  const a = matrixClone(m);
  const inv = matrixIdentity(n);
  for (let col = 0; col < n; col++) {
    // Find a pivot.
    let pivot = col;
    while (pivot < n && a[pivot]![col] === 0) pivot++;
    if (pivot === n) throw new Error('matrixInvert: matrix is singular');
    if (pivot !== col) {
      [a[pivot], a[col]] = [a[col]!, a[pivot]!];
      [inv[pivot], inv[col]] = [inv[col]!, inv[pivot]!];
    }
    const ar = a[col]!;
    const ir = inv[col]!;
    // Scale the pivot row so the pivot is 1.
    const p = ar[col]!;
    if (p !== 1) {
      const base = gfInv(p) << 8;
      for (let c = 0; c < n; c++) {
        ar[c] = MUL_TABLE[base | ar[c]!]!;
        ir[c] = MUL_TABLE[base | ir[c]!]!;
      }
    }
    // Eliminate the column from every other row.
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]!;
      if (f === 0) continue;
      const base = f << 8;
      const rr = a[r]!;
      const ri = inv[r]!;
      for (let c = 0; c < n; c++) {
        rr[c]! ^= MUL_TABLE[base | ar[c]!]!;
        ri[c]! ^= MUL_TABLE[base | ir[c]!]!;
      }
    }
  }
  return inv;
}

/** rows x cols Vandermonde matrix: entry (r, c) = r^c, with distinct points r = 0..rows-1. */
export function vandermonde(rows: number, cols: number): Matrix {
  if (rows > 256) throw new RangeError('vandermonde: at most 256 distinct points in GF(2^8)');
  const m = matrixZero(rows, cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m[r]![c] = gfPow(r, c);
  return m;
}

/**
 * Systematic (D+P) x D encoding matrix: the top D x D block is the identity,
 * and any D of its rows form an invertible matrix. Built as V * inverse(V_top)
 * where V is a (D+P) x D Vandermonde matrix over distinct points; any D rows of
 * V are invertible, and right-multiplying by an invertible matrix preserves that.
 */
export function buildEncodeMatrix(dataShards: number, parityShards: number): Matrix {
  const total = dataShards + parityShards;
  if (!Number.isInteger(dataShards) || dataShards < 1) throw new RangeError('dataShards must be >= 1');
  if (!Number.isInteger(parityShards) || parityShards < 0) throw new RangeError('parityShards must be >= 0');
  if (total > 256) throw new RangeError('dataShards + parityShards must be <= 256');
  const v = vandermonde(total, dataShards);
  const topInv = matrixInvert(v.slice(0, dataShards));
  const m = matrixMultiply(v, topInv);
  // The top block is the identity by construction; make it exact regardless.
  for (let r = 0; r < dataShards; r++) {
    m[r]!.fill(0);
    m[r]![r] = 1;
  }
  return m;
}
