/**
 * Metrics of a node in a cluster: its calls to each peer are counted and timed, it sees every drive of
 * the deployment (its own and the others'), and reports capacity for its own drives only; a peer
 * that is killed shows as offline drives, and calls to it as errors.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect } from 'vitest';
import { TestCluster, clusterSuite } from '../helpers/cluster.js';

const TOKEN = 'cluster-metrics-token-0123456789';

/** The samples of `name` (labels as text) and their values, from the node's exposition. */
async function samples(cluster: TestCluster, node: number, name: string): Promise<Map<string, number>> {
  // Through the node's own request helper: it trusts the test CA when the cluster serves https.
  const res = await cluster.node(node).request({ method: 'GET', path: '/tessera/metrics', headers: { authorization: `Bearer ${TOKEN}` }, sign: false });
  expect(res.status, res.error ?? res.text).toBe(200);
  const out = new Map<string, number>();
  for (const line of res.text.split('\n')) {
    const match = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] === name) out.set(match[2] ?? '', Number(match[3]));
  }
  return out;
}

describe('metrics in a cluster: 2 nodes x 2 drives', () => {
  let cluster: TestCluster;
  let client: S3Client;

  const { step } = clusterSuite({ nodes: 2, drivesPerNode: 2, env: { TESSERA_METRICS_TOKEN: TOKEN } }, async (started) => {
    cluster = started;
    client = cluster.node(0).client();
  });

  step('node 1 counts and times its calls to node 2, sees all 4 drives, measures its own 2', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'metrics' }));
    for (let i = 0; i < 5; i++) await client.send(new PutObjectCommand({ Bucket: 'metrics', Key: `k${i}`, Body: Buffer.alloc(300_000, i) }));
    const peer = cluster.node(1).address;
    const calls = await samples(cluster, 0, 'tessera_rpc_call_duration_seconds_count');
    expect(calls.get(`{peer="${peer}"}`)).toBeGreaterThan(10);
    const online = [...(await samples(cluster, 0, 'tessera_drive_state')).entries()].filter(([labels, v]) => labels.includes('state="online"') && v === 1);
    expect(online).toHaveLength(4);
    expect((await samples(cluster, 0, 'tessera_drive_total_bytes')).size).toBe(2);
  });

  step('node 2 killed: its drives show offline on node 1, calls to it as errors', async () => {
    await cluster.node(1).kill();
    await client.send(new PutObjectCommand({ Bucket: 'metrics', Key: 'after', Body: Buffer.alloc(300_000, 9) })).catch(() => undefined);
    const peer = cluster.node(1).address;
    const deadline = Date.now() + 15_000;
    let offline = 0;
    while (Date.now() < deadline && offline < 2) {
      offline = [...(await samples(cluster, 0, 'tessera_drive_state')).entries()].filter(([labels, v]) => labels.includes('state="offline"') && v === 1).length;
      if (offline < 2) await new Promise((r) => setTimeout(r, 250));
    }
    expect(offline).toBe(2);
    expect((await samples(cluster, 0, 'tessera_rpc_call_errors_total')).get(`{peer="${peer}"}`)).toBeGreaterThan(0);
    expect((await samples(cluster, 0, 'tessera_set_writable')).get('{set="1"}')).toBe(0);
  });
});
