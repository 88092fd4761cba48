/**
 * Regression: a node that started while the first node was still writing the fresh pool's format
 * saw a majority of drives formatted before its own drives' formats had arrived, took its own drives
 * for missing disks, and removed the directories it had created for them. They stayed offline (every
 * DeleteBucket then answered 503, which needs every drive), and a format write that came after the
 * removal failed and stopped the formatting node.
 *
 * Here the format writes to node 3's drives are held back by a failpoint, so node 3 sees the other
 * four drives formatted first, every time.
 */
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { TestCluster, getBytes, clusterSuite } from '../helpers/cluster.js';

describe('a fresh pool whose format reaches one node late: 3 nodes x 2 drives', () => {
  let cluster: TestCluster;
  let clients: S3Client[];

  const { step } = clusterSuite({ nodes: 3, drivesPerNode: 2, start: [] }, async (started) => {
    cluster = started;
    clients = cluster.nodes.map((n) => n.client());
  });

  step('every drive is formatted and online, and a bucket can be made and deleted through every node', async () => {
    cluster.node(2).spawn({ env: { TESSERA_FAILPOINTS: 'drive.write-format=sleep:2500' } });
    cluster.node(1).spawn();
    cluster.node(0).spawn();
    await Promise.all(cluster.nodes.map((n) => n.waitReady(60_000)));
    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 15_000);

    const deployments = new Set<string>();
    for (const n of cluster.nodes) {
      for (let d = 0; d < cluster.drivesPerNode; d++) {
        const format = JSON.parse(await readFile(join(n.drivePath(d), '.tessera.sys', 'format.json'), 'utf8')) as { deploymentId: string };
        deployments.add(format.deploymentId);
      }
    }
    expect([...deployments]).toHaveLength(1);
    expect(cluster.node(2).output).not.toMatch(/stays offline/);

    for (const [i, client] of clients.entries()) {
      const bucket = `made-through-${i + 1}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: Buffer.alloc(200_000, i) }));
      expect((await getBytes(clients[(i + 1) % 3], bucket, 'k')).equals(Buffer.alloc(200_000, i))).toBe(true);
      // A drive of node 3 left offline shows here: deleting a bucket asks every drive.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    }
  });
});
