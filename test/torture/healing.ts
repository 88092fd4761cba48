/**
 * Healing a torture deployment through its admin API: a heal sequence over the bucket (every object,
 * deep), and waiting for the background scanner to finish whole cycles (it removes orphan data
 * directories, which the admin heal does not).
 */
import { AdminClient } from '../../src/admin/client.js';
import type { ScannerState } from '../../src/heal/info-types.js';
import type { SequenceSummary } from '../../src/heal/sequence.js';
import { ACCESS_KEY, SECRET_KEY, sleep, type NodeProcess } from '../helpers/cluster.js';

function admin(node: NodeProcess): AdminClient {
  return new AdminClient({ url: node.endpoint, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
}

/**
 * Waits (up to `timeoutMs`) until every drive `node` knows of is online: a drive replaced a moment ago
 * (a wipe) is offline until it is formatted into its slot, and a heal before then cannot restore it.
 */
export async function waitDrivesOnline(node: NodeProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await admin(node).info().catch(() => undefined);
    if (info && info.drives.offline === 0) return;
    if (Date.now() > deadline) throw new Error(`drives still offline after ${timeoutMs} ms: ${JSON.stringify(info?.drives)}`);
    await sleep(100);
  }
}

/** Heals every object of `bucket` through `node` and returns the summary (throws after `timeoutMs`). */
export async function healBucket(node: NodeProcess, bucket: string, options: { deep?: boolean; timeoutMs?: number } = {}): Promise<SequenceSummary> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  let summary: SequenceSummary | undefined;
  for await (const line of admin(node).heal({ bucket, prefix: '', recursive: true, deep: options.deep ?? false }, signal)) {
    if (line.type === 'summary') summary = line;
  }
  if (!summary) throw new Error('the heal sequence ended without a summary');
  return summary;
}

/** Waits until every node's scanner has started `more` cycles after this call and finished them. */
export async function waitScannerCycles(nodes: NodeProcess[], more: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const scanners = (): Promise<(ScannerState | undefined)[]> => Promise.all(nodes.map((n) => admin(n).info().then((i) => i.scanner, () => undefined)));
  const from = (await scanners()).map((s) => s?.cycle ?? 0);
  for (;;) {
    const states = await scanners();
    if (states.every((s, i) => s && s.cycle >= from[i] + more && !s.active)) return;
    if (Date.now() > deadline) throw new Error(`scanners did not finish ${more} more cycles: ${JSON.stringify(states.map((s) => s && { cycle: s.cycle, active: s.active }))}`);
    await sleep(250);
  }
}
