/**
 * `tessera anonymous set|get|set-json|get-json|list` (mc's names): what unsigned requests may do in
 * a bucket, kept in its bucket policy (Put/Get/DeleteBucketPolicy).
 * The levels, and how a policy is read as them and written back: src/iam/policy/anonymous-levels.ts
 * (shared with the web console). With nothing left, `set` deletes the policy.
 */
import { readFile } from 'node:fs/promises';
import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import type { Remote } from '../remote.js';
import { parseBucketTarget } from '../target.js';
import {
  isLevel,
  levelOf,
  otherPublicResources,
  prefixesOf,
  readGrants,
  setLevel,
  UnreadablePolicyError,
  writeGrants,
  type AnonymousGrants,
  type Level,
} from '../../../iam/policy/anonymous-levels.js';

/** The bucket's policy text, or undefined when it has none. */
async function policyText(remote: Remote, bucket: string): Promise<string | undefined> {
  const answer = await remote.callUnlessAbsent({ bucket }, (c) => c.send(new GetBucketPolicyCommand({ Bucket: bucket })), 'NoSuchBucketPolicy');
  return answer?.Policy;
}

/** The bucket's policy as grants. */
async function grantsOf(remote: Remote, bucket: string): Promise<AnonymousGrants> {
  try {
    return readGrants(await policyText(remote, bucket), bucket);
  } catch (err) {
    if (err instanceof UnreadablePolicyError) throw new CliError(`the bucket policy of ${bucket} is ${err.message}; replace it with \`tessera anonymous set-json\``);
    throw err;
  }
}

/** Stores a policy, explaining a refusal by Block Public Access in its own words. */
async function storePolicy(remote: Remote, bucket: string, text: string): Promise<void> {
  try {
    await remote.client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: text }));
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name === 'AccessDenied' && /BlockPublicPolicy/.test(e.message ?? '')) {
      throw new CliError(`${remote.name(bucket)} blocks public bucket policies (Block Public Access: BlockPublicPolicy)`);
    }
    if (e.name === 'MalformedPolicy') throw new CliError(`MalformedPolicy: ${(e.message ?? '').split('\n')[0]}`);
    throw remote.explain(err, { bucket });
  }
}

async function deletePolicy(remote: Remote, bucket: string): Promise<void> {
  await remote.call({ bucket }, (c) => c.send(new DeleteBucketPolicyCommand({ Bucket: bucket })));
}

export function registerAnonymous(program: Command): void {
  const anonymous = program
    .command('anonymous')
    .description('manage anonymous (unsigned) access to a bucket or a prefix: none, download, upload or public')
    .addHelpText(
      'after',
      `
The levels are kept in the bucket's policy; setting one prefix keeps the others and any statements
written by other means. get answers custom when the policy grants something other than a level.

Examples:
  $ tessera anonymous set download local/www
  $ tessera anonymous set upload local/dropbox/incoming/
  $ tessera anonymous get local/www
  $ tessera anonymous list local/www
  $ tessera anonymous get-json local/www > policy.json
  $ tessera anonymous set-json policy.json local/www`,
    );

  withOutputOptions(
    anonymous
      .command('set')
      .description("set everyone's access to a bucket or a prefix")
      .argument('<level>', 'none, download, upload or public')
      .argument('<target>', 'ALIAS/BUCKET[/PREFIX]'),
  )
    .addHelpText('after', '\nExamples:\n  $ tessera anonymous set download local/www\n  $ tessera anonymous set none local/www')
    .action(
      run(async (level: string, arg: string, options: OutputOptions) => {
        if (!isLevel(level)) throw new CliError(`"${level}" is not a level: use none, download, upload or public`);
        const { remote, bucket, key: prefix } = await parseBucketTarget(arg);
        const grants = await grantsOf(remote, bucket);
        setLevel(grants, prefix, level);
        const doc = writeGrants(grants, bucket);
        if (doc === undefined) await deletePolicy(remote, bucket);
        else await storePolicy(remote, bucket, JSON.stringify(doc));
        const target = remote.name(bucket, prefix);
        new Output(options).result(`Access permission for ${target} is set to ${level}.`, { status: 'success', target, bucket, prefix, level });
      }),
    );

  withOutputOptions(anonymous.command('get').description("show everyone's access to a bucket or a prefix").argument('<target>', 'ALIAS/BUCKET[/PREFIX]'), false)
    .addHelpText('after', '\nPrints none, download, upload, public or custom.\n\nExamples:\n  $ tessera anonymous get local/www')
    .action(
      run(async (arg: string, options: OutputOptions) => {
        const { remote, bucket, key: prefix } = await parseBucketTarget(arg);
        const level = levelOf(await grantsOf(remote, bucket), bucket, prefix);
        const target = remote.name(bucket, prefix);
        new Output(options).result(`${target}: ${level}`, { target, bucket, prefix, level });
      }),
    );

  withOutputOptions(
    anonymous
      .command('set-json')
      .description("replace a bucket's policy with a JSON file")
      .argument('<file>', 'the bucket policy (JSON)')
      .argument('<target>', 'ALIAS/BUCKET'),
  )
    .addHelpText('after', '\nExamples:\n  $ tessera anonymous set-json ./policy.json local/www')
    .action(
      run(async (file: string, arg: string, options: OutputOptions) => {
        const { remote, bucket, key } = await parseBucketTarget(arg);
        if (key !== '') throw new CliError(`"${arg}" names a prefix; a bucket policy is set on ALIAS/BUCKET`);
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no policy file "${file}"`);
          throw err;
        }
        await storePolicy(remote, bucket, text);
        new Output(options).result(`Access permission for ${remote.name(bucket)} is set from ${file}.`, { status: 'success', target: remote.name(bucket), file });
      }),
    );

  withOutputOptions(anonymous.command('get-json').description("print a bucket's policy").argument('<target>', 'ALIAS/BUCKET'), false)
    .addHelpText('after', '\nExamples:\n  $ tessera anonymous get-json local/www > policy.json')
    .action(
      run(async (arg: string, options: OutputOptions) => {
        const { remote, bucket, key } = await parseBucketTarget(arg);
        if (key !== '') throw new CliError(`"${arg}" names a prefix; a bucket policy belongs to ALIAS/BUCKET`);
        const text = await policyText(remote, bucket);
        let policy: unknown = null;
        if (text !== undefined) {
          try {
            policy = JSON.parse(text);
          } catch {
            policy = text;
          }
        }
        const human = text === undefined ? `${remote.name(bucket)} has no bucket policy.` : typeof policy === 'string' ? policy : JSON.stringify(policy, null, 2);
        new Output(options).result(human, { target: remote.name(bucket), policy });
      }),
    );

  withOutputOptions(anonymous.command('list').alias('ls').description('list the prefixes of a bucket that everyone may access, with their levels').argument('<target>', 'ALIAS/BUCKET'), false)
    .addHelpText('after', '\nExamples:\n  $ tessera anonymous list local/www')
    .action(
      run(async (arg: string, options: OutputOptions) => {
        const { remote, bucket, key } = await parseBucketTarget(arg);
        if (key !== '') throw new CliError(`"${arg}" names a prefix; list takes ALIAS/BUCKET`);
        const grants = await grantsOf(remote, bucket);
        const rows: { target: string; level: Level; prefix?: string; resource?: string }[] = prefixesOf(grants).map((prefix) => ({
          target: `${remote.name(bucket)}/${prefix}*`,
          prefix,
          level: levelOf(grants, bucket, prefix),
        }));
        for (const resource of otherPublicResources(grants, bucket)) rows.push({ target: resource, resource, level: 'custom' });
        const out = new Output(options);
        if (rows.length === 0) out.text(`${remote.name(bucket)}: no anonymous access.`);
        const width = Math.max(0, ...rows.map((r) => r.target.length));
        for (const row of rows) out.result(`${row.target.padEnd(width)}  ${row.level}`, row);
      }),
    );
}
