import { S3Error, isS3Error } from '../../errors.js';
import type { BucketInfo } from '../../object/types.js';
import { badContinuationToken } from '../error-mapping.js';
import type { S3Request } from '../request.js';
import { sendXml, xmlDate } from '../response.js';
import { countParam } from '../list-params.js';

/** The most buckets a ListBuckets page holds, and the page size when paging is asked for without max-buckets. */
const MAX_BUCKETS = 10_000;
const PAGING_PARAMETERS = ['max-buckets', 'continuation-token', 'prefix', 'bucket-region'];

/** A ListBuckets continuation token: opaque to clients, it names the last bucket of the page before. */
function tokenAfter(bucket: string): string {
  return Buffer.from(bucket).toString('base64url');
}

function bucketBefore(token: string): string {
  const bucket = Buffer.from(token, 'base64url').toString();
  if (!/^[a-z0-9.-]{1,63}$/.test(bucket) || tokenAfter(bucket) !== token) throw badContinuationToken();
  return bucket;
}

/**
 * ListBuckets: every bucket to an identity allowed s3:ListAllMyBuckets; to any other, the buckets it
 * may list or locate (as MinIO answers, so a user confined to a few buckets still sees them). Asked
 * with any of max-buckets, continuation-token, prefix or bucket-region, it answers a page (up to
 * 10,000 buckets) and a ContinuationToken when more follow; asked with none, all of them.
 */
export async function listBuckets(req: S3Request): Promise<void> {
  const { access } = req;
  if (access.identity.kind === 'anonymous') throw new S3Error('AccessDenied');
  const q = req.target.query;
  const paged = PAGING_PARAMETERS.some((name) => q.has(name));
  const pageSize = countParam(q, 'max-buckets', MAX_BUCKETS, 1, MAX_BUCKETS);
  const prefix = q.get('prefix') ?? '';
  const token = q.get('continuation-token') || undefined;
  const after = token === undefined ? undefined : bucketBefore(token);
  const region = req.ctx.state.region as string;
  // Every bucket of this server is in its region.
  const inRegion = (q.get('bucket-region') ?? region) === region;
  const candidates = inRegion ? (await req.objects.listBuckets()).filter((b) => b.name.startsWith(prefix) && (after === undefined || b.name > after)) : [];
  const mayListAll = await access.allowed('s3:ListAllMyBuckets');
  const page: BucketInfo[] = [];
  let more = false;
  for (const bucket of candidates) {
    if (!(mayListAll || (await mayFind(req, bucket.name)))) continue;
    if (paged && page.length === pageSize) {
      more = true;
      break;
    }
    page.push(bucket);
  }
  sendXml(req.ctx, 'ListAllMyBucketsResult', {
    Owner: { ID: access.identity.canonicalId, DisplayName: access.identity.displayName },
    Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: xmlDate(b.created), BucketRegion: region })) },
    ...(more ? { ContinuationToken: tokenAfter(page[page.length - 1].name) } : {}),
    ...(q.has('prefix') ? { Prefix: prefix } : {}),
  });
}

/** Whether the identity may list or locate the bucket; a bucket deleted since it was listed it may not. */
async function mayFind(req: S3Request, bucket: string): Promise<boolean> {
  try {
    return (await req.access.allowed('s3:ListBucket', { bucket })) || (await req.access.allowed('s3:GetBucketLocation', { bucket }));
  } catch (err) {
    if (isS3Error(err) && err.code === 'NoSuchBucket') return false;
    throw err;
  }
}
