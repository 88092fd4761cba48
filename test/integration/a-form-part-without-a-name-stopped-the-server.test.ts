/**
 * Regression: a POST form whose part has a Content-Disposition without a name (`form-data` alone, or
 * `name=""`) reached busboy's field/file events with an undefined name, and `name.toLowerCase()`
 * threw from the event handler: an uncaught exception that ended the server process. Anyone can send
 * such a form (it is read before any signature), to any bucket that exists. It must be a 400.
 */
import { type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw.js';
import { getStatus } from '../helpers/tls.js';
import { TestServer, endServer, serverWithBuckets } from '../helpers/server.js';

const BUCKET = 'nameless-parts';
const BOUNDARY = '----tesseranameless';
let server: TestServer;
let s3: S3Client;

beforeAll(async () => ({ server, s3 } = await serverWithBuckets([BUCKET])));

// Each case on a live server: one that ended the process is started again on the same drives.
beforeEach(async () => {
  const alive = await getStatus(`${server.endpoint}/tessera/health/live`).then(() => true, () => false);
  if (alive) return;
  await server.stop('SIGKILL');
  await server.launch();
});

afterAll(() => endServer(server, s3));

function part(disposition: string, value: string): string {
  return `--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n${value}\r\n`;
}

const FORMS: Record<string, string> = {
  'a field part with no name': part('form-data', 'value'),
  'a field part with an empty name': part('form-data; name=""', 'value'),
  'a file part with no name': part('form-data; name="key"', 'k') + part('form-data; filename="a.txt"', 'data'),
};

for (const [what, parts] of Object.entries(FORMS)) {
  it(`${what} is refused with a 400, and the server keeps serving`, async () => {
    const res = await rawRequest(server.endpoint, {
      method: 'POST',
      path: `/${BUCKET}`,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: `${parts}--${BOUNDARY}--\r\n`,
      sign: false,
    }).catch((err: Error) => ({ status: 0, text: err.message }));
    expect(res.status, res.text).toBe(400);
    // A throw that escaped after the answer would end the process a moment later.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await getStatus(`${server.endpoint}/tessera/health/live`)).toBe(200);
    expect(server.proc?.exitCode ?? null, server.output).toBeNull();
  });
}
