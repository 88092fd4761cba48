/**
 * Objects and folders on either side of a transfer, local or remote, and recursive listings of
 * folders. Paths inside a folder ("rel") always use '/'.
 */
import { ListBucketsCommand, ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { lstat, opendir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { CliError } from './errors.js';
import type { Remote } from './remote.js';
import type { Target } from './target.js';

export type Loc =
  | { kind: 'local'; path: string }
  | { kind: 'remote'; remote: Remote; bucket: string; key: string };

export type Folder =
  | { kind: 'local'; path: string }
  | { kind: 'remote'; remote: Remote; bucket: string; prefix: string };

export interface Entry {
  /** Path relative to the listed folder; a folder (shallow listings only) ends with '/'. */
  rel: string;
  size: number;
  modTime: Date;
  /** Remote objects only, without quotes. */
  etag?: string;
  storageClass?: string;
  dir?: boolean;
}

/** Partial downloads are written under this suffix and renamed when complete. */
export const PARTIAL_SUFFIX = '.tessera-part';

/**
 * Whether an object's path below a prefix can be written under a local folder: no ".." segment
 * (a key like "../../etc/x" must not escape the destination).
 */
export function isSafeLocalRel(rel: string): boolean {
  return !rel.split('/').includes('..');
}

export function locText(loc: Loc): string {
  return loc.kind === 'local' ? loc.path : loc.remote.name(loc.bucket, loc.key);
}

export function folderText(folder: Folder): string {
  return folder.kind === 'local' ? folder.path : `${folder.remote.name(folder.bucket)}/${folder.prefix}`;
}

export function childOf(folder: Folder, rel: string): Loc {
  return folder.kind === 'local'
    ? { kind: 'local', path: join(folder.path, ...rel.split('/')) }
    : { kind: 'remote', remote: folder.remote, bucket: folder.bucket, key: folder.prefix + rel };
}

/** A target seen as a folder: a local directory, or a bucket and a prefix ending with '/' (or ''). */
export function folderOf(target: Target): Folder {
  if (target.kind === 'local') return { kind: 'local', path: target.path };
  const prefix = target.key === '' || target.key.endsWith('/') ? target.key : `${target.key}/`;
  return { kind: 'remote', remote: target.remote, bucket: target.bucket, prefix };
}

export function locOf(target: Target): Loc {
  return target.kind === 'local'
    ? { kind: 'local', path: target.path }
    : { kind: 'remote', remote: target.remote, bucket: target.bucket, key: target.key };
}

function stripQuotes(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}

/** One page after another of ListObjectsV2. */
export async function* listPages(
  remote: Remote,
  bucket: string,
  prefix: string,
  delimiter?: string,
): AsyncGenerator<ListObjectsV2CommandOutput> {
  let token: string | undefined;
  do {
    const page = await remote.call({ bucket }, (c) =>
      c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, Delimiter: delimiter, ContinuationToken: token })),
    );
    yield page;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Objects under `prefix`, with `rel` relative to it; with `shallow`, sub-folders as entries too. */
export async function* listRemote(
  remote: Remote,
  bucket: string,
  prefix: string,
  shallow = false,
  markers = false,
): AsyncGenerator<Entry> {
  for await (const page of listPages(remote, bucket, prefix, shallow ? '/' : undefined)) {
    const folders = (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter((p) => p !== '');
    const objects = page.Contents ?? [];
    // Merge the two sorted lists so a shallow listing stays in key order.
    let i = 0;
    for (const object of objects) {
      const key = object.Key ?? '';
      while (i < folders.length && folders[i] < key) yield folderEntry(folders[i++], prefix);
      // Folder markers ("dir/", empty): not files. The prefix's own marker is never listed in it.
      if (!markers && key.endsWith('/') && (key === prefix || (!shallow && (object.Size ?? 0) === 0))) continue;
      yield {
        rel: key.slice(prefix.length),
        size: object.Size ?? 0,
        modTime: object.LastModified ?? new Date(0),
        etag: stripQuotes(object.ETag),
        storageClass: object.StorageClass ?? 'STANDARD',
      };
    }
    while (i < folders.length) yield folderEntry(folders[i++], prefix);
  }
}

function folderEntry(fullPrefix: string, prefix: string): Entry {
  return { rel: fullPrefix.slice(prefix.length), size: 0, modTime: new Date(0), dir: true };
}

/** Files under a local directory (symbolic links to files followed), sorted by path; with `shallow`, one level, folders too. */
export async function* listLocal(dir: string, shallow = false, relBase = ''): AsyncGenerator<Entry> {
  const handle = await opendir(dir);
  const names: { name: string; isDir: boolean; isFile: boolean; isLink: boolean }[] = [];
  for await (const d of handle) {
    names.push({ name: d.name, isDir: d.isDirectory(), isFile: d.isFile(), isLink: d.isSymbolicLink() });
  }
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of names) {
    if (d.name.endsWith(PARTIAL_SUFFIX)) continue;
    const full = join(dir, d.name);
    const rel = relBase + d.name;
    if (d.isDir) {
      if (shallow) {
        const st = await stat(full);
        yield { rel: `${rel}/`, size: 0, modTime: st.mtime, dir: true };
      } else {
        yield* listLocal(full, false, `${rel}/`);
      }
      continue;
    }
    let st;
    try {
      st = d.isLink ? await stat(full) : await lstat(full);
    } catch {
      continue; // a dangling link or a file removed meanwhile
    }
    if (!st.isFile()) continue; // sockets, fifos, links to folders
    yield { rel: sep === '/' ? rel : rel.split(sep).join('/'), size: st.size, modTime: st.mtime };
  }
}

/** Every file or object in a folder, recursively, in sorted order. */
export function walk(folder: Folder): AsyncGenerator<Entry> {
  return folder.kind === 'local' ? listLocal(folder.path) : listRemote(folder.remote, folder.bucket, folder.prefix);
}

/** A folder's entries as a map by `rel`; a missing local folder or remote prefix is empty. */
export async function collect(folder: Folder): Promise<Map<string, Entry>> {
  const map = new Map<string, Entry>();
  if (folder.kind === 'local') {
    try {
      if (!(await stat(folder.path)).isDirectory()) return map;
    } catch {
      return map;
    }
  }
  for await (const entry of walk(folder)) map.set(entry.rel, entry);
  return map;
}

/** The file or object at `loc`, or undefined if there is none (a missing bucket is an error). */
export async function statLoc(loc: Loc): Promise<Entry | undefined> {
  if (loc.kind === 'local') {
    try {
      const st = await stat(loc.path);
      return { rel: '', size: st.size, modTime: st.mtime, dir: st.isDirectory() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
  }
  if (loc.key === '' || loc.key.endsWith('/')) return undefined;
  const head = await loc.remote.headObject(loc.bucket, loc.key);
  if (!head) return undefined;
  return {
    rel: '',
    size: head.ContentLength ?? 0,
    modTime: head.LastModified ?? new Date(0),
    etag: stripQuotes(head.ETag),
    storageClass: head.StorageClass ?? 'STANDARD',
  };
}

/** True if a remote prefix (as a folder) holds at least one object. */
export async function remoteFolderExists(remote: Remote, bucket: string, prefix: string): Promise<boolean> {
  const page = await remote.call({ bucket }, (c) => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, MaxKeys: 1 })));
  return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
}

/** A target's files and objects, recursively, each with its path below the target. */
export interface TargetWalk {
  /** The target as written, ending with '/', to put before `rel` in output. */
  base: string;
  entries: AsyncGenerator<Entry>;
}

async function* allBuckets(remote: Remote): AsyncGenerator<Entry> {
  const result = await remote.call({}, (c) => c.send(new ListBucketsCommand({})));
  for (const b of result.Buckets ?? []) {
    const name = b.Name ?? '';
    for await (const e of listRemote(remote, name, '')) yield { ...e, rel: `${name}/${e.rel}` };
  }
}

async function* single(entry: Entry): AsyncGenerator<Entry> {
  yield entry;
}

/**
 * Walks a target as a folder: an alias (every bucket), a bucket, a prefix ("x" means "x/"), or a
 * local folder. A target that is one object or file yields just that (rel = its name).
 */
export async function walkTarget(target: Target): Promise<TargetWalk> {
  const base = target.text.endsWith('/') ? target.text : `${target.text}/`;
  if (target.kind === 'local') {
    const st = await stat(target.path);
    if (!st.isDirectory()) {
      const name = target.path.split(sep).pop() ?? target.path;
      return { base: target.text.slice(0, target.text.length - name.length), entries: single({ rel: name, size: st.size, modTime: st.mtime }) };
    }
    return { base, entries: listLocal(target.path) };
  }
  const { remote, bucket, key } = target;
  if (!bucket) return { base, entries: allBuckets(remote) };
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  if (key !== '' && !key.endsWith('/') && !(await remoteFolderExists(remote, bucket, prefix))) {
    const entry = await statLoc({ kind: 'remote', remote, bucket, key });
    if (entry) {
      const name = key.split('/').pop() ?? key;
      return { base: target.text.slice(0, target.text.length - name.length), entries: single({ ...entry, rel: name }) };
    }
    throw new CliError(`object or folder "${target.text}" does not exist`);
  }
  if (key === '') await remote.requireBucket(bucket);
  return { base, entries: listRemote(remote, bucket, prefix) };
}
