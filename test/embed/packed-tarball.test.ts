/**
 * The package as users get it: `npm pack` of this repository (dist/ as built), installed with
 * `npm install <tarball>` into a fresh project (its dependencies from the registry), and used there:
 * the README's vitest recipe, its files taken from the README as they are written there; a script
 * with `import { startTessera } from 'tessera'`, the AWS SDK against it, a drive taken offline,
 * stop() removing what it made; and its type declarations checked with tsc. Nothing is skipped:
 * without the registry it fails.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cleanEnv } from '../helpers/server.js';

const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

const USE = `
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { startTessera } from 'tessera';

const tessera = await startTessera();
const s3 = new S3Client(tessera.s3);
await s3.send(new CreateBucketCommand({ Bucket: 'packed' }));
const body = 'x'.repeat(300_000);
await s3.send(new PutObjectCommand({ Bucket: 'packed', Key: 'k', Body: body }));
const read = async () => (await s3.send(new GetObjectCommand({ Bucket: 'packed', Key: 'k' }))).Body.transformToString();
const first = await read();
tessera.takeDriveOffline(0);
const offline = await read();
const page = await fetch(tessera.endpoint + '/tessera/console/');
const html = await page.text();
const script = /src="(app-[^"]+\.js)"/.exec(html)?.[1];
const console_ = page.status === 200 && script !== undefined && (await fetch(tessera.endpoint + '/tessera/console/' + script)).status === 200;
s3.destroy();
const base = dirname(tessera.drives[0]);
await tessera.stop();
console.log(JSON.stringify({ endpoint: tessera.endpoint, first: first === body, offline: offline === body, console: console_, base, removed: !existsSync(base) }));
`;

const TYPED = `
import { startTessera, type StartTesseraOptions, type Tessera, type S3ClientConfig } from 'tessera';
const options: StartTesseraOptions = { drives: 4, parity: 2 };
const tessera: Tessera = await startTessera(options);
const config: S3ClientConfig = tessera.s3;
const secret: string = config.credentials.secretAccessKey;
const healed: Promise<void> = tessera.awaitHealing({ timeoutMs: 1000 });
export { secret, healed };
`;

/** The README's files for users to copy: each code block after a `<!-- file: DIR/NAME -->` line, by path. */
async function readmeFiles(): Promise<Map<string, string>> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const files = new Map<string, string>();
  for (const [, name, body] of readme.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) files.set(name, `${body}\n`);
  return files;
}

const MISTYPED = `
import { startTessera } from 'tessera';
await startTessera({ drives: 'four' });
`;

describe('the packed tarball, installed into a fresh project', () => {
  let work: string;
  let project: string;
  let tarball: string;

  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist', 'src', 'index.js')), 'run npm run build first').toBe(true);
    work = await mkdtemp(join(tmpdir(), 'tessera-packed-'));
    // --ignore-scripts: dist/ is already built (a rebuild would pull it from under other tests).
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed.filename);
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'bin/tessera.js', 'wasm/rs.wasm', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/storage/metadata-writer-process.js']));
    expect(files.filter((f) => !/^dist\/(src\/.*\.(js|d\.ts)|console\/.*)$/.test(f)).sort()).toEqual(['README.md', 'bin/tessera.js', 'package.json', 'wasm/rs.wasm']);
    expect(files.filter((f) => f.startsWith('dist/console/')).map((f) => f.replace(/-\w+\./, '-HASH.')).sort()).toEqual(['dist/console/app-HASH.css', 'dist/console/app-HASH.js', 'dist/console/index.html']);

    project = join(work, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'uses-tessera', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', tarball, '@aws-sdk/client-s3', 'vitest@4', 'jest@30'], { cwd: project, env: cleanEnv(), timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('starts a server with startTessera, serves the AWS SDK and the console, reads with a drive offline, and removes its directory on stop', async () => {
    await writeFile(join(project, 'use.mjs'), USE);
    const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: project, env: cleanEnv(), timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { endpoint: string; first: boolean; offline: boolean; console: boolean; base: string; removed: boolean };
    expect(result).toMatchObject({ first: true, offline: true, console: true, removed: true });
    expect(result.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(result.base.startsWith(tmpdir())).toBe(true);
  });

  /** Writes the README's files under `dir/` into the project; returns their directory. */
  async function recipe(dir: string): Promise<string> {
    const files = [...(await readmeFiles())].filter(([path]) => path.startsWith(`${dir}/`));
    expect(files.length).toBeGreaterThanOrEqual(3);
    await mkdir(join(project, dir));
    for (const [path, body] of files) await writeFile(join(project, path), body);
    return join(project, dir);
  }

  it("runs the README's vitest global-setup recipe as written", async () => {
    const cwd = await recipe('vitest-recipe');
    const vitest = join(project, 'node_modules', 'vitest', 'vitest.mjs');
    const { stdout } = await run(process.execPath, [vitest, 'run'], { cwd, env: cleanEnv({ CI: 'true' }), timeout: 120_000 });
    expect(stdout).toMatch(/1 passed/);
  });

  it("runs the README's Jest global-setup recipe as written", async () => {
    const cwd = await recipe('jest-recipe');
    const jest = join(project, 'node_modules', 'jest', 'bin', 'jest.js');
    // Jest reports on stderr.
    const { stderr } = await run(process.execPath, [jest], { cwd, env: cleanEnv({ CI: 'true' }), timeout: 120_000 });
    expect(stderr).toMatch(/Tests:\s+1 passed, 1 total/);
  });

  it('ships type declarations that tsc checks a use against', async () => {
    const tsconfig = { compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] } };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    await writeFile(join(project, 'typed.mts'), TYPED);
    await run(TSC, ['-p', 'tsconfig.json'], { cwd: project });
    await writeFile(join(project, 'mistyped.mts'), MISTYPED);
    const failed = await run(TSC, ['-p', 'tsconfig.json'], { cwd: project }).then(
      () => undefined,
      (err: { stdout: string }) => err.stdout,
    );
    expect(failed).toMatch(/mistyped\.mts.*error TS2322/);
    expect(await readdir(join(project, 'node_modules', 'tessera', 'dist', 'src'))).toContain('index.d.ts');
  });
});
