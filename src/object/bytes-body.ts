/** A PutBody over bytes already in hand (configuration documents the server writes for itself). */
import { createHash } from 'node:crypto';
import type { PutBody } from './types.js';

export function bytesBody(data: Buffer): PutBody {
  let ended = false;
  async function* stream(): AsyncGenerator<Buffer> {
    yield data;
    ended = true;
  }
  return {
    stream: stream(),
    seal() {
      if (!ended) throw new Error('bytesBody sealed before its bytes were read');
      return { etag: createHash('md5').update(data).digest('hex'), size: data.length, checksums: {} };
    },
  };
}
