/**
 * Failpoints armed through TESSERA_FAILPOINTS in a child process (as a test arms a server): crash:N
 * kills the process with SIGKILL on the Nth pass and not before; a bad spec is refused.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/server.js';

/** Passes `passes` times through the point `p` in a fresh process armed with `spec`, printing each pass. */
function passThrough(spec: string, passes: number): ReturnType<typeof spawnSync> {
  const script = `const { failpoint } = await import('./dist/src/failpoints.js');
for (let i = 1; i <= ${passes}; i++) { await failpoint('p'); console.log('passed', i); }`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, TESSERA_FAILPOINTS: spec }, encoding: 'utf8' });
}

describe('TESSERA_FAILPOINTS', () => {
  it('crash:N kills the process with SIGKILL on the Nth pass', () => {
    const run = passThrough('p=crash:3', 5);
    expect(run.signal).toBe('SIGKILL');
    expect(String(run.stdout).trim().split('\n')).toEqual(['passed 1', 'passed 2']);
  });

  it('error:N fails the first N passes; an unknown action is refused', () => {
    const errors = passThrough('p=error:1', 2);
    expect(errors.status).not.toBe(0);
    expect(String(errors.stderr)).toMatch(/failpoint p/);
    const bad = passThrough('p=explode:1', 1);
    expect(String(bad.stderr)).toMatch(/expected name=error:N, name=sleep:MS or name=crash:N/);
  });
});
