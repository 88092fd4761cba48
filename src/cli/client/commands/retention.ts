/**
 * `tessera retention set|clear|info` and `tessera legalhold set|clear|info`: Object Lock on an
 * object (a version with --version-id), or with --default the bucket's default retention (mc's names).
 */
import {
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  type ObjectLockRetentionMode,
} from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { remoteTargetOf, validityToDate } from '../object-target.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';

interface LockOptions extends OutputOptions {
  versionId?: string;
  default?: boolean;
  bypass?: boolean;
}

function modeOf(text: string): ObjectLockRetentionMode {
  const mode = text.toUpperCase();
  if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw new CliError(`"${text}" is not a retention mode: governance or compliance`);
  return mode;
}

/** A bucket's default retention period as S3 takes it: whole days or years. */
function defaultPeriod(text: string): { Days: number } | { Years: number } {
  const match = /^(\d+)([dy])$/i.exec(text.trim());
  if (!match || Number(match[1]) < 1) throw new CliError(`"${text}" is not a default retention period: write days or years, e.g. 30d or 1y`);
  return match[2].toLowerCase() === 'd' ? { Days: Number(match[1]) } : { Years: Number(match[1]) };
}

export function registerRetention(program: Command): void {
  const retention = program.command('retention').description('set, clear or show Object Lock retention of an object, or a bucket\'s default');
  const common = (cmd: Command): Command =>
    withOutputOptions(cmd.option('--version-id <id>', 'the version of the object (not the current one)').option('--default', "the bucket's default retention (target ALIAS/BUCKET)"));
  common(
    retention
      .command('set')
      .description('retain an object until the validity passes (or set the bucket default)')
      .argument('<mode>', 'governance or compliance')
      .argument('<validity>', 'how long from now: 30d, 12h, 1y (a default: days or years)')
      .argument('<target>', 'ALIAS/BUCKET/KEY, or ALIAS/BUCKET with --default')
      .option('--bypass', 'allow shortening a GOVERNANCE retention (x-amz-bypass-governance-retention)'),
  ).action(
    run(async (modeText: string, validity: string, arg: string, options: LockOptions) => {
      const mode = modeOf(modeText);
      const out = new Output(options);
      if (options.default) {
        const { remote, bucket } = await remoteTargetOf(arg, 'bucket');
        const period = defaultPeriod(validity);
        await remote.call({ bucket }, (c) =>
          c.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: mode, ...period } } } })),
        );
        out.result(`${remote.name(bucket)}: new objects are retained in ${mode} mode for ${validity}.`, { status: 'success', bucket: remote.name(bucket), mode, ...period });
        return;
      }
      const { remote, bucket, key } = await remoteTargetOf(arg, 'object');
      const until = validityToDate(validity);
      await remote.call({ bucket, key }, (c) =>
        c.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, BypassGovernanceRetention: options.bypass, Retention: { Mode: mode, RetainUntilDate: until } })),
      );
      out.result(`${remote.name(bucket, key)}: retained in ${mode} mode until ${until.toISOString()}.`, { status: 'success', target: remote.name(bucket, key), mode, retainUntil: until.toISOString() });
    }),
  );
  common(retention.command('clear').description('remove a GOVERNANCE retention (with --bypass), or the bucket default').argument('<target>', 'ALIAS/BUCKET/KEY').option('--bypass', 'needed to clear a GOVERNANCE retention')).action(
    run(async (arg: string, options: LockOptions) => {
      const out = new Output(options);
      if (options.default) {
        const { remote, bucket } = await remoteTargetOf(arg, 'bucket');
        await remote.call({ bucket }, (c) => c.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } })));
        out.result(`${remote.name(bucket)}: no default retention.`, { status: 'success', bucket: remote.name(bucket) });
        return;
      }
      const { remote, bucket, key } = await remoteTargetOf(arg, 'object');
      await remote.call({ bucket, key }, (c) => c.send(new PutObjectRetentionCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, BypassGovernanceRetention: options.bypass, Retention: {} })));
      out.result(`${remote.name(bucket, key)}: retention cleared.`, { status: 'success', target: remote.name(bucket, key) });
    }),
  );
  common(retention.command('info').description('show the retention').argument('<target>', 'ALIAS/BUCKET/KEY, or ALIAS/BUCKET with --default')).action(
    run(async (arg: string, options: LockOptions) => {
      const out = new Output(options);
      if (options.default) {
        const { remote, bucket } = await remoteTargetOf(arg, 'bucket');
        const config = (await remote.call({ bucket }, (c) => c.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })))).ObjectLockConfiguration;
        const rule = config?.Rule?.DefaultRetention;
        const period = rule ? (rule.Days !== undefined ? `${rule.Days} day(s)` : `${rule.Years} year(s)`) : '';
        out.result(rule ? `${remote.name(bucket)}: Object Lock enabled, default ${rule.Mode} for ${period}.` : `${remote.name(bucket)}: Object Lock enabled, no default retention.`, {
          bucket: remote.name(bucket), enabled: config?.ObjectLockEnabled === 'Enabled', ...(rule ? { mode: rule.Mode, days: rule.Days, years: rule.Years } : {}),
        });
        return;
      }
      const { remote, bucket, key } = await remoteTargetOf(arg, 'object');
      const found = (await remote.callUnlessAbsent({ bucket, key }, (c) => c.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key, VersionId: options.versionId })), 'NoSuchObjectLockConfiguration'))?.Retention;
      out.result(found ? `${remote.name(bucket, key)}: ${found.Mode} until ${found.RetainUntilDate?.toISOString()}.` : `${remote.name(bucket, key)}: no retention.`, {
        target: remote.name(bucket, key), ...(found ? { mode: found.Mode, retainUntil: found.RetainUntilDate?.toISOString() } : {}),
      });
    }),
  );
}

export function registerLegalHold(program: Command): void {
  const hold = program.command('legalhold').description('set, clear or show the Object Lock legal hold of an object');
  const versioned = (cmd: Command): Command => withOutputOptions(cmd.argument('<target>', 'ALIAS/BUCKET/KEY').option('--version-id <id>', 'the version of the object (not the current one)'));
  for (const [verb, status] of [['set', 'ON'], ['clear', 'OFF']] as const) {
    versioned(hold.command(verb).description(`turn the legal hold ${status.toLowerCase()}`)).action(
      run(async (arg: string, options: LockOptions) => {
        const { remote, bucket, key } = await remoteTargetOf(arg, 'object');
        await remote.call({ bucket, key }, (c) => c.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, LegalHold: { Status: status } })));
        new Output(options).result(`${remote.name(bucket, key)}: legal hold ${status}.`, { status: 'success', target: remote.name(bucket, key), legalHold: status });
      }),
    );
  }
  versioned(hold.command('info').description('show the legal hold')).action(
    run(async (arg: string, options: LockOptions) => {
      const { remote, bucket, key } = await remoteTargetOf(arg, 'object');
      // A hold never set reads as off.
      const answer = await remote.callUnlessAbsent({ bucket, key }, (c) => c.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: key, VersionId: options.versionId })), 'NoSuchObjectLockConfiguration');
      const status = answer?.LegalHold?.Status ?? 'OFF';
      new Output(options).result(`${remote.name(bucket, key)}: legal hold ${status}.`, { target: remote.name(bucket, key), legalHold: status });
    }),
  );
}
