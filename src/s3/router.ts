/** Which handler serves a request: by method, by what the path names, and by sub-resource. */
import { S3Error } from '../errors.js';
import * as bucket from './handlers/bucket.js';
import { deleteObjects } from './handlers/delete-objects.js';
import { listObjectsV1, listObjectsV2 } from './handlers/list.js';
import * as object from './handlers/object.js';
import * as multipart from './handlers/multipart.js';
import * as acl from './handlers/acl.js';
import { getObjectAttributes } from './handlers/attributes.js';
import { listBuckets } from './handlers/service.js';
import * as tagging from './handlers/tagging.js';
import * as versioning from './handlers/versioning.js';
import * as objectLock from './handlers/object-lock.js';
import * as lifecycle from './handlers/lifecycle.js';
import { getVeeamSystemObject, isVeeamSystemObject } from './handlers/veeam.js';
import type { S3Request } from './request.js';

type Handler = (req: S3Request) => Promise<void>;

/** Query parameters that select a sub-resource or an API other than the plain one. */
const SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering',
  'inventory', 'legal-hold', 'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock',
  'ownershipControls', 'partNumber', 'policy', 'policyStatus', 'publicAccessBlock', 'replication',
  'requestPayment', 'restore', 'retention', 'select', 'tagging', 'torrent', 'uploadId', 'uploads',
  'versioning', 'versions', 'website',
]);

function subresourceOf(query: URLSearchParams): string {
  const found = [...query.keys()].filter((k) => SUBRESOURCES.has(k));
  return found.length === 1 ? found[0] : found.sort().join('&');
}

const serviceRoutes: Record<string, Handler> = { 'GET ': listBuckets };

const bucketRoutes: Record<string, Handler> = {
  'PUT ': bucket.createBucket,
  'HEAD ': bucket.headBucket,
  'DELETE ': bucket.deleteBucket,
  'GET location': bucket.getBucketLocation,
  'GET versioning': versioning.getBucketVersioning,
  'PUT versioning': versioning.putBucketVersioning,
  'GET versions': versioning.listObjectVersions,
  'GET object-lock': objectLock.getObjectLockConfiguration,
  'PUT object-lock': objectLock.putObjectLockConfiguration,
  'GET lifecycle': lifecycle.getBucketLifecycle,
  'PUT lifecycle': lifecycle.putBucketLifecycle,
  'DELETE lifecycle': lifecycle.deleteBucketLifecycle,
  'POST delete': deleteObjects,
  'GET uploads': multipart.listMultipartUploads,
  'GET acl': acl.getAcl,
  'PUT acl': acl.putAcl,
  'GET tagging': tagging.getBucketTagging,
  'PUT tagging': tagging.putBucketTagging,
  'DELETE tagging': tagging.deleteBucketTagging,
};

const objectRoutes: Record<string, Handler> = {
  'PUT ': object.putObject,
  'GET ': object.getObject,
  'HEAD ': object.headObject,
  'DELETE ': object.deleteObject,
  'GET partNumber': object.getObject,
  'HEAD partNumber': object.headObject,
  'GET attributes': getObjectAttributes,
  'GET tagging': tagging.getObjectTagging,
  'PUT tagging': tagging.putObjectTagging,
  'DELETE tagging': tagging.deleteObjectTagging,
  'GET retention': objectLock.getObjectRetention,
  'PUT retention': objectLock.putObjectRetention,
  'GET legal-hold': objectLock.getObjectLegalHold,
  'PUT legal-hold': objectLock.putObjectLegalHold,
  'GET acl': acl.getAcl,
  'PUT acl': acl.putAcl,
  'POST uploads': multipart.createMultipartUpload,
  'PUT partNumber&uploadId': multipart.uploadPart,
  'POST uploadId': multipart.completeMultipartUpload,
  'DELETE uploadId': multipart.abortMultipartUpload,
  'GET uploadId': multipart.listParts,
};

export function route(req: S3Request): Handler {
  const { bucket: bucketName, key, query } = req.target;
  const method = req.ctx.method;
  const sub = subresourceOf(query);
  if (!bucketName) {
    const handler = serviceRoutes[`${method} ${sub}`];
    if (!handler) throw new S3Error('MethodNotAllowed');
    return handler;
  }
  if (key === undefined) {
    if (method === 'GET' && sub === '') return query.get('list-type') === '2' ? listObjectsV2 : listObjectsV1;
    const handler = bucketRoutes[`${method} ${sub}`];
    if (handler) return handler;
  } else {
    if ((method === 'GET' || method === 'HEAD') && sub === '' && isVeeamSystemObject(key)) return getVeeamSystemObject;
    const handler = objectRoutes[`${method} ${sub}`];
    if (handler) return handler;
  }
  if (sub === '') throw new S3Error('MethodNotAllowed');
  throw new S3Error('NotImplemented', `The ${sub} sub-resource is not implemented.`);
}
