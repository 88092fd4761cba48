/**
 * The cluster, drawn: the erasure sets with a tile per drive (state, space used, healing progress),
 * the nodes, the heal queue and scanner, refreshed every few seconds; and the last hour's traffic,
 * refreshed every 10 s. The last answer stays on screen while the next is read.
 */
import { useState } from 'preact/hooks';
import { describeError } from '../ui/errors.js';
import { useLoad, type Loaded } from '../ui/load.js';
import type { PageProps } from '../ui/page.js';
import { clusterInfo, metricsHistory, type ClusterHistory, type ClusterInfo } from './api.js';
import { TrafficCharts, SPANS } from './charts.js';
import './cluster.css';
import { ErasureSets } from './drives.js';
import { Background, NodesTable } from './nodes.js';

const INFO_EVERY_MS = 3_000;
const HISTORY_EVERY_MS = 10_000;

const NO_HISTORY: ClusterHistory = {
  intervalSeconds: 10,
  nodes: [],
  unreachable: [],
  time: [],
  requestsPerSecond: [],
  errors4xxPerSecond: [],
  errors5xxPerSecond: [],
  bytesInPerSecond: [],
  bytesOutPerSecond: [],
  p50: [],
  p90: [],
  p99: [],
};

/** When the shown data was read, or why it is not newer; one line of fixed height. */
function Freshness({ polled }: { polled: Loaded<unknown> }) {
  const at = polled.updated ? new Date(polled.updated).toLocaleTimeString() : undefined;
  if (polled.error)
    return (
      <span class="freshness stale" role="status" title={describeError(polled.error)}>
        Update failed: {describeError(polled.error)}
        {at ? ` (showing ${at})` : ''}
      </span>
    );
  return <span class="freshness muted">{at ? `Updated ${at}` : 'Loading…'}</span>;
}

function Summary({ info }: { info?: ClusterInfo }) {
  if (!info) return <div class="cluster-summary" />;
  const nodesOnline = info.nodes.filter((n) => n.state === 'online').length;
  return (
    <div class="cluster-summary">
      <span class={`badge ${nodesOnline === info.nodes.length ? 'ok' : 'bad'}`}>
        {nodesOnline}/{info.nodes.length} nodes online
      </span>
      <span class="badge ok">{info.drives.online} drives online</span>
      {info.drives.healing > 0 && <span class="badge warn">{info.drives.healing} healing</span>}
      {info.drives.offline > 0 && <span class="badge bad">{info.drives.offline} offline</span>}
    </div>
  );
}

export function ClusterPage({ session }: PageProps) {
  const info = useLoad((signal) => clusterInfo(session, signal), [session], { everyMs: INFO_EVERY_MS, notify: 'Reading the cluster state' });
  const history = useLoad((signal) => metricsHistory(session, signal), [session], { everyMs: HISTORY_EVERY_MS, notify: 'Reading the traffic history' });
  const unreachable = history.data?.unreachable ?? [];
  const [span, setSpan] = useState(SPANS[0].seconds);
  return (
    <>
      <div class="toolbar cluster-toolbar">
        <h1>Cluster</h1>
        <Summary info={info.data} />
        <span class="grow" />
        <Freshness polled={info} />
      </div>
      <section aria-labelledby="sets-title" class="cluster-section">
        <h2 id="sets-title">Erasure sets</h2>
        {info.data ? <ErasureSets info={info.data} /> : <div class="card sets-loading">{info.error ? describeError(info.error) : 'Reading the cluster…'}</div>}
      </section>
      <div class="grid-2 cluster-section">
        <section aria-labelledby="nodes-title">
          <h2 id="nodes-title">Nodes</h2>
          {info.data ? <NodesTable info={info.data} /> : <div class="card nodes-loading" />}
        </section>
        {info.data ? <Background info={info.data} /> : <div class="card background-card" />}
      </div>
      <section aria-labelledby="traffic-title" class="cluster-section">
        <div class="toolbar">
          <h2 id="traffic-title">Traffic</h2>
          <div class="span-choice" role="group" aria-label="Time span">
            {SPANS.map((w) => (
              <button key={w.seconds} type="button" aria-pressed={w.seconds === span} onClick={() => setSpan(w.seconds)}>
                {w.label}
              </button>
            ))}
          </div>
          <span class="grow" />
          <Freshness polled={history} />
        </div>
        <p class="muted traffic-note">
          {unreachable.length > 0 ? `Without ${unreachable.map((u) => u.node).join(', ')} (not answering). ` : ''}
          All nodes' S3 requests, summed per {history.data?.intervalSeconds ?? 10} s.
        </p>
        <TrafficCharts history={history.data ?? NO_HISTORY} span={span} />
      </section>
    </>
  );
}
