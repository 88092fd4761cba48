/** `tessera du`: space used under a target, with per-folder totals to --depth. */
import type { Command } from 'commander';
import { run } from '../action.js';
import { humanSize, parseNonNegativeInt } from '../format.js';
import { walkTarget } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { parseTarget } from '../target.js';

interface Usage {
  size: number;
  objects: number;
}

export function registerDu(program: Command): void {
  withOutputOptions(
    program
      .command('du')
      .description('summarize space used under buckets, prefixes or folders')
      .argument('<targets...>', 'ALIAS, ALIAS/BUCKET[/PREFIX] or local folders')
      .option('-d, --depth <n>', 'also total each folder down to N levels below the target', parseNonNegativeInt, 0),
    false,
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera du local/photos
  $ tessera du --depth 1 local/photos      # one line per top-level folder, then the total
  $ tessera du --json local                # every bucket of the alias`,
    )
    .action(
      run(async (targets: string[], options: OutputOptions & { depth: number }) => {
        const out = new Output(options);
        for (const arg of targets) {
          const target = await parseTarget(arg, 'source');
          const { base, entries } = await walkTarget(target);
          const total: Usage = { size: 0, objects: 0 };
          const folders = new Map<string, Usage>();
          for await (const e of entries) {
            total.size += e.size;
            total.objects++;
            const parts = e.rel.split('/').slice(0, -1);
            for (let d = 1; d <= Math.min(options.depth, parts.length); d++) {
              const folder = `${parts.slice(0, d).join('/')}/`;
              const u = folders.get(folder) ?? { size: 0, objects: 0 };
              u.size += e.size;
              u.objects++;
              folders.set(folder, u);
            }
          }
          const print = (path: string, u: Usage, depth: number): void =>
            out.result(`${humanSize(u.size).padStart(10)}  ${String(u.objects).padStart(8)} object${u.objects === 1 ? ' ' : 's'}  ${path}`, {
              path, size: u.size, objects: u.objects, depth,
            });
          for (const folder of [...folders.keys()].sort()) print(base + folder, folders.get(folder)!, folder.split('/').length - 1);
          print(target.text, total, 0);
        }
      }),
    );
}
