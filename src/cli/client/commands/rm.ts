/** `tessera rm`: remove objects (or local files); prefixes with -r --force; versions; incomplete uploads. */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { rm as rmLocal, stat } from 'node:fs/promises';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { listRemote, remoteFolderExists } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { abortUpload, deleteKeys, listAllVersions, listIncomplete, type KeyVersion } from '../remove.js';
import { parseTarget, type RemoteTarget } from '../target.js';

interface RmOptions extends OutputOptions {
  recursive?: boolean;
  force?: boolean;
  versions?: boolean;
  incomplete?: boolean;
  dryRun?: boolean;
  versionId?: string;
  bypass?: boolean;
}

async function removeIncomplete(out: Output, t: RemoteTarget, options: RmOptions): Promise<void> {
  const { remote, bucket, key } = t;
  const uploads = await listIncomplete(remote, bucket, key);
  if (uploads === undefined) throw new CliError(`${remote.alias} does not support multipart uploads, so there are no incomplete uploads to remove`);
  const matching = options.recursive ? uploads : uploads.filter((u) => u.key === key);
  for (const upload of matching) {
    if (!options.dryRun) await abortUpload(remote, bucket, upload);
    out.result(`${options.dryRun ? 'Would remove' : 'Removed'} incomplete upload ${remote.name(bucket, upload.key)} (${upload.uploadId}).`, {
      type: 'remove', status: options.dryRun ? 'dry-run' : 'success', target: remote.name(bucket, upload.key), uploadId: upload.uploadId, incomplete: true,
    });
  }
  if (matching.length === 0) out.text(`No incomplete uploads at ${t.text}.`);
}

async function removeRemote(out: Output, t: RemoteTarget, options: RmOptions): Promise<void> {
  const { remote, bucket, key } = t;
  if (!bucket) throw new CliError(`"${t.text}" names no bucket (remove buckets with rb)`);
  if (options.incomplete) return removeIncomplete(out, t, options);
  let items: KeyVersion[];
  if (options.versionId !== undefined) {
    if (options.recursive || options.versions) throw new CliError('--version-id names one version of one object: no -r or --versions with it');
    if (key === '' || key.endsWith('/')) throw new CliError(`"${t.text}" names no object; --version-id needs ALIAS/BUCKET/KEY`);
    items = [{ key, versionId: options.versionId }];
  } else if (options.versions) {
    const versions = await listAllVersions(remote, bucket, key);
    if (versions === undefined) throw new CliError(`${remote.alias} does not support object versions (removing versions is not implemented)`);
    items = options.recursive ? versions : versions.filter((v) => v.key === key);
  } else if (options.recursive) {
    items = [];
    const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
    for await (const entry of listRemote(remote, bucket, prefix, false, true)) items.push({ key: prefix + entry.rel });
    // The object named like the prefix ("dir" beside "dir/...") goes too, as `rm -r dir` would.
    if (key !== '' && !key.endsWith('/') && (await remote.headObject(bucket, key))) items.push({ key });
    if (items.length === 0) await remote.requireBucket(bucket);
  } else {
    if (key === '' || key.endsWith('/')) throw new CliError(`"${t.text}" is a folder; use -r --force to remove everything under it`);
    if (!(await remote.headObject(bucket, key))) {
      if (await remoteFolderExists(remote, bucket, `${key}/`)) throw new CliError(`"${t.text}" is a folder; use -r --force to remove everything under it`);
      throw new CliError(`object "${remote.name(bucket, key)}" does not exist`);
    }
    items = [{ key }];
  }
  const report = (item: KeyVersion): void =>
    out.result(`${options.dryRun ? 'Would remove' : 'Removed'} ${remote.name(bucket, item.key)}${item.versionId ? ` (version ${item.versionId})` : ''}.`, {
      type: 'remove', status: options.dryRun ? 'dry-run' : 'success', target: remote.name(bucket, item.key), ...(item.versionId ? { versionId: item.versionId } : {}),
    });
  if (options.dryRun) items.forEach(report);
  else if (items.length === 1 && (!items[0].versionId || options.versionId !== undefined)) {
    const [{ key: only, versionId }] = items;
    await remote.call({ bucket, key: only }, (c) => c.send(new DeleteObjectCommand({ Bucket: bucket, Key: only, VersionId: versionId, BypassGovernanceRetention: options.bypass })));
    report(items[0]);
  } else await deleteKeys(remote, bucket, items, report);
}

export function registerRm(program: Command): void {
  withOutputOptions(
    program
      .command('rm')
      .alias('remove')
      .description('remove objects or files')
      .argument('<targets...>', 'ALIAS/BUCKET/KEY (with -r: a prefix) or local paths')
      .option('-r, --recursive', 'remove everything under a prefix or folder (needs --force)')
      .option('--force', 'allow a recursive removal')
      .option('--versions', 'remove all versions of the object(s) (servers with versioning only)')
      .option('--version-id <id>', 'remove this version of the object, for good')
      .option('--bypass', 'remove a version under GOVERNANCE retention (x-amz-bypass-governance-retention)')
      .option('--incomplete', 'remove incomplete multipart uploads instead of objects')
      .option('--dry-run', 'show what would be removed, remove nothing'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera rm local/photos/old.jpg
  $ tessera rm -r --force local/photos/2019/
  $ tessera rm -r --force --dry-run local/logs/
  $ tessera rm -r --force --incomplete local/uploads/
  $ tessera rm --versions local/docs/report.pdf
  $ tessera rm --version-id 0192c1a4-... local/docs/report.pdf`,
    )
    .action(
      run(async (targets: string[], options: RmOptions) => {
        if (options.recursive && !options.force) throw new CliError('a recursive removal needs --force as well (rm -r --force TARGET)');
        const out = new Output(options);
        for (const arg of targets) {
          const target = await parseTarget(arg, 'source');
          if (target.kind === 'remote') {
            await removeRemote(out, target, options);
            continue;
          }
          if (options.versions || options.incomplete) throw new CliError('--versions and --incomplete apply to remote targets only');
          const st = await stat(target.path);
          if (st.isDirectory() && !options.recursive) throw new CliError(`"${arg}" is a folder; use -r --force to remove it`);
          if (!options.dryRun) await rmLocal(target.path, { recursive: options.recursive === true });
          out.result(`${options.dryRun ? 'Would remove' : 'Removed'} ${target.text}.`, { type: 'remove', status: options.dryRun ? 'dry-run' : 'success', target: target.text });
        }
      }),
    );
}
