/**
 * The request limits' knobs: the connection cap from the server's `--max-connections`, the rest from
 * the environment:
 *
 *   TESSERA_HEADERS_TIMEOUT_SECONDS  longest a request's header block may take to arrive (default 30).
 *   TESSERA_BODY_STALL_SECONDS       a request body must bring TESSERA_BODY_MIN_BYTES (or its end) in every
 *                                    this many seconds the server waits for it, or it is cut with 400
 *                                    RequestTimeout (default 20).
 *   TESSERA_BODY_MIN_BYTES           (default 16384).
 */
import { envNumber } from '../env.js';
import { DEFAULT_BODY_FLOOR, type BodyFloor } from './body-watchdog.js';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-limits.js';

export interface RequestLimits {
  connections: ConnectionLimits;
  bodyFloor: BodyFloor;
}

export function requestLimitsFromEnv(maxConnections = DEFAULT_CONNECTION_LIMITS.maxConnections, env: NodeJS.ProcessEnv = process.env): RequestLimits {
  const headersSeconds = envNumber(env, 'TESSERA_HEADERS_TIMEOUT_SECONDS', DEFAULT_CONNECTION_LIMITS.headersTimeoutMs / 1000, 0.1);
  const stallSeconds = envNumber(env, 'TESSERA_BODY_STALL_SECONDS', DEFAULT_BODY_FLOOR.windowMs / 1000, 0.1);
  return {
    connections: { maxConnections, headersTimeoutMs: headersSeconds * 1000 },
    bodyFloor: { windowMs: stallSeconds * 1000, minBytes: envNumber(env, 'TESSERA_BODY_MIN_BYTES', DEFAULT_BODY_FLOOR.minBytes, 1) },
  };
}
