/**
 * The log of a torture run: every operation a client invoked (with its start and end time on one
 * monotonic clock, and its outcome) and every fault injected. The checker reads only this.
 *
 * Outcomes: `ok` the server acknowledged it (2xx; for GET also a 404, which is a result); `fail` it
 * definitely had no effect (a 4xx answer, or a connection refused before anything was sent);
 * `unknown` anything else (5xx, reset, timeout): it may have taken effect, or may yet.
 */
import type { Value } from './bodies.js';

export type Outcome = 'ok' | 'fail' | 'unknown';

interface OpBase {
  id: number;
  client: number;
  /** The node (index) the request went to. */
  node: number;
  start: number;
  end: number;
  outcome: Outcome;
  /** Status and error code or message, for the report. */
  detail?: string;
  /** Issued after the faults stopped and healing finished (the final-state reads and listings). */
  final?: boolean;
}

/** A PUT, or a CompleteMultipartUpload: the value is known when the request is sent. */
export interface WriteOp extends OpBase {
  type: 'put' | 'multipart';
  key: string;
  value: Value;
  /** Sent (or its upload created) with x-amz-storage-class REDUCED_REDUNDANCY. */
  reduced?: boolean;
}

export interface DeleteOp extends OpBase {
  type: 'delete';
  key: string;
}

/** CopyObject from `source`: the value is whatever `source` held while the copy ran. */
export interface CopyOp extends OpBase {
  type: 'copy';
  key: string;
  source: string;
}

/** What a read saw: nothing (404) or bytes, identified by their hash. */
export type ReadResult = { absent: true } | { absent: false; sha256: string; size: number; diagnosis?: string };

export interface GetOp extends OpBase {
  type: 'get';
  key: string;
  result?: ReadResult;
}

export interface RangeOp extends OpBase {
  type: 'range';
  key: string;
  from: number;
  /** Inclusive, as in the Range header. */
  to: number;
  result?: { absent: true } | { unsatisfiable: true } | { absent: false; sha256: string; size: number; total: number };
}

export interface ListOp extends OpBase {
  type: 'list';
  result?: Map<string, { size: number }>;
}

/** Operations that are logged and counted but change no key on their own (CreateMultipartUpload, UploadPart). */
export interface AuxOp extends OpBase {
  type: 'create-upload' | 'upload-part';
  key: string;
}

export type Op = WriteOp | DeleteOp | CopyOp | GetOp | RangeOp | ListOp | AuxOp;
export type OpType = Op['type'];
export type MutationOp = WriteOp | DeleteOp | CopyOp;

export function isMutation(op: Op): op is MutationOp {
  return op.type === 'put' || op.type === 'multipart' || op.type === 'delete' || op.type === 'copy';
}

export interface FaultEvent {
  kind: string;
  target: string;
  start: number;
  end: number;
  detail?: string;
}

export class History {
  readonly ops: Op[] = [];
  readonly faults: FaultEvent[] = [];
  private nextId = 1;
  private readonly t0 = performance.now();

  /** Milliseconds since the history began. */
  now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }

  /** Starts an op: gives it an id and a start time; the caller fills in the rest and calls finish(). */
  begin<T extends Op>(fields: Omit<T, 'id' | 'start' | 'end' | 'outcome'>): T {
    const op = { ...fields, id: this.nextId++, start: this.now(), end: Number.POSITIVE_INFINITY, outcome: 'unknown' } as T;
    this.ops.push(op);
    return op;
  }

  finish(op: Op, outcome: Outcome, detail?: string): void {
    op.end = this.now();
    op.outcome = outcome;
    if (detail !== undefined) op.detail = detail;
  }

  fault(kind: string, target: string, start: number, detail?: string): FaultEvent {
    const event: FaultEvent = { kind, target, start, end: Number.POSITIVE_INFINITY, detail };
    this.faults.push(event);
    return event;
  }
}

/** The history as JSON lines: the faults, then one operation per line (Maps as objects, Infinity as null). */
export function historyToJsonl(history: History): string {
  const line = (x: object): string => JSON.stringify(x, (_, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v));
  return [...history.faults.map((f) => line({ fault: f })), ...history.ops.map((op) => line(op))].join('\n') + '\n';
}

/** The operations of a history written by historyToJsonl. */
export function opsFromJsonl(text: string): Op[] {
  const ops: Op[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const x = JSON.parse(line) as Op & { fault?: unknown };
    if (x.fault) continue;
    if (x.end === null) x.end = Number.POSITIVE_INFINITY;
    if (x.type === 'list' && x.result) x.result = new Map(Object.entries(x.result as unknown as Record<string, { size: number }>));
    ops.push(x);
  }
  return ops;
}
