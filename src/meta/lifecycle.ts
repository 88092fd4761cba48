/**
 * Lifecycle rules as a bucket's configuration keeps them (PutBucketLifecycleConfiguration), and what
 * they say about a version: whether a rule's filter takes it, and when it expires.
 */

export interface LifecycleFilter {
  prefix?: string;
  tags?: [string, string][];
  /** Sizes in bytes: the object is larger than / smaller than. */
  sizeGreaterThan?: number;
  sizeLessThan?: number;
}

export interface LifecycleRule {
  id: string;
  enabled: boolean;
  filter: LifecycleFilter;
  /** Current versions expire `days` after they were made, or on `date` (ms); expired delete markers go. */
  expiration?: { days?: number; date?: number; expiredObjectDeleteMarker?: boolean };
  /** Noncurrent versions go `noncurrentDays` after they became noncurrent, beyond the newest `newerNoncurrentVersions`. */
  noncurrentVersionExpiration?: { noncurrentDays: number; newerNoncurrentVersions?: number };
  /** Multipart uploads are aborted `daysAfterInitiation` after they began. */
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/** AWS's limit of rules per configuration. */
export const MAX_LIFECYCLE_RULES = 1000;

/** What a filter looks at of a version. */
export interface FilterSubject {
  key: string;
  size: number;
  tags?: [string, string][];
}

export function filterTakes(filter: LifecycleFilter, subject: FilterSubject): boolean {
  if (filter.prefix !== undefined && !subject.key.startsWith(filter.prefix)) return false;
  if (filter.sizeGreaterThan !== undefined && !(subject.size > filter.sizeGreaterThan)) return false;
  if (filter.sizeLessThan !== undefined && !(subject.size < filter.sizeLessThan)) return false;
  for (const [key, value] of filter.tags ?? []) {
    if (!subject.tags?.some(([k, v]) => k === key && v === value)) return false;
  }
  return true;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When `days` after `from` comes, as S3 counts it: at the midnight (UTC) that follows. With a
 * shortened day (tests; TESSERA_LIFECYCLE_DAY_SECONDS) exactly `days` of them after `from`.
 */
export function daysAfter(from: number, days: number, dayMs: number): number {
  if (dayMs !== DAY_MS) return from + days * dayMs;
  const end = from + days * DAY_MS;
  return Math.ceil(end / DAY_MS) * DAY_MS;
}

/** The expiration of a current version under `rules`: the earliest of the enabled rules that take it. */
export function currentExpiry(rules: LifecycleRule[], subject: FilterSubject & { modTime: number }, dayMs: number): { at: number; ruleId: string } | undefined {
  let earliest: { at: number; ruleId: string } | undefined;
  for (const rule of rules) {
    const expiration = rule.expiration;
    if (!rule.enabled || !expiration || !filterTakes(rule.filter, subject)) continue;
    const at = expiration.date ?? (expiration.days !== undefined ? daysAfter(subject.modTime, expiration.days, dayMs) : undefined);
    if (at !== undefined && (!earliest || at < earliest.at)) earliest = { at, ruleId: rule.id };
  }
  return earliest;
}

function isCount(value: unknown, min = 0): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min;
}

/** Whether `value` has the shape of a rule list (a drive checks the configuration it is given). */
export function isLifecycleRules(value: unknown): value is LifecycleRule[] {
  if (!Array.isArray(value) || value.length > MAX_LIFECYCLE_RULES) return false;
  return value.every((rule: Partial<LifecycleRule> | null) => {
    if (typeof rule !== 'object' || rule === null || typeof rule.id !== 'string' || typeof rule.enabled !== 'boolean') return false;
    const f = rule.filter as LifecycleFilter | undefined;
    if (typeof f !== 'object' || f === null) return false;
    if (f.prefix !== undefined && typeof f.prefix !== 'string') return false;
    if (f.sizeGreaterThan !== undefined && !isCount(f.sizeGreaterThan)) return false;
    if (f.sizeLessThan !== undefined && !isCount(f.sizeLessThan)) return false;
    if (f.tags !== undefined && (!Array.isArray(f.tags) || !f.tags.every((t) => Array.isArray(t) && t.length === 2 && typeof t[0] === 'string' && typeof t[1] === 'string'))) return false;
    const e = rule.expiration;
    if (e !== undefined && (typeof e !== 'object' || e === null || (e.days !== undefined && !isCount(e.days, 1)) || (e.date !== undefined && !isCount(e.date)))) return false;
    const n = rule.noncurrentVersionExpiration;
    if (n !== undefined && (typeof n !== 'object' || n === null || !isCount(n.noncurrentDays, 1) || (n.newerNoncurrentVersions !== undefined && !isCount(n.newerNoncurrentVersions, 1)))) return false;
    const a = rule.abortIncompleteMultipartUpload;
    if (a !== undefined && (typeof a !== 'object' || a === null || !isCount(a.daysAfterInitiation, 1))) return false;
    return true;
  });
}
