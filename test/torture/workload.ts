/**
 * The torture workload: concurrent clients, each a loop of seeded random S3 operations on a small key
 * space (so writes collide), every one logged in the History with its outcome. Bodies are
 * self-describing (bodies.ts); a read keeps only the hash of what it got, plus a description of the
 * bytes when they are no value any client ever wrote.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { sleep } from '../helpers/cluster.js';
import { firstDifference, headersIn, makeValue, sha256, valueBytes, type Segment, type Value } from './bodies.js';
import type { AuxOp, CopyOp, DeleteOp, GetOp, History, ListOp, Op, RangeOp, WriteOp } from './history.js';
import { classify } from './outcome.js';
import type { Rng } from './rng.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** S3's smallest part but the last. */
const MIN_PART = 5 * MiB;

export const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'dir/k8', 'dir/k9'];

export const OP_WEIGHTS = { put: 30, delete: 6, multipart: 6, copy: 6, get: 30, range: 12, list: 10 };
export type WorkloadOp = keyof typeof OP_WEIGHTS;

export interface WorkloadOptions {
  bucket: string;
  clients: number;
  /** One S3 client per node; each operation goes to a random node. */
  nodes: S3Client[];
  /** Share of writes that ask for x-amz-storage-class REDUCED_REDUNDANCY. */
  reducedShare: number;
  /** Share of bodies that are several MiB (multi-block). */
  largeShare: number;
}

/** A body size: empty, small, around the inline limit, or several blocks. */
function bodySize(rng: Rng, largeShare: number): number {
  const roll = rng.next();
  if (roll < 0.08) return 0;
  if (roll < 0.08 + largeShare) return rng.int(1 * MiB, 3 * MiB);
  if (rng.chance(0.5)) return rng.int(64, 4 * KiB);
  return rng.int(4 * KiB, 200 * KiB);
}

export class Workload {
  private stopped = false;
  private readonly values = new Map<string, Value>();
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly history: History,
    private readonly options: WorkloadOptions,
  ) {}

  start(rng: Rng): void {
    for (let c = 0; c < this.options.clients; c++) this.loops.push(this.loop(c, rng.fork()));
  }

  /** Stops issuing operations and waits for those in flight to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async loop(client: number, rng: Rng): Promise<void> {
    while (!this.stopped) {
      const node = rng.int(0, this.options.nodes.length - 1);
      const s3 = this.options.nodes[node];
      const key = rng.pick(KEYS);
      const ctx = { client, node, s3, rng };
      const first = this.history.ops.length;
      switch (rng.weighted(OP_WEIGHTS)) {
        case 'put':
          await this.put(ctx, key);
          break;
        case 'delete':
          await this.remove(ctx, key);
          break;
        case 'multipart':
          await this.multipart(ctx, key);
          break;
        case 'copy':
          await this.copy(ctx, rng.pick(KEYS), key);
          break;
        case 'get':
          await this.get(ctx, key);
          break;
        case 'range':
          await this.range(ctx, key);
          break;
        case 'list':
          await this.list(ctx);
          break;
      }
      // Back off after a failure, or a client spins on a node that is down.
      if (this.history.ops.slice(first).some((op) => op.client === client && op.outcome !== 'ok')) await sleep(rng.int(100, 500));
    }
  }

  /** A storage class for a write (REDUCED_REDUNDANCY for a share of them), and the flag the history keeps of it. */
  private reduced(rng: Rng): { args: { StorageClass?: 'REDUCED_REDUNDANCY' }; flag: { reduced?: true } } {
    return rng.chance(this.options.reducedShare) ? { args: { StorageClass: 'REDUCED_REDUNDANCY' }, flag: { reduced: true } } : { args: {}, flag: {} };
  }

  /** Runs `send` as `op`: ok when it resolves, else as classify() says (a GET's 404 is a result, handled by the caller). */
  private async perform<T extends Op>(op: T, send: () => Promise<void>): Promise<boolean> {
    try {
      await send();
      this.history.finish(op, 'ok');
      return true;
    } catch (err) {
      const { outcome, detail } = classify(err);
      this.history.finish(op, outcome, detail);
      return false;
    }
  }

  private async put(ctx: Ctx, key: string): Promise<void> {
    const value = this.register([{ id: `w${this.history.ops.length + 1}.${ctx.client}`, key, size: bodySize(ctx.rng, this.options.largeShare) }]);
    const storage = this.reduced(ctx.rng);
    const op = this.history.begin<WriteOp>({ type: 'put', client: ctx.client, node: ctx.node, key, value, ...storage.flag });
    const body = bytesOf(value);
    await this.perform(op, async () => {
      await ctx.s3.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ...storage.args }));
    });
  }

  private async remove(ctx: Ctx, key: string): Promise<void> {
    const op = this.history.begin<DeleteOp>({ type: 'delete', client: ctx.client, node: ctx.node, key });
    await this.perform(op, async () => {
      await ctx.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
    });
  }

  private async copy(ctx: Ctx, source: string, key: string): Promise<void> {
    const op = this.history.begin<CopyOp>({ type: 'copy', client: ctx.client, node: ctx.node, key, source });
    await this.perform(op, async () => {
      await ctx.s3.send(new CopyObjectCommand({ Bucket: this.options.bucket, Key: key, CopySource: `${this.options.bucket}/${encodeURIComponent(source)}` }));
    });
  }

  /**
   * A multipart upload of one part (any size) or two (5 MiB and a tail); one part number may be
   * uploaded twice at once with different bodies, and Complete names one of the acknowledged ones.
   */
  private async multipart(ctx: Ctx, key: string): Promise<void> {
    const { bucket } = this.options;
    const aux = (type: AuxOp['type']): AuxOp => this.history.begin<AuxOp>({ type, client: ctx.client, node: ctx.node, key });
    const create = aux('create-upload');
    let uploadId: string | undefined;
    const storage = this.reduced(ctx.rng);
    await this.perform(create, async () => {
      uploadId = (await ctx.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...storage.args }))).UploadId;
    });
    if (!uploadId) return;
    const sizes = ctx.rng.chance(0.2) ? [MIN_PART, ctx.rng.int(1, MiB)] : [Math.max(1, bodySize(ctx.rng, this.options.largeShare))];
    const contested = ctx.rng.chance(0.5) ? ctx.rng.int(1, sizes.length) : 0;
    const chosen: { segment: Segment; etag: string }[][] = [];
    for (let n = 1; n <= sizes.length; n++) {
      const variants = n === contested ? 2 : 1;
      const acked = await Promise.all(
        Array.from({ length: variants }, async (_, v) => {
          const segment: Segment = { id: `p${create.id}.${n}.${v}`, key, size: sizes[n - 1] };
          const body = bytesOf(makeValue([segment]));
          const op = aux('upload-part');
          let etag: string | undefined;
          await this.perform(op, async () => {
            etag = (await ctx.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body }))).ETag;
          });
          return etag ? { segment, etag } : undefined;
        }),
      );
      const ok = acked.filter((a) => a !== undefined);
      if (ok.length === 0) {
        await this.perform(aux('upload-part'), async () => {
          await ctx.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
        });
        return;
      }
      // The upload that committed last holds the part number; the client cannot know which, so it
      // names one and, on InvalidPart, the other.
      chosen.push(ok.length > 1 && ctx.rng.chance(0.5) ? ok.reverse() : ok);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const parts = chosen.map((variants) => variants[Math.min(attempt, variants.length - 1)]);
      if (attempt > 0 && chosen.every((variants) => variants.length === 1)) return;
      const value = this.register(parts.map((c) => c.segment));
      const op = this.history.begin<WriteOp>({ type: 'multipart', client: ctx.client, node: ctx.node, key, value, ...storage.flag });
      const done = await this.perform(op, async () => {
        await ctx.s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((c, i) => ({ PartNumber: i + 1, ETag: c.etag })) },
          }),
        );
      });
      if (done || !op.detail?.includes('InvalidPart')) return;
    }
  }

  async get(ctx: Ctx, key: string, final = false): Promise<void> {
    const op = this.history.begin<GetOp>({ type: 'get', client: ctx.client, node: ctx.node, key, ...(final ? { final } : {}) });
    try {
      const res = await ctx.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      const bytes = Buffer.from(await res.Body!.transformToByteArray());
      const hash = sha256(bytes);
      op.result = { absent: false, sha256: hash, size: bytes.length, ...(this.values.has(hash) ? {} : { diagnosis: this.diagnose(bytes) }) };
      this.history.finish(op, 'ok');
    } catch (err) {
      const { outcome, status, detail } = classify(err);
      if (status === 404) {
        op.result = { absent: true };
        this.history.finish(op, 'ok', detail);
      } else this.history.finish(op, outcome, detail);
    }
  }

  private async range(ctx: Ctx, key: string): Promise<void> {
    const from = ctx.rng.chance(0.3) ? ctx.rng.int(0, 200) : ctx.rng.int(0, 3 * MiB);
    const to = from + ctx.rng.int(0, 64 * KiB);
    const op = this.history.begin<RangeOp>({ type: 'range', client: ctx.client, node: ctx.node, key, from, to });
    try {
      const res = await ctx.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key, Range: `bytes=${from}-${to}` }));
      const bytes = Buffer.from(await res.Body!.transformToByteArray());
      const total = Number(/\/(\d+)$/.exec(res.ContentRange ?? '')?.[1] ?? -1);
      op.result = { absent: false, sha256: sha256(bytes), size: bytes.length, total };
      this.history.finish(op, 'ok', res.ContentRange);
    } catch (err) {
      const { outcome, status, detail } = classify(err);
      if (status === 404) op.result = { absent: true };
      if (status === 416) op.result = { unsatisfiable: true };
      this.history.finish(op, op.result ? 'ok' : outcome, detail);
    }
  }

  async list(ctx: Ctx, final = false): Promise<void> {
    const op = this.history.begin<ListOp>({ type: 'list', client: ctx.client, node: ctx.node, ...(final ? { final } : {}) });
    const seen = new Map<string, { size: number }>();
    const maxKeys = ctx.rng.pick([3, 1000]);
    let pages = 0;
    const ok = await this.perform(op, async () => {
      let token: string | undefined;
      do {
        const page = await ctx.s3.send(new ListObjectsV2Command({ Bucket: this.options.bucket, ContinuationToken: token, MaxKeys: maxKeys }));
        pages++;
        for (const o of page.Contents ?? []) seen.set(o.Key!, { size: o.Size ?? -1 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    });
    if (ok) {
      op.result = seen;
      op.detail = `${pages} page(s) of up to ${maxKeys}`;
    }
  }

  private register(segments: Segment[]): Value {
    const value = makeValue(segments);
    this.values.set(value.sha256, value);
    return value;
  }

  /** For bytes that are no value ever written: the body headers inside them and where they part from the first one's value. */
  private diagnose(bytes: Buffer): string {
    const headers = headersIn(bytes);
    const firstId = /^@\d+:[^|]*\|([^|]+)\|/.exec(headers[0] ?? '')?.[1];
    const named = [...this.values.values()].find((v) => v.segments[0]?.id === firstId);
    const differs = named ? `; differs from ${firstId}'s value (${named.size} bytes) at offset ${firstDifference(bytes, named.segments)}` : '';
    return `headers ${headers.join(' ') || 'none'}${differs}`;
  }
}

export interface Ctx {
  client: number;
  node: number;
  s3: S3Client;
  rng: Rng;
}

function bytesOf(value: Value): Buffer {
  return valueBytes(value.segments);
}
