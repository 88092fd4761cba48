/** `tessera cat` and `tessera head`: print objects (or local files) to stdout. */
import type { Command } from 'commander';
import { pipeline } from 'node:stream/promises';
import { run } from '../action.js';
import { parsePositiveInt } from '../format.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { openTarget } from '../read.js';
import { parseTarget } from '../target.js';

/** Writes to stdout without ending it (several objects in a row). */
async function toStdout(stream: NodeJS.ReadableStream): Promise<void> {
  await pipeline(stream, process.stdout, { end: false });
}

/** Copies the first `lines` lines of `stream` to `write`, then stops reading it. */
async function firstLines(stream: NodeJS.ReadableStream & { destroy(): void }, lines: number, write: (chunk: Buffer) => void): Promise<void> {
  let remaining = lines;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let end = 0;
    while (remaining > 0) {
      const nl = chunk.indexOf(10, end);
      if (nl < 0) break;
      end = nl + 1;
      remaining--;
    }
    if (remaining === 0) {
      write(chunk.subarray(0, end));
      break;
    }
    write(chunk);
  }
  stream.destroy();
}

export function registerCat(program: Command): void {
  program
    .command('cat')
    .description('print objects or files to stdout, one after another')
    .argument('<targets...>', 'ALIAS/BUCKET/KEY or local files')
    .addHelpText(
      'after',
      `
Examples:
  $ tessera cat local/logs/app.log
  $ tessera cat local/data/part-1.csv local/data/part-2.csv > all.csv
  $ tessera cat local/backups/db.sql.gz | gunzip | less`,
    )
    .action(
      run(async (targets: string[]) => {
        for (const arg of targets) await toStdout(await openTarget(await parseTarget(arg, 'source')));
      }),
    );

  withOutputOptions(
    program
      .command('head')
      .description('print the first lines of objects or files')
      .argument('<targets...>', 'ALIAS/BUCKET/KEY or local files')
      .option('-n, --lines <n>', 'how many lines', parsePositiveInt, 10),
    false,
  )
    .addHelpText(
      'after',
      `
Only what the lines need is read; the rest of the object is not downloaded.

Examples:
  $ tessera head local/data/big.csv
  $ tessera head -n 1 local/data/big.csv            # the header line
  $ tessera head --json -n 3 local/logs/app.log     # {"target","line","text"} per line`,
    )
    .action(
      run(async (targets: string[], options: OutputOptions & { lines: number }) => {
        const out = new Output(options);
        for (const arg of targets) {
          const target = await parseTarget(arg, 'source');
          const stream = await openTarget(target);
          if (!out.json) {
            if (targets.length > 1) process.stdout.write(`==> ${arg} <==\n`);
            await firstLines(stream, options.lines, (chunk) => process.stdout.write(chunk));
            continue;
          }
          const chunks: Buffer[] = [];
          await firstLines(stream, options.lines, (chunk) => chunks.push(Buffer.from(chunk)));
          const text = Buffer.concat(chunks).toString('utf8');
          const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text === '' ? [] : text.split('\n');
          lines.forEach((line, i) => out.record({ target: arg, line: i + 1, text: line }));
        }
      }),
    );
}
