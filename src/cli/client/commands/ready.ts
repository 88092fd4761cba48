/** `tessera ready`: is the server behind an alias ready (its health endpoint)? Exit 0 or 1. */
import type { Command } from 'commander';
import { run } from '../action.js';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { CliError, describeError, networkReason } from '../errors.js';
import { humanDuration, parseDuration } from '../format.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import { parseRemote } from '../target.js';

interface ReadyOptions extends OutputOptions {
  cluster?: boolean;
  wait?: number;
}

type Check = { ready: true; status: number } | { ready: false; status?: number; reason: string };

/** One GET of a health URL (node:http rather than fetch, which refuses some ports, e.g. 9). */
function get(url: string, agent?: Agent): Promise<number> {
  const https = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const request = (https ? httpsRequest : httpRequest)(url, { method: 'GET', timeout: 5000, agent: https ? agent : undefined }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    request.once('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.once('error', reject);
    request.end();
  });
}

async function check(url: string, agent?: Agent): Promise<Check> {
  try {
    const status = await get(url, agent);
    if (status === 200) return { ready: true, status };
    if (status === 404) return { ready: false, status, reason: 'has no Tessera health endpoint (HTTP 404)' };
    return { ready: false, status, reason: `is not ready (HTTP ${status})` };
  } catch (err) {
    return { ready: false, reason: networkReason(err) ?? describeError(err) };
  }
}

export function registerReady(program: Command): void {
  withOutputOptions(
    program
      .command('ready')
      .description('check that the server behind an alias is ready (exit 0) or not (exit 1)')
      .argument('<alias>', 'the alias')
      .option('--cluster', 'check that the cluster can also take writes (write quorum), not just that it serves')
      .option('--wait <duration>', 'keep checking until ready, for at most DURATION (e.g. 30s)', parseDuration),
    false,
  )
    .addHelpText(
      'after',
      `
Uses the unauthenticated health endpoints /tessera/health/ready and, with --cluster,
/tessera/health/cluster.

Examples:
  $ tessera ready local && echo up
  $ tessera ready --wait 60s local      # in scripts that start a server
  $ tessera ready --cluster local`,
    )
    .action(
      run(async (arg: string, options: ReadyOptions) => {
        const out = new Output(options);
        const { remote } = await parseRemote(arg);
        const url = `${remote.url}/tessera/health/${options.cluster ? 'cluster' : 'ready'}`;
        const deadline = Date.now() + (options.wait ?? 0);
        let result = await check(url, remote.httpsAgent);
        while (!result.ready && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          result = await check(url, remote.httpsAgent);
        }
        if (!result.ready) {
          out.record({ alias: remote.alias, url: remote.url, ready: false, status: result.status ?? null, reason: result.reason });
          const waited = options.wait ? ` after waiting ${humanDuration(options.wait)}` : '';
          if (result.status === undefined) throw new CliError(`cannot reach ${remote.alias} (${remote.url}): ${result.reason}${waited}`);
          throw new CliError(`${remote.alias} (${remote.url}) ${result.reason}${waited}`);
        }
        out.result(`${remote.alias} (${remote.url}) is ready${options.cluster ? ' for reads and writes' : ''}.`, {
          alias: remote.alias, url: remote.url, ready: true, status: 200,
        });
      }),
    );
}
