/**
 * IAM's state on one node over a stand-in object layer (a map of objects): sealing at rest, what a
 * change does to users, service accounts and groups, and that a state it cannot read (too few drives,
 * other root credentials) is never taken for an empty one and written back over the real one.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Iam, type IamNotice } from '../../src/iam/iam.js';
import { Sealer, UnsealError } from '../../src/iam/seal.js';
import { bucketAccessOf } from '../../src/iam/bucket-access.js';
import { evaluate } from '../../src/iam/policy/index.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { ObjectLayerError } from '../../src/object/errors.js';
import type { ObjectInfo, ObjectLayer, PutBody } from '../../src/object/types.js';

const ROOT = { accessKey: 'rootuser', secretKey: 'root-secret-key' };

/** Just the calls IAM makes, over a map; `failReads` makes every read fail as a pool short of drives does. */
class MapObjects {
  readonly objects = new Map<string, { data: Buffer; etag: string }>();
  failReads = false;
  writes = 0;

  private found(bucket: string, key: string): { data: Buffer; etag: string } {
    if (this.failReads) throw new ObjectLayerError('read-quorum');
    const object = this.objects.get(`${bucket}/${key}`);
    if (!object) throw new ObjectLayerError('no-such-key');
    return object;
  }

  async getObjectInfo(bucket: string, key: string): Promise<ObjectInfo> {
    return { etag: this.found(bucket, key).etag } as ObjectInfo;
  }

  async getObject(bucket: string, key: string): Promise<{ info: ObjectInfo; stream: Readable }> {
    const { data, etag } = this.found(bucket, key);
    return { info: { etag } as ObjectInfo, stream: Readable.from([data]) };
  }

  async putObject(bucket: string, key: string, body: PutBody): Promise<ObjectInfo> {
    const chunks: Buffer[] = [];
    for await (const chunk of body.stream) chunks.push(chunk);
    const { etag } = body.seal();
    this.writes++;
    this.objects.set(`${bucket}/${key}`, { data: Buffer.concat(chunks), etag });
    return { etag } as ObjectInfo;
  }

  async makeBucket(): Promise<void> {}
}

function iamOver(objects: MapObjects, root = ROOT, notices: IamNotice[] = []): Iam {
  return new Iam({
    objects: objects as unknown as ObjectLayer,
    locks: new NamespaceLock(),
    root,
    tellPeers: async (notice) => {
      notices.push(notice);
      return [];
    },
    log: () => undefined,
  });
}

describe('sealing IAM data at rest', () => {
  it('opens what it sealed, and only with the same root credentials', async () => {
    const plain = Buffer.from('{"users":{"alice":{"secretKey":"alice-secret-value"}}}');
    const sealed = await new Sealer(ROOT).seal(plain);
    expect(sealed.includes('alice-secret-value')).toBe(false);
    expect((await new Sealer(ROOT).unseal(sealed)).plain).toEqual(plain);
    await expect(new Sealer({ ...ROOT, secretKey: 'another-secret' }).unseal(sealed)).rejects.toThrow(UnsealError);
    await expect(new Sealer({ ...ROOT, accessKey: 'otherroot' }).unseal(sealed)).rejects.toThrow(UnsealError);
  });

  it('refuses sealed bytes that were changed', async () => {
    const sealed = JSON.parse((await new Sealer(ROOT).seal(Buffer.from('{"a":1}'))).toString());
    const data = Buffer.from(sealed.data, 'base64');
    data[0] ^= 1;
    const tampered = Buffer.from(JSON.stringify({ ...sealed, data: data.toString('base64') }));
    await expect(new Sealer(ROOT).unseal(tampered)).rejects.toThrow(UnsealError);
    await expect(new Sealer(ROOT).unseal(Buffer.from('not json'))).rejects.toThrow(UnsealError);
  });
});

describe('IAM changes', () => {
  it('adds, disables and removes users, telling the other nodes each time', async () => {
    const objects = new MapObjects();
    const notices: IamNotice[] = [];
    const iam = iamOver(objects, ROOT, notices);
    await iam.start();
    await iam.addUser('alice', 'alice-secret');
    expect(iam.lookupSecret('alice')).toBe('alice-secret');
    expect(iam.lookupSecret('rootuser')).toBe(ROOT.secretKey);
    await iam.setUserStatus('alice', 'disabled');
    expect(iam.lookupSecret('alice')).toBeUndefined();
    await iam.setUserStatus('alice', 'enabled');
    const { accessKey } = await iam.addServiceAccount('alice', {});
    expect(iam.identity(accessKey)?.userName).toBe('alice');
    await iam.addGroupMembers('staff', ['alice']);
    await iam.removeUser('alice');
    expect(iam.lookupSecret('alice')).toBeUndefined();
    expect(iam.lookupSecret(accessKey)).toBeUndefined();
    expect(iam.groupInfo('staff').members).toEqual([]);
    expect(notices).toHaveLength(6);
    expect(notices.every((n) => n.kind === 'iam')).toBe(true);
    iam.stop();
  });

  it('keeps what one node wrote for the next node that loads it, secrets and all', async () => {
    const objects = new MapObjects();
    const first = iamOver(objects);
    await first.start();
    await first.addUser('bob', 'bob-secret-1');
    await first.attachPolicies(['readonly'], { user: 'bob' });
    const second = iamOver(objects);
    await second.start();
    expect(second.lookupSecret('bob')).toBe('bob-secret-1');
    expect(second.userInfo('bob').policies).toEqual(['readonly']);
    first.stop();
    second.stop();
  });

  it('a service account whose parent is disabled signs nothing, and one past its expiry neither', async () => {
    const objects = new MapObjects();
    const iam = iamOver(objects);
    await iam.start();
    await iam.addUser('carol', 'carol-secret');
    const live = await iam.addServiceAccount('carol', { accessKey: 'carol-svc', secretKey: 'carol-svc-secret' });
    const soon = await iam.addServiceAccount('carol', { expiresAt: Date.now() + 150 });
    expect(iam.lookupSecret(live.accessKey)).toBe('carol-svc-secret');
    await new Promise((r) => setTimeout(r, 200));
    expect(iam.lookupSecret(soon.accessKey)).toBeUndefined();
    await iam.setUserStatus('carol', 'disabled');
    expect(iam.lookupSecret(live.accessKey)).toBeUndefined();
    iam.stop();
  });

  it('refuses a change it cannot read the current state for, and writes nothing', async () => {
    const objects = new MapObjects();
    const iam = iamOver(objects);
    await iam.start();
    await iam.addUser('dave', 'dave-secret');
    const writes = objects.writes;
    objects.failReads = true;
    await expect(iam.addUser('erin', 'erin-secret')).rejects.toMatchObject({ kind: 'read-quorum' });
    expect(objects.writes).toBe(writes);
    objects.failReads = false;
    const reloaded = iamOver(objects);
    await reloaded.start();
    expect(reloaded.lookupSecret('dave')).toBe('dave-secret');
    iam.stop();
    reloaded.stop();
  });

  it('never overwrites state sealed under other root credentials', async () => {
    const objects = new MapObjects();
    const before = iamOver(objects);
    await before.start();
    await before.addUser('frank', 'frank-secret');
    const stored = [...objects.objects.values()][0].data;
    const changedRoot = iamOver(objects, { accessKey: 'rootuser', secretKey: 'a-new-root-secret' });
    await changedRoot.start();
    expect(changedRoot.lookupSecret('frank')).toBeUndefined();
    await expect(changedRoot.addUser('grace', 'grace-secret')).rejects.toMatchObject({ code: 'IamDataSealed' });
    expect([...objects.objects.values()][0].data).toEqual(stored);
    before.stop();
    changedRoot.stop();
  });

  it('opens state sealed under the previous root credentials and seals it again under the new ones', async () => {
    const objects = new MapObjects();
    const before = iamOver(objects);
    await before.start();
    await before.addUser('jack', 'jack-secret');
    before.stop();
    const newRoot = { accessKey: 'rootuser', secretKey: 'a-new-root-secret' };
    const rotating = new Iam({ objects: objects as unknown as ObjectLayer, locks: new NamespaceLock(), root: newRoot, previousRoot: ROOT, tellPeers: async () => [], log: () => undefined });
    await rotating.start();
    expect(rotating.lookupSecret('jack')).toBe('jack-secret');
    const resealed = async (): Promise<boolean> => new Sealer(newRoot).unseal([...objects.objects.values()][0].data).then(() => true, () => false);
    for (let i = 0; i < 50 && !(await resealed()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await resealed()).toBe(true);
    const after = iamOver(objects, newRoot);
    await after.start();
    expect(after.lookupSecret('jack')).toBe('jack-secret');
    rotating.stop();
    after.stop();
  });

  it('answers a user key with read-quorum (503, retry) until the state loads; the root key works at once', async () => {
    const objects = new MapObjects();
    const writer = iamOver(objects);
    await writer.start();
    await writer.addUser('kate', 'kate-secret-1');
    objects.failReads = true;
    const starting = iamOver(objects);
    await starting.start();
    expect(() => starting.lookupSecret('kate')).toThrow(expect.objectContaining({ kind: 'read-quorum' }));
    expect(starting.lookupSecret('rootuser')).toBe(ROOT.secretKey);
    objects.failReads = false;
    await starting.reload();
    expect(starting.lookupSecret('kate')).toBe('kate-secret-1');
    writer.stop();
    starting.stop();
  });

  it('a stored bucket policy that no longer parses denies everyone but root, rather than answering 500', () => {
    const owner = { id: 'o', displayName: 'o' };
    const access = bucketAccessOf('b', { stamp: 1, policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:NoLongerKnown","Resource":"arn:aws:s3:::b/*"}]}' }, owner);
    const request = { action: 's3:GetObject' as const, resource: 'arn:aws:s3:::b/k', principal: { anonymous: true, ids: [] }, conditions: new Map() };
    expect(evaluate([access.policy!], request)).toBe('deny');
  });

  it('refuses bad names and secrets, the root key as a user, and a removal of an attached policy', async () => {
    const iam = iamOver(new MapObjects());
    await iam.start();
    await expect(iam.addUser('a/b', 'long-enough-secret')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(iam.addUser('hank', 'short')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(iam.addUser('rootuser', 'long-enough-secret')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(iam.putPolicy('readonly', '{}')).rejects.toMatchObject({ code: 'BuiltinPolicy' });
    await expect(iam.putPolicy('bad', '{"Statement":[]}')).rejects.toMatchObject({ code: 'MalformedPolicy' });
    await iam.putPolicy('mine', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] }));
    await iam.addUser('ivy', 'ivy-secret-key');
    await iam.attachPolicies(['mine'], { user: 'ivy' });
    await expect(iam.removePolicy('mine')).rejects.toMatchObject({ code: 'PolicyInUse' });
    await expect(iam.attachPolicies(['nosuch'], { user: 'ivy' })).rejects.toMatchObject({ code: 'NoSuchPolicy' });
    iam.stop();
  });
});
