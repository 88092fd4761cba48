/** The drives drawn as the erasure sets they form: a block per set, inside it a fixed-size tile per drive, grouped by node. */
import { formatBytes, formatPercent } from '../ui/format.js';
import type { ClusterInfo, DriveInfo, SetInfo } from './api.js';

function driveName(endpoint: string): string {
  let path = endpoint;
  try {
    if (/^https?:\/\//.test(endpoint)) path = new URL(endpoint).pathname;
  } catch {
    // not a URL: the path itself
  }
  return path.replace(/\/+$/, '').split('/').pop() || path;
}

function stateLabel(drive: DriveInfo): string {
  if (drive.state === 'healing') return drive.healing?.reason === 'replaced' ? 'Replaced' : 'Returned';
  return drive.state === 'online' ? 'Online' : 'Offline';
}

const BADGE: Record<DriveInfo['state'], string> = { online: 'ok', offline: 'bad', healing: 'warn' };

function Meter({ part, whole, label, kind }: { part: number; whole: number; label: string; kind: string }) {
  const percent = whole > 0 ? Math.min(100, (100 * part) / whole) : 0;
  return (
    <div class={`meter ${kind}`} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(percent)}>
      <div style={{ width: `${percent}%` }} />
    </div>
  );
}

export function DriveTile({ drive }: { drive: DriveInfo }) {
  const { capacity, healing } = drive;
  const name = driveName(drive.endpoint);
  return (
    <li class={`drive-tile drive-${drive.state}`} data-drive={drive.endpoint} data-state={drive.state} data-heal-reason={healing?.reason} title={drive.endpoint}>
      <div class="tile-top">
        <span class="drive-name">{name}</span>
        <span class={`badge ${BADGE[drive.state]}`}>{stateLabel(drive)}</span>
      </div>
      {capacity && drive.state !== 'offline' ? (
        <>
          <Meter part={capacity.used} whole={capacity.total} label={`${name}: space used`} kind="used" />
          <div class="tile-line" title={`${formatBytes(capacity.used)} used of ${formatBytes(capacity.total)}, ${formatBytes(capacity.free)} free`}>
            {formatBytes(capacity.used)} / {formatBytes(capacity.total)}
          </div>
        </>
      ) : (
        <>
          <div class="meter placeholder" />
          <div class="tile-line muted">{drive.state === 'offline' ? 'not answering' : 'size unknown'}</div>
        </>
      )}
      {healing ? (
        <div class="tile-heal" data-percent={healing.percent}>
          <Meter part={healing.percent} whole={100} label={`${name}: healed`} kind="heal" />
          <span>
            Healing {healing.percent}% · {healing.objectsDone}/{healing.objectsTotal}
          </span>
        </div>
      ) : (
        <div class="tile-heal" aria-hidden="true" />
      )}
    </li>
  );
}

function tolerance(set: SetInfo): string {
  if (!set.readable) return 'cannot be read: too many drives lost';
  if (!set.writable) return `read-only: can lose ${set.canLoseForRead} more drive${set.canLoseForRead === 1 ? '' : 's'} and still be read`;
  return `can lose ${set.canLoseForWrite} more drive${set.canLoseForWrite === 1 ? '' : 's'} for writes, ${set.canLoseForRead} for reads`;
}

function SetBlock({ set, drives, nodeOf }: { set: SetInfo; drives: DriveInfo[]; nodeOf: Map<string, string> }) {
  const byNode = new Map<string, DriveInfo[]>();
  for (const d of [...drives].sort((a, b) => a.slot - b.slot)) {
    const node = nodeOf.get(d.endpoint) ?? '?';
    byNode.set(node, [...(byNode.get(node) ?? []), d]);
  }
  const measured = drives.filter((d) => d.capacity && d.state !== 'offline');
  const used = measured.reduce((n, d) => n + d.capacity!.used, 0);
  const total = measured.reduce((n, d) => n + d.capacity!.total, 0);
  const health = !set.readable ? ['bad', 'Unreadable'] : !set.writable ? ['bad', 'Read-only'] : set.online < set.drives || set.healing > 0 ? ['warn', 'Degraded'] : ['ok', 'Healthy'];
  return (
    <section class="card set-block" data-set={set.set} aria-labelledby={`set-${set.set}`}>
      <div class="set-head">
        <h3 id={`set-${set.set}`}>Set {set.set}</h3>
        <span class={`badge ${health[0]}`}>{health[1]}</span>
        <span class="muted">
          {set.dataShards} data + {set.parityShards} parity · {set.online}/{set.drives} drives answering
        </span>
      </div>
      <p class="muted set-tolerance">{tolerance(set)}</p>
      <div class="set-capacity">
        <Meter part={used} whole={total} label={`Set ${set.set}: space used`} kind="used" />
        <span class="muted">
          {total > 0 ? `${formatBytes(used)} of ${formatBytes(total)} used (${formatPercent(used, total)})` : 'size unknown'}
          {measured.length < drives.length ? ` · ${drives.length - measured.length} drive(s) not measured` : ''}
        </span>
      </div>
      <div class="set-nodes">
        {[...byNode.entries()].map(([node, list]) => (
          <div class="node-group" key={node}>
            <div class="node-label" title={node}>
              {node}
            </div>
            <ul class="tiles">
              {list.map((d) => (
                <DriveTile key={d.endpoint} drive={d} />
              ))}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}

export function ErasureSets({ info }: { info: ClusterInfo }) {
  const nodeOf = new Map<string, string>();
  for (const node of info.nodes) for (const d of node.drives) nodeOf.set(d.endpoint, node.name);
  const drives = info.nodes.flatMap((n) => n.drives);
  return (
    <div class="sets">
      {info.sets.map((set) => (
        <SetBlock key={set.set} set={set} drives={drives.filter((d) => d.set === set.set)} nodeOf={nodeOf} />
      ))}
    </div>
  );
}
