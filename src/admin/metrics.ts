/**
 * `GET /tessera/metrics`: this node's metrics in the Prometheus text format, through prom-client.
 * Counters the server keeps anyway (heal statistics, the drives' states) are read at each scrape;
 * S3 requests, drive calls and node RPC calls are observed as they happen. Node's process metrics
 * keep prom-client's standard names (`process_*`, `nodejs_*`), so stock dashboards read them.
 * Who may scrape: see router.ts.
 */
import { statfs } from 'node:fs/promises';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DriveInfo } from '../heal/info-types.js';
import type { HealManager } from '../heal/manager.js';
import type { Peer } from '../cluster/peer.js';
import { LocalDrive } from '../storage/local-drive.js';

export const METRICS_PATH = '/tessera/metrics';

const DRIVE_STATES: DriveInfo['state'][] = ['online', 'offline', 'healing'];

/** Upper bounds (seconds) of the S3 request-duration histogram's buckets; a last one, +Inf, follows. */
export const REQUEST_DURATION_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** The S3 request counters since the process started, summed over operations (metrics-history.ts samples them). */
export interface RequestTotals {
  requests: Record<StatusClass, number>;
  bytesIn: number;
  bytesOut: number;
  /** Requests that took at most each of REQUEST_DURATION_BOUNDS, then all of them (+Inf): cumulative, as Prometheus buckets. */
  durationBuckets: number[];
}

/** One answered S3 request, as the metrics count it. */
export interface ObservedRequest {
  /** The S3 API operation (GetObject, PutObject, ...), or Unknown when the request named none. */
  operation: string;
  status: number;
  seconds: number;
  bytesIn: number;
  bytesOut: number;
}

/** A counter whose value is kept elsewhere and read at each scrape. */
function readCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[], read: () => [Partial<Record<L, string>>, number][]): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'api' | 'code'>;
  private readonly duration: Histogram<'api' | 'code'>;
  private readonly received: Counter<'api'>;
  private readonly sent: Counter<'api'>;
  private readonly driveState: Gauge<'drive' | 'set' | 'state'>;
  private readonly driveHeal: Gauge<'drive' | 'kind'>;
  private readonly capacity: Record<'total' | 'used' | 'free', Gauge<'drive'>>;
  private readonly setGauges: Record<'drives' | 'online' | 'readQuorum' | 'writeQuorum' | 'readable' | 'writable', Gauge<'set'>>;
  private readonly driveCalls: Histogram<'drive' | 'call'>;
  private readonly driveErrors: Counter<'drive' | 'call'>;
  private readonly rpcCalls: Histogram<'peer'>;
  private readonly rpcErrors: Counter<'peer'>;

  constructor(private readonly manager: HealManager) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'tessera_s3_requests_total', help: 'S3 requests answered, by API operation and HTTP status.', labelNames: ['api', 'code'], registers });
    this.duration = new Histogram({
      name: 'tessera_s3_request_duration_seconds',
      help: 'Time from a request to the end of its response, by API operation and HTTP status.',
      labelNames: ['api', 'code'],
      buckets: REQUEST_DURATION_BOUNDS,
      registers,
    });
    this.received = new Counter({ name: 'tessera_s3_received_bytes_total', help: 'Bytes received with S3 requests (headers and body), by API operation.', labelNames: ['api'], registers });
    this.sent = new Counter({ name: 'tessera_s3_sent_bytes_total', help: 'Bytes sent in answers to S3 requests (headers and body), by API operation.', labelNames: ['api'], registers });
    new Gauge({
      name: 'tessera_s3_requests_in_flight',
      help: 'S3 requests being served.',
      registers,
      collect() {
        this.set(manager.foreground.active);
      },
    });
    this.driveState = new Gauge({ name: 'tessera_drive_state', help: 'Each drive of the deployment: 1 for its state (online, offline, healing), 0 for the others.', labelNames: ['drive', 'set', 'state'], registers });
    this.driveHeal = new Gauge({ name: 'tessera_drive_heal_objects', help: 'A drive being healed in full: objects total, done, healed and failed so far.', labelNames: ['drive', 'kind'], registers });
    this.capacity = {
      total: new Gauge({ name: 'tessera_drive_total_bytes', help: "Size of the filesystem holding each of this node's drives.", labelNames: ['drive'], registers }),
      used: new Gauge({ name: 'tessera_drive_used_bytes', help: "Bytes in use on the filesystem holding each of this node's drives.", labelNames: ['drive'], registers }),
      free: new Gauge({ name: 'tessera_drive_free_bytes', help: "Bytes free on the filesystem holding each of this node's drives.", labelNames: ['drive'], registers }),
    };
    this.setGauges = {
      drives: new Gauge({ name: 'tessera_set_drives', help: 'Drives of each erasure set.', labelNames: ['set'], registers }),
      online: new Gauge({ name: 'tessera_set_drives_online', help: 'Drives of each erasure set that answer (healing ones included).', labelNames: ['set'], registers }),
      readQuorum: new Gauge({ name: 'tessera_set_read_quorum', help: 'Drives each erasure set needs to read.', labelNames: ['set'], registers }),
      writeQuorum: new Gauge({ name: 'tessera_set_write_quorum', help: 'Drives each erasure set needs to write.', labelNames: ['set'], registers }),
      readable: new Gauge({ name: 'tessera_set_readable', help: '1 when the erasure set has read quorum.', labelNames: ['set'], registers }),
      writable: new Gauge({ name: 'tessera_set_writable', help: '1 when the erasure set has write quorum.', labelNames: ['set'], registers }),
    };
    const latency = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
    this.driveCalls = new Histogram({ name: 'tessera_drive_call_duration_seconds', help: "Filesystem operations on each of this node's drives, by kind.", labelNames: ['drive', 'call'], buckets: latency, registers });
    this.driveErrors = new Counter({ name: 'tessera_drive_call_errors_total', help: "Filesystem operations on each of this node's drives that failed (a missing file is no failure), by kind.", labelNames: ['drive', 'call'], registers });
    this.rpcCalls = new Histogram({ name: 'tessera_rpc_call_duration_seconds', help: 'Node RPC calls made to each peer.', labelNames: ['peer'], buckets: latency, registers });
    this.rpcErrors = new Counter({ name: 'tessera_rpc_call_errors_total', help: 'Node RPC calls to each peer that failed: refused while it is offline, unreachable, or timed out.', labelNames: ['peer'], registers });

    const { stats } = manager;
    readCounter(this.registry, 'tessera_heal_objects_healed_total', 'Objects on which at least one drive was healed, by what found them (mrf, read, scanner, drive, admin).', ['source'], () =>
      Object.entries(stats.healed).map(([source, n]) => [{ source }, n]),
    );
    readCounter(this.registry, 'tessera_heal_errors_total', 'Heals that left something unhealed (no read quorum, a drive failing).', [], () => [[{}, stats.healErrors]]);
    readCounter(this.registry, 'tessera_bitrot_errors_total', 'Shards found corrupt: by heals and scans (shard files, inline shards) and by reads (a block failing its hash).', ['found_by'], () => [
      [{ found_by: 'heal' }, stats.bitrotFound],
      [{ found_by: 'read' }, stats.bitrotOnRead],
    ]);
    readCounter(this.registry, 'tessera_heal_dangling_removed_total', 'Object versions removed as dangling (below read quorum with every drive answering).', [], () => [[{}, stats.danglingRemoved]]);
    readCounter(this.registry, 'tessera_heal_bytes_total', 'Bytes of shard data rebuilt and written by heals.', [], () => [[{}, stats.bytesHealed]]);
    readCounter(this.registry, 'tessera_mrf_queued_total', 'Objects queued for healing (MRF of partial writes and heal-on-read).', [], () => [[{}, stats.queued]]);
    readCounter(this.registry, 'tessera_mrf_dropped_total', 'Objects not queued because the queue was full.', [], () => [[{}, stats.queueDropped]]);
    new Gauge({
      name: 'tessera_mrf_queue_length',
      help: 'Objects waiting in the MRF / heal-on-read queue.',
      registers,
      collect() {
        this.set(manager.queue.length);
      },
    });
    readCounter(this.registry, 'tessera_scanner_objects_total', 'Objects the background scanner looked at.', [], () => [[{}, stats.objectsScanned]]);
    readCounter(this.registry, 'tessera_scanner_cycles_total', 'Scanner cycles started.', [], () => [[{}, stats.scannerCycles]]);
    new Gauge({
      name: 'tessera_scanner_active',
      help: '1 while a scanner cycle runs.',
      registers,
      collect() {
        this.set(manager.scanner.state.active ? 1 : 0);
      },
    });
    readCounter(this.registry, 'tessera_orphans_removed_total', 'Data directories no record named, removed by the scanner.', [], () => [[{}, stats.orphansRemoved]]);
  }

  /** Times this node's drives' filesystem operations and its calls to the other nodes. */
  watch(drives: Iterable<LocalDrive>, peers: Iterable<Peer>): void {
    for (const drive of drives) {
      drive.observeIo = (call, seconds, failed) => {
        const labels = { drive: drive.endpoint, call };
        this.driveCalls.observe(labels, seconds);
        if (failed) this.driveErrors.inc(labels);
      };
    }
    for (const peer of peers) {
      peer.observeCall = (seconds, failed) => {
        if (seconds !== undefined) this.rpcCalls.observe({ peer: peer.address }, seconds);
        if (failed) this.rpcErrors.inc({ peer: peer.address });
      };
    }
  }

  observeRequest({ operation, status, seconds, bytesIn, bytesOut }: ObservedRequest): void {
    const labels = { api: operation, code: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
    this.received.inc({ api: operation }, bytesIn);
    this.sent.inc({ api: operation }, bytesOut);
  }

  /** The S3 request counters as the registry holds them now. */
  async requestTotals(): Promise<RequestTotals> {
    const sum = async (counter: Counter<string>): Promise<number> => (await counter.get()).values.reduce((n, v) => n + v.value, 0);
    const requests: Record<StatusClass, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    for (const { labels, value } of (await this.requests.get()).values) {
      const statusClass = `${String(labels.code ?? '').charAt(0)}xx` as StatusClass;
      if (statusClass in requests) requests[statusClass] += value;
    }
    const durationBuckets = new Array<number>(REQUEST_DURATION_BOUNDS.length + 1).fill(0);
    for (const { metricName, labels, value } of (await this.duration.get()).values) {
      if (metricName !== 'tessera_s3_request_duration_seconds_bucket') continue;
      const { le } = labels as { le?: string | number };
      const at = le === '+Inf' ? REQUEST_DURATION_BOUNDS.length : REQUEST_DURATION_BOUNDS.indexOf(Number(le));
      if (at >= 0) durationBuckets[at] += value;
    }
    return { requests, bytesIn: await sum(this.received), bytesOut: await sum(this.sent), durationBuckets };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, with the drives' and sets' state read now. */
  async render(): Promise<string> {
    await this.readDriveState();
    return this.registry.metrics();
  }

  private async readDriveState(): Promise<void> {
    const drives = await this.manager.driveInfo();
    this.driveState.reset();
    this.driveHeal.reset();
    for (const d of drives) {
      for (const state of DRIVE_STATES) this.driveState.set({ drive: d.endpoint, set: String(d.set), state }, d.state === state ? 1 : 0);
      if (d.healing) {
        const { objectsTotal, objectsDone, objectsHealed, objectsFailed } = d.healing;
        for (const [kind, n] of Object.entries({ total: objectsTotal, done: objectsDone, healed: objectsHealed, failed: objectsFailed })) this.driveHeal.set({ drive: d.endpoint, kind }, n);
      }
    }
    for (const set of this.manager.setInfo(drives)) {
      const labels = { set: String(set.set) };
      this.setGauges.drives.set(labels, set.drives);
      this.setGauges.online.set(labels, set.online);
      this.setGauges.readQuorum.set(labels, set.readQuorum);
      this.setGauges.writeQuorum.set(labels, set.writeQuorum);
      this.setGauges.readable.set(labels, set.readable ? 1 : 0);
      this.setGauges.writable.set(labels, set.writable ? 1 : 0);
    }
    for (const gauge of Object.values(this.capacity)) gauge.reset();
    const local = this.manager.sets.flatMap((set) => set.drives).filter((d): d is LocalDrive => d instanceof LocalDrive && d.isOnline());
    await Promise.all(
      local.map(async (drive) => {
        const fs = await statfs(drive.root).catch(() => undefined);
        if (!fs) return;
        const labels = { drive: drive.endpoint };
        this.capacity.total.set(labels, fs.blocks * fs.bsize);
        this.capacity.free.set(labels, fs.bavail * fs.bsize);
        this.capacity.used.set(labels, (fs.blocks - fs.bfree) * fs.bsize);
      }),
    );
  }
}
