/** Opening a file or object for reading, for cat and head. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CliError } from './errors.js';
import { remoteFolderExists } from './location.js';
import type { Target } from './target.js';

export async function openTarget(target: Target): Promise<Readable> {
  if (target.kind === 'local') {
    if ((await stat(target.path)).isDirectory()) throw new CliError(`"${target.text}" is a folder`);
    return createReadStream(target.path);
  }
  const { remote, bucket, key } = target;
  if (!bucket || key === '' || key.endsWith('/')) throw new CliError(`"${target.text}" is not an object; write ALIAS/BUCKET/KEY`);
  try {
    const get = await remote.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return get.Body as Readable;
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey' && (await remoteFolderExists(remote, bucket, `${key}/`))) {
      throw new CliError(`"${target.text}" is a folder`);
    }
    throw remote.explain(err, { bucket, key });
  }
}
