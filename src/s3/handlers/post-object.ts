/**
 * POST Object: a browser form upload (multipart/form-data) authorised by a signed POST policy, or by
 * nothing, which only a bucket writable by anyone takes.
 */
import busboy from 'busboy';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { S3Error } from '../../errors.js';
import type { ObjectInfo, ObjectLayer } from '../../object/types.js';
import { MAX_OBJECT_SIZE, formFileBody } from '../body.js';
import { requestBody } from '../body-watchdog.js';
import { redirectLocation } from '../header-values.js';
import { validateBucketName, validateObjectKey } from '../names.js';
import { parityFor, storedHeaders, type HeaderSource } from '../object-request.js';
import { missingField, verifyPostPolicy, type FormSigner } from '../post-policy.js';
import type { Context } from 'koa';
import { objectUrl, quoteEtag, sendXml, setWrittenHeaders } from '../response.js';
import { OBJECT_TAG_LIMITS, parseTagSet } from '../tags.js';
import { lockFromHeaders, requireAttributePermissions } from '../object-lock.js';
import { declaresBodyDigest } from '../read-body.js';
import { requestTagConditions, type AccessCheck } from '../access.js';
import type { Iam } from '../../iam/iam.js';
import { objectAclFor } from './acl.js';

/**
 * The bytes of the form before its file part (fields, part headers and boundaries), and the number of
 * fields: checked as the form streams in, so nothing past them is ever buffered. AWS bounds the policy
 * alone to 20 KB.
 */
const MAX_FORM_PRE_DATA = 64 * 1024;
const MAX_FORM_FIELDS = 200;

/** The field that is the upload, whether or not its part names a file (a text area's is its text). */
const FILE_FIELD = 'file';
const FILENAME_VARIABLE = '${filename}';

export function isPostObject(ctx: Context, bucket: string | undefined, key: string | undefined): boolean {
  return ctx.method === 'POST' && bucket !== undefined && key === undefined && ctx.is('multipart/form-data') !== false;
}

/**
 * The form's fields by lower-cased name (S3 reads names in any case), a name given twice with its
 * values joined by commas, and `${filename}` in any of them replaced by the file's name, as S3 does
 * before it checks the policy.
 */
function formFields(entries: [string, string][], filename: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [name, raw] of entries) {
    const value = raw.replaceAll(FILENAME_VARIABLE, () => filename);
    const lower = name.toLowerCase();
    const earlier = fields.get(lower);
    fields.set(lower, earlier === undefined ? value : `${earlier},${value}`);
  }
  return fields;
}

/**
 * The answer to a stored upload: 303 to success_action_redirect (or the older `redirect`) with the
 * bucket, key and ETag added to its query, when it is a URL S3 can use; else success_action_status
 * 201 with a PostResponse, 200, or 204 for any other value or none.
 */
function answer(ctx: Context, fields: Map<string, string>, bucket: string, key: string, info: ObjectInfo): void {
  setWrittenHeaders(ctx, info);
  const etag = quoteEtag(info.etag);
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  const location = redirect === undefined ? undefined : redirectLocation(redirect, { bucket, key, etag });
  if (location) {
    ctx.status = 303;
    ctx.set('Location', location);
    ctx.body = '';
    return;
  }
  const objectLocation = objectUrl(ctx, bucket, key);
  ctx.set('Location', objectLocation);
  const status = Number(fields.get('success_action_status'));
  if (status === 201) {
    sendXml(ctx, 'PostResponse', { Location: objectLocation, Bucket: bucket, Key: key, ETag: etag }, 201, false);
  } else {
    ctx.status = status === 200 ? 200 : 204;
    ctx.body = '';
  }
}

async function storeFile(
  ctx: Context,
  objects: ObjectLayer,
  bucket: string,
  fields: Map<string, string>,
  file: Readable,
  iam: Iam,
  accessFor: AccessFor,
): Promise<void> {
  const key = fields.get('key');
  if (key === undefined) throw missingField('key');
  const policy = verifyPostPolicy(fields, bucket, iam.lookupSecret, MAX_OBJECT_SIZE);
  validateObjectKey(key);
  // The fields are the headers of the same write by PUT; the `acl` field is its x-amz-acl (the ACL
  // it sets, and what a condition on s3:x-amz-acl reads).
  const formHeaders = { ...Object.fromEntries(fields), 'x-amz-acl': fields.get('acl') };
  // A form's tags come as a Tagging document in its `tagging` field.
  const tagging = fields.get('tagging');
  const tags = tagging ? parseTagSet(tagging, OBJECT_TAG_LIMITS) : undefined;
  const headers = storedHeaders(formHeaders);
  const parity = parityFor(ctx, formHeaders);
  if (parity !== undefined) headers['x-amz-storage-class'] = 'REDUCED_REDUNDANCY';
  const body = formFileBody(file, formHeaders, policy);
  const access = accessFor(policy.signer, formHeaders);
  await access.require('s3:PutObject', { bucket, key }, tags ? requestTagConditions(tags) : undefined);
  const acl = await objectAclFor(iam, access, bucket, key, { 'x-amz-acl': formHeaders['x-amz-acl'] });
  const attributes = { ...(tags ? { tags } : {}), ...lockFromHeaders(formHeaders), ...acl };
  await requireAttributePermissions(access, { bucket, key }, attributes);
  answer(ctx, fields, bucket, key, await objects.putObject(bucket, key, body, { headers, parity, attributes, bodyDigest: declaresBodyDigest(formHeaders) }));
}

/**
 * The permission checks of the identity that signed a form (InvalidAccessKeyId when it is no longer
 * one), or of anonymous requests when there is no signer, whose conditions read `fields` as a
 * PUT's read its headers: what the form stores is decided.
 */
type AccessFor = (signer: FormSigner | undefined, fields: HeaderSource) => AccessCheck;

export async function postObject(
  ctx: Context,
  objects: ObjectLayer,
  iam: Iam,
  bucket: string,
  accessFor: AccessFor,
): Promise<void> {
  validateBucketName(bucket);
  await objects.getBucketInfo(bucket);
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: ctx.req.headers,
      // Browsers send file names (which `${filename}` puts into fields) as UTF-8.
      defParamCharset: 'utf8',
      limits: { files: MAX_FORM_FIELDS + 1, fields: MAX_FORM_FIELDS, fieldSize: MAX_FORM_PRE_DATA, parts: MAX_FORM_FIELDS + 20 },
    });
  } catch {
    throw new S3Error('MalformedPOSTRequest');
  }
  // The fields in form order: a part that names a file is still a field unless it is `file`.
  const entries: Promise<[string, string]>[] = [];
  let sawFile = false;
  const body = requestBody(ctx);
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      // Stop reading the form; a file being stored then fails instead of waiting for bytes forever.
      body.destroy();
      parser.destroy();
      reject(err);
    };
    const preDataTooLarge = (): void => {
      if (!sawFile) fail(new S3Error('MaxPostPreDataLengthExceededError'));
    };
    const store = (file: Readable, filename: string): void => {
      sawFile = true;
      Promise.all(entries)
        .then((read) => storeFile(ctx, objects, bucket, formFields(read, filename), file, iam, accessFor))
        .then(resolve, (err: unknown) => {
          file.resume();
          fail(err);
        });
    };
    // A handler's throw would escape through busboy's events and end the process: it fails the form instead.
    const guarded =
      <A extends unknown[]>(handler: (...args: A) => void) =>
      (...args: A): void => {
        try {
          handler(...args);
        } catch (err) {
          fail(err);
        }
      };
    const unnamed = (): void => fail(new S3Error('MalformedPOSTRequest', 'Every part of the form needs a name.'));
    parser.on('field', guarded((name: string | undefined, value: string, info: busboy.FieldInfo) => {
      // As in S3, fields after the file are ignored.
      if (sawFile) return;
      if (!name) return unnamed();
      if (info.valueTruncated) return preDataTooLarge();
      if (name.toLowerCase() === FILE_FIELD) store(Readable.from([Buffer.from(value)]), '');
      else entries.push(Promise.resolve([name, value]));
    }));
    parser.on('fieldsLimit', preDataTooLarge);
    parser.on('filesLimit', preDataTooLarge);
    parser.on('partsLimit', preDataTooLarge);
    parser.on('file', guarded((name: string | undefined, stream: Readable, info: busboy.FileInfo) => {
      // Failing the form errors the part being read, whether or not anyone still reads it.
      stream.on('error', () => undefined);
      if (sawFile) {
        stream.resume();
        return;
      }
      if (!name) return unnamed();
      if (name.toLowerCase() === FILE_FIELD) {
        store(stream, info.filename ?? '');
        return;
      }
      // Clients such as Python's requests send every field with a file name: its content is the value.
      const read = buffer(stream).then((bytes): [string, string] => [name, bytes.toString('utf8')]);
      read.catch(() => undefined);
      entries.push(read);
    }));
    parser.on('error', () => fail(new S3Error('MalformedPOSTRequest')));
    parser.on('close', () => {
      if (!sawFile) reject(new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.', { ArgumentName: 'file', ArgumentValue: '0' }));
    });
    body.on('error', fail);
    body.pipe(parser);
    // Added after pipe(), so it runs once the parser has taken the chunk: a chunk in which the file
    // part begins does not count against the fields before it.
    let preData = 0;
    body.on('data', (chunk: Buffer) => {
      preData += chunk.length;
      if (preData > MAX_FORM_PRE_DATA) preDataTooLarge();
    });
  });
}
