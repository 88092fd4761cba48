/**
 * Browser-style POST Object uploads: a POST policy signed with SigV4, and a multipart/form-data body
 * built byte by byte so that tests control exactly what each field carries.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { amzDate, rawRequest, type RawResponse } from './raw.js';
import { ACCESS_KEY, SECRET_KEY } from './server.js';

/** The form fields that carry a policy with these conditions and its signature (x-amz-algorithm, -credential and -date are added to it). */
export function signedPolicyFields(conditions: unknown[], expiresInMs = 600_000, keys = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY }): Record<string, string> {
  const date = amzDate(new Date());
  const day = date.slice(0, 8);
  const credential = `${keys.accessKey}/${day}/us-east-1/s3/aws4_request`;
  const auth = { 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': credential, 'x-amz-date': date };
  const policy = Buffer.from(
    JSON.stringify({
      expiration: new Date(Date.now() + expiresInMs).toISOString(),
      conditions: [...conditions, ...Object.entries(auth).map(([name, value]) => ({ [name]: value }))],
    }),
  ).toString('base64');
  let key: Buffer | string = `AWS4${keys.secretKey}`;
  for (const part of [day, 'us-east-1', 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return { ...auth, policy, 'x-amz-signature': createHmac('sha256', key).update(policy).digest('hex') };
}

/** `fields` plus a signed policy that requires exactly these fields (and the bucket). */
export function exactPolicyForm(bucket: string, fields: Record<string, string>): Record<string, string> {
  const conditions = [{ bucket }, ...Object.entries(fields).map(([name, value]) => ({ [name]: value }))];
  return { ...fields, ...signedPolicyFields(conditions) };
}

/**
 * A multipart/form-data body: the fields in order, then the file. Part headers (field and file names)
 * and values are written as UTF-8, as browsers send them.
 */
export function formBody(fields: Record<string, string>, file: { name: string; content: string | Buffer }): { body: Buffer; contentType: string } {
  const boundary = `----tessera${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`, 'utf8'), Buffer.from(value, 'utf8'), Buffer.from('\r\n'));
  }
  parts.push(
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8'),
    Buffer.from(file.content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POSTs a form to a bucket, unsigned at the HTTP level as a browser does. */
export function postForm(endpoint: string, bucket: string, fields: Record<string, string>, file: { name: string; content: string | Buffer }): Promise<RawResponse> {
  const { body, contentType } = formBody(fields, file);
  return rawRequest(endpoint, { method: 'POST', path: `/${bucket}`, headers: { 'content-type': contentType }, body, sign: false });
}
