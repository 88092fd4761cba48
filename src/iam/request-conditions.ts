/**
 * The global condition keys (`aws:*`) every request has, whichever API it came through (S3 or admin):
 * worked out from the connection, the request's headers (or a form's fields) and the identity.
 * `aws:userid` is the user's name too: Tessera keeps no other unique id a policy could name.
 */
import type { Identity } from './identity.js';

/** What global condition values are worked out from. */
export interface RequestFacts {
  /** The connection: its peer's address and whether it is TLS. */
  socket: { remoteAddress?: string; encrypted?: boolean };
  /** Lower-cased header names (a form upload's fields stand for its headers). */
  headers: Record<string, string | string[] | undefined>;
  identity: Identity;
  now: number;
}

export function headerValue(facts: RequestFacts, name: string): string | undefined {
  const value = facts.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

const PRINCIPAL_TYPES: Record<Identity['kind'], string> = { root: 'Account', user: 'User', 'service-account': 'User', anonymous: 'Anonymous' };

export const GLOBAL_CONDITIONS: Record<string, (facts: RequestFacts) => string | undefined> = {
  'aws:sourceip': (f) => f.socket.remoteAddress,
  'aws:securetransport': (f) => String(f.socket.encrypted === true),
  'aws:currenttime': (f) => new Date(f.now).toISOString(),
  'aws:epochtime': (f) => String(Math.floor(f.now / 1000)),
  'aws:referer': (f) => headerValue(f, 'referer'),
  'aws:useragent': (f) => headerValue(f, 'user-agent'),
  'aws:username': (f) => (f.identity.kind === 'anonymous' ? undefined : f.identity.userName),
  'aws:userid': (f) => (f.identity.kind === 'anonymous' ? undefined : f.identity.userName),
  'aws:principaltype': (f) => PRINCIPAL_TYPES[f.identity.kind],
};

/** The values of the global keys among `keys`. */
export function globalConditionValues(keys: ReadonlySet<string>, facts: RequestFacts): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const key of keys) {
    const value = GLOBAL_CONDITIONS[key]?.(facts);
    if (value !== undefined) values.set(key, [value]);
  }
  return values;
}
