/**
 * Regression: a reload of IAM's state that had already read the stored document when a change was
 * made finished afterwards, and (a) a peer's notice of the change joined it, so the peer kept
 * accepting a key the change disabled though the admin call had returned; (b) on the changing node
 * itself it installed the older state over the change. Loads and changes of a node now run one at a
 * time in the order asked, and a notice gets a reload of its own.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Iam, type IamNotice } from '../../src/iam/iam.js';
import { NamespaceLock } from '../../src/lock/namespace-lock.js';
import { ObjectLayerError } from '../../src/object/errors.js';
import type { ObjectInfo, ObjectLayer, PutBody } from '../../src/object/types.js';

const ROOT = { accessKey: 'rootuser', secretKey: 'root-secret-key' };

/** One stored document shared by the nodes; a read by the node named in `gate` waits, after reading, until the gate opens. */
class SharedObjects {
  private readonly objects = new Map<string, { data: Buffer; etag: string }>();
  gate?: { node: string; opened: Promise<void>; entered: () => void };

  private get(key: string): { data: Buffer; etag: string } {
    const object = this.objects.get(key);
    if (!object) throw new ObjectLayerError('no-such-key');
    return object;
  }

  view(node: string): ObjectLayer {
    return {
      getObjectInfo: async (bucket: string, key: string) => ({ etag: this.get(`${bucket}/${key}`).etag }) as ObjectInfo,
      getObject: async (bucket: string, key: string) => {
        const { data, etag } = this.get(`${bucket}/${key}`);
        const gate = this.gate;
        if (gate?.node === node) {
          this.gate = undefined;
          gate.entered();
          await gate.opened;
        }
        return { info: { etag } as ObjectInfo, stream: Readable.from([data]) };
      },
      putObject: async (bucket: string, key: string, body: PutBody) => {
        const chunks: Buffer[] = [];
        for await (const chunk of body.stream) chunks.push(chunk);
        const { etag } = body.seal();
        this.objects.set(`${bucket}/${key}`, { data: Buffer.concat(chunks), etag });
        return { etag } as ObjectInfo;
      },
      makeBucket: async () => undefined,
    } as unknown as ObjectLayer;
  }

  /** Holds `node`'s next read after it has read; resolves once it is held, with the function that lets it go. */
  async hold(node: string, start: () => Promise<void>): Promise<{ release: () => void; done: Promise<void> }> {
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    this.gate = { node, opened: new Promise<void>((resolve) => (release = resolve)), entered };
    const done = start();
    await inside;
    return { release, done };
  }
}

function nodeOf(objects: SharedObjects, name: string, locks: NamespaceLock, peers: Iam[] = []): Iam {
  return new Iam({
    objects: objects.view(name),
    locks,
    root: ROOT,
    tellPeers: async (notice: IamNotice) => {
      for (const peer of peers) await peer.onNotice(notice);
      return [];
    },
    log: () => undefined,
  });
}

describe('a reload that read the state before a change', () => {
  it('does not keep a peer on the old state: the notice gets a reload of its own', async () => {
    const objects = new SharedObjects();
    const locks = new NamespaceLock();
    const peers: Iam[] = [];
    const a = nodeOf(objects, 'A', locks, peers);
    const b = nodeOf(objects, 'B', locks);
    peers.push(b);
    await a.start();
    await b.start();
    await a.addUser('alice', 'alice-secret-1');
    expect(b.lookupSecret('alice')).toBe('alice-secret-1');
    const periodic = await objects.hold('B', () => b.reload());
    setTimeout(periodic.release, 50);
    await a.setUserStatus('alice', 'disabled');
    await periodic.done;
    expect(b.lookupSecret('alice')).toBeUndefined();
    a.stop();
    b.stop();
  });

  it('does not install the older state over a change made on the same node', async () => {
    const objects = new SharedObjects();
    const a = nodeOf(objects, 'A', new NamespaceLock());
    await a.start();
    await a.addUser('alice', 'alice-secret-1');
    const periodic = await objects.hold('A', () => a.reload());
    setTimeout(periodic.release, 50);
    await a.setUserStatus('alice', 'disabled');
    await periodic.done;
    expect(a.lookupSecret('alice')).toBeUndefined();
    a.stop();
  });
});
