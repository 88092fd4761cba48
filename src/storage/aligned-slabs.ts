/**
 * Page-aligned memory for O_DIRECT writes. Direct I/O needs the buffer's address, the file offset
 * and the length aligned to the device's block size; Node gives no control over where a Buffer
 * lives, but a WebAssembly.Memory is mapped on its own, at a page boundary. Each region is one such
 * memory cut into slabs; a writer borrows a slab for its life and gives it back. Regions are never
 * grown (growing would detach the slabs handed out), and there are at most MAX_REGIONS of them: a
 * writer that finds none left writes through the page cache instead.
 */
/** Small enough that every shard writer of a busy node may hold one, large enough for efficient direct writes. */
export const SLAB_BYTES = 256 * 1024;
/** What direct writes align to: a page, a multiple of every common logical block size. */
export const DIRECT_ALIGNMENT = 4096;
const SLABS_PER_REGION = 32;
const MAX_REGIONS = 8;
const WASM_PAGE = 65536;

export class AlignedSlabs {
  private readonly free: Buffer[] = [];
  private regions = 0;

  constructor(private maxRegions = MAX_REGIONS) {}

  /** A slab of SLAB_BYTES at an aligned address, or undefined when every one is in use. */
  take(): Buffer | undefined {
    if (this.free.length === 0 && this.regions < this.maxRegions) {
      try {
        this.addRegion();
      } catch {
        // No address space for another memory (each reserves several GiB, e.g. under `ulimit -v`): make do with what there is.
        this.maxRegions = this.regions;
      }
    }
    return this.free.pop();
  }

  give(slab: Buffer): void {
    this.free.push(slab);
  }

  private addRegion(): void {
    const memory = new WebAssembly.Memory({ initial: (SLABS_PER_REGION * SLAB_BYTES) / WASM_PAGE });
    for (let i = 0; i < SLABS_PER_REGION; i++) this.free.push(Buffer.from(memory.buffer, i * SLAB_BYTES, SLAB_BYTES));
    this.regions++;
  }
}

/** The slabs of this process's drives. */
export const alignedSlabs = new AlignedSlabs();
