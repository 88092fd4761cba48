/**
 * CPU time of the server processes, read from /proc (Linux): what an operation costs the servers,
 * whatever the client and the machine's other load do to wall-clock figures.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** `pid` and its child processes (a node's server and its metadata writer), as /proc lists them now. */
export function withChildren(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim();
    return [pid, ...(children ? children.split(' ').map(Number) : [])];
  } catch {
    return [pid];
  }
}

/**
 * User + system CPU milliseconds used so far by the processes `pids` and their children together
 * (NaN where /proc is not readable).
 */
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids.flatMap(withChildren)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      // The command name (field 2) may hold spaces; the numeric fields follow its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15 of stat(5)
    } catch {
      return NaN;
    }
  }
  return (ticks * 1000) / clockTicks();
}
