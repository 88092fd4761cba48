/**
 * Fault switches for one LocalDrive, flipped by an embedding test (see src/index.ts): the drive
 * answers as if offline, or each of its calls waits first. A drive without switches (every drive of
 * `tessera server`) pays one property check per call; with switches all off, two more (no await).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DriveError } from './drive.js';

export class DriveFaults {
  /** Every call fails with DriveError 'offline' and isOnline() says false. */
  offline = false;
  /** Added before each call of the drive, in milliseconds. */
  latencyMs = 0;

  /** Applies the switches to a call of the drive at `root`: undefined (nothing to wait for) while they are off. */
  beforeCall(root: string): Promise<void> | undefined {
    if (this.latencyMs === 0 && !this.offline) return undefined;
    return this.delayed(root);
  }

  private async delayed(root: string): Promise<void> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    if (this.offline) throw new DriveError('offline', `${root} is offline (fault injected)`);
  }
}
