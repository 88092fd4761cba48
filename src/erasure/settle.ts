/** A promise's value, or the Error it failed with: fan-out calls to drives count answers and failures. */
export function settle<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
}
