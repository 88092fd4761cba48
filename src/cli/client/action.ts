/** Runs a command's action: any failure is printed as one line and exits non-zero, never a stack trace. */
import { describeError } from './errors.js';

const cleanups = new Set<() => void>();

/** Registers something to undo if the process stops early (a progress bar, a partial file). */
export function onAbort(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  cleanups.clear();
}

let signalsInstalled = false;

function installSignalHandlers(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      runCleanups();
      process.stderr.write(`tessera: interrupted\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

export function fail(err: unknown): never {
  runCleanups();
  process.stderr.write(`tessera: ${describeError(err)}\n`);
  if (process.env.TESSERA_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}

/** Wraps an action: its resolved number (if any) is the exit code; a throw is one line and exit 1. */
export function run<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    installSignalHandlers();
    // Writing to a closed pipe (`tessera ls ... | head`) ends the program quietly.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
    });
    let code: number | void;
    try {
      code = await fn(...args);
    } catch (err) {
      fail(err);
    }
    runCleanups();
    process.exitCode = code ?? 0;
  };
}
