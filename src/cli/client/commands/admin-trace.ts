/**
 * `tessera admin trace` (every node's requests as they finish, like `mc admin trace`) and
 * `tessera admin top locks` (the locks held or waited for longest), through the admin API.
 */
import type { Command } from 'commander';
import type { TraceOptions } from '../../../admin/client.js';
import type { NodeLock } from '../../../admin/top-locks.js';
import type { TraceLine } from '../../../admin/trace-feed.js';
import { run } from '../action.js';
import { clientOf, explain, withAdmin } from '../admin-access.js';
import { CliError } from '../errors.js';
import { humanDuration, humanSize, parseDuration, parsePositiveInt } from '../format.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { parseRemote } from '../target.js';

interface TraceCliOptions extends OutputOptions {
  method?: string[];
  api?: string[];
  errors?: boolean;
  minDuration?: number;
  node?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter((v) => v !== '')];

function traceText(line: TraceLine): string {
  switch (line.type) {
    case 'request':
      return [
        line.time,
        line.node,
        line.requestId,
        `${line.method} ${line.path}`,
        ...(line.api ? [line.api] : []),
        String(line.status),
        humanDuration(line.durationMs),
        `in ${humanSize(line.bytesIn)} out ${humanSize(line.bytesOut)}`,
      ].join('  ');
    case 'dropped':
      return `-- ${line.node}: ${line.count} request(s) not shown (this trace fell behind)`;
    case 'unreachable':
      return `-- ${line.node}: not traced: ${line.error}`;
    case 'subscribed':
      return `-- tracing ${line.nodes.join(' ')}`;
  }
}

async function trace(arg: string, options: TraceCliOptions): Promise<void> {
  const out = new Output(options);
  const target = await parseRemote(arg);
  const filter: TraceOptions = {
    methods: options.method,
    apis: options.api,
    bucket: target.bucket || undefined,
    prefix: target.key || undefined,
    errorsOnly: options.errors === true,
    minDurationMs: options.minDuration,
    nodes: options.node,
  };
  try {
    for await (const line of clientOf(target.remote).trace(filter)) {
      // --json prints every line as the server sent it; text goes to stdout for requests, stderr for the rest.
      if (out.json) out.record(line);
      else if (line.type === 'request') out.result(traceText(line), line);
      else out.warn(line.type === 'subscribed' ? `tracing ${line.nodes.join(' ')} (Ctrl-C to stop)` : traceText(line));
    }
  } catch (err) {
    throw explain(err, target.remote);
  }
  throw new CliError(`${target.remote.alias} (${target.remote.url}) ended the trace`);
}

function lockText(l: NodeLock): string {
  return `${humanDuration(l.ageMs).padStart(8)}  ${l.state.padEnd(7)}  ${l.mode.padEnd(5)}  ${l.node}  ${l.resource}`;
}

export function registerAdminTrace(admin: Command): void {
  withOutputOptions(
    admin
      .command('trace')
      .description("show every node's requests as they finish, until Ctrl-C")
      .argument('<target>', 'ALIAS, or ALIAS/BUCKET[/PREFIX] for the requests on those objects only')
      .option('--method <methods>', 'only these HTTP methods (GET,PUT,...; repeatable)', collect)
      .option('--api <actions>', 'only these S3 API calls (GetObject,PutObject,...; repeatable)', collect)
      .option('--errors', 'only requests answered with status 400 or above')
      .option('--min-duration <duration>', 'only requests that took at least this long (e.g. 250ms, 2s)', parseDuration)
      .option('--node <host:port>', 'only these nodes (repeatable)', collect),
    false,
  )
    .addHelpText(
      'after',
      `
Each request is one line: when it arrived, the node that answered it, its request id (the
x-amz-request-id the client saw), method and path, API call, status, duration and bytes in / out.
A trace that cannot keep up loses requests rather than slowing the servers, and says how many.

Examples:
  $ tessera admin trace local
  $ tessera admin trace --errors local/photos
  $ tessera admin trace --api PutObject,CompleteMultipartUpload --min-duration 1s local
  $ tessera admin trace --json --node 10.0.0.2:9000 local`,
    )
    .action(run(trace));

  const top = admin.command('top').description('what is busy right now');
  withOutputOptions(
    top
      .command('locks')
      .description('the locks held or waited for longest, on every node')
      .argument('<alias>', 'the alias')
      .option('--count <n>', 'how many to show', parsePositiveInt, 10),
    false,
  )
    .addHelpText(
      'after',
      `
Each lock is one line: how long it has been held (or waited for), held or waiting, read or write,
the node whose request holds it, and the object (bucket/key) it protects.

Examples:
  $ tessera admin top locks local
  $ tessera admin top locks --json --count 50 local`,
    )
    .action(
      run(async (alias: string, options: OutputOptions & { count: number }) => {
        const out = new Output(options);
        const top = await withAdmin(alias, (client) => client.topLocks(options.count));
        for (const u of top.unreachable) out.warn(`${u.node}: not asked: ${u.error}`);
        if (out.json) out.record(top);
        else out.text(top.locks.length === 0 ? 'No locks held or awaited.' : top.locks.map(lockText).join('\n'));
      }),
    );
}
