import type { S3Request } from '../request.js';
import { sendXml, xmlDate } from '../response.js';

export const OWNER = { ID: 'tessera', DisplayName: 'tessera' };

export async function listBuckets(req: S3Request): Promise<void> {
  const buckets = await req.objects.listBuckets();
  sendXml(req.ctx, 'ListAllMyBucketsResult', {
    Owner: OWNER,
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: xmlDate(b.created) })) },
  });
}
