/**
 * `GET /tessera/admin/v1/metrics/history` on a 2-node cluster sampling every 500 ms
 * (TESSERA_METRICS_HISTORY_INTERVAL_MS): requests answered by either node are counted, 4xx apart,
 * with bytes and latency percentiles; asked of either node the answer is the same cluster; a killed
 * node is listed as unreachable while the other's history is still served; unsigned requests, and
 * users not allowed admin:Prometheus, are refused.
 */
import { Agent } from 'node:https';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect } from 'vitest';
import { AdminApiError, AdminClient } from '../../src/admin/client.js';
import type { ClusterHistory } from '../../src/admin/history-types.js';
import { ACCESS_KEY, SECRET_KEY, TestCluster, clusterSuite, getBytes, sleep } from '../helpers/cluster.js';

const INTERVAL_MS = 500;
const PATH = '/tessera/admin/v1/metrics/history';

async function history(cluster: TestCluster, node: number): Promise<ClusterHistory> {
  const res = await cluster.node(node).request({ method: 'GET', path: PATH });
  expect(res.status, res.error ?? res.text).toBe(200);
  return JSON.parse(res.text) as ClusterHistory;
}

/** How many requests a column of per-second rates adds up to. */
const total = (h: ClusterHistory, column: number[]): number => Math.round(column.reduce((n, rate) => n + rate * h.intervalSeconds, 0));

describe('metrics history in a cluster: 2 nodes x 2 drives', () => {
  let cluster: TestCluster;
  let first: S3Client;
  let second: S3Client;

  const { step } = clusterSuite({ nodes: 2, drivesPerNode: 2, env: { TESSERA_METRICS_HISTORY_INTERVAL_MS: String(INTERVAL_MS) } }, async (started) => {
    cluster = started;
    first = cluster.node(0).client();
    second = cluster.node(1).client();
  });

  step('counts the requests both nodes answered, 4xx apart, with bytes and latency', async () => {
    const before = await history(cluster, 0);
    expect(before.nodes.sort()).toEqual([cluster.node(0).address, cluster.node(1).address].sort());
    expect(before.unreachable).toEqual([]);
    expect(before.intervalSeconds).toBe(INTERVAL_MS / 1000);
    const counted = total(before, before.requestsPerSecond);

    await first.send(new CreateBucketCommand({ Bucket: 'history' }));
    for (let i = 0; i < 5; i++) await first.send(new PutObjectCommand({ Bucket: 'history', Key: `k${i}`, Body: Buffer.alloc(100_000, i) }));
    // Node 2 answers more requests than node 1: the sum shows both were counted.
    for (let i = 0; i < 20; i++) await getBytes(second, 'history', `k${i % 5}`);
    for (let i = 0; i < 3; i++) await second.send(new GetObjectCommand({ Bucket: 'history', Key: 'missing' })).catch(() => undefined);
    await sleep(3 * INTERVAL_MS);

    const after = await history(cluster, 0);
    expect(total(after, after.requestsPerSecond) - counted).toBeGreaterThanOrEqual(1 + 5 + 20 + 3 - 1);
    expect(total(after, after.errors4xxPerSecond)).toBeGreaterThanOrEqual(3);
    expect(total(after, after.errors5xxPerSecond)).toBe(0);
    expect(total(after, after.bytesInPerSecond)).toBeGreaterThanOrEqual(5 * 100_000);
    expect(total(after, after.bytesOutPerSecond)).toBeGreaterThanOrEqual(20 * 100_000);
    const busy = after.requestsPerSecond.map((rate, i) => (rate > 0 ? i : -1)).filter((i) => i >= 0);
    expect(busy.length).toBeGreaterThan(0);
    for (const i of busy) {
      expect(after.p50[i]).toBeGreaterThan(0);
      expect(after.p99[i]!).toBeGreaterThanOrEqual(after.p90[i]!);
      expect(after.p90[i]!).toBeGreaterThanOrEqual(after.p50[i]!);
    }
    for (const column of [after.requestsPerSecond, after.p50, after.bytesOutPerSecond]) expect(column).toHaveLength(after.time.length);
    expect([...after.time].sort((a, b) => a - b)).toEqual(after.time);

    // Asked of node 2, the same cluster's history (its latest interval may be one more).
    const fromSecond = await history(cluster, 1);
    expect(total(fromSecond, fromSecond.requestsPerSecond)).toBeGreaterThanOrEqual(total(after, after.requestsPerSecond) - 1);
  });

  step('refuses unsigned requests', async () => {
    const res = await cluster.node(0).request({ method: 'GET', path: PATH, sign: false });
    expect(res.status).toBe(403);
  });

  step('a user needs admin:Prometheus (admin:ServerInfo is not enough)', async () => {
    const agent = cluster.tls ? { httpsAgent: new Agent({ ca: cluster.tls.ca }) } : {};
    const as = (accessKey: string, secretKey: string): AdminClient => new AdminClient({ url: cluster.node(1).endpoint, accessKey, secretKey, ...agent });
    const admin = as(ACCESS_KEY, SECRET_KEY);
    const allow = (actions: string[]): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: ['arn:aws:s3:::*'] }] });
    await admin.putPolicy('info-only', allow(['admin:ServerInfo']));
    await admin.putPolicy('scraper', allow(['admin:Prometheus']));
    await admin.addUser('viewer', 'viewer-secret-key');
    await admin.addUser('scraper', 'scraper-secret-key');
    await admin.attachPolicies(['info-only'], { user: 'viewer' });
    await admin.attachPolicies(['scraper'], { user: 'scraper' });
    const refused = await as('viewer', 'viewer-secret-key')
      .request('GET', 'metrics/history')
      .then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(AdminApiError);
    expect(refused).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect((refused as Error).message).toContain('admin:Prometheus');
    const allowed = await as('scraper', 'scraper-secret-key').request('GET', 'metrics/history');
    expect(allowed.statusCode).toBe(200);
    allowed.resume();
  });

  step('a killed node is listed as unreachable; the other node still answers with its own history', async () => {
    await cluster.node(1).kill();
    const h = await history(cluster, 0);
    expect(h.nodes).toEqual([cluster.node(0).address]);
    expect(h.unreachable.map((u) => u.node)).toEqual([cluster.node(1).address]);
    expect(total(h, h.requestsPerSecond)).toBeGreaterThanOrEqual(6);
  });
});
