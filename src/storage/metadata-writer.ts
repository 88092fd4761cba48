/**
 * Every write to a drive's metadata store runs in a child process, the metadata writer; the node reads
 * the same stores in its own process, through read-only maps (LMDB serves several processes at once).
 *
 * Why a process: when a drive fails under a write (it turns read-only, or returns I/O errors), lmdb's
 * native error paths have been seen to corrupt the heap and abort the process (kriszyp/lmdb-js#294,
 * and once in our torture runs). In the node's own process that would take every drive and every
 * client connection down with the one failing drive. In the writer, it costs the writes in flight:
 * they fail with a DriveError (outcome unknown, like a lost RPC), the writer is started again at the
 * next write, and each drive reopens its store there. A drive that can no longer be written goes
 * offline at its next write (LocalDrive checks before each), so it cannot crash the writer in a loop.
 *
 * One writer serves all of a node's drives: a process per drive would cost ~50 MB each.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DriveError } from './drive.js';
import type { MetadataWrite, MetadataWriteOutcome } from './metadata-store.js';

export type WriterRequest =
  | { id: number; op: 'open'; path: string }
  | { id: number; op: 'close'; store: number }
  | { id: number; op: 'write'; store: number; write: MetadataWrite };

export type WriterReply = { id: number; result?: unknown; error?: { message: string; code?: string } };

type RequestBody = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;

/** The writer's entry point: beside this file once built; from sources (tests), the built one. */
function entryPoint(): string {
  const built = import.meta.url.endsWith('.ts') ? '../../dist/src/storage/metadata-writer-process.js' : './metadata-writer-process.js';
  return fileURLToPath(new URL(built, import.meta.url));
}

/** One drive's store as the writer knows it: reopened there, under a new number, after the writer restarts. */
export class WriterStore {
  /** The writer's number for the store, valid in `generation` only. */
  id = 0;
  generation = -1;
  opening?: Promise<void>;
  constructor(readonly path: string) {}
}

export class MetadataWriter {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  /** Counts the writers started: a store opened in an earlier one must be opened again. */
  private generation = 0;
  private nextRequest = 1;
  private readonly pending = new Map<number, { child: ChildProcess; resolve: (result: unknown) => void; reject: (err: Error) => void }>();
  private readonly stores = new Set<WriterStore>();

  /** Opens a drive's store for writing (creating it), and keeps it open across restarts of the writer. */
  async open(path: string): Promise<WriterStore> {
    const store = new WriterStore(path);
    await this.attach(store);
    this.stores.add(store);
    return store;
  }

  async write(store: WriterStore, write: MetadataWrite): Promise<MetadataWriteOutcome> {
    if (!this.stores.has(store)) throw new DriveError('offline', `${store.path}: metadata store is closed`);
    await this.attach(store);
    return (await this.request({ op: 'write', store: store.id, write })) as MetadataWriteOutcome;
  }

  /** Closes a drive's store; the writer itself ends with the last one. */
  async close(store: WriterStore): Promise<void> {
    if (!this.stores.delete(store)) return;
    if (store.generation === this.generation && this.child) await this.request({ op: 'close', store: store.id }).catch(() => undefined);
    if (this.stores.size === 0 && this.child) {
      // A store opened from now on starts a new writer; this one ends once it has closed its stores.
      this.child.disconnect();
      this.child = this.ready = undefined;
    }
  }

  /** The writer's process id, while one runs (for tests that kill it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Makes sure `store` is open in the current writer. */
  private async attach(store: WriterStore): Promise<void> {
    await this.start();
    while (store.generation !== this.generation) {
      store.opening ??= (async () => {
        const generation = this.generation;
        try {
          store.id = (await this.request({ op: 'open', path: store.path })) as number;
          store.generation = generation;
        } finally {
          store.opening = undefined;
        }
      })();
      await store.opening;
    }
  }

  private start(): Promise<void> {
    if (this.child && this.ready) return this.ready;
    const child = fork(entryPoint(), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    this.generation++;
    let starting: { resolve: () => void; reject: (err: Error) => void } | undefined;
    const ready = new Promise<void>((resolve, reject) => (starting = { resolve, reject }));
    this.ready = ready;
    // Its first message (id 0) says it is ready; the others answer requests.
    child.on('message', (reply: WriterReply) => {
      if (reply.id !== 0) return this.settle(reply);
      starting?.resolve();
      starting = undefined;
      if (this.pending.size === 0) this.idle();
    });
    child.on('error', () => undefined); // a failed spawn or send; 'exit' follows and fails what waits
    child.on('exit', (code, signal) => {
      const how = signal ?? `code ${code}`;
      if (this.child === child) {
        this.child = this.ready = undefined;
        console.error(`tessera: metadata writer exited (${how}); it starts again at the next write`);
      }
      // Unanswered: the write may have been committed before the writer died.
      const lost = new DriveError('faulty', `metadata writer exited (${how}) with the write in flight`, true);
      starting?.reject(lost);
      for (const [id, waiter] of this.pending) {
        if (waiter.child !== child) continue;
        this.pending.delete(id);
        waiter.reject(lost);
      }
    });
    this.busy();
    return ready;
  }

  private request(body: RequestBody): Promise<unknown> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(new DriveError('faulty', 'metadata writer is not running'));
    const id = this.nextRequest++;
    const reply = new Promise<unknown>((resolve, reject) => this.pending.set(id, { child, resolve, reject }));
    this.busy();
    child.send({ ...body, id } as WriterRequest);
    return reply;
  }

  private settle(reply: WriterReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.error) waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    else waiter.resolve(reply.result);
    if (this.pending.size === 0) this.idle();
  }

  // The writer keeps the node's event loop alive only while it owes an answer: an embedding program
  // that forgets to close its drives still ends.
  private busy(): void {
    this.child?.ref();
    this.child?.channel?.ref();
  }

  private idle(): void {
    this.child?.unref();
    this.child?.channel?.unref();
  }
}

let shared: MetadataWriter | undefined;

/** The writer of this process's drives. */
export function metadataWriter(): MetadataWriter {
  shared ??= new MetadataWriter();
  return shared;
}
