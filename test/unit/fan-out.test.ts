import { describe, expect, it } from 'vitest';
import { askDrives, bestEffortOnDrives, NotAsked } from '../../src/erasure/fan-out.js';
import { DriveError } from '../../src/storage/drive.js';

const drives = ['a', 'b', 'c', 'd'];
const fail = (kind: 'offline' | 'invalid') => Promise.reject(new DriveError(kind, `drive ${kind}`));

describe('askDrives', () => {
  it('answers in slot order; failures are answers, drives left out are neither answers nor failures', async () => {
    const asked: string[] = [];
    const answers = await askDrives(
      drives,
      async (drive, slot) => {
        asked.push(drive);
        if (drive === 'b') return fail('offline');
        return slot * 10;
      },
      { only: [true, true, true, false] },
    );
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(answers.answers[0]).toBe(0);
    expect(answers.answers[1]).toBeInstanceOf(DriveError);
    expect(answers.answers[3]).toBeInstanceOf(NotAsked);
    expect(answers.answered).toBe(2);
    expect(answers.failed).toBe(1);
    expect(answers.failures().map((f) => f.slot)).toEqual([1]);
    expect(answers.values()).toEqual([0, 20]);
    expect(answers.count((v) => v > 0)).toBe(1);
    expect(answers.reached(2)).toBe(true);
    expect(answers.reached(2, (v) => v > 0)).toBe(false);
    expect(() => answers.requireQuorum(3, () => new Error('no quorum'))).toThrow('no quorum');
  });

  it("throws a drive's 'invalid' error as a bug, only once every drive asked has answered", async () => {
    let finished = 0;
    const asking = askDrives(drives, async (drive) => {
      if (drive === 'a') return fail('invalid');
      await new Promise((r) => setTimeout(r, 20));
      finished++;
      return drive;
    });
    await expect(asking).rejects.toMatchObject({ kind: 'invalid' });
    expect(finished).toBe(3);
  });
});

describe('bestEffortOnDrives', () => {
  it('runs on the drives marked and ignores every failure, a bug too', async () => {
    const ran: string[] = [];
    await bestEffortOnDrives(
      drives,
      async (drive) => {
        ran.push(drive);
        if (drive === 'a') return fail('invalid');
        if (drive === 'b') throw new TypeError('boom');
      },
      { only: [true, true, false, true] },
    );
    expect(ran).toEqual(['a', 'b', 'd']);
  });
});
