/** Health endpoints for load balancers and orchestrators; no authentication, no S3 semantics. */
import type { Context, Next } from 'koa';
import type { ObjectLayer } from '../object/types.js';

export const HEALTH_PREFIX = '/tessera/health/';

export function healthRoutes(objects: ObjectLayer) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!ctx.path.startsWith(HEALTH_PREFIX) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const check = ctx.path.slice(HEALTH_PREFIX.length);
    let healthy: boolean;
    if (check === 'live' || check === 'ready') healthy = true;
    else if (check === 'cluster') healthy = objects.isWritable();
    else return next();
    ctx.status = healthy ? 200 : 503;
    ctx.body = '';
  };
}
