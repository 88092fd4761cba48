/**
 * `node dist/bench/embed-startup.js [rounds]`: how long startTessera() takes to answer S3 requests
 * (4 drives in a new temporary directory, EC 2+2), and stop() to remove it all again. The first
 * round includes compiling the codec (and is also given from the start of the process, module
 * loading included); the rest show a warm start.
 */
import { performance } from 'node:perf_hooks';
import { startTessera } from '../src/index.js';

const rounds = Number(process.argv[2] ?? 5);
const figures: { start: number; stop: number }[] = [];
let sinceProcessStart = 0;
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  const tessera = await startTessera();
  const ready = await fetch(`${tessera.endpoint}/tessera/health/ready`);
  const t1 = performance.now();
  if (ready.status !== 200) throw new Error(`not ready: ${ready.status}`);
  if (i === 0) sinceProcessStart = t1;
  await tessera.stop();
  figures.push({ start: t1 - t0, stop: performance.now() - t1 });
}
const ms = (n: number): string => `${n.toFixed(0)} ms`;
const warm = figures.slice(1).map((f) => f.start).sort((a, b) => a - b);
console.log(`startTessera() to a ready server: first ${ms(figures[0].start)} (${ms(sinceProcessStart)} from process start), ` +
  (warm.length > 0 ? `then median ${ms(warm[Math.floor(warm.length / 2)])}, max ${ms(warm[warm.length - 1])} over ${warm.length} rounds; ` : '') +
  `stop() median ${ms(figures.map((f) => f.stop).sort((a, b) => a - b)[Math.floor(figures.length / 2)])}`);
