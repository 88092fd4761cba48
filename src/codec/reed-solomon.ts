/**
 * Reed-Solomon erasure codec over GF(2^8), backed by a WebAssembly SIMD kernel
 * (wasm/rs.wat, assembled to wasm/rs.wasm by wasm/build.mjs).
 *
 * One module instance serves the whole process. Every call copies the input
 * shards into wasm memory chunk by chunk (so that the copy-in, the multiply
 * and the copy-out of a chunk all stay in L2), runs the kernel, and copies the
 * results out. Nothing the caller holds ever aliases wasm memory, so memory
 * growth can never invalidate caller data.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildEncodeMatrix, matrixInvert, matrixMultiply, NIBBLE_TABLES, type Matrix } from './galois.js';

// ---------------------------------------------------------------------------
// Module loading
// ---------------------------------------------------------------------------

type EncodeFn = (tbl: number, inPtrs: number, nIn: number, outPtrs: number, nOut: number, len: number) => void;

interface Kernel {
  memory: WebAssembly.Memory;
  encode: EncodeFn;
}

let kernel: Kernel | null = null;
let loading: Promise<void> | null = null;

/** Walks up from this file's directory looking for `<dir>/wasm/<name>`. */
function findUp(name: string): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'wasm', name);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

async function loadBytes(): Promise<Uint8Array<ArrayBuffer>> {
  const wasmPath = findUp('rs.wasm');
  if (wasmPath) return new Uint8Array(await readFile(wasmPath));
  // Not built yet (e.g. running tests from a fresh checkout): assemble the
  // text source in memory if the wabt dev dependency is available.
  const watPath = findUp('rs.wat');
  if (watPath) {
    let wabt: Awaited<ReturnType<typeof import('wabt')>> | null = null;
    try {
      wabt = await (await import('wabt')).default();
    } catch {
      wabt = null; // dev dependency not installed
    }
    if (wabt) {
      const mod = wabt.parseWat('rs.wat', await readFile(watPath, 'utf8'), { simd: true });
      try {
        return new Uint8Array(mod.toBinary({}).buffer);
      } finally {
        mod.destroy();
      }
    }
  }
  throw new Error('Reed-Solomon codec: wasm/rs.wasm not found; run `npm run build` (node wasm/build.mjs)');
}

async function load(): Promise<void> {
  const bytes = await loadBytes();
  if (!WebAssembly.validate(bytes)) {
    throw new Error('Reed-Solomon codec: this runtime cannot validate wasm/rs.wasm (WebAssembly SIMD128 is required)');
  }
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes), {});
  const { memory, encode } = instance.exports as unknown as Kernel;
  if (!(memory instanceof WebAssembly.Memory) || typeof encode !== 'function') {
    throw new Error('Reed-Solomon codec: wasm/rs.wasm has unexpected exports');
  }
  kernel = { memory, encode };
  heap = new Uint8Array(memory.buffer);
  view = new DataView(memory.buffer);
  loadedTables = null;
}

/** Loads and instantiates the wasm module once; must be awaited before constructing ReedSolomon. Idempotent. */
export async function initCodec(): Promise<void> {
  if (kernel) return;
  loading ??= load().catch((err: unknown) => {
    loading = null;
    throw err;
  });
  await loading;
}

// ---------------------------------------------------------------------------
// Wasm memory workspace
// ---------------------------------------------------------------------------

let heap = new Uint8Array(0);
let view = new DataView(new ArrayBuffer(0));
/** Identity of the table set currently resident at TABLE_OFFSET. */
let loadedTables: Uint8Array | null = null;

const TABLE_OFFSET = 64;
/** Approximate bytes of shard data (inputs + outputs) per kernel call. */
const CHUNK_BUDGET = 128 * 1024;
const MIN_CHUNK = 4096;
const MAX_CHUNK = 256 * 1024;
const WASM_PAGE = 65536;

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

function ensureMemory(bytes: number): void {
  const memory = kernel!.memory;
  const have = memory.buffer.byteLength;
  if (bytes > have) {
    memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
  }
  if (heap.buffer !== memory.buffer || heap.byteLength !== memory.buffer.byteLength) {
    heap = new Uint8Array(memory.buffer);
    view = new DataView(memory.buffer);
  }
}

/**
 * outputs[o] = XOR_i coef[o][i] * inputs[i] over the first `len` bytes, where
 * `tables` holds the nibble tables of coef in the kernel's input-major layout.
 */
function runKernel(tables: Uint8Array, inputs: Uint8Array[], outputs: Uint8Array[], len: number): void {
  const k = kernel;
  if (!k) throw new Error('Reed-Solomon codec: initCodec() has not completed');
  const nIn = inputs.length;
  const nOut = outputs.length;
  if (nIn === 0 || nOut === 0 || len === 0) return;

  const regions = nIn + nOut;
  let chunk = Math.floor(CHUNK_BUDGET / regions / MIN_CHUNK) * MIN_CHUNK;
  chunk = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, chunk), align(len, 64));
  // Extra 64 bytes per region staggers the regions across cache sets.
  const stride = chunk + 64;
  const ptrOffset = align(TABLE_OFFSET + tables.length, 64);
  const dataOffset = align(ptrOffset + 4 * regions, 64);
  ensureMemory(dataOffset + regions * stride);

  if (loadedTables !== tables) {
    heap.set(tables, TABLE_OFFSET);
    loadedTables = tables;
  }
  for (let r = 0; r < regions; r++) view.setUint32(ptrOffset + 4 * r, dataOffset + r * stride, true);
  const outBase = dataOffset + nIn * stride;

  const h = heap;
  for (let off = 0; off < len; off += chunk) {
    const n = Math.min(chunk, len - off);
    const whole = off === 0 && n === len;
    for (let i = 0; i < nIn; i++) {
      const src = inputs[i]!;
      h.set(whole ? src : src.subarray(off, off + n), dataOffset + i * stride);
    }
    k.encode(TABLE_OFFSET, ptrOffset, nIn, ptrOffset + 4 * nIn, nOut, align(n, 32));
    for (let o = 0; o < nOut; o++) {
      const start = outBase + o * stride;
      outputs[o]!.set(h.subarray(start, start + n), off);
    }
  }
}

/** Nibble tables for a coefficient matrix (rows = outputs, columns = inputs), input-major. */
function buildTables(rows: Matrix, nIn: number): Uint8Array {
  const nOut = rows.length;
  const tables = new Uint8Array(nIn * nOut * 32);
  for (let i = 0; i < nIn; i++) {
    for (let o = 0; o < nOut; o++) {
      const c = rows[o]![i]!;
      tables.set(NIBBLE_TABLES.subarray(c * 32, c * 32 + 32), (i * nOut + o) * 32);
    }
  }
  return tables;
}

// ---------------------------------------------------------------------------
// Public codec
// ---------------------------------------------------------------------------

interface DecodePlan {
  /** Indices of the D present shards used as inputs. */
  inputs: number[];
  /** Indices of the shards to rebuild. */
  outputs: number[];
  tables: Uint8Array;
}

const MAX_CACHED_PLANS = 1024;

export class ReedSolomon {
  readonly dataShards: number;
  readonly parityShards: number;
  readonly totalShards: number;

  private readonly matrix: Matrix;
  private readonly parityTables: Uint8Array;
  private readonly plans = new Map<string, DecodePlan>();

  constructor(dataShards: number, parityShards: number) {
    if (!Number.isInteger(dataShards) || dataShards < 1) throw new RangeError(`dataShards must be an integer >= 1, got ${dataShards}`);
    if (!Number.isInteger(parityShards) || parityShards < 0) throw new RangeError(`parityShards must be an integer >= 0, got ${parityShards}`);
    if (dataShards + parityShards > 256) throw new RangeError(`dataShards + parityShards must be <= 256, got ${dataShards + parityShards}`);
    if (!kernel) throw new Error('Reed-Solomon codec: await initCodec() before constructing ReedSolomon');
    this.dataShards = dataShards;
    this.parityShards = parityShards;
    this.totalShards = dataShards + parityShards;
    this.matrix = buildEncodeMatrix(dataShards, parityShards);
    this.parityTables = buildTables(this.matrix.slice(dataShards), dataShards);
  }

  /** shards.length === D+P, all the same length (any length >= 0). Reads shards[0..D), overwrites shards[D..D+P). */
  encode(shards: Uint8Array[]): void {
    if (!Array.isArray(shards) || shards.length !== this.totalShards) {
      throw new RangeError(`encode: expected ${this.totalShards} shards, got ${Array.isArray(shards) ? shards.length : typeof shards}`);
    }
    const len = shardLength(shards);
    for (let i = 0; i < shards.length; i++) {
      if (!(shards[i] instanceof Uint8Array)) throw new TypeError(`encode: shard ${i} is not a Uint8Array`);
    }
    if (len < 0 || this.parityShards === 0 || len === 0) return;
    runKernel(this.parityTables, shards.slice(0, this.dataShards), shards.slice(this.dataShards), len);
  }

  /**
   * shards.length === D+P; null marks a missing shard. Fills every null entry
   * (data and parity) with a new Uint8Array of the shard length, in place, and
   * returns the same array. Throws if fewer than D shards are present. With
   * `dataOnly: true`, only missing data shards are rebuilt.
   */
  reconstruct(shards: (Uint8Array | null)[], options?: { dataOnly?: boolean }): Uint8Array[] {
    const n = this.totalShards;
    const d = this.dataShards;
    if (!Array.isArray(shards) || shards.length !== n) {
      throw new RangeError(`reconstruct: expected ${n} shards, got ${Array.isArray(shards) ? shards.length : typeof shards}`);
    }
    const dataOnly = options?.dataOnly === true;
    const len = shardLength(shards);

    const words = new Uint16Array(Math.ceil(n / 16));
    let present = 0;
    let needed = 0;
    for (let i = 0; i < n; i++) {
      const s = shards[i];
      if (s === null || s === undefined) {
        if (i < d || !dataOnly) needed++;
      } else {
        if (!(s instanceof Uint8Array)) throw new TypeError(`reconstruct: shard ${i} is neither a Uint8Array nor null`);
        words[i >> 4]! |= 1 << (i & 15);
        present++;
      }
    }
    if (present < d) {
      throw new Error(`reconstruct: too few shards present to reconstruct (${present} present, ${d} required)`);
    }
    if (needed === 0) return shards as Uint8Array[];

    const key = String.fromCharCode(...words) + (dataOnly ? 'd' : 'a');
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.makePlan(shards, dataOnly);
      if (this.plans.size >= MAX_CACHED_PLANS) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, plan);
    }

    const outputs = plan.outputs.map(() => new Uint8Array(len));
    runKernel(
      plan.tables,
      plan.inputs.map((i) => shards[i]!),
      outputs,
      len,
    );
    for (let j = 0; j < plan.outputs.length; j++) shards[plan.outputs[j]!] = outputs[j]!;
    return shards as Uint8Array[];
  }

  private makePlan(shards: (Uint8Array | null)[], dataOnly: boolean): DecodePlan {
    const d = this.dataShards;
    const inputs: number[] = [];
    const outputs: number[] = [];
    for (let i = 0; i < this.totalShards; i++) {
      const s = shards[i];
      if (s === null || s === undefined) {
        if (i < d || !dataOnly) outputs.push(i);
      } else if (inputs.length < d) {
        inputs.push(i);
      }
    }
    // decode * (rows of the present shards) = identity, so data = decode * present.
    const decode = matrixInvert(inputs.map((i) => this.matrix[i]!));
    const rows: Matrix = outputs.map((i) => (i < d ? decode[i]! : matrixMultiply([this.matrix[i]!], decode)[0]!));
    return { inputs, outputs, tables: buildTables(rows, d) };
  }
}

/** Common length of the non-null shards; throws if they differ. Returns -1 if all are null. */
function shardLength(shards: (Uint8Array | null)[]): number {
  let len = -1;
  for (let i = 0; i < shards.length; i++) {
    const s = shards[i];
    if (s === null || s === undefined) continue;
    if (len === -1) len = s.length;
    else if (s.length !== len) throw new RangeError(`shard ${i} has length ${s.length}, expected ${len}`);
  }
  return len;
}
