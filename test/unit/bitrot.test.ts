import { describe, expect, it } from 'vitest';
import { BITROT_HASH_SIZE, BitrotError, ShardLayout, frameShardBlock, verifyShardBlock } from '../../src/codec/bitrot.js';
import { readBlocks } from '../../src/erasure/blocks.js';

describe('bitrot framing', () => {
  const shard = Buffer.from('the quick brown fox jumps over the lazy dog');
  const frame = Buffer.concat(frameShardBlock(shard));

  it('verifies an intact frame and returns its payload', () => {
    expect(frame.length).toBe(BITROT_HASH_SIZE + shard.length);
    expect(verifyShardBlock(frame, shard.length)).toEqual(shard);
  });

  it('detects every flipped byte, in the hash or in the payload', () => {
    for (let i = 0; i < frame.length; i++) {
      const bad = Buffer.from(frame);
      bad[i] ^= 1;
      expect(() => verifyShardBlock(bad, shard.length)).toThrow(BitrotError);
    }
  });

  it('detects truncation and extension', () => {
    expect(() => verifyShardBlock(frame.subarray(0, frame.length - 1), shard.length)).toThrow(BitrotError);
    expect(() => verifyShardBlock(frame.subarray(0, 4), shard.length)).toThrow(BitrotError);
    expect(() => verifyShardBlock(Buffer.concat([frame, Buffer.of(0)]), shard.length)).toThrow(BitrotError);
  });
});

describe('shard layout', () => {
  it('computes block sizes, shard lengths and frame offsets', () => {
    const layout = new ShardLayout(2.5 * 1024 * 1024, 1024 * 1024, 3);
    expect(layout.blockCount).toBe(3);
    expect(layout.blockDataLength(2)).toBe(512 * 1024);
    expect(layout.shardLength(0)).toBe(Math.ceil((1024 * 1024) / 3));
    expect(layout.shardLength(2)).toBe(Math.ceil((512 * 1024) / 3));
    expect(layout.frameOffset(2)).toBe(2 * (8 + Math.ceil((1024 * 1024) / 3)));
    expect(layout.shardFileSize).toBe(2 * (8 + layout.shardLength(0)) + 8 + layout.shardLength(2));
  });
});

describe('block splitter', () => {
  async function* chunks(sizes: number[]): AsyncGenerator<Buffer> {
    let n = 0;
    for (const size of sizes) {
      yield Buffer.from(Array.from({ length: size }, () => n++ % 251));
    }
  }

  it('cuts arbitrary chunks into fixed blocks and a short tail, losing nothing', async () => {
    const sizes = [1, 7, 16, 3, 100, 0, 33];
    const blocks: Buffer[] = [];
    for await (const b of readBlocks(chunks(sizes), 16)) blocks.push(Buffer.from(b));
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(blocks.slice(0, -1).every((b) => b.length === 16)).toBe(true);
    expect(Buffer.concat(blocks)).toEqual(Buffer.from(Array.from({ length: total }, (_, i) => i % 251)));
  });

  it('cuts a body of many tiny chunks the same way (they are gathered into one buffer past a few dozen)', async () => {
    const sizes = Array.from({ length: 500 }, (_, i) => (i % 3) + 1);
    const blocks: Buffer[] = [];
    for await (const b of readBlocks(chunks(sizes), 256)) blocks.push(Buffer.from(b));
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(blocks.slice(0, -1).every((b) => b.length === 256)).toBe(true);
    expect(Buffer.concat(blocks)).toEqual(Buffer.from(Array.from({ length: total }, (_, i) => i % 251)));
  });

  it('yields nothing for an empty stream', async () => {
    const blocks: Buffer[] = [];
    for await (const b of readBlocks(chunks([]), 16)) blocks.push(b);
    expect(blocks).toEqual([]);
  });
});
