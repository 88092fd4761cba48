/**
 * The memory phase of `npm run bench -- --memory`: clients stream large objects up and then down
 * through one node of a cluster at once, while every node's resident set size is sampled from /proc.
 * Objects are generated and discarded on the fly, so the client holds none of them; what the nodes
 * hold is what streaming costs them.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { withChildren } from './cpu.js';
import { objectPath, S3Http } from './load.js';
import type { SigV4Signer } from './sigv4.js';

const MiB = 1024 * 1024;

export interface MemoryResult {
  clients: number;
  objectBytes: number;
  putMBps: number;
  getMBps: number;
  /** Peak resident set size of each node over the phase, in MB (node 1 took every request). */
  peakRssMB: number[];
  /** Resident set size of each node before the phase, in MB. */
  startRssMB: number[];
  /** The same for anonymous pages only (heap, buffers): without lmdb's map of the metadata, which grows with the objects stored. */
  peakAnonMB: number[];
  startAnonMB: number[];
}

/**
 * The memory a node holds, in MB (NaN where /proc cannot be read): its process's resident set, plus
 * the anonymous part of its children's (the metadata writer). The rest of the writer's resident pages
 * are file pages the node has resident too (the node binary, the drives' lmdb files): summing both
 * processes' whole resident sets counts those twice. `anonymous`: the anonymous pages alone (heap
 * and buffers), without the page-cache pages of lmdb's map of the metadata, which grow with the
 * number of objects stored (and the kernel reclaims), not with what is streaming.
 */
export function rssMB(pid: number, anonymous = false): number {
  let kb = 0;
  for (const one of withChildren(pid)) {
    try {
      const status = readFileSync(`/proc/${one}/status`, 'latin1');
      kb += Number((one === pid && !anonymous ? /VmRSS:\s+(\d+) kB/ : /RssAnon:\s+(\d+) kB/).exec(status)?.[1]);
    } catch {
      return NaN;
    }
  }
  return (kb * 1024) / 1e6;
}

/** `length` bytes made of `pool` slices, produced as they are read. */
function generated(pool: Buffer, length: number, seed: number): Readable {
  let sent = 0;
  let n = seed;
  return new Readable({
    read() {
      if (sent >= length) {
        this.push(null);
        return;
      }
      const size = Math.min(MiB, length - sent);
      const off = ((n++ * 7919 * 64) % (pool.length - size + 1)) & ~63;
      sent += size;
      this.push(pool.subarray(off, off + size));
    },
  });
}

export async function measureMemory(options: {
  endpoint: string;
  signer: SigV4Signer;
  bucket: string;
  pids: number[];
  clients: number;
  objectBytes: number;
  pool: Buffer;
  log: (line: string) => void;
}): Promise<MemoryResult> {
  const { endpoint, signer, bucket, pids, clients, objectBytes, pool, log } = options;
  const http = new S3Http(endpoint, signer, clients);
  const startRssMB = pids.map((pid) => rssMB(pid));
  const peakRssMB = [...startRssMB];
  const startAnonMB = pids.map((pid) => rssMB(pid, true));
  const peakAnonMB = [...startAnonMB];
  const sampler = setInterval(() => {
    pids.forEach((pid, i) => {
      peakRssMB[i] = Math.max(peakRssMB[i], rssMB(pid) || 0);
      peakAnonMB[i] = Math.max(peakAnonMB[i], rssMB(pid, true) || 0);
    });
  }, 100);
  const keys = Array.from({ length: clients }, (_, i) => `memory/${i}`);
  try {
    await http.request('PUT', objectPath(bucket));
    log(`memory: ${clients} clients each PUT ${objectBytes / MiB} MiB through ${endpoint}`);
    let started = performance.now();
    await Promise.all(keys.map((key, i) => http.request('PUT', objectPath(bucket, key), { streamBody: { stream: generated(pool, objectBytes, i * 1000), length: objectBytes } })));
    const putMBps = (clients * objectBytes) / 1e6 / ((performance.now() - started) / 1000);
    log(`memory: PUTs done at ${putMBps.toFixed(0)} MB/s; now ${clients} GETs of them`);
    started = performance.now();
    const got = await Promise.all(keys.map((key) => http.request('GET', objectPath(bucket, key))));
    const getMBps = (clients * objectBytes) / 1e6 / ((performance.now() - started) / 1000);
    const short = got.findIndex((r) => r.bytes !== objectBytes);
    if (short >= 0) throw new Error(`GET ${keys[short]} returned ${got[short].bytes} bytes, expected ${objectBytes}`);
    for (const key of keys) await http.request('DELETE', objectPath(bucket, key));
    return { clients, objectBytes, putMBps, getMBps, peakRssMB, startRssMB, peakAnonMB, startAnonMB };
  } finally {
    clearInterval(sampler);
    http.close();
  }
}
