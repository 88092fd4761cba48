/**
 * Bucket policies (Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus) and Block Public Access
 * (Put/Get/DeletePublicAccessBlock). Both live in the bucket's configuration; a change is announced
 * to every node (Iam.bucketAccessChanged) before it is acknowledged, so the next request anywhere is
 * decided by it.
 */
import { S3Error } from '../../errors.js';
import { MAX_BUCKET_POLICY_BYTES, PUBLIC_ACCESS_BLOCK_FIELDS, type BucketConfig, type PublicAccessBlockConfig } from '../../meta/bucket-config.js';
import { PolicyError, parsePolicy, type Policy } from '../../iam/policy/index.js';
import { readSmallBody } from '../read-body.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml } from '../response.js';
import { parseXml } from '../xml.js';

type Settings = Omit<BucketConfig, 'stamp'>;

async function changeAccess(req: S3Request, bucket: string, change: (current: Settings) => Settings): Promise<void> {
  await req.objects.updateBucketConfig(bucket, ({ stamp: _stamp, ...current }) => change(current));
  await req.iam.bucketAccessChanged(bucket);
}

function parseBucketPolicy(text: string, bucket: string): Policy {
  try {
    return parsePolicy(text, 'bucket', bucket);
  } catch (err) {
    if (err instanceof PolicyError) throw new S3Error('MalformedPolicy', err.message);
    throw err;
  }
}

export async function putBucketPolicy(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const text = await readSmallBody(req, MAX_BUCKET_POLICY_BYTES);
  if (Buffer.byteLength(text) > MAX_BUCKET_POLICY_BYTES) throw new S3Error('MalformedPolicy', 'Policies must be no larger than 20 KB.');
  const policy = parseBucketPolicy(text, bucket);
  await changeAccess(req, bucket, (current) => {
    // Checked against the settings the change is made on, under the configuration's lock.
    if (policy.isPublic && current.publicAccessBlock?.BlockPublicPolicy) throw new S3Error('AccessDenied', 'The bucket blocks public policies (BlockPublicPolicy).');
    return { ...current, policy: text };
  });
  req.ctx.status = 204;
}

async function storedPolicy(req: S3Request): Promise<{ bucket: string; text: string }> {
  const bucket = requireBucket(req);
  const { policy } = await req.objects.getBucketConfig(bucket);
  if (policy === undefined) throw new S3Error('NoSuchBucketPolicy', undefined, { BucketName: bucket });
  return { bucket, text: policy };
}

export async function getBucketPolicy(req: S3Request): Promise<void> {
  const { text } = await storedPolicy(req);
  req.ctx.status = 200;
  req.ctx.type = 'application/json';
  req.ctx.body = text;
}

export async function deleteBucketPolicy(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const { policy } = await req.objects.getBucketConfig(bucket);
  if (policy !== undefined) await changeAccess(req, bucket, ({ policy: _policy, ...rest }) => rest);
  req.ctx.status = 204;
}

export async function getBucketPolicyStatus(req: S3Request): Promise<void> {
  const { bucket, text } = await storedPolicy(req);
  sendXml(req.ctx, 'PolicyStatus', { IsPublic: parseBucketPolicy(text, bucket).isPublic });
}

function parsePublicAccessBlock(text: string): PublicAccessBlockConfig {
  const doc = parseXml(text).PublicAccessBlockConfiguration as Record<string, unknown> | undefined;
  if (typeof doc !== 'object' || doc === null) throw new S3Error('MalformedXML');
  const flag = (name: string): boolean => {
    const value = doc[name];
    if (value === undefined) return false;
    const text = String(value).trim().toLowerCase();
    if (text !== 'true' && text !== 'false') throw new S3Error('MalformedXML');
    return text === 'true';
  };
  for (const field of Object.keys(doc)) if (!field.startsWith('@_') && !(PUBLIC_ACCESS_BLOCK_FIELDS as readonly string[]).includes(field)) throw new S3Error('MalformedXML');
  return { BlockPublicAcls: flag('BlockPublicAcls'), IgnorePublicAcls: flag('IgnorePublicAcls'), BlockPublicPolicy: flag('BlockPublicPolicy'), RestrictPublicBuckets: flag('RestrictPublicBuckets') };
}

export async function putPublicAccessBlock(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const block = parsePublicAccessBlock(await readSmallBody(req));
  await changeAccess(req, bucket, (current) => ({ ...current, publicAccessBlock: block }));
  req.ctx.status = 200;
  req.ctx.body = '';
}

export async function getPublicAccessBlock(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const { publicAccessBlock } = await req.objects.getBucketConfig(bucket);
  if (!publicAccessBlock) throw new S3Error('NoSuchPublicAccessBlockConfiguration', undefined, { BucketName: bucket });
  sendXml(req.ctx, 'PublicAccessBlockConfiguration', { ...publicAccessBlock });
}

export async function deletePublicAccessBlock(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const { publicAccessBlock } = await req.objects.getBucketConfig(bucket);
  if (publicAccessBlock) await changeAccess(req, bucket, ({ publicAccessBlock: _block, ...rest }) => rest);
  req.ctx.status = 204;
}
