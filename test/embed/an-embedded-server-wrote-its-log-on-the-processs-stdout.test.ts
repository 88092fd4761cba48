/**
 * startTessera()'s `log` option: "Receives the server's log lines; default: none are shown". Before,
 * the server's log (each request's line, warnings) went to the embedding process's stdout whatever
 * the option, and never to the callback. Run in a child process, whose stdout is all there to read.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, cleanEnv } from '../helpers/server.js';

const run = promisify(execFile);

const SCRIPT = `
import { startTessera } from ${JSON.stringify(join(ROOT, 'dist/src/index.js'))};
const missing = async (tessera) => {
  const res = await fetch(tessera.endpoint + '/nobucket/key');
  await res.text();
  await new Promise((resolve) => setTimeout(resolve, 100));
  return res.headers.get('x-amz-request-id');
};
const quiet = await startTessera();
await missing(quiet);
await quiet.stop();
const lines = [];
const heard = await startTessera({ log: (line) => lines.push(line) });
const requestId = await missing(heard);
await heard.stop();
console.log(JSON.stringify({ requestId, lines }));
`;

describe('an embedded server', () => {
  it('writes nothing on stdout, and gives its log lines, request lines included, to the log option', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: ROOT, env: cleanEnv(), timeout: 60_000 });
    const printed = stdout.trim().split('\n');
    expect(printed).toHaveLength(1);
    const { requestId, lines } = JSON.parse(printed[0]) as { requestId: string; lines: string[] };
    const requestLine = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'request');
    expect(requestLine).toMatchObject({ reqId: requestId, api: 'GetObject', bucket: 'nobucket', key: 'key', status: 404 });
  });
});
