/** `tessera tag set|list|remove`: tags of an object (of a version with --version-id) or of a bucket (mc's names). */
import {
  DeleteBucketTaggingCommand,
  DeleteObjectTaggingCommand,
  GetBucketTaggingCommand,
  GetObjectTaggingCommand,
  PutBucketTaggingCommand,
  PutObjectTaggingCommand,
  type Tag,
} from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { remoteTargetOf } from '../object-target.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';

interface TagOptions extends OutputOptions {
  versionId?: string;
}

/** `k1=v1&k2=v2`, URL-encoded as S3 writes tags in headers. */
function parseTags(text: string): Tag[] {
  const params = new URLSearchParams(text);
  const tags = [...params].map(([Key, Value]) => ({ Key, Value }));
  if (tags.length === 0 || tags.some((t) => t.Key === '')) throw new CliError(`"${text}" holds no tags: write KEY=VALUE pairs joined by &, e.g. "project=x&owner=me"`);
  return tags;
}

export function registerTag(program: Command): void {
  const tag = program.command('tag').description('set, list or remove the tags of an object or a bucket');
  const versioned = (cmd: Command): Command => withOutputOptions(cmd.option('--version-id <id>', 'the version of the object (not the current one)'));
  versioned(tag.command('set').description('replace the tags').argument('<target>', 'ALIAS/BUCKET[/KEY]').argument('<tags>', '"KEY=VALUE&KEY=VALUE"')).action(
    run(async (arg: string, text: string, options: TagOptions) => {
      const { remote, bucket, key } = await remoteTargetOf(arg, 'either');
      const TagSet = parseTags(text);
      if (key === '') await remote.call({ bucket }, (c) => c.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet } })));
      else await remote.call({ bucket, key }, (c) => c.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, Tagging: { TagSet } })));
      new Output(options).result(`Tags set on ${remote.name(bucket, key)}.`, { status: 'success', target: remote.name(bucket, key), tags: Object.fromEntries(TagSet.map((t) => [t.Key, t.Value])) });
    }),
  );
  versioned(tag.command('list').description('show the tags').argument('<target>', 'ALIAS/BUCKET[/KEY]')).action(
    run(async (arg: string, options: TagOptions) => {
      const { remote, bucket, key } = await remoteTargetOf(arg, 'either');
      let tags: Tag[];
      if (key === '') {
        tags = (await remote.callUnlessAbsent({ bucket }, (c) => c.send(new GetBucketTaggingCommand({ Bucket: bucket })), 'NoSuchTagSet'))?.TagSet ?? [];
      } else {
        tags = (await remote.call({ bucket, key }, (c) => c.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: options.versionId })))).TagSet ?? [];
      }
      const out = new Output(options);
      out.result(
        tags.length === 0 ? `${remote.name(bucket, key)} has no tags.` : tags.map((t) => `${t.Key} : ${t.Value}`).join('\n'),
        { target: remote.name(bucket, key), tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])) },
      );
    }),
  );
  versioned(tag.command('remove').description('remove every tag').argument('<target>', 'ALIAS/BUCKET[/KEY]')).action(
    run(async (arg: string, options: TagOptions) => {
      const { remote, bucket, key } = await remoteTargetOf(arg, 'either');
      if (key === '') await remote.call({ bucket }, (c) => c.send(new DeleteBucketTaggingCommand({ Bucket: bucket })));
      else await remote.call({ bucket, key }, (c) => c.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: options.versionId })));
      new Output(options).result(`Tags removed from ${remote.name(bucket, key)}.`, { status: 'success', target: remote.name(bucket, key) });
    }),
  );
}
