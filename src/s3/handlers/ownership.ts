/**
 * Put/Get/DeleteBucketOwnershipControls (S3 Object Ownership). A bucket never given controls is
 * BucketOwnerEnforced, as new S3 buckets are; once they are deleted, GET answers
 * OwnershipControlsNotFoundError and the bucket behaves as ObjectWriter (ACLs on), as S3 does.
 */
import { S3Error } from '../../errors.js';
import { OBJECT_OWNERSHIPS, type ObjectOwnership } from '../../meta/acl.js';
import { ownershipOf } from '../../iam/bucket-access.js';
import { onlyOwnerFullControl } from '../acl.js';
import { readSmallBody } from '../read-body.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml } from '../response.js';
import { parseXml } from '../xml.js';
import { existingBucketAccess } from './acl.js';

function parseOwnershipControls(text: string): ObjectOwnership {
  const controls = parseXml(text).OwnershipControls as { Rule?: unknown } | undefined;
  const rule = controls?.Rule as { ObjectOwnership?: unknown } | undefined;
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw new S3Error('MalformedXML');
  const value = rule.ObjectOwnership;
  if (typeof value !== 'string' || !(OBJECT_OWNERSHIPS as readonly string[]).includes(value)) throw new S3Error('MalformedXML');
  return value as ObjectOwnership;
}

export async function putBucketOwnershipControls(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const ownership = parseOwnershipControls(await readSmallBody(req));
  const { owner } = (await existingBucketAccess(req.iam, bucket)).ownership;
  await req.objects.updateBucketConfig(bucket, ({ stamp: _stamp, ...rest }) => {
    // ACLs can be turned off only once the bucket's own ACL (as stored now, under the lock) gives nobody but its owner anything.
    if (ownership === 'BucketOwnerEnforced' && !onlyOwnerFullControl(rest.acl ?? [], owner)) throw new S3Error('InvalidBucketAclWithObjectOwnership');
    return { ...rest, ownership };
  });
  await req.iam.bucketAccessChanged(bucket);
  req.ctx.status = 200;
  req.ctx.body = '';
}

export async function getBucketOwnershipControls(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const config = await req.objects.getBucketConfig(bucket);
  if (config.ownership === 'unset') throw new S3Error('OwnershipControlsNotFoundError', undefined, { BucketName: bucket });
  sendXml(req.ctx, 'OwnershipControls', { Rule: { ObjectOwnership: ownershipOf(config) } });
}

export async function deleteBucketOwnershipControls(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  await req.objects.updateBucketConfig(bucket, ({ stamp: _stamp, ...rest }) => ({ ...rest, ownership: 'unset' }));
  await req.iam.bucketAccessChanged(bucket);
  req.ctx.status = 204;
}
