/**
 * CPU profiles of this server process, taken on request through the admin API (and by `npm run bench
 * -- --profile`), so the next engineer sees where the time goes. Uses V8's sampling profiler through
 * node:inspector; the result is a `.cpuprofile` that Chrome DevTools and speedscope open.
 */
import { Session } from 'node:inspector/promises';

/** A profile nobody collects is dropped after this long, so a forgotten start costs nothing for long. */
const MAX_PROFILE_MS = 10 * 60_000;
/** Sampling interval: fine enough for request handlers of a few hundred microseconds. */
const SAMPLE_INTERVAL_US = 200;

export class CpuProfiler {
  private session?: Session;
  private expiry?: NodeJS.Timeout;

  get running(): boolean {
    return this.session !== undefined;
  }

  /** Starts profiling; false when a profile is already running. */
  async start(): Promise<boolean> {
    if (this.session) return false;
    const session = new Session();
    this.session = session;
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLE_INTERVAL_US });
    await session.post('Profiler.start');
    this.expiry = setTimeout(() => void this.stop(), MAX_PROFILE_MS);
    this.expiry.unref();
    return true;
  }

  /** Stops profiling and returns the profile; undefined when none was running. */
  async stop(): Promise<object | undefined> {
    const session = this.session;
    if (!session) return undefined;
    this.session = undefined;
    clearTimeout(this.expiry);
    try {
      const { profile } = await session.post('Profiler.stop');
      return profile;
    } finally {
      session.disconnect();
    }
  }
}
