/**
 * `GET /tessera/metrics`: Prometheus text format (version 0.0.4), written by hand: a handful of
 * counters and gauges do not need a client library. Unauthenticated, like the health endpoints
 * (it carries counts only, no names).
 */
import type { HealManager } from '../heal/manager.js';

export const METRICS_PATH = '/tessera/metrics';

/** S3 request counts by method and status, and their total duration. */
export class RequestMetrics {
  private readonly counts = new Map<string, number>();
  private seconds = 0;
  private total = 0;

  observe(method: string, status: number, ms: number): void {
    const id = `${method}\u0000${status}`;
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    this.seconds += ms / 1000;
    this.total++;
  }

  lines(inflight: number): string[] {
    const out = [
      '# HELP tessera_s3_requests_total S3 requests answered, by method and HTTP status.',
      '# TYPE tessera_s3_requests_total counter',
    ];
    for (const [id, n] of [...this.counts.entries()].sort()) {
      const [method, status] = id.split('\u0000');
      out.push(`tessera_s3_requests_total{method="${method}",code="${status}"} ${n}`);
    }
    out.push(
      '# HELP tessera_s3_request_duration_seconds Time from request to the end of the response.',
      '# TYPE tessera_s3_request_duration_seconds summary',
      `tessera_s3_request_duration_seconds_sum ${this.seconds.toFixed(6)}`,
      `tessera_s3_request_duration_seconds_count ${this.total}`,
      '# HELP tessera_s3_requests_in_flight S3 requests being served.',
      '# TYPE tessera_s3_requests_in_flight gauge',
      `tessera_s3_requests_in_flight ${inflight}`,
    );
    return out;
  }
}

function metric(out: string[], name: string, type: 'counter' | 'gauge', help: string, values: [string, number][] | number): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  if (typeof values === 'number') out.push(`${name} ${values}`);
  else for (const [labels, value] of values) out.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
}

export async function renderMetrics(manager: HealManager, requests: RequestMetrics): Promise<string> {
  const { stats } = manager;
  const drives = await manager.driveInfo();
  const out: string[] = [];
  metric(out, 'tessera_heal_objects_healed_total', 'counter', 'Objects on which at least one drive was healed, by what found them.',
    Object.entries(stats.healed).map(([source, n]) => [`source="${source}"`, n]));
  metric(out, 'tessera_heal_errors_total', 'counter', 'Heals that left something unhealed (no read quorum, a drive failing).', stats.healErrors);
  metric(out, 'tessera_bitrot_errors_total', 'counter', 'Shards found corrupt: by heals and scans (shard files, inline shards) and by reads (a block failing its hash).', [
    ['found_by="heal"', stats.bitrotFound],
    ['found_by="read"', stats.bitrotOnRead],
  ]);
  metric(out, 'tessera_heal_dangling_removed_total', 'counter', 'Object versions removed as dangling (below read quorum with every drive answering).', stats.danglingRemoved);
  metric(out, 'tessera_heal_bytes_total', 'counter', 'Bytes of shard data rebuilt and written by heals.', stats.bytesHealed);
  metric(out, 'tessera_heal_queue_length', 'gauge', 'Objects waiting in the MRF / heal-on-read queue.', manager.queue.length);
  metric(out, 'tessera_heal_queue_dropped_total', 'counter', 'Objects not queued because the queue was full.', stats.queueDropped);
  metric(out, 'tessera_drives_healing', 'gauge', 'Drives being healed in full (replaced or returned).', drives.filter((d) => d.state === 'healing').length);
  metric(out, 'tessera_drives', 'gauge', 'Drives of the deployment by state.', [
    ['state="online"', drives.filter((d) => d.state === 'online').length],
    ['state="healing"', drives.filter((d) => d.state === 'healing').length],
    ['state="offline"', drives.filter((d) => d.state === 'offline').length],
  ]);
  metric(out, 'tessera_scanner_objects_total', 'counter', 'Objects the background scanner looked at.', stats.objectsScanned);
  metric(out, 'tessera_scanner_cycles_total', 'counter', 'Scanner cycles started.', stats.scannerCycles);
  metric(out, 'tessera_scanner_active', 'gauge', '1 while a scanner cycle runs.', manager.scanner.state.active ? 1 : 0);
  metric(out, 'tessera_orphans_removed_total', 'counter', 'Data directories no record named, removed by the scanner.', stats.orphansRemoved);
  out.push(...requests.lines(manager.foreground.active));
  return `${out.join('\n')}\n`;
}
