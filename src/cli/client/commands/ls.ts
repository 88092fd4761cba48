/** `tessera ls`: buckets, objects and folders (or local files), one level or recursively. */
import { ListBucketsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { run } from '../action.js';
import { CliError, isNotImplemented } from '../errors.js';
import { humanDate, humanSize } from '../format.js';
import { listLocal, listRemote, remoteFolderExists, type Entry } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import type { Remote } from '../remote.js';
import { parseTarget, type RemoteTarget } from '../target.js';

interface LsOptions extends OutputOptions {
  recursive?: boolean;
  versions?: boolean;
}

const BLANK_DATE = ' '.repeat(23);

function line(date: string, size: string, name: string, extra = ''): string {
  return `[${date}] ${size.padStart(10)}  ${extra}${name}`;
}

function printEntry(out: Output, entry: Entry, url: string): void {
  if (entry.dir) {
    out.result(line(BLANK_DATE, 'DIR', entry.rel), { type: 'folder', key: entry.rel, url });
    return;
  }
  out.result(line(humanDate(entry.modTime), humanSize(entry.size), entry.rel), {
    type: 'file',
    key: entry.rel,
    size: entry.size,
    lastModified: entry.modTime.toISOString(),
    ...(entry.etag !== undefined ? { etag: entry.etag } : {}),
    ...(entry.storageClass !== undefined ? { storageClass: entry.storageClass } : {}),
    url,
  });
}

async function listBuckets(out: Output, remote: Remote, recursive: boolean): Promise<void> {
  const result = await remote.call({}, (c) => c.send(new ListBucketsCommand({})));
  for (const b of result.Buckets ?? []) {
    const name = b.Name ?? '';
    if (!recursive) {
      out.result(line(humanDate(b.CreationDate), 'BUCKET', `${name}/`), {
        type: 'bucket',
        key: `${name}/`,
        created: b.CreationDate?.toISOString(),
        url: remote.name(name),
      });
      continue;
    }
    for await (const entry of listRemote(remote, name, '')) {
      printEntry(out, { ...entry, rel: `${name}/${entry.rel}` }, remote.name(name, entry.rel));
    }
  }
}

async function listVersions(out: Output, t: RemoteTarget): Promise<void> {
  const { remote, bucket } = t;
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    let page;
    try {
      page = await remote.client.send(
        new ListObjectVersionsCommand({ Bucket: bucket, Prefix: t.key || undefined, KeyMarker: keyMarker, VersionIdMarker: versionMarker }),
      );
    } catch (err) {
      if (isNotImplemented(err)) throw new CliError(`${remote.alias} does not support object versions (listing versions is not implemented)`);
      throw remote.explain(err, { bucket });
    }
    const rows = [
      ...(page.Versions ?? []).map((v) => ({ ...v, deleteMarker: false, Size: v.Size })),
      ...(page.DeleteMarkers ?? []).map((d) => ({ ...d, deleteMarker: true, Size: 0 })),
    ].sort((a, b) => ((a.Key ?? '') < (b.Key ?? '') ? -1 : (a.Key ?? '') > (b.Key ?? '') ? 1 : (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0)));
    for (const v of rows) {
      const rel = (v.Key ?? '').slice(t.key.endsWith('/') ? t.key.length : 0);
      const tag = `${v.VersionId ?? 'null'} ${v.IsLatest ? 'v-latest' : 'v'}${v.deleteMarker ? ' DEL' : ''} `;
      out.result(line(humanDate(v.LastModified), humanSize(v.Size ?? 0), rel, `${tag} `), {
        type: v.deleteMarker ? 'deleteMarker' : 'version',
        key: rel,
        versionId: v.VersionId ?? 'null',
        isLatest: v.IsLatest ?? false,
        size: v.Size ?? 0,
        lastModified: v.LastModified?.toISOString(),
        url: remote.name(bucket, v.Key),
      });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
}

async function listRemoteTarget(out: Output, t: RemoteTarget, options: LsOptions): Promise<void> {
  const { remote, bucket, key } = t;
  if (!bucket) {
    if (options.versions) throw new CliError('--versions needs a bucket: ALIAS/BUCKET[/PREFIX]');
    await listBuckets(out, remote, options.recursive === true);
    return;
  }
  if (options.versions) return listVersions(out, t);
  const recursive = options.recursive === true;
  let prefix = key;
  let relBase = key;
  if (key !== '' && !key.endsWith('/')) {
    // Like `ls dir`: a folder shows its contents; otherwise the names starting with KEY.
    if (await remoteFolderExists(remote, bucket, `${key}/`)) {
      prefix = relBase = `${key}/`;
    } else {
      relBase = key.slice(0, key.lastIndexOf('/') + 1);
    }
  }
  let count = 0;
  for await (const entry of listRemote(remote, bucket, prefix, !recursive)) {
    const rel = prefix.slice(relBase.length) + entry.rel;
    printEntry(out, { ...entry, rel }, remote.name(bucket, relBase + rel));
    count++;
  }
  if (count === 0 && key !== '' && !key.endsWith('/')) throw new CliError(`object or folder "${t.text}" does not exist`);
  if (count === 0 && key === '') await remote.requireBucket(bucket);
}

async function listLocalTarget(out: Output, path: string, text: string, recursive: boolean): Promise<void> {
  const st = await stat(path);
  if (!st.isDirectory()) {
    printEntry(out, { rel: basename(path), size: st.size, modTime: st.mtime }, text);
    return;
  }
  for await (const entry of listLocal(path, !recursive)) printEntry(out, entry, `${text.replace(/\/$/, '')}/${entry.rel}`);
}

export function registerLs(program: Command): void {
  withOutputOptions(
    program
      .command('ls')
      .alias('list')
      .description('list buckets, objects and folders (or local files)')
      .argument('[targets...]', 'ALIAS, ALIAS/BUCKET[/PREFIX] or a local path', ['.'])
      .option('-r, --recursive', 'list everything under the target, not one level')
      .option('--versions', 'list every version of each object (servers with versioning only)'),
    false,
  )
    .addHelpText(
      'after',
      `
A folder target shows its contents: "ALIAS/BUCKET/photos" lists what is under photos/.

Examples:
  $ tessera ls local                      # buckets
  $ tessera ls local/photos               # one level of a bucket
  $ tessera ls -r local/photos/2024/      # everything under a prefix
  $ tessera ls --json local/photos | jq .key`,
    )
    .action(
      run(async (targets: string[], options: LsOptions) => {
        const out = new Output(options);
        for (const arg of targets) {
          const target = await parseTarget(arg, 'source');
          if (target.kind === 'remote') await listRemoteTarget(out, target, options);
          else if (options.versions) throw new CliError('--versions applies to remote targets only');
          else await listLocalTarget(out, target.path, target.text, options.recursive === true);
        }
      }),
    );
}
