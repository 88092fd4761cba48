/** `tessera pipe`: stream stdin into an object (multipart, in parallel, once it outgrows one part). */
import { Upload } from '@aws-sdk/lib-storage';
import type { Command } from 'commander';
import { Transform } from 'node:stream';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { humanSize } from '../format.js';
import { withTransferOptions } from '../jobs.js';
import { contentTypeFor } from '../mime.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { Progress, progressMode } from '../progress.js';
import { parseRemote } from '../target.js';

interface PipeOptions extends OutputOptions {
  partSize: number;
  parallel: number;
  contentType?: string;
}

export function registerPipe(program: Command): void {
  const cmd = program
    .command('pipe')
    .description('stream stdin into an object')
    .argument('<target>', 'ALIAS/BUCKET/KEY')
    .option('--content-type <type>', 'the object\'s Content-Type (default: from the key\'s extension)');
  withTransferOptions(cmd);
  withOutputOptions(cmd)
    .addHelpText(
      'after',
      `
Input up to --part-size goes in one PUT; longer input as a multipart upload of --part-size parts,
--parallel of them in flight (memory use is about part size x parallel).

Examples:
  $ pg_dump mydb | gzip | tessera pipe local/backups/mydb.sql.gz
  $ tar c ./project | tessera pipe --part-size 128MiB local/archives/project.tar
  $ echo hello | tessera pipe local/tmp/hello.txt`,
    )
    .action(
      run(async (arg: string, options: PipeOptions) => {
        const out = new Output(options);
        const { remote, bucket, key } = await parseRemote(arg);
        if (!bucket || key === '' || key.endsWith('/')) throw new CliError(`"${arg}" is not an object name; write ALIAS/BUCKET/KEY`);
        await remote.requireBucket(bucket);
        const progress = new Progress(progressMode(options), undefined);
        let size = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            size += chunk.length;
            progress.add(chunk.length);
            cb(null, chunk);
          },
        });
        process.stdin.once('error', (err) => counter.destroy(err));
        const upload = new Upload({
          client: remote.client,
          params: { Bucket: bucket, Key: key, Body: process.stdin.pipe(counter), ContentType: options.contentType ?? contentTypeFor(key) },
          partSize: options.partSize,
          queueSize: options.parallel,
          leavePartsOnError: false,
        });
        let etag: string | undefined;
        try {
          const result = await remote.call({ bucket, key }, () => upload.done());
          etag = ('ETag' in result ? result.ETag : undefined)?.replace(/"/g, '');
        } finally {
          progress.finish();
        }
        out.result(progress.showsBar ? undefined : `Wrote ${remote.name(bucket, key)} (${humanSize(size)}).`, {
          type: 'pipe',
          status: 'success',
          target: remote.name(bucket, key),
          size,
          ...(etag ? { etag } : {}),
        });
      }),
    );
}
