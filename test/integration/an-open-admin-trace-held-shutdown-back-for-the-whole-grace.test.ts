/**
 * SIGTERM lets in-flight requests finish for up to 30 s. An admin trace runs until its client hangs
 * up, so before, one left open (an operator watching a rolling restart) held every shutdown back for
 * the whole 30 s, which is all a container platform gives by default before it kills the process.
 * Now the trace ends when the server stops, and the server exits without waiting.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rootAdmin } from '../helpers/iam-fixtures.js';
import { TestServer } from '../helpers/server.js';

describe('SIGTERM with an admin trace open', () => {
  let server: TestServer;
  afterAll(async () => {
    await server?.destroy();
  });

  it('ends the trace and stops without running out the grace period', async () => {
    server = await TestServer.start();
    const lines: string[] = [];
    const traced = (async () => {
      for await (const line of rootAdmin(server).trace({})) lines.push(line.type);
    })();
    while (!lines.includes('subscribed')) await new Promise((resolve) => setTimeout(resolve, 20));

    expect(await server.stop('SIGTERM')).toBe(0);
    await expect(traced).resolves.toBeUndefined();
    expect(server.output).toContain('"msg":"stopped"');
    expect(server.output).not.toContain('requests still running');
  }, 60_000);
});
