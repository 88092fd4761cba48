/** `tessera ping`: time authenticated round trips (ListBuckets) to an alias. */
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { run } from '../action.js';
import { parseDuration, parsePositiveInt } from '../format.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { remoteFor } from '../remote.js';
import { parseRemote } from '../target.js';

interface PingOptions extends OutputOptions {
  count: number;
  interval: number;
}

export function registerPing(program: Command): void {
  withOutputOptions(
    program
      .command('ping')
      .description('time round trips to an alias (signed ListBuckets requests)')
      .argument('<alias>', 'the alias')
      .option('-c, --count <n>', 'how many requests', parsePositiveInt, 4)
      .option('-i, --interval <duration>', 'pause between requests', parseDuration, 1000),
    false,
  )
    .addHelpText(
      'after',
      `
Each request is signed, so ping also checks the alias's keys. It stops at the first failure.

Examples:
  $ tessera ping local
  $ tessera ping -c 10 -i 200ms local
  $ tessera ping --json -c 3 local`,
    )
    .action(
      run(async (arg: string, options: PingOptions) => {
        const out = new Output(options);
        const target = await parseRemote(arg);
        const remote = await remoteFor(target.remote.alias, { maxAttempts: 1 });
        const times: number[] = [];
        for (let seq = 1; seq <= options.count; seq++) {
          if (seq > 1 && options.interval > 0) await new Promise((r) => setTimeout(r, options.interval));
          const start = process.hrtime.bigint();
          await remote.call({}, (c) => c.send(new ListBucketsCommand({})));
          const ms = Number(process.hrtime.bigint() - start) / 1e6;
          times.push(ms);
          out.result(`${seq}: ${remote.alias} (${remote.url}) time=${ms.toFixed(1)} ms`, { type: 'ping', seq, alias: remote.alias, url: remote.url, ms: Number(ms.toFixed(3)) });
        }
        const min = Math.min(...times);
        const max = Math.max(...times);
        const avg = times.reduce((a, b) => a + b, 0) / times.length;
        out.result(`${times.length} requests: min/avg/max = ${min.toFixed(1)}/${avg.toFixed(1)}/${max.toFixed(1)} ms`, {
          type: 'summary', alias: remote.alias, count: times.length, minMs: Number(min.toFixed(3)), avgMs: Number(avg.toFixed(3)), maxMs: Number(max.toFixed(3)),
        });
      }),
    );
}
