/**
 * The web console's static files under `/tessera/console/`: built into dist/console by
 * src/console/build.mjs, read once when the server starts, served to anyone (they hold no data: the
 * browser signs every S3 and admin request itself, with the keys the user logs in with). The page
 * loads nothing from elsewhere and may not be framed; its policy is strict enough that an injected
 * script would not run.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Next } from 'koa';

export const CONSOLE_PATH = '/tessera/console/';

/** dist/console, beside dist/src (this module runs as dist/src/admin/console-assets.js). */
const BUILT_CONSOLE = fileURLToPath(new URL('../../console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS: Record<string, string> = {
  // blob: lets previews show what the page itself fetched; data: the inline icons.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; " +
    "frame-src 'self' blob:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The files of a built console directory by name; empty when it was not built. */
export function loadConsoleAssets(dir = BUILT_CONSOLE): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return assets;
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/** What the page learns of the server before anyone logs in (`config.json`): the region it signs for. */
export interface ConsoleConfig {
  region: string;
}

/** Serves GET and HEAD under CONSOLE_PATH (and redirects the path without its slash); passes the rest on. */
export function consoleRoutes(config: ConsoleConfig, assets: Map<string, Asset> = loadConsoleAssets()) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const path = ctx.path;
    if (path !== CONSOLE_PATH.slice(0, -1) && !path.startsWith(CONSOLE_PATH)) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (path === CONSOLE_PATH.slice(0, -1)) {
      ctx.status = 301;
      ctx.set('Location', CONSOLE_PATH);
      return;
    }
    const name = path.slice(CONSOLE_PATH.length) || 'index.html';
    ctx.set(SECURITY_HEADERS);
    // Browsers ignore it (and say so) on an origin that is not trustworthy, plain http to a remote name.
    if (ctx.secure) ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (name === 'config.json') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = config;
      return;
    }
    const asset = assets.get(name);
    if (!asset) {
      ctx.status = 404;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = assets.size === 0 ? 'The console is not built: run `npm run build`.\n' : 'Not found.\n';
      return;
    }
    // The page names its script and style with their content hash: those may be kept; the page may not.
    ctx.set('Cache-Control', name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable');
    ctx.set('ETag', asset.etag);
    if (ctx.get('If-None-Match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.status = 200;
    ctx.type = asset.type;
    ctx.body = asset.body;
  };
}
