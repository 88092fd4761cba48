/** `tessera ilm rule add|ls|rm`: a bucket's lifecycle rules (mc's names). */
import {
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  type LifecycleRuleFilter,
} from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { remoteTargetOf } from '../object-target.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import type { Remote } from '../remote.js';

interface AddOptions extends OutputOptions {
  id?: string;
  prefix?: string;
  tags?: string;
  expireDays?: string;
  expireDeleteMarker?: boolean;
  noncurrentExpireDays?: string;
  noncurrentExpireNewer?: string;
  abortIncompleteDays?: string;
  disable?: boolean;
}

interface RmOptions extends OutputOptions {
  id?: string;
  all?: boolean;
  force?: boolean;
}

function days(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new CliError(`${what} must be a whole number of days, 1 or more (got "${text}")`);
  return Number(text);
}

async function rulesOf(remote: Remote, bucket: string): Promise<LifecycleRule[]> {
  const config = await remote.callUnlessAbsent({ bucket }, (c) => c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), 'NoSuchLifecycleConfiguration');
  return config?.Rules ?? [];
}

async function store(remote: Remote, bucket: string, rules: LifecycleRule[]): Promise<void> {
  if (rules.length === 0) await remote.call({ bucket }, (c) => c.send(new DeleteBucketLifecycleCommand({ Bucket: bucket })));
  else await remote.call({ bucket }, (c) => c.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } })));
}

function filterOf(options: AddOptions): LifecycleRuleFilter {
  const tags = options.tags ? [...new URLSearchParams(options.tags)].map(([Key, Value]) => ({ Key, Value })) : [];
  const prefix = options.prefix;
  if (tags.length === 0) return prefix !== undefined ? { Prefix: prefix } : {};
  if (tags.length === 1 && prefix === undefined) return { Tag: tags[0] };
  return { And: { ...(prefix !== undefined ? { Prefix: prefix } : {}), Tags: tags } };
}

/** One line of `ilm rule ls`. */
function describe(rule: LifecycleRule): string {
  const actions = [
    rule.Expiration?.Days !== undefined ? `expire after ${rule.Expiration.Days}d` : '',
    rule.Expiration?.Date ? `expire on ${rule.Expiration.Date.toISOString().slice(0, 10)}` : '',
    rule.Expiration?.ExpiredObjectDeleteMarker ? 'remove expired delete markers' : '',
    rule.NoncurrentVersionExpiration ? `noncurrent versions after ${rule.NoncurrentVersionExpiration.NoncurrentDays}d${rule.NoncurrentVersionExpiration.NewerNoncurrentVersions ? ` (keep ${rule.NoncurrentVersionExpiration.NewerNoncurrentVersions})` : ''}` : '',
    rule.AbortIncompleteMultipartUpload ? `abort uploads after ${rule.AbortIncompleteMultipartUpload.DaysAfterInitiation}d` : '',
  ].filter(Boolean);
  const filter = rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix;
  return `${rule.ID} ${rule.Status === 'Enabled' ? 'enabled' : 'disabled'}${filter ? ` prefix=${filter}` : ''}: ${actions.join(', ')}`;
}

export function registerIlm(program: Command): void {
  const rule = program.command('ilm').description("manage a bucket's lifecycle").command('rule').description('add, list or remove lifecycle rules');
  withOutputOptions(
    rule
      .command('add')
      .description('add a lifecycle rule')
      .argument('<target>', 'ALIAS/BUCKET')
      .option('--id <id>', 'the rule id (default: a random one)')
      .option('--prefix <prefix>', 'only objects whose keys start with this')
      .option('--tags <tags>', 'only objects with these tags, "KEY=VALUE&KEY=VALUE"')
      .option('--expire-days <days>', 'expire current versions this many days after they were made')
      .option('--expire-delete-marker', 'remove delete markers left with no versions below them')
      .option('--noncurrent-expire-days <days>', 'remove noncurrent versions this many days after they became noncurrent')
      .option('--noncurrent-expire-newer <count>', 'keep this many of the newest noncurrent versions')
      .option('--abort-incomplete-days <days>', 'abort multipart uploads this many days after they began')
      .option('--disable', 'add the rule disabled'),
  )
    .addHelpText('after', '\nExamples:\n  $ tessera ilm rule add --expire-days 90 --prefix logs/ local/app\n  $ tessera ilm rule add --noncurrent-expire-days 30 --noncurrent-expire-newer 5 local/backups')
    .action(
      run(async (arg: string, options: AddOptions) => {
        const { remote, bucket } = await remoteTargetOf(arg, 'bucket');
        const expireDays = days(options.expireDays, '--expire-days');
        const noncurrentDays = days(options.noncurrentExpireDays, '--noncurrent-expire-days');
        const newer = days(options.noncurrentExpireNewer, '--noncurrent-expire-newer');
        const abortDays = days(options.abortIncompleteDays, '--abort-incomplete-days');
        if (expireDays !== undefined && options.expireDeleteMarker) throw new CliError('--expire-days and --expire-delete-marker go in separate rules (S3 takes one of them per rule)');
        if (newer !== undefined && noncurrentDays === undefined) throw new CliError('--noncurrent-expire-newer needs --noncurrent-expire-days');
        if (expireDays === undefined && !options.expireDeleteMarker && noncurrentDays === undefined && abortDays === undefined) throw new CliError('give at least one action: --expire-days, --expire-delete-marker, --noncurrent-expire-days or --abort-incomplete-days');
        const added: LifecycleRule = {
          ID: options.id ?? randomUUID(),
          Status: options.disable ? 'Disabled' : 'Enabled',
          Filter: filterOf(options),
          ...(expireDays !== undefined ? { Expiration: { Days: expireDays } } : options.expireDeleteMarker ? { Expiration: { ExpiredObjectDeleteMarker: true } } : {}),
          ...(noncurrentDays !== undefined ? { NoncurrentVersionExpiration: { NoncurrentDays: noncurrentDays, ...(newer !== undefined ? { NewerNoncurrentVersions: newer } : {}) } } : {}),
          ...(abortDays !== undefined ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: abortDays } } : {}),
        };
        const rules = await rulesOf(remote, bucket);
        if (rules.some((r) => r.ID === added.ID)) throw new CliError(`${remote.name(bucket)} already has a rule "${added.ID}"`);
        await store(remote, bucket, [...rules, added]);
        new Output(options).result(`Lifecycle rule ${added.ID} added to ${remote.name(bucket)}.`, { status: 'success', bucket: remote.name(bucket), id: added.ID });
      }),
    );
  withOutputOptions(rule.command('ls').description('list the lifecycle rules').argument('<target>', 'ALIAS/BUCKET')).action(
    run(async (arg: string, options: OutputOptions) => {
      const { remote, bucket } = await remoteTargetOf(arg, 'bucket');
      const rules = await rulesOf(remote, bucket);
      const out = new Output(options);
      if (rules.length === 0) out.text(`${remote.name(bucket)} has no lifecycle rules.`);
      for (const r of rules) out.result(describe(r), { bucket: remote.name(bucket), rule: r });
    }),
  );
  withOutputOptions(
    rule.command('rm').description('remove a lifecycle rule, or all of them').argument('<target>', 'ALIAS/BUCKET').option('--id <id>', 'the rule to remove').option('--all', 'remove every rule (needs --force)').option('--force', 'allow --all'),
  ).action(
    run(async (arg: string, options: RmOptions) => {
      const { remote, bucket } = await remoteTargetOf(arg, 'bucket');
      if (options.all && !options.force) throw new CliError('removing every rule needs --force as well (ilm rule rm --all --force TARGET)');
      if (!options.all && options.id === undefined) throw new CliError('name the rule with --id, or use --all --force');
      const rules = await rulesOf(remote, bucket);
      const kept = options.all ? [] : rules.filter((r) => r.ID !== options.id);
      if (kept.length === rules.length && !options.all) throw new CliError(`${remote.name(bucket)} has no rule "${options.id}"`);
      await store(remote, bucket, kept);
      new Output(options).result(options.all ? `Every lifecycle rule removed from ${remote.name(bucket)}.` : `Lifecycle rule ${options.id} removed from ${remote.name(bucket)}.`, {
        status: 'success', bucket: remote.name(bucket), ...(options.all ? { all: true } : { id: options.id }),
      });
    }),
  );
}
