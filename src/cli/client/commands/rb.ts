/** `tessera rb`: remove buckets; with --force, everything in them first. */
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { run } from '../action.js';
import { listRemote } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { abortUpload, deleteKeys, listAllVersions, listIncomplete, type KeyVersion } from '../remove.js';
import { parseBucketTarget } from '../target.js';
import { CliError } from '../errors.js';

interface RbOptions extends OutputOptions {
  force?: boolean;
}

export function registerRb(program: Command): void {
  withOutputOptions(
    program
      .command('rb')
      .alias('remove-bucket')
      .description('remove buckets')
      .argument('<targets...>', 'ALIAS/BUCKET')
      .option('--force', 'remove the objects (and versions, incomplete uploads) in the bucket first'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera rb local/scratch
  $ tessera rb --force local/old-logs        # with everything in it`,
    )
    .action(
      run(async (targets: string[], options: RbOptions) => {
        const out = new Output(options);
        for (const arg of targets) {
          const { remote, bucket, key } = await parseBucketTarget(arg);
          if (key.replace(/\/$/, '') !== '') throw new CliError(`"${arg}" is a path inside a bucket; rb removes buckets (use rm -r --force for a prefix)`);
          let removed = 0;
          if (options.force) {
            await remote.requireBucket(bucket);
            const versions = await listAllVersions(remote, bucket, '');
            const items: KeyVersion[] = versions ?? [];
            if (!versions) for await (const e of listRemote(remote, bucket, '', false, true)) items.push({ key: e.rel });
            await deleteKeys(remote, bucket, items, () => removed++);
            for (const upload of (await listIncomplete(remote, bucket, '')) ?? []) await abortUpload(remote, bucket, upload);
          }
          await remote.call({ bucket }, (c) => c.send(new DeleteBucketCommand({ Bucket: bucket })));
          out.result(`Removed bucket ${remote.name(bucket)}${options.force ? ` and ${removed} object(s) in it` : ''}.`, {
            status: 'success',
            target: remote.name(bucket),
            objectsRemoved: removed,
          });
        }
      }),
    );
}
