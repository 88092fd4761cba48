/**
 * Knobs of the healing workers, from the environment (the server command passes nothing else):
 *
 *   TESSERA_HEAL                      `off` pauses all background healing: the MRF / heal-on-read queue is still
 *                                     recorded and saved but not worked off, no scanner, no drive monitor, replaced
 *                                     drives are not healed (their progress files wait). Admin heals still run.
 *   TESSERA_SCANNER                   `off` disables the background scanner (default on).
 *   TESSERA_SCANNER_START_SECONDS     wait after start-up before the first cycle (default 60).
 *   TESSERA_SCANNER_INTERVAL_SECONDS  pause between the end of one cycle and the start of the next (default 3600).
 *   TESSERA_SCANNER_DELAY_MS          pause after each object the scanner looks at (default 10: at most ~100 objects/s);
 *                                     while S3 requests are in flight it also sleeps as long as the object took.
 *   TESSERA_SCANNER_DEEP_EVERY        every Nth cycle re-hashes every shard block (bitrot scan; default 8; 1 = always).
 *   TESSERA_ORPHAN_AGE_MINUTES        data directories no record names are removed once this old (default 15).
 *   TESSERA_HEAL_DRIVE_DELAY_MS       pause after each object while healing a replaced drive (default 0).
 *   TESSERA_HEAL_DRIVE_WORKERS        objects healed at once while healing a replaced drive (default 4; 1 while
 *                                     S3 requests are in flight).
 *   TESSERA_DRIVE_MONITOR_SECONDS     how often local drives are checked for being wiped, replaced or back (default 10);
 *                                     a drive must be seen offline twice in a row before it is reformatted.
 *   TESSERA_MRF_DELAY_MS              pause after each object healed from the MRF / heal-on-read queue (default 0).
 */

import { envNumber as number } from '../env.js';

export interface HealConfig {
  /** Background healing at all (TESSERA_HEAL). */
  background: boolean;
  scanner: boolean;
  scannerStartMs: number;
  scannerIntervalMs: number;
  scannerDelayMs: number;
  deepEvery: number;
  orphanAgeMs: number;
  driveHealDelayMs: number;
  driveHealWorkers: number;
  monitorIntervalMs: number;
  mrfDelayMs: number;
  /** Most entries the MRF queue holds; more are dropped (the scanner finds them later). */
  mrfCapacity: number;
}

export function healConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HealConfig {
  const off = (v: string | undefined): boolean => /^(off|false|0|no)$/i.test(v ?? '');
  const background = !off(env.TESSERA_HEAL);
  return {
    background,
    scanner: background && !off(env.TESSERA_SCANNER),
    scannerStartMs: number(env, 'TESSERA_SCANNER_START_SECONDS', 60) * 1000,
    scannerIntervalMs: number(env, 'TESSERA_SCANNER_INTERVAL_SECONDS', 3600) * 1000,
    scannerDelayMs: number(env, 'TESSERA_SCANNER_DELAY_MS', 10),
    deepEvery: Math.floor(number(env, 'TESSERA_SCANNER_DEEP_EVERY', 8, 1)),
    orphanAgeMs: number(env, 'TESSERA_ORPHAN_AGE_MINUTES', 15) * 60_000,
    driveHealDelayMs: number(env, 'TESSERA_HEAL_DRIVE_DELAY_MS', 0),
    driveHealWorkers: Math.max(1, Math.floor(number(env, 'TESSERA_HEAL_DRIVE_WORKERS', 4, 1))),
    monitorIntervalMs: number(env, 'TESSERA_DRIVE_MONITOR_SECONDS', 10, 0.05) * 1000,
    mrfDelayMs: number(env, 'TESSERA_MRF_DELAY_MS', 0),
    mrfCapacity: 100_000,
  };
}
