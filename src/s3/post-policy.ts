/**
 * Browser uploads with a POST policy (AWS: "Browser-based uploads using POST", "POST policy"): who
 * signed the form (the SigV4 fields, the SigV2 fields boto3 still sends by default, or nobody: an
 * anonymous form, which only a bucket writable by anyone takes), and whether its fields meet every
 * condition of the base64 JSON policy that was signed. The fields come with lower-cased names and
 * `${filename}` already replaced: S3 matches the conditions against the expanded fields.
 */
import { S3Error } from '../errors.js';
import { SIGV2_ALGORITHM, sigV2Signature } from './auth/sigv2.js';
import { ALGORITHM, type SignatureAlgorithm, deriveSigningKey, hmacSha256, parseAmzDate, parseCredential, signaturesEqual } from './auth/sigv4.js';

/** Form fields that need no condition in the policy (SigV4's list and SigV2's). */
const EXEMPT_FIELDS = new Set(['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file']);

/** Fields that sign a form: any of them makes the form a signed one, which then needs all of its kind (named as S3 names them). */
const SIGV4_FIELDS: Record<string, string> = {
  'x-amz-algorithm': 'X-Amz-Algorithm',
  'x-amz-credential': 'X-Amz-Credential',
  'x-amz-date': 'X-Amz-Date',
  'x-amz-signature': 'X-Amz-Signature',
  policy: 'Policy',
};
const SIGV2_FIELDS: Record<string, string> = { awsaccesskeyid: 'AWSAccessKeyId', signature: 'Signature', policy: 'Policy' };

/** ISO 8601 in UTC, as S3 reads a policy's expiration (an offset or a space for the T is refused). */
const EXPIRATION_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}$/;

/** Who signed a form, and how. */
export interface FormSigner {
  accessKey: string;
  algorithm: SignatureAlgorithm;
}

export interface PolicyOutcome {
  /** Undefined for an anonymous form. */
  signer?: FormSigner;
  /** Bounds from the content-length-range conditions. */
  minSize: number;
  maxSize: number;
}

/** A condition on a field: `field` undefined when the policy did not name one with `$`, which no form meets. */
interface FieldCondition {
  test: 'eq' | 'starts-with';
  field: string | undefined;
  operand: string;
  /** The condition as the policy wrote it, for the message when it fails. */
  text: string;
}

/** The file's size bounds; `range` undefined when the policy gave bounds S3 cannot read, which no form meets. */
interface RangeCondition {
  test: 'content-length-range';
  range: [number, number] | undefined;
  text: string;
}

type Condition = FieldCondition | RangeCondition;

/** S3's answer to a form without a field it needs (fields after the file are never read, hence the hint). */
export function missingField(name: string): S3Error {
  return new S3Error('InvalidArgument', `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, {
    ArgumentName: name,
    ArgumentValue: '',
  });
}

function policyError(reason: string): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: ${reason}`);
}

function invalidPolicy(reason: string): S3Error {
  return new S3Error('InvalidPolicyDocument', `Invalid Policy: ${reason}`);
}

function signatureMismatch(accessKey: string, policy: string, provided: string): S3Error {
  return new S3Error('SignatureDoesNotMatch', undefined, { AWSAccessKeyId: accessKey, StringToSign: policy, SignatureProvided: provided });
}

function requireFields(fields: Map<string, string>, required: Record<string, string>): void {
  for (const [name, shown] of Object.entries(required)) if (!fields.has(name)) throw missingField(shown);
}

/** SigV4: the hex HMAC-SHA256 of the base64 policy, under the signing key of the credential's day and region. */
function verifySigV4Form(fields: Map<string, string>, policy: string, lookupSecret: (accessKey: string) => string | undefined): string {
  const algorithm = fields.get('x-amz-algorithm')!;
  if (algorithm !== ALGORITHM) {
    throw new S3Error('InvalidArgument', `Only the ${ALGORITHM} algorithm is supported for POST policies.`, { ArgumentName: 'X-Amz-Algorithm', ArgumentValue: algorithm });
  }
  const credential = fields.get('x-amz-credential')!;
  const { accessKey, date, region, service } = parseCredential(
    credential,
    (message) => new S3Error('InvalidArgument', message, { ArgumentName: 'X-Amz-Credential', ArgumentValue: credential }),
  );
  const amzDate = fields.get('x-amz-date')!;
  if (!parseAmzDate(amzDate)) {
    throw new S3Error('InvalidArgument', `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'".`, { ArgumentName: 'X-Amz-Date', ArgumentValue: amzDate });
  }
  const secret = lookupSecret(accessKey);
  if (secret === undefined) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKey });
  const provided = fields.get('x-amz-signature')!;
  const expected = hmacSha256(deriveSigningKey(secret, date, region, service), policy).toString('hex');
  if (!signaturesEqual(expected, provided)) throw signatureMismatch(accessKey, policy, provided);
  return accessKey;
}

/** SigV2: the base64 HMAC-SHA1 of the base64 policy under the secret key. */
function verifySigV2Form(fields: Map<string, string>, policy: string, lookupSecret: (accessKey: string) => string | undefined): string {
  const accessKey = fields.get('awsaccesskeyid')!;
  const secret = lookupSecret(accessKey);
  if (secret === undefined) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKey });
  const provided = fields.get('signature')!;
  if (!signaturesEqual(sigV2Signature(secret, policy), provided)) throw signatureMismatch(accessKey, policy, provided);
  return accessKey;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A content-length-range bound: a whole number of bytes, as a JSON number or a string of digits (S3 reads both); undefined for another string. */
function lengthBound(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw invalidPolicy('Invalid content-length-range: the bounds must be whole numbers of bytes.');
    return value;
  }
  if (typeof value === 'string') return /^\d+$/.test(value) ? Number(value) : undefined;
  throw invalidPolicy('Invalid JSON.');
}

/** `["eq" | "starts-with", "$field", "value"]` or `["content-length-range", min, max]` (operations in any case). */
function listCondition(list: unknown[]): Condition {
  const [operation, ...operands] = list;
  if (typeof operation !== 'string' || operation === '') throw invalidPolicy('Invalid Condition: missing operation identifier.');
  const test = operation.toLowerCase();
  if (test !== 'eq' && test !== 'starts-with' && test !== 'content-length-range') throw invalidPolicy(`Invalid Condition: unknown operation '${operation}'.`);
  if (operands.length !== 2) throw invalidPolicy(`Invalid ${test}: wrong number of arguments.`);
  const text = `[${list.map((item) => JSON.stringify(item)).join(', ')}]`;
  if (test === 'content-length-range') {
    const [min, max] = operands.map(lengthBound);
    if (min !== undefined && max !== undefined && min > max) throw invalidPolicy('Invalid content-length-range: the minimum is above the maximum.');
    return { test, range: min === undefined || max === undefined ? undefined : [min, max], text };
  }
  const [name, operand] = operands;
  if (typeof name !== 'string' || typeof operand !== 'string') throw invalidPolicy('Invalid JSON.');
  return { test, field: name.startsWith('$') ? name.slice(1).toLowerCase() : undefined, operand, text };
}

/** A condition in either form: a list, or an object with one field and its exact value. */
function parseCondition(condition: unknown): Condition {
  if (Array.isArray(condition)) return listCondition(condition);
  if (!isRecord(condition)) throw invalidPolicy('Invalid condition test: must be a List or Object.');
  const entries = Object.entries(condition);
  if (entries.length !== 1) throw invalidPolicy('Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.');
  const [name, value] = entries[0];
  if (typeof value !== 'string') throw invalidPolicy('Invalid Simple-Condition: value must be a string.');
  return { test: 'eq', field: name.toLowerCase(), operand: value, text: `[${['eq', `$${name}`, value].map((item) => JSON.stringify(item)).join(', ')}]` };
}

/** The policy document: exactly `expiration` (ISO 8601, UTC) and `conditions` (a list), both required; names are case-sensitive. */
function parsePolicy(policy: string): { expiration: Date; conditions: Condition[] } {
  if (!BASE64.test(policy)) throw invalidPolicy('invalid Base64 encoding.');
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (!isRecord(document)) throw invalidPolicy('Invalid JSON.');
  for (const name of Object.keys(document)) if (name !== 'expiration' && name !== 'conditions') throw invalidPolicy(`Unexpected: '${name.toLowerCase()}'`);
  const { expiration, conditions } = document;
  if (expiration === undefined) throw invalidPolicy('Policy missing expiration.');
  if (typeof expiration !== 'string' || !EXPIRATION_FORMAT.test(expiration) || Number.isNaN(Date.parse(expiration))) {
    throw invalidPolicy(`Invalid 'expiration' value: '${typeof expiration === 'string' ? expiration : JSON.stringify(expiration)}'`);
  }
  if (conditions === undefined) throw invalidPolicy('Policy missing conditions.');
  if (!Array.isArray(conditions)) throw invalidPolicy("Invalid 'conditions' value: must be a List.");
  return { expiration: new Date(expiration), conditions: conditions.map(parseCondition) };
}

/** Whether a field's value meets a condition; a Content-Type with commas is a list for starts-with, each of which must meet it. */
function meets(condition: FieldCondition, value: string): boolean {
  if (condition.test === 'eq') return value === condition.operand;
  const values = condition.field === 'content-type' ? value.split(',').map((v) => v.trimStart()) : [value];
  return values.every((v) => v.startsWith(condition.operand));
}

/**
 * Checks the form's signature, then its policy: expiration, every condition in order (a field the
 * form lacks meets none, even `starts-with ""`), then that each field but the exempt ones has a
 * condition. A form with no signing field is anonymous: S3 reads no policy of it.
 */
export function verifyPostPolicy(
  fields: Map<string, string>,
  bucket: string,
  lookupSecret: (accessKey: string) => string | undefined,
  maxObjectSize: number,
  now = new Date(),
): PolicyOutcome {
  const sigV4 = Object.keys(SIGV4_FIELDS).some((name) => name !== 'policy' && fields.has(name));
  if (!sigV4 && !fields.has('awsaccesskeyid') && !fields.has('signature')) return { minSize: 0, maxSize: maxObjectSize };
  requireFields(fields, sigV4 ? SIGV4_FIELDS : SIGV2_FIELDS);
  const policy = fields.get('policy')!;
  const signer: FormSigner = sigV4
    ? { accessKey: verifySigV4Form(fields, policy, lookupSecret), algorithm: ALGORITHM }
    : { accessKey: verifySigV2Form(fields, policy, lookupSecret), algorithm: SIGV2_ALGORITHM };
  const { expiration, conditions } = parsePolicy(policy);
  if (expiration.getTime() < now.getTime()) throw policyError('Policy expired.');

  const values = new Map(fields);
  values.set('bucket', bucket);
  const covered = new Set<string>();
  let minSize = 0;
  let maxSize = maxObjectSize;
  for (const condition of conditions) {
    if (condition.test === 'content-length-range') {
      if (!condition.range) throw policyError(`Policy Condition failed: ${condition.text}`);
      minSize = Math.max(minSize, condition.range[0]);
      maxSize = Math.min(maxSize, condition.range[1]);
      continue;
    }
    const value = condition.field === undefined ? undefined : values.get(condition.field);
    if (value === undefined || !meets(condition, value)) throw policyError(`Policy Condition failed: ${condition.text}`);
    covered.add(condition.field!);
  }
  for (const name of fields.keys()) {
    if (EXEMPT_FIELDS.has(name) || name.startsWith('x-ignore-') || covered.has(name)) continue;
    throw policyError(`Extra input fields: ${name}`);
  }
  return { signer, minSize, maxSize };
}
