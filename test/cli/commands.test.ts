/**
 * The client's commands against a real server, each in human and --json form: ls, mb, rb, cp, mv,
 * cat, head, pipe, rm, stat, du, find, tree, diff, share, ping, ready.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';
import { Cli, refusingProxy } from './cli-harness.js';

let server: TestServer;
let cli: Cli;
let work: string;

const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

beforeAll(async () => {
  server = await TestServer.start();
  cli = await Cli.create(server);
  work = join(cli.dir, 'work');
  await mkdir(join(work, 'docs', 'sub'), { recursive: true });
  await writeFile(join(work, 'docs', 'a.txt'), 'alpha\n');
  await writeFile(join(work, 'docs', 'b.json'), '{"b":1}\n');
  await writeFile(join(work, 'docs', 'sub', 'c.txt'), 'one\ntwo\nthree\nfour\n');
  await cli.ok(['mb', 'local/main']);
});

afterAll(async () => {
  await cli?.destroy();
  await server?.destroy();
});

describe('mb, ls, rb', () => {
  it('makes buckets, with -p tolerating existing ones', async () => {
    expect((await cli.ok(['mb', 'local/made'])).stdout).toBe('Made bucket local/made.\n');
    expect(await cli.json(['mb', '-p', 'local/made', 'local/made2'])).toEqual([
      { status: 'success', type: 'bucket', target: 'local/made', existed: true },
      { status: 'success', type: 'bucket', target: 'local/made2', existed: false },
    ]);
  });

  it('lists buckets', async () => {
    const { stdout } = await cli.ok(['ls', 'local']);
    expect(stdout).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\]\s+BUCKET  made\/$/m);
    const buckets = await cli.json(['ls', 'local']);
    expect(buckets.map((b) => b.key)).toEqual(expect.arrayContaining(['main/', 'made/', 'made2/']));
    expect(buckets[0]).toMatchObject({ type: 'bucket', url: expect.stringMatching(/^local\//), created: expect.any(String) });
  });

  it('removes buckets: empty, or with --force everything in them', async () => {
    expect((await cli.ok(['rb', 'local/made2'])).stdout).toBe('Removed bucket local/made2.\n');
    await cli.ok(['pipe', 'local/made/x/y.txt'], { input: 'y' });
    await cli.ok(['pipe', 'local/made/z.txt'], { input: 'z' });
    expect(await cli.json(['rb', '--force', 'local/made'])).toEqual([{ status: 'success', target: 'local/made', objectsRemoved: 2 }]);
    expect((await cli.json(['ls', 'local'])).map((b) => b.key)).not.toContain('made/');
  });
});

describe('cp, ls, cat, head, stat', () => {
  it('uploads a folder recursively, the folder itself without a trailing slash', async () => {
    const { stdout } = await cli.ok(['cp', '-r', join(work, 'docs'), 'local/main/']);
    expect(stdout.trim().split('\n').sort()).toEqual([
      `${join(work, 'docs', 'a.txt')} -> local/main/docs/a.txt (6 B)`,
      `${join(work, 'docs', 'b.json')} -> local/main/docs/b.json (8 B)`,
      `${join(work, 'docs', 'sub', 'c.txt')} -> local/main/docs/sub/c.txt (19 B)`,
    ]);
  });

  it('uploads a folder\'s contents with a trailing slash, reporting JSON lines', async () => {
    const records = await cli.json(['cp', '-r', `${join(work, 'docs')}/`, 'local/main/flat/']);
    const copies = records.filter((r) => r.type === 'copy');
    expect(copies.map((r) => r.target).sort()).toEqual(['local/main/flat/a.txt', 'local/main/flat/b.json', 'local/main/flat/sub/c.txt']);
    expect(copies.every((r) => r.status === 'success' && typeof r.size === 'number')).toBe(true);
    expect(records.at(-1)).toMatchObject({ type: 'summary', objects: 3, bytes: 33 });
  });

  it('ls shows one level, folders as DIR; -r everything; --json entries', async () => {
    const { stdout } = await cli.ok(['ls', 'local/main/docs']);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\]\s+6 B  a\.txt$/);
    expect(lines[2]).toMatch(/^\[\s+\]\s+DIR  sub\/$/);
    const recursive = await cli.json(['ls', '-r', 'local/main/docs/']);
    expect(recursive.map((e) => e.key)).toEqual(['a.txt', 'b.json', 'sub/c.txt']);
    expect(recursive[0]).toMatchObject({ type: 'file', size: 6, etag: md5('alpha\n'), storageClass: 'STANDARD', url: 'local/main/docs/a.txt' });
    expect(new Date(recursive[0].lastModified as string).getTime()).toBeGreaterThan(Date.now() - 600_000);
    const partial = await cli.json(['ls', 'local/main/docs/a']);
    expect(partial.map((e) => e.key)).toEqual(['a.txt']);
    const [one] = await cli.json(['ls', 'local/main/docs/sub/c.txt']);
    expect(one).toMatchObject({ type: 'file', key: 'c.txt', size: 19, url: 'local/main/docs/sub/c.txt' });
  });

  it('ls --versions says when the server has no versions', async () => {
    const result = await cli.run(['ls', '--versions', 'local/main']);
    if (result.code === 0) expect(result.stdout).toContain('docs/a.txt');
    else expect(result.stderr).toBe('tessera: local does not support object versions (listing versions is not implemented)\n');
  });

  it('ls lists local folders too', async () => {
    const entries = await cli.json(['ls', join(work, 'docs')]);
    expect(entries.map((e) => e.key)).toEqual(['a.txt', 'b.json', 'sub/']);
  });

  it('cat prints objects one after another; head the first lines', async () => {
    expect((await cli.ok(['cat', 'local/main/docs/a.txt', 'local/main/docs/b.json'])).stdout).toBe('alpha\n{"b":1}\n');
    expect((await cli.ok(['head', '-n', '2', 'local/main/docs/sub/c.txt'])).stdout).toBe('one\ntwo\n');
    expect(await cli.json(['head', '-n', '2', 'local/main/docs/sub/c.txt'])).toEqual([
      { target: 'local/main/docs/sub/c.txt', line: 1, text: 'one' },
      { target: 'local/main/docs/sub/c.txt', line: 2, text: 'two' },
    ]);
  });

  it('stat shows an object, a folder and a bucket', async () => {
    const { stdout } = await cli.ok(['stat', 'local/main/docs/b.json']);
    expect(stdout).toContain('Name      : docs/b.json');
    expect(stdout).toContain('Size      : 8 B (8 bytes)');
    expect(stdout).toContain(`ETag      : ${md5('{"b":1}\n')}`);
    expect(stdout).toContain('Type      : application/json');
    const [object] = await cli.json(['stat', 'local/main/docs/b.json']);
    expect(object).toMatchObject({ type: 'object', name: 'docs/b.json', size: 8, etag: md5('{"b":1}\n'), contentType: 'application/json' });
    const [folder] = await cli.json(['stat', 'local/main/docs/']);
    expect(folder).toMatchObject({ type: 'folder', objects: 3, size: 33 });
    const [bucket] = await cli.json(['stat', 'local/main']);
    expect(bucket).toMatchObject({ type: 'bucket', name: 'main', region: 'us-east-1' });
  });

  it('downloads an object to a file and into a folder, keeping its time', async () => {
    const out = join(cli.dir, 'down');
    await mkdir(out);
    await cli.ok(['cp', 'local/main/docs/a.txt', join(out, 'renamed.txt')]);
    await cli.ok(['cp', 'local/main/docs/b.json', `${out}/`]);
    expect(await readFile(join(out, 'renamed.txt'), 'utf8')).toBe('alpha\n');
    expect(await readFile(join(out, 'b.json'), 'utf8')).toBe('{"b":1}\n');
    const [entry] = await cli.json(['stat', 'local/main/docs/a.txt']);
    expect(Math.floor((await stat(join(out, 'renamed.txt'))).mtimeMs / 1000)).toBe(Math.floor(new Date(entry.lastModified as string).getTime() / 1000));
    await cli.ok(['cp', '-r', 'local/main/docs/', join(out, 'tree')]);
    expect(await readFile(join(out, 'tree', 'sub', 'c.txt'), 'utf8')).toBe('one\ntwo\nthree\nfour\n');
    expect((await readdir(out)).filter((n) => n.includes('tessera-part'))).toEqual([]);
  });

  it('copies remote to remote (server-side, or streamed if the server cannot copy)', async () => {
    await cli.ok(['mb', 'local/other']);
    const data = randomBytes(300_000);
    await cli.ok(['pipe', 'local/main/bin/data.bin'], { input: data });
    const [copy] = (await cli.json(['cp', 'local/main/bin/data.bin', 'local/other/copied.bin'])).filter((r) => r.type === 'copy');
    expect(copy).toMatchObject({ status: 'success', source: 'local/main/bin/data.bin', target: 'local/other/copied.bin', size: 300_000 });
    const [st] = await cli.json(['stat', 'local/other/copied.bin']);
    expect(st.etag).toBe(md5(data));
    await cli.ok(['cp', '-r', 'local/main/docs', 'local/other/']);
    expect((await cli.json(['ls', '-r', 'local/other/docs'])).map((e) => e.key)).toEqual(['a.txt', 'b.json', 'sub/c.txt']);
  });

  it('uploads a file larger than --part-size as a multipart upload (when the server has multipart)', async () => {
    const big = join(cli.dir, 'multi.bin');
    const data = randomBytes(11 * 1024 * 1024);
    await writeFile(big, data);
    const result = await cli.run(['cp', '--part-size', '5MiB', big, 'local/main/multi.bin']);
    if (result.code !== 0) {
      // A server without multipart uploads answers NotImplemented: one line, exit 1.
      expect(result.stderr).toMatch(/^tessera: local does not support this operation: .*\n$/);
      return;
    }
    const [st] = await cli.json(['stat', 'local/main/multi.bin']);
    expect(st.size).toBe(data.length);
    expect(st.etag).toMatch(/-3$/);
    const back = join(cli.dir, 'multi-back.bin');
    await cli.ok(['cp', 'local/main/multi.bin', back]);
    expect(md5(await readFile(back))).toBe(md5(data));
  });
});

describe('pipe, mv, rm', () => {
  it('pipe streams stdin into an object', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const record = (await cli.json(['pipe', 'local/main/piped.bin'], { input: data })).find((r) => r.type === 'pipe');
    expect(record).toMatchObject({ type: 'pipe', status: 'success', target: 'local/main/piped.bin', size: data.length, etag: md5(data) });
    expect((await cli.ok(['pipe', 'local/main/hello.txt'], { input: 'hello\n' })).stdout).toBe('Wrote local/main/hello.txt (6 B).\n');
    expect((await cli.ok(['cat', 'local/main/hello.txt'])).stdout).toBe('hello\n');
  });

  it('mv moves objects and local files', async () => {
    await cli.ok(['mv', 'local/main/hello.txt', 'local/main/moved/hello.txt']);
    expect((await cli.ok(['cat', 'local/main/moved/hello.txt'])).stdout).toBe('hello\n');
    expect((await cli.fails(['stat', 'local/main/hello.txt'])).line).toBe('tessera: object "local/main/hello.txt" does not exist');
    const src = join(cli.dir, 'to-move');
    await mkdir(join(src, 'inner'), { recursive: true });
    await writeFile(join(src, 'inner', 'f.txt'), 'f');
    await cli.ok(['mv', '-r', src, 'local/main/']);
    await expect(stat(src)).rejects.toThrow();
    expect((await cli.ok(['cat', 'local/main/to-move/inner/f.txt'])).stdout).toBe('f');
  });

  it('rm removes an object; -r --force a prefix; --dry-run nothing', async () => {
    expect((await cli.ok(['rm', 'local/main/moved/hello.txt'])).stdout).toBe('Removed local/main/moved/hello.txt.\n');
    const dry = await cli.json(['rm', '-r', '--force', '--dry-run', 'local/main/flat']);
    expect(dry.map((r) => r.status)).toEqual(['dry-run', 'dry-run', 'dry-run']);
    expect((await cli.json(['ls', '-r', 'local/main/flat'])).length).toBe(3);
    const removed = await cli.json(['rm', '-r', '--force', 'local/main/flat']);
    expect(removed.map((r) => r.target).sort()).toEqual(['local/main/flat/a.txt', 'local/main/flat/b.json', 'local/main/flat/sub/c.txt']);
    expect((await cli.fails(['ls', 'local/main/flat'])).line).toBe('tessera: object or folder "local/main/flat" does not exist');
  });

  it('rm --incomplete removes incomplete multipart uploads, or says the server has none', async () => {
    const result = await cli.run(['rm', '-r', '--force', '--incomplete', 'local/main/']);
    if (result.code === 0) expect(result.stdout).toContain('No incomplete uploads');
    else expect(result.stderr).toBe('tessera: local does not support multipart uploads, so there are no incomplete uploads to remove\n');
  });
});

describe('du, find, tree, diff', () => {
  beforeAll(async () => {
    await cli.ok(['mb', 'local/usage']);
    await cli.ok(['cp', '-r', `${join(work, 'docs')}/`, 'local/usage/']);
  });

  it('du totals, per folder with --depth', async () => {
    expect((await cli.ok(['du', 'local/usage'])).stdout).toMatch(/^\s+33 B\s+3 objects  local\/usage\n$/);
    expect(await cli.json(['du', '--depth', '1', 'local/usage'])).toEqual([
      { path: 'local/usage/sub/', size: 19, objects: 1, depth: 1 },
      { path: 'local/usage', size: 33, objects: 3, depth: 0 },
    ]);
  });

  it('find by name, size and age', async () => {
    expect((await cli.ok(['find', 'local/usage', '--name', '*.txt'])).stdout).toBe('local/usage/a.txt\nlocal/usage/sub/c.txt\n');
    const large = await cli.json(['find', 'local/usage', '--larger', '7']);
    expect(large.map((r) => r.url)).toEqual(['local/usage/b.json', 'local/usage/sub/c.txt']);
    expect(large[0]).toMatchObject({ key: 'b.json', size: 8 });
    expect((await cli.ok(['find', 'local/usage', '--older-than', '1d'])).stdout).toBe('');
    expect((await cli.json(['find', 'local/usage', '--newer-than', '1h', '--maxdepth', '0'])).map((r) => r.key)).toEqual(['a.txt', 'b.json']);
  });

  it('tree draws folders, with -f files', async () => {
    expect((await cli.ok(['tree', 'local/usage'])).stdout).toBe('local/usage/\n└─ sub/\n');
    expect((await cli.ok(['tree', '-f', 'local/usage'])).stdout).toBe(
      'local/usage/\n├─ a.txt (6 B)\n├─ b.json (8 B)\n└─ sub/\n   └─ c.txt (19 B)\n',
    );
    expect(await cli.json(['tree', 'local/usage'])).toEqual([{ path: 'local/usage/sub/', type: 'folder', depth: 1 }]);
  });

  it('diff lists what is only on one side or different', async () => {
    const local = join(cli.dir, 'diffme');
    await cli.ok(['cp', '-r', 'local/usage/', local]);
    expect((await cli.ok(['diff', local, 'local/usage'])).stdout).toBe('');
    await writeFile(join(local, 'a.txt'), 'ALPHA\n'); // same size, other content
    await writeFile(join(local, 'extra.txt'), 'x');
    await cli.ok(['rm', 'local/usage/b.json']);
    expect((await cli.ok(['diff', local, 'local/usage'])).stdout).toBe('! a.txt\n< b.json\n< extra.txt\n');
    const records = await cli.json(['diff', 'local/usage', local]);
    expect(records.map((r) => [r.diff, r.key])).toEqual([
      ['differ', 'a.txt'],
      ['only-in-second', 'b.json'],
      ['only-in-second', 'extra.txt'],
    ]);
  });
});

describe('share, ping, ready', () => {
  it('share download gives a URL that works without keys', async () => {
    await cli.ok(['pipe', 'local/main/shared.txt'], { input: 'shared content' });
    const { stdout } = await cli.ok(['share', 'download', '--expire', '1h', 'local/main/shared.txt']);
    expect(stdout).toMatch(/^URL    : local\/main\/shared\.txt\nExpire : 1h \(.*\)\nShare  : http:\/\/127\.0\.0\.1:\d+\/main\/shared\.txt\?.*X-Amz-Expires=3600/);
    const [record] = await cli.json(['share', 'download', 'local/main/shared.txt']);
    expect(record).toMatchObject({ type: 'download', target: 'local/main/shared.txt', expiresInSeconds: 7 * 24 * 3600 });
    const res = await fetch(record.url as string);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('shared content');
  });

  it('share upload gives a URL to PUT to', async () => {
    const [record] = await cli.json(['share', 'upload', '--expire', '10m', 'local/main/inbox/up.txt']);
    expect(record).toMatchObject({ type: 'upload', method: 'PUT', expiresInSeconds: 600 });
    const res = await fetch(record.url as string, { method: 'PUT', body: 'uploaded by URL' });
    expect(res.status).toBe(200);
    expect((await cli.ok(['cat', 'local/main/inbox/up.txt'])).stdout).toBe('uploaded by URL');
    expect((await cli.ok(['share', 'upload', 'local/main/inbox/up2.txt'])).stdout).toMatch(/Share  : curl -T <FILE> 'http:\/\//);
  });

  it('ping times N round trips', async () => {
    const { stdout } = await cli.ok(['ping', '-c', '2', '-i', '0', 'local']);
    expect(stdout).toMatch(/^1: local \(http:\/\/127\.0\.0\.1:\d+\) time=[\d.]+ ms\n2: .*\n2 requests: min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+ ms\n$/);
    const records = await cli.json(['ping', '-c', '3', '-i', '10ms', 'local']);
    expect(records.map((r) => r.type)).toEqual(['ping', 'ping', 'ping', 'summary']);
    expect(records[3]).toMatchObject({ alias: 'local', count: 3 });
  });

  it('ready exits 0 when the server is ready', async () => {
    expect((await cli.ok(['ready', 'local'])).stdout).toMatch(/^local \(http:\/\/127\.0\.0\.1:\d+\) is ready\.\n$/);
    expect(await cli.json(['ready', '--cluster', 'local'])).toEqual([{ alias: 'local', url: server.endpoint, ready: true, status: 200 }]);
    expect((await cli.run(['ready', 'down'])).code).toBe(1);
  });
});

describe('against a server without CopyObject, versions or multipart', () => {
  it('copies remote to remote by streaming when CopyObject is NotImplemented, saying nothing', async () => {
    const proxy = await refusingProxy(server.endpoint, (req) => req.headers['x-amz-copy-source'] !== undefined);
    try {
      await cli.setAlias('plain', proxy.url, ACCESS_KEY, SECRET_KEY);
      const data = randomBytes(200_000);
      await cli.ok(['pipe', 'plain/main/fallback/src.bin'], { input: data });
      const { stdout, stderr } = await cli.ok(['cp', '-r', 'plain/main/fallback/', 'plain/main/fallback-copy/']);
      expect(stdout).toBe('plain/main/fallback/src.bin -> plain/main/fallback-copy/src.bin (195 KiB)\n');
      expect(stderr).toBe('');
      expect(proxy.refused).toBe(1); // asked once, then streamed
      const [st] = await cli.json(['stat', 'plain/main/fallback-copy/src.bin']);
      expect(st.etag).toBe(md5(data));
    } finally {
      await proxy.close();
    }
  });

  it('says versions and incomplete uploads are not supported; a multipart upload fails in one line', async () => {
    const proxy = await refusingProxy(server.endpoint, (req) => /[?&](versions|uploads)(=|&|$)/.test(req.url ?? ''));
    try {
      await cli.setAlias('plain', proxy.url, ACCESS_KEY, SECRET_KEY);
      expect((await cli.fails(['ls', '--versions', 'plain/main'])).line).toBe(
        'tessera: plain does not support object versions (listing versions is not implemented)',
      );
      expect((await cli.fails(['rm', '--versions', 'plain/main/docs/a.txt'])).line).toBe(
        'tessera: plain does not support object versions (removing versions is not implemented)',
      );
      expect((await cli.fails(['rm', '-r', '--force', '--incomplete', 'plain/main/'])).line).toBe(
        'tessera: plain does not support multipart uploads, so there are no incomplete uploads to remove',
      );
      const big = join(cli.dir, 'six.bin');
      await writeFile(big, randomBytes(6 * 1024 * 1024));
      const { line } = await cli.fails(['cp', '--part-size', '5MiB', big, 'plain/main/six.bin']);
      expect(line).toBe('tessera: plain does not support this operation: Not implemented by this proxy.');
      // Up to the part size it is one PUT, which works.
      await cli.ok(['cp', big, 'plain/main/six.bin']);
    } finally {
      await proxy.close();
    }
  });
});
