import { S3Error } from '../../errors.js';
import { isObjectLayerError } from '../../object/errors.js';
import { validateBucketName } from '../names.js';
import { firstValue } from '../object-request.js';
import { readSmallBody } from '../read-body.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml } from '../response.js';
import { parseXml } from '../xml.js';
import { newBucketAccess } from './acl.js';

export async function createBucket(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  validateBucketName(bucket);
  const text = await readSmallBody(req);
  if (text.trim() !== '') {
    const doc = parseXml(text);
    if (!('CreateBucketConfiguration' in doc)) throw new S3Error('MalformedXML');
  }
  const lock = firstValue(req.ctx.req.headers['x-amz-bucket-object-lock-enabled'])?.toLowerCase() === 'true';
  const config = { ...newBucketAccess(req), ...(lock ? { versioning: 'Enabled' as const, objectLock: {} } : {}) };
  const made = await req.objects.makeBucket(bucket, Object.keys(config).length > 0 ? config : undefined).then(
    () => true,
    (err: unknown) => {
      if (isObjectLayerError(err, 'bucket-exists')) return false;
      throw err;
    },
  );
  // Every node forgets what it knew of an earlier bucket of this name.
  if (made) await req.iam.bucketAccessChanged(bucket);
  else await refuseExisting(req, bucket, lock || asksForAccessSettings(req));
  req.ctx.set('Location', `/${bucket}`);
  req.ctx.status = 200;
  req.ctx.body = '';
}

/** A CreateBucket that sets an ACL or Object Ownership. */
function asksForAccessSettings(req: S3Request): boolean {
  return Object.keys(req.ctx.req.headers).some((name) => name === 'x-amz-acl' || name === 'x-amz-object-ownership' || name.startsWith('x-amz-grant-'));
}

/**
 * The answer to making a bucket that exists: BucketAlreadyExists to anyone but its owner (the identity
 * that made it: each user of this server is its own owner, see the README); BucketAlreadyOwnedByYou to
 * its owner, except in us-east-1, where S3 keeps its legacy answer, 200 OK (it returns normally). A
 * request that asks for settings (Object Lock, an ACL, ownership) is refused all the same: a 200
 * would tell the client the bucket has them.
 */
async function refuseExisting(req: S3Request, bucket: string, asksForSettings: boolean): Promise<void> {
  const access = await req.iam.bucketAccess.get(bucket);
  if (access && access.ownership.owner.id !== req.access.identity.canonicalId) throw new S3Error('BucketAlreadyExists');
  if (!access || asksForSettings || req.ctx.state.region !== 'us-east-1') throw new S3Error('BucketAlreadyOwnedByYou');
}

export async function headBucket(req: S3Request): Promise<void> {
  await req.objects.getBucketInfo(requireBucket(req));
  req.ctx.set('x-amz-bucket-region', req.ctx.state.region as string);
  req.ctx.status = 200;
  req.ctx.body = '';
}

export async function deleteBucket(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  await req.objects.deleteBucket(bucket);
  await req.iam.bucketAccessChanged(bucket);
  req.ctx.status = 204;
}

export async function getBucketLocation(req: S3Request): Promise<void> {
  await req.objects.getBucketInfo(requireBucket(req));
  const region = req.ctx.state.region as string;
  // S3 answers an empty constraint for us-east-1.
  sendXml(req.ctx, 'LocationConstraint', region === 'us-east-1' ? {} : { '#text': region });
}
