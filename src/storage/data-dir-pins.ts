/**
 * The data directories of one drive that readers have open. GETs take no lock while they stream, so
 * a commit may replace the version being read and ask for its data to be removed; the drive then
 * removes it when the last reader closes, not under its feet, whichever node that reader is on.
 * Readers are counted per data directory, not per file, so a reader moving from part to part of a
 * multipart object keeps the whole directory. A removal left pending when the process ends leaves an
 * orphan that the scanner removes.
 */
export class DataDirPins {
  private readonly readers = new Map<string, number>();
  private readonly pending = new Map<string, () => Promise<void>>();
  private readonly running = new Map<string, Promise<void>>();

  /** Registers a reader of `dir`; the returned function ends it, once. */
  pin(dir: string): () => void {
    this.readers.set(dir, (this.readers.get(dir) ?? 0) + 1);
    let unpinned = false;
    return () => {
      if (unpinned) return;
      unpinned = true;
      const left = (this.readers.get(dir) ?? 1) - 1;
      if (left > 0) return void this.readers.set(dir, left);
      this.readers.delete(dir);
      const removal = this.pending.get(dir);
      this.pending.delete(dir);
      if (removal) void this.run(dir, removal).catch(() => undefined); // failures only leave an orphan for the scanner
    };
  }

  /** Runs `removal` now when nobody reads `dir`, else once the last reader is done (without waiting). */
  async removeWhenUnread(dir: string, removal: () => Promise<void>): Promise<void> {
    if (!this.readers.has(dir)) return this.run(dir, removal);
    this.pending.set(dir, removal);
  }

  /**
   * `dir` is in use again (a retried commit names it): a removal waiting for its readers is called
   * off, and one already running is waited for, so the caller finds what it left.
   */
  async claim(dir: string): Promise<void> {
    this.pending.delete(dir);
    await this.running.get(dir)?.catch(() => undefined);
  }

  private async run(dir: string, removal: () => Promise<void>): Promise<void> {
    const running = removal().finally(() => {
      if (this.running.get(dir) === running) this.running.delete(dir);
    });
    this.running.set(dir, running);
    return running;
  }
}
