import { describe, expect, it } from 'vitest';
import { compareKeys } from '../../src/storage/names.js';

const sign = (n: number): number => Math.sign(n);

describe('compareKeys', () => {
  it('orders keys as their UTF-8 bytes do, also where UTF-16 order differs (code points above U+FFFF)', () => {
    const alphabet = ['a', 'b', '/', '\u0000', 'é', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '😀', '𐀀', '日'];
    const keys: string[] = [''];
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 400; i++) keys.push(Array.from({ length: 1 + random(4) }, () => alphabet[random(alphabet.length)]).join(''));
    for (const a of keys) {
      for (const b of keys.slice(0, 60)) expect(sign(compareKeys(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(Buffer.compare(Buffer.from(a), Buffer.from(b)));
    }
    // The case UTF-16 gets wrong: U+FFFF sorts before U+10000 in UTF-8 but after its surrogates in UTF-16.
    expect(compareKeys('\uffff', '𐀀')).toBeLessThan(0);
  });
});
