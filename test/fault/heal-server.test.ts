/**
 * Healing in a real `tessera server` (one node, EC 2+2 on 4 drives): a drive wiped while running
 * and replaced by an empty directory, bitrot in 10 random shard files repaired by a deep heal
 * started through the admin API (and one found by a read), a heal without read quorum, the
 * admin info and metrics endpoints, and a replaced drive whose heal is interrupted by SIGKILL and
 * resumes after the restart.
 *
 * Every result is checked on the drives (test/helpers/heal-disk.ts: records, shard sizes, every
 * block's hash, parity re-encoded, data decoded), not by what the server says about itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, type AdminInfo } from '../../src/admin/client.js';
import type { SequenceLine } from '../../src/heal/sequence.js';
import { flipByte, readRecords, shardPath, SYS, verifyDrives, type Expected } from '../helpers/heal-disk.js';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';
import { logLines } from '../helpers/log-lines.js';
import { Cli } from '../cli/cli-harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.destroy()));
});

/** Starts a server with these TESSERA_* knobs in its environment. */
async function startWith(env: Record<string, string>, options: { driveDirs?: string[] } = {}): Promise<TestServer> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const server = await TestServer.start({ drives: 4, ...options });
    servers.push(server);
    return server;
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

async function relaunchWith(server: TestServer, env: Record<string, string>): Promise<void> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await server.launch();
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

function admin(server: TestServer): AdminClient {
  return new AdminClient({ url: server.endpoint, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, server?: TestServer): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${server ? `\n--- server output ---\n${server.output}` : ''}`);
    await sleep(100);
  }
}

async function putObject(client: S3Client, bucket: string, key: string, size: number, into: Expected[]): Promise<void> {
  const body = randomBytes(size);
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  into.push({ bucket, key, body });
}

async function putMultipart(client: S3Client, bucket: string, key: string, sizes: number[], into: Expected[]): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts: { PartNumber: number; ETag: string }[] = [];
  const bodies: Buffer[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const body = randomBytes(sizes[i]);
    bodies.push(body);
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: body }));
    parts.push({ PartNumber: i + 1, ETag: ETag! });
  }
  await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  into.push({ bucket, key, body: Buffer.concat(bodies) });
}

async function expectContent(client: S3Client, e: Expected): Promise<void> {
  const res = await client.send(new GetObjectCommand({ Bucket: e.bucket, Key: e.key }));
  const bytes = await res.Body!.transformToByteArray();
  expect(bytes.length, `${e.key} length`).toBe(e.body.length);
  expect(sha(bytes), `${e.key} sha256`).toBe(sha(e.body));
}

async function collect(lines: AsyncIterable<SequenceLine>): Promise<SequenceLine[]> {
  const out: SequenceLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('one node, EC 2+2: replaced drive, bitrot, no quorum, admin API', () => {
  const bucket = 'heal';
  let server: TestServer;
  let client: S3Client;
  const objects: Expected[] = [];

  beforeAll(async () => {
    server = await startWith({ TESSERA_DRIVE_MONITOR_SECONDS: '0.3', TESSERA_SCANNER: 'off' });
    client = server.client();
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await putObject(client, bucket, 'empty', 0, objects);
    await putObject(client, bucket, 'inline-1k', KiB, objects);
    await putObject(client, bucket, 'inline-100k', 100 * KiB, objects);
    await putObject(client, bucket, 'dir/medium-300k', 300 * KiB, objects);
    await putObject(client, bucket, 'dir/blocks-3m5', 3 * MiB + 5, objects);
    for (let i = 0; i < 4; i++) await putObject(client, bucket, `more/obj-${i}`, 200 * KiB + i * 1000, objects);
    await putMultipart(client, bucket, 'multipart', [5 * MiB, MiB + 3], objects);
    const report = await verifyDrives(server.drives, objects);
    expect(report.problems).toEqual([]);
  });

  it('admin API: unsigned or wrongly signed requests are refused; info lists every drive and set', async () => {
    const unsigned = await fetch(`${server.endpoint}/tessera/admin/v1/info`);
    expect(unsigned.status).toBe(403);
    const wrong = new AdminClient({ url: server.endpoint, accessKey: ACCESS_KEY, secretKey: 'not-the-secret' });
    await expect(wrong.info()).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    const info = await admin(server).info();
    expect(info.nodes).toHaveLength(1);
    expect(info.nodes[0].drives.map((d) => d.state)).toEqual(['online', 'online', 'online', 'online']);
    expect(info.sets).toEqual([expect.objectContaining({ set: 1, drives: 4, online: 4, dataShards: 2, parityShards: 2, canLoseForRead: 2, canLoseForWrite: 1 })]);
    expect(info.healQueue.length).toBe(0);
    expect(info.scanner.enabled).toBe(false);
  });

  it('admin API: a CPU profile of the node is started (once at a time) and stopped into a .cpuprofile', async () => {
    const client = admin(server);
    await expect(client.stopProfile()).rejects.toMatchObject({ status: 409, code: 'ProfilerNotRunning' });
    await client.startProfile();
    await expect(client.startProfile()).rejects.toMatchObject({ status: 409, code: 'ProfilerRunning' });
    await client.info();
    const profile = JSON.parse((await client.stopProfile()).toString()) as { nodes: { callFrame: { functionName: string } }[]; samples: number[]; startTime: number; endTime: number };
    expect(profile.nodes.length).toBeGreaterThan(1);
    expect(profile.endTime).toBeGreaterThan(profile.startTime);
    const unsigned = await fetch(`${server.endpoint}/tessera/admin/v1/profile/start`, { method: 'POST' });
    expect(unsigned.status).toBe(403);
  });

  it('a drive wiped while running and replaced by an empty directory is reformatted and healed in full', async () => {
    const slot = 1;
    await rm(server.drives[slot], { recursive: true, force: true });
    await mkdir(server.drives[slot]);
    const seenHealing = await waitFor(
      'the drive to be healed',
      async () => {
        const info = await admin(server).info();
        return info.drivesHealedSinceStart.length > 0 ? info : undefined;
      },
      30_000,
      server,
    );
    const done = seenHealing.drivesHealedSinceStart[0];
    expect(done.reason).toBe('replaced');
    expect(done.objectsDone).toBe(objects.length);
    expect(done.objectsHealed).toBe(objects.length);
    expect(done.objectsFailed).toBe(0);
    expect(done.bytesDone).toBeGreaterThan(4 * MiB);
    expect(seenHealing.nodes[0].drives[slot].state).toBe('online');
    expect(existsSync(join(server.drives[slot], SYS, 'healing.json'))).toBe(false);
    expect(server.output).toMatch(/is a new, empty drive: formatted into its slot/);

    const report = await verifyDrives(server.drives, objects);
    expect(report.problems).toEqual([]);
    for (const e of objects) expect(report.shards.get(`${bucket}/${e.key}`), e.key).toBe(4);
    for (const e of objects) await expectContent(client, e);
  });

  it('10 random shard files with a flipped byte: a deep heal through the admin API repairs all 10', async () => {
    const withData = objects.filter((e) => e.body.length > 128 * KiB);
    const records = await Promise.all(server.drives.map((d) => readRecords(d, withData)));
    // 10 distinct (object, drive) pairs, at most 2 per object so every block keeps 2 good shards.
    const pairs: { e: Expected; slot: number }[] = [];
    const candidates = withData.flatMap((e) => [0, 1, 2, 3].map((slot) => ({ e, slot })));
    candidates.sort(() => Math.random() - 0.5);
    for (const c of candidates) {
      if (pairs.length === 10) break;
      if (pairs.filter((p) => p.e === c.e).length < 2) pairs.push(c);
    }
    expect(pairs).toHaveLength(10);
    for (const { e, slot } of pairs) {
      const version = records[slot][withData.indexOf(e)]!.versions[0];
      const part = version.parts[Math.floor(Math.random() * version.parts.length)];
      const file = shardPath(server.drives[slot], bucket, version.dataDir, part.number);
      const size = (await readFile(file)).length;
      await flipByte(file, 8 + Math.floor(Math.random() * (size - 8)) );
    }
    const broken = await verifyDrives(server.drives, objects);
    expect(broken.problems.length).toBeGreaterThanOrEqual(10);

    const lines = await collect(admin(server).heal({ bucket, recursive: true, deep: true }));
    const summary = lines.at(-1)!;
    expect(summary.type).toBe('summary');
    if (summary.type !== 'summary') return;
    expect(summary.state).toBe('done');
    expect(summary.objects).toBe(objects.length);
    expect(summary.corruptShards).toBe(10);
    expect(summary.failed).toBe(0);
    const healedKeys = new Set(lines.flatMap((l) => (l.type === 'object' && l.outcome === 'healed' ? [l.key] : [])));
    expect(healedKeys).toEqual(new Set(pairs.map((p) => p.e.key)));

    const report = await verifyDrives(server.drives, objects);
    expect(report.problems).toEqual([]);
    const metrics = await server.metrics();
    expect(metrics).toMatch(/tessera_bitrot_errors_total\{found_by="heal"\} 10\n/);
    expect(metrics).toMatch(/tessera_heal_objects_healed_total\{source="admin"\} [1-9]/);
    expect(metrics).toMatch(/tessera_heal_objects_healed_total\{source="drive"\} 10\n/);
    expect(metrics).toMatch(/tessera_s3_requests_total\{api="PutObject",code="200"\} \d+/);
  });

  it('a GET that meets a corrupt shard queues the object: it is repaired without anyone asking', async () => {
    const e = objects.find((o) => o.key === 'dir/blocks-3m5')!;
    const [record] = await readRecords(server.drives[0], [e]);
    const v = record!.versions[0];
    const dataSlot = v.erasure.distribution.indexOf(1); // holds data shard 1, read by every GET
    await flipByte(shardPath(server.drives[dataSlot], bucket, v.dataDir, 1), 8 + 1000);
    await expectContent(client, e);
    await waitFor('the heal on read', async () => ((await verifyDrives(server.drives, [e])).problems.length === 0 ? true : undefined), 10_000, server);
    const metrics = await server.metrics();
    expect(metrics).toMatch(/tessera_bitrot_errors_total\{found_by="read"\} 1\n/);
    expect(metrics).toMatch(/tessera_heal_objects_healed_total\{source="read"\} 1\n/);
  });

  it('a heal that cannot reach read quorum changes nothing and says why (dry run and real)', async () => {
    const e = objects.find((o) => o.key === 'dir/medium-300k')!;
    const [record] = await readRecords(server.drives[0], [e]);
    const v = record!.versions[0];
    const files = server.drives.map((d) => shardPath(d, bucket, v.dataDir, 1));
    for (const f of files.slice(0, 3)) await flipByte(f, 8 + 77);
    const before = await Promise.all(files.map((f) => readFile(f)));
    for (const dryRun of [true, false]) {
      const lines = await collect(admin(server).heal({ bucket, prefix: e.key, deep: true, dryRun }));
      const line = lines.find((l) => l.type === 'object');
      expect(line, JSON.stringify(lines)).toBeDefined();
      if (line?.type !== 'object') return;
      expect(line.outcome).toBe('failed');
      expect(line.reasons?.join(' ')).toMatch(/only 1 of the 2 shards needed are intact/);
    }
    const after = await Promise.all(files.map((f) => readFile(f)));
    after.forEach((b, i) => expect(b.equals(before[i]), `drive ${i + 1} changed`).toBe(true));
    for (const f of files.slice(0, 3)) await flipByte(f, 8 + 77);
    expect((await verifyDrives(server.drives, objects)).problems).toEqual([]);
  });
});

describe('the background scanner (TESSERA_SCANNER_* knobs)', () => {
  it('finds and repairs bitrot on a deep cycle and removes an old orphan data directory, nothing else', async () => {
    const server = await startWith({
      TESSERA_SCANNER_START_SECONDS: '0',
      TESSERA_SCANNER_INTERVAL_SECONDS: '0.5',
      TESSERA_SCANNER_DEEP_EVERY: '1',
      TESSERA_SCANNER_DELAY_MS: '0',
      TESSERA_ORPHAN_AGE_MINUTES: '0.02',
    });
    const client = server.client();
    await client.send(new CreateBucketCommand({ Bucket: 'scan' }));
    const objects: Expected[] = [];
    for (let i = 0; i < 3; i++) await putObject(client, 'scan', `o${i}`, 300 * KiB, objects);
    await putObject(client, 'scan', 'inline', 3 * KiB, objects);
    const [record] = await readRecords(server.drives[0], [objects[1]]);
    await flipByte(shardPath(server.drives[2], 'scan', record!.versions[0].dataDir, 1), 8 + 4321);
    const orphan = '0123abcd-0000-4000-8000-000000000000';
    await mkdir(join(server.drives[0], 'scan', '01', orphan), { recursive: true });
    await writeFile(join(server.drives[0], 'scan', '01', orphan, 'part.1'), randomBytes(1000));

    await waitFor(
      'the scanner to repair the shard and remove the orphan',
      async () => ((await verifyDrives(server.drives, objects)).problems.length === 0 && !existsSync(join(server.drives[0], 'scan', '01', orphan)) ? true : undefined),
      20_000,
      server,
    );
    const info = await admin(server).info();
    expect(info.scanner.enabled).toBe(true);
    expect(info.scanner.cycle).toBeGreaterThanOrEqual(1);
    const metrics = await server.metrics();
    expect(metrics).toMatch(/tessera_heal_objects_healed_total\{source="scanner"\} 1\n/);
    expect(metrics).toMatch(/tessera_orphans_removed_total 1\n/);
    expect(metrics).toMatch(/tessera_heal_dangling_removed_total 0\n/);
    for (const e of objects) await expectContent(client, e);
  });
});

describe('the admin CLI: tessera admin info, tessera admin heal', () => {
  it('shows drives and sets, heals with one line per object, JSON with --json, exit 1 when something cannot be healed', async () => {
    const server = await startWith({ TESSERA_SCANNER: 'off' });
    const client = server.client();
    await client.send(new CreateBucketCommand({ Bucket: 'cli' }));
    const objects: Expected[] = [];
    for (let i = 0; i < 3; i++) await putObject(client, 'cli', `dir/obj-${i}`, 300 * KiB, objects);
    const cli = await Cli.create(server);
    try {
      const info = await cli.ok(['admin', 'info', 'local']);
      expect(info.stdout).toMatch(/Set 1: EC 2\+2, 4\/4 drives online; can lose 2 more for reads, 1 for writes/);
      const [json] = await cli.json<AdminInfo>(['admin', 'info', 'local']);
      expect(json.sets[0].online).toBe(4);
      expect(json.nodes[0].drives).toHaveLength(4);

      const records = await readRecords(server.drives[0], objects);
      const v = records[1]!.versions[0];
      await flipByte(shardPath(server.drives[3], 'cli', v.dataDir, 1), 8 + 500);
      const heal = await cli.ok(['admin', 'heal', '--recursive', '--deep', 'local/cli/dir/']);
      expect(heal.stdout).toMatch(/^healed\s+cli\/dir\/obj-1\s+\[1:ok 2:ok 3:ok 4:healed\]/m);
      expect(heal.stdout).toMatch(/3 object\(s\): 1 healed, 0 removed, 0 failed, 2 ok; 1 bucket\(s\), 1 corrupt shard\(s\) found/);
      expect((await verifyDrives(server.drives, objects)).problems).toEqual([]);

      const lines = await cli.json<SequenceLine>(['admin', 'heal', '--recursive', '--dry-run', 'local/cli']);
      expect(lines.filter((l) => l.type === 'object').map((l) => l.type === 'object' && l.outcome)).toEqual(['ok', 'ok', 'ok']);
      expect(lines.at(-1)).toMatchObject({ type: 'summary', state: 'done', objects: 3 });

      // Three bad copies of a block: cannot be healed, exit 1, the reason printed.
      const files = server.drives.map((d) => shardPath(d, 'cli', records[0]!.versions[0].dataDir, 1));
      for (const f of files.slice(0, 3)) await flipByte(f, 8 + 9);
      const failed = await cli.run(['admin', 'heal', '--deep', 'local/cli/dir/obj-0']);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/^failed\s+cli\/dir\/obj-0 .*\n\s+version null part\.1: only 1 of the 2 shards needed are intact/m);
      expect(failed.stderr).toBe('tessera: 1 object(s) could not be healed\n');
      for (const f of files.slice(0, 3)) await flipByte(f, 8 + 9);

      const bad = await cli.fails(['admin', 'info', 'bad']);
      expect(bad.line).toMatch(/^tessera: bad \(.*\): SignatureDoesNotMatch: /);
      const down = await cli.fails(['admin', 'heal', 'down']);
      expect(down.line).toMatch(/^tessera: cannot reach down \(http:\/\/127\.0\.0\.1:9\): connection refused$/);
      const missing = await cli.fails(['admin', 'heal', 'local/cli/no-such-object']);
      expect(missing.line).toMatch(/no object local\/cli\/no-such-object/);
    } finally {
      await cli.destroy();
    }
  });
});

describe('a replaced drive, the node restarted half-way through its heal', () => {
  it('resumes from its progress file and finishes; every object whole on every drive', async () => {
    const bucket = 'resume';
    const knobs = { TESSERA_SCANNER: 'off', TESSERA_HEAL_DRIVE_DELAY_MS: '25', TESSERA_HEAL_DRIVE_WORKERS: '1' };
    const server = await startWith(knobs);
    const client = server.client();
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const objects: Expected[] = [];
    const puts: Promise<void>[] = [];
    for (let i = 0; i < 160; i++) {
      const key = `k${String(i).padStart(4, '0')}`;
      puts.push(putObject(client, bucket, key, i % 8 === 0 ? 200 * KiB : 2 * KiB + i, objects));
      if (puts.length === 8) await Promise.all(puts.splice(0));
    }
    await Promise.all(puts);

    expect(await server.stop('SIGTERM')).toBe(0);
    const slot = 2;
    for (const entry of await readdir(server.drives[slot])) await rm(join(server.drives[slot], entry), { recursive: true, force: true });
    await relaunchWith(server, knobs);
    expect(server.output).toMatch(/Fresh drives given their slot back/);

    const progressFile = join(server.drives[slot], SYS, 'healing.json');
    const partway = await waitFor(
      'the heal to be part-way',
      async () => {
        const p = JSON.parse(await readFile(progressFile, 'utf8')) as { objectsDone: number; objectsTotal: number; lastKey?: string };
        return p.objectsDone >= 40 ? p : undefined;
      },
      20_000,
      server,
    );
    expect(partway.objectsTotal).toBe(160);
    expect(partway.objectsDone).toBeLessThan(160);
    expect(partway.lastKey).toBeDefined();
    await server.stop('SIGKILL');
    const saved = JSON.parse(await readFile(progressFile, 'utf8')) as { objectsDone: number; lastKey: string };
    expect(saved.objectsDone).toBeGreaterThanOrEqual(40);
    expect(saved.objectsDone).toBeLessThan(160);

    await relaunchWith(server, { ...knobs, TESSERA_HEAL_DRIVE_DELAY_MS: '0' });
    // Healing starts just after the node answers ready, so its first log line may lag a little.
    const resuming = new RegExp(`resuming the heal of .*: ${saved.objectsDone} of ~160 objects done, continuing in bucket resume after "${saved.lastKey}"`);
    await waitFor('the resume message', async () => (logLines(server.output).some((line) => resuming.test(line.msg)) ? true : undefined), 10_000, server);
    const info = await waitFor(
      'the resumed heal to finish',
      async () => {
        const i: AdminInfo = await admin(server).info();
        return i.drivesHealedSinceStart.length > 0 ? i : undefined;
      },
      30_000,
      server,
    );
    const done = info.drivesHealedSinceStart[0];
    expect(done.resumed).toBe(1);
    // Counted across the restart: what was saved, plus the rest (objects after the last save are looked at twice).
    expect(done.objectsDone).toBeGreaterThanOrEqual(160);
    expect(done.objectsDone).toBeLessThan(160 + 40);
    expect(done.objectsFailed).toBe(0);
    expect(existsSync(progressFile)).toBe(false);

    const report = await verifyDrives(server.drives, objects);
    expect(report.problems).toEqual([]);
    for (const e of objects) expect(report.shards.get(`${bucket}/${e.key}`)).toBe(4);
  });
});
