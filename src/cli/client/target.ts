/**
 * Targets, as in mc: `ALIAS/BUCKET/PREFIX` is remote when its first segment names an alias;
 * anything else is a local path. Paths starting with `/`, `./`, `../` or `~` are always local.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { loadConfig } from './config.js';
import { CliError } from './errors.js';
import { remoteFor, type Remote } from './remote.js';

export interface RemoteTarget {
  kind: 'remote';
  remote: Remote;
  bucket: string;
  /** '' for a bucket or the alias itself; may end with '/' (a folder). */
  key: string;
  text: string;
}

export interface LocalTarget {
  kind: 'local';
  /** Absolute path; a trailing '/' as given is kept in `text`. */
  path: string;
  text: string;
}

export type Target = RemoteTarget | LocalTarget;

/** What the target is used for: a source must exist; a destination may be new. */
export type Role = 'source' | 'dest';

function isExplicitlyLocal(arg: string): boolean {
  return arg === '.' || arg === '..' || arg === '~' || /^(\/|\.\/|\.\.\/|~\/)/.test(arg);
}

function expandHome(arg: string): string {
  return arg === '~' || arg.startsWith('~/') ? homedir() + arg.slice(1) : arg;
}

async function aliasOf(arg: string): Promise<string | undefined> {
  if (isExplicitlyLocal(arg)) return undefined;
  const first = arg.split('/')[0];
  const config = await loadConfig();
  return first && Object.hasOwn(config.aliases, first) ? first : undefined;
}

async function remoteTarget(alias: string, arg: string): Promise<RemoteTarget> {
  const rest = arg.slice(alias.length).replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  return { kind: 'remote', remote: await remoteFor(alias), bucket, key, text: arg };
}

export async function parseTarget(arg: string, role: Role): Promise<Target> {
  const alias = await aliasOf(arg);
  if (alias) return remoteTarget(alias, arg);
  const local: LocalTarget = { kind: 'local', path: resolve(expandHome(arg)), text: arg };
  if (isExplicitlyLocal(arg) || existsSync(local.path)) return local;
  const first = arg.split('/')[0];
  if (role === 'source') {
    throw new CliError(`unknown alias "${first}" (and no local file or folder "${arg}")`);
  }
  // A new local destination is fine ("out.txt", "newdir/" under an existing folder) unless its
  // first segment exists nowhere: then it was most likely meant as an alias.
  if (arg.includes('/') && !existsSync(resolve(first))) {
    throw new CliError(`unknown alias "${first}" (write ./${arg} for a new local folder)`);
  }
  return local;
}

/** A target that must be remote (mb, rb, share, ping, ...). */
export async function parseRemote(arg: string): Promise<RemoteTarget> {
  const alias = await aliasOf(arg);
  if (!alias) {
    const first = arg.split('/')[0];
    throw new CliError(isExplicitlyLocal(arg) || !first ? `"${arg}" is a local path; this command needs ALIAS/BUCKET` : `unknown alias "${first}"`);
  }
  return remoteTarget(alias, arg);
}

/** A remote target that must name a bucket. */
export async function parseBucketTarget(arg: string): Promise<RemoteTarget> {
  const target = await parseRemote(arg);
  if (!target.bucket) throw new CliError(`"${arg}" names no bucket; write ${target.remote.alias}/BUCKET`);
  return target;
}

/** The last path segment of a target ('photos' for 'a/b/photos/' or '/x/photos'). */
export function baseName(text: string): string {
  const parts = text.split('/').filter((p) => p !== '');
  return parts.length > 0 ? parts[parts.length - 1] : '';
}

export function targetText(t: Target): string {
  return t.kind === 'remote' ? t.remote.name(t.bucket, t.key) : t.text;
}
