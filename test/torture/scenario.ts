/**
 * One torture run of one deployment: start it, run the workload and the fault schedule for the given
 * time, stop the faults and give everything back, restart every node with a fast scanner, heal (an
 * admin heal, then whole scanner cycles), read every key from every node and list from every node,
 * stop the nodes and take the shard census, then check the history.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { sleep, TestCluster } from '../helpers/cluster.js';
import type { Value } from './bodies.js';
import { shardCensus } from './census.js';
import { checkHistory, type Anomaly } from './checker.js';
import { DRIVE_FILESYSTEM_MIB, type Scenario } from './config.js';
import { FaultSchedule, restoreDrive } from './faults.js';
import { healBucket, waitScannerCycles } from './healing.js';
import { History, historyToJsonl } from './history.js';
import type { RunFigures } from './report.js';
import { Rng } from './rng.js';
import { KEYS, Workload } from './workload.js';

const BUCKET = 'torture';

/** Node environment while faults run: drives checked often; the scanner runs now and then, with the default orphan age. */
const RUN_ENV = { TESSERA_DRIVE_MONITOR_SECONDS: '1', TESSERA_SCANNER_START_SECONDS: '15', TESSERA_SCANNER_INTERVAL_SECONDS: '20' };
/** After the faults: the scanner cycles back to back and removes orphans older than ~1 s (nothing writes any more). */
const FINAL_ENV = { TESSERA_SCANNER_START_SECONDS: '0', TESSERA_SCANNER_INTERVAL_SECONDS: '0.5', TESSERA_SCANNER_DELAY_MS: '0', TESSERA_ORPHAN_AGE_MINUTES: '0.02' };

export interface ScenarioOptions {
  seed: number;
  workloadMs: number;
  lingerMs: number;
  log: (line: string) => void;
}

export async function runScenario(scenario: Scenario, options: ScenarioOptions): Promise<RunFigures> {
  const t0 = Date.now();
  const rng = new Rng(options.seed);
  const cluster = await TestCluster.create({
    nodes: scenario.nodes,
    drivesPerNode: scenario.drivesPerNode,
    extraArgs: scenario.extraArgs,
    env: RUN_ENV,
    driveFilesystemMiB: DRIVE_FILESYSTEM_MIB,
  });
  const history = new History();
  let failed = true;
  try {
    await cluster.node(0).client({ maxAttempts: 3 }).send(new CreateBucketCommand({ Bucket: BUCKET }));
    const clients = cluster.nodes.map((n) => n.client({ maxAttempts: 1, requestTimeoutMs: 20_000 }));
    const workload = new Workload(history, { bucket: BUCKET, clients: scenario.clients, nodes: clients, reducedShare: scenario.reducedShare, largeShare: 0.12 });

    await underFaults(cluster, history, workload, scenario, options, rng);
    options.log(`workload done: ${history.ops.length} operations, ${history.faults.length} faults; healing`);
    await healEverything(cluster);

    const finalRng = rng.fork();
    for (const key of KEYS) {
      for (const [node, s3] of clients.entries()) await workload.get({ client: -1, node, s3, rng: finalRng }, key, true);
    }
    for (const [node, s3] of clients.entries()) await workload.list({ client: -1, node, s3, rng: finalRng }, true);
    await Promise.all(cluster.nodes.map((n) => n.stop()));

    const census = await shardCensus(cluster.nodes.flatMap((n) => Array.from({ length: cluster.drivesPerNode }, (_, d) => n.drivePath(d))), BUCKET, finalValues(history));
    const anomalies: Anomaly[] = [
      ...checkHistory(history.ops, { lingerMs: options.lingerMs }),
      ...census.problems.map((message): Anomaly => ({ kind: 'census', ops: [], at: history.now(), message })),
      ...history.faults.filter((f) => f.kind === 'died').map((f): Anomaly => ({ kind: 'node-died', ops: [], at: f.start, message: `${f.target} exited by itself: ${f.detail ?? ''}` })),
    ];
    failed = anomalies.length > 0;
    return { scenario: scenario.name, seed: options.seed, workloadMs: options.workloadMs, totalMs: Date.now() - t0, history, anomalies, census };
  } finally {
    await restoreEverything(cluster).catch(() => undefined);
    if (failed) {
      const path = await saveHistory(history, scenario, options.seed);
      const logs = cluster.nodes.map((n) => `--- node ${n.index + 1}\n${n.history}${n.output}`);
      await writeFile(`${path}.nodes.log`, logs.join('\n'));
      options.log(`history written to ${path}, the nodes' whole logs to ${path}.nodes.log`);
      options.log(`node logs (tails):\n${logs.map((log) => log.slice(-4_000)).join('\n')}`);
    }
    await cluster.destroy();
  }
}

/** The workload and the fault schedule for the scenario's time; returns once both stopped and every node that died is back. */
async function underFaults(cluster: TestCluster, history: History, workload: Workload, scenario: Scenario, options: ScenarioOptions, rng: Rng): Promise<void> {
  const faults = new FaultSchedule(cluster, history, { bucket: BUCKET, weights: scenario.faults, gapMs: [1_000, 4_000] });
  workload.start(rng.fork());
  faults.start(rng.fork());
  await sleep(options.workloadMs);
  await faults.stop();
  await workload.stop();
  await faults.reviveDead();
}

/** Every fault undone, every node restarted with the final scanner knobs, a deep heal, then two whole scanner cycles after it. */
async function healEverything(cluster: TestCluster): Promise<void> {
  await restoreEverything(cluster);
  await Promise.all(cluster.nodes.map((n) => n.stop()));
  await Promise.all(cluster.nodes.map((n) => n.start({ env: FINAL_ENV })));
  await healBucket(cluster.node(0), BUCKET, { deep: true, timeoutMs: 120_000 });
  await waitScannerCycles(cluster.nodes, 2, 120_000);
}

/** Every drive back in place and writable, every node running and not paused. */
async function restoreEverything(cluster: TestCluster): Promise<void> {
  for (const node of cluster.nodes) {
    for (let d = 0; d < cluster.drivesPerNode; d++) await restoreDrive(node.drivePath(d));
    node.resume();
  }
  await Promise.all(cluster.nodes.filter((n) => !n.running).map((n) => n.start()));
}

/** The value each key holds according to the final reads (of the first node that read it), by hash. */
function finalValues(history: History): Map<string, Value> {
  const bySha = new Map<string, Value>();
  for (const op of history.ops) if (op.type === 'put' || op.type === 'multipart') bySha.set(op.value.sha256, op.value);
  const present = new Map<string, Value>();
  for (const op of history.ops) {
    if (op.type !== 'get' || !op.final || present.has(op.key) || !op.result || op.result.absent) continue;
    const value = bySha.get(op.result.sha256);
    if (value) present.set(op.key, value);
  }
  return present;
}

/** Writes the history as JSON lines for a post-mortem (see recheck.test.ts); returns the path. */
async function saveHistory(history: History, scenario: Scenario, seed: number): Promise<string> {
  const path = join(tmpdir(), `torture-${scenario.mode}-${scenario.extraArgs.join('') || 'default'}-${seed}.jsonl`);
  await writeFile(path, historyToJsonl(history));
  return path;
}
