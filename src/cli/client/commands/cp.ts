/** `tessera cp` and `tessera mv`: copy (or move) files and objects between any two places. */
import type { Command } from 'commander';
import { rmdir, unlink } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { run } from '../action.js';
import { CliError } from '../errors.js';
import { planCopies, runJobs, withTransferOptions, type Job, type TransferFlags } from '../jobs.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { deleteKeys } from '../remove.js';
import type { Remote } from '../remote.js';

interface CpOptions extends OutputOptions, TransferFlags {
  recursive?: boolean;
}

const EXAMPLES = (verb: string) => `
A source ending with '/' copies a folder's contents; without it, the folder itself (like rsync).
Objects up to --part-size go in one streamed PUT; larger ones as a parallel multipart upload.
Between two buckets of one alias the server copies (CopyObject); else the data streams through.

Examples:
  $ tessera ${verb} ./report.pdf local/docs/
  $ tessera ${verb} local/docs/report.pdf ./
  $ tessera ${verb} -r ./photos local/backup/            # -> local/backup/photos/...
  $ tessera ${verb} -r local/backup/photos/ ./restored/  # contents of photos/
  $ tessera ${verb} local/a/file.bin local/b/copy.bin`;

async function removeSources(jobs: Job[]): Promise<void> {
  const byBucket = new Map<string, { remote: Remote; bucket: string; keys: string[] }>();
  const dirs = new Set<string>();
  for (const { src, root } of jobs) {
    if (src.kind === 'local') {
      await unlink(src.path);
      // The folders between the file and the moved folder's root, the root included.
      for (let dir = dirname(src.path); root !== undefined && (dir === root || dir.startsWith(`${root}${sep}`)); dir = dirname(dir)) dirs.add(dir);
      continue;
    }
    const id = `${src.remote.alias}\0${src.bucket}`;
    if (!byBucket.has(id)) byBucket.set(id, { remote: src.remote, bucket: src.bucket, keys: [] });
    byBucket.get(id)!.keys.push(src.key);
  }
  for (const { remote, bucket, keys } of byBucket.values()) {
    await deleteKeys(remote, bucket, keys.map((key) => ({ key })));
  }
  // Folders a recursive move emptied go too (deepest first; non-empty ones stay, e.g. with files added meanwhile).
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await rmdir(dir).catch(() => {});
}

function register(program: Command, verb: 'cp' | 'mv'): void {
  const cmd = program
    .command(verb)
    .description(verb === 'cp' ? 'copy files and objects' : 'move files and objects (copy, then remove the source)')
    .argument('<sources...>', 'local paths or ALIAS/BUCKET/KEY (the last argument is the destination)')
    .option('-r, --recursive', `${verb === 'cp' ? 'copy' : 'move'} folders and prefixes with everything under them`);
  withTransferOptions(cmd);
  withOutputOptions(cmd)
    .addHelpText('after', EXAMPLES(verb))
    .action(
      run(async (args: string[], options: CpOptions) => {
        if (args.length < 2) throw new CliError(`${verb} needs a source and a destination, e.g. tessera ${verb} ./file local/bucket/`);
        const out = new Output(options);
        const jobs = await planCopies(args.slice(0, -1), args[args.length - 1], options.recursive === true);
        const result = await runJobs(jobs, options, out, { verb: verb === 'cp' ? 'copy' : 'move' });
        if (verb === 'mv') await removeSources(jobs);
        out.record({ type: 'summary', objects: result.copied.length, bytes: result.bytes, seconds: result.ms / 1000 });
      }),
    );
}

export function registerCp(program: Command): void {
  register(program, 'cp');
  register(program, 'mv');
}
