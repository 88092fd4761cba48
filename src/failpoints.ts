/**
 * Named points in the write path where a test can make something happen: a pause that lets another
 * request overtake, an error, a crash. They are inert unless a test arms them, in its own process with
 * armFailpoint(), or in a server it starts with TESSERA_FAILPOINTS=name=ACTION[;name=ACTION...], where
 * ACTION is error:N (the first N passes through `name` fail), sleep:MS (every pass waits MS ms) or
 * crash:N (the Nth pass kills the process with SIGKILL: a power cut at that point, for crash tests).
 * An unarmed point costs one map-size check.
 * (A leaf module: every layer may name a point.)
 */
import { setTimeout as sleep } from 'node:timers/promises';

export type FailpointAction = (name: string) => Promise<void> | void;

const armed = new Map<string, FailpointAction>();

/** An error thrown by an armed failpoint. */
class FailpointError extends Error {}

/** Runs the action armed at `name`, if any. */
export async function failpoint(name: string): Promise<void> {
  if (armed.size === 0) return;
  await armed.get(name)?.(name);
}

/** Arms `name` with `action` until the returned function is called. */
export function armFailpoint(name: string, action: FailpointAction): () => void {
  armed.set(name, action);
  return () => {
    if (armed.get(name) === action) armed.delete(name);
  };
}

/** The first `count` passes fail, the rest go through. */
function failTimes(count: number): FailpointAction {
  let left = count;
  return (name) => {
    if (left <= 0) return;
    left--;
    throw new FailpointError(`failpoint ${name}`);
  };
}

/** The `count`th pass kills the process at once: nothing after it runs, no handler, no flush. */
function crashAt(count: number): FailpointAction {
  let left = count;
  return () => {
    if (--left === 0) process.kill(process.pid, 'SIGKILL');
  };
}

const ACTIONS: Record<string, (n: number) => FailpointAction> = {
  error: failTimes,
  sleep: (ms) => () => sleep(ms),
  crash: crashAt,
};

function armFromEnvironment(spec: string): void {
  for (const entry of spec.split(';').filter(Boolean)) {
    const match = /^([a-z0-9.-]+)=(error|sleep|crash):(\d+)$/.exec(entry.trim());
    if (!match) throw new Error(`TESSERA_FAILPOINTS: cannot read ${JSON.stringify(entry)} (expected name=error:N, name=sleep:MS or name=crash:N)`);
    const [, name, action, n] = match;
    armFailpoint(name, ACTIONS[action](Number(n)));
  }
}

armFromEnvironment(process.env.TESSERA_FAILPOINTS ?? '');
