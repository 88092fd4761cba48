/** `tessera diff`: which objects or files two folders, buckets or prefixes do not share, or hold differently. */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { run } from '../action.js';
import { differs } from '../compare.js';
import { CliError } from '../errors.js';
import { childOf, collect, folderOf, locText } from '../location.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { forEachLimit } from '../pool.js';
import { parseTarget } from '../target.js';

export function registerDiff(program: Command): void {
  withOutputOptions(
    program
      .command('diff')
      .description('list differences between two folders, buckets or prefixes')
      .argument('<first>', 'local folder or ALIAS/BUCKET[/PREFIX]')
      .argument('<second>', 'local folder or ALIAS/BUCKET[/PREFIX]'),
    false,
  )
    .addHelpText(
      'after',
      `
Each line is "< PATH" (only in the first), "> PATH" (only in the second) or "! PATH" (in both, but
different: size, or content as mirror compares it). No output: no differences. Exit code 0 either way.

Examples:
  $ tessera diff ./site local/www
  $ tessera diff local/www local-replica/www
  $ tessera diff --json ./site local/www | jq -r 'select(.diff=="differ") .first'`,
    )
    .action(
      run(async (firstArg: string, secondArg: string, options: OutputOptions) => {
        const out = new Output(options);
        const first = await parseTarget(firstArg, 'source');
        const second = await parseTarget(secondArg, 'source');
        for (const t of [first, second]) {
          if (t.kind === 'remote') {
            if (!t.bucket) throw new CliError(`"${t.text}" names no bucket; write ${t.remote.alias}/BUCKET[/PREFIX]`);
            await t.remote.requireBucket(t.bucket);
          } else if (!(await stat(t.path)).isDirectory()) {
            throw new CliError(`"${t.text}" is a file; diff compares folders`);
          }
        }
        const a = folderOf(first);
        const b = folderOf(second);
        const [left, right] = await Promise.all([collect(a), collect(b)]);
        const rels = [...new Set([...left.keys(), ...right.keys()])].sort();
        const verdict = new Map<string, 'only-in-first' | 'only-in-second' | 'differ'>();
        const both = rels.filter((rel) => left.has(rel) && right.has(rel));
        await forEachLimit(both, 8, async (rel) => {
          if (await differs(childOf(a, rel), left.get(rel)!, childOf(b, rel), right.get(rel)!)) verdict.set(rel, 'differ');
        });
        for (const rel of rels) {
          const v = !right.has(rel) ? 'only-in-first' : !left.has(rel) ? 'only-in-second' : verdict.get(rel);
          if (!v) continue;
          const mark = v === 'only-in-first' ? '<' : v === 'only-in-second' ? '>' : '!';
          out.result(`${mark} ${rel}`, { diff: v, key: rel, first: locText(childOf(a, rel)), second: locText(childOf(b, rel)) });
        }
      }),
    );
}
