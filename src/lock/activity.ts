/**
 * What one node's lock client is doing now: the locks it holds and those it is waiting for, with
 * since when (for `tessera admin top locks`). Recorded by the locker around each lock's life.
 */
export interface LockActivity {
  resource: string;
  mode: 'read' | 'write';
  state: 'waiting' | 'held';
  /** When the wait began, or the lock was granted (milliseconds since the epoch). */
  since: number;
}

/** One lock's entry: moved to held when granted, removed when released or given up. */
export interface TrackedLock {
  granted(): void;
  end(): void;
}

export class LockActivities {
  private readonly current = new Set<LockActivity>();

  begin(resource: string, write: boolean): TrackedLock {
    const entry: LockActivity = { resource, mode: write ? 'write' : 'read', state: 'waiting', since: Date.now() };
    this.current.add(entry);
    return {
      granted: () => {
        entry.state = 'held';
        entry.since = Date.now();
      },
      end: () => this.current.delete(entry),
    };
  }

  /** The `limit` oldest entries, oldest first. */
  oldest(limit: number): LockActivity[] {
    return [...this.current].sort((a, b) => a.since - b.since).slice(0, limit).map((e) => ({ ...e }));
  }
}
