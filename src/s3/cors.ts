/**
 * Cross-origin requests from browsers. Off by default: preflights are refused as S3 refuses them on
 * a bucket without a CORS configuration. `--cors-allow-origin` opens it to the listed origins.
 */
import type { Context, Next } from 'koa';
import { S3Error } from '../errors.js';

const ALLOWED_METHODS = 'GET, PUT, POST, DELETE, HEAD';
const EXPOSED_HEADERS = 'ETag, Content-Length, Content-Range, Last-Modified, x-amz-request-id, x-amz-version-id, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, x-amz-checksum-sha1, x-amz-checksum-sha256';
const PREFLIGHT_MAX_AGE_SECONDS = '3600';

export function corsHandler(origins: string[]) {
  const allows = (origin: string): boolean => origins.includes('*') || origins.includes(origin);
  return async (ctx: Context, next: Next): Promise<void> => {
    const origin = ctx.get('origin');
    if (ctx.method === 'OPTIONS') {
      const method = ctx.get('access-control-request-method');
      if (!origin || !method) throw new S3Error('InvalidRequest', 'Insufficient information. Origin request header needed.');
      if (!allows(origin) || !ALLOWED_METHODS.split(', ').includes(method.toUpperCase())) {
        throw new S3Error('AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');
      }
      ctx.set('Access-Control-Allow-Origin', origins.includes('*') ? '*' : origin);
      ctx.set('Access-Control-Allow-Methods', ALLOWED_METHODS);
      const requested = ctx.get('access-control-request-headers');
      if (requested) ctx.set('Access-Control-Allow-Headers', requested);
      ctx.set('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_SECONDS);
      ctx.set('Vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
      ctx.status = 200;
      ctx.body = '';
      return;
    }
    if (origin && allows(origin)) {
      ctx.set('Access-Control-Allow-Origin', origins.includes('*') ? '*' : origin);
      ctx.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
      ctx.set('Vary', 'Origin');
    }
    await next();
  };
}
