/**
 * Helpers for the IAM integration tests (iam-matrix, bucket-policy, acl): an admin client for a test
 * server, SDK v3 clients signed as any user (or not signed at all), and the outcome of a request as
 * one comparable value: 'allow' when it succeeded, otherwise the S3 error code (or, for answers with
 * no body such as HEAD's, `HTTP <status>`), together with the HTTP status.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { AdminClient } from '../../src/admin/client.js';
import { ACCESS_KEY, SECRET_KEY, type TestServer } from './server.js';
import { sdkRequestHandler, type TestCerts } from './tls.js';

export interface Keys {
  accessKey: string;
  secretKey: string;
}

export const ROOT_KEYS: Keys = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY };

/** The admin API as the root user. */
export function rootAdmin(server: TestServer): AdminClient {
  return new AdminClient({ url: server.endpoint, accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
}

/** Where requests go: a test server, or one node of a cluster (`tls`: the cluster's). */
export interface S3Endpoint {
  endpoint: string;
  tls?: Pick<TestCerts, 'ca'>;
}

/** An SDK client signing with `keys`; no retries, so a refusal is seen as it came. */
export function s3As(server: S3Endpoint, keys: Keys): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: keys.accessKey, secretAccessKey: keys.secretKey },
    ...(server.tls ? { requestHandler: sdkRequestHandler({ ca: server.tls.ca }) } : {}),
  });
}

/**
 * An SDK client whose requests go out unsigned (anonymous): the SDK signs as usual and a middleware
 * placed after its signer strips everything the signature added.
 */
export function anonymousS3(server: S3Endpoint): S3Client {
  const client = s3As(server, { accessKey: 'anonymous-placeholder', secretKey: 'anonymous-placeholder' });
  client.middlewareStack.addRelativeTo(
    (next: FinalizeHandler<object, MetadataBearer>) => async (args: FinalizeHandlerArguments<object>) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) {
        for (const name of Object.keys(request.headers)) {
          if (['authorization', 'x-amz-date', 'x-amz-security-token'].includes(name.toLowerCase())) delete request.headers[name];
        }
      }
      return next(args);
    },
    { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'stripSignature', override: true },
  );
  return client;
}

export interface Outcome {
  /** 'allow', an S3 error code, or `HTTP <status>` when the answer named no code. */
  verdict: string;
  status: number;
}

interface SdkError extends Error {
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

/** Names the SDK gives an error answer without a body (HEAD), in place of a code. */
const NAMELESS = new Set(['Forbidden', 'NotFound', 'BadRequest', 'UnknownError', 'Unknown', '403', '404', '400', '301']);

/** The outcome of an SDK call. */
export async function outcome(p: Promise<{ $metadata?: { httpStatusCode?: number } } | unknown>): Promise<Outcome> {
  try {
    const out = (await p) as { $metadata?: { httpStatusCode?: number } } | undefined;
    return { verdict: 'allow', status: out?.$metadata?.httpStatusCode ?? 200 };
  } catch (err) {
    const e = err as SdkError;
    const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode ?? 0;
    if (status === 0) throw err;
    const code = e.Code ?? e.name;
    return { verdict: NAMELESS.has(code) ? `HTTP ${status}` : code, status };
  }
}

/** Just the verdict of an SDK call. */
export async function verdict(p: Promise<unknown>): Promise<string> {
  return (await outcome(p)).verdict;
}

/** A unique-enough suffix for names made by one test run. */
export function suffix(): string {
  return Math.random().toString(36).slice(2, 8);
}
