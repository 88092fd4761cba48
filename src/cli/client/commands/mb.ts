/** `tessera mb`: make buckets (or local folders). */
import { CreateBucketCommand, PutBucketVersioningCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { parseTarget } from '../target.js';

interface MbOptions extends OutputOptions {
  ignoreExisting?: boolean;
  region?: string;
  withLock?: boolean;
  withVersioning?: boolean;
}

export function registerMb(program: Command): void {
  withOutputOptions(
    program
      .command('mb')
      .alias('make-bucket')
      .description('make buckets (a local path makes a folder)')
      .argument('<targets...>', 'ALIAS/BUCKET or a local path')
      .option('-p, --ignore-existing', 'succeed if the bucket already exists')
      .option('--region <region>', 'the region to create the bucket in (servers that have regions)')
      .option('-l, --with-lock', 'make the bucket with Object Lock (versioned, its versions retainable)')
      .option('--with-versioning', 'turn versioning on once the bucket is made'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera mb local/photos
  $ tessera mb -p local/photos local/backups   # no error if they exist
  $ tessera mb --with-lock local/immutable      # Object Lock (and versioning)`,
    )
    .action(
      run(async (targets: string[], options: MbOptions) => {
        const out = new Output(options);
        for (const arg of targets) {
          const target = await parseTarget(arg, 'dest');
          if (target.kind === 'local') {
            await mkdir(target.path, { recursive: true });
            out.result(`Made folder ${target.text}.`, { status: 'success', type: 'folder', target: target.text });
            continue;
          }
          const { remote, bucket, key } = target;
          if (!bucket) throw new CliError(`"${arg}" names no bucket; write ${remote.alias}/BUCKET`);
          if (key.replace(/\/$/, '') !== '') throw new CliError(`"${arg}" is a path inside a bucket; mb makes buckets (ALIAS/BUCKET)`);
          try {
            // S3 answers a repeated CreateBucket by the bucket's owner with 200 in us-east-1: whether it is there is
            // asked first. A HEAD that fails (a bad name, someone else's bucket) leaves the answer to CreateBucket.
            if (await remote.bucketExists(bucket).catch(() => false)) throw new CliError(`bucket "${bucket}" already exists`);
            await remote.call({ bucket }, (c) =>
              c.send(
                new CreateBucketCommand({
                  Bucket: bucket,
                  ...(options.withLock ? { ObjectLockEnabledForBucket: true } : {}),
                  ...(options.region && options.region !== 'us-east-1'
                    ? { CreateBucketConfiguration: { LocationConstraint: options.region as BucketLocationConstraint } }
                    : {}),
                }),
              ),
            );
          } catch (err) {
            if (options.ignoreExisting && err instanceof CliError && err.message.endsWith('already exists')) {
              out.result(`Bucket ${remote.name(bucket)} already exists.`, { status: 'success', type: 'bucket', target: remote.name(bucket), existed: true });
              continue;
            }
            throw err;
          }
          if (options.withVersioning) {
            await remote.call({ bucket }, (c) => c.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })));
          }
          out.result(`Made bucket ${remote.name(bucket)}.`, { status: 'success', type: 'bucket', target: remote.name(bucket), existed: false });
        }
      }),
    );
}
