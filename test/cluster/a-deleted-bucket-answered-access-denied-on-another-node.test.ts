/**
 * A bucket deleted through one node is NoSuchBucket (404) on every other node, to every requester:
 * root, a user whose policy allows the bucket, a user no policy allows, anonymous requests a bucket
 * policy allows and ones it does not, as S3 answers for a bucket that is not there. The other node
 * asked about the bucket just before, so it holds the bucket's access settings and knows the bucket;
 * neither may turn the answer into a 403, not even when the notice of the deletion never reached it
 * (a failpoint loses it): a user no policy allowed was refused AccessDenied on those settings, and a
 * user whose policies do not allow the bucket still is, by a node that knew of the deletion.
 */
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect } from 'vitest';
import type { AdminClient } from '../../src/admin/client.js';
import { clusterSuite, objectPath, sleep, type NodeProcess, type TestCluster } from '../helpers/cluster.js';
import { outcome, s3As, type Keys } from '../helpers/iam-fixtures.js';

const READER: Keys = { accessKey: 'reader', secretKey: 'reader-secret-key' };
const STRANGER: Keys = { accessKey: 'stranger', secretKey: 'stranger-secret-key' };

/** Every requester's answers to a read, a listing, a write and a HEAD of `bucket` through `node`, as `verdict status` strings. */
async function answers(cluster: TestCluster, node: NodeProcess, bucket: string): Promise<Record<string, string[]>> {
  const at = { endpoint: node.endpoint, tls: cluster.tls };
  const clients: Record<string, S3Client> = { root: node.client(), reader: s3As(at, READER), stranger: s3As(at, STRANGER) };
  const seen: Record<string, string[]> = {};
  for (const [who, client] of Object.entries(clients)) {
    const calls = [
      () => client.send(new GetObjectCommand({ Bucket: bucket, Key: 'public/page.html' })),
      () => client.send(new ListObjectsV2Command({ Bucket: bucket })),
      () => client.send(new PutObjectCommand({ Bucket: bucket, Key: 'new.txt', Body: 'new' })),
      () => client.send(new HeadBucketCommand({ Bucket: bucket })),
    ];
    seen[who] = [];
    for (const call of calls) {
      const { verdict, status } = await outcome(call());
      seen[who].push(verdict.startsWith('HTTP') ? verdict : `${verdict} ${status}`);
    }
    if (who !== 'root') client.destroy();
  }
  // Anonymous: a read the bucket policy allows, a listing it does not.
  seen.anonymous = [];
  for (const path of [objectPath(bucket, 'public/page.html'), objectPath(bucket)]) {
    const res = await node.request({ method: 'GET', path, sign: false, timeoutMs: 10_000 });
    seen.anonymous.push(`${res.code ?? 'allow'} ${res.status}`);
  }
  return seen;
}

/** What every requester gets once the bucket is gone: the HEAD's answer has no body, so only its status. */
const GONE = {
  root: ['NoSuchBucket 404', 'NoSuchBucket 404', 'NoSuchBucket 404', 'HTTP 404'],
  reader: ['NoSuchBucket 404', 'NoSuchBucket 404', 'NoSuchBucket 404', 'HTTP 404'],
  stranger: ['NoSuchBucket 404', 'NoSuchBucket 404', 'NoSuchBucket 404', 'HTTP 404'],
  anonymous: ['NoSuchBucket 404', 'NoSuchBucket 404'],
};

describe('a deleted bucket on another node: 2 nodes x 2 drives', () => {
  let cluster: TestCluster;
  let admin: AdminClient;

  const { step } = clusterSuite({ nodes: 2, drivesPerNode: 2 }, async (started) => {
    cluster = started;
    admin = cluster.nodes[0].admin();
    await admin.addUser(READER.accessKey, READER.secretKey);
    await admin.putPolicy('doomed-rw', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::doomed-*'] }] }));
    await admin.attachPolicies(['doomed-rw'], { user: READER.accessKey });
    await admin.addUser(STRANGER.accessKey, STRANGER.secretKey);
  });

  /** Makes `bucket` through node 1 with a public page, lets every requester ask node 2 about it, then deletes it through node 1. */
  async function makeAskAndDelete(bucket: string): Promise<Record<string, string[]>> {
    const root = cluster.nodes[0].client();
    await root.send(new CreateBucketCommand({ Bucket: bucket }));
    await root.send(new PutObjectCommand({ Bucket: bucket, Key: 'public/page.html', Body: '<p>hi</p>' }));
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/public/*` }] };
    await root.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    const before = await answers(cluster, cluster.nodes[1], bucket);
    await root.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'public/page.html' }));
    await root.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'new.txt' }));
    await root.send(new DeleteBucketCommand({ Bucket: bucket }));
    return before;
  }

  step('every requester asked node 2 while the bucket was there, and got its own answer', async () => {
    const before = await makeAskAndDelete('doomed-told');
    expect(before.stranger).toEqual(['allow 200', 'AccessDenied 403', 'AccessDenied 403', 'HTTP 403']);
    expect(before.anonymous).toEqual(['allow 200', 'AccessDenied 403']);
    const after = await answers(cluster, cluster.nodes[1], 'doomed-told');
    expect(after).toEqual(GONE);
  });

  step('the same when node 2 never heard of the deletion', async () => {
    // Node 2 loses every notice of a change to a bucket's access: the bucket's making, its policy, its deletion.
    const marks = cluster.outputMarks();
    await cluster.nodes[1].restart({ env: { TESSERA_FAILPOINTS: 'iam.bucket-access-notice=error:1000' } });
    for (const node of cluster.nodes) await node.waitHealth('cluster', 200);
    if (!(await cluster.waitPeerState(1, 'online', [0], marks))) await sleep(1_500);
    await makeAskAndDelete('doomed-untold');
    // The node's log reaches this process through a pipe, after the answers that caused it: wait for its lines.
    const missed = (): number => cluster.nodes[0].output.match(/could not tell .* bucket doomed-untold changed/g)?.length ?? 0;
    for (const deadline = Date.now() + 5_000; missed() < 3 && Date.now() < deadline; ) await sleep(100);
    expect(missed()).toBe(3);
    const after = await answers(cluster, cluster.nodes[1], 'doomed-untold');
    expect(after).toEqual(GONE);
  });
});
