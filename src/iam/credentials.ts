/** A pair of keys that signs requests: the root user's, a user's or a service account's. */

export interface Credentials {
  accessKey: string;
  secretKey: string;
}
