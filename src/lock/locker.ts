/** What the erasure layer needs from a lock service: shared or exclusive locks on names. */

/** A granted lock. */
export interface Lease {
  /**
   * Orders the holders of a name: a holder granted after this one lapsed or was released has a
   * greater fence. Drives keep the greatest fence they saw per object record and refuse commits
   * carrying a smaller one, so a holder paused past its lease (its lock since granted to another)
   * cannot overwrite what the newer holder wrote.
   */
  readonly fence: number;
  /** Throws ObjectLayerError 'write-quorum' once the lease may have lapsed: from then on the holder must commit nothing. */
  check(): void;
  /** Gives the lock up; idempotent. */
  release(): void;
}

export interface Locker {
  /** Resolves once granted; rejects (ObjectLayerError 'lock-timeout') when the lock cannot be had in time. */
  lock(name: string, write: boolean): Promise<Lease>;
}
