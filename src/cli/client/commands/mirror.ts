/**
 * `tessera mirror SRC DST`: make DST's contents match SRC's. Copies what is new or changed (see
 * compare.ts), overwrites only with --overwrite, deletes only with --remove. Each copy is atomic
 * (one PUT, a completed multipart upload, or a renamed partial file), so re-running after an
 * interruption finishes the job.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { stat, unlink } from 'node:fs/promises';
import { minimatch } from 'minimatch';
import { run } from '../action.js';
import { differs } from '../compare.js';
import { CliError } from '../errors.js';
import { humanDuration, humanRate, humanSize } from '../format.js';
import { runJobs, withTransferOptions, type Job, type TransferFlags } from '../jobs.js';
import { childOf, collect, folderOf, folderText, isSafeLocalRel, locText, type Entry, type Folder } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { forEachLimit } from '../pool.js';
import { deleteKeys } from '../remove.js';
import { parseTarget } from '../target.js';

interface MirrorOptions extends OutputOptions, TransferFlags {
  overwrite?: boolean;
  remove?: boolean;
  dryRun?: boolean;
  exclude: string[];
}

function collectList(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function sourceFolder(arg: string): Promise<Folder> {
  const target = await parseTarget(arg, 'source');
  if (target.kind === 'local') {
    if (!(await stat(target.path)).isDirectory()) throw new CliError(`"${arg}" is a file; mirror copies folders (use cp for one file)`);
    return folderOf(target);
  }
  if (!target.bucket) throw new CliError(`"${arg}" is a whole alias; mirror a bucket or a prefix (ALIAS/BUCKET[/PREFIX])`);
  await target.remote.requireBucket(target.bucket);
  return folderOf(target);
}

export function registerMirror(program: Command): void {
  const cmd = program
    .command('mirror')
    .description('make a folder, bucket or prefix a copy of another, copying only what changed')
    .argument('<source>', 'local folder or ALIAS/BUCKET[/PREFIX]')
    .argument('<target>', 'local folder or ALIAS/BUCKET[/PREFIX] (a missing bucket is made)')
    .option('--overwrite', 'replace objects that differ from the source (else they are reported and left)')
    .option('--remove', 'remove objects at the target that the source does not have')
    .option('--dry-run', 'show what would be copied and removed, change nothing')
    .option('--exclude <glob>', 'leave out paths matching GLOB (repeatable; "*.tmp" matches in any folder)', collectList, []);
  withTransferOptions(cmd);
  withOutputOptions(cmd)
    .addHelpText(
      'after',
      `
Changed means: another size; or, for same-size files, another content when the target's ETag is an
MD5 (single-part uploads), else a newer modification time at the source (multipart "-N" ETags).

Examples:
  $ tessera mirror ./site local/www
  $ tessera mirror --overwrite --remove ./site local/www     # exact copy
  $ tessera mirror --dry-run --exclude '*.tmp' ./data local/backup/data
  $ tessera mirror local/www ./www-backup
  $ tessera mirror --json ./site local/www | jq 'select(.type=="summary")'`,
    )
    .action(
      run(async (srcArg: string, dstArg: string, options: MirrorOptions) => {
        const out = new Output(options);
        const src = await sourceFolder(srcArg);
        const dstTarget = await parseTarget(dstArg, 'dest');
        if (dstTarget.kind === 'remote' && !dstTarget.bucket) throw new CliError(`"${dstArg}" names no bucket; write ${dstTarget.remote.alias}/BUCKET[/PREFIX]`);
        const dst = folderOf(dstTarget);
        const excluded = (rel: string): boolean =>
          options.exclude.some((glob) => minimatch(rel, glob, { dot: true, matchBase: true }) || minimatch(rel, `${glob}/**`, { dot: true }));

        let bucketMissing = false;
        if (dst.kind === 'remote' && !(await dst.remote.bucketExists(dst.bucket))) bucketMissing = true;
        const [srcEntries, dstEntries] = await Promise.all([collect(src), bucketMissing ? new Map<string, Entry>() : collect(dst)]);

        const jobs: Job[] = [];
        const reasons = new Map<Job, string>();
        const candidates: { rel: string; s: Entry; d: Entry }[] = [];
        let unchanged = 0;
        let skipped = 0;
        let excludedCount = 0;
        for (const [rel, s] of srcEntries) {
          if (excluded(rel)) {
            excludedCount++;
            continue;
          }
          if (dst.kind === 'local' && !isSafeLocalRel(rel)) {
            out.warn(`skipping ${locText(childOf(src, rel))}: its name has a ".." segment and would land outside ${folderText(dst)}`);
            continue;
          }
          const d = dstEntries.get(rel);
          if (!d) {
            const job: Job = { src: childOf(src, rel), entry: s, dst: childOf(dst, rel) };
            jobs.push(job);
            reasons.set(job, 'new');
          } else candidates.push({ rel, s, d });
        }
        // Comparing may hash local files: a few at a time.
        const changed: { rel: string; s: Entry }[] = [];
        await forEachLimit(candidates, 8, async ({ rel, s, d }) => {
          if (await differs(childOf(src, rel), s, childOf(dst, rel), d)) changed.push({ rel, s });
          else unchanged++;
        });
        changed.sort((a, b) => (a.rel < b.rel ? -1 : 1));
        for (const { rel, s } of changed) {
          if (!options.overwrite) {
            skipped++;
            out.result(undefined, { type: 'skip', reason: 'differs', source: locText(childOf(src, rel)), target: locText(childOf(dst, rel)) });
            if (!out.json) out.warn(`${locText(childOf(dst, rel))} differs from the source; not replaced (use --overwrite)`);
            continue;
          }
          const job: Job = { src: childOf(src, rel), entry: s, dst: childOf(dst, rel) };
          jobs.push(job);
          reasons.set(job, 'changed');
        }
        jobs.sort((a, b) => (a.entry.rel < b.entry.rel ? -1 : 1));
        const removals = options.remove ? [...dstEntries.keys()].filter((rel) => !srcEntries.has(rel) && !excluded(rel)).sort() : [];
        if (srcEntries.size === 0 && removals.length > 0) {
          // A mistyped prefix lists as empty: never take that as "delete everything".
          throw new CliError(`refusing to remove everything at ${folderText(dst)}: the source ${srcArg} is empty or does not exist`);
        }

        if (options.dryRun) {
          for (const job of jobs) {
            out.result(`would copy ${locText(job.src)} -> ${locText(job.dst)} (${humanSize(job.entry.size)})`, {
              type: 'copy', status: 'dry-run', reason: reasons.get(job), source: locText(job.src), target: locText(job.dst), size: job.entry.size,
            });
          }
          for (const rel of removals) {
            out.result(`would remove ${locText(childOf(dst, rel))}`, { type: 'remove', status: 'dry-run', target: locText(childOf(dst, rel)) });
          }
          out.result(`Dry run: ${jobs.length} to copy (${humanSize(jobs.reduce((n, j) => n + j.entry.size, 0))}), ${removals.length} to remove, ${unchanged} unchanged, ${skipped} differing left alone.`, {
            type: 'summary', dryRun: true, copied: jobs.length, removed: removals.length, unchanged, skipped, excluded: excludedCount, failed: 0, bytes: jobs.reduce((n, j) => n + j.entry.size, 0),
          });
          return;
        }

        if (bucketMissing && dst.kind === 'remote' && jobs.length > 0) {
          await dst.remote.call({ bucket: dst.bucket }, (c) => c.send(new CreateBucketCommand({ Bucket: dst.bucket })));
        }
        const result = await runJobs(jobs, options, out, { keepGoing: true, reasonOf: (job) => reasons.get(job) });

        let removed = 0;
        if (removals.length > 0) {
          if (dst.kind === 'remote') {
            await deleteKeys(dst.remote, dst.bucket, removals.map((rel) => ({ key: dst.prefix + rel })), (item) => {
              removed++;
              out.result(`removed ${dst.remote.name(dst.bucket, item.key)}`, { type: 'remove', status: 'success', target: dst.remote.name(dst.bucket, item.key) });
            });
          } else {
            for (const rel of removals) {
              const loc = childOf(dst, rel);
              await unlink(locText(loc));
              removed++;
              out.result(`removed ${locText(loc)}`, { type: 'remove', status: 'success', target: locText(loc) });
            }
          }
        }
        const failed = result.failed.length;
        const rate = result.ms > 0 ? (result.bytes / result.ms) * 1000 : 0;
        out.result(
          `Mirrored ${folderText(src)} -> ${folderText(dst)}: ${result.copied.length} copied (${humanSize(result.bytes)} in ${humanDuration(result.ms)}, ${humanRate(rate)}), ` +
            `${removed} removed, ${unchanged} unchanged${skipped ? `, ${skipped} differing left alone` : ''}${failed ? `, ${failed} FAILED` : ''}.`,
          { type: 'summary', dryRun: false, copied: result.copied.length, removed, unchanged, skipped, excluded: excludedCount, failed, bytes: result.bytes, seconds: result.ms / 1000 },
        );
        if (failed > 0) throw new CliError(`${failed} of ${jobs.length} copies failed; run the same mirror again to finish`);
      }),
    );
}
