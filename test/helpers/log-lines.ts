/** Reading a server's JSON log (its stdout; stderr interleaved in the helpers' `output` is skipped). */
import { configureLog } from '../../src/log.js';
export type LogLine = Record<string, unknown> & { level: string; time: string; msg: string };

/** Every line of `output` that is a JSON object, parsed. */
export function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The line the server logs once it serves: endpoint, root user, layout. */
export function startupLine(output: string): LogLine {
  const found = logLines(output).find((line) => line.msg === 'Tessera S3 endpoint ready');
  if (!found) throw new Error(`no start-up line in the server's output: ${output}`);
  return found;
}

/** Sends this process's log (src/log.ts) to memory until `restore()`, for tests of code that logs in-process. */
export function captureLog(): { lines: () => LogLine[]; restore: () => void } {
  const written: string[] = [];
  configureLog({ format: 'json', level: 'info', destination: { write: (line) => written.push(line) } });
  return {
    lines: () => written.map((line) => JSON.parse(line) as LogLine),
    restore: () => configureLog({ format: 'json', level: 'info' }),
  };
}
