/**
 * Browser-style POST Object uploads: a POST policy signed with SigV4 (or SigV2, as boto3 signs by
 * default), and a multipart/form-data body built byte by byte so that tests control exactly what
 * each field carries.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { amzDate, rawRequest, type RawResponse } from './raw.js';
import { ACCESS_KEY, SECRET_KEY } from './server.js';

type Keys = { accessKey: string; secretKey: string };
const ROOT: Keys = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY };

const base64 = (text: string): string => Buffer.from(text).toString('base64');

/** The SigV4 fields a form and its policy name: algorithm, credential (for us-east-1) and date. */
function sigV4Auth(date: string, keys: Keys): Record<string, string> {
  return { 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': `${keys.accessKey}/${date.slice(0, 8)}/us-east-1/s3/aws4_request`, 'x-amz-date': date };
}

/** The SigV4 fields that sign `policyText` (any text: tests also sign documents that are not valid policies). */
export function sigV4Fields(policyText: string, date = amzDate(new Date()), keys: Keys = ROOT): Record<string, string> {
  const policy = base64(policyText);
  let key: Buffer | string = `AWS4${keys.secretKey}`;
  for (const part of [date.slice(0, 8), 'us-east-1', 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return { ...sigV4Auth(date, keys), policy, 'x-amz-signature': createHmac('sha256', key).update(policy).digest('hex') };
}

/** The SigV2 fields that sign `policyText`: AWSAccessKeyId, policy and the base64 HMAC-SHA1 signature. */
export function sigV2Fields(policyText: string, keys: Keys = ROOT): Record<string, string> {
  const policy = base64(policyText);
  return { AWSAccessKeyId: keys.accessKey, policy, signature: createHmac('sha1', keys.secretKey).update(policy).digest('base64') };
}

/** A policy document with these conditions, expiring `expiresInMs` from now. */
export function policyDocument(conditions: unknown[], expiresInMs = 600_000): string {
  return JSON.stringify({ expiration: new Date(Date.now() + expiresInMs).toISOString(), conditions });
}

/** The form fields that carry a policy with these conditions and its signature (x-amz-algorithm, -credential and -date are added to it). */
export function signedPolicyFields(conditions: unknown[], expiresInMs = 600_000, keys: Keys = ROOT): Record<string, string> {
  const date = amzDate(new Date());
  const signing = Object.entries(sigV4Auth(date, keys)).map(([name, value]) => ({ [name]: value }));
  return sigV4Fields(policyDocument([...conditions, ...signing], expiresInMs), date, keys);
}

/** `fields` plus a signed policy that requires exactly these fields (and the bucket). */
export function exactPolicyForm(bucket: string, fields: Record<string, string>): Record<string, string> {
  const conditions = [{ bucket }, ...Object.entries(fields).map(([name, value]) => ({ [name]: value }))];
  return { ...fields, ...signedPolicyFields(conditions) };
}

/**
 * The file part: `name` is its filename parameter (none when undefined), `contentType` its part
 * header (application/octet-stream unless given; none when null), `field` its part name (`file`).
 */
export interface FilePart {
  name?: string;
  content: string | Buffer;
  contentType?: string | null;
  field?: string;
}

export interface FormOptions {
  /** Every field part also carries filename="<its name>", as Python's requests sends `files=` entries. */
  fieldsAsFiles?: boolean;
}

/**
 * A multipart/form-data body: the fields in order (entries, so that a name may repeat), then the
 * file. Part headers (field and file names) and values are written as UTF-8, as browsers send them.
 */
export function formBody(fields: Record<string, string> | [string, string][], file: FilePart, options: FormOptions = {}): { body: Buffer; contentType: string } {
  const boundary = `----tessera${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Array.isArray(fields) ? fields : Object.entries(fields)) {
    const filename = options.fieldsAsFiles ? `; filename="${name}"` : '';
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename}\r\n\r\n`, 'utf8'), Buffer.from(value, 'utf8'), Buffer.from('\r\n'));
  }
  const filename = file.name === undefined ? '' : `; filename="${file.name}"`;
  const contentType = file.contentType === null ? '' : `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n`;
  parts.push(
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"${filename}\r\n${contentType}\r\n`, 'utf8'),
    Buffer.from(file.content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POSTs a form to a bucket, unsigned at the HTTP level as a browser does. */
export function postForm(endpoint: string, bucket: string, fields: Record<string, string> | [string, string][], file: FilePart, options: FormOptions = {}): Promise<RawResponse> {
  const { body, contentType } = formBody(fields, file, options);
  return rawRequest(endpoint, { method: 'POST', path: `/${bucket}`, headers: { 'content-type': contentType }, body, sign: false });
}
