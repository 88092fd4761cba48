/** Versioning: PutBucketVersioning, GetBucketVersioning and ListObjectVersions. */
import { S3Error } from '../../errors.js';
import type { ListedObjectVersion } from '../../object/types.js';
import { checkVersionId } from '../object-request.js';
import { readSmallBody, requireBodyIntegrity } from '../read-body.js';
import { requireBucket, type S3Request } from '../request.js';
import { sendXml, xmlDate } from '../response.js';
import { RawXml, escapeXml, parseXml } from '../xml.js';
import { listParams } from '../list-params.js';
import { etagToSizeXml, ownerXml, storageClassXml } from './list.js';
import { ownerOfBucket } from './acl.js';
import type { Owner } from '../../meta/acl.js';

export async function putBucketVersioning(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  requireBodyIntegrity(req);
  await req.objects.getBucketInfo(bucket);
  const doc = parseXml(await readSmallBody(req));
  if (!('VersioningConfiguration' in doc)) throw new S3Error('MalformedXML');
  // An empty element parses as '': a configuration without a Status.
  const config = (doc.VersioningConfiguration || {}) as { Status?: unknown; MfaDelete?: unknown };
  if (typeof config !== 'object') throw new S3Error('MalformedXML');
  const { Status: status, MfaDelete: mfaDelete } = config;
  if (status !== 'Enabled' && status !== 'Suspended') throw new S3Error('IllegalVersioningConfigurationException');
  // MFA delete needs a device's codes with every versioned delete; there are none here to check.
  if (mfaDelete !== undefined && mfaDelete !== 'Disabled') {
    if (mfaDelete === 'Enabled') throw new S3Error('NotImplemented', 'MFA Delete is not supported.');
    throw new S3Error('MalformedXML');
  }
  await req.objects.updateBucketConfig(bucket, ({ stamp: _stamp, ...current }) => {
    if (current.objectLock && status !== 'Enabled') {
      throw new S3Error('InvalidBucketState', 'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.');
    }
    return { ...current, versioning: status };
  });
  req.ctx.status = 200;
  req.ctx.body = '';
}

export async function getBucketVersioning(req: S3Request): Promise<void> {
  const { versioning } = await req.objects.getBucketConfig(requireBucket(req));
  sendXml(req.ctx, 'VersioningConfiguration', versioning ? { Status: versioning } : {});
}

/** Version and DeleteMarker elements in the order they are listed, written directly (a page holds up to 1,000). */
function versionElements(versions: ListedObjectVersion[], encode: (v: string) => string, owner: Owner): RawXml {
  const ownerElement = ownerXml(owner);
  let xml = '';
  for (const v of versions) {
    const head = `<Key>${escapeXml(encode(v.key))}</Key><VersionId>${escapeXml(v.versionId)}</VersionId><IsLatest>${v.isLatest}</IsLatest><LastModified>${xmlDate(v.modTime)}</LastModified>`;
    xml += v.deleteMarker ? `<DeleteMarker>${head}${ownerElement}</DeleteMarker>` : `<Version>${head}${etagToSizeXml(v)}${storageClassXml(v)}${ownerElement}</Version>`;
  }
  return new RawXml(xml);
}

export async function listObjectVersions(req: S3Request): Promise<void> {
  const bucket = requireBucket(req);
  const p = listParams(req);
  const q = req.target.query;
  const keyMarker = q.get('key-marker') ?? undefined;
  const rawVersionMarker = q.get('version-id-marker') ?? undefined;
  if (rawVersionMarker && keyMarker === undefined) {
    throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker', ArgumentValue: rawVersionMarker });
  }
  const versionIdMarker = rawVersionMarker ? checkVersionId(rawVersionMarker, 'version-id-marker') : undefined;
  const result = await req.objects.listObjectVersions(bucket, { prefix: p.prefix, delimiter: p.delimiter, keyMarker, versionIdMarker, maxKeys: p.maxKeys });
  sendXml(req.ctx, 'ListVersionsResult', {
    Name: bucket,
    Prefix: p.encode(p.prefix),
    KeyMarker: p.encode(keyMarker ?? ''),
    VersionIdMarker: rawVersionMarker ?? '',
    ...(result.isTruncated && result.nextKeyMarker !== undefined ? { NextKeyMarker: p.encode(result.nextKeyMarker) } : {}),
    ...(result.isTruncated && result.nextVersionIdMarker !== undefined ? { NextVersionIdMarker: result.nextVersionIdMarker } : {}),
    MaxKeys: p.maxKeys,
    ...(p.delimiter ? { Delimiter: p.encode(p.delimiter) } : {}),
    ...(p.encodingType ? { EncodingType: p.encodingType } : {}),
    IsTruncated: result.isTruncated,
    Versions: versionElements(result.versions, p.encode, await ownerOfBucket(req, bucket)),
    ...(result.prefixes.length > 0 ? { CommonPrefixes: result.prefixes.map((prefix) => ({ Prefix: p.encode(prefix) })) } : {}),
  });
}
