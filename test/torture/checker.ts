/**
 * The history checker: given the log of a torture run, finds every read that no legal execution could
 * have produced. A pure function of the history, unit-tested with hand-made histories.
 *
 * Model. Each key is a register changed by mutations (PUT, CompleteMultipartUpload, CopyObject: a value;
 * DELETE: absence); before any, the key is absent. A mutation takes effect at one instant inside its
 * window, or (if not acknowledged) possibly never:
 *   - acknowledged:        [start, end]
 *   - unknown (5xx, reset, timeout): [start, end + linger], or never; `linger` bounds how long a write
 *     whose client gave up may still land (a writer that lost its lock must commit nothing, so a long
 *     linger would only hide that bug);
 *   - failed cleanly (4xx, refused): never.
 * A read over [rs, re] may return the value of mutation M when M may have taken effect before the read
 * ended (M.start < re) and M is not superseded before the read began: there is no acknowledged
 * mutation M2 that surely took effect after M (M2.start > M's window end) and before the read
 * (M2.end < rs). A write whose value some read returned has surely taken effect by the end of that
 * read, acknowledged or not, and supersedes from then on. And reads never go back: once a read has
 * returned W2 after an earlier read returned W, no later read returns W (`read-went-back`), even when
 * W and W2 overlapped each other.
 * Absence is a value like any other (of the initial state and of DELETEs).
 * This checks each read against the writes (a "regular register"), not reads against each other.
 *
 * Anomalies: a read of bytes that belong to no write of the key (a mix of two writes, corruption); a
 * read of a value that is superseded, not yet written, or from a write that failed cleanly; a 404 where
 * some acknowledged write must be visible (a lost write); a range whose bytes match no allowed value;
 * a LIST that omits a key that must exist (`list-missing-unreadable` when GETs of the key near then
 * answered 503: the listing dropped a key it could not decide) or shows one that cannot; and, after the faults stop, nodes
 * that disagree about a key, or a final listing that disagrees with the final reads.
 */
import { valueSlice, sha256, type Value } from './bodies.js';
import { isMutation, type CopyOp, type GetOp, type ListOp, type MutationOp, type Op, type RangeOp } from './history.js';

export interface Anomaly {
  kind:
    | 'foreign-bytes'
    | 'failed-write-visible'
    | 'stale-read'
    | 'read-went-back'
    | 'future-read'
    | 'lost-write'
    | 'range-mismatch'
    | 'list-missing'
    | 'list-missing-unreadable'
    | 'list-phantom'
    | 'list-size'
    | 'final-divergent'
    | 'final-list-mismatch'
    | 'census'
    | 'node-died';
  key?: string;
  /** The read (first) and the writes that explain the anomaly. */
  ops: number[];
  at: number;
  message: string;
}

export interface CheckOptions {
  /** How long after its client gave up an unacknowledged mutation may still take effect (ms). */
  lingerMs: number;
}

interface Mutation {
  op?: MutationOp;
  start: number;
  /** The last instant it may take effect. */
  last: number;
  acked: boolean;
  /** By when it has surely taken effect: its acknowledgement, or the end of a read that returned its value. */
  effectiveBy: number;
  /** The reads that returned its value (when no other write may have written the same bytes). */
  seenBy: GetOp[];
  /** The read that showed an unacknowledged mutation had taken effect. */
  observedBy?: number;
  /** The earliest time a mutation that surely follows this one has surely taken effect (Infinity: none). */
  supersededAt: number;
}

interface Candidate {
  mutation: Mutation;
  /** undefined: absence. */
  value?: Value;
}

const INITIAL: Mutation = { start: -Infinity, last: -Infinity, acked: true, effectiveBy: -Infinity, seenBy: [], supersededAt: Infinity };

/** The ids of the candidates' mutations, each once (a copy has a candidate per value). */
const idsOf = (candidates: Candidate[]): number[] => [...new Set(candidates.flatMap((c) => (c.mutation.op ? [c.mutation.op.id] : [])))];

/** `later` surely took effect after `earlier`: it began after `earlier`'s window closed. */
const follows = (later: Mutation, earlier: Mutation): boolean => later.start > earlier.last;

const label = (m: Mutation): string => (m.op ? `#${m.op.id} ${m.op.type}` : 'the initial absence');

const labels = (candidates: Candidate[]): string => [...new Set(candidates.map((c) => label(c.mutation)))].join(', ');

export class Checker {
  private readonly byKey = new Map<string, Mutation[]>();
  private readonly copyValues = new Map<CopyOp, Value[]>();
  readonly anomalies: Anomaly[] = [];

  constructor(
    private readonly ops: readonly Op[],
    options: CheckOptions,
  ) {
    for (const op of ops) {
      if (!isMutation(op) || op.outcome === 'fail') continue;
      const acked = op.outcome === 'ok';
      const last = acked ? op.end : op.end + options.lingerMs;
      this.mutations(op.key).push({ op, start: op.start, last, acked, effectiveBy: acked ? op.end : Infinity, seenBy: [], supersededAt: Infinity });
    }
    // What copies wrote depends on what was superseded, which depends on what reads saw, which is
    // attributed to a write only when no copy may have written the same bytes: a first pass without
    // the reads (so more values are allowed, and attribution errs on the side of "ambiguous"), then again.
    this.computeSupersession();
    this.resolveCopies();
    this.noteObservedWrites();
    this.computeSupersession();
    this.resolveCopies();
  }

  private computeSupersession(): void {
    for (const list of this.byKey.values()) {
      const effective = list.filter((m) => m.op && m.effectiveBy < Infinity);
      for (const m of list) {
        m.supersededAt = Infinity;
        for (const m2 of effective) if (follows(m2, m) && m2.effectiveBy < m.supersededAt) m.supersededAt = m2.effectiveBy;
      }
    }
  }

  /**
   * What reads tell about writes (only values that one write alone may have written count: every
   * empty body is the same value): a write whose value a read returned has taken effect by the end of
   * that read, acknowledged or not, and supersedes what came before it from then on.
   */
  private noteObservedWrites(): void {
    for (const read of this.ops) {
      if (read.type !== 'get' || read.outcome !== 'ok' || !read.result || read.result.absent) continue;
      const m = this.soleWriter(read.key, read.result.sha256);
      if (!m || m.start >= read.end) continue;
      m.seenBy.push(read);
      if (read.end < m.effectiveBy) {
        m.effectiveBy = read.end;
        m.observedBy = read.id;
      }
    }
  }

  /** The one PUT or Complete of `key` that wrote bytes with this hash, if no other mutation (a copy included) may have. */
  private soleWriter(key: string, sha: string): Mutation | undefined {
    const writers = this.mutations(key).filter((m) => this.valuesOf(m).some((v) => v?.sha256 === sha));
    const op = writers[0]?.op;
    return writers.length === 1 && (op?.type === 'put' || op?.type === 'multipart') ? writers[0] : undefined;
  }

  /**
   * What each copy may have written: any value its source may have held while it ran. Copies may read
   * each other's results (even in a cycle: a->b while b->a), so the sets grow to a fixed point.
   */
  private resolveCopies(): void {
    const copies = this.ops.filter((op): op is CopyOp => op.type === 'copy' && op.outcome !== 'fail');
    for (const copy of copies) this.copyValues.set(copy, []);
    for (let changed = true; changed; ) {
      changed = false;
      for (const copy of copies) {
        const values = new Map<string, Value>();
        for (const c of this.allowed(copy.source, copy.start, copy.end)) if (c.value) values.set(c.value.sha256, c.value);
        if (values.size > this.copyValues.get(copy)!.length) {
          this.copyValues.set(copy, [...values.values()]);
          changed = true;
        }
      }
    }
  }

  private mutations(key: string): Mutation[] {
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = [{ ...INITIAL }]));
    return list;
  }

  /** The values of a mutation: absence, a written value, or every value a copy may have read. */
  private valuesOf(m: Mutation): (Value | undefined)[] {
    const op = m.op;
    if (!op || op.type === 'delete') return [undefined];
    if (op.type !== 'copy') return [op.value];
    return this.copyValues.get(op) ?? [];
  }

  /** Every (mutation, value) a read of `key` over [rs, re] may return. */
  allowed(key: string, rs: number, re: number): Candidate[] {
    return this.mutations(key)
      .filter((m) => m.start < re && m.supersededAt >= rs)
      .flatMap((m) => this.valuesOf(m).map((value) => ({ mutation: m, value })));
  }

  /** Every value any mutation of `key` (even a superseded or failed one) may have written, with its op. */
  private everyWrite(key: string): { op: MutationOp; value?: Value }[] {
    const out: { op: MutationOp; value?: Value }[] = [];
    for (const op of this.ops) {
      if (!isMutation(op) || op.key !== key) continue;
      const m = this.mutations(key).find((x) => x.op === op);
      const values = m ? this.valuesOf(m) : op.type === 'delete' ? [undefined] : op.type === 'copy' ? [] : [op.value];
      for (const value of values) out.push({ op, value });
    }
    return out;
  }

  private report(kind: Anomaly['kind'], read: Op, key: string | undefined, related: number[], message: string): void {
    this.anomalies.push({ kind, key, ops: [read.id, ...related], at: read.start, message });
  }

  check(): Anomaly[] {
    for (const op of this.ops) {
      if (op.outcome !== 'ok') continue;
      if (op.type === 'get') this.checkGet(op);
      else if (op.type === 'range') this.checkRange(op);
      else if (op.type === 'list') this.checkList(op);
    }
    this.checkFinal();
    return this.anomalies;
  }

  /** Why a value is not allowed: the acknowledged mutation that superseded it, or that it began too late. */
  private explain(key: string, m: Mutation, read: Op): { kind: Anomaly['kind']; related: number[]; why: string } {
    if (m.start >= read.end) return { kind: 'future-read', related: [], why: `${label(m)} began at ${m.start} ms, after the read ended` };
    const by = this.mutations(key).find((m2) => m2.op && follows(m2, m) && m2.effectiveBy < read.start);
    const how = by?.acked && by.effectiveBy === by.op!.end ? 'acknowledged ' : `${by?.acked ? '' : 'unacknowledged '}(read by #${by?.observedBy} at ${by?.effectiveBy} ms) `;
    return {
      kind: 'stale-read',
      related: by?.op ? [by.op.id, ...(by.observedBy ? [by.observedBy] : [])] : [],
      why: by ? `${label(m)} was superseded by ${how}${label(by)} [${by.start}..${by.op!.end}] before the read began` : `${label(m)} is superseded`,
    };
  }

  private checkGet(read: GetOp): void {
    const result = read.result;
    if (!result) return;
    const candidates = this.allowed(read.key, read.start, read.end);
    if (result.absent) {
      if (candidates.some((c) => !c.value)) return;
      const must = candidates.map((c) => c.mutation).filter((m) => m.op);
      this.report('lost-write', read, read.key, must.map((m) => m.op!.id), `GET answered 404 but one of ${must.map(label).join(', ')} must be visible`);
      return;
    }
    if (candidates.some((c) => c.value?.sha256 === result.sha256)) {
      this.checkNotBack(read, result.sha256);
      return;
    }
    const matches = this.everyWrite(read.key).filter((w) => w.value?.sha256 === result.sha256);
    if (matches.length === 0) {
      const elsewhere = this.ops.find((op) => (op.type === 'put' || op.type === 'multipart') && op.value.sha256 === result.sha256);
      const whose = elsewhere && 'key' in elsewhere ? `; they are the bytes of #${elsewhere.id} ${elsewhere.type} of ${elsewhere.key}` : '';
      this.report('foreign-bytes', read, read.key, elsewhere ? [elsewhere.id] : [], `GET returned ${result.size} bytes that no write of this key may have written${whose}${result.diagnosis ? ` (${result.diagnosis})` : ''}`);
      return;
    }
    const failed = matches.find((w) => w.op.outcome === 'fail');
    if (failed && matches.every((w) => w.op.outcome === 'fail')) {
      this.report('failed-write-visible', read, read.key, [failed.op.id], `GET returned the bytes of #${failed.op.id} ${failed.op.type}, which failed cleanly (${failed.op.detail ?? ''})`);
      return;
    }
    const m = this.mutations(read.key).find((x) => x.op === matches.find((w) => w.op.outcome !== 'fail')!.op)!;
    const { kind, related, why } = this.explain(read.key, m, read);
    this.report(kind, read, read.key, [m.op!.id, ...related], `GET returned the bytes of ${label(m)}, but ${why}`);
  }

  /**
   * Reads never go back: if an earlier read R1 returned this write W, and a read R2 that began after R1
   * ended (and ended before this read began) returned another write W2, then W2 took effect after W,
   * and this read may not return W again (writes that overlap each other included).
   */
  private checkNotBack(read: GetOp, sha: string): void {
    const m = this.soleWriter(read.key, sha);
    if (!m || m.seenBy.length === 0) return;
    const firstSeen = m.seenBy.reduce((a, b) => (b.end < a.end ? b : a));
    for (const m2 of this.mutations(read.key)) {
      if (m2 === m) continue;
      const r2 = m2.seenBy.find((r) => r.start > firstSeen.end && r.end < read.start);
      if (r2) {
        this.report('read-went-back', read, read.key, [m.op!.id, m2.op!.id, firstSeen.id, r2.id], `GET returned ${label(m)} again, though #${firstSeen.id} saw it before #${r2.id} saw ${label(m2)}, which ended before this read began`);
        return;
      }
    }
  }

  private checkRange(read: RangeOp): void {
    const result = read.result;
    if (!result) return;
    const candidates = this.allowed(read.key, read.start, read.end);
    const values = candidates.flatMap((c) => (c.value ? [c.value] : []));
    if ('unsatisfiable' in result) {
      if (values.some((v) => v.size <= read.from)) return;
      this.report('range-mismatch', read, read.key, [], `range ${read.from}-${read.to} was unsatisfiable but every allowed value is longer (${values.map((v) => v.size).join(', ')})`);
      return;
    }
    if (result.absent) {
      if (candidates.some((c) => !c.value)) return;
      this.report('lost-write', read, read.key, idsOf(candidates), `range GET answered 404 but a write must be visible`);
      return;
    }
    const ok = values.some((v) => v.size === result.total && sha256(valueSlice(v.segments, read.from, Math.min(read.to + 1, v.size))) === result.sha256);
    if (!ok) {
      this.report('range-mismatch', read, read.key, idsOf(candidates), `range ${read.from}-${read.to} returned ${result.size} bytes of ${result.total} that match no allowed value`);
    }
  }

  private checkList(list: ListOp): void {
    const result = list.result;
    if (!result) return;
    const keys = new Set([...this.byKey.keys(), ...result.keys()]);
    for (const key of keys) {
      const candidates = this.allowed(key, list.start, list.end);
      const entry = result.get(key);
      if (!entry) {
        if (candidates.some((c) => !c.value)) continue;
        if (this.unreadableNear(key, list)) {
          this.report('list-missing-unreadable', list, key, idsOf(candidates), `LIST did not show ${key}, which GETs around then could not read (503), though one of ${labels(candidates)} must exist`);
          continue;
        }
        const concurrent = candidates.filter((c) => c.mutation.op && c.mutation.op.end > list.start);
        const during = concurrent.length > 0 ? ` (the listing overlapped ${labels(concurrent)})` : '';
        this.report('list-missing', list, key, idsOf(candidates), `LIST did not show ${key}, though one of ${labels(candidates)} must be visible${during}`);
      } else if (!candidates.some((c) => c.value)) {
        this.report('list-phantom', list, key, [], `LIST showed ${key} (${entry.size} bytes), which cannot exist then`);
      } else if (!candidates.some((c) => c.value?.size === entry.size)) {
        this.report('list-size', list, key, [], `LIST showed ${key} with ${entry.size} bytes; allowed sizes: ${candidates.map((c) => c.value?.size ?? 'absent').join(', ')}`);
      }
    }
  }

  /** A GET of `key` within 2 s of the listing answered 503 (the key could not be decided then). */
  private unreadableNear(key: string, list: ListOp): boolean {
    return this.ops.some(
      (op) => (op.type === 'get' || op.type === 'range') && op.key === key && op.detail?.startsWith('503') === true && op.end > list.start - 2_000 && op.start < list.end + 2_000,
    );
  }

  /** The final reads of a key agree across nodes, and each final listing shows exactly the keys the final reads found. */
  private checkFinal(): void {
    const finalGets = this.ops.filter((op): op is GetOp => op.type === 'get' && op.final === true && op.outcome === 'ok');
    const byKey = new Map<string, GetOp[]>();
    for (const get of finalGets) byKey.set(get.key, [...(byKey.get(get.key) ?? []), get]);
    const seen = (get: GetOp): string => (get.result?.absent ? 'absent' : (get.result?.sha256 ?? '?'));
    for (const [key, gets] of byKey) {
      if (new Set(gets.map(seen)).size > 1) {
        this.report('final-divergent', gets[0], key, gets.slice(1).map((g) => g.id), `nodes disagree after healing: ${gets.map((g) => `node ${g.node + 1}: ${seen(g).slice(0, 12)}`).join(', ')}`);
      }
    }
    const present = new Set(finalGets.filter((g) => g.result && !g.result.absent).map((g) => g.key));
    for (const list of this.ops) {
      if (list.type !== 'list' || !list.final || list.outcome !== 'ok' || !list.result) continue;
      for (const key of byKey.keys()) {
        if (present.has(key) !== list.result.has(key)) {
          this.report('final-list-mismatch', list, key, [], `final LIST on node ${list.node + 1} ${list.result.has(key) ? 'shows' : 'omits'} ${key}, final GETs ${present.has(key) ? 'found it' : 'did not'}`);
        }
      }
    }
  }
}

export function checkHistory(ops: readonly Op[], options: CheckOptions): Anomaly[] {
  return new Checker(ops, options).check();
}
