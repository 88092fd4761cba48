/**
 * The published default root credentials are for a first try on one's own machine. With them the
 * server starts only on a loopback address, and warns at every start; it refuses them where other
 * machines can reach it (unless --allow-default-credentials) and wherever the deployment demands
 * real credentials (TESSERA_REQUIRE_CREDENTIALS=1, which the container image sets; no flag overrides it).
 */
import { isIP } from 'node:net';

const SET_THEM = 'set TESSERA_ROOT_USER and TESSERA_ROOT_PASSWORD (or TESSERA_ROOT_USER_FILE and TESSERA_ROOT_PASSWORD_FILE)';

/** Only literal loopback addresses and `localhost` count: any other name may resolve to anything. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function credentialsRequired(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes|on)$/i.test(env.TESSERA_REQUIRE_CREDENTIALS ?? '');
}

export interface DefaultCredentialsContext {
  host: string;
  port: number;
  allowDefault: boolean;
  env: NodeJS.ProcessEnv;
}

/** Why the server must not start with the default credentials, as one line; undefined when it may. */
export function refuseDefaultCredentials(c: DefaultCredentialsContext): string | undefined {
  if (credentialsRequired(c.env)) {
    return `refusing to start with the published default root credentials (TESSERA_REQUIRE_CREDENTIALS is set): ${SET_THEM}`;
  }
  if (!isLoopback(c.host) && !c.allowDefault) {
    const address = c.host.includes(':') ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`;
    return `refusing to start with the published default root credentials on ${address}, which other machines can reach: ${SET_THEM}, or pass --allow-default-credentials`;
  }
  return undefined;
}

/** Printed to stderr at every start with the default credentials; `listening` is the address served (HOST:PORT). */
export function defaultCredentialsWarning(listening: string): string {
  return [
    'WARNING: the root password is the published default: everyone knows it.',
    `WARNING: anyone who can connect to ${listening} can take over this server: read, change and delete every object.`,
    `WARNING: ${SET_THEM} before storing anything.`,
  ].join('\n');
}
