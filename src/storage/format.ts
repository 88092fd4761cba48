/** `.tessera.sys/format.json`: which deployment, set layout and slot a drive belongs to. */

export interface DriveFormat {
  version: 1;
  deploymentId: string;
  /** Drive ids of every erasure set of the pool, in endpoint order. */
  sets: string[][];
  /** This drive's id. */
  thisDrive: string;
}

export function isDriveFormat(value: unknown): value is DriveFormat {
  const f = value as DriveFormat;
  const isId = (id: unknown): boolean => typeof id === 'string' && id.length <= 64;
  return (
    typeof f === 'object' && f !== null && f.version === 1 && isId(f.deploymentId) && isId(f.thisDrive) &&
    Array.isArray(f.sets) && f.sets.every((s) => Array.isArray(s) && s.every(isId))
  );
}

/** Position (set, slot) of a drive id in a format's layout, or undefined when it is not there. */
export function locateDrive(format: DriveFormat, driveId: string): { set: number; slot: number } | undefined {
  for (let set = 0; set < format.sets.length; set++) {
    const slot = format.sets[set].indexOf(driveId);
    if (slot >= 0) return { set, slot };
  }
  return undefined;
}

/** Two formats describe the same deployment and layout (they may differ in thisDrive). */
export function sameLayout(a: DriveFormat, b: DriveFormat): boolean {
  return a.deploymentId === b.deploymentId && JSON.stringify(a.sets) === JSON.stringify(b.sets);
}
