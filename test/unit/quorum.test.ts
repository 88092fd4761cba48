import { describe, expect, it } from 'vitest';
import { minimumWriteQuorum, readQuorum, resolveVersion, writeQuorum, type RecordAnswer } from '../../src/erasure/quorum.js';
import type { ObjectRecord, VersionRecord } from '../../src/meta/record.js';

function version(modTime: number, dataDir = `dir-${modTime}`, d = 2, p = 2): VersionRecord {
  return {
    versionId: 'null',
    modTime,
    deleteMarker: false,
    size: 10,
    etag: `etag-${modTime}`,
    dataDir,
    headers: {},
    checksums: {},
    parts: [{ number: 1, size: 10, etag: `etag-${modTime}` }],
    erasure: { dataShards: d, parityShards: p, blockSize: 1 << 20, index: 1, distribution: [1, 2, 3, 4] },
  };
}

const rec = (...versions: VersionRecord[]): ObjectRecord => ({ versions });
const offline = (): Error => new Error('offline');

describe('quorum rules', () => {
  it('reads with D drives, writes with D (+1 when D == P)', () => {
    expect(readQuorum(2)).toBe(2);
    expect(writeQuorum(2, 2)).toBe(3);
    expect(writeQuorum(8, 8)).toBe(9);
    expect(writeQuorum(12, 4)).toBe(12);
    expect(minimumWriteQuorum(4)).toBe(3);
    expect(minimumWriteQuorum(5)).toBe(3);
    expect(minimumWriteQuorum(16)).toBe(9);
  });
});

describe('resolveVersion', () => {
  it('picks the version all drives agree on', () => {
    const v = version(100);
    const out = resolveVersion([rec(v), rec(v), rec(v), rec(v)], undefined, 3);
    expect(out.kind).toBe('found');
    if (out.kind === 'found') expect(out.quorum.holders).toEqual([true, true, true, true]);
  });

  it('still finds the version with exactly read quorum (N/2 drives down)', () => {
    const v = version(100);
    const out = resolveVersion([offline(), rec(v), offline(), rec(v)], undefined, 3);
    expect(out.kind).toBe('found');
    if (out.kind === 'found') expect(out.quorum.holders).toEqual([false, true, false, true]);
  });

  it('is unreadable, not absent, when failed drives could complete a quorum', () => {
    const v = version(100);
    expect(resolveVersion([offline(), rec(v), offline(), offline()], undefined, 3).kind).toBe('unreadable');
    expect(resolveVersion([offline(), undefined, offline(), offline()], undefined, 3).kind).toBe('unreadable');
  });

  it('is absent when the live drives prove no committed copy can hide on the failed ones', () => {
    // A commit reaches 3 of 4 drives, so two live drives without the key prove it is not there.
    expect(resolveVersion([offline(), undefined, offline(), undefined], undefined, 3).kind).toBe('absent');
    expect(resolveVersion([offline(), rec(version(1)), undefined, undefined], undefined, 3).kind).toBe('absent');
    expect(resolveVersion([offline(), rec(version(1)), offline(), undefined], undefined, 3).kind).toBe('unreadable');
  });

  it('is absent when every drive answered and no copy reaches quorum (dangling)', () => {
    expect(resolveVersion([rec(version(1)), undefined, undefined, undefined], undefined, 3).kind).toBe('absent');
    expect(resolveVersion([undefined, undefined, undefined, undefined], undefined, 3).kind).toBe('absent');
  });

  it('prefers the newest of two quorate versions (a commit interrupted half-way)', () => {
    const old = version(100);
    const neu = version(200);
    const out = resolveVersion([rec(neu, old), rec(neu, old), rec(old), rec(old)], undefined, 3);
    expect(out.kind === 'found' && out.quorum.version.modTime).toBe(200);
  });

  it('ignores a newer version held by fewer than read quorum drives', () => {
    const old = version(100);
    const partial = version(200);
    const out = resolveVersion([rec(partial), rec(old), rec(old), rec(old)], undefined, 3);
    expect(out.kind === 'found' && out.quorum.version.modTime).toBe(100);
  });

  it('treats copies that differ in data directory as different versions', () => {
    const a = version(100, 'dir-a');
    const b = version(100, 'dir-b');
    const out = resolveVersion([rec(a), rec(b), rec(a), rec(b)], undefined, 3);
    expect(out.kind).toBe('found');
    const none = resolveVersion([rec(a), rec(b), rec(version(100, 'dir-c')), undefined as RecordAnswer], undefined, 3);
    expect(none.kind).toBe('absent');
  });

  describe('the version a failed commit replaced (issue 10, failure 1)', () => {
    // 3 data + 1 parity: read quorum 3, write quorum 3.
    const old = version(100, 'dir-old', 3, 1);
    const neu = version(200, 'dir-new', 3, 1);
    const replacing = (newer: VersionRecord, replaced: VersionRecord): ObjectRecord => ({ versions: [newer], replaced });

    it('serves the replaced version when the drives prove its successor never reached write quorum', () => {
      const out = resolveVersion([replacing(neu, old), replacing(neu, old), rec(old), rec(old)], undefined, 3);
      expect(out.kind === 'found' && out.quorum.version.dataDir).toBe('dir-old');
      if (out.kind === 'found') {
        expect(out.quorum.holders).toEqual([true, true, true, true]);
        // A drive whose current version is the failed one serves the replaced copy it kept.
        expect(out.quorum.copies[0]).toBe(old);
      }
    });

    it('never serves it in place of a successor that may have been acknowledged', () => {
      // The new version on 2 drives and 1 drive silent: it may be on 3, its write quorum.
      expect(resolveVersion([replacing(neu, old), replacing(neu, old), offline(), rec(old)], undefined, 3).kind).toBe('unreadable');
      // On write quorum it is the answer, though the replaced version has more holders.
      const out = resolveVersion([replacing(neu, old), replacing(neu, old), replacing(neu, old), rec(old)], undefined, 3);
      expect(out.kind === 'found' && out.quorum.version.dataDir).toBe('dir-new');
    });

    it('orders by what replaced what, not by clocks', () => {
      // The successor's node had a clock behind: its modTime is older, yet it replaced `later`.
      const later = version(300, 'dir-later', 3, 1);
      const out = resolveVersion([replacing(neu, later), replacing(neu, later), replacing(neu, later), rec(later)], undefined, 3);
      expect(out.kind === 'found' && out.quorum.version.dataDir).toBe('dir-new');
    });

    it('never falls back past a successor that drives without any record may have held (a wiped drive)', () => {
      // The new version was committed on 3 drives, one of which lost everything since; the fourth missed it.
      const out = resolveVersion([replacing(neu, old), replacing(neu, old), undefined, rec(old)], undefined, 3);
      expect(out.kind).toBe('unreadable');
      // With nothing older to stand in, two blank drives still prove a lone copy dangling.
      expect(resolveVersion([rec(neu), undefined, undefined, undefined], undefined, 3).kind).toBe('absent');
    });

    it('counts only drives the successor was sent to as ones that may hide it', () => {
      // Written while the fourth drive was offline (wiped): it cannot hold the new version, blank or failed.
      const unsent = { ...neu, erasure: { ...neu.erasure, notSentTo: [3] } };
      const blankFourth = resolveVersion([replacing(unsent, old), replacing(unsent, old), rec(old), undefined], undefined, 3);
      expect(blankFourth.kind === 'found' && blankFourth.quorum.version.dataDir).toBe('dir-old');
      expect(resolveVersion([replacing(unsent, old), replacing(unsent, old), rec(old), offline()], undefined, 3).kind).toBe('found');
      // A drive it was sent to still may: the third one failed to answer.
      expect(resolveVersion([replacing(unsent, old), replacing(unsent, old), offline(), rec(old)], undefined, 3).kind).toBe('unreadable');
    });

    it('walks back through a chain of failed commits', () => {
      const newest = version(300, 'dir-newest', 3, 1);
      const out = resolveVersion([replacing(newest, neu), replacing(neu, old), replacing(newest, old), rec(old)], undefined, 3);
      expect(out.kind === 'found' && out.quorum.version.dataDir).toBe('dir-old');
    });
  });

  describe('a versioned key: the version a failed commit put above the current one (issue 12)', () => {
    // 3 data + 1 parity: read quorum 3, write quorum 3.
    const named = (id: string, modTime: number, extra: Partial<VersionRecord> = {}): VersionRecord => ({ ...version(modTime, `dir-${id}`, 3, 1), versionId: id, ...extra });
    const v1 = named('v1', 100);
    const v2 = named('v2', 200);
    const v3 = named('v3', 300);

    it('a versioned PUT cut short does not hide the previous version: drives holding it below the failed one count for it', () => {
      // The new version reached two drives and was undone nowhere (a crash); it never had its write quorum.
      const out = resolveVersion([rec(v2, v1), rec(v2, v1), rec(v1), rec(v1)], undefined, 3);
      expect(out.kind === 'found' && out.quorum.version.versionId).toBe('v1');
      if (out.kind === 'found') {
        expect(out.quorum.holders).toEqual([true, true, true, true]);
        expect(out.settled).toBe(false);
      }
      // On its write quorum it is the current version.
      const committed = resolveVersion([rec(v2, v1), rec(v2, v1), rec(v2, v1), rec(v1)], undefined, 3);
      expect(committed.kind === 'found' && committed.quorum.version.versionId).toBe('v2');
    });

    it('a delete marker is a version like any other: current when committed, passed over when it never was', () => {
      const marker = named('m', 400, { deleteMarker: true, dataDir: '', size: 0 });
      const current = resolveVersion([rec(marker, v1), rec(marker, v1), rec(marker, v1), rec(v1)], undefined, 3);
      expect(current.kind === 'found' && current.quorum.version.deleteMarker).toBe(true);
      const cut = resolveVersion([rec(marker, v1), rec(v1), rec(v1), rec(v1)], undefined, 3);
      expect(cut.kind === 'found' && cut.quorum.version.versionId).toBe('v1');
      // Read by id, the older version is there either way.
      expect(resolveVersion([rec(marker, v1), rec(marker, v1), rec(marker, v1), rec(v1)], 'v1', 3).kind).toBe('found');
    });

    it('a null version overwritten below newer ones: a failed overwrite falls back to the current version, not to the null one it replaced', () => {
      const oldNull = named('null', 150);
      const newNull = named('null', 500);
      const overwrote: ObjectRecord = { versions: [newNull, v3, v1], replaced: oldNull, replacedWasNoncurrent: true };
      const before = rec(v3, oldNull, v1);
      const latest = resolveVersion([overwrote, overwrote, before, before], undefined, 3);
      expect(latest.kind === 'found' && latest.quorum.version.versionId).toBe('v3');
      const byId = resolveVersion([overwrote, overwrote, before, before], 'null', 3);
      expect(byId.kind === 'found' && byId.quorum.version.modTime).toBe(150);
      // Where the null version it replaced was the current one, that is what it falls back to.
      const currentNull = named('null', 350);
      const replacedCurrent: ObjectRecord = { versions: [newNull, v3, v1], replaced: currentNull };
      const wasCurrent = resolveVersion([replacedCurrent, replacedCurrent, rec(currentNull, v3, v1), rec(currentNull, v3, v1)], undefined, 3);
      expect(wasCurrent.kind === 'found' && wasCurrent.quorum.version.modTime).toBe(350);
    });
  });
});
