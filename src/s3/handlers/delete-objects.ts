import { S3Error } from '../../errors.js';
import { toS3Error } from '../error-mapping.js';
import { validateObjectKey } from '../names.js';
import { bypassesGovernance, checkVersionId } from '../object-request.js';
import { readSmallBody, requireBodyIntegrity } from '../read-body.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml } from '../response.js';
import { parseXml } from '../xml.js';
import type { DeleteOutcome } from '../../object/types.js';

const MAX_DELETE_KEYS = 1000;

interface DeleteEntry {
  Key?: unknown;
  VersionId?: unknown;
}

/** A Deleted element as S3 writes it: the version asked for, and a delete marker removed or made. */
function deletedEntry(key: string, versionId: string | undefined, outcome: DeleteOutcome): Record<string, unknown> {
  return {
    Key: key,
    ...(versionId !== undefined ? { VersionId: versionId } : {}),
    ...(outcome.deleteMarker ? { DeleteMarker: true, ...(outcome.versionId !== undefined ? { DeleteMarkerVersionId: outcome.versionId } : {}) } : {}),
  };
}

export async function deleteObjects(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  await req.objects.getBucketInfo(bucket);
  requireBodyIntegrity(req);
  // Keys are taken as sent: ' a ' is not 'a'.
  const doc = parseXml(await readSmallBody(req), true);
  const del = doc.Delete as { Object?: DeleteEntry | DeleteEntry[]; Quiet?: string } | undefined;
  if (!del || typeof del !== 'object') throw new S3Error('MalformedXML');
  const entries = del.Object === undefined ? [] : Array.isArray(del.Object) ? del.Object : [del.Object];
  if (entries.length === 0 || entries.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML');
  const quiet = String(del.Quiet ?? '').trim().toLowerCase() === 'true';

  const deleted: Record<string, unknown>[] = [];
  const errors: Record<string, unknown>[] = [];
  for (const entry of entries) {
    const key = typeof entry?.Key === 'string' ? entry.Key : undefined;
    if (key === undefined) throw new S3Error('MalformedXML');
    const versionId = entry.VersionId === undefined ? undefined : String(entry.VersionId);
    try {
      validateObjectKey(key);
      // Each key is decided on its own, as AWS decides DeleteObjects (the route asks nothing of the bucket).
      const version = versionId === undefined ? undefined : checkVersionId(versionId);
      const resource = { bucket, key, versionId: version };
      if (!(await req.access.allowed(version === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion', resource))) throw new S3Error('AccessDenied');
      const outcome = await req.objects.deleteObject(bucket, key, version, { bypassGovernance: await bypassesGovernance(req, resource) });
      if (!quiet) deleted.push(deletedEntry(key, versionId, outcome));
    } catch (err) {
      const answer = toS3Error(err);
      if (!answer) throw err;
      errors.push({ Key: key, ...(versionId !== undefined ? { VersionId: versionId } : {}), Code: answer.code, Message: answer.message });
    }
  }
  sendXml(req.ctx, 'DeleteResult', {
    ...(deleted.length > 0 ? { Deleted: deleted } : {}),
    ...(errors.length > 0 ? { Error: errors } : {}),
  });
}
