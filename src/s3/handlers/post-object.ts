/** POST Object: a browser form upload (multipart/form-data) authorised by a signed POST policy. */
import busboy from 'busboy';
import type { Readable } from 'node:stream';
import { S3Error } from '../../errors.js';
import type { ObjectLayer } from '../../object/types.js';
import { MAX_OBJECT_SIZE, hashingBody } from '../body.js';
import { requestBody } from '../body-watchdog.js';
import { redirectUrl } from '../header-values.js';
import { validateBucketName, validateObjectKey } from '../names.js';
import { storedHeaders, type HeaderSource } from '../object-request.js';
import { verifyPostPolicy } from '../post-policy.js';
import type { Context } from 'koa';
import { objectUrl, quoteEtag, sendXml, setVersionHeader } from '../response.js';
import { OBJECT_TAG_LIMITS, parseTagSet } from '../tags.js';
import { lockFromHeaders, requireAttributePermissions } from '../object-lock.js';
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

export function isPostObject(ctx: Context, bucket: string | undefined, key: string | undefined): boolean {
  return ctx.method === 'POST' && bucket !== undefined && key === undefined && ctx.is('multipart/form-data') !== false;
}

async function storeFile(
  ctx: Context,
  objects: ObjectLayer,
  bucket: string,
  fields: Map<string, string>,
  file: Readable,
  filename: string,
  iam: Iam,
  accessFor: AccessFor,
): Promise<void> {
  const rawKey = fields.get('key');
  if (rawKey === undefined) throw new S3Error('InvalidArgument', "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.");
  const policy = verifyPostPolicy(fields, bucket, iam.lookupSecret, MAX_OBJECT_SIZE);
  const key = rawKey.replace(/\$\{filename\}/g, filename);
  validateObjectKey(key);
  // A form's tags come as a Tagging document in its `tagging` field.
  const tagging = fields.get('tagging');
  const tags = tagging ? parseTagSet(tagging, OBJECT_TAG_LIMITS) : undefined;
  const headers = storedHeaders(Object.fromEntries(fields));
  const redirectField = fields.has('success_action_redirect') ? 'success_action_redirect' : 'redirect';
  const redirectValue = fields.get(redirectField);
  const redirect = redirectValue ? redirectUrl(redirectValue, redirectField) : undefined;
  const body = hashingBody(file as AsyncIterable<Buffer>, {
    maxSize: policy.maxSize,
    oversize: () => new S3Error('EntityTooLarge'),
    verify(d) {
      if (d.size < policy.minSize) throw new S3Error('EntityTooSmall');
    },
  });
  // The signer of the form needs what the same write by PUT would. The fields are its headers, and
  // its `acl` field is a PUT's x-amz-acl (for the ACL it sets and to a condition on s3:x-amz-acl).
  const formHeaders = { ...Object.fromEntries(fields), 'x-amz-acl': fields.get('acl') };
  const access = accessFor(policy.accessKey, formHeaders);
  await access.require('s3:PutObject', { bucket, key }, tags ? requestTagConditions(tags) : undefined);
  const acl = await objectAclFor(iam, access, bucket, key, { 'x-amz-acl': formHeaders['x-amz-acl'] });
  const attributes = { ...(tags ? { tags } : {}), ...lockFromHeaders(formHeaders), ...acl };
  await requireAttributePermissions(access, { bucket, key }, attributes);
  const info = await objects.putObject(bucket, key, body, { headers, attributes });
  setVersionHeader(ctx, info);

  if (redirect) {
    redirect.searchParams.set('bucket', bucket);
    redirect.searchParams.set('key', key);
    redirect.searchParams.set('etag', quoteEtag(info.etag));
    ctx.status = 303;
    ctx.set('Location', redirect.toString());
    ctx.body = '';
    return;
  }
  const status = Number(fields.get('success_action_status') ?? 204);
  const location = objectUrl(ctx, bucket, key);
  ctx.set('ETag', quoteEtag(info.etag));
  ctx.set('Location', location);
  if (status === 201) {
    sendXml(ctx, 'PostResponse', { Location: location, Bucket: bucket, Key: key, ETag: quoteEtag(info.etag) }, 201);
  } else {
    ctx.status = status === 200 ? 200 : 204;
    ctx.body = '';
  }
}

/**
 * The permission checks of the identity that signed a form (InvalidAccessKeyId when it is no longer
 * one), whose conditions read `fields` as a PUT's read its headers: what the form stores is decided.
 */
export type AccessFor = (accessKey: string, fields: HeaderSource) => AccessCheck;

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
      // Browsers send file names (which `${filename}` puts into keys) as UTF-8.
      defParamCharset: 'utf8',
      limits: { files: 1, fields: MAX_FORM_FIELDS, fieldSize: MAX_FORM_PRE_DATA, parts: MAX_FORM_FIELDS + 20 },
    });
  } catch {
    throw new S3Error('MalformedPOSTRequest');
  }
  const fields = new Map<string, string>();
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
    parser.on('field', (name, value, info) => {
      // As in S3, fields after the file are ignored.
      if (sawFile) return;
      if (info.valueTruncated) preDataTooLarge();
      fields.set(name.toLowerCase(), value);
    });
    parser.on('fieldsLimit', preDataTooLarge);
    parser.on('partsLimit', preDataTooLarge);
    parser.on('file', (name, stream, info) => {
      // Failing the form errors the part being read, whether or not anyone still reads it.
      stream.on('error', () => undefined);
      if (name.toLowerCase() !== 'file' || sawFile) {
        stream.resume();
        return;
      }
      sawFile = true;
      storeFile(ctx, objects, bucket, fields, stream, info.filename ?? '', iam, accessFor).then(resolve, (err: unknown) => {
        stream.resume();
        fail(err);
      });
    });
    parser.on('error', () => fail(new S3Error('MalformedPOSTRequest')));
    parser.on('close', () => {
      if (!sawFile) reject(new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.'));
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
