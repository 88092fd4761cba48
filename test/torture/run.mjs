#!/usr/bin/env node
// `npm run torture -- [--minutes N] [--seed S] [--mode single|cluster|both]`: runs the torture suite
// (test/torture/torture.test.ts) under vitest with these settings in its environment, and exits with
// vitest's code. The seed is random unless given, and printed first, so any run replays.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const usage = 'usage: npm run torture -- [--minutes N] [--seed S] [--mode single|cluster|both] [--linger-ms MS]';
const options = { minutes: '3', seed: String(randomInt(0, 2 ** 31)), mode: 'both', 'linger-ms': '5000' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const [flag, inline] = args[i].split('=', 2);
  const name = flag.replace(/^--/, '');
  if (!flag.startsWith('--') || !(name in options)) {
    console.error(`${args[i] === '--help' ? '' : `unknown argument ${args[i]}\n`}${usage}`);
    process.exit(args[i] === '--help' ? 0 : 2);
  }
  const value = inline ?? args[++i];
  if (value === undefined) {
    console.error(`${flag} needs a value\n${usage}`);
    process.exit(2);
  }
  options[name] = value;
}
if (!/^\d+$/.test(options.seed) || !(Number(options.minutes) > 0) || !['single', 'cluster', 'both'].includes(options.mode)) {
  console.error(usage);
  process.exit(2);
}

console.log(`torture: seed ${options.seed}, ${options.minutes} min per mode, mode ${options.mode}`);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const child = spawn('npx', ['vitest', 'run', '--config', 'vitest.config.ts', 'test/torture/torture.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TORTURE_SEED: options.seed, TORTURE_MINUTES: options.minutes, TORTURE_MODE: options.mode, TORTURE_LINGER_MS: options['linger-ms'] },
});
child.on('exit', (code, signal) => {
  if (code !== 0) console.log(`torture failed: replay with npm run torture -- --seed ${options.seed} --minutes ${options.minutes} --mode ${options.mode}`);
  process.exit(code ?? (signal ? 1 : 0));
});
