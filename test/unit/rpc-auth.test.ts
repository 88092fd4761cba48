/** The node RPC handshake signature and replay guard, without a network (the wire is tested in test/cluster/rpc-security). */
import { describe, expect, it, vi } from 'vitest';
import { MAX_SKEW_MS, RPC_CONNECT_PATH, RpcSigner, RpcVerifier, sessionHalf, sessionKey } from '../../src/cluster/rpc-auth.js';

const KEY = Buffer.alloc(32, 7);
const PATH = RPC_CONNECT_PATH;

const NODE = '10.0.0.2:9000';

function signed(signer: RpcSigner, half = sessionHalf(), receiver = NODE): Record<string, string> {
  return signer.headers('CONNECT', PATH, receiver, half);
}

describe('RPC handshake authentication', () => {
  it("accepts a signed handshake once and hands over the caller's half of the session secret", () => {
    const verifier = new RpcVerifier(KEY, 'fp', NODE);
    const half = sessionHalf();
    const headers = signed(new RpcSigner(KEY, 'fp'), half);
    expect(verifier.verify('CONNECT', PATH, headers)).toEqual({ ok: true, half });
    expect(verifier.verify('CONNECT', PATH, headers)).toEqual({ ok: false, refusal: 'replayed' });
  });

  it('binds the method, the path and the session half', () => {
    const verifier = new RpcVerifier(KEY, 'fp', NODE);
    const signer = new RpcSigner(KEY, 'fp');
    expect(verifier.verify('POST', PATH, signed(signer))).toEqual({ ok: false, refusal: 'unauthenticated' });
    expect(verifier.verify('CONNECT', '/tessera/rpc/v7/other', signed(signer))).toEqual({ ok: false, refusal: 'unauthenticated' });
    const swapped = { ...signed(signer), 'x-tessera-session': sessionHalf() };
    expect(verifier.verify('CONNECT', PATH, swapped)).toEqual({ ok: false, refusal: 'unauthenticated' });
    const malformed = { ...signed(signer), 'x-tessera-session': 'ab' };
    expect(verifier.verify('CONNECT', PATH, malformed)).toEqual({ ok: false, refusal: 'unauthenticated' });
    const redirected = { ...signed(signer), 'x-tessera-receiver': '10.0.0.3:9000' };
    expect(verifier.verify('CONNECT', PATH, redirected)).toEqual({ ok: false, refusal: 'unauthenticated' });
  });

  it('refuses a handshake meant for another node (relayed to this one)', () => {
    const verifier = new RpcVerifier(KEY, 'fp', NODE);
    expect(verifier.verify('CONNECT', PATH, signed(new RpcSigner(KEY, 'fp'), sessionHalf(), '10.0.0.3:9000'))).toEqual({ ok: false, refusal: 'other-receiver' });
  });

  it('tells a caller with another key nothing more than "unauthenticated", whatever else is wrong', () => {
    const verifier = new RpcVerifier(KEY, 'fp', NODE);
    const stranger = new RpcSigner(Buffer.alloc(32, 8), 'other-fp');
    expect(verifier.verify('CONNECT', PATH, signed(stranger), Date.now() + 10 * MAX_SKEW_MS)).toEqual({ ok: false, refusal: 'unauthenticated' });
  });

  it('refuses timestamps outside the window either way, and another endpoint list', () => {
    const verifier = new RpcVerifier(KEY, 'fp', NODE);
    const signer = new RpcSigner(KEY, 'fp');
    expect(verifier.verify('CONNECT', PATH, signed(signer), Date.now() + MAX_SKEW_MS + 1_000)).toEqual({ ok: false, refusal: 'stale' });
    expect(verifier.verify('CONNECT', PATH, signed(signer), Date.now() - MAX_SKEW_MS - 1_000)).toEqual({ ok: false, refusal: 'stale' });
    expect(verifier.verify('CONNECT', PATH, signed(new RpcSigner(KEY, 'other')))).toEqual({ ok: false, refusal: 'other-topology' });
  });

  it('accepts handshakes that overtake each other, but none twice and none far behind', () => {
    const verifier = new RpcVerifier(KEY, 'fp', NODE);
    const signer = new RpcSigner(KEY, 'fp');
    const batch = Array.from({ length: 2_000 }, () => signed(signer));
    const shuffled = [...batch.slice(0, 1_000)].reverse(); // 1,000 handshakes arriving in reverse order
    for (const headers of shuffled) expect(verifier.verify('CONNECT', PATH, headers).ok).toBe(true);
    for (const headers of shuffled) expect(verifier.verify('CONNECT', PATH, headers)).toEqual({ ok: false, refusal: 'replayed' });
    for (const headers of batch.slice(1_000)) expect(verifier.verify('CONNECT', PATH, headers).ok).toBe(true);
    // the first handshake is now more than the window behind the newest: refused, as it cannot be told from a replay
    expect(verifier.verify('CONNECT', PATH, batch[0])).toEqual({ ok: false, refusal: 'replayed' });
  });

  it('forgets senders whose every handshake has gone stale, so its memory stays bounded', () => {
    const verifier = new RpcVerifier(KEY, 'fp', NODE);
    const now = Date.now();
    for (let i = 0; i < 50; i++) expect(verifier.verify('CONNECT', PATH, signed(new RpcSigner(KEY, 'fp')), now).ok).toBe(true);
    expect(verifier.rememberedSenders).toBe(50);
    const later = now + MAX_SKEW_MS + 1_000;
    vi.spyOn(Date, 'now').mockReturnValue(later); // a sender whose clock reads `later` signs
    try {
      expect(verifier.verify('CONNECT', PATH, signed(new RpcSigner(KEY, 'fp')), later).ok).toBe(true);
    } finally {
      vi.restoreAllMocks();
    }
    expect(verifier.rememberedSenders).toBe(1);
  });

  it('remembers at most 4,096 senders at once: more are refused until the old ones go stale', () => {
    const verifier = new RpcVerifier(KEY, 'fp', NODE);
    const now = Date.now();
    for (let i = 0; i < 4_096; i++) expect(verifier.verify('CONNECT', PATH, signed(new RpcSigner(KEY, 'fp')), now).ok).toBe(true);
    expect(verifier.verify('CONNECT', PATH, signed(new RpcSigner(KEY, 'fp')), now)).toEqual({ ok: false, refusal: 'replayed' });
    const later = now + MAX_SKEW_MS + 1_000;
    vi.spyOn(Date, 'now').mockReturnValue(later);
    try {
      expect(verifier.verify('CONNECT', PATH, signed(new RpcSigner(KEY, 'fp')), later).ok).toBe(true);
    } finally {
      vi.restoreAllMocks();
    }
    expect(verifier.rememberedSenders).toBe(1);
  });

  it('derives a session key from both halves, the endpoint list and the RPC key, and from nothing less', () => {
    const [a, b] = [sessionHalf(), sessionHalf()];
    const key = sessionKey(KEY, 'fp', a, b);
    expect(key).toHaveLength(32);
    expect(sessionKey(KEY, 'fp', a, b).equals(key)).toBe(true);
    for (const other of [sessionKey(KEY, 'fp', b, a), sessionKey(KEY, 'fp', a, sessionHalf()), sessionKey(KEY, 'fp2', a, b), sessionKey(Buffer.alloc(32, 8), 'fp', a, b)]) {
      expect(other.equals(key)).toBe(false);
    }
  });
});
