/** Calls to the admin API (/tessera/admin/v1/...), signed like S3 requests, JSON in and out. */
import { send } from './http.js';
import type { Session } from './session.js';

export const ADMIN_PREFIX = '/tessera/admin/v1/';

export async function adminJson<T>(session: Session, method: string, path: string, options: { body?: unknown; query?: Record<string, string>; permission?: string; signal?: AbortSignal } = {}): Promise<T> {
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const response = await send(session, {
    method,
    path: `${ADMIN_PREFIX}${path}`,
    query: options.query,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body,
    permission: options.permission,
    signal: options.signal,
  });
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
