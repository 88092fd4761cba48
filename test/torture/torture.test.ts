/**
 * The torture suite (issue 10): seeded random histories against one node and a 4-node cluster under
 * faults, checked by checker.ts and a shard census. `npm test` runs a short fixed-seed run;
 * `npm run torture -- --minutes 30 [--seed S] [--mode single|cluster|both]` runs the same code longer.
 */
import { describe, expect, it } from 'vitest';
import { SCENARIOS, tortureConfig } from './config.js';
import { formatFigures } from './report.js';
import { runScenario } from './scenario.js';

const config = tortureConfig();
const replay = `npm run torture -- --seed ${config.seed} --minutes ${config.minutes} --mode ${config.mode}`;
const log = (line: string): void => void process.stdout.write(`${line}\n`);
log(`torture: seed ${config.seed}, ${config.minutes} min per mode, mode ${config.mode} (replay: ${replay})`);

describe('torture', () => {
  SCENARIOS.forEach((scenario, i) => {
    const workloadMs = Math.round(config.minutes * 60_000 * scenario.share);
    it.runIf(config.mode === 'both' || config.mode === scenario.mode)(
      scenario.name,
      async () => {
        const figures = await runScenario(scenario, { seed: config.seed + i, workloadMs, lingerMs: config.lingerMs, log });
        const text = formatFigures(figures, replay);
        log(text);
        expect(figures.anomalies.length, `anomalies (seed ${config.seed}; replay: ${replay})`).toBe(0);
      },
      workloadMs + 300_000,
    );
  });
});
