#!/usr/bin/env node
// Assembles wasm/rs.wat (WebAssembly text, SIMD128) into wasm/rs.wasm with the
// npm `wabt` package. Always regenerates the output; run by `npm run build`.
import { readFile, writeFile, rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcPath = path.join(here, 'rs.wat');
const outPath = path.join(here, 'rs.wasm');

const wabt = await (await import('wabt')).default();
const source = await readFile(srcPath, 'utf8');

let mod;
try {
  mod = wabt.parseWat('rs.wat', source, { simd: true });
  mod.resolveNames();
  mod.validate();
} catch (err) {
  console.error(`wasm/build.mjs: failed to assemble ${srcPath}:\n${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
const { buffer } = mod.toBinary({ log: false, write_debug_names: true });
mod.destroy();

if (!WebAssembly.validate(buffer)) {
  console.error('wasm/build.mjs: assembled module does not validate in this runtime (SIMD128 unsupported?)');
  process.exit(1);
}

// Write atomically so a concurrently starting process never sees a half file.
const tmpPath = `${outPath}.${process.pid}.tmp`;
await writeFile(tmpPath, buffer);
await rename(tmpPath, outPath);
console.log(`wasm/build.mjs: wrote ${path.relative(process.cwd(), outPath) || outPath} (${buffer.length} bytes)`);
