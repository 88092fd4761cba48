/** An S3 endpoint named by an alias: its client, and calls whose failures become one-line messages. */
import type { Agent } from 'node:https';
import { HeadBucketCommand, HeadObjectCommand, S3Client, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { getAlias, type AliasConfig } from './config.js';
import { CliError, explainRemote, isNotFound } from './errors.js';
import { httpsAgent } from './trust.js';

// The SDK warns on stderr about future Node versions; that is not this program's user's concern.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const silentLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface Where {
  bucket?: string;
  key?: string;
}

export interface RemoteOptions {
  maxAttempts?: number;
  /** For an https endpoint: the agent that knows which CAs to trust. */
  httpsAgent?: Agent;
}

export class Remote {
  readonly client: S3Client;
  /** Set once the server answered NotImplemented to CopyObject: copies then stream GET → PUT. */
  copyUnsupported = false;

  constructor(
    readonly alias: string,
    readonly config: AliasConfig,
    private readonly options: RemoteOptions = {},
  ) {
    this.client = new S3Client({
      endpoint: config.url,
      region: config.region ?? 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: config.accessKey, secretAccessKey: config.secretKey },
      // Checksums only where S3 requires them: many S3-compatible servers reject the newer defaults.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: options.maxAttempts ?? 3,
      logger: silentLogger,
      requestHandler: { connectionTimeout: 10_000, httpsAgent: options.httpsAgent },
    });
  }

  get url(): string {
    return this.config.url;
  }

  get httpsAgent(): Agent | undefined {
    return this.options.httpsAgent;
  }

  /** Runs `fn` with the client; any failure comes back as a CliError naming `where`. */
  async call<T>(where: Where, fn: (client: S3Client) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client);
    } catch (err) {
      throw this.explain(err, where);
    }
  }

  /** As `call`, but the S3 error `absent` (what was asked for is not set) gives undefined. */
  async callUnlessAbsent<T>(where: Where, fn: (client: S3Client) => Promise<T>, absent: string): Promise<T | undefined> {
    try {
      return await fn(this.client);
    } catch (err) {
      if ((err as { name?: string }).name === absent) return undefined;
      throw this.explain(err, where);
    }
  }

  explain(err: unknown, where: Where = {}): CliError {
    return explainRemote(err, { alias: this.alias, url: this.url, ...where });
  }

  /** Fails with `bucket "x" does not exist` (or access/network errors) unless the bucket is there. */
  async requireBucket(bucket: string): Promise<void> {
    await this.call({ bucket }, (c) => c.send(new HeadBucketCommand({ Bucket: bucket })));
  }

  async bucketExists(bucket: string): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (err) {
      if (isNotFound(err) || (err as { name?: string }).name === 'NoSuchBucket') return false;
      throw this.explain(err, { bucket });
    }
  }

  /** HEAD of an object, or undefined if it does not exist; a missing bucket is an error. */
  async headObject(bucket: string, key: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      if (!isNotFound(err)) throw this.explain(err, { bucket, key });
      // HEAD answers a bare 404 for a missing bucket too: tell the two apart.
      await this.requireBucket(bucket);
      return undefined;
    }
  }

  /** `alias/bucket/key` as the user writes it. */
  name(bucket?: string, key?: string): string {
    return [this.alias, bucket, key].filter((p) => p !== undefined && p !== '').join('/');
  }
}

const remotes = new Map<string, Remote>();

/** The Remote for an alias, one per process (so what it learns about the server is kept). */
export async function remoteFor(alias: string, options: { maxAttempts?: number } = {}): Promise<Remote> {
  const cacheKey = `${alias}\0${options.maxAttempts ?? ''}`;
  let remote = remotes.get(cacheKey);
  if (!remote) {
    const config = await getAlias(alias);
    remote = new Remote(alias, config, { ...options, httpsAgent: config.url.startsWith('https:') ? await httpsAgent() : undefined });
    remotes.set(cacheKey, remote);
  }
  return remote;
}
