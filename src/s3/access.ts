/**
 * Authorisation of S3 requests: who is asking (a verified signature, or nobody), and whether they may
 * do an action on a bucket or object. The values policy conditions read are worked out only when a
 * policy that can decide the request reads them. Three things cost a read, and only the requests
 * that need them pay it: an object's tags (a policy with s3:ExistingObjectTag), an object's ACL (a
 * bucket with ACLs on, when no policy decided), and a refusal's bucket (is it still there?).
 */
import { S3Error } from '../errors.js';
import type { S3Action } from '../iam/actions.js';
import { conditionKeysFor, decide } from '../iam/authorize.js';
import { needsObjectAcl, ownershipAllows } from '../iam/ownership.js';
import type { Identity } from '../iam/identity.js';
import { GLOBAL_CONDITIONS, headerValue, type RequestFacts } from '../iam/request-conditions.js';
import type { Iam } from '../iam/iam.js';
import { isObjectLayerError } from '../object/errors.js';
import type { ObjectInfo, ObjectLayer } from '../object/types.js';
import { declaredPayload } from './auth/payload.js';
import type { AuthResult, IncomingSignedRequest, SignatureAlgorithm } from './auth/sigv4.js';
import type { S3Target } from './request.js';
import { tagsFromHeader } from './tags.js';

/** Query parameters that carry a signature or a key (SigV4 or SigV2): a request with any of them is not anonymous. */
const SIGNING_PARAMETERS = ['x-amz-algorithm', 'x-amz-credential', 'x-amz-signature', 'awsaccesskeyid', 'signature'];

/** No Authorization header (or an empty one) and no signing parameters: the request is anonymous. */
export function isAnonymous(req: IncomingSignedRequest): boolean {
  const auth = req.headers.authorization;
  const given = Array.isArray(auth) ? auth.join('') : auth;
  if (given !== undefined && given.trim() !== '') return false;
  for (const pair of req.rawQuery.split('&')) {
    const name = pair.split('=')[0];
    if (SIGNING_PARAMETERS.includes(decodeURIComponentSafe(name).toLowerCase())) return false;
  }
  return true;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** An unsigned request: no key, and a body that proves only the digest it declares. */
export function anonymousAuth(headers: IncomingSignedRequest['headers']): AuthResult {
  return { accessKey: '', payload: declaredPayload(headers), presigned: false };
}

type AuthType = 'REST-HEADER' | 'REST-QUERY-STRING' | 'POST';

/** How a request was signed: s3:authType and s3:signatureversion. */
export interface SignedBy {
  authType: AuthType;
  algorithm: SignatureAlgorithm;
}

/** How a request verified by its signature was signed. */
export function signedBy(auth: AuthResult): SignedBy | undefined {
  return auth.algorithm && { authType: auth.presigned ? 'REST-QUERY-STRING' : 'REST-HEADER', algorithm: auth.algorithm };
}

/** s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys for the tags a request sets. */
export function requestTagConditions(tags: [string, string][]): Map<string, string[]> {
  const values = new Map<string, string[]>(tags.map(([name, value]) => [`s3:requestobjecttag/${name.toLowerCase()}`, [value]]));
  values.set('s3:requestobjecttagkeys', tags.map(([name]) => name));
  return values;
}

/**
 * What an action is on: the service (nothing), a bucket, or an object and the version of it the
 * request acts on (its ACL and tags decide): always named by the caller, never taken from the request
 * URL, since a request may act on another object than the one its URL names (a copy's source).
 */
export interface AccessResource {
  bucket?: string;
  key?: string;
  versionId?: string;
  /** An object the request makes: no ACL of an existing version judges it (policies and owning the bucket do). */
  fresh?: boolean;
}

/** The request's permission checks, as handlers and the app ask them. */
export interface AccessCheck {
  readonly identity: Identity;
  /** Whether the identity may do `action` on the resource; `extra` adds condition values a handler learned (lower-cased keys). */
  allowed(action: S3Action, resource?: AccessResource, extra?: Map<string, string[]>): Promise<boolean>;
  /** Throws AccessDenied unless allowed. */
  require(action: S3Action, resource?: AccessResource, extra?: Map<string, string[]>): Promise<void>;
}

const NO_CONDITIONS: ReadonlyMap<string, readonly string[]> = new Map();

/** Headers whose values S3's condition keys of the same name (`s3:<header>`) read. */
const HEADER_KEYS = [
  'x-amz-acl', 'x-amz-content-sha256', 'x-amz-copy-source', 'x-amz-metadata-directive', 'x-amz-server-side-encryption',
  'x-amz-storage-class', 'x-amz-grant-read', 'x-amz-grant-write', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control',
];

/** Actions whose requests carry s3:prefix, s3:delimiter and s3:max-keys. */
const LISTING_ACTIONS = new Set<S3Action>(['s3:ListBucket', 's3:ListBucketVersions']);

function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
}

function resourceArn(bucket?: string, key?: string): string {
  if (bucket === undefined) return 'arn:aws:s3:::*';
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}

/** What an S3 condition key's value is worked out from. */
interface ConditionSource extends RequestFacts {
  target: S3Target;
  resource: AccessResource;
  signed: SignedBy | undefined;
  action: S3Action;
}

/** The single-valued condition keys, by lower-cased name (tags are resolved apart: their names carry the tag key). */
const RESOLVERS: Record<string, (r: ConditionSource) => string | undefined> = {
  ...GLOBAL_CONDITIONS,
  's3:signatureversion': (r) => r.signed?.algorithm,
  's3:authtype': (r) => r.signed?.authType,
  's3:versionid': (r) => r.resource.versionId,
  's3:prefix': (r) => (LISTING_ACTIONS.has(r.action) ? (r.target.query.get('prefix') ?? '') : undefined),
  's3:delimiter': (r) => (LISTING_ACTIONS.has(r.action) ? (r.target.query.get('delimiter') ?? undefined) : undefined),
  's3:max-keys': (r) => (LISTING_ACTIONS.has(r.action) ? (r.target.query.get('max-keys') ?? undefined) : undefined),
  's3:object-lock-mode': (r) => headerValue(r, 'x-amz-object-lock-mode'),
  's3:object-lock-retain-until-date': (r) => headerValue(r, 'x-amz-object-lock-retain-until-date'),
  's3:object-lock-legal-hold': (r) => headerValue(r, 'x-amz-object-lock-legal-hold'),
  's3:object-lock-remaining-retention-days': (r) => {
    const until = Date.parse(headerValue(r, 'x-amz-object-lock-retain-until-date') ?? '');
    return Number.isNaN(until) ? undefined : String(Math.max(0, Math.ceil((until - r.now) / 86_400_000)));
  },
  ...Object.fromEntries(HEADER_KEYS.map((name) => [`s3:${name}`, (r: ConditionSource) => headerValue(r, name)])),
};

export class RequestAccess implements AccessCheck {
  constructor(
    readonly identity: Identity,
    private readonly iam: Iam,
    /** The connection and the headers (a form upload's fields) conditions read. */
    private readonly request: Pick<RequestFacts, 'socket' | 'headers'>,
    private readonly target: S3Target,
    /** How the request was signed; undefined when it was not. */
    private readonly signed: SignedBy | undefined,
    private readonly objects: ObjectLayer,
  ) {}

  async allowed(action: S3Action, resource: AccessResource = {}, extra?: Map<string, string[]>): Promise<boolean> {
    const { bucket, key } = resource;
    if (this.identity.kind === 'root') return true;
    const access = bucket === undefined ? undefined : await this.iam.bucketAccess.get(bucket);
    // A bucket that is not there is reported as such to anyone, whatever their policies (as S3 does), except to one asking to make it.
    if (bucket !== undefined && access === undefined && action !== 's3:CreateBucket') throw noSuchBucket(bucket);
    const keys = conditionKeysFor(this.identity, access);
    const conditions = keys.size === 0 ? NO_CONDITIONS : await this.conditions(keys, action, resource, extra);
    const verdict = decide(this.identity, { action, resource: resourceArn(bucket, key), principal: this.identity.principal, conditions }, access);
    if (verdict !== 'none' || !access) return verdict === 'allow';
    const onObject = key !== undefined && !resource.fresh;
    const objectAcl = onObject && needsObjectAcl(action, access.ownership) ? (await this.objectInfo(resource))?.acl : undefined;
    return ownershipAllows(this.identity, action, access.ownership, onObject, objectAcl);
  }

  /** The version the check is about (undefined when there is none). */
  private objectInfo({ bucket, key, versionId }: AccessResource): Promise<ObjectInfo | undefined> {
    if (bucket === undefined || key === undefined) return Promise.resolve(undefined);
    return this.objects.getObjectInfo(bucket, key, versionId).catch((err: unknown) => {
      if (isObjectLayerError(err)) return undefined;
      throw err;
    });
  }

  async require(action: S3Action, resource?: AccessResource, extra?: Map<string, string[]>): Promise<void> {
    if (await this.allowed(action, resource, extra)) return;
    // The refusal was decided on the bucket's settings as this node holds them; the bucket may have
    // gone since (deleted through a node whose notice did not arrive): the drives say, before a 403 does.
    const bucket = resource?.bucket;
    if (bucket !== undefined && action !== 's3:CreateBucket' && !(await this.iam.bucketAccess.stillThere(bucket))) throw noSuchBucket(bucket);
    throw new S3Error('AccessDenied');
  }

  /** The values of the condition keys `keys` names, for this request: only those are worked out. */
  private async conditions(keys: ReadonlySet<string>, action: S3Action, resource: AccessResource, extra?: Map<string, string[]>): Promise<Map<string, string[]>> {
    const values = new Map<string, string[]>();
    const request: ConditionSource = { ...this.request, identity: this.identity, target: this.target, resource, signed: this.signed, action, now: Date.now() };
    let objectTags = false;
    for (const name of keys) {
      const resolve = RESOLVERS[name];
      const value = resolve ? resolve(request) : undefined;
      if (value !== undefined) values.set(name, [value]);
      if (name.startsWith('s3:existingobjecttag/')) objectTags = true;
    }
    this.requestTags(keys, values);
    if (objectTags) await this.existingTags(keys, values, resource);
    for (const [name, value] of extra ?? []) values.set(name, value);
    return values;
  }

  /** s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys, from the x-amz-tagging header. */
  private requestTags(keys: ReadonlySet<string>, values: Map<string, string[]>): void {
    const tags = tagsFromHeader(this.request.headers);
    if (!tags) return;
    for (const [name, value] of requestTagConditions(tags)) if (keys.has(name)) values.set(name, value);
  }

  /** s3:ExistingObjectTag/<key>: the tags of the version the request is about (absent when there is none). */
  private async existingTags(keys: ReadonlySet<string>, values: Map<string, string[]>, resource: AccessResource): Promise<void> {
    const info = await this.objectInfo(resource);
    for (const [name, value] of info?.tags ?? []) if (keys.has(`s3:existingobjecttag/${name.toLowerCase()}`)) values.set(`s3:existingobjecttag/${name.toLowerCase()}`, [value]);
  }
}
