/**
 * TLS pieces in one process: the certs directory is checked file by file; https endpoints parse like
 * http ones and the schemes are checked against --certs-dir; a Peer over https verifies the node's
 * certificate (a shared self-signed certificate or one of a shared CA is trusted, another CA's is
 * not and the node is marked offline saying why).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateError, readCertsDir, type ServerCerts } from '../../src/cluster/certs.js';
import { EndpointError, parseTopology } from '../../src/cluster/endpoints.js';
import { Peer } from '../../src/cluster/peer.js';
import { LocalDrive } from '../../src/storage/local-drive.js';
import { PeerTlsError, explainTlsFailure, peerTransport } from '../../src/cluster/transport.js';
import { rpcNode } from '../helpers/rpc-node.js';
import { makeCa, makeCertsDir } from '../helpers/tls.js';
import { captureLog } from '../helpers/log-lines.js';

let work: string;
let shared: ServerCerts;
let selfSigned: ServerCerts;
let foreign: ServerCerts;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tessera-tls-unit-'));
  const ca = await makeCa(join(work, 'ca'), 'shared');
  const other = await makeCa(join(work, 'ca'), 'other');
  shared = await readCertsDir((await makeCertsDir(join(work, 'shared'), ca)).dir);
  foreign = await readCertsDir((await makeCertsDir(join(work, 'foreign'), other)).dir);
  selfSigned = await readCertsDir((await makeCertsDir(join(work, 'self'))).dir);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the certs directory', () => {
  it('reads certificate, key and CAs/', () => {
    expect(shared.cas).toHaveLength(1);
    expect(shared.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(selfSigned.cas).toHaveLength(0);
  });

  it('names the file that is missing, unreadable as PEM or of another pair', async () => {
    const dir = join(work, 'broken');
    await mkdir(join(dir, 'CAs'), { recursive: true });
    await expect(readCertsDir(dir)).rejects.toThrow(`${join(dir, 'public.crt')}: not found`);
    await copyFile(join(shared.dir, 'public.crt'), join(dir, 'public.crt'));
    await expect(readCertsDir(dir)).rejects.toThrow(`${join(dir, 'private.key')}: not found`);
    await writeFile(join(dir, 'private.key'), 'not a key');
    await expect(readCertsDir(dir)).rejects.toThrow(new RegExp(`${join(dir, 'private.key')} is not an unencrypted PEM private key`));
    await copyFile(join(foreign.dir, 'private.key'), join(dir, 'private.key'));
    await expect(readCertsDir(dir)).rejects.toThrow(`${join(dir, 'private.key')} is not the private key of the certificate ${join(dir, 'public.crt')}`);
    await copyFile(join(shared.dir, 'private.key'), join(dir, 'private.key'));
    await writeFile(join(dir, 'CAs', 'junk.pem'), 'junk');
    await expect(readCertsDir(dir)).rejects.toThrow(new RegExp(`${join(dir, 'CAs', 'junk.pem')} is not a PEM certificate`));
    await expect(readCertsDir(dir)).rejects.toBeInstanceOf(CertificateError);
    await rm(join(dir, 'CAs', 'junk.pem'));
    await writeFile(join(dir, 'CAs', 'README.txt'), 'not read: only *.crt and *.pem are');
    expect((await readCertsDir(dir)).cas).toHaveLength(0);
  });
});

describe('https endpoints', () => {
  const here = { host: '127.0.0.1', port: 9002 };

  it('parse like http ones, the local node found by host:port', () => {
    const secure = parseTopology(['https://localhost:{9001...9002}/n/d{1...2}'], here, { tls: true });
    expect(secure.nodes).toEqual(['127.0.0.1:9001', '127.0.0.1:9002']);
    expect(secure.localNode).toBe(1);
    expect(secure.drives[2]).toEqual({ text: 'https://localhost:9002/n/d1', node: '127.0.0.1:9002', path: '/n/d1' });
    expect(parseTopology(['/d{1...4}'], here, { tls: true }).nodes).toEqual(['']);
  });

  it('are refused mixed with http ones, without --certs-dir, and http ones with it', () => {
    expect(() => parseTopology(['https://127.0.0.1:9001/d1', 'https://127.0.0.1:9001/d2', 'http://127.0.0.1:9002/d1', 'http://127.0.0.1:9002/d2'], here, { tls: true })).toThrow(
      /mix of http:\/\/ and https:\/\/ endpoints/,
    );
    expect(() => parseTopology(['https://127.0.0.1:{9001...9002}/d{1...2}'], here)).toThrow(/https:\/\/ endpoints need --certs-dir/);
    expect(() => parseTopology(['http://127.0.0.1:{9001...9002}/d{1...2}'], here, { tls: true })).toThrow(EndpointError);
  });
});

describe('a Peer over https', () => {
  /** A node serving node RPC (and no drives) with `certs`. */
  async function node(certs: ServerCerts): Promise<{ address: string; server: { close(): void } }> {
    const served = await rpcNode({ key: Buffer.alloc(32), fingerprint: 'fp', drives: new Map<number, LocalDrive>() }, https.createServer({ cert: certs.cert, key: certs.key }, (_req, res) => res.writeHead(404).end()));
    return { address: served.address, server: { close: () => void served.close() } };
  }

  async function ping(address: string, trust: ServerCerts): Promise<{ peer: Peer; result: unknown }> {
    const peer = new Peer(address, Buffer.alloc(32), 'fp', peerTransport(trust));
    try {
      return { peer, result: await peer.call('ping', null) };
    } catch (err) {
      return { peer, result: err };
    } finally {
      peer.close();
    }
  }

  it('trusts a node with the certificate of a shared CA, or the same self-signed certificate', async () => {
    for (const certs of [shared, selfSigned]) {
      const { address, server } = await node(certs);
      const { result } = await ping(address, certs);
      expect(result).toMatchObject({ node: address, boot: expect.stringMatching(/^[0-9a-f]{32}$/), drives: {} });
      server.close();
    }
  });

  it('marks a node with a certificate of another CA offline, saying it is not trusted', async () => {
    const { address, server } = await node(foreign);
    const logged = captureLog();
    try {
      const { peer, result } = await ping(address, shared);
      expect(peer.isOnline()).toBe(false);
      expect(String(result)).toMatch(/not trusted/);
      expect(logged.lines().map((line) => line.msg).join('\n')).toMatch(new RegExp(`node ${address} is offline \\(the TLS certificate of ${address} is not trusted .*CAs/ of --certs-dir\\)`));
    } finally {
      logged.restore();
      server.close();
    }
  });

  it('explains a node that does not speak TLS, and leaves other errors as they are', () => {
    const handshake = Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
    expect(explainTlsFailure(handshake, 'h:1')).toBeInstanceOf(PeerTlsError);
    expect(explainTlsFailure(handshake, 'h:1').message).toMatch(/does it serve https/);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(explainTlsFailure(refused, 'h:1')).toBe(refused);
  });
});
