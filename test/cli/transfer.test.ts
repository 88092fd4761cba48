/**
 * Moving data: a ~50 MiB cp with its progress bar drawn in a pseudo-terminal (script(1)), and
 * mirror of a 1,000-file tree — only changes copied on re-runs, --remove, --dry-run, --exclude,
 * back to local, and finishing the job after the first run was killed part-way.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TestServer } from '../helpers/server.js';
import { Cli, hasTerminal } from './cli-harness.js';

let server: TestServer;
let cli: Cli;

const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

type Rec = Record<string, unknown>;
const ofType = (records: Rec[], type: string): Rec[] => records.filter((r) => r.type === type);
const summary = (records: Rec[]): Rec => ofType(records, 'summary')[0];

beforeAll(async () => {
  server = await TestServer.start();
  cli = await Cli.create(server);
  await cli.ok(['mb', 'local/big']);
});

afterAll(async () => {
  await cli?.destroy();
  await server?.destroy();
});

describe('cp of a ~50 MiB file', () => {
  const size = 50 * 1024 * 1024;
  let file: string;
  let data: Buffer;

  beforeAll(async () => {
    data = randomBytes(size);
    file = join(cli.dir, 'fifty.bin');
    await writeFile(file, data);
  });

  it('shows a progress bar with bytes, rate and ETA on a terminal', async () => {
    if (!hasTerminal) {
      console.warn('SKIPPED ASSERTION: script(1) from util-linux is not installed, so the progress bar cannot be checked in a pseudo-terminal');
      await cli.ok(['cp', file, 'local/big/tty.bin']);
      return;
    }
    const result = await cli.terminal(['cp', file, 'local/big/tty.bin']);
    expect(result.code).toBe(0);
    const screen = result.stdout;
    expect(screen).toContain('\u2588'); // the bar's filled blocks
    expect(screen).toContain('100% | 50.0 MiB / 50.0 MiB');
    expect(screen).toMatch(/\| [\d.]+ (KiB|MiB|GiB)\/s \| ETA /);
    // On a terminal the bar replaces the per-file line.
    expect(screen).not.toContain('-> local/big/tty.bin');
    const [st] = await cli.json(['stat', 'local/big/tty.bin']);
    expect(st).toMatchObject({ size, etag: md5(data) });
  });

  it('prints one line per file without a terminal, nothing with --quiet, JSON lines with --json', async () => {
    const plain = await cli.ok(['cp', file, 'local/big/plain.bin']);
    expect(plain.stdout).toBe(`${file} -> local/big/plain.bin (50.0 MiB)\n`);
    expect(plain.stderr).toBe('');
    const quiet = await cli.ok(['cp', '--quiet', 'local/big/plain.bin', join(cli.dir, 'fifty-back.bin')]);
    expect(quiet.stdout + quiet.stderr).toBe('');
    expect(md5(await readFile(join(cli.dir, 'fifty-back.bin')))).toBe(md5(data));
    const records = await cli.json(['cp', file, 'local/big/json.bin']);
    for (const r of ofType(records, 'progress')) expect(r).toMatchObject({ total: size, transferred: expect.any(Number) });
    expect(ofType(records, 'copy')).toEqual([{ type: 'copy', status: 'success', source: file, target: 'local/big/json.bin', size }]);
    expect(summary(records)).toMatchObject({ objects: 1, bytes: size });
  });
});

describe('mirror', () => {
  let src: string;
  const fileCount = 1000;
  const path = (i: number): string => join(src, `dir${i % 10}`, `file${i}.txt`);

  beforeAll(async () => {
    src = join(cli.dir, 'tree');
    for (let d = 0; d < 10; d++) await mkdir(join(src, `dir${d}`), { recursive: true });
    await Promise.all(Array.from({ length: fileCount }, (_, i) => writeFile(path(i), `file number ${i}\n`)));
  });

  it('copies a 1,000-file tree, then nothing when run again', async () => {
    const first = await cli.json(['mirror', src, 'local/mirror']);
    expect(ofType(first, 'copy')).toHaveLength(fileCount);
    expect(summary(first)).toMatchObject({ copied: fileCount, removed: 0, unchanged: 0, failed: 0 });
    expect(await cli.json(['ls', '-r', 'local/mirror'])).toHaveLength(fileCount);
    const again = await cli.json(['mirror', src, 'local/mirror']);
    expect(ofType(again, 'copy')).toHaveLength(0);
    expect(summary(again)).toMatchObject({ copied: 0, unchanged: fileCount });
    expect((await cli.ok(['mirror', src, 'local/mirror'])).stdout).toMatch(/^Mirrored .*: 0 copied \(0 B in .*\), 0 removed, 1000 unchanged\.\n$/);
  });

  it('after changing 5 files and adding 3, copies exactly those 8', async () => {
    await writeFile(path(1), 'FILE NUMBER 1\n'); // same size, other content: caught by the MD5 ETag
    await writeFile(path(2), 'file number 2 is longer now\n');
    await appendFile(path(33), 'more\n');
    await writeFile(path(444), 'x');
    await writeFile(path(999), 'File number 999\n');
    for (const n of ['new1.txt', 'new2.txt']) await writeFile(join(src, n), n);
    await writeFile(join(src, 'dir3', 'new3.txt'), 'new3');

    const dry = await cli.json(['mirror', '--dry-run', '--overwrite', src, 'local/mirror']);
    expect(ofType(dry, 'copy').map((r) => r.status)).toEqual(Array(8).fill('dry-run'));
    expect(summary(dry)).toMatchObject({ dryRun: true, copied: 8 });

    const records = await cli.json(['mirror', '--overwrite', src, 'local/mirror']);
    const copies = ofType(records, 'copy');
    expect(copies).toHaveLength(8);
    expect(copies.filter((c) => c.reason === 'changed').map((c) => c.target).sort()).toEqual(
      [1, 2, 33, 444, 999].map((i) => `local/mirror/dir${i % 10}/file${i}.txt`).sort(),
    );
    expect(copies.filter((c) => c.reason === 'new').map((c) => c.target).sort()).toEqual(
      ['local/mirror/dir3/new3.txt', 'local/mirror/new1.txt', 'local/mirror/new2.txt'],
    );
    expect(summary(records)).toMatchObject({ copied: 8, unchanged: fileCount - 5, removed: 0 });
    expect((await cli.ok(['cat', 'local/mirror/dir1/file1.txt'])).stdout).toBe('FILE NUMBER 1\n');
  });

  it('leaves differing objects alone without --overwrite, and says so', async () => {
    await writeFile(path(5), 'FILE NUMBER 5\n');
    const records = await cli.json(['mirror', src, 'local/mirror']);
    expect(ofType(records, 'skip')).toEqual([
      { type: 'skip', reason: 'differs', source: path(5), target: 'local/mirror/dir5/file5.txt' },
    ]);
    expect(summary(records)).toMatchObject({ copied: 0, skipped: 1 });
    const human = await cli.run(['mirror', src, 'local/mirror']);
    expect(human.code).toBe(0);
    expect(human.stderr).toBe('tessera: local/mirror/dir5/file5.txt differs from the source; not replaced (use --overwrite)\n');
    expect(summary(await cli.json(['mirror', '--overwrite', src, 'local/mirror']))).toMatchObject({ copied: 1 });
  });

  it('deletes at the target only with --remove', async () => {
    await rm(path(7));
    await rm(path(8));
    expect(summary(await cli.json(['mirror', src, 'local/mirror']))).toMatchObject({ copied: 0, removed: 0 });
    expect(await cli.json(['ls', '-r', 'local/mirror'])).toHaveLength(fileCount + 3);
    const records = await cli.json(['mirror', '--remove', src, 'local/mirror']);
    expect(ofType(records, 'remove').map((r) => r.target).sort()).toEqual(['local/mirror/dir7/file7.txt', 'local/mirror/dir8/file8.txt']);
    expect(summary(records)).toMatchObject({ copied: 0, removed: 2 });
    expect(await cli.json(['ls', '-r', 'local/mirror'])).toHaveLength(fileCount + 1);
    expect((await cli.ok(['diff', src, 'local/mirror'])).stdout).toBe('');
  });

  it('--exclude leaves matching paths out of copies and removals', async () => {
    await writeFile(join(src, 'dir0', 'scratch.tmp'), 'tmp');
    await cli.ok(['pipe', 'local/mirror/remote-only.tmp'], { input: 'keep me' });
    const records = await cli.json(['mirror', '--remove', '--exclude', '*.tmp', src, 'local/mirror']);
    expect(summary(records)).toMatchObject({ copied: 0, removed: 0, excluded: 1 });
    expect((await cli.ok(['cat', 'local/mirror/remote-only.tmp'])).stdout).toBe('keep me');
    await cli.ok(['rm', 'local/mirror/remote-only.tmp']);
    await rm(join(src, 'dir0', 'scratch.tmp'));
  });

  it('mirrors a bucket back to a local folder', async () => {
    const back = join(cli.dir, 'back');
    const records = await cli.json(['mirror', 'local/mirror', back]);
    expect(summary(records)).toMatchObject({ copied: fileCount + 1, failed: 0 });
    expect((await readdir(back, { recursive: true })).filter((n) => n.endsWith('.txt'))).toHaveLength(fileCount + 1);
    expect(await readFile(join(back, 'dir1', 'file1.txt'), 'utf8')).toBe('FILE NUMBER 1\n');
    expect(summary(await cli.json(['mirror', 'local/mirror', back]))).toMatchObject({ copied: 0, unchanged: fileCount + 1 });
  });

  it('finishes the job when run again after being killed part-way', async () => {
    const proc = spawn(process.execPath, [join(ROOT, 'bin/tessera.js'), 'mirror', '--json', '--parallel', '2', src, 'local/interrupted'], {
      env: cli.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let reported = 0;
    let buffered = '';
    await new Promise<void>((resolve) => {
      proc.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        reported = buffered.split('\n').filter((l) => l.includes('"type":"copy"')).length;
        if (reported >= 100 && proc.exitCode === null) proc.kill('SIGKILL');
      });
      proc.once('close', () => resolve());
    });
    expect(reported).toBeGreaterThanOrEqual(100);
    expect(reported).toBeLessThan(fileCount + 1);
    const rerun = summary(await cli.json(['mirror', src, 'local/interrupted']));
    expect((rerun.copied as number) + (rerun.unchanged as number)).toBe(fileCount + 1);
    expect(rerun.copied as number).toBeLessThanOrEqual(fileCount + 1 - reported);
    expect((await cli.ok(['diff', src, 'local/interrupted'])).stdout).toBe('');
  });
});
