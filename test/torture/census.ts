/**
 * The shard census, run on the drives of stopped servers after healing: for every object the final
 * reads found, every drive of the set holds its record and a whole shard (right size, every block's
 * hash, parity that re-encodes, data that decodes to the value; test/helpers/heal-disk.ts), and no
 * drive holds a data directory that no final record or open upload names (orphans must be gone after
 * the scanner's pass; an open upload's directory holds the parts a completion cut short moved there,
 * kept for its retry) or a record of an object the final reads did not find.
 */
import { dataDirsOnDrive, listKeysOnDrive, readRecords, uploadDataDirsOnDrive, verifyDrives } from '../helpers/heal-disk.js';
import { valueBytes, type Value } from './bodies.js';

export interface CensusResult {
  problems: string[];
  objects: number;
  shards: number;
  blocksVerified: number;
}

/** `drives` in the set's order (one erasure set); `present`: the value each object holds in the end. */
export async function shardCensus(drives: string[], bucket: string, present: Map<string, Value>): Promise<CensusResult> {
  const keys = [...present.keys()];
  const report = await verifyDrives(
    drives,
    keys.map((key) => ({ bucket, key, body: valueBytes(present.get(key)!.segments) })),
  );
  const problems = [...report.problems];
  const referenced = new Set<string>();
  for (const records of await Promise.all(drives.map((d) => readRecords(d, keys.map((key) => ({ bucket, key })))))) {
    for (const record of records) for (const v of record?.versions ?? []) if (v.dataDir) referenced.add(v.dataDir);
  }
  for (const drive of drives) for (const dir of await uploadDataDirsOnDrive(drive, bucket)) referenced.add(dir);
  for (const [slot, drive] of drives.entries()) {
    for (const dir of dataDirsOnDrive(drive, bucket)) if (!referenced.has(dir)) problems.push(`drive ${slot + 1}: orphan data directory ${dir}`);
    for (const key of await listKeysOnDrive(drive, bucket)) {
      if (present.has(key)) continue;
      const [record] = await readRecords(drive, [{ bucket, key }]);
      if (record && record.versions.length > 0) problems.push(`drive ${slot + 1}: a record of ${key} (${record.versions.length} version(s)), which the final reads did not find`);
    }
  }
  return { problems, objects: keys.length, shards: [...report.shards.values()].reduce((n, s) => n + s, 0), blocksVerified: report.blocksVerified };
}
