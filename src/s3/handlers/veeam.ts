/**
 * Veeam's Smart Object Storage API: in every bucket, `.system-<uuid>/system.xml` (what this store
 * is and can report) and `.system-<uuid>/capacity.xml` (its capacity, from the drives) are made on
 * each GET or HEAD rather than stored, so Veeam Backup & Replication shows the repository's real
 * size and free space. Nothing else under that folder is special.
 */
import { createHash } from 'node:crypto';
import { requireKey } from '../object-request.js';
import type { S3Request } from '../request.js';
import { quoteEtag } from '../response.js';
import { toXml } from '../xml.js';

const SYSTEM_FOLDER = '.system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c/';
const SYSTEM_XML = `${SYSTEM_FOLDER}system.xml`;
const CAPACITY_XML = `${SYSTEM_FOLDER}capacity.xml`;
/** The block size Veeam is told to write in (KiB): whole erasure blocks of 1 MiB, four of them. */
const RECOMMENDED_BLOCK_KIB = 4096;

export function isVeeamSystemObject(key: string): boolean {
  return key === SYSTEM_XML || key === CAPACITY_XML;
}

async function document(req: S3Request, key: string): Promise<string> {
  if (key === SYSTEM_XML) {
    // The quotes around the version and the model are part of their values in Veeam's format.
    return toXml('SystemInfo', {
      ProtocolVersion: '"1.0"',
      ModelName: '"Tessera"',
      ProtocolCapabilities: { CapacityInfo: true, UploadSessions: false, IAMSTS: false },
      SystemRecommendations: { S3MultiObjectDeleteLimit: 1000, KbBlockSize: RECOMMENDED_BLOCK_KIB },
    }, false);
  }
  const { capacity, available, used } = await req.objects.capacity();
  return toXml('CapacityInfo', { Capacity: capacity, Available: available, Used: used }, false);
}

/** GET and HEAD of system.xml and capacity.xml. */
export async function getVeeamSystemObject(req: S3Request): Promise<void> {
  const { bucket, key } = requireKey(req);
  await req.objects.getBucketInfo(bucket);
  const body = Buffer.from(await document(req, key));
  req.ctx.set('ETag', quoteEtag(createHash('md5').update(body).digest('hex')));
  req.ctx.set('Last-Modified', new Date().toUTCString());
  req.ctx.type = 'application/xml';
  req.ctx.status = 200;
  if (req.ctx.method === 'HEAD') {
    req.ctx.set('Content-Length', String(body.length));
    return;
  }
  req.ctx.body = body;
}
