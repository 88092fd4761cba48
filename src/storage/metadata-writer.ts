/**
 * Every write to a drive's metadata store runs in a child process, the metadata writer; the node reads
 * the same stores in its own process, through read-only maps (LMDB serves several processes at once).
 *
 * Why a process: when a drive fails under a write (it turns read-only, or returns I/O errors), lmdb's
 * native error paths have been seen to corrupt the heap and abort the process (kriszyp/lmdb-js#294,
 * and once in our torture runs). In the node's own process that would take every drive and every
 * client connection down with the one failing drive. In the writer, it costs the writes in flight:
 * they fail with a DriveError (outcome unknown, like a lost RPC), the writer is started again at the
 * next write, and each drive reopens its store there (the very store it opened: a wiped drive's is
 * not made anew). A drive that can no longer be written goes offline at its next write (the writer
 * checks before lmdb touches a store, and before it reopens one, and answers EROFS), so it cannot
 * crash the writer in a loop.
 *
 * lmdb can also wedge instead (a commit whose page write failed never finishes, and the environment
 * takes no more writes). A store that leaves a write unanswered too long (WriterTimeouts) is reported
 * stuck (its drive goes offline) and the writer is killed and started again, with the same outcome.
 *
 * One writer serves all of a node's drives: a process per drive would cost ~50 MB each.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DriveError } from './drive.js';
import type { MetadataWrite, MetadataWriteOutcome, StoreIdentity } from './metadata-store.js';
import { log } from '../log.js';

export type WriterRequest =
  /** `expect`: reopen only the store with this identity; without it, open (or create) whatever is there. */
  | { id: number; op: 'open'; path: string; expect?: StoreIdentity }
  | { id: number; op: 'close'; store: number }
  | { id: number; op: 'write'; store: number; write: MetadataWrite };

/** `unanswered`: the write failed after it was committed (may be on the drive). */
export type WriterReply = { id: number; result?: unknown; error?: { message: string; code?: string; unanswered?: boolean } };

type RequestBody = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;

/**
 * Messages for the other process, sent as one array per turn of the event loop: the drives of a set
 * commit at nearly the same moment, and one message costs about what four do.
 */
export class Outbox<T> {
  private batch: T[] = [];

  constructor(private readonly send: (batch: T[]) => void) {}

  push(message: T): void {
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push(message);
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    this.send(batch);
  }
}

export interface WriterTimeouts {
  /** How long any request may go unanswered before the writer is taken for wedged (an fsync storm on a slow disk takes seconds). */
  answerTimeoutMs: number;
  /** How long a request for a drive that went offline may stay unanswered: its store is the likely wedged one. */
  offlineGraceMs: number;
}

const DEFAULT_TIMEOUTS: WriterTimeouts = { answerTimeoutMs: 15_000, offlineGraceMs: 1_000 };

interface Waiter {
  child: ChildProcess;
  store?: WriterStore;
  timer: NodeJS.Timeout;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

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
  /** The store the drive opened; set by the first open. */
  identity?: StoreIdentity;
  /** Called when a write to this store went unanswered too long (the drive should go offline). */
  onStuck?: () => void;
  constructor(readonly path: string) {}
}

/** After a writer failed to start, how long writes fail at once before another start is tried. */
const START_BACKOFF_MS = 1_000;

export class MetadataWriter {
  private child?: ChildProcess;
  private outbox?: Outbox<WriterRequest>;
  private ready?: Promise<void>;
  /** The current child has not said it is ready yet. */
  private starting = false;
  /** No start before this time (ms since the epoch): the last one failed. */
  private startAfter = 0;
  /** Counts the writers started: a store opened in an earlier one must be opened again. */
  private generation = 0;
  private nextRequest = 1;
  private readonly pending = new Map<number, Waiter>();
  /** Stores open or being opened: the writer ends only when there are none. */
  private readonly stores = new Set<WriterStore>();

  constructor(private readonly timeouts: WriterTimeouts = DEFAULT_TIMEOUTS) {}

  /** Opens a drive's store for writing (creating it), and keeps it open across restarts of the writer. */
  async open(path: string): Promise<WriterStore> {
    const store = new WriterStore(path);
    this.stores.add(store);
    try {
      await this.attach(store);
    } catch (err) {
      await this.close(store);
      throw err;
    }
    return store;
  }

  async write(store: WriterStore, write: MetadataWrite): Promise<MetadataWriteOutcome> {
    await this.attach(store);
    // Closed while it was being reattached (its drive went offline): nothing more is written to it.
    if (!this.stores.has(store)) throw new DriveError('offline', `${store.path}: metadata store is closed`);
    return (await this.request({ op: 'write', store: store.id, write }, store)) as MetadataWriteOutcome;
  }

  /**
   * Closes a drive's store; the writer itself ends with the last one. A drive closes its store when it
   * goes offline: if a request for it is still unanswered a moment later, lmdb is stuck on that drive.
   */
  async close(store: WriterStore): Promise<void> {
    if (!this.stores.delete(store)) return;
    await store.opening?.catch(() => undefined);
    const child = this.child;
    if (child && store.generation === this.generation) {
      const check = setTimeout(() => {
        if (this.owes(child, store)) this.stop(child, `left a write to ${store.path} unanswered after its drive went offline`);
      }, this.timeouts.offlineGraceMs);
      await this.request({ op: 'close', store: store.id }, store).catch(() => undefined);
      clearTimeout(check);
    }
    if (this.stores.size === 0 && this.child) {
      // A store opened from now on starts a new writer; this one ends (at once) when its channel closes.
      this.child.disconnect();
      this.child = this.ready = this.outbox = undefined;
    }
  }

  /** The writer's process id, while one runs (for tests that kill it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many requests the writer owes an answer (for tests that kill it in the middle of one). */
  get owed(): number {
    return this.pending.size;
  }

  /** Makes sure `store` is open in the current writer. */
  private async attach(store: WriterStore): Promise<void> {
    for (;;) {
      await this.start();
      if (store.generation === this.generation) return;
      const generation = this.generation;
      store.opening ??= (async () => {
        try {
          const opened = (await this.request({ op: 'open', path: store.path, expect: store.identity }, store)) as { id: number; identity: StoreIdentity };
          store.id = opened.id;
          store.identity ??= opened.identity;
          store.generation = generation;
          // Closed while it opened (its drive went offline, perhaps before this writer was up).
          if (!this.stores.has(store)) await this.request({ op: 'close', store: opened.id }).catch(() => undefined);
        } finally {
          store.opening = undefined;
        }
      })();
      await store.opening;
    }
  }

  private start(): Promise<void> {
    if (this.child && this.ready) return this.ready;
    if (Date.now() < this.startAfter) return Promise.reject(new DriveError('faulty', 'the metadata writer failed to start a moment ago'));
    // No inherited flags (an inspector port, a loader): the writer needs none.
    const child = fork(entryPoint(), [], {
      serialization: 'advanced',
      execArgv: [],
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.generation++;
    this.starting = true;
    this.outbox = new Outbox<WriterRequest>((batch) => {
      if (child.connected) child.send(batch);
    });
    let started: { resolve: () => void; reject: (err: Error) => void } | undefined;
    const ready = new Promise<void>((resolve, reject) => (started = { resolve, reject }));
    this.ready = ready;
    const startTimer = setTimeout(() => this.stop(child, `did not start within ${this.timeouts.answerTimeoutMs / 1000} s`), this.timeouts.answerTimeoutMs);
    startTimer.unref();
    // Its first message (id 0) says it is ready; the others answer requests.
    child.on('message', (replies: WriterReply[]) => {
      for (const reply of replies) {
        if (reply.id !== 0) {
          this.settle(reply);
          continue;
        }
        clearTimeout(startTimer);
        if (this.child === child) this.starting = false;
        started?.resolve();
        started = undefined;
        this.updateRef();
      }
    });
    const gone = (how: string): void => {
      clearTimeout(startTimer);
      if (this.child === child) {
        this.child = this.ready = this.outbox = undefined;
        log.error(`metadata writer ${how}; it starts again at the next write`);
      }
      if (started) this.startAfter = Date.now() + START_BACKOFF_MS;
      const lost = this.failAll(child, how);
      started?.reject(lost);
      started = undefined;
    };
    child.on('exit', (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
    // A process that could not be started at all says so here, and never exits.
    child.on('error', (err) => {
      if (child.pid === undefined) gone(`could not be started (${err.message})`);
    });
    this.updateRef();
    return ready;
  }

  /**
   * Kills a writer taken for wedged; what it owed fails at once. `stuck`: the store whose request
   * timed out, reported (its drive goes offline). Only that one: the others' requests were merely
   * queued behind it.
   */
  private stop(child: ChildProcess, why: string, stuck?: WriterStore): void {
    if (this.child === child) {
      this.child = this.ready = this.outbox = undefined;
      log.error(`metadata writer ${why}: killed; it starts again at the next write`);
    }
    child.kill('SIGKILL');
    this.failAll(child, why);
    stuck?.onStuck?.();
  }

  private owes(child: ChildProcess, store?: WriterStore): boolean {
    for (const waiter of this.pending.values()) if (waiter.child === child && (store === undefined || waiter.store === store)) return true;
    return false;
  }

  /** Fails every request `child` owes. Unanswered: a write may have been committed before it died. */
  private failAll(child: ChildProcess, how: string): DriveError {
    const lost = new DriveError('faulty', `metadata writer ${how} with the write in flight`, true);
    for (const [id, waiter] of this.pending) {
      if (waiter.child !== child) continue;
      this.pending.delete(id);
      clearTimeout(waiter.timer);
      waiter.reject(lost);
    }
    this.updateRef();
    return lost;
  }

  private request(body: RequestBody, store?: WriterStore): Promise<unknown> {
    const child = this.child;
    if (!child?.connected || !this.outbox) return Promise.reject(new DriveError('faulty', 'metadata writer is not running'));
    const id = this.nextRequest++;
    const reply = new Promise<unknown>((resolve, reject) => {
      const { answerTimeoutMs } = this.timeouts;
      const why = `left a request${store ? ` to ${store.path}` : ''} unanswered for ${answerTimeoutMs / 1000} s`;
      const timer = setTimeout(() => this.stop(child, why, store), answerTimeoutMs);
      timer.unref();
      this.pending.set(id, { child, store, timer, resolve, reject });
    });
    this.outbox.push({ ...body, id } as WriterRequest);
    this.updateRef();
    return reply;
  }

  private settle(reply: WriterReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    clearTimeout(waiter.timer);
    const { error } = reply;
    if (!error) waiter.resolve(reply.result);
    else if (error.unanswered) waiter.reject(new DriveError('faulty', error.message, true));
    else waiter.reject(Object.assign(new Error(error.message), { code: error.code }));
    this.updateRef();
  }

  /**
   * The writer keeps the node's event loop alive only while it owes an answer or is starting: an
   * embedding program that forgets to close its drives still ends.
   */
  private updateRef(): void {
    const child = this.child;
    if (!child) return;
    if (this.starting || this.owes(child)) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  }
}

let shared: MetadataWriter | undefined;

/** The writer of this process's drives. */
export function metadataWriter(): MetadataWriter {
  shared ??= new MetadataWriter();
  return shared;
}
