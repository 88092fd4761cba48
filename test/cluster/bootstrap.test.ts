/**
 * Bringing a 4-node cluster up, and who may join it:
 *  - node 1 alone waits (ready stays 503, its log names the drives it waits for); with the others
 *    started every node becomes ready;
 *  - a node stopped and started again later rejoins by itself (no operator step);
 *  - a node started with other root credentials, or with another endpoint list, exits non-zero
 *    with a message that names the reason; the cluster is unharmed and the node can then join properly.
 * Node RPC authentication itself is tested in rpc-security.test.ts.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, TestCluster, getBytes, sha256, sleep, clusterSuite } from '../helpers/cluster.js';
import { startupLine } from '../helpers/log-lines.js';

const BUCKET = 'boot';

describe('cluster bootstrap and membership: 4 nodes x 4 drives', () => {
  let cluster: TestCluster;
  let clients: S3Client[];

  const { step } = clusterSuite({ nodes: 4, drivesPerNode: 4, start: [] }, async (started) => {
    cluster = started;
    clients = cluster.nodes.map((n) => n.client());
  });


  step('node 1 alone waits for the others (ready 503, its log says for whom); with all four started every node is ready', async () => {
    const first = cluster.node(0);
    first.spawn();
    await first.waitHealth('live', 200, 15_000);
    const t0 = Date.now();
    while (Date.now() - t0 < 4_000) {
      expect(await first.health('ready'), 'node 1 must not be ready alone').toBe(503);
      const s3 = await first.request({ method: 'GET', path: '/', timeoutMs: 5_000 });
      expect(s3.status).toBe(503);
      await sleep(500);
    }
    expect(first.running).toBe(true);
    expect(first.output).toMatch(/waiting for/);
    for (const other of cluster.nodes.slice(1)) expect(first.output, `node 1's log names ${other.address}`).toContain(other.address);
    expect(first.output).not.toContain(`waiting for drives that do not answer yet: ${first.endpoint}`);

    for (const n of cluster.nodes.slice(1)) n.spawn();
    await Promise.all(cluster.nodes.map((n) => n.waitReady(60_000)));
    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 10_000);
    // exactly one node formatted the fresh drives, and all agree on the deployment
    expect(cluster.nodes.filter((n) => /formatted 16 fresh drives/.test(n.output)).map((n) => n.index)).toEqual([0]);
    const deployments = cluster.nodes.map((n) => startupLine(n.output).deployment);
    expect(new Set(deployments).size).toBe(1);
    expect(deployments[0]).toBeDefined();

    await clients[0].send(new CreateBucketCommand({ Bucket: BUCKET }));
    const body = Buffer.from('hello from node 4');
    await clients[3].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'hello', Body: body }));
    for (const c of clients) expect((await getBytes(c, BUCKET, 'hello')).toString()).toBe(body.toString());
  });

  step('a node stopped (SIGTERM) and started again later rejoins without any operator step', async () => {
    const n3 = cluster.node(2);
    const t0 = Date.now();
    const exit = await n3.stop();
    console.log(`SIGTERM: node 3 exited with ${exit.code ?? exit.signal} after ${Date.now() - t0} ms`);
    expect(exit.code).toBe(0);
    // the cluster keeps working without it
    await clients[0].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'while-3-away', Body: Buffer.from('x'.repeat(300_000)) }));
    await sleep(1_000);
    const marks = cluster.outputMarks();
    await n3.start();
    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 10_000);
    // the others' next ping sees it back, by itself
    if (!(await cluster.waitPeerState(2, 'online', [0, 1, 3], marks))) await sleep(1_500);
    // node 1 writes to node 3's drives again: a non-inline object puts one data dir on each of them
    const before = await n3.dataDirCount(BUCKET);
    await clients[0].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after-3-back', Body: Buffer.alloc(400_000, 7) }));
    expect(await n3.dataDirCount(BUCKET)).toBeGreaterThanOrEqual(before + cluster.drivesPerNode);
    await clients[2].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'from-3', Body: Buffer.from('back') }));
    for (const c of clients) {
      expect((await getBytes(c, BUCKET, 'from-3')).toString()).toBe('back');
      expect((await getBytes(c, BUCKET, 'while-3-away')).toString()).toBe('x'.repeat(300_000));
    }
  });

  step('a node started with other root credentials exits non-zero and says why', async () => {
    const n4 = cluster.node(3);
    await n4.stop();
    n4.spawn({ env: { TESSERA_ROOT_PASSWORD: `${SECRET_KEY}-not-the-same` } });
    const exit = await n4.waitExit(30_000);
    expect(exit, `node 4 with other credentials is still running after 30 s:\n${n4.output}`).toBeDefined();
    expect(exit!.code, n4.output).not.toBe(0);
    expect(exit!.code).not.toBeNull();
    expect(n4.output).toMatch(/credentials/i);
    console.log(`other credentials: exit ${exit!.code}: ${n4.output.trim().split('\n').at(-1)}`);
    // the other nodes were not disturbed
    for (const i of [0, 1, 2]) expect(await cluster.node(i).health('ready')).toBe(200);
  });

  step('a node started with another endpoint list exits non-zero and says why', async () => {
    const n4 = cluster.node(3);
    const otherList = cluster.endpointArgs.map((arg, i) => (i === cluster.endpointArgs.length - 1 ? arg.replace(/\/d(\d+)$/, '/other$1') : arg));
    expect(otherList.at(-1)).not.toBe(cluster.endpointArgs.at(-1));
    n4.spawn({ endpointArgs: otherList });
    const exit = await n4.waitExit(30_000);
    expect(exit, `node 4 with another endpoint list is still running after 30 s:\n${n4.output}`).toBeDefined();
    expect(exit!.code, n4.output).not.toBe(0);
    expect(exit!.code).not.toBeNull();
    expect(n4.output).toMatch(/endpoint list/i);
    console.log(`other endpoint list: exit ${exit!.code}: ${n4.output.trim().split('\n').at(-1)}`);

    // started properly, it joins
    const marks = cluster.outputMarks();
    await n4.start();
    for (const n of cluster.nodes) await n.waitHealth('cluster', 200, 10_000);
    if (!(await cluster.waitPeerState(3, 'online', [0, 1, 2], marks))) await sleep(1_500);
    await clients[3].send(new PutObjectCommand({ Bucket: BUCKET, Key: 'from-4', Body: Buffer.from('joined') }));
    for (const c of clients) expect((await getBytes(c, BUCKET, 'from-4')).toString()).toBe('joined');
  });
});
