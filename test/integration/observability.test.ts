/**
 * Logs and metrics of a running server. Logs: one JSON line per S3 request, carrying the request id
 * the client saw, the operation, bucket, key, status, bytes and duration, the access key that signed
 * it, and never a secret or a signature (SigV4 headers and presigned URLs, SigV2 headers and URLs);
 * TESSERA_LOG_LEVEL quiets them; `--log-format pretty` writes human lines. Metrics: the text exposition
 * parsed by the Prometheus project's own Python client (Debian's python3-prometheus-client), with the families a dashboard reads and request counts
 * that move; a scrape needs the bearer token or a SigV4 signature by an identity allowed admin:Prometheus.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Sha256 } from '../../src/admin/client.js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines, startupLine, type LogLine } from '../helpers/log-lines.js';
import { ROOT_KEYS, rootAdmin, s3As, type Keys } from '../helpers/iam-fixtures.js';
import { ACCESS_KEY, METRICS_TOKEN, ROOT, SECRET_KEY, TestServer } from '../helpers/server.js';
import { v2PresignQuery, v2StringToSign } from '../helpers/sigv2.js';
import { clientSuite } from '../compat/compat.js';


/** A metric family as prometheus_client's text parser reads it (a counter's family name drops `_total`, its samples keep it). */
interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const PYTHON = '/usr/bin/python3';
const PARSER = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
print(json.dumps([{"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]} for f in text_string_to_metric_families(sys.stdin.read())]))
`;

const parserMissing = await new Promise<string | undefined>((resolve) => {
  execFile(PYTHON, ['-c', 'import prometheus_client.parser'], (err) => resolve(err ? `${PYTHON} cannot import prometheus_client (install the Debian package "python3-prometheus-client")` : undefined));
});

function parseExposition(text: string): Promise<Family[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', PARSER], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(JSON.parse(stdout) as Family[])));
    child.stdin!.end(text);
  });
}

/** The value of the sample named `name` whose labels include `labels` (0 when there is none). */
function sample(families: Family[], name: string, labels: Record<string, string>): number {
  for (const family of families) {
    const found = family.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    if (found) return found.value;
  }
  return 0;
}

async function scrape(server: TestServer, headers: Record<string, string> = { authorization: `Bearer ${METRICS_TOKEN}` }): Promise<{ status: number; families: Family[] }> {
  const res = await fetch(`${server.endpoint}/tessera/metrics`, { headers });
  const text = await res.text();
  return { status: res.status, families: res.status === 200 ? await parseExposition(text) : [] };
}

/** GET /tessera/metrics signed with SigV4 by `keys`. */
async function signedScrape(server: TestServer, keys: Keys): Promise<number> {
  const url = new URL(`${server.endpoint}/tessera/metrics`);
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: { accessKeyId: keys.accessKey, secretAccessKey: keys.secretKey }, sha256: Sha256 });
  const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host } });
  const res = await fetch(url, { headers: signed.headers });
  await res.arrayBuffer();
  return res.status;
}

function requestLines(server: TestServer): LogLine[] {
  return logLines(server.output).filter((line) => line.msg === 'request');
}

describe('request logs', () => {
  let server: TestServer;
  const secrets: string[] = [SECRET_KEY];
  const seenIds: { id: string; api: string; key?: string; status: number }[] = [];

  beforeAll(async () => {
    server = await TestServer.start();
    const client = server.client();
    try {
      seenIds.push({ id: (await client.send(new CreateBucketCommand({ Bucket: 'logs' }))).$metadata.requestId!, api: 'CreateBucket', status: 200 });
      const put = await client.send(new PutObjectCommand({ Bucket: 'logs', Key: 'dir/a.txt', Body: 'x'.repeat(5000) }));
      seenIds.push({ id: put.$metadata.requestId!, api: 'PutObject', key: 'dir/a.txt', status: 200 });
      const missing = await client.send(new HeadObjectCommand({ Bucket: 'logs', Key: 'missing' })).catch((err: { $metadata: { requestId: string } }) => err);
      seenIds.push({ id: missing.$metadata.requestId!, api: 'HeadObject', key: 'missing', status: 404 });

      const presigned = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'logs', Key: 'dir/a.txt' }), { expiresIn: 300 });
      secrets.push(new URL(presigned).searchParams.get('X-Amz-Signature')!);
      const viaUrl = await fetch(presigned);
      expect((await viaUrl.text()).length).toBe(5000);
      seenIds.push({ id: viaUrl.headers.get('x-amz-request-id')!, api: 'GetObject', key: 'dir/a.txt', status: 200 });

      // SigV2, in a header and in a URL.
      const date = new Date().toUTCString();
      const v2Header = createHmac('sha1', SECRET_KEY).update(v2StringToSign({ method: 'GET', path: '/logs/dir/a.txt', headers: { date } })).digest('base64');
      secrets.push(v2Header);
      const byV2 = await fetch(`${server.endpoint}/logs/dir/a.txt`, { headers: { date, authorization: `AWS ${ACCESS_KEY}:${v2Header}` } });
      expect(byV2.status).toBe(200);
      await byV2.arrayBuffer();
      seenIds.push({ id: byV2.headers.get('x-amz-request-id')!, api: 'GetObject', key: 'dir/a.txt', status: 200 });
      const v2Query = v2PresignQuery({ method: 'GET', path: '/logs/dir/a.txt' }, ROOT_KEYS, Math.floor(Date.now() / 1000) + 300);
      secrets.push(new URLSearchParams(v2Query).get('Signature')!);
      const byV2Url = await fetch(`${server.endpoint}/logs/dir/a.txt?${v2Query}`);
      expect(byV2Url.status).toBe(200);
      await byV2Url.arrayBuffer();
      seenIds.push({ id: byV2Url.headers.get('x-amz-request-id')!, api: 'GetObject', key: 'dir/a.txt', status: 200 });
      // A copy is a PUT with x-amz-copy-source: its line names CopyObject, as the trace does.
      const copy = await client.send(new CopyObjectCommand({ Bucket: 'logs', Key: 'dir/copy.txt', CopySource: 'logs/dir/a.txt' }));
      seenIds.push({ id: copy.$metadata.requestId!, api: 'CopyObject', key: 'dir/copy.txt', status: 200 });
    } finally {
      client.destroy();
    }
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('one JSON line per request, with the id the client saw and what it did', async () => {
    await new Promise((r) => setTimeout(r, 200));
    const lines = requestLines(server);
    for (const seen of seenIds) {
      const line = lines.find((l) => l.reqId === seen.id);
      expect(line, `a line for ${seen.api} ${seen.id}`).toBeDefined();
      expect(line).toMatchObject({ level: 'info', api: seen.api, bucket: 'logs', status: seen.status, accessKey: ACCESS_KEY });
      if (seen.key) expect(line!.key).toBe(seen.key);
      expect(typeof line!.durationMs).toBe('number');
      expect(Number.isNaN(Date.parse(line!.time))).toBe(false);
    }
    const put = lines.find((l) => l.reqId === seenIds[1].id)!;
    expect(put.method).toBe('PUT');
    expect(put.bytesIn as number).toBeGreaterThan(5000);
    const get = lines.find((l) => l.reqId === seenIds[3].id)!;
    expect(get.bytesOut as number).toBeGreaterThan(5000);
  });

  it('no secret key and no signature in any line', () => {
    expect(secrets.length).toBe(4);
    for (const secret of secrets) {
      expect(server.output).not.toContain(secret);
      expect(server.output).not.toContain(encodeURIComponent(secret));
    }
    expect(startupLine(server.output)).toMatchObject({ level: 'info', rootUser: ACCESS_KEY });
  });

  it('TESSERA_LOG_LEVEL=warn leaves request lines out; --log-format pretty writes human lines', async () => {
    const quiet = await TestServer.start({ env: { TESSERA_LOG_LEVEL: 'warn' } });
    const pretty = await TestServer.start({ extraArgs: ['--log-format', 'pretty'] });
    try {
      for (const s of [quiet, pretty]) {
        const client = s.client();
        await client.send(new CreateBucketCommand({ Bucket: 'quiet' }));
        client.destroy();
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(requestLines(quiet)).toEqual([]);
      expect(pretty.output).toContain(`Tessera S3 endpoint: ${pretty.endpoint}`);
      expect(pretty.output).toMatch(/INFO.*request/);
      expect(logLines(pretty.output)).toEqual([]);
    } finally {
      await Promise.all([quiet.destroy(), pretty.destroy()]);
    }
  });
});

clientSuite('metrics', parserMissing, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('are refused without the token or a permitted signature', async () => {
    expect((await scrape(server, {})).status).toBe(403);
    expect((await scrape(server, { authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await scrape(server, { authorization: `Bearer ${METRICS_TOKEN}x` })).status).toBe(403);
    expect(await signedScrape(server, { accessKey: ACCESS_KEY, secretKey: 'not-the-secret' })).toBe(403);
    expect(await signedScrape(server, ROOT_KEYS)).toBe(200);

    const admin = rootAdmin(server);
    await admin.addUser('scraper', 'scraper-secret-123');
    await admin.addUser('reader', 'reader-secret-123');
    await admin.putPolicy('prometheus', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['admin:Prometheus'], Resource: ['arn:aws:s3:::*'] }] }));
    await admin.putPolicy('read-only', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::*'] }] }));
    await admin.attachPolicies(['prometheus'], { user: 'scraper' });
    await admin.attachPolicies(['read-only'], { user: 'reader' });
    expect(await signedScrape(server, { accessKey: 'scraper', secretKey: 'scraper-secret-123' })).toBe(200);
    expect(await signedScrape(server, { accessKey: 'reader', secretKey: 'reader-secret-123' })).toBe(403);
  });

  it('parse as Prometheus text, with the families a dashboard reads, and count requests', async () => {
    const client = s3As(server, ROOT_KEYS);
    await client.send(new CreateBucketCommand({ Bucket: 'metrics' }));
    const before = await scrape(server);
    expect(before.status).toBe(200);
    const puts = sample(before.families, 'tessera_s3_requests_total', { api: 'PutObject', code: '200' });
    for (let i = 0; i < 3; i++) await client.send(new PutObjectCommand({ Bucket: 'metrics', Key: `k${i}`, Body: 'y'.repeat(1000) }));
    await client.send(new GetObjectCommand({ Bucket: 'metrics', Key: 'absent' })).catch(() => undefined);
    client.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const { families } = await scrape(server);

    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      tessera_s3_requests: 'counter',
      tessera_s3_request_duration_seconds: 'histogram',
      tessera_s3_received_bytes: 'counter',
      tessera_s3_sent_bytes: 'counter',
      tessera_s3_requests_in_flight: 'gauge',
      tessera_drive_state: 'gauge',
      tessera_drive_total_bytes: 'gauge',
      tessera_drive_used_bytes: 'gauge',
      tessera_drive_free_bytes: 'gauge',
      tessera_drive_call_duration_seconds: 'histogram',
      tessera_drive_call_errors: 'counter',
      tessera_set_readable: 'gauge',
      tessera_set_writable: 'gauge',
      tessera_set_drives_online: 'gauge',
      tessera_heal_objects_healed: 'counter',
      tessera_mrf_queue_length: 'gauge',
      tessera_mrf_queued: 'counter',
      tessera_rpc_call_duration_seconds: 'histogram',
      process_cpu_seconds: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
    });
    for (const f of families.filter((f) => f.type === 'counter')) for (const s of f.samples) expect(s.name, 'a counter sample ends in _total').toMatch(/_total$/);

    expect(sample(families, 'tessera_s3_requests_total', { api: 'PutObject', code: '200' })).toBe(puts + 3);
    expect(sample(families, 'tessera_s3_requests_total', { api: 'GetObject', code: '404' })).toBe(1);
    expect(sample(families, 'tessera_s3_request_duration_seconds_count', { api: 'PutObject', code: '200' })).toBe(puts + 3);
    expect(sample(families, 'tessera_s3_request_duration_seconds_bucket', { api: 'PutObject', code: '200', le: '+Inf' })).toBe(puts + 3);
    expect(sample(families, 'tessera_s3_received_bytes_total', { api: 'PutObject' })).toBeGreaterThan(3000);
    const drives = families.find((f) => f.name === 'tessera_drive_state')!.samples.filter((m) => m.labels.state === 'online' && m.value === 1);
    expect(drives).toHaveLength(4);
    expect(sample(families, 'tessera_set_writable', { set: '1' })).toBe(1);
    expect(sample(families, 'tessera_drive_total_bytes', {})).toBeGreaterThan(0);
    const driveCalls = families.find((f) => f.name === 'tessera_drive_call_duration_seconds')!.samples.filter((m) => m.name.endsWith('_count') && m.value > 0);
    expect(driveCalls.map((m) => m.labels.drive).sort()).toEqual(expect.arrayContaining(drives.map((m) => m.labels.drive).sort()));
  });

  it("deploy/'s Grafana dashboard asks only for metrics the server serves", async () => {
    const dashboard = JSON.parse(await readFile(join(ROOT, 'deploy/grafana/tessera-dashboard.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(15);
    const { families } = await scrape(server);
    const served = new Set(families.flatMap((f) => [f.name, ...['_total', '_bucket', '_count', '_sum'].map((suffix) => f.name + suffix), ...f.samples.map((s) => s.name)]));
    const asked = new Set(exprs.flatMap((e) => e.match(/\b(?:tessera|process|nodejs)_\w+/g) ?? []));
    expect([...asked].filter((name) => !served.has(name))).toEqual([]);
  });
});
