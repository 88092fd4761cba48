/** A drive's data directories open for reading: removals wait for readers, and a directory in use again is claimed back. */
import { describe, expect, it } from 'vitest';
import { DataDirPins } from '../../src/storage/data-dir-pins.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DataDirPins', () => {
  it('removes at once what nobody reads, and only after the last of several readers otherwise', async () => {
    const pins = new DataDirPins();
    const removed: string[] = [];
    await pins.removeWhenUnread('a', async () => void removed.push('a'));
    expect(removed).toEqual(['a']);
    const [first, second] = [pins.pin('b'), pins.pin('b')];
    await pins.removeWhenUnread('b', async () => void removed.push('b'));
    first();
    first(); // ending a reader twice counts once
    expect(removed).toEqual(['a']);
    second();
    await sleep(0);
    expect(removed).toEqual(['a', 'b']);
  });

  it('a claim calls off a removal waiting for readers', async () => {
    const pins = new DataDirPins();
    let removed = false;
    const unpin = pins.pin('d');
    await pins.removeWhenUnread('d', async () => void (removed = true));
    await pins.claim('d');
    unpin();
    await sleep(0);
    expect(removed).toBe(false);
  });

  it('a removal already running when the directory is claimed back finished before the claim returns', async () => {
    const pins = new DataDirPins();
    const events: string[] = [];
    const unpin = pins.pin('d');
    await pins.removeWhenUnread('d', async () => {
      events.push('removal started');
      await sleep(100);
      events.push('removal done');
    });
    unpin(); // the removal starts now, and is slow (thousands of part files)
    await pins.claim('d');
    events.push('claimed');
    expect(events).toEqual(['removal started', 'removal done', 'claimed']);
  });
});
