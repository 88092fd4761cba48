/**
 * Heal benchmark: how fast a replaced drive is rebuilt, and what that does to GET latency.
 *
 *   node dist/bench/heal.js [--objects N] [--size MiB] [--get-size KiB] [--seconds S] [--json]
 *
 * Starts `tessera server` over 4 drives in a temp directory (EC 2+2, scanner off), writes N objects
 * of `size` MiB plus small objects for GETs, and measures GET latency (one client, back to back) on
 * the idle server. Then, twice: stop the server, empty drive 4, start it again (bootstrap gives the
 * empty drive its slot back and the healer rebuilds it in full):
 *   1. with no other traffic: heal throughput alone;
 *   2. with GETs running back to back the whole time: heal throughput under load, GET p50/p99.
 * Heal throughput is MB/s (10^6 bytes) of shard data rebuilt and written (tessera_heal_bytes_total)
 * over the time from the heal's start to its end as the drive's progress records them.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AdminClient } from '../src/admin/client.js';
import { objectPath, runPhase, S3Http, type PhaseResult } from './load.js';
import { BenchServer } from './server.js';
import { SigV4Signer } from './sigv4.js';

const MiB = 1024 * 1024;
const ACCESS = 'benchadmin';
const SECRET = 'benchadmin-secret';
const BUCKET = 'healbench';

interface HealRun {
  label: string;
  seconds: number;
  bytes: number;
  mbPerSec: number;
  objects: number;
  gets?: PhaseResult;
}

async function metric(endpoint: string, name: string): Promise<number> {
  const text = await (await fetch(`${endpoint}/tessera/metrics`, { headers: { authorization: `Bearer ${BenchServer.metricsToken}` } })).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && !line.startsWith('#')) sum += Number(line.split(' ').pop());
  return sum;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      objects: { type: 'string', default: '48' },
      size: { type: 'string', default: '4' },
      'get-size': { type: 'string', default: '1024' },
      seconds: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
    },
  });
  const objectCount = Number(values.objects);
  const size = Number(values.size) * MiB;
  const getSize = Number(values['get-size']) * 1024;
  const idleSeconds = Number(values.seconds);

  const dir = await mkdtemp(join(os.tmpdir(), 'tessera-heal-bench-'));
  const drives = [1, 2, 3, 4].map((i) => join(dir, `drive${i}`));
  let server: BenchServer | undefined;
  const cleanup = (): void => {
    server?.killNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  process.env.TESSERA_SCANNER = 'off';
  const log = (line: string): void => {
    if (!values.json) console.log(line);
  };

  try {
    server = await BenchServer.start(drives, 2, ACCESS, SECRET);
    let http = new S3Http(server.endpoint, new SigV4Signer(ACCESS, SECRET), 8);
    await http.request('PUT', objectPath(BUCKET));
    log(`writing ${objectCount} objects of ${size / MiB} MiB and 32 GET objects of ${getSize / 1024} KiB (EC 2+2, 4 drives) ...`);
    const payload = randomBytes(size);
    await runPhase({ concurrency: 2, count: objectCount, op: async (i) => (await http.request('PUT', objectPath(BUCKET, `big/${i}`), { body: payload }), size) });
    const small = randomBytes(getSize);
    await runPhase({ concurrency: 4, count: 32, op: async (i) => (await http.request('PUT', objectPath(BUCKET, `get/${i}`), { body: small }), getSize) });
    const getOp = (h: S3Http) => async (i: number): Promise<number> => (await h.request('GET', objectPath(BUCKET, `get/${i % 32}`))).bytes;
    // warm up, then idle latency
    await runPhase({ concurrency: 1, seconds: 1, op: getOp(http) });
    const idle = await runPhase({ concurrency: 1, seconds: idleSeconds, op: getOp(http) });
    log(`GET ${getSize / 1024} KiB, idle: p50 ${idle.p50Ms.toFixed(2)} ms, p99 ${idle.p99Ms.toFixed(2)} ms (${idle.ops} GETs)`);

    const runs: HealRun[] = [];
    for (const withLoad of [false, true]) {
      await server.stop();
      http.close();
      for (const entry of await readdir(drives[3])) await rm(join(drives[3], entry), { recursive: true, force: true });
      server = await BenchServer.start(drives, 2, ACCESS, SECRET);
      http = new S3Http(server.endpoint, new SigV4Signer(ACCESS, SECRET), 8);
      const admin = new AdminClient({ url: server.endpoint, accessKey: ACCESS, secretKey: SECRET });
      let finished = false;
      const getsDuring = withLoad
        ? runPhase({
            concurrency: 1,
            seconds: 3600,
            op: async (i) => {
              if (finished) throw new Error('done');
              return getOp(http)(i);
            },
            maxErrors: 1,
          })
        : undefined;
      let info = await admin.info();
      while (info.drivesHealedSinceStart.length === 0) {
        await new Promise((r) => setTimeout(r, 100));
        info = await admin.info();
      }
      finished = true;
      const gets = await getsDuring;
      const done = info.drivesHealedSinceStart[0];
      const seconds = (Date.parse(done.finished!) - Date.parse(done.started)) / 1000;
      const bytes = await metric(server.endpoint, 'tessera_heal_bytes_total');
      const run: HealRun = { label: withLoad ? 'heal with GETs running' : 'heal alone', seconds, bytes, mbPerSec: bytes / 1e6 / seconds, objects: done.objectsDone, ...(gets ? { gets } : {}) };
      runs.push(run);
      log(
        `${run.label}: ${(bytes / MiB).toFixed(1)} MiB of shards rebuilt for ${run.objects} objects in ${seconds.toFixed(2)} s = ${run.mbPerSec.toFixed(1)} MB/s` +
          (gets ? `; GET during heal: p50 ${gets.p50Ms.toFixed(2)} ms, p99 ${gets.p99Ms.toFixed(2)} ms (${gets.ops} GETs)` : ''),
      );
    }
    http.close();
    await server.stop();
    if (values.json) {
      console.log(JSON.stringify({
        objects: objectCount,
        objectMiB: size / MiB,
        getKiB: getSize / 1024,
        idleGet: { p50Ms: idle.p50Ms, p99Ms: idle.p99Ms, ops: idle.ops },
        heals: runs.map((r) => ({ label: r.label, seconds: r.seconds, bytes: r.bytes, mbPerSec: r.mbPerSec, objects: r.objects, ...(r.gets ? { getP50Ms: r.gets.p50Ms, getP99Ms: r.gets.p99Ms, gets: r.gets.ops } : {}) })),
      }));
    } else {
      const loaded = runs[1];
      console.log('');
      console.log(`summary: heal ${runs[0].mbPerSec.toFixed(1)} MB/s alone, ${loaded.mbPerSec.toFixed(1)} MB/s under GET load;`);
      console.log(`         GET p50/p99 ${idle.p50Ms.toFixed(2)}/${idle.p99Ms.toFixed(2)} ms idle vs ${loaded.gets!.p50Ms.toFixed(2)}/${loaded.gets!.p99Ms.toFixed(2)} ms during the heal`);
    }
  } finally {
    cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(`bench/heal: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
