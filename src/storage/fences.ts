/**
 * The fences of records a drive deleted. A record carries the fence of the lock holder that wrote it
 * (see lock/locker.ts), but a deleted record carries nothing, so the drive remembers its last fence
 * for a while: long enough to outlast any lease (a holder stops trusting its lease well within
 * one), though not across a restart of the process that writes the drive's metadata (metadata-writer.ts).
 */
const REMEMBER_MS = 10 * 60_000;

export class DeletedRecordFences {
  private readonly fences = new Map<string, { fence: number; until: number }>();

  remember(name: string, fence: number): void {
    const now = Date.now();
    for (const [old, entry] of this.fences) {
      if (entry.until > now) break;
      this.fences.delete(old);
    }
    this.fences.delete(name);
    this.fences.set(name, { fence, until: now + REMEMBER_MS });
  }

  forget(name: string): void {
    this.fences.delete(name);
  }

  /** The fence the record had when it was deleted; 0 when none is remembered. */
  get(name: string): number {
    const entry = this.fences.get(name);
    return entry && entry.until > Date.now() ? entry.fence : 0;
  }
}
