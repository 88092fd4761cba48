/** `tessera stat`: details of an object, a folder, a bucket or a local file. */
import { GetBucketLocationCommand, GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { humanDate, humanSize } from '../format.js';
import { listRemote } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { parseTarget, type RemoteTarget } from '../target.js';

function table(rows: [string, string | undefined][]): string {
  return rows
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k.padEnd(10)}: ${v}`)
    .join('\n');
}

async function optional<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

async function statBucket(out: Output, t: RemoteTarget): Promise<void> {
  const { remote, bucket } = t;
  await remote.requireBucket(bucket);
  const location = await optional(() => remote.client.send(new GetBucketLocationCommand({ Bucket: bucket })));
  const versioning = await optional(() => remote.client.send(new GetBucketVersioningCommand({ Bucket: bucket })));
  const region = location ? location.LocationConstraint || 'us-east-1' : undefined;
  const versions = versioning ? versioning.Status ?? 'Unversioned' : undefined;
  out.result(table([['Name', `${bucket}/`], ['Type', 'bucket'], ['Region', region], ['Versioning', versions]]), {
    type: 'bucket', name: bucket, url: remote.name(bucket), region: region ?? null, versioning: versions ?? null,
  });
}

async function statFolder(out: Output, t: RemoteTarget, prefix: string): Promise<boolean> {
  let objects = 0;
  let size = 0;
  let newest: Date | undefined;
  for await (const e of listRemote(t.remote, t.bucket, prefix)) {
    objects++;
    size += e.size;
    if (!newest || e.modTime > newest) newest = e.modTime;
  }
  if (objects === 0) return false;
  out.result(
    table([['Name', prefix], ['Type', 'folder'], ['Objects', String(objects)], ['Size', `${humanSize(size)} (${size} bytes)`], ['Newest', humanDate(newest)]]),
    { type: 'folder', name: prefix, url: t.remote.name(t.bucket, prefix), objects, size, lastModified: newest?.toISOString() },
  );
  return true;
}

async function statRemote(out: Output, t: RemoteTarget): Promise<void> {
  const { remote, bucket, key } = t;
  if (!bucket) throw new CliError(`"${t.text}" names no bucket; write ${remote.alias}/BUCKET[/KEY]`);
  if (key === '') return statBucket(out, t);
  const head = key.endsWith('/') ? undefined : await remote.headObject(bucket, key);
  if (!head) {
    if (await statFolder(out, t, key.endsWith('/') ? key : `${key}/`)) return;
    await remote.requireBucket(bucket);
    throw new CliError(`object "${remote.name(bucket, key)}" does not exist`);
  }
  const etag = head.ETag?.replace(/"/g, '');
  const metadata = head.Metadata ?? {};
  const size = head.ContentLength ?? 0;
  const human = [
    table([
      ['Name', key],
      ['Date', humanDate(head.LastModified)],
      ['Size', `${humanSize(size)} (${size} bytes)`],
      ['ETag', etag],
      ['Type', head.ContentType],
      ['Class', head.StorageClass ?? 'STANDARD'],
      ['VersionID', head.VersionId],
    ]),
    ...(Object.keys(metadata).length > 0 ? ['Metadata  :', ...Object.entries(metadata).map(([k, v]) => `  X-Amz-Meta-${k}: ${v}`)] : []),
  ].join('\n');
  out.result(human, {
    type: 'object',
    name: key,
    url: remote.name(bucket, key),
    size,
    lastModified: head.LastModified?.toISOString(),
    etag,
    contentType: head.ContentType,
    storageClass: head.StorageClass ?? 'STANDARD',
    ...(head.VersionId ? { versionId: head.VersionId } : {}),
    metadata,
  });
}

export function registerStat(program: Command): void {
  withOutputOptions(
    program
      .command('stat')
      .description('show details of objects, folders, buckets or local files')
      .argument('<targets...>', 'ALIAS/BUCKET[/KEY] or local paths'),
    false,
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera stat local/photos/cat.jpg
  $ tessera stat local/photos            # the bucket
  $ tessera stat local/photos/2024/      # a folder: object count and total size
  $ tessera stat --json local/photos/cat.jpg | jq .etag`,
    )
    .action(
      run(async (targets: string[], options: OutputOptions) => {
        const out = new Output(options);
        for (const [i, arg] of targets.entries()) {
          if (i > 0) out.text('');
          const target = await parseTarget(arg, 'source');
          if (target.kind === 'remote') {
            await statRemote(out, target);
            continue;
          }
          const st = await stat(target.path);
          const type = st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other';
          out.result(
            table([['Name', target.text], ['Date', humanDate(st.mtime)], ['Size', `${humanSize(st.size)} (${st.size} bytes)`], ['Type', type]]),
            { type, name: target.text, size: st.size, lastModified: st.mtime.toISOString() },
          );
        }
      }),
    );
}
