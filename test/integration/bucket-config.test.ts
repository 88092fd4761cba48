/**
 * A bucket's configuration (issue 12: stored through the drives, healed, read-after-write), seen
 * through its first setting, bucket tags: PutBucketTagging, GetBucketTagging, DeleteBucketTagging
 * with the AWS SDK and raw requests against a real server process.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketTaggingCommand,
  GetBucketTaggingCommand,
  PutBucketTaggingCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BucketConfig } from '../../src/meta/bucket-config.js';
import { decodeRecord } from '../../src/meta/encoding.js';
import { openMetadataEnvironment } from '../../src/storage/metadata-store.js';
import { errorCode, failure, rawRequest } from '../helpers/raw.js';
import { TestServer } from '../helpers/server.js';
import { wipe } from '../torture/drive-faults.js';

const BUCKET = 'configured';

function tagging(tags: [string, string][]): string {
  return `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
}

describe('bucket configuration: tags', () => {
  let server: TestServer;
  let s3: S3Client;

  const put = (TagSet: Tag[], Bucket = BUCKET): Promise<unknown> => s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet } }));
  const get = (Bucket = BUCKET): Promise<Tag[] | undefined> => s3.send(new GetBucketTaggingCommand({ Bucket })).then((r) => r.TagSet);
  /** A PutBucketTagging of `xml`, signed, with its Content-MD5: the error code, or 'ok'. */
  const putRaw = async (xml: string): Promise<string> => {
    const res = await rawRequest(server.endpoint, {
      method: 'PUT',
      path: `/${BUCKET}`,
      query: 'tagging',
      body: xml,
      headers: { 'content-md5': createHash('md5').update(xml).digest('base64') },
    });
    return res.status === 204 ? 'ok' : (errorCode(res.text) ?? `HTTP ${res.status}`);
  };

  beforeAll(async () => {
    server = await TestServer.start({ drives: 4 });
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('a bucket without tags answers NoSuchTagSet; tags put are read back in order, replaced whole, and deleted', async () => {
    expect(await failure(get())).toBe('NoSuchTagSet');
    const first = [{ Key: 'team', Value: 'storage' }, { Key: 'cost centre', Value: '' }, { Key: 'ünïcode/é=+-._:@', Value: 'ÿes' }];
    await put(first);
    expect(await get()).toEqual(first);
    await put([{ Key: 'only', Value: 'one' }]);
    expect(await get()).toEqual([{ Key: 'only', Value: 'one' }]);
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: BUCKET }));
    expect(await failure(get())).toBe('NoSuchTagSet');
    // Deleting what is not there is no error; an empty set is no tags.
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: BUCKET }));
    await put([]);
    expect(await failure(get())).toBe('NoSuchTagSet');
  });

  it('tags that AWS refuses are refused (InvalidTag, MalformedXML), and leave the tags as they were', async () => {
    await put([{ Key: 'before', Value: 'x' }]);
    const fifty = Array.from({ length: 50 }, (_, i): [string, string] => [`k${i}`, `v${i}`]);
    expect(await putRaw(tagging(fifty))).toBe('ok');
    expect(await get()).toHaveLength(50);
    for (const [xml, code] of [
      [tagging([...fifty, ['k50', 'v']]), 'InvalidTag'],
      [tagging([['dup', '1'], ['dup', '2']]), 'InvalidTag'],
      [tagging([['k'.repeat(129), 'v']]), 'InvalidTag'],
      [tagging([['k', 'v'.repeat(257)]]), 'InvalidTag'],
      [tagging([['aws:reserved', 'v']]), 'InvalidTag'],
      [tagging([['semi;colon', 'v']]), 'InvalidTag'],
      [tagging([['k', 'a*b']]), 'InvalidTag'],
      ['<Tagging><TagSet><Tag><Value>no key</Value></Tag></TagSet></Tagging>', 'MalformedXML'],
      ['<Tagging><TagSet><Tag><Key>no value</Key></Tag></TagSet></Tagging>', 'MalformedXML'],
      ['<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet><TagSet></TagSet></Tagging>', 'MalformedXML'],
      ['<Tagging></Tagging>', 'MalformedXML'],
      ['<Tagging><TagSet>', 'MalformedXML'],
      ['', 'MalformedXML'],
    ] as const) {
      expect(await putRaw(xml), xml.slice(0, 80)).toBe(code);
    }
    expect(await get()).toHaveLength(50);
    // Without Content-MD5 or a checksum the request is refused, as AWS refuses it.
    const bare = await rawRequest(server.endpoint, { method: 'PUT', path: `/${BUCKET}`, query: 'tagging', body: tagging([['k', 'v']]) });
    expect([bare.status, errorCode(bare.text)]).toEqual([400, 'InvalidRequest']);
  });

  it('a missing bucket is NoSuchBucket; a bucket deleted and made again starts without the old tags', async () => {
    expect(await failure(get('no-such-bucket'))).toBe('NoSuchBucket');
    expect(await failure(put([{ Key: 'k', Value: 'v' }], 'no-such-bucket'))).toBe('NoSuchBucket');
    // The bucket is looked for before the document is read, as AWS does.
    const missing = await rawRequest(server.endpoint, { method: 'PUT', path: '/no-such-bucket', query: 'tagging', body: '<nonsense', headers: { 'content-md5': createHash('md5').update('<nonsense').digest('base64') } });
    expect(errorCode(missing.text)).toBe('NoSuchBucket');
    await s3.send(new CreateBucketCommand({ Bucket: 'again' }));
    await put([{ Key: 'old', Value: 'bucket' }], 'again');
    await s3.send(new DeleteBucketCommand({ Bucket: 'again' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'again' }));
    expect(await failure(get('again'))).toBe('NoSuchTagSet');
  });

  it('tags survive a restart, and a wiped drive is given them again by heal', async () => {
    const tags = [{ Key: 'durable', Value: 'yes' }];
    await put(tags);
    await server.stop();
    await wipe(server.drives[0]);
    await server.launch();
    expect(await get()).toEqual(tags);
    // The replaced drive is healed, bucket entries and configurations first; then it alone must know them.
    const deadline = Date.now() + 30_000;
    while (!/healed .*drive1/.test(server.output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(server.output).toMatch(/healed .*drive1/);
    await server.stop();
    const { env, stores } = openMetadataEnvironment(join(server.drives[0], '.tessera.sys', 'meta'), true);
    try {
      const stored = decodeRecord<BucketConfig>(stores.configs.get(Buffer.from(BUCKET))!);
      expect(stored?.tags).toEqual([['durable', 'yes']]);
    } finally {
      await env.close();
    }
    await server.launch();
  });
});
