/** `tessera share download|upload`: presigned URLs that work without keys until they expire. */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Command } from 'commander';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { humanDuration, parseDuration } from '../format.js';
import { listRemote } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import type { Remote } from '../remote.js';
import { parseRemote } from '../target.js';

/** SigV4 presigned URLs live at most a week. */
const MAX_EXPIRY_MS = 7 * 24 * 3600 * 1000;

interface ShareOptions extends OutputOptions {
  expire: number;
  recursive?: boolean;
}

function checkExpiry(ms: number): number {
  if (ms < 1000) throw new CliError('--expire must be at least 1s');
  if (ms > MAX_EXPIRY_MS) throw new CliError(`--expire must be at most 7d (S3 presigned URLs last a week at most), got ${humanDuration(ms)}`);
  return Math.floor(ms / 1000);
}

async function presign(remote: Remote, method: 'GET' | 'PUT', bucket: string, key: string, seconds: number): Promise<string> {
  const command = method === 'GET' ? new GetObjectCommand({ Bucket: bucket, Key: key }) : new PutObjectCommand({ Bucket: bucket, Key: key });
  return remote.call({ bucket, key }, (c) => getSignedUrl(c, command, { expiresIn: seconds }));
}

function report(out: Output, kind: 'download' | 'upload', url: string, target: string, seconds: number): void {
  const expires = new Date(Date.now() + seconds * 1000).toISOString();
  const share = kind === 'download' ? url : `curl -T <FILE> '${url}'`;
  const human = `URL    : ${target}\nExpire : ${humanDuration(seconds * 1000)} (${expires})\nShare  : ${share}`;
  out.result(human, { type: kind, target, url, expiresInSeconds: seconds, expires, ...(kind === 'upload' ? { method: 'PUT' } : {}) });
}

const expireOption = ['--expire <duration>', 'how long the URL works, at most 7d', parseDuration, MAX_EXPIRY_MS] as const;

export function registerShare(program: Command): void {
  const share = program
    .command('share')
    .description('make presigned URLs to download or upload objects without keys')
    .addHelpText(
      'after',
      `
Examples:
  $ tessera share download local/docs/report.pdf
  $ tessera share download --expire 2h -r local/docs/2024/
  $ tessera share upload --expire 1d local/inbox/upload.zip`,
    );

  withOutputOptions(
    share
      .command('download')
      .description('URLs that GET objects')
      .argument('<targets...>', 'ALIAS/BUCKET/KEY (with -r: a prefix)')
      .option(...expireOption)
      .option('-r, --recursive', 'one URL for each object under a prefix'),
    false,
  )
    .addHelpText('after', '\nExamples:\n  $ tessera share download local/docs/report.pdf\n  $ tessera share download --expire 12h -r local/docs/\n  $ curl -o report.pdf "$(tessera share download --json local/docs/report.pdf | jq -r .url)"')
    .action(
      run(async (targets: string[], options: ShareOptions) => {
        const out = new Output(options);
        const seconds = checkExpiry(options.expire);
        for (const arg of targets) {
          const { remote, bucket, key } = await parseRemote(arg);
          if (!bucket) throw new CliError(`"${arg}" names no bucket; write ${remote.alias}/BUCKET/KEY`);
          if (options.recursive) {
            const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
            let n = 0;
            for await (const e of listRemote(remote, bucket, prefix)) {
              n++;
              report(out, 'download', await presign(remote, 'GET', bucket, prefix + e.rel, seconds), remote.name(bucket, prefix + e.rel), seconds);
            }
            if (n === 0) throw new CliError(`nothing under "${arg}" to share`);
            continue;
          }
          if (key === '' || key.endsWith('/')) throw new CliError(`"${arg}" is not an object; use -r to share everything under a prefix`);
          if (!(await remote.headObject(bucket, key))) throw new CliError(`object "${remote.name(bucket, key)}" does not exist`);
          report(out, 'download', await presign(remote, 'GET', bucket, key, seconds), remote.name(bucket, key), seconds);
        }
      }),
    );

  withOutputOptions(
    share
      .command('upload')
      .description('URLs that PUT an object (e.g. with curl -T FILE URL)')
      .argument('<targets...>', 'ALIAS/BUCKET/KEY: where the upload will be stored')
      .option(...expireOption),
    false,
  )
    .addHelpText('after', '\nExamples:\n  $ tessera share upload local/inbox/scan.pdf\n  $ curl -T scan.pdf "$(tessera share upload --json --expire 1h local/inbox/scan.pdf | jq -r .url)"')
    .action(
      run(async (targets: string[], options: ShareOptions) => {
        const out = new Output(options);
        const seconds = checkExpiry(options.expire);
        for (const arg of targets) {
          const { remote, bucket, key } = await parseRemote(arg);
          if (!bucket || key === '' || key.endsWith('/')) throw new CliError(`"${arg}" is not an object name; write ALIAS/BUCKET/KEY`);
          await remote.requireBucket(bucket);
          report(out, 'upload', await presign(remote, 'PUT', bucket, key, seconds), remote.name(bucket, key), seconds);
        }
      }),
    );
}
