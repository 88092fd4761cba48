/** The figures a torture run prints: operations by type and outcome, faults by kind, anomalies. */
import type { Anomaly } from './checker.js';
import type { History } from './history.js';

export interface RunFigures {
  scenario: string;
  seed: number;
  workloadMs: number;
  totalMs: number;
  history: History;
  anomalies: Anomaly[];
  census: { objects: number; shards: number; blocksVerified: number };
}

function table(rows: Map<string, Map<string, number>>, columns: string[]): string[] {
  const width = Math.max(14, ...[...rows.keys()].map((k) => k.length + 2));
  const lines = [`${''.padEnd(width)}${columns.map((c) => c.padStart(9)).join('')}`];
  for (const [name, counts] of rows) lines.push(`${name.padEnd(width)}${columns.map((c) => String(counts.get(c) ?? 0).padStart(9)).join('')}`);
  return lines;
}

function count(rows: Map<string, Map<string, number>>, row: string, column: string): void {
  const counts = rows.get(row) ?? new Map<string, number>();
  counts.set(column, (counts.get(column) ?? 0) + 1);
  rows.set(row, counts);
}

export function formatFigures(f: RunFigures, replay: string, maxAnomalies = 12): string {
  const ops = new Map<string, Map<string, number>>();
  for (const op of f.history.ops) count(ops, `${op.type}${op.final ? ' (final)' : ''}`, op.outcome);
  const faults = new Map<string, Map<string, number>>();
  for (const event of f.history.faults) {
    count(faults, event.kind, 'injected');
    if (event.detail?.startsWith('error')) count(faults, event.kind, 'errors');
    if (event.detail?.includes('not reached')) count(faults, event.kind, 'unfired');
  }
  const reasons = new Map<string, number>();
  for (const op of f.history.ops) if (op.outcome !== 'ok' && op.detail) reasons.set(`${op.outcome} ${op.detail.slice(0, 60)}`, (reasons.get(`${op.outcome} ${op.detail.slice(0, 60)}`) ?? 0) + 1);
  const topReasons = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8);
  const kinds = new Map<string, number>();
  for (const a of f.anomalies) kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
  const lines = [
    `== torture ${f.scenario}: seed ${f.seed}, workload ${(f.workloadMs / 1000).toFixed(0)} s, total ${(f.totalMs / 1000).toFixed(0)} s`,
    `replay: ${replay}`,
    'operations (by outcome):',
    ...table(ops, ['ok', 'fail', 'unknown']).map((l) => `  ${l}`),
    'most frequent failures:',
    ...topReasons.map(([reason, n]) => `  ${String(n).padStart(7)}  ${reason}`),
    'faults:',
    ...table(faults, ['injected', 'unfired', 'errors']).map((l) => `  ${l}`),
    `shard census: ${f.census.objects} objects, ${f.census.shards} shards whole, ${f.census.blocksVerified} blocks verified`,
    `anomalies: ${f.anomalies.length}${kinds.size ? ` (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
  ];
  for (const a of f.anomalies.slice(0, maxAnomalies)) {
    const during = f.history.faults.filter((e) => e.start <= a.at && a.at <= e.end + 2_000).map((e) => `${e.kind} ${e.target}`);
    lines.push(`  - [${a.kind}] ${a.key ?? ''} ops ${a.ops.map((id) => `#${id}`).join(',')} at ${(a.at / 1000).toFixed(3)} s: ${a.message}`);
    lines.push(`      faults then: ${during.join(', ') || 'none (none in the 2 s before either)'}`);
    for (const id of a.ops.slice(0, 3)) {
      const op = f.history.ops.find((o) => o.id === id);
      if (!op) continue;
      const ec = 'reduced' in op && op.reduced ? ' REDUCED_REDUNDANCY' : '';
      lines.push(`      #${op.id} ${op.type}${ec} node ${op.node + 1} [${(op.start / 1000).toFixed(3)}..${(op.end / 1000).toFixed(3)}] ${op.outcome}${op.detail ? ` (${op.detail})` : ''}`);
    }
  }
  if (f.anomalies.length > maxAnomalies) lines.push(`  ... and ${f.anomalies.length - maxAnomalies} more`);
  const faultLog = f.history.faults.map((e) => `  ${(e.start / 1000).toFixed(1)}-${(e.end / 1000).toFixed(1)} s ${e.kind} ${e.target}${e.detail ? `: ${e.detail}` : ''}`);
  return [...lines, 'fault log:', ...faultLog].join('\n');
}
