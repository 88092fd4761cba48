/**
 * `node dist/bench/request-log.js [--rounds N] [--seconds S]`: what the per-request log line costs.
 * Two single-node servers (4 drives, EC 2+2) run side by side, one writing a JSON line per request
 * (TESSERA_LOG_LEVEL=info, the default) and one not (warn); 4 KiB GETs run against them alternately,
 * round by round, so both see the same load on a shared machine. Each figure is the median of its
 * rounds; the logging server's ops/s and CPU-ms per operation are printed as ratios of the other's.
 * The log lines go through a pipe to this process, as they would to a log collector.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMs } from './cpu.js';
import { objectPath, runPhase, S3Http } from './load.js';
import { BenchServer } from './server.js';
import { SigV4Signer } from './sigv4.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '4' } } });
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const ACCESS_KEY = 'benchadmin';
const SECRET_KEY = randomBytes(18).toString('base64url');
const BUCKET = 'bench';
const KEYS = 64;
const CONCURRENCY = 16;

interface Round {
  opsPerSec: number;
  cpuMsPerOp: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const dir = await mkdtemp(join(os.tmpdir(), 'tessera-bench-log-'));
  const servers: BenchServer[] = [];
  try {
    const start = async (name: string, level: string): Promise<{ name: string; server: BenchServer; http: S3Http; rounds: Round[] }> => {
      const drives = [1, 2, 3, 4].map((d) => join(dir, name, `d${d}`));
      const server = await BenchServer.start(drives, 2, ACCESS_KEY, SECRET_KEY, { TESSERA_LOG_LEVEL: level, TESSERA_LOG_FORMAT: 'json' });
      servers.push(server);
      const http = new S3Http(server.endpoint, new SigV4Signer(ACCESS_KEY, SECRET_KEY), CONCURRENCY);
      await http.request('PUT', objectPath(BUCKET));
      const body = randomBytes(4096);
      for (let k = 0; k < KEYS; k++) await http.request('PUT', objectPath(BUCKET, `k${k}`), { body });
      return { name, server, http, rounds: [] };
    };
    const logging = await start('logging', 'info');
    const quiet = await start('quiet', 'warn');
    const measure = async (target: typeof logging): Promise<Round> => {
      const pid = target.server.proc.pid!;
      const cpuBefore = cpuMs([pid]);
      const result = await runPhase({ concurrency: CONCURRENCY, seconds, op: async (i) => (await target.http.request('GET', objectPath(BUCKET, `k${i % KEYS}`))).bytes });
      if (result.errors > 0) throw new Error(`${target.name}: ${result.errors} failed GETs: ${result.errorSamples.join('; ')}`);
      return { opsPerSec: result.opsPerSec, cpuMsPerOp: (cpuMs([pid]) - cpuBefore) / result.ops };
    };
    // One unmeasured round each: connections, caches and the JIT warm.
    await measure(logging);
    await measure(quiet);
    for (let round = 0; round < rounds; round++) {
      for (const target of round % 2 === 0 ? [logging, quiet] : [quiet, logging]) target.rounds.push(await measure(target));
    }
    const figure = (target: typeof logging) => ({ opsPerSec: median(target.rounds.map((r) => r.opsPerSec)), cpuMsPerOp: median(target.rounds.map((r) => r.cpuMsPerOp)) });
    const on = figure(logging);
    const off = figure(quiet);
    console.log(`4 KiB GETs, ${CONCURRENCY} at a time, median of ${rounds} alternating rounds of ${seconds} s:`);
    console.log(`  without request lines: ${off.opsPerSec.toFixed(0)} ops/s, ${off.cpuMsPerOp.toFixed(3)} CPU-ms/op`);
    console.log(`  with request lines:    ${on.opsPerSec.toFixed(0)} ops/s, ${on.cpuMsPerOp.toFixed(3)} CPU-ms/op`);
    console.log(`  ratio (with / without): ${(on.opsPerSec / off.opsPerSec).toFixed(2)}x ops/s, ${(on.cpuMsPerOp / off.cpuMsPerOp).toFixed(2)}x CPU per op`);
    for (const target of [logging, quiet]) target.http.close();
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
