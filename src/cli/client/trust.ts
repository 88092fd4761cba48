/**
 * Whom the client trusts over https: the system's CAs plus those in `<config dir>/certs/CAs/` (as
 * mc's ~/.mc/certs/CAs/), or, with the global --insecure, any certificate.
 */
import { Agent } from 'node:https';
import { join } from 'node:path';
import { readTrustedCas, trustedWith } from '../../cluster/certs.js';
import { configDir } from './config.js';

let insecure = false;
let agent: Promise<Agent> | undefined;

function trustedCasDir(): string {
  return join(configDir(), 'certs', 'CAs');
}

export function setInsecure(on: boolean): void {
  insecure = on;
}

/** The one keep-alive agent of this process for https endpoints. */
export function httpsAgent(): Promise<Agent> {
  agent ??= (async () => {
    if (insecure) process.stderr.write('tessera: WARNING: --insecure: TLS certificates are not verified\n');
    const secureContext = trustedWith(await readTrustedCas(trustedCasDir()));
    return new Agent({ keepAlive: true, maxSockets: 50, secureContext, rejectUnauthorized: !insecure });
  })();
  return agent;
}
