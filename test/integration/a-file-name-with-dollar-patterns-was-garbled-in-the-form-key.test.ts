/**
 * Regression: a form's `${filename}` was replaced with String.replace and the file name as the
 * replacement string, so the name's `$&`, `$'` and `$$` were read as replacement patterns: a file
 * `a$&b.txt` was stored under `up/a${filename}b.txt`, `5$$.txt` under `up/5$.txt`. The name is now
 * put in as it is.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postForm, signedPolicyFields } from '../helpers/post-form.js';
import { TestServer, endServer, serverWithBuckets } from '../helpers/server.js';

const BUCKET = 'dollar-names';
let server: TestServer;
let s3: S3Client;

beforeAll(async () => ({ server, s3 } = await serverWithBuckets([BUCKET])));

afterAll(() => endServer(server, s3));

it('file names with $&, $\' and $$ become keys unchanged', async () => {
  const names = ['a$&b.txt', "c$'d.txt", '5$$.txt'];
  for (const name of names) {
    const fields = { key: 'up/${filename}', ...signedPolicyFields([{ bucket: BUCKET }, ['starts-with', '$key', 'up/']]) };
    const res = await postForm(server.endpoint, BUCKET, fields, { name, content: name });
    expect(res.status, res.text).toBe(204);
  }
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(names.map((name) => `up/${name}`).sort());
});
