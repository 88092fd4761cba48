/** `tessera version enable|suspend|info`: a bucket's versioning (mc's names). */
import { GetBucketVersioningCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { run } from '../action.js';
import { remoteTargetOf } from '../object-target.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';

export function registerVersion(program: Command): void {
  const version = program.command('version').description("turn a bucket's versioning on or off, or show it");
  for (const [verb, status] of [['enable', 'Enabled'], ['suspend', 'Suspended']] as const) {
    withOutputOptions(version.command(verb).description(`${verb} versioning of a bucket`).argument('<target>', 'ALIAS/BUCKET')).action(
      run(async (arg: string, options: OutputOptions) => {
        const { remote, bucket } = await remoteTargetOf(arg, 'bucket');
        await remote.call({ bucket }, (c) => c.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } })));
        new Output(options).result(`${remote.name(bucket)}: versioning ${status === 'Enabled' ? 'enabled' : 'suspended'}.`, { status: 'success', bucket: remote.name(bucket), versioning: status });
      }),
    );
  }
  withOutputOptions(version.command('info').description("show a bucket's versioning").argument('<target>', 'ALIAS/BUCKET')).action(
    run(async (arg: string, options: OutputOptions) => {
      const { remote, bucket } = await remoteTargetOf(arg, 'bucket');
      const { Status } = await remote.call({ bucket }, (c) => c.send(new GetBucketVersioningCommand({ Bucket: bucket })));
      new Output(options).result(`${remote.name(bucket)}: versioning ${Status ? Status.toLowerCase() : 'never enabled'}.`, { bucket: remote.name(bucket), versioning: Status ?? 'Unversioned' });
    }),
  );
}
