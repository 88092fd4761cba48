/**
 * A small seeded pseudo-random generator (mulberry32) for the torture suite: every choice a run makes
 * comes from one of these, so a seed replays the same workload and fault schedule (timing aside).
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks a name by weight, e.g. { put: 5, get: 3 }. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let roll = this.next() * entries.reduce((n, [, w]) => n + w, 0);
    for (const [name, w] of entries) {
      roll -= w;
      if (roll < 0) return name;
    }
    return entries[entries.length - 1][0];
  }

  /** An independent generator derived from this one (e.g. one per client), so streams do not interleave. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}
