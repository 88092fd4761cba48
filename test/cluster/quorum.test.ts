/**
 * Quorum behaviour of a 4-node cluster (4 drives per node: one erasure set of 16 drives, EC 8+8,
 * read quorum 8 drives, write quorum 9; write locks need 3 of 4 nodes, read locks 2 of 4).
 *
 * The steps build on each other, in order: all up (read-after-write across nodes) -> node 4 killed
 * -> node 3 killed too -> node 2 killed too -> nodes 2..4 restarted -> node 4 SIGSTOPped for ~5 s
 * and resumed. Every object written along the way is remembered with its sha256 and read back from
 * every node that is up. Requests whose failure is the point go over raw signed HTTP with a time
 * limit, so nothing (no SDK retry) hides how fast and with what the server answered.
 */
import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  GetBucketTaggingCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { TestCluster, getBytes, listKeys, objectPath, sha256, sleep, sortKeys, clusterSuite } from '../helpers/cluster.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BUCKET = 'quorum';
/** Inline (< 128 KiB), one block, several blocks, and empty. */
const SIZES = [1 * KiB, 100 * KiB, 300 * KiB, 2.5 * MiB, 0, 17];

describe('cluster quorum: 4 nodes x 4 drives, EC 8+8', () => {
  let cluster: TestCluster;
  let clients: S3Client[];
  /** key -> sha256 of what the last acknowledged write put there */
  const expected = new Map<string, string>();

  const put = async (node: number, key: string, body: Buffer): Promise<void> => {
    const res = await clients[node].send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    expect(res.ETag).toBeDefined();
    expected.set(key, sha256(body));
  };

  /** Every remembered object reads back byte-identical from each of `nodes`. */
  const expectAllReadable = async (nodes: number[]): Promise<void> => {
    for (const node of nodes) {
      const entries = [...expected];
      // a few at a time: the point is correctness, not load
      for (let i = 0; i < entries.length; i += 4) {
        await Promise.all(
          entries.slice(i, i + 4).map(async ([key, sha]) => {
            const got = await getBytes(clients[node], BUCKET, key).catch((err: Error) => {
              throw new Error(`GET ${key} on node ${node + 1}: ${err.name} ${err.message}`);
            });
            expect(sha256(got), `${key} on node ${node + 1}`).toBe(sha);
          }),
        );
      }
    }
  };

  const expectListingsComplete = async (nodes: number[]): Promise<void> => {
    const want = sortKeys(expected.keys());
    for (const node of nodes) {
      // a small page size so pagination across the merged drive answers is exercised as well
      expect(await listKeys(clients[node], BUCKET, '', 7), `listing on node ${node + 1}`).toEqual(want);
    }
  };

  const bodyOf = (size: number): Buffer => randomBytes(size);

  const { step } = clusterSuite({ nodes: 4, drivesPerNode: 4 }, async (started) => {
    cluster = started;
    clients = cluster.nodes.map((n) => n.client());
    await clients[0].send(new CreateBucketCommand({ Bucket: BUCKET }));
  });


  step('all nodes up: the layout is one set of 16 drives, EC 8+8, and every node reports cluster health', async () => {
    expect(cluster.node(0).output).toMatch(/1 erasure set\(s\) of 16 drives, EC 8\+8 \(reads need 8 drives of a set, writes 9\)/);
    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 5_000);
  });

  step('read-after-write: every acknowledged PUT is at once visible, byte-identical, on every other node', async () => {
    for (let r = 0; r < 12; r++) {
      const writer = r % 4;
      const key = `raw/${String(r).padStart(2, '0')}`;
      const body = bodyOf(SIZES[r % SIZES.length]);
      await put(writer, key, body);
      // no pause: the readers ask the moment the writer's PUT is acknowledged
      await Promise.all(
        [0, 1, 2, 3]
          .filter((n) => n !== writer)
          .map(async (reader) => {
            expect(sha256(await getBytes(clients[reader], BUCKET, key)), `${key} written on ${writer + 1}, read on ${reader + 1}`).toBe(sha256(body));
            const head = await clients[reader].send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
            expect(head.ContentLength).toBe(body.length);
          }),
      );
      if (r % 4 === 0) {
        for (const reader of [0, 1, 2, 3]) expect(await listKeys(clients[reader], BUCKET, 'raw/')).toContain(key);
      }
    }
    // overwrites: the new bytes, never the old ones, on every node
    for (let r = 0; r < 4; r++) {
      const key = 'raw/00';
      const body = bodyOf(r % 2 === 0 ? 200 * KiB : 3 * KiB);
      await put((r + 1) % 4, key, body);
      for (const reader of [0, 1, 2, 3]) expect(sha256(await getBytes(clients[reader], BUCKET, key))).toBe(sha256(body));
    }
    // read-after-delete
    await put(2, 'raw/doomed', bodyOf(50 * KiB));
    await clients[1].send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'raw/doomed' }));
    expected.delete('raw/doomed');
    for (const reader of [0, 1, 2, 3]) {
      const res = await cluster.node(reader).request({ method: 'GET', path: objectPath(BUCKET, 'raw/doomed'), timeoutMs: 5_000 });
      expect(res.status, `deleted object on node ${reader + 1}`).toBe(404);
    }
    await expectListingsComplete([0, 1, 2, 3]);
  });

  step('a bucket deleted through one node is gone at once on the others, though they served it a moment before (nodes remember buckets they saw)', async () => {
    const bucket = 'short-lived';
    await clients[0].send(new CreateBucketCommand({ Bucket: bucket }));
    await clients[0].send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }));
    // Every node has just seen the bucket exist.
    for (const c of clients) expect((await getBytes(c, bucket, 'k')).toString()).toBe('x');
    await clients[0].send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    await clients[0].send(new DeleteBucketCommand({ Bucket: bucket }));
    for (const node of [1, 2, 3]) {
      const n = cluster.node(node);
      const why = `node ${node + 1}`;
      const small = await n.request({ method: 'PUT', path: objectPath(bucket, 'small'), body: Buffer.from('late'), timeoutMs: 10_000 });
      expect([small.status, small.body.toString()], why).toEqual([404, expect.stringContaining('<Code>NoSuchBucket</Code>')]);
      const large = await n.request({ method: 'PUT', path: objectPath(bucket, 'large'), body: randomBytes(300 * KiB), timeoutMs: 10_000 });
      expect([large.status, large.body.toString()], why).toEqual([404, expect.stringContaining('<Code>NoSuchBucket</Code>')]);
      const got = await n.request({ method: 'GET', path: objectPath(bucket, 'k'), timeoutMs: 10_000 });
      expect([got.status, got.body.toString()], why).toEqual([404, expect.stringContaining('<Code>NoSuchBucket</Code>')]);
      const listed = await n.request({ method: 'GET', path: `/${bucket}`, query: 'list-type=2', timeoutMs: 10_000 });
      expect([listed.status, listed.body.toString()], why).toEqual([404, expect.stringContaining('<Code>NoSuchBucket</Code>')]);
    }
    // Nothing a refused PUT sent is listed anywhere once the bucket is made again.
    await clients[2].send(new CreateBucketCommand({ Bucket: bucket }));
    for (const node of [0, 1, 2, 3]) expect(await listKeys(clients[node], bucket, ''), `node ${node + 1}`).toEqual([]);
  });

  step("a bucket's configuration changed through one node is what every other node answers at once (its tags, here)", async () => {
    const tagsOn = (node: number): Promise<string> =>
      clients[node].send(new GetBucketTaggingCommand({ Bucket: BUCKET })).then(
        (got) => JSON.stringify(got.TagSet),
        (err: Error) => err.name,
      );
    // Every node reads (and caches) the configuration before it changes.
    for (const node of [0, 1, 2, 3]) expect(await tagsOn(node)).toBe('NoSuchTagSet');
    for (let round = 0; round < 4; round++) {
      const TagSet = [{ Key: 'round', Value: String(round) }, { Key: 'team', Value: 'storage' }];
      await clients[round].send(new PutBucketTaggingCommand({ Bucket: BUCKET, Tagging: { TagSet } }));
      for (const node of [0, 1, 2, 3]) expect(await tagsOn(node), `put on node ${round + 1}, read on node ${node + 1}`).toBe(JSON.stringify(TagSet));
    }
    await clients[2].send(new DeleteBucketTaggingCommand({ Bucket: BUCKET }));
    for (const node of [0, 1, 2, 3]) expect(await tagsOn(node), `deleted on node 3, read on node ${node + 1}`).toBe('NoSuchTagSet');
    await clients[1].send(new PutBucketTaggingCommand({ Bucket: BUCKET, Tagging: { TagSet: [{ Key: 'kept', Value: 'through the faults below' }] } }));
  });

  step('1 node down (SIGKILL node 4): PUT, GET, LIST, DELETE and multipart work on the other three', async () => {
    await cluster.node(3).kill();
    const survivors = [0, 1, 2];
    // right after the kill, before any ping noticed: the first calls to node 4 fail and it is skipped
    for (let i = 0; i < 6; i++) {
      const writer = survivors[i % 3];
      const key = `one-down/${i}`;
      const body = bodyOf(SIZES[i % SIZES.length]);
      await put(writer, key, body);
      for (const reader of survivors) expect(sha256(await getBytes(clients[reader], BUCKET, key))).toBe(sha256(body));
    }
    await expectAllReadable(survivors);
    await expectListingsComplete(survivors);

    // DELETE of an object written while all four were up
    await clients[1].send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'raw/05' }));
    expected.delete('raw/05');
    for (const reader of survivors) {
      const res = await cluster.node(reader).request({ method: 'HEAD', path: objectPath(BUCKET, 'raw/05'), timeoutMs: 5_000 });
      expect(res.status).toBe(404);
    }

    // multipart, every step on a different node
    const key = 'one-down/multipart';
    const parts = [bodyOf(5 * MiB), bodyOf(5 * MiB), bodyOf(1 * MiB + 123)];
    const created = await clients[0].send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const uploadId = created.UploadId!;
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      const res = await clients[i % 3].send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: part }));
      etags.push(res.ETag!);
    }
    const listed = await clients[1].send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    expect(listed.Parts?.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    const done = await clients[2].send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(done.ETag).toMatch(/-3"$/);
    const whole = Buffer.concat(parts);
    expected.set(key, sha256(whole));
    for (const reader of survivors) expect(sha256(await getBytes(clients[reader], BUCKET, key))).toBe(sha256(whole));
    await expectListingsComplete(survivors);
  });

  step('2 nodes down (SIGKILL node 3 too): everything reads back from both survivors; PUT and DELETE answer 503 SlowDown fast', async () => {
    await cluster.node(2).kill();
    const survivors = [0, 1];
    await expectAllReadable(survivors);
    await expectListingsComplete(survivors);

    const victim = 'raw/01';
    for (const node of survivors) {
      const n = cluster.node(node);
      for (const size of [1 * KiB, 1 * MiB]) {
        const res = await n.request({ method: 'PUT', path: objectPath(BUCKET, `two-down/${node}-${size}`), body: bodyOf(size), timeoutMs: 15_000 });
        expect(res.status, `PUT ${size} B on node ${node + 1}: ${res.status} ${res.code ?? ''} ${res.error ?? ''} ${res.text.slice(0, 200)}`).toBe(503);
        expect(['SlowDownWrite', 'SlowDown']).toContain(res.code);
        expect(res.ms).toBeLessThan(5_000);
      }
      const del = await n.request({ method: 'DELETE', path: objectPath(BUCKET, victim), timeoutMs: 15_000 });
      expect(del.status, `DELETE on node ${node + 1}: ${del.status} ${del.code ?? ''} ${del.error ?? ''}`).toBe(503);
      expect(['SlowDownWrite', 'SlowDown']).toContain(del.code);
      expect(del.ms).toBeLessThan(5_000);
    }
    // the refused writes changed nothing
    for (const node of survivors) {
      expect(sha256(await getBytes(clients[node], BUCKET, victim))).toBe(expected.get(victim));
      const res = await cluster.node(node).request({ method: 'HEAD', path: objectPath(BUCKET, `two-down/${node}-1024`), timeoutMs: 5_000 });
      expect(res.status).toBe(404);
    }
    await expectListingsComplete(survivors);
    for (const node of survivors) expect(await cluster.node(node).health('cluster')).toBe(503);
  });

  step('3 nodes down (SIGKILL node 2 too): GET answers 503 quickly; the survivor is live but not cluster-healthy', async () => {
    await cluster.node(1).kill();
    const n = cluster.node(0);
    for (const key of ['raw/01', 'one-down/2', 'never-written']) {
      const res = await n.request({ method: 'GET', path: objectPath(BUCKET, key), timeoutMs: 15_000 });
      expect(res.status, `GET ${key}: ${res.status} ${res.code ?? ''} ${res.error ?? ''}`).toBe(503);
      expect(['SlowDownRead', 'SlowDown']).toContain(res.code);
      expect(res.ms).toBeLessThan(5_000);
    }
    const list = await n.request({ method: 'GET', path: objectPath(BUCKET), query: 'list-type=2', timeoutMs: 15_000 });
    expect(list.status).toBe(503);
    expect(list.ms).toBeLessThan(5_000);
    const put = await n.request({ method: 'PUT', path: objectPath(BUCKET, 'three-down'), body: 'x', timeoutMs: 15_000 });
    expect(put.status).toBe(503);
    expect(put.ms).toBeLessThan(5_000);
    expect(await n.health('live')).toBe(200);
    await n.waitHealth('cluster', 503, 5_000);
  });

  step('nodes back (restart 2, 3, 4 with the same arguments): writes resume on the survivor, read-after-write everywhere', async () => {
    await Promise.all([1, 2, 3].map((i) => cluster.node(i).start()));
    // node 1 was never restarted: it notices its peers by itself
    await cluster.node(0).waitHealth('cluster', 200, 10_000);
    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 10_000);

    for (const writer of [0, 1, 2, 3]) {
      const key = `back/${writer}`;
      const body = bodyOf(writer % 2 === 0 ? 700 * KiB : 5 * KiB);
      await put(writer, key, body);
      for (const reader of [0, 1, 2, 3]) expect(sha256(await getBytes(clients[reader], BUCKET, key)), `${key} on node ${reader + 1}`).toBe(sha256(body));
    }
    await clients[3].send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'raw/02' }));
    expected.delete('raw/02');
    await expectAllReadable([0, 1, 2, 3]);
    await expectListingsComplete([0, 1, 2, 3]);
    // The bucket's configuration outlived three nodes going down and coming back, on every node.
    for (const node of [0, 1, 2, 3]) {
      expect((await clients[node].send(new GetBucketTaggingCommand({ Bucket: BUCKET }))).TagSet, `node ${node + 1}`).toEqual([{ Key: 'kept', Value: 'through the faults below' }]);
    }
  });

  step('SIGSTOP node 4 for ~5 s (not past the 30 s lock expiry): the others skip it once its ping fails, and it rejoins after SIGCONT', async () => {
    const paused = cluster.node(3);
    const others = [0, 1, 2];
    /** Shard directories (data dirs) on node 4's drives: one per non-inline object version. */
    const dataDirsOnNode4 = (): Promise<number> => paused.dataDirCount(BUCKET);
    const before = await dataDirsOnNode4();

    const beforePause = cluster.outputMarks();
    paused.pause();
    const pausedAt = Date.now();
    // one request at the very moment of the pause: it may have to wait for an RPC timeout, but it must end
    const inFlight = cluster.node(0).request({ method: 'PUT', path: objectPath(BUCKET, 'paused/at-once'), body: bodyOf(300 * KiB), timeoutMs: 60_000 });
    // ping every 1 s with a 1.5 s limit: each of the others marks node 4 offline within ~2.5 s
    const noticed = await cluster.waitPeerState(3, 'offline', others, beforePause, 10_000);
    console.log(`SIGSTOP: the other nodes marked node 4 offline after ${Date.now() - pausedAt} ms${noticed ? '' : ' (not seen in their logs; waited 10 s)'}`);
    if (noticed) expect(Date.now() - pausedAt).toBeLessThan(5_000);

    for (const [i, writer] of others.entries()) {
      const key = `paused/${i}`;
      const body = bodyOf(i === 1 ? 1 * KiB : 600 * KiB);
      const t0 = Date.now();
      await put(writer, key, body);
      expect(Date.now() - t0, `PUT via node ${writer + 1} while node 4 is stopped`).toBeLessThan(5_000);
      for (const reader of others) {
        const t1 = Date.now();
        expect(sha256(await getBytes(clients[reader], BUCKET, key))).toBe(sha256(body));
        expect(Date.now() - t1).toBeLessThan(5_000);
      }
    }
    const t2 = Date.now();
    expect(await listKeys(clients[1], BUCKET, 'paused/')).toEqual(expect.arrayContaining(['paused/0', 'paused/1', 'paused/2']));
    await clients[2].send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'raw/03' }));
    expected.delete('raw/03');
    expect(Date.now() - t2).toBeLessThan(5_000);
    expect(await cluster.node(0).health('cluster')).toBe(200);
    // nothing reached node 4's drives while it was stopped
    expect(await dataDirsOnNode4()).toBe(before);

    const beforeResume = cluster.outputMarks();
    paused.resume();
    const first = await inFlight;
    console.log(`PUT issued at the moment of the SIGSTOP: HTTP ${first.status} ${first.code ?? ''} after ${Math.round(first.ms)} ms`);
    expect(first.status, `the PUT in flight at SIGSTOP: ${first.error ?? first.code ?? ''}`).not.toBe(0);
    expect(first.status).not.toBe(500);

    await paused.waitHealth('cluster', 200, 10_000);
    // the others' next ping (every 1 s) brings it back online in their view
    if (!(await cluster.waitPeerState(3, 'online', others, beforeResume, 10_000))) await sleep(2_500);
    const key = 'rejoined/big';
    const body = bodyOf(2 * MiB);
    const beforeRejoinPut = await dataDirsOnNode4();
    await put(0, key, body);
    // node 4's drives receive shards again: it is back in the write path (one data dir per drive;
    // more if something else, e.g. healing, wrote there meanwhile)
    expect(await dataDirsOnNode4()).toBeGreaterThanOrEqual(beforeRejoinPut + cluster.drivesPerNode);
    await put(3, 'rejoined/from-4', bodyOf(10 * KiB));
    for (const reader of [0, 1, 2, 3]) {
      expect(sha256(await getBytes(clients[reader], BUCKET, key))).toBe(sha256(body));
      expect(sha256(await getBytes(clients[reader], BUCKET, 'rejoined/from-4'))).toBe(expected.get('rejoined/from-4'));
    }
    // node 4 serves what was written while it was stopped
    for (const k of ['paused/0', 'paused/1', 'paused/2']) expect(sha256(await getBytes(clients[3], BUCKET, k))).toBe(expected.get(k));
    const gone = await paused.request({ method: 'HEAD', path: objectPath(BUCKET, 'raw/03'), timeoutMs: 5_000 });
    expect(gone.status).toBe(404);
    // the in-flight PUT may or may not have committed; leave it out of the final comparison
    await clients[0].send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'paused/at-once' }));
    await expectAllReadable([0, 1, 2, 3]);
    await expectListingsComplete([0, 1, 2, 3]);
  });
});
