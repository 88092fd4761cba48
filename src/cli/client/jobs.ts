/** Planning and running copies for cp and mv: which source goes where, with progress and output. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CliError } from './errors.js';
import { humanSize, parsePositiveInt, parseSize } from './format.js';
import { isSafeLocalRel, listLocal, listRemote, locText, remoteFolderExists, statLoc, type Entry, type Loc } from './location.js';
import type { Output } from './output.js';
import { forEachLimit } from './pool.js';
import { Progress, progressMode } from './progress.js';
import { baseName, parseTarget, type Target } from './target.js';
import { DEFAULT_PART_SIZE, transfer } from './transfer.js';

export interface Job {
  src: Loc;
  entry: Entry;
  dst: Loc;
  /** For a file from a local folder copied with -r: that folder (mv removes it once empty). */
  root?: string;
}

export interface TransferFlags {
  partSize: number;
  parallel: number;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;

function parsePartSize(text: string): number {
  const size = parseSize(text);
  if (size < MIN_PART_SIZE) throw new InvalidArgumentError(`--part-size must be at least 5MiB (S3's smallest part), got ${text}`);
  return size;
}

/** --part-size and --parallel, for the commands that move data. */
export function withTransferOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--part-size <size>', 'multipart part size; anything up to it goes in one PUT')
        .argParser(parsePartSize)
        .default(DEFAULT_PART_SIZE, '64MiB'),
    )
    .option('--parallel <n>', 'transfers at once (files, or parts of one multipart upload)', parsePositiveInt, 4);
}

/** The destination for `rel` inside a destination taken as a folder. */
function inside(dest: Target, rel: string): Loc {
  if (dest.kind === 'local') {
    if (!isSafeLocalRel(rel)) throw new CliError(`refusing to write "${rel}" outside ${dest.text} (the object name has a ".." segment)`);
    return { kind: 'local', path: join(dest.path, ...rel.split('/')) };
  }
  const base = dest.key === '' || dest.key.endsWith('/') ? dest.key : `${dest.key}/`;
  return { kind: 'remote', remote: dest.remote, bucket: dest.bucket, key: base + rel };
}

async function destIsFolder(dest: Target, forced: boolean): Promise<boolean> {
  if (forced || dest.text.endsWith('/')) return true;
  if (dest.kind === 'remote') return dest.key === '';
  return (await stat(dest.path).catch(() => undefined))?.isDirectory() === true;
}

function sameLoc(a: Loc, b: Loc): boolean {
  if (a.kind === 'local' && b.kind === 'local') return a.path === b.path;
  if (a.kind === 'remote' && b.kind === 'remote') return a.remote.config.url === b.remote.config.url && a.bucket === b.bucket && a.key === b.key;
  return false;
}

/** Every copy `cp SOURCES... DEST` (with -r: folders too) asks for. */
export async function planCopies(sources: string[], destArg: string, recursive: boolean): Promise<Job[]> {
  const dest = await parseTarget(destArg, 'dest');
  if (dest.kind === 'remote' && !dest.bucket) throw new CliError(`"${destArg}" names no bucket; write ${dest.remote.alias}/BUCKET[/PREFIX]`);
  const folder = await destIsFolder(dest, sources.length > 1);
  const jobs: Job[] = [];
  for (const arg of sources) {
    const src = await parseTarget(arg, 'source');
    const copyContents = arg.endsWith('/');
    if (src.kind === 'local') {
      const st = await stat(src.path);
      if (st.isDirectory()) {
        if (!recursive) throw new CliError(`"${arg}" is a folder; use -r to copy it`);
        const prefix = copyContents ? '' : `${basename(src.path)}/`;
        for await (const entry of listLocal(src.path)) {
          jobs.push({ src: { kind: 'local', path: join(src.path, ...entry.rel.split('/')) }, entry, dst: inside(dest, prefix + entry.rel), root: src.path });
        }
        continue;
      }
      const entry: Entry = { rel: basename(src.path), size: st.size, modTime: st.mtime };
      jobs.push({ src: { kind: 'local', path: src.path }, entry, dst: folder ? inside(dest, entry.rel) : locOfDest(dest) });
      continue;
    }
    const { remote, bucket, key } = src;
    if (!bucket) throw new CliError(`"${arg}" is a whole alias; copy a bucket or objects (ALIAS/BUCKET/...)`);
    if (recursive) {
      const srcPrefix = key === '' || key.endsWith('/') ? key : `${key}/`;
      const prefix = copyContents ? '' : `${key === '' ? bucket : baseName(key)}/`;
      let found = 0;
      for await (const entry of listRemote(remote, bucket, srcPrefix)) {
        found++;
        jobs.push({ src: { kind: 'remote', remote, bucket, key: srcPrefix + entry.rel }, entry, dst: inside(dest, prefix + entry.rel) });
      }
      if (found > 0) continue;
      if (key === '') {
        await remote.requireBucket(bucket); // an empty bucket copies nothing
        continue;
      }
      if (key.endsWith('/')) throw new CliError(`folder "${remote.name(bucket, key)}" does not exist`);
    }
    if (key === '' || key.endsWith('/')) throw new CliError(`"${arg}" is a folder; use -r to copy it`);
    const loc: Loc = { kind: 'remote', remote, bucket, key };
    const entry = await statLoc(loc);
    if (!entry) {
      if (await remoteFolderExists(remote, bucket, `${key}/`)) throw new CliError(`"${arg}" is a folder; use -r to copy it`);
      throw new CliError(`object "${remote.name(bucket, key)}" does not exist`);
    }
    const name = baseName(key);
    jobs.push({ src: loc, entry: { ...entry, rel: name }, dst: folder ? inside(dest, name) : locOfDest(dest) });
  }
  for (const job of jobs) {
    if (sameLoc(job.src, job.dst)) throw new CliError(`"${locText(job.src)}" and its destination are the same`);
  }
  return jobs;
}

function locOfDest(dest: Target): Loc {
  return dest.kind === 'local'
    ? { kind: 'local', path: dest.path }
    : { kind: 'remote', remote: dest.remote, bucket: dest.bucket, key: dest.key };
}

export interface RunResult {
  copied: Job[];
  failed: { job: Job; error: Error }[];
  bytes: number;
  ms: number;
}

/**
 * Runs the copies `flags.parallel` at a time with one progress display. With `keepGoing`, a failed
 * copy is reported and the rest continue; otherwise the first failure is thrown.
 */
export async function runJobs(
  jobs: Job[],
  flags: TransferFlags,
  out: Output,
  options: { keepGoing?: boolean; verb?: string; reasonOf?: (job: Job) => string | undefined; onCopied?: (job: Job) => Promise<void> } = {},
): Promise<RunResult> {
  const total = jobs.reduce((sum, j) => sum + j.entry.size, 0);
  const progress = new Progress(progressMode({ json: out.json, quiet: out.quiet }), total);
  const result: RunResult = { copied: [], failed: [], bytes: 0, ms: 0 };
  const verb = options.verb ?? 'copy';
  try {
    await forEachLimit(jobs, flags.parallel, async (job) => {
      try {
        await transfer(job.src, job.entry, job.dst, { partSize: flags.partSize, onBytes: (n) => progress.add(n) });
        await options.onCopied?.(job);
      } catch (err) {
        if (!options.keepGoing) throw err;
        result.failed.push({ job, error: err as Error });
        out.warn(`cannot ${verb} ${locText(job.src)}: ${(err as Error).message}`);
        return;
      }
      result.copied.push(job);
      result.bytes += job.entry.size;
      const reason = options.reasonOf?.(job);
      const human = progress.showsBar ? undefined : `${locText(job.src)} -> ${locText(job.dst)} (${humanSize(job.entry.size)})`;
      out.result(human, {
        type: verb,
        status: 'success',
        source: locText(job.src),
        target: locText(job.dst),
        size: job.entry.size,
        ...(reason ? { reason } : {}),
      });
    });
  } finally {
    progress.finish();
  }
  result.ms = progress.elapsedMs;
  return result;
}
