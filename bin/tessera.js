#!/usr/bin/env node
// Every drive operation (writes, fsyncs, renames) runs on libuv's thread pool; its default of 4
// threads serialises the fsyncs of a few concurrent PUTs over several drives. Must be set before
// the pool starts, hence before the program is loaded.
process.env.UV_THREADPOOL_SIZE ??= '64';
await import('../dist/src/cli/main.js');
