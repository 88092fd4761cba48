/** The nodes as a table, and the background healing (MRF queue, scanner) of the node that answered. */
import { formatDuration, formatWhen } from '../ui/format.js';
import type { ClusterInfo } from './api.js';

export function NodesTable({ info }: { info: ClusterInfo }) {
  return (
    <div class="table-wrap">
      <table class="list nodes-table">
        <thead>
          <tr>
            <th>Node</th>
            <th>State</th>
            <th class="num">Drives online</th>
            <th>Version</th>
            <th class="num">Uptime</th>
          </tr>
        </thead>
        <tbody>
          {info.nodes.map((node) => {
            const online = node.drives.filter((d) => d.state !== 'offline').length;
            return (
              <tr key={node.name} data-node={node.name} data-state={node.state}>
                <td>
                  <code>{node.name}</code>
                  {node.name === info.node && <span class="muted"> (answering)</span>}
                </td>
                <td>
                  <span class={`badge ${node.state === 'online' ? 'ok' : 'bad'}`}>{node.state === 'online' ? 'Online' : 'Offline'}</span>
                </td>
                <td class="num">
                  {online}/{node.drives.length}
                </td>
                <td title={node.error}>{node.version ?? '—'}</td>
                <td class="num">{node.uptimeSeconds === undefined ? '—' : formatDuration(node.uptimeSeconds)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function Background({ info }: { info: ClusterInfo }) {
  const { healQueue, scanner, totals } = info;
  return (
    <div class="card background-card">
      <h2>Healing and scanner</h2>
      <p class="muted">
        Of <code>{info.node}</code>, the node answering{info.background ? '' : ' (background healing is off)'}.
      </p>
      <dl class="kv">
        <dt>Heal queue (MRF)</dt>
        <dd data-heal-queue={healQueue.length}>
          {healQueue.length} object{healQueue.length === 1 ? '' : 's'} waiting
          {healQueue.dropped > 0 ? `, ${healQueue.dropped} dropped (queue full)` : ''}
        </dd>
        <dt>Healing now</dt>
        <dd>{healQueue.current ? `${healQueue.current.bucket}/${healQueue.current.key}` : '—'}</dd>
        <dt>Scanner</dt>
        <dd data-scanner-cycle={scanner.cycle}>
          {!scanner.enabled ? 'off' : scanner.active ? `cycle ${scanner.cycle} running` : scanner.cycle > 0 ? `${scanner.cycle} cycle${scanner.cycle === 1 ? '' : 's'} done` : 'no cycle yet'}
        </dd>
        <dt>Objects scanned</dt>
        <dd>
          {scanner.objects} this cycle, {totals.objectsScanned} in all
        </dd>
        <dt>Last cycle</dt>
        <dd>{scanner.lastCycleFinished ? `${formatWhen(scanner.lastCycleFinished)}, took ${formatDuration(scanner.lastCycleSeconds ?? 0)}` : '—'}</dd>
        <dt>Next cycle</dt>
        <dd>{scanner.enabled && !scanner.active && scanner.nextCycle ? formatWhen(scanner.nextCycle) : '—'}</dd>
        <dt>Objects healed</dt>
        <dd>{totals.objectsHealed} since start</dd>
      </dl>
    </div>
  );
}
