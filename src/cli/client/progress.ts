/**
 * Transfer progress: a bar with bytes, rate and ETA on a terminal (stderr), JSON lines with --json
 * (at most one a second), nothing with --quiet or when stderr is not a terminal.
 */
import cliProgress from 'cli-progress';
import { onAbort } from './action.js';
import { humanDuration, humanRate, humanSize } from './format.js';
import type { OutputOptions } from './output.js';

export type ProgressMode = 'bar' | 'json' | 'none';

export function progressMode(options: OutputOptions): ProgressMode {
  if (options.json) return 'json';
  if (options.quiet) return 'none';
  return process.stderr.isTTY ? 'bar' : 'none';
}

function etaText(seconds: number): string {
  return seconds < 60 ? `${Math.ceil(seconds)}s` : humanDuration(seconds * 1000);
}

export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private bar?: cliProgress.SingleBar;
  private timer?: NodeJS.Timeout;
  private removeCleanup?: () => void;

  /** `total` undefined: unknown (e.g. stdin), shown as bytes and rate only. */
  constructor(
    readonly mode: ProgressMode,
    private total: number | undefined,
  ) {
    if (mode === 'bar') {
      const known = total !== undefined;
      this.bar = new cliProgress.SingleBar(
        {
          format: known ? '{bar} {percentage}% | {done} / {size} | {rate} | ETA {remaining}' : '{done} | {rate} | {elapsed}',
          stream: process.stderr,
          barsize: 30,
          fps: 10,
          hideCursor: false,
          barCompleteChar: '\u2588',
          barIncompleteChar: '\u2591',
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.max(total ?? 1, 1), 0, this.payload());
      this.removeCleanup = onAbort(() => this.bar?.stop());
    } else if (mode === 'json') {
      this.timer = setInterval(() => this.emitJson(), 1000);
      this.timer.unref();
    }
  }

  get showsBar(): boolean {
    return this.mode === 'bar';
  }

  private rate(): number {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? this.done / seconds : 0;
  }

  private payload(): Record<string, string> {
    const rate = this.rate();
    const remaining = this.total !== undefined ? this.total - this.done : 0;
    return {
      done: humanSize(this.done),
      size: humanSize(this.total ?? 0),
      rate: humanRate(rate),
      remaining: rate > 0 && this.total !== undefined ? etaText(remaining / rate) : '-',
      elapsed: humanDuration(Date.now() - this.started),
    };
  }

  private emitJson(): void {
    const rate = this.rate();
    process.stdout.write(
      `${JSON.stringify({
        type: 'progress',
        transferred: this.done,
        total: this.total ?? null,
        bytesPerSecond: Math.round(rate),
        etaSeconds: rate > 0 && this.total !== undefined ? Math.round((this.total - this.done) / rate) : null,
      })}\n`,
    );
  }

  /** `bytes` more transferred (negative when a failed attempt is retried). */
  add(bytes: number): void {
    this.done += bytes;
    if (this.bar) {
      if (this.total === undefined) this.bar.setTotal(Math.max(this.done, 1));
      this.bar.update(this.total === undefined ? this.done : Math.min(this.done, this.total), this.payload());
    }
  }

  get transferred(): number {
    return this.done;
  }

  get elapsedMs(): number {
    return Date.now() - this.started;
  }

  finish(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.bar) {
      if (this.total !== undefined) this.bar.update(Math.max(this.total, 1), this.payload());
      this.bar.stop();
      this.removeCleanup?.();
      this.bar = undefined;
    }
  }
}
