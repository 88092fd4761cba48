/**
 * The history checker on hand-made histories: legal ones it must accept, and broken ones (a lost
 * write, a stale read, a mix of two bodies, a phantom listing, ...) it must reject.
 */
import { describe, expect, it } from 'vitest';
import { makeValue, sha256, valueBytes, valueSlice, type Value } from './bodies.js';
import { checkHistory } from './checker.js';
import type { Op, Outcome, ReadResult } from './history.js';

let nextId = 1;
const base = (start: number, end: number, outcome: Outcome = 'ok') => ({ id: nextId++, client: 0, node: 0, start, end, outcome });
const value = (id: string, size = 300, key = 'k'): Value => makeValue([{ id, key, size }]);
const put = (v: Value, start: number, end: number, outcome: Outcome = 'ok', key = 'k'): Op => ({ ...base(start, end, outcome), type: 'put', key, value: v });
const del = (start: number, end: number, outcome: Outcome = 'ok', key = 'k'): Op => ({ ...base(start, end, outcome), type: 'delete', key });
const copy = (source: string, key: string, start: number, end: number): Op => ({ ...base(start, end), type: 'copy', key, source });
const saw = (v: Value): ReadResult => ({ absent: false, sha256: v.sha256, size: v.size });
const get = (result: ReadResult, start: number, end: number, key = 'k', extra: Partial<Op> = {}): Op => ({ ...base(start, end), type: 'get', key, result, ...extra }) as Op;
const list = (keys: Record<string, number>, start: number, end: number, extra: Partial<Op> = {}): Op =>
  ({ ...base(start, end), type: 'list', result: new Map(Object.entries(keys).map(([k, size]) => [k, { size }])), ...extra }) as Op;
const ABSENT: ReadResult = { absent: true };
const check = (ops: Op[], lingerMs = 1000) => checkHistory(ops, { lingerMs });
const kinds = (ops: Op[], lingerMs?: number) => check(ops, lingerMs).map((a) => a.kind);

describe('the history checker accepts legal histories', () => {
  const a = value('a');
  const b = value('b');

  it('reads after acknowledged writes, and reads concurrent with a write (old or new)', () => {
    expect(kinds([put(a, 0, 10), get(saw(a), 20, 30), put(b, 40, 50), get(saw(a), 45, 48), get(saw(b), 45, 48), get(saw(b), 60, 70)])).toEqual([]);
  });

  it('a 404 before any write and after a delete; a read concurrent with a delete', () => {
    expect(kinds([get(ABSENT, 0, 5), put(a, 10, 20), del(30, 40), get(saw(a), 35, 36), get(ABSENT, 35, 36), get(ABSENT, 50, 60)])).toEqual([]);
  });

  it('an unknown write may appear (within the linger) or not', () => {
    expect(kinds([put(a, 0, 10), put(b, 20, 30, 'unknown'), get(saw(a), 100, 110), get(saw(b), 120, 130)])).toEqual([]);
    expect(kinds([put(a, 0, 10), put(b, 20, 30, 'unknown'), get(saw(a), 100, 110)])).toEqual([]);
  });

  it('a read may see an unknown write late, and once it has, keeps seeing it', () => {
    expect(kinds([put(a, 0, 10), put(b, 20, 30, 'unknown'), get(saw(a), 40, 50), get(saw(b), 60, 70), get(saw(b), 80, 90)])).toEqual([]);
  });

  it('a copy holds whatever its source held while it ran', () => {
    expect(kinds([put(a, 0, 10, 'ok', 's'), put(b, 20, 30, 'ok', 's'), copy('s', 'd', 25, 28), get(saw(a), 40, 50, 'd'), get(saw(b), 60, 70, 'd')])).toEqual([]);
  });

  it('copies that read each other (a->b while b->a) may swap or duplicate values, whatever order reads are checked in', () => {
    const onA = value('a', 300, 'ka');
    const onB = value('b', 300, 'kb');
    const history = [put(onA, 0, 10, 'ok', 'ka'), put(onB, 0, 10, 'ok', 'kb'), copy('ka', 'kb', 20, 40), copy('kb', 'ka', 30, 50)];
    expect(kinds([...history, get(saw(onA), 60, 61, 'kb'), get(saw(onA), 70, 71, 'ka')])).toEqual([]);
    expect(kinds([...history, get(saw(onA), 70, 71, 'ka'), get(saw(onA), 60, 61, 'kb')])).toEqual([]);
  });

  it('a value copied out and back is not a read going back', () => {
    expect(kinds([put(a, 0, 10), get(saw(a), 15, 16), copy('k', 'x', 20, 30), put(b, 40, 50), get(saw(b), 60, 61), copy('x', 'k', 70, 80), get(saw(a), 90, 91)])).toEqual([]);
  });

  it('a listing shows what must exist and may or may not show what is in flight', () => {
    expect(kinds([put(a, 0, 10), put(b, 20, 100, 'ok', 'other'), list({ k: 300 }, 30, 40), list({ k: 300, other: 300 }, 30, 40)])).toEqual([]);
  });

  it('a range that matches a slice of an allowed value, and an unsatisfiable range beyond it', () => {
    const slice = valueSlice(a.segments, 10, 50);
    expect(
      kinds([
        put(a, 0, 10),
        { ...base(20, 30), type: 'range', key: 'k', from: 10, to: 49, result: { absent: false, sha256: sha256(slice), size: 40, total: 300 } },
        { ...base(20, 30), type: 'range', key: 'k', from: 400, to: 499, result: { unsatisfiable: true } },
      ]),
    ).toEqual([]);
  });

  it('empty bodies of different writes are the same value', () => {
    const e1 = value('e1', 0);
    const e2 = value('e2', 0);
    expect(kinds([put(e1, 0, 10), put(e2, 20, 30), get(saw(e1), 40, 50)])).toEqual([]);
  });
});

describe('the history checker rejects broken histories', () => {
  const a = value('a');
  const b = value('b');

  it('a lost acknowledged write (404 after the ack)', () => {
    expect(kinds([put(a, 0, 10), get(ABSENT, 20, 30)])).toEqual(['lost-write']);
  });

  it('a stale read after an acknowledged overwrite', () => {
    const found = check([put(a, 0, 10), put(b, 20, 30), get(saw(a), 40, 50)]);
    expect(found.map((x) => x.kind)).toEqual(['stale-read']);
    expect(found[0].message).toMatch(/superseded by acknowledged #\d+ put/);
  });

  it('a resurrection after an acknowledged delete', () => {
    expect(kinds([put(a, 0, 10), del(20, 30), get(saw(a), 40, 50)])).toEqual(['stale-read']);
  });

  it('an unknown write landing after the linger, over an acknowledged write that began later', () => {
    expect(kinds([put(a, 0, 10, 'unknown'), put(b, 2000, 2010), get(saw(a), 3000, 3010)], 1000)).toEqual(['stale-read']);
  });

  it('a read that goes back to an older value after a read saw an unacknowledged newer one (a dirty read, undone)', () => {
    const found = check([put(a, 0, 10), put(b, 20, 30, 'unknown'), get(saw(b), 40, 50), get(saw(a), 60, 70)]);
    expect(found.map((x) => x.kind)).toEqual(['stale-read']);
    expect(found[0].message).toMatch(/unacknowledged \(read by #\d+ at 50 ms\)/);
  });

  it('reads that flip back between two overlapping acknowledged writes', () => {
    expect(kinds([put(a, 0, 50), put(b, 0, 50), get(saw(a), 20, 21), get(saw(b), 30, 31), get(saw(b), 40, 41)])).toEqual([]);
    const found = check([put(a, 0, 50), put(b, 0, 50), get(saw(a), 20, 21), get(saw(b), 30, 31), get(saw(a), 40, 41)]);
    expect(found.map((x) => x.kind)).toEqual(['read-went-back']);
    expect(found[0].message).toMatch(/#\d+ saw it before #\d+ saw #\d+ put/);
  });

  it('a read of a write that had not begun', () => {
    expect(kinds([get(saw(a), 0, 10), put(a, 20, 30)])).toEqual(['future-read']);
  });

  it('a write that failed cleanly becoming visible', () => {
    expect(kinds([put(a, 0, 10), put(b, 20, 30, 'fail'), get(saw(b), 40, 50)])).toEqual(['failed-write-visible']);
  });

  it('a mix of two bodies (half of one write, half of another)', () => {
    const mixed = Buffer.concat([valueBytes(a.segments).subarray(0, 150), valueBytes(b.segments).subarray(150)]);
    const read: ReadResult = { absent: false, sha256: sha256(mixed), size: mixed.length };
    expect(kinds([put(a, 0, 10), put(b, 0, 10), get(read, 20, 30)])).toEqual(['foreign-bytes']);
  });

  it('a range whose bytes are no allowed value', () => {
    const wrong = valueSlice(b.segments, 10, 50);
    expect(kinds([put(a, 0, 10), { ...base(20, 30), type: 'range', key: 'k', from: 10, to: 49, result: { absent: false, sha256: sha256(wrong), size: 40, total: 300 } }])).toEqual([
      'range-mismatch',
    ]);
  });

  it('a listing that omits an acknowledged key, or shows a deleted one', () => {
    expect(kinds([put(a, 0, 10), list({}, 20, 30)])).toEqual(['list-missing']);
    expect(kinds([put(a, 0, 10), del(20, 30), list({ k: 300 }, 40, 50)])).toEqual(['list-phantom']);
    const unreadable = { ...base(19, 21, 'unknown'), type: 'get', key: 'k', detail: '503 SlowDownRead' } as Op;
    expect(kinds([put(a, 0, 10), unreadable, list({}, 20, 30)])).toEqual(['list-missing-unreadable']);
  });

  it('a copy that returns a value its source never held during the copy', () => {
    const found = check([put(a, 0, 10, 'ok', 's'), put(b, 20, 30, 'ok', 's'), copy('s', 'd', 40, 50), get(saw(a), 60, 70, 'd')]);
    expect(found.map((x) => x.kind)).toEqual(['foreign-bytes']);
    expect(found[0].message).toMatch(/the bytes of #\d+ put of s/);
  });

  it('nodes that disagree after healing, and a final listing that disagrees with the final reads', () => {
    const final = { final: true };
    expect(kinds([put(a, 0, 10), put(b, 20, 30, 'unknown'), get(saw(a), 5000, 5001, 'k', final), get(saw(b), 5000, 5001, 'k', final)])).toEqual(['final-divergent']);
    expect(kinds([put(a, 0, 10, 'unknown'), get(ABSENT, 5000, 5001, 'k', final), list({ k: 300 }, 5002, 5003, final)])).toEqual(['final-list-mismatch']);
  });
});
