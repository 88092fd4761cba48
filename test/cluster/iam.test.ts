/**
 * IAM on a 4-node cluster (1 drive per node, EC 2+2): a change made through any node decides the very
 * next request on every other node (users, their status, bucket policies), a node that was down or
 * cut off picks changes up when it is back, IAM data is kept through the erasure layer (a change made
 * with a node down holds, and a wiped drive gets it back from a heal), and anonymous requests against
 * public and private buckets are answered right with a node down.
 */
import { mkdir, rm } from 'node:fs/promises';
import { CreateBucketCommand, ListBucketsCommand, PutBucketPolicyCommand, DeleteBucketPolicyCommand, PutObjectCommand, S3Client, type S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect } from 'vitest';
import type { ObjectLine, SequenceLine } from '../../src/heal/sequence.js';
import { CONFIG_BUCKET } from '../../src/storage/names.js';
import { TestCluster, clusterSuite, objectPath, sleep, type NodeProcess } from '../helpers/cluster.js';
import { sdkRequestHandler } from '../helpers/tls.js';

const BUCKET = 'shared';

function userClient(cluster: TestCluster, node: NodeProcess, accessKeyId: string, secretAccessKey: string): S3Client {
  const client = new S3Client({
    endpoint: node.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
    requestHandler: sdkRequestHandler({ ca: cluster.tls?.ca, connectionTimeout: 5_000, requestTimeout: 30_000 }),
  });
  cluster.clients.push(client);
  return client;
}

/** The error code of the user's ListBuckets through `node`, or 'ok'. */
async function listBucketsAs(client: S3Client): Promise<string> {
  try {
    await client.send(new ListBucketsCommand({}));
    return 'ok';
  } catch (err) {
    return (err as S3ServiceException).name;
  }
}

async function anonymousGet(cluster: TestCluster, node: NodeProcess, key: string): Promise<number> {
  return (await node.request({ method: 'GET', path: objectPath(BUCKET, key), sign: false, timeoutMs: 10_000 })).status;
}

/** Polls until `check` answers `expected` (the refresh a node makes on its own), within `ms`. */
async function eventually<T>(check: () => Promise<T>, expected: T, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await check();
  while (last !== expected && Date.now() < deadline) {
    await sleep(250);
    last = await check();
  }
  return last;
}

describe('cluster IAM: 4 nodes x 1 drive, EC 2+2', () => {
  let cluster: TestCluster;

  const { step } = clusterSuite({ nodes: 4, drivesPerNode: 1 }, async (started) => {
    cluster = started;
    const root = cluster.nodes[0].client();
    await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'public/page.html', Body: '<p>hi</p>' }));
    await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'private/secret.txt', Body: 'secret' }));
  });

  step('a user added through node 1 signs in through every other node at once', async () => {
    await cluster.nodes[0].admin().addUser('alice', 'alice-secret-key');
    await cluster.nodes[0].admin().attachPolicies(['readwrite'], { user: 'alice' });
    for (const node of cluster.nodes.slice(1)) expect(await listBucketsAs(userClient(cluster, node, 'alice', 'alice-secret-key'))).toBe('ok');
  });

  step('a user disabled through node 2 is refused by every node on the next request, and back once enabled', async () => {
    await cluster.nodes[1].admin().setUserStatus('alice', 'disabled');
    for (const node of cluster.nodes) expect(await listBucketsAs(userClient(cluster, node, 'alice', 'alice-secret-key'))).toBe('InvalidAccessKeyId');
    await cluster.nodes[2].admin().setUserStatus('alice', 'enabled');
    for (const node of cluster.nodes) expect(await listBucketsAs(userClient(cluster, node, 'alice', 'alice-secret-key'))).toBe('ok');
  });

  step('a bucket policy put through node 3 opens the bucket to anonymous reads on every node at once, and its removal closes it', async () => {
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/public/*` }] };
    await cluster.nodes[2].client().send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }));
    for (const node of cluster.nodes) {
      expect(await anonymousGet(cluster, node, 'public/page.html')).toBe(200);
      expect(await anonymousGet(cluster, node, 'private/secret.txt')).toBe(403);
    }
    await cluster.nodes[0].client().send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
    for (const node of cluster.nodes) expect(await anonymousGet(cluster, node, 'public/page.html')).toBe(403);
    await cluster.nodes[2].client().send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }));
  });

  step('with node 4 down: a user added is stored and used through the others, and node 4 knows it when it is back', async () => {
    await cluster.nodes[3].kill();
    await cluster.nodes[0].admin().addUser('bob', 'bob-secret-key');
    await cluster.nodes[1].admin().attachPolicies(['readonly'], { user: 'bob' });
    for (const node of cluster.nodes.slice(0, 3)) {
      const bob = userClient(cluster, node, 'bob', 'bob-secret-key');
      expect(await listBucketsAs(bob)).toBe('ok');
      // readonly: no writes.
      await expect(bob.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bob.txt', Body: 'x' }))).rejects.toMatchObject({ name: 'AccessDenied' });
      // Anonymous requests are still decided by the bucket's policy.
      expect(await anonymousGet(cluster, node, 'public/page.html')).toBe(200);
      expect(await anonymousGet(cluster, node, 'private/secret.txt')).toBe(403);
    }
    await cluster.nodes[3].start();
    expect(await listBucketsAs(userClient(cluster, cluster.nodes[3], 'bob', 'bob-secret-key'))).toBe('ok');
  });

  step('a node cut off while a user is disabled refuses the user within its refresh interval once it answers again', async () => {
    const cutOff = cluster.nodes[3];
    cutOff.pause();
    try {
      await cluster.nodes[0].admin().setUserStatus('bob', 'disabled');
    } finally {
      cutOff.resume();
    }
    const bob = userClient(cluster, cutOff, 'bob', 'bob-secret-key');
    expect(await eventually(() => listBucketsAs(bob), 'InvalidAccessKeyId', 20_000)).toBe('InvalidAccessKeyId');
    await cluster.nodes[0].admin().setUserStatus('bob', 'enabled');
  });

  step('a wiped drive gets the IAM data back by healing, and the users still sign in through its node', async () => {
    const wiped = cluster.nodes[1];
    await wiped.kill();
    // The drive's contents go; its directory stays (a missing directory is a drive not mounted, not a fresh one).
    await rm(wiped.drivePath(0), { recursive: true, force: true });
    await mkdir(wiped.drivePath(0));
    await wiped.start();
    // Healed as soon as node 1 sees the fresh drive online (by the fresh-drive healer or this heal).
    const healIamState = async (): Promise<string> => {
      const lines: SequenceLine[] = [];
      for await (const line of cluster.nodes[0].admin().heal({ bucket: CONFIG_BUCKET, recursive: true })) lines.push(line);
      const iamState = lines.find((line): line is ObjectLine => line.type === 'object' && line.key === 'iam/state.sealed');
      return JSON.stringify(iamState?.after);
    };
    expect(await eventually(healIamState, JSON.stringify(['ok', 'ok', 'ok', 'ok']), 30_000)).toBe(JSON.stringify(['ok', 'ok', 'ok', 'ok']));
    expect(await listBucketsAs(userClient(cluster, wiped, 'alice', 'alice-secret-key'))).toBe('ok');
    expect(await listBucketsAs(userClient(cluster, wiped, 'bob', 'bob-secret-key'))).toBe('ok');
  }, 120_000);
});
