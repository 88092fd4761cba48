/** What the versioning, tag, retention and legal-hold commands share: a remote bucket or object target. */
import { CliError } from './errors.js';
import { parseTarget, type RemoteTarget } from './target.js';

/** ALIAS/BUCKET (key '' ) or ALIAS/BUCKET/KEY, as `need` says. */
export async function remoteTargetOf(arg: string, need: 'bucket' | 'object' | 'either'): Promise<RemoteTarget> {
  const target = await parseTarget(arg, 'source');
  if (target.kind !== 'remote') throw new CliError(`"${arg}" is not a remote target (ALIAS/BUCKET${need === 'bucket' ? '' : '/KEY'})`);
  if (!target.bucket) throw new CliError(`"${arg}" names no bucket`);
  if (need === 'bucket' && target.key !== '') throw new CliError(`"${arg}" names an object; give ALIAS/BUCKET`);
  if (need === 'object' && (target.key === '' || target.key.endsWith('/'))) throw new CliError(`"${arg}" names no object; give ALIAS/BUCKET/KEY`);
  return target;
}

/** `30d`, `12h`, `1y` from now (mc's validity forms) as a date. */
export function validityToDate(text: string, now = Date.now()): Date {
  const match = /^(\d+)([dhy])$/i.exec(text.trim());
  if (!match) throw new CliError(`"${text}" is not a validity: write a number and d (days), h (hours) or y (years), e.g. 30d`);
  const hours = { d: 24, h: 1, y: 24 * 365 }[match[2].toLowerCase() as 'd' | 'h' | 'y'];
  return new Date(now + Number(match[1]) * hours * 3_600_000);
}
