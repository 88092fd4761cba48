import { S3Error } from '../../errors.js';
import type { S3Request } from '../request.js';
import { sendXml, xmlDate } from '../response.js';

/**
 * ListBuckets: every bucket to an identity allowed s3:ListAllMyBuckets; to any other, the buckets it
 * may list or locate (as MinIO answers, so a user confined to a few buckets still sees them).
 */
export async function listBuckets(req: S3Request): Promise<void> {
  const { access } = req;
  if (access.identity.kind === 'anonymous') throw new S3Error('AccessDenied');
  const all = await req.objects.listBuckets();
  const mayListAll = await access.allowed('s3:ListAllMyBuckets');
  const buckets = [];
  for (const bucket of all) {
    if (mayListAll || (await access.allowed('s3:ListBucket', { bucket: bucket.name })) || (await access.allowed('s3:GetBucketLocation', { bucket: bucket.name }))) buckets.push(bucket);
  }
  sendXml(req.ctx, 'ListAllMyBucketsResult', {
    Owner: { ID: access.identity.canonicalId, DisplayName: access.identity.displayName },
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: xmlDate(b.created) })) },
  });
}
