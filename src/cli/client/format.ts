/** Human-readable sizes, dates and durations, and the parsers for the options that take them. */
import { InvalidArgumentError } from 'commander';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 1536 → "1.5 KiB"; bytes below 1 KiB stay exact ("512 B"). */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = -1;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function humanRate(bytesPerSecond: number): string {
  return `${humanSize(Math.round(bytesPerSecond))}/s`;
}

/** "2026-01-31 14:03:09 UTC": one fixed, sortable form, whatever the machine's locale. */
export function humanDate(date: Date | undefined): string {
  if (!date || Number.isNaN(date.getTime())) return '-'.padEnd(23);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** 93784 s → "1d2h3m4s"; below a minute keeps one decimal ("2.5s"). */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  s = Math.round(s);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.join('');
}

const SIZE_FACTORS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 2 ** 10, kib: 2 ** 10, mi: 2 ** 20, mib: 2 ** 20, gi: 2 ** 30, gib: 2 ** 30, ti: 2 ** 40, tib: 2 ** 40,
};

/** "64MiB", "1.5G", "100" (bytes). KB/MB are powers of 1000, KiB/MiB of 1024, as in most tools. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = match ? SIZE_FACTORS[match[2].toLowerCase()] : undefined;
  if (!match || factor === undefined) throw new InvalidArgumentError(`invalid size "${text}": expected e.g. 512, 10KiB, 64MiB, 1.5GB`);
  return Math.round(Number(match[1]) * factor);
}

const DURATION_FACTORS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "7d", "1h30m", "90s", "500ms", "2w"; a bare number is seconds. Returns milliseconds. */
export function parseDuration(text: string): number {
  const t = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * DURATION_FACTORS[m[2]];
    matched = re.lastIndex;
  }
  if (t === '' || matched !== t.length) throw new InvalidArgumentError(`invalid duration "${text}": expected e.g. 90s, 15m, 1h30m, 7d`);
  return total;
}

export function parsePositiveInt(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got "${text}"`);
  return Number(text);
}

export function parseNonNegativeInt(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
  return Number(text);
}
