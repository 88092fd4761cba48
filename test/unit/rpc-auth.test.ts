/** The node RPC signature and replay guard, without a network (the wire is tested in test/cluster/rpc-security). */
import { describe, expect, it, vi } from 'vitest';
import { MAX_SKEW_MS, RpcSigner, RpcVerifier, sha256Hex } from '../../src/cluster/rpc-auth.js';

const KEY = Buffer.alloc(32, 7);
const PATH = '/tessera/rpc/v1/drive/0/readRecord';

/** The boot id of the verifier made last: the requests signed here name it, as a peer that has heard from it would. */
let boot = '';
function signed(signer: RpcSigner, body = Buffer.from('args')): Record<string, string> {
  return signer.headers('POST', PATH, sha256Hex(body), boot);
}

function newVerifier(): RpcVerifier {
  const v = new RpcVerifier(KEY, 'fp');
  boot = v.boot;
  return v;
}

describe('RPC authentication', () => {
  it('accepts a signed request once and reports the body hash the caller must check', () => {
    const verifier = newVerifier();
    const signer = new RpcSigner(KEY, 'fp');
    const body = Buffer.from('the arguments');
    const headers = signed(signer, body);
    expect(verifier.verify('POST', PATH, headers)).toEqual({ ok: true, bodyHash: sha256Hex(body) });
    expect(verifier.verify('POST', PATH, headers)).toEqual({ ok: false, refusal: 'replayed' });
  });

  it('binds the HTTP method and the path', () => {
    const verifier = newVerifier();
    const signer = new RpcSigner(KEY, 'fp');
    expect(verifier.verify('PUT', PATH, signed(signer))).toEqual({ ok: false, refusal: 'unauthenticated' });
    expect(verifier.verify('POST', '/tessera/rpc/v1/drive/0/writeRecord', signed(signer))).toEqual({ ok: false, refusal: 'unauthenticated' });
  });

  it('tells a caller with another key nothing more than "unauthenticated", whatever else is wrong', () => {
    const verifier = newVerifier();
    const stranger = new RpcSigner(Buffer.alloc(32, 8), 'other-fp');
    expect(verifier.verify('POST', PATH, signed(stranger), Date.now() + 10 * MAX_SKEW_MS)).toEqual({ ok: false, refusal: 'unauthenticated' });
  });

  it('refuses timestamps outside the window either way, and another endpoint list', () => {
    const verifier = newVerifier();
    const signer = new RpcSigner(KEY, 'fp');
    expect(verifier.verify('POST', PATH, signed(signer), Date.now() + MAX_SKEW_MS + 1_000)).toEqual({ ok: false, refusal: 'stale' });
    expect(verifier.verify('POST', PATH, signed(signer), Date.now() - MAX_SKEW_MS - 1_000)).toEqual({ ok: false, refusal: 'stale' });
    expect(verifier.verify('POST', PATH, signed(new RpcSigner(KEY, 'other')))).toEqual({ ok: false, refusal: 'other-topology' });
  });

  it('accepts requests that overtake each other on parallel sockets, but none twice and none far behind', () => {
    const verifier = newVerifier();
    const signer = new RpcSigner(KEY, 'fp');
    const batch = Array.from({ length: 2_000 }, () => signed(signer));
    const shuffled = [...batch.slice(0, 1_000)].reverse(); // 1,000 requests arriving in reverse order
    for (const headers of shuffled) expect(verifier.verify('POST', PATH, headers).ok).toBe(true);
    for (const headers of shuffled) expect(verifier.verify('POST', PATH, headers)).toEqual({ ok: false, refusal: 'replayed' });
    for (const headers of batch.slice(1_000)) expect(verifier.verify('POST', PATH, headers).ok).toBe(true);
    // the first request is now more than the window behind the newest: refused, as it cannot be told from a replay
    expect(verifier.verify('POST', PATH, batch[0])).toEqual({ ok: false, refusal: 'replayed' });
  });

  it('refuses a request meant for another run of the receiver, except a ping (how callers learn the boot id)', () => {
    const verifier = newVerifier();
    const signer = new RpcSigner(KEY, 'fp');
    const earlier = new RpcVerifier(KEY, 'fp').boot;
    expect(verifier.verify('POST', PATH, signer.headers('POST', PATH, sha256Hex(Buffer.alloc(0)), earlier))).toEqual({ ok: false, refusal: 'other-boot' });
    expect(verifier.verify('POST', PATH, signer.headers('POST', PATH, sha256Hex(Buffer.alloc(0)), ''))).toEqual({ ok: false, refusal: 'other-boot' });
    const ping = '/tessera/rpc/v1/ping';
    expect(verifier.verify('POST', ping, signer.headers('POST', ping, sha256Hex(Buffer.alloc(0)), '')).ok).toBe(true);
    // the boot id is signed: changing it after signing is a forgery
    const headers = signer.headers('POST', PATH, sha256Hex(Buffer.alloc(0)), earlier);
    headers['x-tessera-boot'] = verifier.boot;
    expect(verifier.verify('POST', PATH, headers)).toEqual({ ok: false, refusal: 'unauthenticated' });
  });

  it('forgets senders whose every request has gone stale, so its memory stays bounded', () => {
    const verifier = newVerifier();
    const now = Date.now();
    for (let i = 0; i < 50; i++) expect(verifier.verify('POST', PATH, signed(new RpcSigner(KEY, 'fp')), now).ok).toBe(true);
    expect(verifier.rememberedSenders).toBe(50);
    const later = now + MAX_SKEW_MS + 1_000;
    vi.spyOn(Date, 'now').mockReturnValue(later); // a sender whose clock reads `later` signs
    try {
      expect(verifier.verify('POST', PATH, signed(new RpcSigner(KEY, 'fp')), later).ok).toBe(true);
    } finally {
      vi.restoreAllMocks();
    }
    expect(verifier.rememberedSenders).toBe(1);
  });

  it('remembers at most 4,096 senders at once: more are refused until the old ones go stale', () => {
    const verifier = newVerifier();
    const now = Date.now();
    for (let i = 0; i < 4_096; i++) expect(verifier.verify('POST', PATH, signed(new RpcSigner(KEY, 'fp')), now).ok).toBe(true);
    expect(verifier.verify('POST', PATH, signed(new RpcSigner(KEY, 'fp')), now)).toEqual({ ok: false, refusal: 'replayed' });
    const later = now + MAX_SKEW_MS + 1_000;
    vi.spyOn(Date, 'now').mockReturnValue(later);
    try {
      expect(verifier.verify('POST', PATH, signed(new RpcSigner(KEY, 'fp')), later).ok).toBe(true);
    } finally {
      vi.restoreAllMocks();
    }
    expect(verifier.rememberedSenders).toBe(1);
  });
});
