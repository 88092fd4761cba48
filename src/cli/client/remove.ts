/** Deleting many objects, their versions and incomplete multipart uploads, in batches. */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
} from '@aws-sdk/client-s3';
import { CliError, isNotImplemented } from './errors.js';
import type { Remote } from './remote.js';

const BATCH = 1000;

export interface KeyVersion {
  key: string;
  versionId?: string;
}

/** Deletes objects (or versions), 1000 per DeleteObjects call; `onDeleted` hears each success. */
export async function deleteKeys(
  remote: Remote,
  bucket: string,
  items: KeyVersion[],
  onDeleted: (item: KeyVersion) => void = () => {},
): Promise<void> {
  const failures: string[] = [];
  for (let i = 0; i < items.length; i += BATCH) {
    const batch = items.slice(i, i + BATCH);
    let result;
    try {
      result = await remote.client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((o) => ({ Key: o.key, VersionId: o.versionId })), Quiet: true },
        }),
      );
    } catch (err) {
      if (!isNotImplemented(err)) throw remote.explain(err, { bucket });
      for (const item of batch) {
        await remote.call({ bucket, key: item.key }, (c) => c.send(new DeleteObjectCommand({ Bucket: bucket, Key: item.key, VersionId: item.versionId })));
        onDeleted(item);
      }
      continue;
    }
    const failed = new Set<string>();
    for (const e of result.Errors ?? []) {
      failed.add(`${e.Key}\0${e.VersionId ?? ''}`);
      failures.push(`${remote.name(bucket, e.Key)}: ${e.Message ?? e.Code}`);
    }
    for (const item of batch) if (!failed.has(`${item.key}\0${item.versionId ?? ''}`)) onDeleted(item);
  }
  if (failures.length > 0) {
    throw new CliError(`could not remove ${failures.length} object(s), first ${failures[0]}`);
  }
}

/**
 * Every version and delete marker under `prefix`, or undefined if the server does not
 * implement versions (then there is nothing but the current objects).
 */
export async function listAllVersions(remote: Remote, bucket: string, prefix: string): Promise<KeyVersion[] | undefined> {
  const items: KeyVersion[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    let page;
    try {
      page = await remote.client.send(
        new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix || undefined, KeyMarker: keyMarker, VersionIdMarker: versionMarker }),
      );
    } catch (err) {
      if (isNotImplemented(err)) return undefined;
      throw remote.explain(err, { bucket });
    }
    for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
      if (v.Key !== undefined) items.push({ key: v.Key, versionId: v.VersionId });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return items;
}

export interface Incomplete {
  key: string;
  uploadId: string;
}

/** Incomplete multipart uploads under `prefix`, or undefined if the server has no multipart API. */
export async function listIncomplete(remote: Remote, bucket: string, prefix: string): Promise<Incomplete[] | undefined> {
  const uploads: Incomplete[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    let page;
    try {
      page = await remote.client.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix || undefined, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
      );
    } catch (err) {
      if (isNotImplemented(err)) return undefined;
      throw remote.explain(err, { bucket });
    }
    for (const u of page.Uploads ?? []) if (u.Key && u.UploadId) uploads.push({ key: u.Key, uploadId: u.UploadId });
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return uploads;
}

export async function abortUpload(remote: Remote, bucket: string, upload: Incomplete): Promise<void> {
  await remote.call({ bucket, key: upload.key }, (c) =>
    c.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.uploadId })),
  );
}
