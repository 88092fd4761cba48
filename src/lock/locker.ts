/** What the erasure layer needs from a lock service: shared or exclusive locks on names. */
export type Release = () => void;

export interface Locker {
  /** Resolves once granted; rejects (S3Error SlowDown) when the lock cannot be had in time. */
  lock(name: string, write: boolean): Promise<Release>;
}
