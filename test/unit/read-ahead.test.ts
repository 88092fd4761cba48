/** ReadAhead: a shard read over RPC asks for several blocks at once and serves the next reads from them, byte for byte as the file has them. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ShardReader } from '../../src/storage/drive.js';
import { ReadAhead } from '../../src/storage/read-ahead.js';

function fileReader(file: Buffer): ShardReader & { calls: [number, number][]; closed: boolean } {
  const reader = {
    calls: [] as [number, number][],
    closed: false,
    read: async (offset: number, length: number) => {
      reader.calls.push([offset, length]);
      return Buffer.from(file.subarray(offset, offset + length));
    },
    close: async () => {
      reader.closed = true;
    },
  };
  return reader;
}

describe('ReadAhead', () => {
  const frame = 1000;
  const file = randomBytes(10 * frame + 300); // ten whole frames and a short last one

  it('reads a file frame by frame in about a quarter of the calls once reads are sequential, with the bytes of the file, the short end included', async () => {
    const inner = fileReader(file);
    const reader = new ReadAhead(inner, 64 * 1024);
    const got: Buffer[] = [];
    for (let offset = 0; offset < file.length; offset += frame) got.push(await reader.read(offset, Math.min(frame, file.length - offset)));
    expect(Buffer.concat(got).equals(file)).toBe(true);
    expect(inner.calls).toEqual([
      [0, frame], // the first read is asked for as it is: a one-block object reads nothing more
      [frame, 4 * frame],
      [5 * frame, 4 * frame],
      [9 * frame, 4 * frame],
    ]);
    // Past the end: as short as the file says.
    expect((await reader.read(file.length - 100, frame)).equals(file.subarray(file.length - 100))).toBe(true);
    expect((await reader.read(file.length, frame)).length).toBe(0);
  });

  it('serves reads at any offset, asks again outside what it holds, never asks for more than its limit, and closes what it wraps', async () => {
    const inner = fileReader(file);
    const reader = new ReadAhead(inner, 2500);
    for (const [offset, length] of [[2500, 500], [3000, 500], [3500, 1000], [100, 10], [110, 20], [9990, 20], [0, 5000], [5000, 2499]]) {
      expect((await reader.read(offset, length)).equals(file.subarray(offset, offset + length)), `${offset}+${length}`).toBe(true);
    }
    expect(inner.calls).toEqual([
      [2500, 500], // first read: as it is
      [3000, 2000], // sequential: four reads' worth
      // 3500+1000 is within what came
      [100, 10], // out of order: as it is
      [110, 80], // sequential again
      [9990, 20],
      [0, 5000], // over the limit: as it is
      [5000, 2499], // sequential, but two such reads are over the limit: as it is
    ]);
    await reader.close();
    expect(inner.closed).toBe(true);
  });

  it('a window ending inside the next frame had that frame asked for again (1 MiB windows over 512 KiB frames read a cluster GET twice): windows hold whole reads, and no byte is asked for twice', async () => {
    for (const limit of [1500, 2500, 3999, 64 * 1024]) {
      const inner = fileReader(file);
      const reader = new ReadAhead(inner, limit);
      const got: Buffer[] = [];
      for (let offset = 0; offset < file.length; offset += frame) got.push(await reader.read(offset, Math.min(frame, file.length - offset)));
      expect(Buffer.concat(got).equals(file), `limit ${limit}`).toBe(true);
      const asked = inner.calls.reduce((sum, [, length]) => sum + length, 0);
      expect(asked, `limit ${limit}: ${JSON.stringify(inner.calls)}`).toBeLessThan(file.length + 4 * frame);
      expect(inner.calls.every(([, length]) => length <= Math.max(limit, frame)), `limit ${limit}`).toBe(true);
    }
  });
});
