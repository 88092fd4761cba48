/**
 * What a torture run does, from the environment `test/torture/run.mjs` sets (and short defaults for
 * `npm test`): TORTURE_SEED, TORTURE_MINUTES (workload time per mode), TORTURE_MODE single|cluster|both,
 * TORTURE_LINGER_MS (see checker.ts). And the deployments each mode runs.
 */
import type { FaultKind } from './faults.js';

export interface TortureConfig {
  seed: number;
  minutes: number;
  mode: 'single' | 'cluster' | 'both';
  lingerMs: number;
}

/** The seed and length of the run that is part of `npm test`. */
export const SHORT_RUN = { seed: 20260101, minutes: 0.55 };

export function tortureConfig(env: NodeJS.ProcessEnv = process.env): TortureConfig {
  const mode = env.TORTURE_MODE ?? 'both';
  if (mode !== 'single' && mode !== 'cluster' && mode !== 'both') throw new Error(`TORTURE_MODE must be single, cluster or both, not ${mode}`);
  const seed = Number(env.TORTURE_SEED ?? SHORT_RUN.seed);
  const minutes = Number(env.TORTURE_MINUTES ?? SHORT_RUN.minutes);
  const lingerMs = Number(env.TORTURE_LINGER_MS ?? 5_000);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`TORTURE_SEED must be a non-negative integer, not ${env.TORTURE_SEED}`);
  if (!(minutes > 0)) throw new Error(`TORTURE_MINUTES must be a positive number, not ${env.TORTURE_MINUTES}`);
  return { seed, minutes, mode, lingerMs };
}

export interface Scenario {
  name: string;
  mode: 'single' | 'cluster';
  nodes: number;
  drivesPerNode: number;
  extraArgs: string[];
  /** Share of the mode's workload time. */
  share: number;
  clients: number;
  /** Share of writes sent with x-amz-storage-class REDUCED_REDUNDANCY. */
  reducedShare: number;
  faults: Partial<Record<FaultKind, number>>;
}

const DRIVE_FAULTS = { 'read-only': 2, vanish: 1, wipe: 1, flip: 2, full: 2 };
/** Each drive is a tmpfs of this size (root only), so that it can be filled (the `full` fault). */
export const DRIVE_FILESYSTEM_MIB = 512;

export const SCENARIOS: Scenario[] = [
  {
    name: 'single node, 4 drives, EC 2+2 (some writes REDUCED_REDUNDANCY: EC 3+1)',
    mode: 'single',
    nodes: 1,
    drivesPerNode: 4,
    extraArgs: [],
    share: 0.5,
    clients: 5,
    reducedShare: 0.4,
    faults: { kill: 3, crash: 4, writer: 2, ...DRIVE_FAULTS },
  },
  {
    name: 'single node, 4 drives, --parity 1 (EC 3+1)',
    mode: 'single',
    nodes: 1,
    drivesPerNode: 4,
    extraArgs: ['--parity', '1'],
    share: 0.5,
    clients: 5,
    reducedShare: 0,
    // Crashes in the middle of an overwrite matter most where neither version alone has read quorum.
    faults: { kill: 2, crash: 8, writer: 2, ...DRIVE_FAULTS },
  },
  {
    name: 'cluster of 4 nodes x 1 drive, EC 2+2 (some writes REDUCED_REDUNDANCY)',
    mode: 'cluster',
    nodes: 4,
    drivesPerNode: 1,
    extraArgs: [],
    share: 1,
    clients: 6,
    reducedShare: 0.25,
    faults: { kill: 3, crash: 3, pause: 3, writer: 2, ...DRIVE_FAULTS },
  },
];
