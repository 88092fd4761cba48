/**
 * Object Lock (issue 12 item 2) against a real server with the SDK v3 and raw requests: buckets made
 * with Object Lock, default retention, retention and legal hold set on writes and through their
 * APIs, and the rule that a locked version cannot be deleted by anyone (GOVERNANCE yields to
 * x-amz-bypass-governance-retention, COMPLIANCE to nothing) until its retention passes.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetBucketVersioningCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, failure, rawRequest } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const LOCKED = 'locked';
const DAY = 24 * 60 * 60 * 1000;

describe('Object Lock', () => {
  let server: TestServer;
  let s3: S3Client;

  const put = async (Key: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}): Promise<string> =>
    (await s3.send(new PutObjectCommand({ Bucket: LOCKED, Key, Body: `body of ${Key}`, ...extra }))).VersionId!;
  const remove = (Key: string, VersionId: string, BypassGovernanceRetention?: boolean): Promise<string> =>
    failure(s3.send(new DeleteObjectCommand({ Bucket: LOCKED, Key, VersionId, BypassGovernanceRetention })));

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: LOCKED, ObjectLockEnabledForBucket: true }));
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('a bucket made with Object Lock is versioned, cannot be suspended, and has no default retention until one is set', async () => {
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: LOCKED }))).Status).toBe('Enabled');
    expect(await failure(s3.send(new PutBucketVersioningCommand({ Bucket: LOCKED, VersioningConfiguration: { Status: 'Suspended' } })))).toBe('InvalidBucketState');
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: LOCKED }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' });
  });

  it('a bucket without it: no configuration, lock headers refused, and enabling it needs versioning', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'unlocked' }));
    expect(await failure(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'unlocked' })))).toBe('ObjectLockConfigurationNotFoundError');
    const until = new Date(Date.now() + DAY);
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'unlocked', Key: 'k', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: until })))).toBe('InvalidRequest');
    const enable = (): Promise<unknown> => s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'unlocked', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }));
    expect(await failure(enable())).toBe('InvalidBucketState');
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'unlocked', VersioningConfiguration: { Status: 'Enabled' } }));
    await enable();
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'unlocked' }))).ObjectLockConfiguration?.ObjectLockEnabled).toBe('Enabled');
  });

  it('COMPLIANCE: no one deletes the version, bypass or not, and its retention is only ever extended; a delete marker may still be put above it', async () => {
    const until = new Date(Date.now() + DAY);
    const id = await put('compliance', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until });
    const head = await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'compliance' }));
    expect([head.ObjectLockMode, head.ObjectLockRetainUntilDate?.getTime()]).toEqual(['COMPLIANCE', until.getTime()]);
    expect(await remove('compliance', id)).toBe('AccessDenied');
    expect(await remove('compliance', id, true)).toBe('AccessDenied');
    const shorter = new Date(until.getTime() - 60_000);
    expect(await failure(s3.send(new PutObjectRetentionCommand({ Bucket: LOCKED, Key: 'compliance', VersionId: id, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: shorter } })))).toBe('AccessDenied');
    expect(await failure(s3.send(new PutObjectRetentionCommand({ Bucket: LOCKED, Key: 'compliance', VersionId: id, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until }, BypassGovernanceRetention: true })))).toBe('AccessDenied');
    const longer = new Date(until.getTime() + DAY);
    await s3.send(new PutObjectRetentionCommand({ Bucket: LOCKED, Key: 'compliance', VersionId: id, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: longer } }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: LOCKED, Key: 'compliance', VersionId: id }))).Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: longer });
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: LOCKED, Key: 'compliance' }));
    expect(marker.DeleteMarker).toBe(true);
    const batch = await s3.send(new DeleteObjectsCommand({ Bucket: LOCKED, BypassGovernanceRetention: true, Delete: { Objects: [{ Key: 'compliance', VersionId: id }] } }));
    expect(batch.Errors?.map((e) => [e.Key, e.Code])).toEqual([['compliance', 'AccessDenied']]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'compliance', VersionId: id }))).ContentLength).toBeGreaterThan(0);
  });

  it('GOVERNANCE: a delete needs x-amz-bypass-governance-retention, and so does shortening or removing the retention', async () => {
    const id = await put('governance', { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() + DAY) });
    expect(await remove('governance', id)).toBe('AccessDenied');
    expect(await failure(s3.send(new PutObjectRetentionCommand({ Bucket: LOCKED, Key: 'governance', VersionId: id, Retention: {} })))).toBe('AccessDenied');
    expect(await remove('governance', id, true)).toBe('no error');
    const other = await put('governance', { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() + DAY) });
    await s3.send(new PutObjectRetentionCommand({ Bucket: LOCKED, Key: 'governance', VersionId: other, Retention: {}, BypassGovernanceRetention: true }));
    expect(await failure(s3.send(new GetObjectRetentionCommand({ Bucket: LOCKED, Key: 'governance', VersionId: other })))).toBe('NoSuchObjectLockConfiguration');
    expect(await remove('governance', other)).toBe('no error');
  });

  it('a legal hold keeps a version from deletion until it is turned off (a hold never set is NoSuchObjectLockConfiguration); a retention that passed lets it go', async () => {
    const plain = await put('never-held');
    expect(await failure(s3.send(new GetObjectLegalHoldCommand({ Bucket: LOCKED, Key: 'never-held', VersionId: plain })))).toBe('NoSuchObjectLockConfiguration');
    const id = await put('held', { ObjectLockLegalHoldStatus: 'ON' });
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: LOCKED, Key: 'held', VersionId: id }))).LegalHold?.Status).toBe('ON');
    expect(await remove('held', id, true)).toBe('AccessDenied');
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: LOCKED, Key: 'held', VersionId: id, LegalHold: { Status: 'OFF' } }));
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: LOCKED, Key: 'held', VersionId: id }))).LegalHold?.Status).toBe('OFF');
    expect(await remove('held', id)).toBe('no error');

    const brief = await put('brief', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 1500) });
    expect(await remove('brief', brief)).toBe('AccessDenied');
    await new Promise((r) => setTimeout(r, 1800));
    expect(await remove('brief', brief)).toBe('no error');
  });

  it('a default retention applies to new versions (PUT and multipart) that name none', async () => {
    await s3.send(
      new PutObjectLockConfigurationCommand({ Bucket: LOCKED, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } } }),
    );
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: LOCKED }))).ObjectLockConfiguration?.Rule?.DefaultRetention).toEqual({ Mode: 'GOVERNANCE', Days: 1 });
    const before = Date.now();
    const id = await put('defaulted');
    const retention = (await s3.send(new GetObjectRetentionCommand({ Bucket: LOCKED, Key: 'defaulted', VersionId: id }))).Retention!;
    expect(retention.Mode).toBe('GOVERNANCE');
    expect(retention.RetainUntilDate!.getTime()).toBeGreaterThanOrEqual(before + DAY - 1000);
    expect(retention.RetainUntilDate!.getTime()).toBeLessThanOrEqual(Date.now() + DAY + 1000);
    expect(await remove('defaulted', id)).toBe('AccessDenied');

    const until = new Date(Date.now() + 2 * DAY);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: LOCKED, Key: 'mp', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until }));
    const part = await s3.send(new UploadPartCommand({ Bucket: LOCKED, Key: 'mp', UploadId, PartNumber: 1, Body: 'part' }));
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: LOCKED, Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: LOCKED, Key: 'mp', VersionId: done.VersionId }))).Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: until });
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: LOCKED, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }));
  });

  it('bad settings are refused as AWS refuses them, and lock headers need a body digest', async () => {
    const future = new Date(Date.now() + DAY).toISOString();
    const raw = async (headers: Record<string, string>): Promise<string> => {
      const res = await rawRequest(server.endpoint, { method: 'PUT', path: `/${LOCKED}/raw`, body: 'x', headers });
      return res.status === 200 ? 'ok' : (errorCode(res.text) ?? `HTTP ${res.status}`);
    };
    const md5 = { 'content-md5': createHash('md5').update('x').digest('base64') };
    expect(await raw({ 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': future })).toBe('InvalidRequest');
    expect(await raw({ ...md5, 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': future })).toBe('ok');
    expect(await raw({ ...md5, 'x-amz-object-lock-mode': 'GOVERNANCE' })).toBe('InvalidArgument');
    expect(await raw({ ...md5, 'x-amz-object-lock-mode': 'FOREVER', 'x-amz-object-lock-retain-until-date': future })).toBe('InvalidArgument');
    expect(await raw({ ...md5, 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': '2001-01-01T00:00:00Z' })).toBe('InvalidArgument');
    expect(await raw({ ...md5, 'x-amz-object-lock-legal-hold': 'MAYBE' })).toBe('InvalidArgument');
    const config = async (xml: string): Promise<string> => {
      const res = await rawRequest(server.endpoint, { method: 'PUT', path: `/${LOCKED}`, query: 'object-lock', body: xml, headers: { 'content-md5': createHash('md5').update(xml).digest('base64') } });
      return res.status === 200 ? 'ok' : (errorCode(res.text) ?? `HTTP ${res.status}`);
    };
    const rule = (inner: string): string => `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>${inner}</DefaultRetention></Rule></ObjectLockConfiguration>`;
    expect(await config(rule('<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>'))).toBe('MalformedXML');
    expect(await config(rule('<Mode>GOVERNANCE</Mode>'))).toBe('MalformedXML');
    expect(await config(rule('<Mode>GOVERNANCE</Mode><Days>0</Days>'))).toBe('InvalidArgument');
    expect(await config(rule('<Mode>SOMETIMES</Mode><Days>1</Days>'))).toBe('InvalidArgument');
    expect(await config('<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>')).toBe('MalformedXML');
  });

  it("Veeam's Smart Object Storage API: system.xml and capacity.xml in every bucket, capacity from the drives", async () => {
    const folder = '.system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c';
    const system = await s3.send(new GetObjectCommand({ Bucket: LOCKED, Key: `${folder}/system.xml` }));
    const systemXml = await system.Body!.transformToString();
    expect(systemXml).toMatch(/<SystemInfo><ProtocolVersion>(&quot;|")1\.0(&quot;|")<\/ProtocolVersion>/);
    expect(systemXml).toContain('<CapacityInfo>true</CapacityInfo>');
    const capacity = await (await s3.send(new GetObjectCommand({ Bucket: LOCKED, Key: `${folder}/capacity.xml` }))).Body!.transformToString();
    const field = (name: string): number => Number(new RegExp(`<${name}>(\\d+)</${name}>`).exec(capacity)?.[1]);
    const fs = await statfs(server.drives[0]);
    // One filesystem under all four drives, half of it for data (EC 2+2).
    expect(field('Capacity')).toBe(Math.floor((fs.blocks * fs.bsize) / 2));
    expect(field('Available')).toBeGreaterThan(0);
    expect(field('Capacity')).toBe(field('Available') + field('Used'));
    const head = await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: `${folder}/capacity.xml` }));
    expect(head.ContentType).toBe('application/xml');
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: `${folder}/system.xml` })))).toBe('NoSuchBucket');
  });
});
