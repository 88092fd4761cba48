/**
 * The metadata writer: a child process of a Tessera node that holds its drives' metadata stores open
 * for writing and applies the writes the node sends it (see metadata-writer.ts for why it is a
 * process of its own). It ends when the node closes the channel, or dies with it.
 */
import { tolerateLmdbCommitFailures } from './lmdb-commit-failures.js';
import { MetadataStore } from './metadata-store.js';
import type { WriterReply, WriterRequest } from './metadata-writer.js';

process.title = 'tessera-metadata-writer';
tolerateLmdbCommitFailures();

const stores = new Map<number, MetadataStore>();
let nextStore = 1;

function reply(message: WriterReply): void {
  // The node is gone (its channel closed): nobody is left to answer.
  if (process.connected) process.send!(message);
}

async function closeStore(id: number): Promise<void> {
  const store = stores.get(id);
  stores.delete(id);
  await store?.close();
}

async function handle(request: WriterRequest): Promise<unknown> {
  switch (request.op) {
    case 'open': {
      // A store of this path left open (its drive was abandoned, then revived) is replaced.
      for (const [id, store] of stores) if (store.path === request.path) await closeStore(id);
      const id = nextStore++;
      stores.set(id, new MetadataStore(request.path));
      return id;
    }
    case 'close':
      return closeStore(request.store);
    case 'write': {
      const store = stores.get(request.store);
      if (!store) throw Object.assign(new Error('metadata store is not open'), { code: 'ENOTOPEN' });
      return store.apply(request.write);
    }
  }
}

process.on('message', (request: WriterRequest) => {
  handle(request).then(
    (result) => reply({ id: request.id, result }),
    (err: NodeJS.ErrnoException) => reply({ id: request.id, error: { message: err?.message ?? String(err), code: err?.code } }),
  );
});

process.on('disconnect', () => {
  void Promise.allSettled([...stores.keys()].map(closeStore)).then(() => process.exit(0));
});

reply({ id: 0, result: 'ready' });
