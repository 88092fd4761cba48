/**
 * Object Lock on a 4-node cluster (2 drives per node: EC 4+4, write quorum 5): deletes of
 * COMPLIANCE-locked versions (by version id, one by one and in DeleteObjects, with the governance
 * bypass) are sent to every node that is up while nodes are SIGKILLed and restarted. No delete may
 * ever succeed, and afterwards every locked version reads back whole from every node.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect } from 'vitest';
import { TestCluster, clusterSuite, objectPath, sha256, sleep } from '../helpers/cluster.js';

const BUCKET = 'worm';
const KiB = 1024;
/** Inline, one block, several blocks. */
const SIZES = [2 * KiB, 200 * KiB, 2.5 * 1024 * KiB];

describe('cluster Object Lock: 4 nodes x 2 drives, EC 4+4', () => {
  let cluster: TestCluster;
  let clients: S3Client[];
  const locked: { key: string; versionId: string; sha: string }[] = [];

  const { step } = clusterSuite({ nodes: 4, drivesPerNode: 2 }, async (started) => {
    cluster = started;
    clients = cluster.nodes.map((n) => n.client());
    await clients[0].send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }));
  });

  step('locked versions written through every node', async () => {
    const until = new Date(Date.now() + 24 * 60 * 60 * 1000);
    for (const [i, size] of [...SIZES, ...SIZES].entries()) {
      const body = randomBytes(size);
      const key = `locked/${i}`;
      const res = await clients[i % 4].send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until }));
      locked.push({ key, versionId: res.VersionId!, sha: sha256(body) });
    }
  });

  step('deletes sent to every node while nodes are killed and restarted never succeed', async () => {
    const successes: string[] = [];
    const answers = new Map<number, number>();
    let stop = false;
    const deleters = cluster.nodes.map(async (node, n) => {
      let round = 0;
      while (!stop) {
        round++;
        if (!node.running) {
          await sleep(50);
          continue;
        }
        const target = locked[(round + n) % locked.length];
        const single = await node.request({
          method: 'DELETE',
          path: objectPath(BUCKET, target.key),
          query: `versionId=${target.versionId}`,
          headers: { 'x-amz-bypass-governance-retention': 'true' },
          timeoutMs: 15_000,
        });
        answers.set(single.status, (answers.get(single.status) ?? 0) + 1);
        if (single.status >= 200 && single.status < 300) successes.push(`node ${n + 1}: DELETE ${target.key}?versionId=${target.versionId} answered ${single.status}`);
        if (round % 5 === 0) {
          const xml = `<Delete>${locked.map((l) => `<Object><Key>${l.key}</Key><VersionId>${l.versionId}</VersionId></Object>`).join('')}</Delete>`;
          const headers = { 'x-amz-bypass-governance-retention': 'true', 'content-md5': createHash('md5').update(xml).digest('base64') };
          const batch = await node.request({ method: 'POST', path: objectPath(BUCKET), query: 'delete', body: xml, headers, timeoutMs: 15_000 });
          if (batch.status === 200 && /<Deleted>/.test(batch.body.toString())) successes.push(`node ${n + 1}: DeleteObjects deleted some: ${batch.body.toString().slice(0, 300)}`);
        }
      }
    });
    try {
      for (const victim of [3, 1, 2, 0, 3]) {
        await sleep(700);
        await cluster.node(victim).kill();
        await sleep(1200);
        await cluster.node(victim).start();
      }
      await sleep(1000);
    } finally {
      stop = true;
      await Promise.all(deleters);
    }
    expect(successes).toEqual([]);
    // Most were refused outright (403); some found too few nodes up to decide (503).
    expect(answers.get(403) ?? 0).toBeGreaterThan(0);
    expect([...answers.keys()].every((status) => status === 403 || status === 503 || status === 0)).toBe(true);
  }, 120_000);

  step('every locked version reads back whole from every node', async () => {
    for (const node of cluster.nodes) await node.waitHealth('cluster', 200);
    for (const [n, client] of clients.entries()) {
      for (const l of locked) {
        const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: l.key, VersionId: l.versionId }));
        expect(sha256(Buffer.from(await res.Body!.transformToByteArray())), `${l.key} on node ${n + 1}`).toBe(l.sha);
      }
    }
  });
});
