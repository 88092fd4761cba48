/** Credentials the server accepts. For now the root credentials only; IAM users come later. */

export interface Credentials {
  accessKey: string;
  secretKey: string;
}

export const DEFAULT_ROOT_USER = 'tesseraadmin';
export const DEFAULT_ROOT_PASSWORD = 'tesseraadmin';

/** Root credentials from TESSERA_ROOT_USER / TESSERA_ROOT_PASSWORD; `isDefault` when either was unset. */
export function rootCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials & { isDefault: boolean } {
  const accessKey = env.TESSERA_ROOT_USER ?? DEFAULT_ROOT_USER;
  const secretKey = env.TESSERA_ROOT_PASSWORD ?? DEFAULT_ROOT_PASSWORD;
  return { accessKey, secretKey, isDefault: env.TESSERA_ROOT_USER === undefined || env.TESSERA_ROOT_PASSWORD === undefined };
}

export function validateCredentials(c: Credentials): string | undefined {
  if (c.accessKey.length < 3) return 'TESSERA_ROOT_USER must be at least 3 characters';
  if (c.secretKey.length < 8) return 'TESSERA_ROOT_PASSWORD must be at least 8 characters';
  return undefined;
}

export class CredentialStore {
  private readonly secrets = new Map<string, string>();

  constructor(root: Credentials) {
    this.secrets.set(root.accessKey, root.secretKey);
  }

  lookupSecret = (accessKey: string): string | undefined => this.secrets.get(accessKey);
}
