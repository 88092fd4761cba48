/**
 * The metadata writer: a child process of a Tessera node that holds its drives' metadata stores open
 * for writing and applies the writes the node sends it (see metadata-writer.ts for why it is a
 * process of its own). It ends when the node closes the channel, or dies with it.
 */
import { tolerateLmdbCommitFailures } from './lmdb-commit-failures.js';
import { MetadataStore } from './metadata-store.js';
import { Outbox, type WriterReply, type WriterRequest } from './metadata-writer.js';

process.title = 'tessera-metadata-writer';
tolerateLmdbCommitFailures();

/** Open stores by number; one path opened twice (lmdb shares one environment per path) is one store, counted. */
const stores = new Map<number, { store: MetadataStore; opens: number }>();
let nextStore = 1;

const replies = new Outbox<WriterReply>((batch) => {
  // The node is gone (its channel closed): nobody is left to answer.
  if (process.connected) process.send!(batch);
});
const reply = (message: WriterReply): void => replies.push(message);

function open(path: string): number {
  for (const [id, entry] of stores) {
    if (entry.store.path !== path) continue;
    entry.opens++;
    return id;
  }
  const id = nextStore++;
  stores.set(id, { store: new MetadataStore(path), opens: 1 });
  return id;
}

async function close(id: number, all = false): Promise<void> {
  const entry = stores.get(id);
  if (!entry || (--entry.opens > 0 && !all)) return;
  stores.delete(id);
  await entry.store.close();
}

async function handle(request: WriterRequest): Promise<unknown> {
  switch (request.op) {
    case 'open':
      return open(request.path);
    case 'close':
      return close(request.store);
    case 'write': {
      const entry = stores.get(request.store);
      if (!entry) throw Object.assign(new Error('metadata store is not open'), { code: 'ENOTOPEN' });
      return entry.store.apply(request.write);
    }
  }
}

process.on('message', (requests: WriterRequest[]) => {
  for (const request of requests) {
    handle(request).then(
      (result) => reply({ id: request.id, result }),
      (err: NodeJS.ErrnoException) => reply({ id: request.id, error: { message: err?.message ?? String(err), code: err?.code } }),
    );
  }
});

process.on('disconnect', () => {
  void Promise.allSettled([...stores.keys()].map((id) => close(id, true))).then(() => process.exit(0));
});

reply({ id: 0, result: 'ready' });
