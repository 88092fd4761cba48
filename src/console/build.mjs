/**
 * Builds the web console into dist/console: type-checks src/console (browser code, its own
 * tsconfig), bundles it with esbuild into one script and one style sheet named by their content
 * hash, and writes the page that loads them. Prints each file's size, raw and gzipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const source = join(root, 'src/console');
const out = join(root, 'dist/console');

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(source, 'tsconfig.json')], { stdio: 'inherit' });

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [join(source, 'main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  entryNames: 'app-[hash]',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const built = Object.keys(result.metafile.outputs).map((file) => relative(out, join(root, file)));
const script = built.find((f) => f.endsWith('.js'));
const style = built.find((f) => f.endsWith('.css'));
const page = readFileSync(join(source, 'index.html'), 'utf8').replace('APP_SCRIPT', script).replace('APP_STYLE', style);
writeFileSync(join(out, 'index.html'), page);

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
let total = 0;
let totalGzip = 0;
for (const name of readdirSync(out)) {
  const body = readFileSync(join(out, name));
  const gzip = gzipSync(body, { level: 9 }).length;
  total += statSync(join(out, name)).size;
  totalGzip += gzip;
  console.log(`console: ${name} ${kib(body.length)} (${kib(gzip)} gzipped)`);
}
console.log(`console: ${kib(total)} in all (${kib(totalGzip)} gzipped)`);
