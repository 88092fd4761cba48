/** The admin API client of an alias, and one-line explanations of its failures (`tessera admin ...`). */
import { AdminApiError, AdminClient } from '../../admin/client.js';
import { CliError, networkReason } from './errors.js';
import type { Remote } from './remote.js';
import { parseRemote } from './target.js';

/** The admin client of an alias (ALIAS alone: these commands name no bucket). */
export async function adminOf(alias: string): Promise<{ remote: Remote; client: AdminClient }> {
  const target = await parseRemote(alias);
  if (target.bucket !== '' || target.key !== '') throw new CliError(`"${alias}" names a bucket; give the alias alone`);
  return { remote: target.remote, client: clientOf(target.remote) };
}

export function clientOf(remote: Remote): AdminClient {
  const { url, accessKey, secretKey, region } = remote.config;
  return new AdminClient({ url, accessKey, secretKey, region, httpsAgent: remote.httpsAgent });
}

/** One line for a failed admin call: the server's code and message, or why it could not be asked. */
export function explain(err: unknown, remote: Remote): Error {
  if (err instanceof AdminApiError) {
    if (err.status === 404 && err.code === 'HTTP404') return new CliError(`${remote.alias} (${remote.url}) has no Tessera admin API (is it a Tessera server?)`);
    if (err.code.startsWith('HTTP')) return new CliError(`${remote.alias} (${remote.url}): ${err.message || `HTTP ${err.status}`}`);
    return new CliError(`${err.code}: ${err.message.split('\n')[0]}`);
  }
  const reason = networkReason(err);
  if (reason) return new CliError(`cannot reach ${remote.alias} (${remote.url}): ${reason}`);
  return err instanceof Error ? err : new Error(String(err));
}

/** Runs an admin call on ALIAS, its failures explained. */
export async function withAdmin<T>(alias: string, fn: (client: AdminClient) => Promise<T>): Promise<T> {
  const { remote, client } = await adminOf(alias);
  try {
    return await fn(client);
  } catch (err) {
    throw explain(err, remote);
  }
}
