/** POST Object: a browser form upload (multipart/form-data) authorised by a signed POST policy. */
import busboy from 'busboy';
import type { Readable } from 'node:stream';
import { S3Error } from '../../errors.js';
import type { ObjectLayer } from '../../object/types.js';
import { MAX_OBJECT_SIZE, hashingBody } from '../body.js';
import { redirectUrl } from '../header-values.js';
import { validateBucketName, validateObjectKey } from '../names.js';
import { storedHeaders } from '../object-request.js';
import { verifyPostPolicy } from '../post-policy.js';
import type { Context } from 'koa';
import { objectUrl, quoteEtag, sendXml } from '../response.js';

const MAX_FORM_FIELD_BYTES = 64 * 1024;

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
  lookupSecret: (accessKey: string) => string | undefined,
): Promise<void> {
  const rawKey = fields.get('key');
  if (rawKey === undefined) throw new S3Error('InvalidArgument', "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.");
  const policy = verifyPostPolicy(fields, bucket, lookupSecret, MAX_OBJECT_SIZE);
  const key = rawKey.replace(/\$\{filename\}/g, filename);
  validateObjectKey(key);
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
  const info = await objects.putObject(bucket, key, body, { headers });

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

export async function postObject(ctx: Context, objects: ObjectLayer, bucket: string, lookupSecret: (accessKey: string) => string | undefined): Promise<void> {
  validateBucketName(bucket);
  await objects.getBucketInfo(bucket);
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: ctx.req.headers, limits: { files: 1, fields: 200, fieldSize: MAX_FORM_FIELD_BYTES, parts: 220 } });
  } catch {
    throw new S3Error('MalformedPOSTRequest');
  }
  const fields = new Map<string, string>();
  let sawFile = false;
  await new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) reject(new S3Error('MalformedPOSTRequest', `The form field ${name} is too large.`));
      fields.set(name.toLowerCase(), value);
    });
    parser.on('file', (name, stream, info) => {
      if (name.toLowerCase() !== 'file' || sawFile) {
        stream.resume();
        return;
      }
      sawFile = true;
      storeFile(ctx, objects, bucket, fields, stream, info.filename ?? '', lookupSecret).then(resolve, (err: unknown) => {
        stream.resume();
        reject(err);
      });
    });
    parser.on('error', () => reject(new S3Error('MalformedPOSTRequest')));
    parser.on('close', () => {
      if (!sawFile) reject(new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.'));
    });
    ctx.req.on('error', reject);
    ctx.req.pipe(parser);
  });
}
