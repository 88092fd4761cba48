/**
 * The metadata writer: a child process of a Tessera node that holds its drives' metadata stores open
 * for writing and applies the writes the node sends it (see metadata-writer.ts for why it is a
 * process of its own). It dies with the node: once the channel closes, nothing more is written.
 */
import { accessSync, constants as fsConstants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tolerateLmdbCommitFailures } from './lmdb-commit-failures.js';
import { MetadataStore, UnflushedWriteError, sameStore, storeIdentity, type StoreIdentity } from './metadata-store.js';
import { Outbox, type WriterReply, type WriterRequest } from './metadata-writer.js';

process.title = 'tessera-metadata-writer';
tolerateLmdbCommitFailures();

/** How often, and how many, fences of deleted records are looked at for expiry beside those each delete prunes. */
const PRUNE_INTERVAL_MS = 60_000;
const PRUNE_BATCH = 1_000;

/** Open stores by number; one store opened twice (lmdb shares one environment per file) is one entry, counted. */
const stores = new Map<number, { store: MetadataStore; opens: number }>();
let nextStore = 1;

const replies = new Outbox<WriterReply>((batch) => {
  if (process.connected) process.send!(batch);
});
const reply = (message: WriterReply): void => replies.push(message);

function refuse(message: string): never {
  throw Object.assign(new Error(message), { code: 'ESTALE' });
}

/**
 * lmdb must never write to a drive that turned read-only (its page writes fail mid-commit, and it may
 * abort or wedge), so every write asks first: one syscall here, off the node's event loop. A drive
 * that says no is refused with EROFS, and the node takes it offline.
 */
function ensureWritable(path: string): void {
  try {
    accessSync(join(path, 'data.mdb'), fsConstants.W_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // wiped: the write will tell
    throw Object.assign(new Error(`${path} is not writable (${(err as Error).message})`), { code: 'EROFS' });
  }
}

/**
 * Opens the store in `path`. Only the drive's first open may create it; a reopen (after this process
 * was restarted) must find the very store the drive opened, or the drive was wiped or replaced
 * meanwhile and gets nothing here (lmdb would otherwise make a new, empty store, directories and all).
 */
function open(request: Extract<WriterRequest, { op: 'open' }>): { id: number; identity: StoreIdentity } {
  const { path, expect } = request;
  const found = storeIdentity(path);
  if (expect && !sameStore(found, expect)) refuse(`${path}: the metadata store is gone or replaced`);
  for (const [id, entry] of stores) {
    if (!sameStore(entry.store.identity, found)) continue;
    entry.opens++;
    return { id, identity: entry.store.identity };
  }
  if (!expect) mkdirSync(path, { recursive: true });
  const store = new MetadataStore(path);
  if (expect && !sameStore(store.identity, expect)) {
    // Wiped between the check and the open: lmdb made a new store, which is not the drive's.
    void store.close();
    refuse(`${path}: the metadata store is gone or replaced`);
  }
  const id = nextStore++;
  stores.set(id, { store, opens: 1 });
  return { id, identity: store.identity };
}

async function close(id: number): Promise<void> {
  const entry = stores.get(id);
  if (!entry || --entry.opens > 0) return;
  stores.delete(id);
  await entry.store.close();
}

async function handle(request: WriterRequest): Promise<unknown> {
  switch (request.op) {
    case 'open':
      return open(request);
    case 'close':
      return close(request.store);
    case 'write': {
      const entry = stores.get(request.store);
      if (!entry) refuse('metadata store is not open');
      ensureWritable(entry.store.path);
      return entry.store.apply(request.write);
    }
  }
}

process.on('message', (requests: WriterRequest[]) => {
  for (const request of requests) {
    // Requests still in the pipe when the node died are not carried out: nobody waits for them.
    if (!process.connected) return;
    handle(request).then(
      (result) => reply({ id: request.id, result }),
      (err: NodeJS.ErrnoException) =>
        reply({ id: request.id, error: { message: err?.message ?? String(err), code: err?.code, unanswered: err instanceof UnflushedWriteError } }),
    );
  }
});

// The node is gone: stop at once (mid-commit is a crash, which LMDB survives), writing nothing more.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));

setInterval(() => {
  for (const { store } of stores.values()) store.pruneFences(PRUNE_BATCH).catch(() => undefined);
}, PRUNE_INTERVAL_MS).unref();

reply({ id: 0, result: 'ready' });
