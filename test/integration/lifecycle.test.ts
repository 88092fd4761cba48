/**
 * Lifecycle (issue 12 item 4) against a real server whose "day" lasts two seconds
 * (TESSERA_LIFECYCLE_DAY_SECONDS): the configuration APIs as AWS checks them, x-amz-expiration, and
 * the worker enforcing Expiration, ExpiredObjectDeleteMarker, NoncurrentVersionExpiration (with
 * NewerNoncurrentVersions) and AbortIncompleteMultipartUpload, filters by prefix, tag and size, and
 * Object Lock honoured.
 */
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketLifecycleCommand,
  DeleteObjectCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, failure, rawRequest } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';

const DAY_SECONDS = 2;

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('lifecycle', () => {
  let server: TestServer;
  let s3: S3Client;

  const setRules = (Bucket: string, Rules: LifecycleRule[]): Promise<unknown> => s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));
  const versionsOf = async (Bucket: string, Prefix: string): Promise<string[]> => {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix }));
    return [...(page.Versions ?? []).map((v) => `${v.Key}:${v.IsLatest ? 'latest' : 'old'}`), ...(page.DeleteMarkers ?? []).map((m) => `${m.Key}:marker`)].sort();
  };

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4, env: { TESSERA_LIFECYCLE_DAY_SECONDS: String(DAY_SECONDS), TESSERA_LIFECYCLE_INTERVAL_SECONDS: '0.5' } });
    s3 = server.client();
    for (const Bucket of ['rules', 'plain']) await s3.send(new CreateBucketCommand({ Bucket }));
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('the configuration is stored, read back and deleted; what AWS refuses is refused', async () => {
    expect(await failure(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' })))).toBe('NoSuchLifecycleConfiguration');
    const rules: LifecycleRule[] = [
      { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
      { ID: 'big-tagged', Status: 'Disabled', Filter: { And: { Prefix: 'x/', Tags: [{ Key: 'tier', Value: 'cold' }], ObjectSizeGreaterThan: 1024 } }, NoncurrentVersionExpiration: { NoncurrentDays: 7, NewerNoncurrentVersions: 3 } },
      { ID: 'uploads', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
      { ID: 'markers', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { ExpiredObjectDeleteMarker: true } },
    ];
    await setRules('rules', rules);
    const read = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' }))).Rules!;
    expect(read.map((r) => r.ID)).toEqual(['logs', 'big-tagged', 'uploads', 'markers']);
    expect(read[0]).toMatchObject({ Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } });
    expect(read[1]).toMatchObject({ Status: 'Disabled', Filter: { And: { Prefix: 'x/', Tags: [{ Key: 'tier', Value: 'cold' }], ObjectSizeGreaterThan: 1024 } }, NoncurrentVersionExpiration: { NoncurrentDays: 7, NewerNoncurrentVersions: 3 } });
    expect(read[3]).toMatchObject({ Expiration: { ExpiredObjectDeleteMarker: true } });

    const put = async (xml: string): Promise<string> => {
      const res = await rawRequest(server.endpoint, { method: 'PUT', path: '/rules', query: 'lifecycle', body: xml, headers: { 'content-md5': createHash('md5').update(xml).digest('base64') } });
      return res.status === 200 ? 'ok' : (errorCode(res.text) ?? `HTTP ${res.status}`);
    };
    const rule = (inner: string): string => `<LifecycleConfiguration><Rule>${inner}</Rule></LifecycleConfiguration>`;
    expect(await put(rule('<ID>a</ID><Status>Enabled</Status><Filter/><Expiration><Days>0</Days></Expiration>'))).toBe('InvalidArgument');
    expect(await put(rule('<ID>a</ID><Status>On</Status><Filter/><Expiration><Days>1</Days></Expiration>'))).toBe('MalformedXML');
    expect(await put(rule('<ID>a</ID><Status>Enabled</Status><Filter/></Rule>'.replace('</Rule>', '')))).toBe('InvalidRequest');
    expect(await put(rule('<ID>a</ID><Status>Enabled</Status><Filter/><Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration>'))).toBe('InvalidArgument');
    expect(await put(rule('<ID>a</ID><Status>Enabled</Status><Filter/><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>'))).toBe('NotImplemented');
    expect(await put(rule('<ID>a</ID><Status>Enabled</Status><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>'))).toBe('InvalidRequest');
    expect(await put(rule('<ID>a</ID><Status>Enabled</Status><Filter><Prefix>a</Prefix><Prefix>b</Prefix></Filter><Expiration><Days>1</Days></Expiration>'))).toBe('MalformedXML');
    expect(await put(`<LifecycleConfiguration><Rule><ID>same</ID><Status>Enabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule><Rule><ID>same</ID><Status>Enabled</Status><Filter/><Expiration><Days>2</Days></Expiration></Rule></LifecycleConfiguration>`)).toBe('InvalidArgument');
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' }))).Rules).toHaveLength(4);
    // A prefix is taken as sent: 'tmp ' covers 'tmp x', not 'tmpfile'.
    expect(await put(rule('<ID>spaced</ID><Status>Disabled</Status><Filter><Prefix>tmp </Prefix></Filter><Expiration><Days>1</Days></Expiration>'))).toBe('ok');
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' }))).Rules![0].Filter).toEqual({ Prefix: 'tmp ' });
    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: 'rules' }));
    expect(await failure(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'rules' })))).toBe('NoSuchLifecycleConfiguration');
  });

  it('current versions expire by prefix, tag and size, with x-amz-expiration on PUT and HEAD; others stay', async () => {
    await setRules('plain', [
      { ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
      { ID: 'tagged', Status: 'Enabled', Filter: { Tag: { Key: 'expire', Value: 'yes' } }, Expiration: { Days: 1 } },
      { ID: 'small', Status: 'Enabled', Filter: { ObjectSizeLessThan: 3 }, Expiration: { Days: 1 } },
    ]);
    const put = await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'tmp/a', Body: 'doomed' }));
    expect(put.Expiration).toMatch(/^expiry-date=".* GMT", rule-id="tmp"$/);
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'keep/tagged', Body: 'tagged', Tagging: 'expire=yes' }));
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'keep/tiny', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'keep/b', Body: 'stays' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'keep/tagged' }))).Expiration).toMatch(/rule-id="tagged"/);
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'keep/b' }))).Expiration).toBeUndefined();
    await eventually('the expired objects to go', async () => (await versionsOf('plain', '')).length === 1);
    expect(await versionsOf('plain', '')).toEqual(['keep/b:latest']);
  });

  it('in a versioned bucket: expiration adds a delete marker, old versions go beyond the newest one kept, and a marker left alone goes', async () => {
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'rules', VersioningConfiguration: { Status: 'Enabled' } }));
    for (let i = 0; i < 4; i++) await s3.send(new PutObjectCommand({ Bucket: 'rules', Key: 'doc', Body: `v${i}` }));
    await s3.send(new PutObjectCommand({ Bucket: 'rules', Key: 'gone', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'rules', Key: 'gone' }));
    await setRules('rules', [
      { ID: 'old', Status: 'Enabled', Filter: { Prefix: 'doc' }, NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 1 } },
      { ID: 'markers', Status: 'Enabled', Filter: { Prefix: 'gone' }, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Expiration: { ExpiredObjectDeleteMarker: true } },
    ]);
    await eventually('two versions of doc, nothing of gone', async () => {
      const all = await versionsOf('rules', '');
      return all.length === 2;
    });
    expect(await versionsOf('rules', '')).toEqual(['doc:latest', 'doc:old']);
    await setRules('rules', [{ ID: 'all', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }]);
    await eventually('a delete marker above doc', async () => (await versionsOf('rules', 'doc')).includes('doc:marker'));
  });

  it('Object Lock: a retained version outlives the rules; incomplete uploads are aborted', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'locked', ObjectLockEnabledForBucket: true }));
    const retained = await s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'k', Body: 'retained', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 3_600_000) }));
    await s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'k', Body: 'newer' }));
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'locked', Key: 'unfinished' }));
    await setRules('locked', [{ ID: 'sweep', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }]);
    await eventually('the upload to be aborted', async () => ((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'locked' }))).Uploads ?? []).length === 0);
    await new Promise((r) => setTimeout(r, 2 * DAY_SECONDS * 1000));
    const versions = (await s3.send(new ListObjectVersionsCommand({ Bucket: 'locked' }))).Versions ?? [];
    expect(versions.map((v) => v.VersionId)).toContain(retained.VersionId);
    expect(server.output).toMatch(/kept by Object Lock/);
  });
});
