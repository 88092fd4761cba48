/**
 * The root credentials: from TESSERA_ROOT_USER / TESSERA_ROOT_PASSWORD, or from the files that
 * TESSERA_ROOT_USER_FILE / TESSERA_ROOT_PASSWORD_FILE name (the Docker and Kubernetes secrets
 * convention), or else the well-known defaults. The secret itself is never shown anywhere.
 */
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';
import type { Credentials } from './credentials.js';

export const DEFAULT_ROOT_USER = 'tesseraadmin';
export const DEFAULT_ROOT_PASSWORD = 'tesseraadmin';

/** Where a value came from: the variable that gave it, or the built-in default. */
export type CredentialSource = 'TESSERA_ROOT_USER' | 'TESSERA_ROOT_USER_FILE' | 'TESSERA_ROOT_PASSWORD' | 'TESSERA_ROOT_PASSWORD_FILE' | 'default';

export interface RootCredentials extends Credentials {
  userSource: CredentialSource;
  passwordSource: CredentialSource;
  /** The password is the published default: anyone who can reach the server can sign as root. */
  isDefault: boolean;
}

interface Setting {
  value: string;
  source: CredentialSource;
}

function fromEnv(env: NodeJS.ProcessEnv, name: 'TESSERA_ROOT_USER' | 'TESSERA_ROOT_PASSWORD'): Setting | undefined {
  const fileVariable = `${name}_FILE` as const;
  const direct = env[name];
  const file = env[fileVariable];
  if (direct !== undefined && file !== undefined) throw new ConfigurationError(`both ${name} and ${fileVariable} are set: set one of them`);
  if (direct !== undefined) return { value: direct, source: name };
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`cannot read ${fileVariable} (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Secret files usually end with a newline (echo, kubectl --from-file); it is not part of the secret.
  return { value: text.replace(/\r?\n$/, ''), source: fileVariable };
}

/** Reads the root credentials; setting only one of the two is refused rather than completed with a default. */
export function rootCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): RootCredentials {
  const user = fromEnv(env, 'TESSERA_ROOT_USER');
  const password = fromEnv(env, 'TESSERA_ROOT_PASSWORD');
  if (user && !password) throw new ConfigurationError(`${user.source} is set but TESSERA_ROOT_PASSWORD is not: set both, or neither for the defaults`);
  if (password && !user) throw new ConfigurationError(`${password.source} is set but TESSERA_ROOT_USER is not: set both, or neither for the defaults`);
  const root: RootCredentials = {
    accessKey: user?.value ?? DEFAULT_ROOT_USER,
    secretKey: password?.value ?? DEFAULT_ROOT_PASSWORD,
    userSource: user?.source ?? 'default',
    passwordSource: password?.source ?? 'default',
    isDefault: (password?.value ?? DEFAULT_ROOT_PASSWORD) === DEFAULT_ROOT_PASSWORD,
  };
  if (root.accessKey.length < 3) throw new ConfigurationError(`the root user (${root.userSource}) must be at least 3 characters`);
  if (root.secretKey.length < 8) throw new ConfigurationError(`the root password (${root.passwordSource}) must be at least 8 characters`);
  return root;
}

/** Where the credentials came from, for the start-up banner (never the secret). */
export function describeRootSource(root: RootCredentials): string {
  if (root.userSource === 'default') return 'the built-in defaults (published: anyone can use them)';
  return `from ${root.userSource} and ${root.passwordSource}${root.isDefault ? ' (the password is the published default)' : ''}`;
}

/**
 * The root credentials before a change (TESSERA_ROOT_PASSWORD_PREVIOUS, and TESSERA_ROOT_USER_PREVIOUS
 * when the user changed too): IAM data sealed under them is opened once and sealed again under the new.
 */
export function previousRootFromEnv(root: Credentials, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const password = env.TESSERA_ROOT_PASSWORD_PREVIOUS;
  const user = env.TESSERA_ROOT_USER_PREVIOUS;
  if (password === undefined) {
    if (user !== undefined) throw new ConfigurationError('TESSERA_ROOT_USER_PREVIOUS is set but TESSERA_ROOT_PASSWORD_PREVIOUS is not');
    return undefined;
  }
  return { accessKey: user ?? root.accessKey, secretKey: password };
}
