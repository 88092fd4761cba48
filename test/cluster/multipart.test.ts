/**
 * A multipart upload that spans a node failure (4 nodes x 4 drives, EC 8+8): part 1 is uploaded with
 * all nodes up, part 2 while node 4 is down, part 3 after node 4 is back, and the upload is completed.
 *
 * Node 4's drives hold the upload record and parts 1 and 3, but not part 2. A drive that lacks a part
 * must not take part in the completed version (it would claim shards it does not have): the version's
 * metadata quorum must only count drives that hold every chosen part. Then, with two nodes down that
 * include one holding part 2 (survivors: node 2, which has everything, and node 4, which lacks part 2),
 * a GET must answer either the whole object or a clean 503 before any body byte — never a 200 whose
 * body breaks off.
 *
 * Background healing is switched off (TESSERA_HEAL=off) so that what CompleteMultipartUpload committed is
 * what the test sees.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { TestCluster, getBytes, objectPath, sha256, sleep, type NodeProcess, clusterSuite } from '../helpers/cluster.js';

const MiB = 1024 * 1024;
const BUCKET = 'multipart';
const KEY = 'spanning/upload';

interface StreamedGet {
  status: number;
  code?: string;
  bytes: Buffer;
  /** the body ended normally */
  complete: boolean;
  error?: string;
}

/** A signed GET that records the status, every byte received and whether the body ended normally. */
function streamedGet(node: NodeProcess, path: string): Promise<StreamedGet> {
  return new Promise((resolve) => {
    const req = node.openRequest('GET', path);
    req.setTimeout(30_000, () => req.destroy(new Error('no progress within 30 s')));
    req.on('error', (err) => resolve({ status: 0, bytes: Buffer.alloc(0), complete: false, error: err.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (complete: boolean, error?: string): void => {
        if (done) return;
        done = true;
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, code: /<Code>([^<]*)<\/Code>/.exec(bytes.toString('latin1'))?.[1], bytes, complete, error });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(res.complete));
      res.on('aborted', () => finish(false, 'aborted'));
      res.on('error', (err) => finish(false, err.message));
      res.on('close', () => finish(res.complete, res.complete ? undefined : 'closed early'));
    });
    req.end();
  });
}

describe('cluster multipart upload spanning a node failure', () => {
  let cluster: TestCluster;
  let clients: S3Client[];
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1 * MiB + 7)];
  const whole = Buffer.concat(parts);

  const { step } = clusterSuite({ nodes: 4, drivesPerNode: 4, env: { TESSERA_HEAL: 'off' } }, async (started) => {
    cluster = started;
    clients = cluster.nodes.map((n) => n.client());
    await clients[0].send(new CreateBucketCommand({ Bucket: BUCKET }));
  });


  /** Part files per drive of node `n` for every data dir of the bucket: { dataDir: [part files] } per drive. */
  const partFilesOn = async (n: NodeProcess): Promise<Record<string, string[]>[]> => {
    const out: Record<string, string[]>[] = [];
    for (let d = 0; d < cluster.drivesPerNode; d++) {
      const found: Record<string, string[]> = {};
      const bucketDir = join(n.drivePath(d), BUCKET);
      for (const prefix of await readdir(bucketDir).catch(() => [] as string[])) {
        for (const dataDir of await readdir(join(bucketDir, prefix))) found[dataDir] = (await readdir(join(bucketDir, prefix, dataDir))).sort();
      }
      out.push(found);
    }
    return out;
  };

  /** A second upload whose part 2 is uploaded twice: with all nodes up (old bytes), then again while node 4 is down. */
  const KEY2 = 'spanning/reuploaded';
  const parts2 = { one: randomBytes(5 * MiB), oldTwo: randomBytes(2 * MiB), newTwo: randomBytes(2 * MiB) };
  const whole2 = Buffer.concat([parts2.one, parts2.newTwo]);

  step('part 1 with all nodes up, part 2 with node 4 down, part 3 and completion through node 4 once it is back', async () => {
    const created = await clients[0].send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: KEY }));
    const created2 = await clients[1].send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: KEY2 }));
    const uploadId = created.UploadId!;
    const uploadId2 = created2.UploadId!;
    const etags: string[] = [];
    const etags2: string[] = [];
    const upload = async (client: S3Client, n: number): Promise<void> => {
      const res = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: KEY, UploadId: uploadId, PartNumber: n, Body: parts[n - 1] }));
      etags[n - 1] = res.ETag!;
    };
    const upload2 = async (client: S3Client, n: number, body: Buffer): Promise<void> => {
      const res = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: KEY2, UploadId: uploadId2, PartNumber: n, Body: body }));
      etags2[n - 1] = res.ETag!;
    };
    await upload(clients[0], 1);
    await upload2(clients[2], 1, parts2.one);
    await upload2(clients[3], 2, parts2.oldTwo);
    await cluster.node(3).kill();
    await upload(clients[1], 2);
    await upload2(clients[0], 2, parts2.newTwo); // replaces part 2 on nodes 1-3 only
    const marks = cluster.outputMarks();
    await cluster.node(3).start();
    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 10_000);
    if (!(await cluster.waitPeerState(3, 'online', [0, 1, 2], marks))) await sleep(1_500); // the others' next ping sees node 4 back
    await upload(clients[3], 3);
    const listed = await clients[3].send(new ListPartsCommand({ Bucket: BUCKET, Key: KEY, UploadId: uploadId }));
    expect(listed.Parts?.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    const done = await clients[3].send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
    );
    expect(done.ETag).toMatch(/-3"$/);
    for (const c of clients) expect(sha256(await getBytes(c, BUCKET, KEY))).toBe(sha256(whole));

    const listed2 = await clients[3].send(new ListPartsCommand({ Bucket: BUCKET, Key: KEY2, UploadId: uploadId2 }));
    expect(listed2.Parts?.map((p) => [p.PartNumber, p.ETag])).toEqual([
      [1, etags2[0]],
      [2, etags2[1]],
    ]);
    const done2 = await clients[3].send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: KEY2, UploadId: uploadId2, MultipartUpload: { Parts: etags2.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
    );
    expect(done2.ETag).toMatch(/-2"$/);
  });

  step('a part re-uploaded while node 4 was down: every node returns the new bytes, never a mix with the stale shards node 4 kept', async () => {
    const results: string[] = [];
    for (const [i, c] of clients.entries()) {
      const got = await getBytes(c, BUCKET, KEY2);
      const verdict =
        sha256(got) === sha256(whole2)
          ? 'the re-uploaded bytes'
          : got.length !== whole2.length
            ? `${got.length} bytes instead of ${whole2.length}`
            : `${whole2.length} bytes of which ${[...Array(got.length).keys()].filter((k) => got[k] !== whole2[k]).length} differ (${
                got.subarray(5 * MiB).equals(parts2.oldTwo) ? 'part 2 is the OLD upload' : 'a mix'
              })`;
      results.push(`node ${i + 1}: ${verdict}`);
    }
    expect(results, results.join('\n')).toEqual(clients.map((_, i) => `node ${i + 1}: the re-uploaded bytes`));
  });

  step('every drive that holds the completed data holds all three parts (a drive missing a part is not a holder)', async () => {
    const report: string[] = [];
    const byDataDir = new Map<string, string[][]>();
    for (const n of cluster.nodes) {
      (await partFilesOn(n)).forEach((dirs, d) => {
        for (const [dataDir, files] of Object.entries(dirs)) {
          report.push(`node ${n.index + 1} drive ${d + 1}: ${dataDir.slice(0, 8)} ${files.join(',')}`);
          byDataDir.set(dataDir, [...(byDataDir.get(dataDir) ?? []), files]);
        }
      });
    }
    // the three-part object's data dir is the one in which part.3 exists anywhere
    const threePart = [...byDataDir].filter(([, all]) => all.some((files) => files.includes('part.3')));
    expect(threePart).toHaveLength(1);
    const [dataDir, copies] = threePart[0];
    const incomplete = report.filter((line) => line.includes(` ${dataDir.slice(0, 8)} `) && !line.endsWith(' part.1,part.2,part.3'));
    expect(copies.length).toBeGreaterThanOrEqual(9);
    expect(incomplete, `data dirs of ${KEY} missing a part:\n${report.join('\n')}`).toEqual([]);
  });

  step('nodes 1 and 3 down: from node 2 (all parts) and node 4 (no part 2) the GET is the whole object or a clean 503, never a broken 200', async () => {
    await cluster.node(0).kill();
    await cluster.node(2).kill();
    const problems: string[] = [];
    const summaries: string[] = [];
    for (const node of [1, 3]) {
      const res = await streamedGet(cluster.node(node), objectPath(BUCKET, KEY));
      const summary = `node ${node + 1}: HTTP ${res.status} ${res.code ?? ''}, ${res.bytes.length} of ${whole.length} bytes, ${res.complete ? 'complete' : `cut off (${res.error})`}`;
      summaries.push(summary);
      if (res.status === 200) {
        if (!res.complete || sha256(res.bytes) !== sha256(whole)) problems.push(`${summary}: a 200 must carry the whole object`);
      } else if (res.status !== 503 || !/^SlowDown/.test(res.code ?? '')) {
        problems.push(`${summary}: expected the whole object or 503 SlowDown`);
      }
    }
    console.log(summaries.join('\n'));
    expect(problems).toEqual([]);
  });
});
