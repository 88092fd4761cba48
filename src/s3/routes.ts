/** Which handler serves a request, and which permission it needs: by method, by what the path names, and by sub-resource. */
import { S3Error } from '../errors.js';
import * as bucket from './handlers/bucket.js';
import { deleteObjects } from './handlers/delete-objects.js';
import { listObjectsV1, listObjectsV2 } from './handlers/list.js';
import * as object from './handlers/object.js';
import * as multipart from './handlers/multipart.js';
import * as acl from './handlers/acl.js';
import * as ownership from './handlers/ownership.js';
import { getObjectAttributes } from './handlers/attributes.js';
import { listBuckets } from './handlers/service.js';
import * as tagging from './handlers/tagging.js';
import * as versioning from './handlers/versioning.js';
import * as objectLock from './handlers/object-lock.js';
import * as lifecycle from './handlers/lifecycle.js';
import { getVeeamSystemObject, isVeeamSystemObject } from './handlers/veeam.js';
import * as bucketPolicy from './handlers/bucket-policy.js';
import type { S3Action } from '../iam/actions.js';
import type { S3Request, S3Target } from './request.js';
import { SUBRESOURCES } from './subresources.js';

type Handler = (req: S3Request) => Promise<void>;

function subresourceOf(query: URLSearchParams): string {
  const found = [...query.keys()].filter((k) => SUBRESOURCES.has(k));
  return found.length === 1 ? found[0] : found.sort().join('&');
}

/**
 * A route: the handler, and the permission the request needs, by its AWS action name. `versionAction`
 * is the permission when the request names a version (`?versionId=`). `decidedBy: 'handler'` marks
 * requests decided in parts: PutObjectTagging (s3:RequestObjectTag conditions read the tags in its
 * body), DeleteObjects (each key is decided on its own) and ListBuckets (each bucket); their handlers ask.
 */
export interface Route {
  handler: Handler;
  action: S3Action;
  versionAction?: S3Action;
  decidedBy?: 'handler';
}

// ListBuckets shows each identity the buckets it may see (see its handler).
const serviceRoutes: Record<string, Route> = { 'GET ': { handler: listBuckets, action: 's3:ListAllMyBuckets', decidedBy: 'handler' } };

const LIST_OBJECTS_V1: Route = { handler: listObjectsV1, action: 's3:ListBucket' };
const LIST_OBJECTS_V2: Route = { handler: listObjectsV2, action: 's3:ListBucket' };

const bucketRoutes: Record<string, Route> = {
  'PUT ': { handler: bucket.createBucket, action: 's3:CreateBucket' },
  'HEAD ': { handler: bucket.headBucket, action: 's3:ListBucket' },
  'DELETE ': { handler: bucket.deleteBucket, action: 's3:DeleteBucket' },
  'GET location': { handler: bucket.getBucketLocation, action: 's3:GetBucketLocation' },
  'GET versioning': { handler: versioning.getBucketVersioning, action: 's3:GetBucketVersioning' },
  'PUT versioning': { handler: versioning.putBucketVersioning, action: 's3:PutBucketVersioning' },
  'GET versions': { handler: versioning.listObjectVersions, action: 's3:ListBucketVersions' },
  'GET object-lock': { handler: objectLock.getObjectLockConfiguration, action: 's3:GetBucketObjectLockConfiguration' },
  'PUT object-lock': { handler: objectLock.putObjectLockConfiguration, action: 's3:PutBucketObjectLockConfiguration' },
  'GET lifecycle': { handler: lifecycle.getBucketLifecycle, action: 's3:GetLifecycleConfiguration' },
  'PUT lifecycle': { handler: lifecycle.putBucketLifecycle, action: 's3:PutLifecycleConfiguration' },
  'DELETE lifecycle': { handler: lifecycle.deleteBucketLifecycle, action: 's3:PutLifecycleConfiguration' },
  'GET policy': { handler: bucketPolicy.getBucketPolicy, action: 's3:GetBucketPolicy' },
  'PUT policy': { handler: bucketPolicy.putBucketPolicy, action: 's3:PutBucketPolicy' },
  'DELETE policy': { handler: bucketPolicy.deleteBucketPolicy, action: 's3:DeleteBucketPolicy' },
  'GET policyStatus': { handler: bucketPolicy.getBucketPolicyStatus, action: 's3:GetBucketPolicyStatus' },
  'GET publicAccessBlock': { handler: bucketPolicy.getPublicAccessBlock, action: 's3:GetBucketPublicAccessBlock' },
  'PUT publicAccessBlock': { handler: bucketPolicy.putPublicAccessBlock, action: 's3:PutBucketPublicAccessBlock' },
  'DELETE publicAccessBlock': { handler: bucketPolicy.deletePublicAccessBlock, action: 's3:PutBucketPublicAccessBlock' },
  'POST delete': { handler: deleteObjects, action: 's3:DeleteObject', decidedBy: 'handler' },
  'GET uploads': { handler: multipart.listMultipartUploads, action: 's3:ListBucketMultipartUploads' },
  'GET acl': { handler: acl.getBucketAcl, action: 's3:GetBucketAcl' },
  'PUT acl': { handler: acl.putBucketAcl, action: 's3:PutBucketAcl' },
  'GET ownershipControls': { handler: ownership.getBucketOwnershipControls, action: 's3:GetBucketOwnershipControls' },
  'PUT ownershipControls': { handler: ownership.putBucketOwnershipControls, action: 's3:PutBucketOwnershipControls' },
  'DELETE ownershipControls': { handler: ownership.deleteBucketOwnershipControls, action: 's3:PutBucketOwnershipControls' },
  'GET tagging': { handler: tagging.getBucketTagging, action: 's3:GetBucketTagging' },
  'PUT tagging': { handler: tagging.putBucketTagging, action: 's3:PutBucketTagging' },
  'DELETE tagging': { handler: tagging.deleteBucketTagging, action: 's3:PutBucketTagging' },
};

const GET_OBJECT: Route = { handler: object.getObject, action: 's3:GetObject', versionAction: 's3:GetObjectVersion' };
const HEAD_OBJECT: Route = { handler: object.headObject, action: 's3:GetObject', versionAction: 's3:GetObjectVersion' };
const VEEAM_SYSTEM_OBJECT: Route = { handler: getVeeamSystemObject, action: 's3:GetObject' };

const objectRoutes: Record<string, Route> = {
  // A copy's read of its source is decided by the handler (s3:GetObject on the source).
  'PUT ': { handler: object.putObject, action: 's3:PutObject' },
  'GET ': GET_OBJECT,
  'HEAD ': HEAD_OBJECT,
  'DELETE ': { handler: object.deleteObject, action: 's3:DeleteObject', versionAction: 's3:DeleteObjectVersion' },
  'GET partNumber': GET_OBJECT,
  'HEAD partNumber': HEAD_OBJECT,
  'GET attributes': { handler: getObjectAttributes, action: 's3:GetObjectAttributes', versionAction: 's3:GetObjectVersionAttributes' },
  'GET tagging': { handler: tagging.getObjectTagging, action: 's3:GetObjectTagging', versionAction: 's3:GetObjectVersionTagging' },
  'PUT tagging': { handler: tagging.putObjectTagging, action: 's3:PutObjectTagging', versionAction: 's3:PutObjectVersionTagging', decidedBy: 'handler' },
  'DELETE tagging': { handler: tagging.deleteObjectTagging, action: 's3:DeleteObjectTagging', versionAction: 's3:DeleteObjectVersionTagging' },
  'GET retention': { handler: objectLock.getObjectRetention, action: 's3:GetObjectRetention' },
  'PUT retention': { handler: objectLock.putObjectRetention, action: 's3:PutObjectRetention' },
  'GET legal-hold': { handler: objectLock.getObjectLegalHold, action: 's3:GetObjectLegalHold' },
  'PUT legal-hold': { handler: objectLock.putObjectLegalHold, action: 's3:PutObjectLegalHold' },
  'GET acl': { handler: acl.getObjectAcl, action: 's3:GetObjectAcl', versionAction: 's3:GetObjectVersionAcl' },
  'PUT acl': { handler: acl.putObjectAcl, action: 's3:PutObjectAcl', versionAction: 's3:PutObjectVersionAcl' },
  'POST uploads': { handler: multipart.createMultipartUpload, action: 's3:PutObject' },
  'PUT partNumber&uploadId': { handler: multipart.uploadPart, action: 's3:PutObject' },
  'POST uploadId': { handler: multipart.completeMultipartUpload, action: 's3:PutObject' },
  'DELETE uploadId': { handler: multipart.abortMultipartUpload, action: 's3:AbortMultipartUpload' },
  'GET uploadId': { handler: multipart.listParts, action: 's3:ListMultipartUploadParts' },
};

function lookup(method: string, { bucket, key, query }: S3Target, sub: string): Route | undefined {
  if (!bucket) return serviceRoutes[`${method} ${sub}`];
  if (key === undefined) {
    if (method === 'GET' && sub === '') return query.get('list-type') === '2' ? LIST_OBJECTS_V2 : LIST_OBJECTS_V1;
    return bucketRoutes[`${method} ${sub}`];
  }
  if ((method === 'GET' || method === 'HEAD') && sub === '' && isVeeamSystemObject(key)) return VEEAM_SYSTEM_OBJECT;
  return objectRoutes[`${method} ${sub}`];
}

export function route(method: string, target: S3Target): Route {
  const sub = subresourceOf(target.query);
  const found = lookup(method, target, sub);
  if (found) return found;
  if (sub === '' || !target.bucket) throw new S3Error('MethodNotAllowed');
  throw new S3Error('NotImplemented', `The ${sub} sub-resource is not implemented.`);
}

/** Handlers whose names are not the S3 API's (the rest are, but for the first letter's case). */
const API_NAMES = new Map<Handler, string>([
  [listObjectsV1, 'ListObjects'],
  [getVeeamSystemObject, 'GetObject'],
]);

/**
 * The S3 API a request calls (PutObject, CompleteMultipartUpload, ...), for traces and metrics;
 * undefined for one S3 has no API for. A copy is told apart by its x-amz-copy-source header.
 */
export function apiName(method: string, target: S3Target, copySource: boolean): string | undefined {
  let handler: Handler;
  try {
    handler = route(method, target).handler;
  } catch {
    return undefined;
  }
  if (copySource && handler === object.putObject) return 'CopyObject';
  if (copySource && handler === multipart.uploadPart) return 'UploadPartCopy';
  const name = API_NAMES.get(handler) ?? handler.name;
  return name.charAt(0).toUpperCase() + name.slice(1);
}
