/** `tessera find`: objects or files under a target matching name, size and age filters. */
import type { Command } from 'commander';
import { minimatch } from 'minimatch';
import { run } from '../action.js';
import { humanDate, humanSize, parseDuration, parseNonNegativeInt, parseSize } from '../format.js';
import { walkTarget } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { parseTarget } from '../target.js';

interface FindOptions extends OutputOptions {
  name?: string;
  path?: string;
  larger?: number;
  smaller?: number;
  olderThan?: number;
  newerThan?: number;
  maxdepth?: number;
  long?: boolean;
}

export function registerFind(program: Command): void {
  withOutputOptions(
    program
      .command('find')
      .description('find objects or files by name, size and age')
      .argument('<targets...>', 'ALIAS, ALIAS/BUCKET[/PREFIX] or local folders')
      .option('--name <glob>', 'the object\'s base name matches GLOB (*, ?, [abc], {a,b})')
      .option('--path <glob>', 'the path below the target matches GLOB (** spans folders)')
      .option('--larger <size>', 'larger than SIZE, e.g. 10MiB', parseSize)
      .option('--smaller <size>', 'smaller than SIZE', parseSize)
      .option('--older-than <duration>', 'last modified longer ago than DURATION, e.g. 7d, 12h', parseDuration)
      .option('--newer-than <duration>', 'last modified within DURATION', parseDuration)
      .option('--maxdepth <n>', 'at most N folders below the target', parseNonNegativeInt)
      .option('-l, --long', 'show date and size too'),
    false,
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera find local/photos --name '*.jpg'
  $ tessera find local/logs --older-than 30d --larger 100MiB
  $ tessera find local/data --path '2024/**/*.csv' -l
  $ tessera find --json local/backups --newer-than 1d | jq .url`,
    )
    .action(
      run(async (targets: string[], options: FindOptions) => {
        const out = new Output(options);
        const now = Date.now();
        for (const arg of targets) {
          const { base, entries } = await walkTarget(await parseTarget(arg, 'source'));
          for await (const e of entries) {
            const name = e.rel.slice(e.rel.lastIndexOf('/') + 1);
            const age = now - e.modTime.getTime();
            if (options.name !== undefined && !minimatch(name, options.name, { dot: true })) continue;
            if (options.path !== undefined && !minimatch(e.rel, options.path, { dot: true })) continue;
            if (options.larger !== undefined && !(e.size > options.larger)) continue;
            if (options.smaller !== undefined && !(e.size < options.smaller)) continue;
            if (options.olderThan !== undefined && !(age > options.olderThan)) continue;
            if (options.newerThan !== undefined && !(age < options.newerThan)) continue;
            if (options.maxdepth !== undefined && e.rel.split('/').length - 1 > options.maxdepth) continue;
            const url = base + e.rel;
            out.result(options.long ? `[${humanDate(e.modTime)}] ${humanSize(e.size).padStart(10)}  ${url}` : url, {
              url,
              key: e.rel,
              size: e.size,
              lastModified: e.modTime.toISOString(),
              ...(e.etag !== undefined ? { etag: e.etag } : {}),
            });
          }
        }
      }),
    );
}
