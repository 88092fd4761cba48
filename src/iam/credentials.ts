/** Credentials the server accepts. For now the root credentials only; IAM users come later. */

export interface Credentials {
  accessKey: string;
  secretKey: string;
}

export class CredentialStore {
  private readonly secrets = new Map<string, string>();

  constructor(root: Credentials) {
    this.secrets.set(root.accessKey, root.secretKey);
  }

  lookupSecret = (accessKey: string): string | undefined => this.secrets.get(accessKey);
}
