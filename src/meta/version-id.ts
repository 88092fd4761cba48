/**
 * Version ids: `null` for the version written while versioning is off or suspended, otherwise a
 * UUID of version 7 (RFC 9562), whose first 48 bits are the version's modification time in ms. Ids of
 * one key's versions sort as the versions do (a commit gives each new version a later time than the
 * key's newest), so a listing can resume after a version that was deleted since it was named.
 */
import { randomBytes } from 'node:crypto';

export const NULL_VERSION_ID = 'null';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function newVersionId(modTime: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(modTime, 0, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for `null` and for ids this server makes. */
export function isVersionId(value: string): boolean {
  return value === NULL_VERSION_ID || UUID_V7.test(value);
}

/** The modification time a (non-null) version id was made for. */
export function versionIdTime(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
