/**
 * The metadata writer: a child process of a Tessera node that holds its drives' metadata stores open
 * for writing and applies the writes the node sends it (see metadata-writer.ts for why it is a
 * process of its own). It dies with the node: once the channel closes, nothing more is written.
 */
import { accessSync, constants as fsConstants, mkdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { tolerateLmdbCommitFailures } from './lmdb-commit-failures.js';
import { MetadataStore, UnflushedWriteError, sameStore, storeIdentity, type StoreIdentity } from './metadata-store.js';
import { Outbox, type WriterReply, type WriterRequest } from './metadata-writer.js';

process.title = 'tessera-metadata-writer';
tolerateLmdbCommitFailures();

/** How often, and how many, fences of deleted records are looked at for expiry beside those each delete prunes. */
const PRUNE_INTERVAL_MS = 60_000;
const PRUNE_BATCH = 1_000;

/**
 * Open stores by number; one store opened twice (lmdb shares one environment per file) is one entry,
 * counted. `turn` settles once the store's writes received so far have been handed to lmdb, in order.
 */
const stores = new Map<number, { store: MetadataStore; opens: number; turn: Promise<void> }>();
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
 * abort or wedge), so the writes to a store are applied only once the drive says it is writable: one
 * check per store per message from the node, off this process's event loop (a drive whose filesystem
 * hangs on it holds up its own writes, not the other drives'). A drive that says no is refused with
 * EROFS, and the node takes it offline.
 */
async function checkWritable(path: string): Promise<void> {
  try {
    await access(join(path, 'data.mdb'), fsConstants.W_OK);
  } catch (err) {
    notWritable(path, err as NodeJS.ErrnoException);
  }
}

function notWritable(path: string, err: NodeJS.ErrnoException): void {
  if (err.code === 'ENOENT') return; // wiped: the write will tell
  throw Object.assign(new Error(`${path} is not writable (${err.message})`), { code: 'EROFS' });
}

const settled = (): void => undefined;

/**
 * Opens the store in `path`. Only the drive's first open may create it; a reopen (after this process
 * was restarted) must find the very store the drive opened, or the drive was wiped or replaced
 * meanwhile and gets nothing here (lmdb would otherwise make a new, empty store, directories and all).
 */
function open(request: Extract<WriterRequest, { op: 'open' }>): { id: number; identity: StoreIdentity } {
  const { path, expect } = request;
  const found = storeIdentity(path);
  if (expect && !sameStore(found, expect)) refuse(`${path}: the metadata store is gone or replaced`);
  // A reopen (this process was restarted) of a drive that turned read-only meanwhile: lmdb would fail
  // with a bare errno, which the node would not know for read-only. Said as EROFS, the drive goes offline.
  try {
    accessSync(join(path, 'data.mdb'), fsConstants.W_OK);
  } catch (err) {
    notWritable(path, err as NodeJS.ErrnoException);
  }
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
  stores.set(id, { store, opens: 1, turn: Promise.resolve() });
  return { id, identity: store.identity };
}

async function close(id: number): Promise<void> {
  const entry = stores.get(id);
  if (!entry || --entry.opens > 0) return;
  stores.delete(id);
  await entry.turn;
  await entry.store.close();
}

/**
 * Carries out one request. `checks` holds this message's writability check per store: the writes of
 * a message wait for it and are then applied in the order they came (one lmdb transaction, as before).
 */
async function handle(request: WriterRequest, checks: Map<number, Promise<void>>): Promise<unknown> {
  switch (request.op) {
    case 'open':
      return open(request);
    case 'close':
      await checks.get(request.store)?.catch(settled);
      return close(request.store);
    case 'write': {
      const entry = stores.get(request.store);
      if (!entry) refuse('metadata store is not open');
      let check = checks.get(request.store);
      if (!check) {
        check = entry.turn.then(() => checkWritable(entry.store.path));
        checks.set(request.store, check);
      }
      await check;
      return entry.store.apply(request.write);
    }
  }
}

process.on('message', (requests: WriterRequest[]) => {
  const checks = new Map<number, Promise<void>>();
  for (const request of requests) {
    // Requests still in the pipe when the node died are not carried out: nobody waits for them.
    if (!process.connected) return;
    handle(request, checks).then(
      (result) => reply({ id: request.id, result }),
      (err: NodeJS.ErrnoException) =>
        reply({ id: request.id, error: { message: err?.message ?? String(err), code: err?.code, unanswered: err instanceof UnflushedWriteError } }),
    );
  }
  // The next message's writes to a store wait until this one's have been handed to lmdb.
  for (const [id, check] of checks) {
    const entry = stores.get(id);
    if (entry) entry.turn = check.then(settled, settled);
  }
});

// The node is gone: stop at once (mid-commit is a crash, which LMDB survives), writing nothing more.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));

setInterval(() => {
  for (const { store } of stores.values()) {
    checkWritable(store.path)
      .then(() => store.pruneFences(PRUNE_BATCH))
      .catch(settled);
  }
}, PRUNE_INTERVAL_MS).unref();

reply({ id: 0, result: 'ready' });
