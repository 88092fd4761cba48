/**
 * Reed-Solomon codec throughput. MB/s counts input data (D data shards) in
 * units of 10^6 bytes, per core (single-threaded), through the public API
 * including the copies into and out of wasm memory.
 *
 *   node dist/bench/codec.js [seconds-per-config]
 */
import { pathToFileURL } from 'node:url';

import { initCodec, ReedSolomon } from '../src/codec/reed-solomon.js';

const BLOCK = 1 << 20;

function fill(buf: Uint8Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < buf.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    buf[i] = s;
  }
}

/** Runs fn repeatedly for about `seconds` (after a short warm-up); returns calls per second. */
function rate(fn: () => void, seconds: number): number {
  const warmEnd = performance.now() + Math.min(200, seconds * 200);
  while (performance.now() < warmEnd) fn();
  let calls = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 8; i++) fn();
    calls += 8;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

/**
 * Measures encode and reconstruct throughput for a D+P code on 1 MiB blocks
 * (D data shards of ceil(1 MiB / D) bytes each). Reconstruct rebuilds
 * min(P, D) lost data shards. `seconds` is the total measuring time.
 */
export async function measureCodec(d: number, p: number, seconds = 2): Promise<{ encodeMBps: number; reconstructMBps: number }> {
  await initCodec();
  const rs = new ReedSolomon(d, p);
  const shardLen = Math.ceil(BLOCK / d);
  const shards: Uint8Array[] = [];
  for (let i = 0; i < d + p; i++) {
    const s = new Uint8Array(shardLen);
    if (i < d) fill(s, i + 1);
    shards.push(s);
  }
  const bytes = d * shardLen;

  const encodeRate = rate(() => rs.encode(shards), seconds / 2);

  const lost = Math.min(p, d);
  const damaged: (Uint8Array | null)[] = shards.slice();
  const reconstructRate =
    lost === 0
      ? 0
      : rate(() => {
          for (let i = 0; i < lost; i++) damaged[i] = null;
          rs.reconstruct(damaged);
        }, seconds / 2);
  // Sanity check: the rebuilt shards must match the originals.
  for (let i = 0; i < lost; i++) {
    if (Buffer.compare(damaged[i]!, shards[i]!) !== 0) throw new Error(`bench: reconstruct of ${d}+${p} produced wrong data`);
  }

  return {
    encodeMBps: (encodeRate * bytes) / 1e6,
    reconstructMBps: (reconstructRate * bytes) / 1e6,
  };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 2) || 2;
  const configs: [number, number][] = [
    [2, 2],
    [4, 2],
    [4, 4],
    [8, 4],
    [8, 8],
  ];
  console.log('Reed-Solomon (wasm SIMD), 1 MiB blocks, single thread, MB/s of data input');
  console.log('config    encode MB/s   reconstruct MB/s');
  for (const [d, p] of configs) {
    const r = await measureCodec(d, p, seconds);
    console.log(
      `${`${d}+${p}`.padEnd(8)}  ${r.encodeMBps.toFixed(0).padStart(11)}   ${r.reconstructMBps.toFixed(0).padStart(16)}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
