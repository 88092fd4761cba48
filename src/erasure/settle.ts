import { DriveError } from '../storage/drive.js';

/**
 * A promise's value, or the Error it failed with: fan-out calls to drives count answers and failures.
 * A drive that refused an argument as invalid is not a failing drive but a bug of ours: that error is
 * thrown, so it is never counted against a quorum or mistaken for an outage.
 */
export function settle<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.catch((err: unknown) => {
    if (err instanceof DriveError && err.kind === 'invalid') throw err;
    return err instanceof Error ? err : new Error(String(err));
  });
}
