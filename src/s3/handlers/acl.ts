/**
 * ACLs: Tessera has one owner and no grants, like an S3 bucket with ACLs disabled. GET answers the
 * owner's FULL_CONTROL (clients such as s3cmd need a parseable ACL); PUT accepts only that.
 */
import { S3Error } from '../../errors.js';
import { firstValue, requestedVersion, requireKey } from '../object-request.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml } from '../response.js';
import { OWNER } from './service.js';

const ACCEPTED_CANNED = new Set(['private', 'bucket-owner-full-control']);

function ownerPolicy(): Record<string, unknown> {
  return {
    Owner: OWNER,
    AccessControlList: {
      Grant: {
        Grantee: { '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@_xsi:type': 'CanonicalUser', ...OWNER },
        Permission: 'FULL_CONTROL',
      },
    },
  };
}

async function checkTarget(req: S3Request): Promise<void> {
  if (req.target.key === undefined) await req.objects.getBucketInfo(requireBucket(req));
  else {
    const { bucket, key } = requireKey(req);
    await req.objects.getObjectInfo(bucket, key, requestedVersion(req));
  }
}

export async function getAcl(req: S3Request): Promise<void> {
  await checkTarget(req);
  sendXml(req.ctx, 'AccessControlPolicy', ownerPolicy());
}

export async function putAcl(req: S3Request): Promise<void> {
  await checkTarget(req);
  const canned = firstValue(req.ctx.req.headers['x-amz-acl']);
  if (canned !== undefined && !ACCEPTED_CANNED.has(canned)) {
    throw new S3Error('NotImplemented', 'Only the private ACL is supported; objects and buckets are owned by the deployment.');
  }
  req.ctx.status = 200;
  req.ctx.body = '';
}
