/**
 * Asking every drive of a set (or a pool) the same thing at once, and reducing the answers to a
 * quorum outcome. Every operation that needs several drives goes through here, so the rules live in
 * one place:
 *  - a drive that fails is an answer of its own (the Error), counted against the quorum;
 *  - a drive that refused an argument as invalid is not a failing drive but a bug of ours: once
 *    every drive asked has answered, that error is thrown, so it is never counted against a quorum
 *    or mistaken for an outage;
 *  - a drive left out of the question (`only`) is NotAsked: neither an answer nor a failure.
 */
import { DriveError } from '../storage/drive.js';

/** The answer of a drive that was not asked. It is an Error, so code that uses answers never takes it for one. */
export class NotAsked extends Error {
  constructor() {
    super('not asked');
    this.name = 'NotAsked';
  }
}

const NOT_ASKED = new NotAsked();

export interface FanOutOptions {
  /** Ask only the drives whose slot is true here; the others answer NotAsked. */
  only?: readonly boolean[];
}

/** Every drive's answer in slot order (its value, the Error it failed with, or NotAsked), and reductions of them. */
export class DriveAnswers<T> {
  constructor(readonly answers: (T | Error)[]) {}

  /** The drives that answered with a value. */
  get answered(): number {
    return this.answers.filter((a) => !(a instanceof Error)).length;
  }

  /** The drives asked that failed to answer. */
  get failed(): number {
    return this.failures().length;
  }

  /** The drives asked that failed to answer, with their errors, in slot order. */
  failures(): { slot: number; error: Error }[] {
    return this.answers.flatMap((a, slot) => (a instanceof Error && !(a instanceof NotAsked) ? [{ slot, error: a }] : []));
  }

  /** The values the drives answered, in slot order, without the failures. */
  values(): T[] {
    return this.answers.filter((a): a is T => !(a instanceof Error));
  }

  /** How many drives answered a value that passes `test`. */
  count(test: (value: T, slot: number) => boolean): number {
    return this.answers.filter((a, slot) => !(a instanceof Error) && test(a, slot)).length;
  }

  /** True when at least `quorum` drives answered (with a value passing `test`, when given). */
  reached(quorum: number, test?: (value: T, slot: number) => boolean): boolean {
    return (test ? this.count(test) : this.answered) >= quorum;
  }

  /** Throws `error()` unless at least `quorum` drives answered (with a value passing `test`, when given). */
  requireQuorum(quorum: number, error: () => Error, test?: (value: T, slot: number) => boolean): void {
    if (!this.reached(quorum, test)) throw error();
  }
}

function isBug(answer: unknown): answer is DriveError {
  return answer instanceof DriveError && answer.kind === 'invalid';
}

/**
 * Asks every drive (those `options.only` marks) at once with `ask` and waits for all of them.
 * Throws a drive's 'invalid' error (see the module's comment); any other failure is an answer.
 */
export async function askDrives<D, T>(drives: readonly D[], ask: (drive: D, slot: number) => Promise<T>, options: FanOutOptions = {}): Promise<DriveAnswers<T>> {
  const answers = await Promise.all(
    drives.map(async (drive, slot): Promise<T | Error> => {
      if (options.only && !options.only[slot]) return NOT_ASKED;
      try {
        return await ask(drive, slot);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }),
  );
  const bug = answers.find(isBug);
  if (bug) throw bug;
  return new DriveAnswers(answers);
}

/**
 * Runs `act` on every drive (those `options.only` marks) at once and waits for all of them, ignoring
 * every failure, a bug's too: for cleanups and undos, which run on failure paths and in `finally`
 * blocks where an error of theirs would hide the outcome being reported; what they leave behind is
 * garbage the scanner removes.
 */
export async function bestEffortOnDrives<D>(drives: readonly D[], act: (drive: D, slot: number) => Promise<unknown>, options: FanOutOptions = {}): Promise<void> {
  await Promise.all(
    drives.map(async (drive, slot) => {
      if (options.only && !options.only[slot]) return;
      try {
        await act(drive, slot);
      } catch {
        // Ignored: see above.
      }
    }),
  );
}
