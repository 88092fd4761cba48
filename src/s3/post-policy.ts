/**
 * Browser uploads with a POST policy: the form carries a base64 JSON policy signed with SigV4, whose
 * conditions every other form field must satisfy.
 */
import { createHmac } from 'node:crypto';
import { S3Error } from '../errors.js';
import { deriveSigningKey, hmacSha256, parseAmzDate, signaturesEqual } from './auth/sigv4.js';

/** Form fields that need no condition in the policy. */
const EXEMPT_FIELDS = new Set(['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file']);

export interface PolicyOutcome {
  accessKey: string;
  /** Bounds from a content-length-range condition. */
  minSize: number;
  maxSize: number;
}

type Condition = Record<string, unknown> | unknown[];

function policyError(reason: string): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: ${reason}`);
}

/**
 * The policy's signature: SigV4 (x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature), or
 * the older SigV2 form (AWSAccessKeyId, signature) that boto3 still produces by default.
 */
function verifyPolicySignature(fields: Map<string, string>, policyB64: string, lookupSecret: (accessKey: string) => string | undefined): string {
  const v2Key = fields.get('awsaccesskeyid');
  if (v2Key !== undefined && !fields.has('x-amz-algorithm')) {
    const secret = lookupSecret(v2Key);
    if (secret === undefined) throw new S3Error('InvalidAccessKeyId');
    const expected = createHmac('sha1', secret).update(policyB64).digest('base64');
    if (!signaturesEqual(expected, fields.get('signature') ?? '')) throw new S3Error('SignatureDoesNotMatch');
    return v2Key;
  }
  if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
    throw new S3Error('InvalidArgument', 'Only the AWS4-HMAC-SHA256 algorithm is supported for POST policies.');
  }
  const credential = fields.get('x-amz-credential') ?? '';
  const [accessKey, date, region, service, terminator] = credential.split('/');
  if (!accessKey || !date || !region || service !== 's3' || terminator !== 'aws4_request') {
    throw new S3Error('AuthorizationQueryParametersError', 'The x-amz-credential field is malformed.');
  }
  if (!parseAmzDate(fields.get('x-amz-date') ?? '')) throw new S3Error('AccessDenied', 'The x-amz-date field is missing or malformed.');
  const secret = lookupSecret(accessKey);
  if (secret === undefined) throw new S3Error('InvalidAccessKeyId');
  const expected = hmacSha256(deriveSigningKey(secret, date, region, 's3'), policyB64).toString('hex');
  if (!signaturesEqual(expected, fields.get('x-amz-signature') ?? '')) throw new S3Error('SignatureDoesNotMatch');
  return accessKey;
}

/** Checks the signature, expiry and every condition of the form's policy against its fields (names lower-cased). */
export function verifyPostPolicy(
  fields: Map<string, string>,
  bucket: string,
  lookupSecret: (accessKey: string) => string | undefined,
  maxObjectSize: number,
  now = new Date(),
): PolicyOutcome {
  const policyB64 = fields.get('policy');
  if (!policyB64) throw new S3Error('AccessDenied', 'Anonymous POST uploads are not allowed.');
  const accessKey = verifyPolicySignature(fields, policyB64, lookupSecret);
  let policy: { expiration?: unknown; conditions?: unknown };
  try {
    policy = JSON.parse(Buffer.from(policyB64, 'base64').toString('utf8')) as typeof policy;
  } catch {
    throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  const expiration = typeof policy.expiration === 'string' ? new Date(policy.expiration) : undefined;
  if (!expiration || Number.isNaN(expiration.getTime())) throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: Policy missing expiration.');
  if (expiration.getTime() < now.getTime()) throw policyError('Policy expired.');
  if (!Array.isArray(policy.conditions)) throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: Policy missing conditions.');

  const values = new Map(fields);
  values.set('bucket', bucket);
  const covered = new Set<string>();
  let minSize = 0;
  let maxSize = maxObjectSize;
  for (const condition of policy.conditions as Condition[]) {
    if (Array.isArray(condition)) {
      const [op, rawName, operand] = condition;
      const operator = String(op).toLowerCase();
      if (operator === 'content-length-range') {
        minSize = Number(rawName);
        maxSize = Number(operand);
        if (!(minSize >= 0 && maxSize >= minSize)) throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: Invalid content-length-range.');
        continue;
      }
      const name = String(rawName).replace(/^\$/, '').toLowerCase();
      const value = values.get(name) ?? '';
      covered.add(name);
      if (operator === 'eq' && value !== String(operand)) throw policyError(`Policy Condition failed: ["eq", "$${name}", "${String(operand)}"]`);
      if (operator === 'starts-with' && !value.startsWith(String(operand))) {
        throw policyError(`Policy Condition failed: ["starts-with", "$${name}", "${String(operand)}"]`);
      }
      if (operator !== 'eq' && operator !== 'starts-with') throw new S3Error('InvalidPolicyDocument', `Invalid Policy: Unknown condition ${operator}.`);
    } else if (condition && typeof condition === 'object') {
      for (const [rawName, operand] of Object.entries(condition)) {
        const name = rawName.toLowerCase();
        covered.add(name);
        if ((values.get(name) ?? '') !== String(operand)) throw policyError(`Policy Condition failed: ["eq", "$${name}", "${String(operand)}"]`);
      }
    }
  }
  for (const name of fields.keys()) {
    if (EXEMPT_FIELDS.has(name) || name.startsWith('x-ignore-') || covered.has(name)) continue;
    throw policyError(`Extra input fields: ${name}`);
  }
  return { accessKey, minSize, maxSize };
}
