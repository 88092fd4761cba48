/**
 * Runs the checker again over a history a failed torture run saved (its path is printed):
 * `TORTURE_RECHECK=/tmp/torture-....jsonl npx vitest run test/torture/recheck.test.ts`. Skipped otherwise.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { checkHistory } from './checker.js';
import { opsFromJsonl } from './history.js';

const path = process.env.TORTURE_RECHECK;

it.runIf(path !== undefined)('the saved history has no anomalies', () => {
  const anomalies = checkHistory(opsFromJsonl(readFileSync(path!, 'utf8')), { lingerMs: Number(process.env.TORTURE_LINGER_MS ?? 5_000) });
  for (const a of anomalies) process.stdout.write(`[${a.kind}] ${a.key ?? ''} ops ${a.ops.map((id) => `#${id}`).join(',')}: ${a.message}\n`);
  expect(anomalies.length).toBe(0);
});
