import { describe, expect, it } from 'vitest';
import { setIndexFor, shardDistribution } from '../../src/erasure/placement.js';

describe('placement', () => {
  it('gives every drive exactly one shard index, deterministically', () => {
    for (const n of [2, 4, 5, 16]) {
      for (const key of ['a', 'photos/2024/x.jpg', '日本語', '']) {
        const d = shardDistribution(key, n);
        expect([...d].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        expect(shardDistribution(key, n)).toEqual(d);
      }
    }
  });

  it('spreads the first data shard over all drives', () => {
    const firstShardSlot = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const slot = shardDistribution(`key-${i}`, 4).indexOf(1);
      firstShardSlot.set(slot, (firstShardSlot.get(slot) ?? 0) + 1);
    }
    for (let slot = 0; slot < 4; slot++) expect(firstShardSlot.get(slot)).toBeGreaterThan(800);
  });

  it('routes keys to sets evenly, differently per deployment', () => {
    const counts = [0, 0, 0, 0];
    let differ = 0;
    for (let i = 0; i < 4000; i++) {
      const set = setIndexFor(`obj/${i}`, 'deployment-a', 4);
      counts[set]++;
      if (set !== setIndexFor(`obj/${i}`, 'deployment-b', 4)) differ++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(differ).toBeGreaterThan(2000);
    expect(setIndexFor('x', 'd', 1)).toBe(0);
  });
});
