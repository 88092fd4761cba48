/**
 * `tessera admin heal` and `tessera admin info`: the server's admin API (`/tessera/admin/v1/...`),
 * called with the alias's keys (they must be the root user's), signed with SigV4.
 */
import type { Command } from 'commander';
import { AdminApiError, type AdminInfo } from '../../../admin/client.js';
import { clientOf } from '../admin-access.js';
import type { DriveInfo } from '../../../heal/info-types.js';
import type { SequenceLine, SequenceSummary } from '../../../heal/sequence.js';
import { run } from '../action.js';
import { CliError, networkReason } from '../errors.js';
import { humanDuration, humanSize } from '../format.js';
import { Output, withOutputOptions, type OutputOptions } from '../output.js';
import type { Remote } from '../remote.js';
import { parseRemote } from '../target.js';
import { registerAdminIam } from './admin-iam.js';
import { registerAdminTrace } from './admin-trace.js';

interface HealOptions extends OutputOptions {
  recursive?: boolean;
  deep?: boolean;
  dryRun?: boolean;
  verbose?: boolean;
}

/** One-line messages for what can go wrong talking to the admin API. */
function explain(err: unknown, remote: Remote): Error {
  if (err instanceof AdminApiError) {
    if (err.status === 404 && err.code === 'HTTP404') return new CliError(`${remote.alias} (${remote.url}) has no Tessera admin API (is it a Tessera server?)`);
    return new CliError(`${remote.alias} (${remote.url}): ${err.code}: ${err.message}`);
  }
  const reason = networkReason(err);
  if (reason) return new CliError(`cannot reach ${remote.alias} (${remote.url}): ${reason}`);
  return err instanceof Error ? err : new Error(String(err));
}

function driveStates(states: string[]): string {
  return states.map((s, i) => `${i + 1}:${s}`).join(' ');
}

function summaryText(s: SequenceSummary, dryRun: boolean): string {
  const parts = dryRun
    ? [`${s.wouldHeal} would be healed`, `${s.wouldRemove} would be removed`, `${s.failed} cannot be healed`, `${s.ok} ok`]
    : [`${s.healed} healed`, `${s.removed} removed`, `${s.failed} failed`, `${s.ok} ok`];
  const extra = [`${s.buckets} bucket(s)`, ...(s.corruptShards > 0 ? [`${s.corruptShards} corrupt shard(s) found`] : []), ...(s.bytes > 0 ? [`${humanSize(s.bytes)} rebuilt`] : [])];
  return `${s.objects} object(s): ${parts.join(', ')}; ${extra.join(', ')}; ${humanDuration(s.seconds * 1000)}`;
}

async function heal(arg: string, options: HealOptions): Promise<number> {
  const out = new Output(options);
  const target = await parseRemote(arg);
  const remote = target.remote;
  if (!target.bucket && target.key) throw new CliError(`"${arg}" names no bucket`);
  const client = clientOf(remote);
  const dryRun = options.dryRun === true;
  let summary: SequenceSummary | undefined;
  try {
    for await (const line of client.heal({
      bucket: target.bucket || undefined,
      prefix: target.key,
      recursive: options.recursive === true,
      deep: options.deep === true,
      dryRun,
    })) {
      summary = line.type === 'summary' ? line : summary;
      printLine(out, line, options.verbose === true, dryRun);
    }
  } catch (err) {
    throw explain(err, remote);
  }
  if (!summary) throw new CliError(`${remote.alias} (${remote.url}): the heal ended without a summary`);
  if (summary.state === 'failed') throw new CliError(`heal failed: ${summary.error ?? 'unknown error'}`);
  if (!target.key && !options.recursive && !out.json) {
    out.text('(buckets only; add --recursive to heal the objects in them)');
  }
  if (summary.failed > 0) {
    out.warn(`${summary.failed} object(s) could not be healed`);
    return 1;
  }
  if (!options.recursive && target.key && summary.objects === summary.absent) {
    out.warn(`no object ${remote.name(target.bucket, target.key)} (add --recursive to heal everything under it as a prefix)`);
    return 1;
  }
  return 0;
}

function printLine(out: Output, line: SequenceLine, verbose: boolean, dryRun: boolean): void {
  switch (line.type) {
    case 'bucket':
      out.result(line.state === 'ok' && !verbose ? undefined : `${line.state.padEnd(12)} bucket ${line.bucket}${line.error ? ` (${line.error})` : ''}`, line);
      return;
    case 'object': {
      const interesting = line.outcome !== 'ok' || verbose;
      const drives = line.outcome === 'ok' || line.outcome === 'absent' ? '' : `  [${driveStates(dryRun ? line.before : line.after)}]`;
      const why = line.reasons && line.reasons.length > 0 ? `\n             ${line.reasons.join('\n             ')}` : '';
      out.result(interesting ? `${line.outcome.padEnd(12)} ${line.bucket}/${line.key}${drives}${line.bytes > 0 ? ` ${humanSize(line.bytes)}` : ''}${why}` : undefined, line);
      return;
    }
    case 'summary':
      out.result(summaryText(line, dryRun), line);
  }
}

function driveLine(d: DriveInfo): string {
  const space = d.capacity ? `  ${humanSize(d.capacity.used)} used of ${humanSize(d.capacity.total)}` : '';
  const base = `    ${String(d.slot).padStart(2)}  ${d.state.padEnd(8)} ${d.endpoint}${space}`;
  if (!d.healing) return base;
  const h = d.healing;
  return (
    `${base}\n          healing (${h.reason}): ${h.percent}% — ${h.objectsDone} of ~${h.objectsTotal} objects, ${h.objectsRemaining} to go, ` +
    `${humanSize(h.bytesDone)} written, ${h.objectsFailed} failed` +
    (h.bucket ? `; at ${h.bucket}/${h.lastKey ?? ''}` : '') +
    (h.resumed > 0 ? `; resumed ${h.resumed}x` : '') +
    (h.lastError ? `\n          last error: ${h.lastError}` : '')
  );
}

function infoText(info: AdminInfo): string {
  const lines: string[] = [];
  for (const node of info.nodes) {
    const facts = node.error ? ` (${node.error})` : node.version ? `, version ${node.version}, up ${humanDuration(node.uptimeSeconds! * 1000)}` : '';
    lines.push(`Node ${node.name}: ${node.state}${facts}`);
    for (const set of info.sets) {
      const drives = node.drives.filter((d) => d.set === set.set);
      if (drives.length === 0) continue;
      lines.push(
        `  Set ${set.set}: EC ${set.dataShards}+${set.parityShards}, ${set.online}/${set.drives} drives online` +
          (set.healing > 0 ? `, ${set.healing} healing` : '') +
          `; can lose ${set.canLoseForRead} more for reads, ${set.canLoseForWrite} for writes` +
          (!set.readable ? ' — NOT READABLE' : !set.writable ? ' — NOT WRITABLE' : ''),
      );
      for (const d of drives) lines.push(driveLine(d));
    }
  }
  const q = info.healQueue;
  lines.push(`Heal queue: ${q.length} object(s)${q.current ? ` (healing ${q.current.bucket}/${q.current.key})` : ''}${q.dropped > 0 ? `, ${q.dropped} dropped (queue full)` : ''}`);
  const s = info.scanner;
  if (!s.enabled) lines.push('Scanner: off');
  else if (s.active) lines.push(`Scanner: cycle ${s.cycle}${s.deep ? ' (deep)' : ''} running since ${s.cycleStarted}, ${s.objects} objects looked at, ${s.healed} healed, at ${s.bucket ?? ''}/${s.lastKey ?? ''}`);
  else lines.push(`Scanner: ${s.cycle} cycle(s) done${s.lastCycleFinished ? `, last finished ${s.lastCycleFinished} (${s.objects} objects, ${s.healed} healed, ${s.removed} removed)` : ''}${s.nextCycle ? `; next at ${s.nextCycle}` : ''}`);
  for (const done of info.drivesHealedSinceStart) {
    lines.push(`Healed since start: ${done.objectsDone} objects (${done.objectsHealed} healed, ${done.objectsFailed} failed), ${humanSize(done.bytesDone)}, finished ${done.finished ?? ''}`);
  }
  return lines.join('\n');
}

export function registerAdmin(program: Command): void {
  const adminCmd = program.command('admin').description('administer a Tessera deployment: users, groups, policies, service accounts; heal objects, show drives and healing');

  withOutputOptions(
    adminCmd
      .command('heal')
      .description('heal buckets and objects: rebuild missing or corrupt shards, remove dangling versions')
      .argument('<target>', 'ALIAS, ALIAS/BUCKET or ALIAS/BUCKET/PREFIX (an object name without --recursive)')
      .option('-r, --recursive', 'heal every object under the bucket or prefix')
      .option('--deep', 're-hash every shard block (finds bitrot; reads everything)')
      .option('--dry-run', 'only report what would be healed or removed')
      .option('-v, --verbose', 'also list the objects that were fine'),
  )
    .addHelpText(
      'after',
      `
Each object's result is one line: its outcome and, per drive of its erasure set, the state
(ok, missing, stale, corrupt, offline, healed, failed); --json prints the server's NDJSON lines.
The exit code is 1 when something could not be healed.

Examples:
  $ tessera admin heal local                       # bucket entries only
  $ tessera admin heal --recursive local/photos
  $ tessera admin heal --recursive --deep --dry-run local/photos/2024/
  $ tessera admin heal local/photos/cat.jpg`,
    )
    .action(run(heal));

  withOutputOptions(
    adminCmd
      .command('info')
      .description('nodes and drives (online, offline, healing with progress), erasure sets, heal queue, scanner')
      .argument('<alias>', 'the alias'),
    false,
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tessera admin info local
  $ tessera admin info --json local`,
    )
    .action(
      run(async (arg: string, options: OutputOptions) => {
        const out = new Output(options);
        const target = await parseRemote(arg);
        let info: AdminInfo;
        try {
          info = await clientOf(target.remote).info();
        } catch (err) {
          throw explain(err, target.remote);
        }
        out.result(infoText(info), info);
      }),
    );
  registerAdminTrace(adminCmd); // admin trace, admin top locks
  registerAdminIam(adminCmd); // admin user|group|policy
}
