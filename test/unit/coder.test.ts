/** Blocks into shards and back: decodeBlock hands out the data shards' own bytes, and ranges cut them without joining. */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { initCodec } from '../../src/codec/reed-solomon.js';
import { decodeBlock, encodeBlock, slicePieces } from '../../src/erasure/coder.js';

describe('block coder', () => {
  beforeAll(() => initCodec());

  it('decodes a block from its data shards as views of them, and from parity when data shards are lost', () => {
    for (const length of [1, 7, 4096, 1024 * 1024 - 3]) {
      const block = randomBytes(length);
      const shards = encodeBlock(block, 4, 2);
      const whole = decodeBlock(shards, 4, 2, length);
      expect(Buffer.concat(whole).equals(block), `${length}`).toBe(true);
      expect(whole.every((piece, i) => piece.buffer === shards[i].buffer), `${length}: views`).toBe(true);
      const lost: (Buffer | undefined)[] = [...shards];
      lost[0] = undefined;
      lost[2] = undefined;
      expect(Buffer.concat(decodeBlock(lost, 4, 2, length)).equals(block), `${length}: rebuilt`).toBe(true);
    }
  });

  it('cuts any range out of pieces, byte for byte', () => {
    const bytes = randomBytes(100);
    const pieces = [bytes.subarray(0, 30), bytes.subarray(30, 31), bytes.subarray(31, 90), bytes.subarray(90)];
    for (const [start, end] of [[0, 100], [0, 1], [29, 31], [30, 31], [31, 90], [45, 46], [89, 100], [99, 100], [5, 95]]) {
      const got = [...slicePieces(pieces, start, end)];
      expect(Buffer.concat(got).equals(bytes.subarray(start, end)), `${start}-${end}`).toBe(true);
      expect(got.every((piece) => piece.length > 0)).toBe(true);
    }
  });
});
