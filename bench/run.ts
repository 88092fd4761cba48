/**
 * `npm run bench`: end-to-end throughput of a single-node Tessera server next to the limits of the
 * machine it runs on, all measured in one run.
 *
 *   node dist/bench/run.js [--quick] [--json] [--list-keys N] [--s3rver] [--cluster] [--memory] [--profile]
 *                          [--endpoint URL --access-key K --secret-key S [--region R]]
 *
 * Without --endpoint it creates a temp directory under os.tmpdir(), starts `tessera server` over
 * 4 drives in it (EC 2+2), and removes everything at the end (also on Ctrl-C and errors).
 *
 * With --s3rver it then installs s3rver (bench/s3rver.ts) into the temp directory, runs the same
 * workloads against it, and prints the single node's figures as ratios of s3rver's.
 *
 * With --cluster it then starts 4 local nodes × 4 drives (one set of 16 drives, EC 8+8: the same 2×
 * storage overhead) on loopback ports (bench/cluster.ts), runs the same workloads with requests spread
 * round-robin over the nodes, and prints that table too, each figure beside its ratio to the single
 * node's figure from the same run: the cost of going distributed on one machine. The same workloads
 * also run on one node over those 16 drives (what the drives cost apart from the nodes) and on 4
 * nodes × 1 drive (EC 2+2, the single node's own geometry: what the nodes cost apart from the drives).
 *
 * With --memory it starts the cluster too (for --cluster, after its workloads) and streams 8 objects of
 * 2 GiB (256 MiB with --quick) up and then down through its first node at once, printing every node's
 * peak resident set size (bench/memory.ts): streaming must not cost memory in proportion to objects.
 *
 * On the single node, the 4 KiB GETs are also made by a user whose only policy has POLICY_STATEMENTS
 * statements (the one allowing them last): root's and the user's GETs run alternately, in
 * cfg.policyUserRounds rounds each, and each figure is the median over its rounds, so that both see
 * the same load on a shared machine. The user's ops/s must be at least POLICY_USER_MIN_RATIO of root's.
 *
 * Every measured workload also reports the servers' CPU time per operation (user + system, from
 * /proc, all nodes together), which load on the machine does not inflate as it does wall-clock
 * figures. With --profile, each server records a CPU profile of each workload (admin API), saved as
 * bench-profiles/<run>/<server>/<workload>.cpuprofile.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AdminClient } from '../src/admin/client.js';
import { measureCodec } from './codec.js';
import { cpuMs } from './cpu.js';
import { measureDisk, measureMd5, type DiskResult } from './disk.js';
import { objectPath, runPhase, S3Http, type PhaseResult } from './load.js';
import { BenchCluster, RoundRobinHttp } from './cluster.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { SLAB_BYTES } from '../src/storage/aligned-slabs.js';
import { S3rverPeer, S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, S3RVER_VERSION } from './s3rver.js';
import { BenchServer } from './server.js';
import { SigV4Signer } from './sigv4.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const DATA_SHARDS = 2;
const PARITY_SHARDS = 2;
const DRIVES = DATA_SHARDS + PARITY_SHARDS;
const CLUSTER_NODES = 4;
const CLUSTER_DRIVES_PER_NODE = 4;
const MEMORY_CLIENTS = 8;
/** Issue 11: a node's RSS while 8 clients stream 2 GiB objects through it. */
const MEMORY_LIMIT_MB = 300;
/** The size class also measured as a user with a policy (issue: authorisation is cheap). */
const POLICY_USER_CLASS = '4 KiB';
const POLICY_STATEMENTS = 20;
/** The policy user's 4 KiB GET ops/s must be at least this share of root's. */
const POLICY_USER_MIN_RATIO = 0.9;

interface SizeClass {
  name: string;
  prefix: string;
  size: number;
  concurrency: number;
  putSeconds: number;
  getSeconds: number;
  /** start at least this many operations, however long they take */
  minOps: number;
  /** the figure to headline: payload MB/s or ops/s */
  unit: 'MB/s' | 'ops/s';
}

interface Config {
  diskBytes: number;
  md5Seconds: number;
  codecSeconds: number;
  classes: SizeClass[];
  listKeys: number;
  listObjectSize: number;
  listCreateConcurrency: number;
  listPageSize: number;
  listSeconds: number;
  /** unmeasured 1 MiB PUTs and GETs first, so the first phase does not pay for JIT warm-up */
  warmupSeconds: number;
  /** Rounds of POLICY_USER_CLASS GETs for root and for the policy user each, alternately (each round as long as the class's GET phase). */
  policyUserRounds: number;
}

function config(quick: boolean, listKeys: number | undefined, cluster = false): Config {
  const s = (full: number, q: number): number => (quick ? q : full);
  return {
    diskBytes: s(512, 128) * MiB,
    md5Seconds: s(1.5, 0.5),
    codecSeconds: s(2, 1),
    classes: [
      { name: '64 MiB', prefix: 'big', size: 64 * MiB, concurrency: 4, putSeconds: s(15, 3), getSeconds: s(10, 2), minOps: s(12, 4), unit: 'MB/s' },
      { name: '1 MiB', prefix: 'mid', size: 1 * MiB, concurrency: 4, putSeconds: s(10, 2.5), getSeconds: s(8, 2), minOps: 8, unit: 'MB/s' },
      { name: '4 KiB', prefix: 'small', size: 4 * KiB, concurrency: 32, putSeconds: s(10, 2.5), getSeconds: s(8, 2), minOps: 64, unit: 'ops/s' },
    ],
    // A cluster creates small objects ~10x slower than one node: fewer keys keep --cluster within ~4 minutes
    // (both runs list the same number, so their figures compare).
    listKeys: listKeys ?? (cluster ? s(5_000, 2_000) : 10_000),
    listObjectSize: 4 * KiB,
    listCreateConcurrency: 128,
    listPageSize: 1000,
    listSeconds: s(5, 1),
    warmupSeconds: s(2, 1),
    // An even number: root, user, user, root, ... gives each the same mean position in time.
    policyUserRounds: 4,
  };
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  if (x >= 1000) return Math.round(x).toLocaleString('en-US');
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function fmtMs(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** ListObjectVersions is measured over this many versions of each listed key. */
const VERSIONS_PER_KEY = 10;

const keyName = (prefix: string, i: number): string => `${prefix}/${String(i).padStart(6, '0')}`;

interface ResultRow {
  workload: string;
  op: 'PUT' | 'GET' | 'LIST';
  objectBytes?: number;
  concurrency: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  mbPerSec: number;
  /** keys/s for listings */
  keysPerSec?: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  errorSamples: string[];
  unit: 'MB/s' | 'ops/s' | 'keys/s';
  limitName?: string;
  limitMBps?: number;
  ratio?: number;
  /** The servers' CPU time per operation (per page for LIST), all processes together. */
  cpuMsPerOp?: number;
  /** A limit in ops/s (another row's figure) instead of limitMBps. */
  limitOpsPerSec?: number;
  /** The ratio the row must reach (below it, the markdown says so). */
  minRatio?: number;
  /** When the figures are medians over rounds: each round's ops/s, in the order they ran. */
  roundsOpsPerSec?: number[];
}

interface Limits {
  disk: DiskResult;
  md5MBps: number;
  codecEncodeMBps: number;
  codecReconstructMBps: number;
  /** min(raw write / 2, MD5) */
  putLimitMBps: number;
  putLimitName: string;
  /** raw read (uncached if the drop worked) */
  getLimitMBps: number;
}

function row(workload: string, op: ResultRow['op'], unit: ResultRow['unit'], concurrency: number, r: PhaseResult, objectBytes?: number): ResultRow {
  return {
    workload,
    op,
    objectBytes,
    concurrency,
    ops: r.ops,
    seconds: r.seconds,
    opsPerSec: r.opsPerSec,
    mbPerSec: r.mbPerSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: r.errors,
    errorSamples: r.errorSamples,
    unit,
  };
}

function withLimit(r: ResultRow, name: string, limit: number): ResultRow {
  return { ...r, limitName: name, limitMBps: limit, ratio: r.mbPerSec / limit };
}

/** A limit in ops/s (another workload's figure), which the row must reach `minRatio` of. */
function withOpsLimit(r: ResultRow, name: string, limit: number, minRatio: number): ResultRow {
  return { ...r, limitName: name, limitOpsPerSec: limit, ratio: r.opsPerSec / limit, minRatio };
}

/** Sends signed S3 requests: S3Http, or RoundRobinHttp over a cluster's nodes. */
type Requester = Pick<S3Http, 'request' | 'close'>;

/** A user whose only policy has POLICY_STATEMENTS statements (see policyUserPolicy). */
interface PolicyUser {
  accessKey: string;
  /** A client signing with the user's keys. */
  client: (concurrency: number) => Requester;
}

/** What runWorkloads needs: where to send requests and how to check the server is still there. */
interface WorkloadTarget {
  cfg: Config;
  limits: Limits;
  /** A client allowing `concurrency` requests in flight (one node, or round-robin over a cluster's nodes). */
  client: (concurrency: number) => Requester;
  /** With it, POLICY_USER_CLASS's GETs are measured as root and as this user, alternately. */
  policyUser?: PolicyUser;
  /** Throws if the server (or a cluster node) has exited. */
  checkServer: () => void;
  bodyFor: (size: number, i: number) => Buffer;
  bucket: string;
  listBucket: string;
  /** The server processes on this machine (none for --endpoint): their CPU time is measured, and profiled with --profile. */
  servers: BenchedServer[];
  /** Where --profile saves each server's profile of each workload. */
  profileDir?: string;
}

interface BenchedServer {
  name: string;
  pid: number;
  /** Tessera's admin API (CPU profiles); none for s3rver. */
  admin?: AdminClient;
}

/**
 * Runs one measured phase: the servers' CPU time per operation goes into the row that `toRow` makes,
 * and with --profile every server's CPU profile of the phase is saved.
 */
async function measured(target: WorkloadTarget, name: string, phase: () => Promise<PhaseResult>, toRow: (r: PhaseResult) => ResultRow): Promise<{ result: PhaseResult; row: ResultRow }> {
  const { servers } = target;
  const profiled = target.profileDir ? servers.filter((s) => s.admin) : [];
  await Promise.all(profiled.map((s) => s.admin!.startProfile()));
  const before = cpuMs(servers.map((s) => s.pid));
  const result = await phase();
  const used = cpuMs(servers.map((s) => s.pid)) - before;
  const file = `${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.cpuprofile`;
  for (const s of profiled) {
    const dir = join(target.profileDir!, s.name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, file), await s.admin!.stopProfile());
  }
  const row = toRow(result);
  row.cpuMsPerOp = servers.length > 0 && result.ops > 0 ? used / result.ops : undefined;
  return { result, row };
}

/**
 * Full listings of `bucket` one page after another for ~cfg.listSeconds, each checked to return
 * `expected` entries in order: ListObjectsV2 (`objects`, keys) or ListObjectVersions (`versions`,
 * versions and delete markers). The row's figures are entries per second and CPU-ms per page.
 */
async function measureListing(target: WorkloadTarget, name: string, bucket: string, expected: number, kind: 'objects' | 'versions'): Promise<ResultRow> {
  const { cfg, checkServer } = target;
  const listClient = target.client(1);
  log(`${name} for ~${cfg.listSeconds} s`);
  let pageLatencies: number[] = [];
  const entryPattern = kind === 'objects' ? /<Key>([^<]*)<\/Key>/g : /<(?:Version|DeleteMarker)><Key>([^<]*)<\/Key><VersionId>([^<]*)<\/VersionId>/g;
  const unescape = (text: string): string => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  const { result: list, row: listRow } = await measured(
    target,
    name,
    () =>
      runPhase({
        concurrency: 1,
        seconds: cfg.listSeconds,
        maxErrors: 1,
        op: async () => {
          let resume: Record<string, string> = {};
          let entries = 0;
          let last = '';
          for (;;) {
            const query: Record<string, string> = { ...(kind === 'objects' ? { 'list-type': '2' } : { versions: '' }), 'max-keys': String(cfg.listPageSize), ...resume };
            const t0 = performance.now();
            const res = await listClient.request('GET', objectPath(bucket), { query, keepBody: true });
            pageLatencies.push(performance.now() - t0);
            const xml = res.body!.toString('utf8');
            const page = [...xml.matchAll(entryPattern)].map((m) => `${m[1]!}\u0000${m[2] ?? ''}`);
            if (page.length > cfg.listPageSize) throw new Error(`a page held ${page.length} entries, max-keys was ${cfg.listPageSize}`);
            if (page.length > 0 && page[0]! <= last && kind === 'objects') throw new Error(`listing went backwards: ${page[0]} after ${last}`);
            last = page.at(-1) ?? last;
            entries += page.length;
            if (!/<IsTruncated>true<\/IsTruncated>/.test(xml)) break;
            if (kind === 'objects') {
              const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
              if (!next) throw new Error('IsTruncated without a NextContinuationToken');
              resume = { 'continuation-token': unescape(next) };
            } else {
              const key = /<NextKeyMarker>([^<]*)<\/NextKeyMarker>/.exec(xml)?.[1];
              const version = /<NextVersionIdMarker>([^<]*)<\/NextVersionIdMarker>/.exec(xml)?.[1];
              if (key === undefined) throw new Error('IsTruncated without a NextKeyMarker');
              resume = { 'key-marker': unescape(key), ...(version !== undefined ? { 'version-id-marker': version } : {}) };
            }
          }
          if (entries !== expected) throw new Error(`a full listing returned ${entries} entries, expected ${expected}`);
          return entries;
        },
      }),
    (r) => row(name, 'LIST', 'keys/s', 1, r),
  );
  checkServer();
  if (list.ops === 0) throw new Error(`listing failed: ${list.errorSamples.join('; ')}`);
  pageLatencies = pageLatencies.sort((a, b) => a - b);
  if (listRow.cpuMsPerOp !== undefined) listRow.cpuMsPerOp /= Math.ceil(expected / cfg.listPageSize);
  listRow.keysPerSec = list.bytes / list.seconds; // the op returns entries, not bytes
  listRow.mbPerSec = NaN;
  listRow.p50Ms = pageLatencies[Math.floor(pageLatencies.length * 0.5)] ?? NaN;
  listRow.p99Ms = pageLatencies[Math.min(pageLatencies.length - 1, Math.ceil(pageLatencies.length * 0.99) - 1)] ?? NaN;
  log(`  ${list.ops} full listings in ${list.seconds.toFixed(1)} s: ${fmt(listRow.keysPerSec)} entries/s${cpuNote(listRow)}`);
  listRow.ops = list.ops;
  return listRow;
}

/**
 * A versioned bucket's listings beside the plain one (issue 12): cfg.listKeys keys with
 * VERSIONS_PER_KEY versions each (the newest of every tenth key a delete marker), then ListObjectsV2
 * (current versions only: a range scan that skips markers) and ListObjectVersions over all of them.
 */
async function measureVersionedListing(target: WorkloadTarget, bucket: string): Promise<ResultRow[]> {
  const { cfg } = target;
  const admin = target.client(1);
  const config = Buffer.from('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>');
  await admin.request('PUT', objectPath(bucket));
  await admin.request('PUT', objectPath(bucket), { query: { versioning: '' }, body: config, headers: { 'content-md5': createHash('md5').update(config).digest('base64') } });
  admin.close();
  const writers = target.client(cfg.listCreateConcurrency);
  const total = cfg.listKeys * VERSIONS_PER_KEY;
  log(`writing ${cfg.listKeys} keys x ${VERSIONS_PER_KEY} versions (${total}) into a versioned bucket at concurrency ${cfg.listCreateConcurrency}`);
  // Version v of every key before version v + 1 of any: no key's writes contend for its lock.
  const written = await runPhase({
    concurrency: cfg.listCreateConcurrency,
    count: total,
    maxErrors: 1,
    op: async (i) => {
      const key = keyName('v', i % cfg.listKeys);
      const isMarker = i >= total - cfg.listKeys && (i % cfg.listKeys) % 10 === 0;
      if (isMarker) await writers.request('DELETE', objectPath(bucket, key));
      else await writers.request('PUT', objectPath(bucket, key), { body: target.bodyFor(256, i) });
      return 0;
    },
  });
  writers.close();
  target.checkServer();
  if (written.errors > 0) throw new Error(`writing the versioned keys failed: ${written.errorSamples.join('; ')}`);
  const current = cfg.listKeys - Math.ceil(cfg.listKeys / 10);
  const keys = cfg.listKeys.toLocaleString('en-US');
  return [
    await measureListing(target, `ListObjectsV2, versioned: ${keys} keys x ${VERSIONS_PER_KEY} versions (${current.toLocaleString('en-US')} current)`, bucket, current, 'objects'),
    await measureListing(target, `ListObjectVersions, ${keys} keys x ${VERSIONS_PER_KEY} versions`, bucket, total, 'versions'),
  ];
}

function cpuNote(r: ResultRow): string {
  return r.cpuMsPerOp === undefined ? '' : `, server CPU ${fmtMs(r.cpuMsPerOp)} ms/op`;
}

/**
 * One GET phase of size class `sc` over `keys` (the indices PUT), signed by whoever `c` signs as; `name`
 * names its profile, `workload` its row.
 */
async function measureGet(target: WorkloadTarget, sc: SizeClass, c: Requester, keys: number[], name: string, workload = `GET ${sc.name}`): Promise<ResultRow> {
  const { limits, bucket } = target;
  log(`${name} x${sc.concurrency} for ~${sc.getSeconds} s over ${keys.length} objects`);
  const { result: get, row: getRow } = await measured(
    target,
    name,
    () =>
      runPhase({
        concurrency: sc.concurrency,
        seconds: sc.getSeconds,
        minOps: sc.minOps,
        op: async (i) => {
          const res = await c.request('GET', objectPath(bucket, keyName(sc.prefix, keys[i % keys.length]!)));
          if (res.bytes !== sc.size) throw new Error(`GET returned ${res.bytes} bytes, expected ${sc.size}`);
          return res.bytes;
        },
      }),
    (r) => {
      const made = row(workload, 'GET', sc.unit, sc.concurrency, r, sc.size);
      return sc.unit === 'MB/s' ? withLimit(made, limits.disk.readUncached ? 'raw read' : 'raw read (cached)', limits.getLimitMBps) : made;
    },
  );
  target.checkServer();
  log(`  ${get.ops} ops in ${get.seconds.toFixed(1)} s: ${fmt(get.mbPerSec)} MB/s, ${fmt(get.opsPerSec)} ops/s, ${get.errors} errors${cpuNote(getRow)}`);
  return getRow;
}

/**
 * GETs of `sc` over `keys` for cfg.warmupSeconds, taking turns among `clients`, not measured: the rounds
 * after them do not pay for what the PUTs left to do or for JIT warm-up. Throws on any failure (a user
 * refused stops the run saying why, rather than showing a ratio of 0).
 */
async function unmeasuredGets(target: WorkloadTarget, sc: SizeClass, clients: Requester[], keys: number[], who: string): Promise<void> {
  log(`unmeasured GET ${sc.name} ${who}, for ~${target.cfg.warmupSeconds} s`);
  const warm = await runPhase({
    concurrency: sc.concurrency,
    seconds: target.cfg.warmupSeconds,
    maxErrors: 1,
    op: async (i) => (await clients[i % clients.length]!.request('GET', objectPath(target.bucket, keyName(sc.prefix, keys[i % keys.length]!)))).bytes,
  });
  target.checkServer();
  if (warm.errors > 0) throw new Error(`GET ${sc.name} ${who}: ${warm.errorSamples.join('; ')}`);
}

/** The policy user's row names the statements, so that it is clear what it measures. */
const policyUserWorkload = (sc: SizeClass): string => `GET ${sc.name} as a user with a ${POLICY_STATEMENTS}-statement policy`;

/**
 * `sc`'s GETs as root and as `user`, over the same keys at the same concurrency, in cfg.policyUserRounds
 * rounds each of the class's GET duration, alternating root, user, user, root, root, user, ... so that
 * both see the same load on a shared machine (and neither always goes first). Returns root's row and
 * the user's, each figure the median over its rounds, the user's limited by root's ops/s.
 */
async function measureGetBesidePolicyUser(target: WorkloadTarget, user: PolicyUser, sc: SizeClass, rootClient: Requester, keys: number[]): Promise<ResultRow[]> {
  const rounds = target.cfg.policyUserRounds;
  const userClient = user.client(sc.concurrency);
  await unmeasuredGets(target, sc, [rootClient, userClient], keys, `as root and as ${user.accessKey}, alternately`);
  const byRoot: ResultRow[] = [];
  const byUser: ResultRow[] = [];
  for (let round = 1; round <= rounds; round++) {
    const asRoot = async (): Promise<void> => {
      byRoot.push(await measureGet(target, sc, rootClient, keys, `GET ${sc.name} as root, round ${round} of ${rounds}`));
    };
    const asUser = async (): Promise<void> => {
      byUser.push(await measureGet(target, sc, userClient, keys, `GET ${sc.name} as ${user.accessKey}, round ${round} of ${rounds}`, policyUserWorkload(sc)));
    };
    for (const phase of round % 2 === 1 ? [asRoot, asUser] : [asUser, asRoot]) await phase();
  }
  userClient.close();
  const root = medianOfRounds(byRoot);
  const asUser = medianOfRounds(byUser);
  log(`  median over ${rounds} rounds: root ${fmt(root.opsPerSec)} ops/s, ${user.accessKey} ${fmt(asUser.opsPerSec)} ops/s (${(asUser.opsPerSec / root.opsPerSec).toFixed(2)}x)`);
  return [root, withOpsLimit(asUser, `GET ${sc.name} as root, same rounds`, root.opsPerSec, POLICY_USER_MIN_RATIO)];
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One row for rounds of the same workload: counts summed, each rate, latency and CPU figure the median of the rounds'. */
function medianOfRounds(rounds: ResultRow[]): ResultRow {
  const of = (figure: (r: ResultRow) => number | undefined): number => median(rounds.map((r) => figure(r) ?? NaN));
  const sum = (figure: (r: ResultRow) => number): number => rounds.reduce((n, r) => n + figure(r), 0);
  const cpu = of((r) => r.cpuMsPerOp);
  return {
    ...rounds[0]!,
    ops: sum((r) => r.ops),
    seconds: sum((r) => r.seconds),
    errors: sum((r) => r.errors),
    errorSamples: rounds.flatMap((r) => r.errorSamples).slice(0, 3),
    opsPerSec: of((r) => r.opsPerSec),
    mbPerSec: of((r) => r.mbPerSec),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    cpuMsPerOp: Number.isFinite(cpu) ? cpu : undefined,
    roundsOpsPerSec: rounds.map((r) => r.opsPerSec),
  };
}

/**
 * The policy user's identity policy: POLICY_STATEMENTS statements as a team's might read (other buckets
 * and prefixes by wildcard, action wildcards, policy variables, conditions on aws:SourceIp, s3:prefix and
 * a header, a Deny on an unrelated prefix), the one allowing GETs of `bucket`'s objects last, so that
 * deciding each GET walks the whole list.
 */
function policyUserPolicy(bucket: string): string {
  const arn = (resource: string): string => `arn:aws:s3:::${resource}`;
  const statement = (effect: 'Allow' | 'Deny', actions: string[], resources: string[], condition?: Record<string, Record<string, string | string[]>>): Record<string, unknown> => ({
    Effect: effect,
    Action: actions,
    Resource: resources.map(arn),
    ...(condition ? { Condition: condition } : {}),
  });
  const statements = [
    statement('Allow', ['s3:ListAllMyBuckets', 's3:GetBucketLocation'], ['*']),
    statement('Allow', ['s3:ListBucket'], ['analytics-*'], { StringLike: { 's3:prefix': ['reports/*', 'exports/*'] } }),
    statement('Allow', ['s3:GetObject', 's3:PutObject'], ['analytics-*/reports/*', 'analytics-*/exports/*']),
    statement('Allow', ['s3:GetObject'], ['media-*/public/*', 'cdn-*/assets/*.css', 'cdn-*/assets/*.js']),
    statement('Allow', ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], ['uploads-*/incoming/${aws:username}/*']),
    statement('Allow', ['s3:ListBucketMultipartUploads'], ['uploads-*']),
    statement('Allow', ['s3:GetObject', 's3:GetObjectVersion'], ['logs-*/2024/*', 'logs-*/2025/*']),
    statement('Allow', ['s3:ListBucket', 's3:ListBucketVersions'], ['logs-*'], { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } }),
    statement('Allow', ['s3:GetObjectTagging', 's3:PutObjectTagging', 's3:DeleteObjectTagging'], ['archive-*/*']),
    statement('Allow', ['s3:Get*'], ['reference-data/*', 'reference-data']),
    statement('Allow', ['s3:DeleteObject'], ['scratch-*/tmp/*']),
    statement('Allow', ['s3:GetBucketVersioning', 's3:GetBucketTagging', 's3:GetLifecycleConfiguration'], ['*-prod']),
    statement('Allow', ['s3:PutObject'], ['ingest-*/*'], { StringEquals: { 's3:x-amz-server-side-encryption': 'AES256' } }),
    statement('Allow', ['s3:ListBucket'], ['home'], { StringLike: { 's3:prefix': ['home/${aws:username}/*', 'home/${aws:username}'] } }),
    statement('Allow', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], ['home/home/${aws:username}/*']),
    statement('Deny', ['s3:*'], ['*/confidential/*']),
    statement('Allow', ['s3:GetObjectAcl', 's3:PutObjectAcl'], ['shared-*/*']),
    statement('Allow', ['s3:GetObject'], ['backups-*/*'], { IpAddress: { 'aws:SourceIp': '10.20.0.0/16' } }),
    statement('Allow', ['s3:List*'], ['datasets-*'], { StringLike: { 's3:prefix': ['public/*'] } }),
    statement('Allow', ['s3:GetObject'], [`${bucket}/*`], { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } }),
  ];
  if (statements.length !== POLICY_STATEMENTS) throw new Error(`the policy user's policy has ${statements.length} statements, not ${POLICY_STATEMENTS}`);
  return JSON.stringify({ Version: '2012-10-17', Statement: statements.map((st, i) => ({ Sid: `Statement${i + 1}`, ...st })) }, null, 2);
}

/** Makes a user (through the admin API) whose only policy is policyUserPolicy(bucket); resolves with its keys. */
async function addPolicyUser(admin: AdminClient, bucket: string): Promise<{ accessKey: string; secretKey: string }> {
  const accessKey = 'bench-policy-user';
  const secretKey = `bench-${randomBytes(12).toString('hex')}`;
  const policy = `bench-${POLICY_STATEMENTS}-statements`;
  await admin.putPolicy(policy, policyUserPolicy(bucket));
  await admin.addUser(accessKey, secretKey);
  await admin.attachPolicies([policy], { user: accessKey });
  return { accessKey, secretKey };
}

/** The measured workloads (warm-up, PUT/GET per size class, listing), the same for a single node and a cluster. */
async function runWorkloads(target: WorkloadTarget): Promise<{ rows: ResultRow[]; written: Map<string, number[]>; create: PhaseResult }> {
  const { cfg, limits, client, checkServer, bodyFor, bucket, listBucket } = target;
  const rows: ResultRow[] = [];
  const written = new Map<string, number[]>();

  log(`warm-up: unmeasured 1 MiB PUTs and GETs for ~${cfg.warmupSeconds} s`);
  const warmClient = client(4);
  const warm = await runPhase({
    concurrency: 4,
    seconds: cfg.warmupSeconds,
    minOps: 8,
    op: async (i) => {
      const path = objectPath(bucket, keyName('warm', i));
      await warmClient.request('PUT', path, { body: bodyFor(MiB, i) });
      return (await warmClient.request('GET', path)).bytes;
    },
  });
  checkServer();
  written.set('warm', warm.succeeded);
  if (warm.ops === 0) throw new Error(`every warm-up request failed: ${warm.errorSamples.join('; ')}`);
  warmClient.close();
  for (const sc of cfg.classes) {
    const c = client(sc.concurrency);
    log(`PUT ${sc.name} x${sc.concurrency} for ~${sc.putSeconds} s`);
    const { result: put, row: putRow } = await measured(
      target,
      `PUT ${sc.name}`,
      () =>
        runPhase({
          concurrency: sc.concurrency,
          seconds: sc.putSeconds,
          minOps: sc.minOps,
          op: async (i) => {
            const body = bodyFor(sc.size, i);
            await c.request('PUT', objectPath(bucket, keyName(sc.prefix, i)), { body });
            return body.length;
          },
        }),
      (r) => {
        const made = row(`PUT ${sc.name}`, 'PUT', sc.unit, sc.concurrency, r, sc.size);
        return sc.unit === 'MB/s' ? withLimit(made, limits.putLimitName, limits.putLimitMBps) : made;
      },
    );
    checkServer();
    if (put.ops === 0) throw new Error(`every PUT of ${sc.name} failed: ${put.errorSamples.join('; ')}`);
    written.set(sc.prefix, put.succeeded);
    log(`  ${put.ops} ops in ${put.seconds.toFixed(1)} s: ${fmt(put.mbPerSec)} MB/s, ${fmt(put.opsPerSec)} ops/s, ${put.errors} errors${cpuNote(putRow)}`);
    rows.push(putRow);

    // correctness spot check: one object read back whole
    const probe = put.succeeded[0]!;
    const got = await c.request('GET', objectPath(bucket, keyName(sc.prefix, probe)), { keepBody: true });
    if (!got.body || Buffer.compare(got.body, bodyFor(sc.size, probe)) !== 0) {
      throw new Error(`GET ${keyName(sc.prefix, probe)} returned ${got.bytes} bytes that differ from what was PUT`);
    }

    const keys = put.succeeded;
    if (target.policyUser && sc.name === POLICY_USER_CLASS) rows.push(...(await measureGetBesidePolicyUser(target, target.policyUser, sc, c, keys)));
    else rows.push(await measureGet(target, sc, c, keys, `GET ${sc.name}`));
    c.close();
  }

  // --- listing -------------------------------------------------------------------------------
  const lc = client(cfg.listCreateConcurrency);
  log(`creating ${cfg.listKeys} keys of ${cfg.listObjectSize / KiB} KiB at concurrency ${cfg.listCreateConcurrency}`);
  const createName = `PUT 4 KiB, ${cfg.listKeys.toLocaleString('en-US')} keys for the listing`;
  const { result: create, row: createRow } = await measured(
    target,
    createName,
    () =>
      runPhase({
        concurrency: cfg.listCreateConcurrency,
        count: cfg.listKeys,
        maxErrors: 1,
        op: async (i) => {
          const body = bodyFor(cfg.listObjectSize, i);
          await lc.request('PUT', objectPath(listBucket, keyName('k', i)), { body });
          return body.length;
        },
      }),
    (r) => row(createName, 'PUT', 'ops/s', cfg.listCreateConcurrency, r, cfg.listObjectSize),
  );
  checkServer();
  if (create.errors > 0) throw new Error(`creating the listing keys failed: ${create.errorSamples.join('; ')}`);
  log(`  ${create.ops} ops in ${create.seconds.toFixed(1)} s: ${fmt(create.opsPerSec)} ops/s${cpuNote(createRow)}`);
  rows.push(createRow);
  lc.close();

  const listName = `ListObjectsV2, ${cfg.listKeys.toLocaleString('en-US')} keys, ${cfg.listPageSize.toLocaleString('en-US')}/page`;
  rows.push(await measureListing(target, listName, listBucket, cfg.listKeys, 'objects'));
  return { rows, written, create };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      endpoint: { type: 'string' },
      'access-key': { type: 'string' },
      'secret-key': { type: 'string' },
      region: { type: 'string', default: 'us-east-1' },
      'list-keys': { type: 'string' },
      cluster: { type: 'boolean', default: false },
      s3rver: { type: 'boolean', default: false },
      memory: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      [
        'usage: node dist/bench/run.js [--quick] [--json] [--list-keys N] [--s3rver] [--cluster] [--memory] [--profile]',
        '                              [--endpoint URL --access-key K --secret-key S [--region R]]',
        '',
        '  --quick       a ~30 s run (shorter phases, smaller raw-disk file)',
        '  --json        print the figures as JSON instead of a Markdown table',
        '  --list-keys   how many keys to create and list (default 10,000; with --cluster 5,000, or 2,000 with --quick)',
        '  --endpoint    bench an already-running server instead of starting one',
        `  --s3rver      then also install s3rver ${S3RVER_VERSION} into the temp directory and run the same workloads against it;`,
        '                the single node\'s figures are also given as ratios of s3rver\'s (needs the npm registry)',
        `  --cluster     then also start ${CLUSTER_NODES} local nodes x ${CLUSTER_DRIVES_PER_NODE} drives and run the same workloads`,
        '                round-robin over them; figures are also given as ratios of the single node\'s; then one node over',
        `                the same drives, and ${CLUSTER_NODES} nodes x 1 drive (the single node's geometry)`,
        `  --memory      start the cluster and stream ${MEMORY_CLIENTS} objects of 2 GiB (256 MiB with --quick) up and down through one`,
        '                node at once, printing every node\'s peak RSS (limit 300 MB)',
        '  --profile     save a CPU profile of every server per workload under bench-profiles/ (open in DevTools or speedscope)',
        '',
      ].join('\n'),
    );
    return;
  }
  const listKeysArg = values['list-keys'] === undefined ? undefined : Number(values['list-keys']);
  if (listKeysArg !== undefined && !(Number.isInteger(listKeysArg) && listKeysArg > 0)) throw new Error('--list-keys must be a positive integer');
  const cfg = config(values.quick!, listKeysArg, values.cluster!);
  const remote = values.endpoint !== undefined;
  if (remote && (values['access-key'] === undefined || values['secret-key'] === undefined)) {
    throw new Error('--endpoint needs --access-key and --secret-key');
  }
  if (remote && values.memory) throw new Error('--memory starts its own local nodes; it cannot be combined with --endpoint');
  if (remote && values.cluster) throw new Error('--cluster starts its own local nodes; it cannot be combined with --endpoint');
  if (remote && values.profile) throw new Error('--profile needs the servers this run starts; it cannot be combined with --endpoint');
  const profileRoot = values.profile ? join('bench-profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined;

  // --- cleanup, also on Ctrl-C / SIGTERM / unexpected exit ----------------------------------
  let tmp: string | undefined;
  let server: BenchServer | undefined;
  let cluster: BenchCluster | undefined;
  let s3rver: S3rverPeer | undefined;
  let remoteBuckets: string[] = [];
  const cleanupSync = (): void => {
    server?.killNow();
    cluster?.killNow();
    s3rver?.killNow();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  };
  const onSignal = (signal: NodeJS.Signals, code: number): void => {
    log(`${signal}: stopping the server and removing the temp directory`);
    cleanupSync();
    if (remoteBuckets.length > 0) log(`left behind on ${values.endpoint}: bucket(s) ${remoteBuckets.join(', ')}`);
    process.exit(code);
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  process.once('exit', cleanupSync);

  let clients: { close(): void }[] = [];
  try {
    tmp = await mkdtemp(join(os.tmpdir(), 'tessera-bench-'));
    log(`temp directory ${tmp}`);

    // --- limits -------------------------------------------------------------------------------
    log(`raw disk: writing ${cfg.diskBytes / MiB} MiB in 1 MiB writes + fsync, then reading it back`);
    const disk = await measureDisk(tmp, cfg.diskBytes);
    log(`raw disk: write ${fmt(disk.writeMBps)} MB/s, read ${fmt(disk.readMBps)} MB/s (${disk.readMethod}), cached read ${fmt(disk.cachedReadMBps)} MB/s`);
    log('MD5 (node:crypto, 1 MiB buffers, one core)');
    const md5MBps = measureMd5(cfg.md5Seconds);
    log(`MD5 ${fmt(md5MBps)} MB/s`);
    log(`Reed-Solomon ${DATA_SHARDS}+${PARITY_SHARDS} (bench/codec.ts measureCodec)`);
    const codec = await measureCodec(DATA_SHARDS, PARITY_SHARDS, cfg.codecSeconds);
    log(`codec encode ${fmt(codec.encodeMBps)} MB/s, reconstruct ${fmt(codec.reconstructMBps)} MB/s`);
    // Shard files are written with O_DIRECT where the filesystem takes it: that is the disk's limit for them.
    const writeHalf = ((disk.directWriteMBps ?? disk.writeMBps) * DATA_SHARDS) / DRIVES;
    const writeName = disk.directWriteMBps !== undefined ? 'raw O_DIRECT write / 2' : 'raw write / 2';
    const limits: Limits = {
      disk,
      md5MBps,
      codecEncodeMBps: codec.encodeMBps,
      codecReconstructMBps: codec.reconstructMBps,
      putLimitMBps: Math.min(writeHalf, md5MBps),
      putLimitName: writeHalf <= md5MBps ? writeName : 'MD5',
      getLimitMBps: disk.readMBps,
    };

    // --- the server ----------------------------------------------------------------------------
    let endpoint: string;
    let accessKey: string;
    let secretKey: string;
    let layout: string;
    if (remote) {
      endpoint = values.endpoint!.replace(/\/+$/, '');
      accessKey = values['access-key']!;
      secretKey = values['secret-key']!;
      layout = `remote server at ${endpoint} (layout unknown; limits assume EC ${DATA_SHARDS}+${PARITY_SHARDS} and were measured on this machine's ${os.tmpdir()})`;
    } else {
      accessKey = 'benchadmin';
      secretKey = `bench-${randomBytes(12).toString('hex')}`;
      const drives = Array.from({ length: DRIVES }, (_, i) => join(tmp!, `drive${i + 1}`));
      log(`starting tessera server over ${DRIVES} drives in ${tmp}`);
      server = await BenchServer.start(drives, PARITY_SHARDS, accessKey, secretKey);
      endpoint = server.endpoint;
      layout = `single node, ${server.layout ?? `${DRIVES} drives, --parity ${PARITY_SHARDS}`}`;
      log(`server ready at ${endpoint}: ${server.layout ?? '(no layout line)'}`);
    }
    const signer = new SigV4Signer(accessKey, secretKey, values.region!);
    const clientSigningWith =
      (keys: SigV4Signer) =>
      (concurrency: number): S3Http => {
        const c = new S3Http(endpoint, keys, concurrency);
        clients.push(c);
        return c;
      };
    const client = clientSigningWith(signer);
    const checkServer = (): void => {
      if (server && !server.running) throw new Error(`the server exited during the benchmark (${server.proc.exitCode ?? server.proc.signalCode}):\n${server.output}`);
    };

    const suffix = randomBytes(4).toString('hex');
    const bucket = `tessera-bench-${suffix}`;
    const listBucket = `tessera-bench-list-${suffix}`;
    const admin = client(4);
    await admin.request('PUT', objectPath(bucket));
    remoteBuckets = remote ? [bucket] : [];
    await admin.request('PUT', objectPath(listBucket));
    remoteBuckets = remote ? [bucket, listBucket] : [];

    // One random pool; object i of size S is pool[off(i) .. off(i) + S).
    const maxSize = Math.max(...cfg.classes.map((c) => c.size), cfg.listObjectSize);
    const pool = randomFillSync(Buffer.allocUnsafe(maxSize + MiB));
    const bodyFor = (size: number, i: number): Buffer => {
      const off = ((i * 7919 * 64) % (pool.length - size + 1)) & ~63;
      return pool.subarray(off, off + size);
    };

    const benched = (node: BenchServer, name: string): BenchedServer => ({ name, pid: node.proc.pid!, admin: new AdminClient({ url: node.endpoint, accessKey, secretKey }) });
    const servers = server ? [benched(server, 'single')] : [];
    let policyUser: PolicyUser | undefined;
    if (server) {
      const keys = await addPolicyUser(servers[0]!.admin!, bucket);
      log(`made user ${keys.accessKey} with a ${POLICY_STATEMENTS}-statement policy (admin API) for the ${POLICY_USER_CLASS} GETs`);
      policyUser = { accessKey: keys.accessKey, client: clientSigningWith(new SigV4Signer(keys.accessKey, keys.secretKey, values.region!)) };
    } else {
      log(`the ${POLICY_USER_CLASS} GETs as a policy user need a server this run starts (its admin API): not measured with --endpoint`);
    }
    const target: WorkloadTarget = { cfg, limits, client, policyUser, checkServer, bodyFor, bucket, listBucket, servers, profileDir: profileRoot };
    const { rows, written, create } = await runWorkloads(target);
    // Not on a remote server: its versions would be left behind (a DELETE of a versioned key adds a marker).
    if (!remote) rows.push(...(await measureVersionedListing(target, `tessera-bench-versions-${suffix}`)));

    // --- clean up a remote server's buckets -----------------------------------------------------
    if (remote) {
      log('deleting the benchmark buckets from the remote server');
      const toDelete: [string, string[]][] = [
        [bucket, [...written].flatMap(([prefix, indices]) => indices.map((i) => keyName(prefix, i)))],
        [listBucket, create.succeeded.map((i) => keyName('k', i))],
      ];
      for (const [b, keys] of toDelete) {
        for (let off = 0; off < keys.length; off += 1000) {
          const xml = `<Delete><Quiet>true</Quiet>${keys
            .slice(off, off + 1000)
            .map((k) => `<Object><Key>${k}</Key></Object>`)
            .join('')}</Delete>`;
          const body = Buffer.from(xml);
          await admin.request('POST', objectPath(b), {
            query: { delete: '' },
            body,
            headers: { 'content-md5': createHash('md5').update(body).digest('base64'), 'content-type': 'application/xml' },
          });
        }
        await admin.request('DELETE', objectPath(b));
      }
      remoteBuckets = [];
    }
    for (const c of clients) c.close();
    clients = [];

    // --- stop the server ------------------------------------------------------------------------
    const noteworthy = server ? [...server.noteworthy] : [];
    if (server) {
      log('stopping the server');
      await server.stop();
      server = undefined;
    }

    // --- the same workloads on s3rver ------------------------------------------------------------
    let s3rverRows: ResultRow[] | undefined;
    if (values.s3rver) {
      log(`installing s3rver ${S3RVER_VERSION} into ${tmp}/s3rver (npm registry) and starting it`);
      s3rver = await S3rverPeer.start(join(tmp, 's3rver'));
      const peer = s3rver;
      const peerSigner = new SigV4Signer(S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, values.region!);
      const peerClient = (concurrency: number): S3Http => {
        const c = new S3Http(peer.endpoint, peerSigner, concurrency);
        clients.push(c);
        return c;
      };
      const peerAdmin = peerClient(4);
      await peerAdmin.request('PUT', objectPath(bucket));
      await peerAdmin.request('PUT', objectPath(listBucket));
      const checkPeer = (): void => {
        if (!peer.running) throw new Error(`s3rver exited during the benchmark:\n${peer.lastOutput}`);
      };
      const result = await runWorkloads({ cfg, limits, client: peerClient, checkServer: checkPeer, bodyFor, bucket, listBucket, servers: [{ name: 's3rver', pid: peer.proc.pid! }] });
      s3rverRows = result.rows;
      for (const c of clients) c.close();
      clients = [];
      log('stopping s3rver');
      await peer.stop();
      s3rver = undefined;
      await rm(join(tmp, 's3rver'), { recursive: true, force: true });
    }

    // --- the same workloads on a local cluster -----------------------------------------------------
    const clusterRuns: ClusterRun[] = [];
    let memory: MemoryResult | undefined;
    if (values.cluster || values.memory) {
      for (let i = 0; i < DRIVES; i++) await rm(join(tmp, `drive${i + 1}`), { recursive: true, force: true });
    }
    // The cluster's drive layout on one node: what going distributed costs, apart from having more drives.
    let sameLayout: ClusterRun['sameLayout'];
    if (values.cluster) {
      const driveCount = CLUSTER_NODES * CLUSTER_DRIVES_PER_NODE;
      const dir = join(tmp, 'one-node-cluster-layout');
      log(`starting one node over ${driveCount} drives (the cluster's layout) in ${dir}`);
      const wide = await BenchServer.start(Array.from({ length: driveCount }, (_, i) => join(dir, `d${i + 1}`)), driveCount / 2, accessKey, secretKey);
      const wideClients: S3Http[] = [];
      const wideClient = (concurrency: number): S3Http => {
        const c = new S3Http(wide.endpoint, signer, concurrency);
        wideClients.push(c);
        return c;
      };
      try {
        const wideAdmin = wideClient(4);
        await wideAdmin.request('PUT', objectPath(bucket));
        await wideAdmin.request('PUT', objectPath(listBucket));
        const checkWide = (): void => {
          if (!wide.running) throw new Error(`the ${driveCount}-drive node exited during the benchmark:\n${wide.output}`);
        };
        const result = await runWorkloads({ cfg, limits, client: wideClient, checkServer: checkWide, bodyFor, bucket, listBucket, servers: [benched(wide, 'one-node-16-drives')], profileDir: profileRoot });
        sameLayout = { layout: `one node, ${wide.layout ?? `${driveCount} drives`}`, rows: result.rows };
      } finally {
        for (const c of wideClients) c.close();
        log(`stopping the ${driveCount}-drive node`);
        await wide.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }
    // The 4 × 4 cluster runs the workloads (with --cluster) and the memory test (with --memory); with
    // --cluster, 4 × 1 runs them again in the single node's own geometry (EC 2+2 over four drives).
    const geometries = [
      ...(values.cluster || values.memory ? [{ drivesPerNode: CLUSTER_DRIVES_PER_NODE, workloads: values.cluster!, memory: values.memory!, sameLayout }] : []),
      ...(values.cluster ? [{ drivesPerNode: 1, workloads: true, memory: false, sameLayout: undefined }] : []),
    ];
    for (const geometry of geometries) {
      const dir = join(tmp, `cluster-${CLUSTER_NODES}x${geometry.drivesPerNode}`);
      log(`starting a cluster of ${CLUSTER_NODES} nodes x ${geometry.drivesPerNode} drive(s) in ${dir}`);
      cluster = await BenchCluster.start(dir, CLUSTER_NODES, geometry.drivesPerNode, accessKey, secretKey);
      const nodes = cluster;
      log(`cluster ready at ${nodes.endpoints.join(' ')}: ${nodes.layout ?? '(no layout line)'}`);
      const roundRobins: RoundRobinHttp[] = [];
      const roundRobin = (concurrency: number): RoundRobinHttp => {
        const c = new RoundRobinHttp(nodes.endpoints, signer, concurrency);
        clients.push(c);
        roundRobins.push(c);
        return c;
      };
      const clusterAdmin = roundRobin(4);
      await clusterAdmin.request('PUT', objectPath(bucket));
      await clusterAdmin.request('PUT', objectPath(listBucket));
      const result = geometry.workloads
        ? await runWorkloads({
            cfg, limits, client: roundRobin, checkServer: () => nodes.check(), bodyFor, bucket, listBucket,
            servers: nodes.nodes.map((node, i) => benched(node, `cluster-${CLUSTER_NODES}x${geometry.drivesPerNode}-node${i + 1}`)),
            profileDir: profileRoot,
          })
        : undefined;
      for (const c of clients) c.close();
      clients = [];
      if (geometry.memory) {
        memory = await measureMemory({
          endpoint: nodes.endpoints[0],
          signer,
          bucket: `${bucket}-memory`,
          pids: nodes.nodes.map((n) => n.proc.pid!),
          clients: MEMORY_CLIENTS,
          objectBytes: values.quick ? 256 * MiB : 2048 * MiB,
          pool,
          log,
        });
        nodes.check();
      }
      const clusterNoteworthy = nodes.noteworthy;
      log('stopping the cluster');
      await nodes.stop();
      cluster = undefined;
      await rm(dir, { recursive: true, force: true });
      if (result) {
        clusterRuns.push({
          layout: `${CLUSTER_NODES} nodes × ${geometry.drivesPerNode} drive${geometry.drivesPerNode > 1 ? 's' : ''} on loopback, ${nodes.layout ?? `${CLUSTER_NODES * geometry.drivesPerNode} drives, default parity`}; requests round-robin over the nodes`,
          rows: result.rows,
          sameLayout: geometry.sameLayout,
          noteworthy: clusterNoteworthy,
          retries: roundRobins.reduce((n, c) => n + c.retries, 0),
        });
      }
    }
    await rm(tmp, { recursive: true, force: true });
    tmp = undefined;

    const machine = {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      tmpdir: os.tmpdir(),
    };
    if (profileRoot) log(`CPU profiles of every server and workload saved under ${profileRoot}/`);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            quick: values.quick,
            server: layout,
            machine,
            limits: {
              rawWriteMBps: disk.writeMBps,
              rawDirectWriteMBps: disk.directWriteMBps,
              rawReadMBps: disk.readMBps,
              rawReadUncached: disk.readUncached,
              rawReadMethod: disk.readMethod,
              rawCachedReadMBps: disk.cachedReadMBps,
              rawBytes: disk.bytes,
              md5MBps: limits.md5MBps,
              codecEncodeMBps: limits.codecEncodeMBps,
              codecReconstructMBps: limits.codecReconstructMBps,
              putLimitMBps: limits.putLimitMBps,
              putLimitName: limits.putLimitName,
              getLimitMBps: limits.getLimitMBps,
            },
            results: rows.map((r) => ({ ...r, mbPerSec: Number.isFinite(r.mbPerSec) ? r.mbPerSec : undefined })),
            policyUser: policyUserJson(rows),
            serverLogNoteworthy: noteworthy,
            ...(memory ? { memory: { ...memory, limitMB: MEMORY_LIMIT_MB } } : {}),
            ...(s3rverRows
              ? {
                  s3rver: {
                    version: S3RVER_VERSION,
                    results: s3rverRows.map((r) => ({ ...r, mbPerSec: Number.isFinite(r.mbPerSec) ? r.mbPerSec : undefined, tesseraVsS3rver: versus(sameWorkload(rows, r), r) })),
                  },
                }
              : {}),
            clusters: clusterRuns.map((run) => ({
              server: run.layout,
              results: run.rows.map((r) => ({
                ...r,
                mbPerSec: Number.isFinite(r.mbPerSec) ? r.mbPerSec : undefined,
                vsSingleNode: versus(r, sameWorkload(rows, r)),
                ...(run.sameLayout ? { vsOneNodeSameDrives: versus(r, sameWorkload(run.sameLayout.rows, r)) } : {}),
              })),
              serverLogNoteworthy: run.noteworthy,
              retriedAfterConnectionReset: run.retries,
            })),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      process.stdout.write(renderMarkdown(rows, limits, layout, machine, values.quick!, noteworthy));
      if (s3rverRows) process.stdout.write(renderS3rver(s3rverRows, rows, values.quick!));
      for (const run of clusterRuns) process.stdout.write(renderCluster(run, rows, layout, values.quick!));
      if (memory) process.stdout.write(renderMemory(memory));
    }
  } finally {
    for (const c of clients) c.close();
    s3rver?.killNow();
    if (cluster) {
      log('stopping the cluster');
      await cluster.stop(5_000).catch(() => cluster?.killNow());
      cluster = undefined;
    }
    if (server) {
      log('stopping the server');
      await server.stop(5_000).catch(() => server?.killNow());
      server = undefined;
    }
    if (tmp) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      tmp = undefined;
    }
    if (remoteBuckets.length > 0) log(`left behind on ${values.endpoint}: bucket(s) ${remoteBuckets.join(', ')}`);
  }
}

interface ClusterRun {
  layout: string;
  rows: ResultRow[];
  /** The same workloads on one node over as many drives as the cluster has, in the same layout. */
  sameLayout?: { layout: string; rows: ResultRow[] };
  noteworthy: string[];
  /** Requests sent a second time after a connection reset (see RoundRobinHttp). */
  retries: number;
}

/** The headline figure of a row in its unit. */
function headline(r: ResultRow): number {
  return r.unit === 'keys/s' ? (r.keysPerSec ?? NaN) : r.unit === 'ops/s' ? r.opsPerSec : r.mbPerSec;
}

/** A cluster row's figures divided by the single node's (throughput above 1: the cluster is faster; latency above 1: slower). */
function versus(c: ResultRow | undefined, s: ResultRow | undefined): { result: number; p50: number; p99: number; cpu?: number } | undefined {
  if (!c || !s || s.workload !== c.workload) return undefined;
  return { result: headline(c) / headline(s), p50: c.p50Ms / s.p50Ms, p99: c.p99Ms / s.p99Ms, cpu: cpuRatio(c, s) };
}

/** CPU-ms/op of `c` ÷ that of `s`, when both were measured. */
function cpuRatio(c: ResultRow, s: ResultRow): number | undefined {
  return c.cpuMsPerOp !== undefined && s.cpuMsPerOp !== undefined ? c.cpuMsPerOp / s.cpuMsPerOp : undefined;
}

/** Root's POLICY_USER_CLASS GETs and the policy user's, measured in alternating rounds (when they were). */
function policyUserComparison(rows: ResultRow[]): { root: ResultRow; user: ResultRow } | undefined {
  const user = rows.find((r) => r.limitOpsPerSec !== undefined && r.roundsOpsPerSec !== undefined);
  const root = rows.find((r) => r.workload === `GET ${POLICY_USER_CLASS}` && r.roundsOpsPerSec !== undefined);
  return user && root ? { root, user } : undefined;
}

/** The same comparison for the JSON output. */
function policyUserJson(rows: ResultRow[]): Record<string, unknown> | undefined {
  const c = policyUserComparison(rows);
  if (!c) return undefined;
  return {
    workload: c.user.workload,
    policyStatements: POLICY_STATEMENTS,
    measurement: `${c.root.roundsOpsPerSec!.length} rounds each, alternating root and user (root, user, user, root, ...); each figure the median over its rounds`,
    root: { opsPerSec: c.root.opsPerSec, p50Ms: c.root.p50Ms, p99Ms: c.root.p99Ms, cpuMsPerOp: c.root.cpuMsPerOp, roundsOpsPerSec: c.root.roundsOpsPerSec },
    user: { opsPerSec: c.user.opsPerSec, p50Ms: c.user.p50Ms, p99Ms: c.user.p99Ms, cpuMsPerOp: c.user.cpuMsPerOp, roundsOpsPerSec: c.user.roundsOpsPerSec },
    ratio: c.user.ratio,
    cpuRatio: cpuRatio(c.user, c.root),
    minRatio: POLICY_USER_MIN_RATIO,
    met: (c.user.ratio ?? 0) >= POLICY_USER_MIN_RATIO,
  };
}

/** The markdown's lines on the policy user: a row for the limits table, and how it was measured. */
function policyUserLines(rows: ResultRow[]): { limitRow?: string; note?: string } {
  const c = policyUserComparison(rows);
  if (!c) return {};
  const { root, user } = c;
  const rounds = root.roundsOpsPerSec!.length;
  const ratio = user.ratio ?? NaN;
  const perRound = (r: ResultRow): string => r.roundsOpsPerSec!.map((x) => fmt(x)).join(', ');
  return {
    limitRow:
      `| ${POLICY_USER_CLASS} GET as a policy user ≥ ${POLICY_USER_MIN_RATIO}× root | ${fmtRatio(ratio)}: ${ratio >= POLICY_USER_MIN_RATIO ? 'met' : 'NOT met'} | ` +
      `${fmt(user.opsPerSec)} ÷ ${fmt(root.opsPerSec)} ops/s (median of ${rounds} rounds each); server CPU-ms/op ${cpuCell(user)} as the user, ${cpuCell(root)} as root (${fmtRatio(cpuRatio(user, root))}) |`,
    note:
      `"GET ${POLICY_USER_CLASS}" and "${user.workload}": the same objects at the same concurrency, signed with root's keys and with a user's made through the admin API, ` +
      `whose only policy has ${POLICY_STATEMENTS} statements (wildcard resources over other buckets and prefixes, conditions on aws:SourceIp and s3:prefix, a Deny on an unrelated prefix) ` +
      `with the one allowing these GETs last. As the machine is shared and its load varies, they ran alternately in ${rounds} rounds each of ~${fmt(root.seconds / rounds)} s ` +
      `(root, user, user, root, ...), and each of their figures (ops/s, latency, CPU) is the median over its rounds. ` +
      `Per round, ops/s as root: ${perRound(root)}; as the user: ${perRound(user)}.`,
  };
}

/** The row of `rows` for the same workload as `r` (the runs' tables need not hold the same rows). */
function sameWorkload(rows: ResultRow[], r: ResultRow): ResultRow | undefined {
  return rows.find((x) => x.workload === r.workload);
}

function limitCell(r: ResultRow): string {
  if (r.limitOpsPerSec !== undefined) return `${fmt(r.limitOpsPerSec)} ops/s (${r.limitName})`;
  return r.limitMBps === undefined ? '—' : `${fmt(r.limitMBps)} MB/s (${r.limitName})`;
}

function ratioCell(r: ResultRow): string {
  if (r.ratio === undefined) return '—';
  const required = r.minRatio === undefined ? '' : ` (≥ ${r.minRatio}: ${r.ratio >= r.minRatio ? 'yes' : 'NO'})`;
  return `${r.ratio.toFixed(2)}${required}`;
}

function cpuCell(r: ResultRow): string {
  return r.cpuMsPerOp === undefined ? '—' : `${fmtMs(r.cpuMsPerOp)}${r.op === 'LIST' ? ' per page' : ''}`;
}

function fmtRatio(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`;
}

/** The headline figure of a row with its unit. */
function resultCell(r: ResultRow): string {
  if (r.unit === 'keys/s') return `${fmt(r.keysPerSec)} keys/s`;
  if (r.unit === 'ops/s') return `${fmt(r.opsPerSec)} ops/s (${fmt(r.mbPerSec)} MB/s)`;
  return `${fmt(r.mbPerSec)} MB/s (${fmt(r.opsPerSec)} ops/s)`;
}

function renderMemory(m: MemoryResult): string {
  const out: string[] = [];
  out.push(`### Memory: ${m.clients} clients streaming ${m.objectBytes / MiB} MiB objects through one cluster node`);
  out.push('');
  out.push(`All at once, PUT at ${fmt(m.putMBps)} MB/s, then GET at ${fmt(m.getMBps)} MB/s (total payload); node 1 took every request. Resident set size sampled from /proc every 100 ms: the server's, plus its metadata writer's own (anonymous) pages; the writer's other resident pages are the node binary and lmdb files the server has resident too.`);
  out.push('');
  out.push('"Anonymous" counts heap and buffers only: RSS also holds the pages of lmdb\'s map of the metadata that the node has touched, which grow with the number of objects stored (the workloads before this one stored tens of thousands) and are page cache the kernel can reclaim.');
  out.push('');
  out.push('| Node | RSS before (MB) | Peak RSS (MB) | Anonymous before (MB) | Peak anonymous (MB) | Limit (MB) | RSS within | Anonymous within |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  m.peakRssMB.forEach((peak, i) => {
    const anon = m.peakAnonMB[i];
    out.push(`| ${i + 1} | ${fmt(m.startRssMB[i])} | ${fmt(peak)} | ${fmt(m.startAnonMB[i])} | ${fmt(anon)} | ${MEMORY_LIMIT_MB} | ${peak < MEMORY_LIMIT_MB ? 'yes' : 'NO'} | ${anon < MEMORY_LIMIT_MB ? 'yes' : 'NO'} |`);
  });
  out.push('');
  return out.join('\n');
}

function renderS3rver(peer: ResultRow[], single: ResultRow[], quick: boolean): string {
  const out: string[] = [];
  out.push(`### Tessera single node vs s3rver ${S3RVER_VERSION}${quick ? ' (--quick)' : ''}`);
  out.push('');
  out.push('s3rver: one process, objects as plain files, no erasure coding, no fsync. Same machine, client and workloads as above, in the same run.');
  out.push('"Tessera ÷ s3rver": throughput above 1× means Tessera is faster; CPU below 1× means Tessera spends less per operation.');
  out.push('');
  out.push('| Workload | Tessera | s3rver | Tessera ÷ s3rver | CPU-ms/op Tessera | CPU-ms/op s3rver | CPU ÷ |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  peer.forEach((p) => {
    const t = sameWorkload(single, p);
    if (!t) return;
    const v = versus(t, p);
    out.push(`| ${p.workload} | ${resultCell(t)} | ${resultCell(p)} | ${fmtRatio(v?.result)} | ${cpuCell(t)} | ${cpuCell(p)} | ${fmtRatio(v?.cpu)} |`);
  });
  for (const r of peer.filter((x) => x.errors > 0)) out.push(`\ns3rver, ${r.workload}: ${r.errors} failed operation(s), e.g. ${r.errorSamples.join('; ')}`);
  out.push('');
  return out.join('\n');
}

function renderCluster(run: ClusterRun, single: ResultRow[], singleLayout: string, quick: boolean): string {
  const out: string[] = [];
  out.push(`### Tessera cluster benchmark${quick ? ' (--quick)' : ''}`);
  out.push('');
  out.push(`${run.layout}. Same machine, same client, same workloads and limits as above, in the same run.`);
  out.push(`"× single" is the cluster's figure divided by the single node's (${singleLayout}): throughput below 1× and latency above 1× are the cost of going distributed.`);
  const wide = run.sameLayout;
  if (wide) out.push(`"× 1 node, same drives" divides by ${wide.layout}, measured in the same run: the cost of the nodes alone, apart from the cluster's four times as many drives.`);
  out.push('');
  out.push(`| Workload | Concurrency | Result | × single |${wide ? ' × 1 node, same drives |' : ''} Ops | p50 / p99 latency (ms) | × single (p50 / p99) | Server CPU-ms/op | × single |${wide ? ' × 1 node, same drives |' : ''} Limit | Ratio |`);
  out.push(`| --- | ---: | ---: | ---: |${wide ? ' ---: |' : ''} ---: | ---: | ---: | ---: | ---: |${wide ? ' ---: |' : ''} --- | ---: |`);
  run.rows.forEach((r) => {
    const v = versus(r, sameWorkload(single, r));
    const w = wide && versus(r, sameWorkload(wide.rows, r));
    const result = resultCell(r);
    const opsCell = r.op === 'LIST' ? `${r.ops} listings` : `${r.ops}${r.errors > 0 ? ` (+${r.errors} failed)` : ''}`;
    const latency = `${fmtMs(r.p50Ms)} / ${fmtMs(r.p99Ms)}${r.op === 'LIST' ? ' per page' : ''}`;
    const wideResult = wide ? ` ${fmtRatio(w?.result)} |` : '';
    const wideCpu = wide ? ` ${fmtRatio(w?.cpu)} |` : '';
    out.push(`| ${r.workload} | ${r.concurrency} | ${result} | ${fmtRatio(v?.result)} |${wideResult} ${opsCell} | ${latency} | ${fmtRatio(v?.p50)} / ${fmtRatio(v?.p99)} | ${cpuCell(r)} | ${fmtRatio(v?.cpu)} |${wideCpu} ${limitCell(r)} | ${ratioCell(r)} |`);
  });
  for (const r of run.rows.filter((x) => x.errors > 0)) out.push(`\n${r.workload}: ${r.errors} failed operation(s), e.g. ${r.errorSamples.join('; ')}`);
  if (run.retries > 0) out.push(`\n${run.retries} request(s) were sent again (to the next node) after a connection reset on a keep-alive socket.`);
  if (run.noteworthy.length > 0) {
    out.push('');
    out.push('Cluster log lines worth a look:');
    out.push('');
    out.push('```');
    out.push(...run.noteworthy.slice(0, 20));
    out.push('```');
  }
  out.push('');
  return out.join('\n');
}

function renderMarkdown(
  rows: ResultRow[],
  limits: Limits,
  layout: string,
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string; tmpdir: string },
  quick: boolean,
  noteworthy: string[],
): string {
  const d = limits.disk;
  const out: string[] = [];
  out.push(`### Tessera benchmark${quick ? ' (--quick)' : ''}`);
  out.push('');
  out.push(`${layout}; ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB RAM, Node ${machine.node}, ${machine.platform}.`);
  out.push('MB = 10^6 bytes; object sizes are binary (MiB/KiB). Client: node:http keep-alive, SigV4 with UNSIGNED-PAYLOAD, in the same machine as the server.');
  out.push('');
  out.push('| Workload | Concurrency | Result | Ops | p50 / p99 latency (ms) | Server CPU-ms/op | Limit | Ratio |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const r of rows) {
    const result = resultCell(r);
    const opsCell = r.op === 'LIST' ? `${r.ops} listings` : `${r.ops}${r.errors > 0 ? ` (+${r.errors} failed)` : ''}`;
    const latency = `${fmtMs(r.p50Ms)} / ${fmtMs(r.p99Ms)}${r.op === 'LIST' ? ' per page' : ''}`;
    out.push(`| ${r.workload} | ${r.concurrency} | ${result} | ${opsCell} | ${latency} | ${cpuCell(r)} | ${limitCell(r)} | ${ratioCell(r)} |`);
  }
  out.push('');
  out.push('Limits measured in the same run:');
  out.push('');
  out.push('| Limit | Value | How |');
  out.push('| --- | ---: | --- |');
  out.push(`| Raw sequential write | ${fmt(d.writeMBps)} MB/s | ${d.bytes / MiB} MiB in 1 MiB writes via node:fs, then one fsync (timed together), in ${machine.tmpdir} |`);
  out.push(`| Raw O_DIRECT write | ${d.directWriteMBps === undefined ? 'refused by the filesystem' : `${fmt(d.directWriteMBps)} MB/s`} | ${SLAB_BYTES / 1024} KiB writes from page-aligned memory with O_DIRECT, then one fsync, as shard files are written |`);
  out.push(`| Raw sequential read | ${fmt(d.readMBps)} MB/s | the same file, 1 MiB reads; ${d.readMethod} |`);
  out.push(`| Raw read, page cache | ${fmt(d.cachedReadMBps)} MB/s | the same file read again (for reference: GETs of just-written objects may be served from the page cache) |`);
  out.push(`| MD5 | ${fmt(limits.md5MBps)} MB/s | node:crypto, 1 MiB buffers, one core |`);
  out.push(`| Reed-Solomon ${DATA_SHARDS}+${PARITY_SHARDS} encode | ${fmt(limits.codecEncodeMBps)} MB/s | bench/codec.ts measureCodec(${DATA_SHARDS}, ${PARITY_SHARDS}), data bytes in, one core |`);
  out.push(`| Reed-Solomon ${DATA_SHARDS}+${PARITY_SHARDS} reconstruct | ${fmt(limits.codecReconstructMBps)} MB/s | same, rebuilding ${Math.min(DATA_SHARDS, PARITY_SHARDS)} lost data shards |`);
  const policyUser = policyUserLines(rows);
  if (policyUser.limitRow) out.push(policyUser.limitRow);
  out.push('');
  out.push('Ratios: PUT MB/s ÷ min(raw write / 2, MD5), the raw write being the O_DIRECT one where the filesystem takes it (as shard files are written) — EC 2+2 writes 2 bytes per byte stored and every PUT is MD5-hashed for its ETag; ' +
    `here the smaller is ${limits.putLimitName}. GET MB/s ÷ raw sequential read${d.readUncached ? ' (uncached)' : ' (which was cached, see above)'}. ` +
    'Codec and MD5 are absolute. A ratio above 1 means the figure beat the disk as measured, e.g. because writes have not reached the disk yet or reads came from the page cache. ' +
    `Small-object and listing figures have no limit, but for the policy user's ${POLICY_USER_CLASS} GETs, whose limit is root's (≥ ${POLICY_USER_MIN_RATIO}× required).`);
  if (policyUser.note) {
    out.push('');
    out.push(policyUser.note);
  }
  for (const r of rows.filter((x) => x.errors > 0)) out.push(`\n${r.workload}: ${r.errors} failed operation(s), e.g. ${r.errorSamples.join('; ')}`);
  if (noteworthy.length > 0) {
    out.push('');
    out.push('Server log lines worth a look:');
    out.push('');
    out.push('```');
    out.push(...noteworthy.slice(0, 20));
    out.push('```');
  }
  out.push('');
  return out.join('\n');
}

main().catch((err: unknown) => {
  log(`failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exitCode = 1;
});
