/**
 * The data directories this node is streaming to clients. GETs hold no lock while a body streams, so
 * a commit may replace the version being read; the replaced data is then removed once the last
 * reader here is done with it, not under its feet. (Readers on other nodes are not known here: a
 * version replaced while another node streams it may cut that stream, never change its bytes.)
 */
export class ActiveReaders {
  private readonly readers = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  /** Registers a reader of `dataDir` (none for inline data); the returned function ends it, once. */
  enter(dataDir: string): () => void {
    if (dataDir === '') return () => undefined;
    this.readers.set(dataDir, (this.readers.get(dataDir) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const count = (this.readers.get(dataDir) ?? 1) - 1;
      if (count > 0) {
        this.readers.set(dataDir, count);
        return;
      }
      this.readers.delete(dataDir);
      const run = this.waiting.get(dataDir) ?? [];
      this.waiting.delete(dataDir);
      for (const removal of run) removal();
    };
  }

  /** Runs `removal` now when nobody here reads `dataDir`, else once the last reader is done. */
  async whenUnread(dataDir: string, removal: () => Promise<void>): Promise<void> {
    if (!this.readers.has(dataDir)) return removal();
    const queued = this.waiting.get(dataDir) ?? [];
    queued.push(() => void removal());
    this.waiting.set(dataDir, queued);
  }
}
