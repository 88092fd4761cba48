/**
 * Each bucket's policy and Block Public Access settings, parsed once and held in memory so a request's
 * decision reads nothing. An entry is dropped when a node changes the bucket's access (it tells every
 * node, see Iam.bucketAccessChanged) and is re-read after ENTRY_TTL_MS anyway, in case a notice was
 * lost (a node unreachable for a moment while the change was made).
 */
import { isObjectLayerError } from '../object/errors.js';
import type { ObjectLayer } from '../object/types.js';
import type { BucketConfig } from '../meta/bucket-config.js';
import type { ObjectOwnership, Owner } from '../meta/acl.js';
import type { BucketAccess } from './authorize.js';
import { PolicyError, parsePolicy, type Policy } from './policy/index.js';

const ENTRY_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/** Object Ownership in force: BucketOwnerEnforced unless set; ObjectWriter once the controls were deleted (as S3 behaves). */
export function ownershipOf(config: Pick<BucketConfig, 'ownership'>): ObjectOwnership {
  if (config.ownership === undefined) return 'BucketOwnerEnforced';
  return config.ownership === 'unset' ? 'ObjectWriter' : config.ownership;
}

/**
 * A stored policy that no longer parses (this version reads the language more strictly than the one
 * that stored it) stands for a policy that denies everyone everything: dropping it could drop a Deny.
 */
function storedPolicy(text: string, bucket: string): Policy {
  try {
    return parsePolicy(text, 'bucket', bucket);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    const denyAll = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }] };
    return parsePolicy(JSON.stringify(denyAll), 'bucket', bucket);
  }
}

/** The parsed access settings of a stored configuration; a bucket made before owners were kept is the root user's. */
export function bucketAccessOf(bucket: string, config: BucketConfig, rootOwner: Owner): BucketAccess {
  return {
    ...(config.policy !== undefined ? { policy: storedPolicy(config.policy, bucket) } : {}),
    ...(config.publicAccessBlock ? { publicAccessBlock: config.publicAccessBlock } : {}),
    ownership: {
      owner: config.owner ?? rootOwner,
      ownership: ownershipOf(config),
      grants: config.acl ?? [],
      ignorePublicAcls: config.publicAccessBlock?.IgnorePublicAcls === true,
    },
  };
}

export class BucketAccessCache {
  private readonly entries = new Map<string, { access: Promise<BucketAccess | undefined>; until: number }>();

  constructor(
    private readonly objects: ObjectLayer,
    private readonly rootOwner: Owner,
    private readonly now: () => number = Date.now,
  ) {}

  /** The bucket's access settings; undefined when the bucket does not exist. */
  get(bucket: string): Promise<BucketAccess | undefined> {
    const entry = this.entries.get(bucket);
    if (entry && entry.until > this.now()) return entry.access;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const access = this.read(bucket);
    this.entries.set(bucket, { access, until: this.now() + ENTRY_TTL_MS });
    // A failed read, or a bucket not there (it may be made any moment), is not remembered.
    const forget = (): void => {
      if (this.entries.get(bucket)?.access === access) this.entries.delete(bucket);
    };
    access.then((found) => found === undefined && forget(), forget);
    return access;
  }

  /**
   * Whether the bucket is still there, read afresh before a refusal: a node that missed the notice of
   * its deletion would otherwise answer 403 until the entry expires. It costs what a request for a
   * bucket that does not exist costs (those are never cached); when the drives cannot answer, the
   * bucket is taken to be there and the refusal stands.
   */
  stillThere(bucket: string): Promise<boolean> {
    this.invalidate(bucket);
    return this.get(bucket).then(
      (access) => access !== undefined,
      () => true,
    );
  }

  invalidate(bucket: string): void {
    this.entries.delete(bucket);
  }

  private async read(bucket: string): Promise<BucketAccess | undefined> {
    try {
      return bucketAccessOf(bucket, await this.objects.getBucketConfig(bucket), this.rootOwner);
    } catch (err) {
      if (isObjectLayerError(err, 'no-such-bucket')) return undefined;
      throw err;
    }
  }
}
