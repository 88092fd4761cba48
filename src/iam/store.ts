/**
 * Where IAM's state lives: one sealed object in the deployment's config bucket, written through the
 * object layer (erasure-coded, quorum-committed and healed like any object). A read that cannot reach
 * quorum is an error, never an empty state: an empty state written back would delete every user.
 */
import { buffer } from 'node:stream/consumers';
import { isObjectLayerError } from '../object/errors.js';
import { bytesBody } from '../object/bytes-body.js';
import type { ObjectLayer } from '../object/types.js';
import { CONFIG_BUCKET } from '../storage/names.js';
import { IamError } from './errors.js';
import { Sealer, UnsealError, type Unsealed } from './seal.js';
import { emptyState, isIamState, type IamState } from './state.js';

const STATE_KEY = 'iam/state.sealed';

export interface StoredState {
  state: IamState;
  /** The stored object's ETag ('' when nothing is stored yet): tells a node whether what it holds is current. */
  etag: string;
  /** Opened with the previous root credentials: to be sealed again under the current ones. */
  underPrevious?: boolean;
}

/** Nothing stored yet: no state object, or not even the config bucket (a deployment's first start). */
function isAbsent(err: unknown): boolean {
  return isObjectLayerError(err, 'no-such-key') || isObjectLayerError(err, 'no-such-bucket');
}

export class IamStore {
  constructor(
    private readonly objects: ObjectLayer,
    private readonly sealer: Sealer,
  ) {}

  /** The stored object's ETag, '' when there is none; a cheap check of whether a reload is due. */
  async currentEtag(): Promise<string> {
    try {
      return (await this.objects.getObjectInfo(CONFIG_BUCKET, STATE_KEY)).etag;
    } catch (err) {
      if (isAbsent(err)) return '';
      throw err;
    }
  }

  /** Throws IamError('IamDataSealed') when the state was sealed under other root credentials. */
  async load(): Promise<StoredState> {
    let sealed: Buffer;
    let etag: string;
    try {
      const reader = await this.objects.getObject(CONFIG_BUCKET, STATE_KEY);
      etag = reader.info.etag;
      sealed = await buffer(reader.stream);
    } catch (err) {
      if (isAbsent(err)) return { state: emptyState(), etag: '' };
      throw err;
    }
    let unsealed: Unsealed;
    try {
      unsealed = await this.sealer.unseal(sealed);
    } catch (err) {
      if (err instanceof UnsealError) throw new IamError('IamDataSealed', err.message);
      throw err;
    }
    const state: unknown = JSON.parse(unsealed.plain.toString('utf8'));
    if (!isIamState(state)) throw new IamError('IamDataSealed', 'the stored IAM data does not have the shape of IAM state');
    return { state, etag, ...(unsealed.underPrevious ? { underPrevious: true } : {}) };
  }

  async save(state: IamState): Promise<string> {
    const sealed = await this.sealer.seal(Buffer.from(JSON.stringify(state)));
    const put = async (): Promise<string> => (await this.objects.putObject(CONFIG_BUCKET, STATE_KEY, bytesBody(sealed), { headers: { 'content-type': 'application/octet-stream' } })).etag;
    try {
      return await put();
    } catch (err) {
      if (!isObjectLayerError(err, 'no-such-bucket')) throw err;
      // The first IAM write of a deployment makes the config bucket (another node may be making it too).
      await this.objects.makeBucket(CONFIG_BUCKET).catch((made: unknown) => {
        if (!isObjectLayerError(made, 'bucket-exists')) throw made;
      });
      return put();
    }
  }
}
