/**
 * A 4-node cluster over https:// endpoints, every node given one certs directory (a certificate of a
 * CA made here): node RPC runs over TLS (plain http to a node's port gets no answer), an object PUT
 * on one node reads back on another. A node restarted with a certificate of another CA cannot join:
 * it and the others log that the certificate is not trusted, it never becomes ready, and the cluster
 * keeps serving; given its proper certificate again it rejoins.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect } from 'vitest';
import { type TestCluster, clusterSuite, getBytes, sleep } from '../helpers/cluster.js';
import { getStatus, makeCa, makeCertsDir } from '../helpers/tls.js';
import { startupLine } from '../helpers/log-lines.js';

const work = await mkdtemp(join(tmpdir(), 'tessera-cluster-tls-'));
const certs = await makeCertsDir(join(work, 'certs'), await makeCa(join(work, 'ca'), 'cluster-ca'));
const strangerCerts = await makeCertsDir(join(work, 'stranger'), await makeCa(join(work, 'ca'), 'stranger-ca'));
const BUCKET = 'tls';

afterAll(() => rm(work, { recursive: true, force: true }));

describe('a 4-node cluster over https', () => {
  let cluster: TestCluster;
  let clients: S3Client[];

  const { step } = clusterSuite({ nodes: 4, drivesPerNode: 2, tls: certs }, async (started) => {
    cluster = started;
    clients = cluster.nodes.map((n) => n.client());
  });

  step('nodes serve https only; a PUT on node 1 reads back on node 3', async () => {
    for (const n of cluster.nodes) {
      expect(startupLine(n.output).endpoint).toBe(`https://${n.address}`);
      await expect(getStatus(`http://${n.address}/tessera/health/ready`)).rejects.toThrow();
    }
    await clients[0].send(new CreateBucketCommand({ Bucket: BUCKET }));
    // above the inline threshold: its shards travel to the other nodes' drives over node RPC
    const body = Buffer.alloc(600_000, 'tls');
    await clients[0].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big', Body: body }));
    expect((await getBytes(clients[2], BUCKET, 'big')).equals(body)).toBe(true);
    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 10_000);
  });

  step('a node with a certificate of another CA cannot join; with its own again it rejoins', async () => {
    const n4 = cluster.node(3);
    await n4.stop();
    const marks = cluster.outputMarks();
    n4.spawn({ certsDir: strangerCerts.dir });
    const ready = async (): Promise<number> => (await n4.request({ method: 'GET', path: '/tessera/health/ready', sign: false, ca: strangerCerts.ca })).status;
    while ((await ready()) === 0) await sleep(100);
    const t0 = Date.now();
    while (Date.now() - t0 < 5_000) {
      expect(await ready(), 'node 4 must not become ready').toBe(503);
      await sleep(500);
    }
    expect(n4.running).toBe(true);
    expect(n4.output).toMatch(new RegExp(`node ${cluster.node(0).address} is offline \\(the TLS certificate of ${cluster.node(0).address} is not trusted`));
    for (const i of [0, 1, 2]) {
      expect(cluster.node(i).output.slice(marks[i])).toMatch(new RegExp(`node ${n4.address} is (still )?offline \\(the TLS certificate of ${n4.address} is not trusted`));
      expect(await cluster.node(i).health('ready')).toBe(200);
    }
    await clients[1].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'while-4-untrusted', Body: 'x' }));

    await n4.stop();
    await n4.start();
    expect((await getBytes(clients[3], BUCKET, 'big')).length).toBe(600_000);
    expect((await getBytes(clients[3], BUCKET, 'while-4-untrusted')).toString()).toBe('x');
  });
});
