/**
 * The console's page and its login, in Debian's chromium: the page is served with a strict security
 * policy; wrong keys are refused with a message and no session; right keys open the shell, whose
 * session lives only in the tab (no cookie); logging out, or a session past its time, returns to the
 * login page saying why. It works over https (TLS on), and over plain http from a host name that
 * makes the page no secure context (no WebCrypto there: signing must not need it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientSuite } from '../compat/compat.js';
import { chromium, consolePage, launchBrowser, logIn, screenshot } from '../helpers/browser.js';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';
import { makeCertsDir } from '../helpers/tls.js';

clientSuite('console: page and login (chromium)', chromium.missing, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await TestServer.start();
    browser = await launchBrowser();
    page = await consolePage(browser, errors);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.destroy();
  });

  it('is served at /tessera/console/ with a policy that loads nothing from elsewhere and forbids framing', async () => {
    const redirect = await fetch(`${server.endpoint}/tessera/console`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/tessera/console/']);
    const res = await fetch(`${server.endpoint}/tessera/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self';.*frame-ancestors 'none'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    const script = /src="(app-[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.endpoint}/tessera/console/${script}`);
    expect([asset.status, asset.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
    expect((await fetch(`${server.endpoint}/tessera/console/nothing-here.js`)).status).toBe(404);
    // Other methods are not the console's: S3 answers them (no bucket "tessera" can exist).
    expect((await fetch(`${server.endpoint}/tessera/console/`, { method: 'POST' })).status).not.toBe(200);
  });

  it('refuses wrong keys with a message and keeps no session', async () => {
    await page.goto(`${server.endpoint}/tessera/console/`);
    await page.type('input[name=accessKey]', ACCESS_KEY);
    await page.type('input[name=secretKey]', 'not-the-secret');
    await page.click('button[type=submit]');
    const alert = await page.waitForSelector('[role=alert]');
    expect(await alert!.evaluate((e) => e.textContent)).toMatch(/access key or the secret key is wrong/);
    expect(await page.$('.shell')).toBeNull();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, 'login-refused');
  });

  it('logs in with the right keys: the shell names the user; no cookie is set', async () => {
    await logIn(page, server.endpoint, ACCESS_KEY, SECRET_KEY);
    expect(await page.$eval('.who span', (e) => e.textContent)).toBe(ACCESS_KEY);
    expect(await page.cookies()).toEqual([]);
    await screenshot(page, 'shell');
  });

  it('works over plain http from another host name, where the page is no secure context (no WebCrypto)', async () => {
    // Chromium treats only https, localhost and loopback addresses as secure; this name maps to loopback.
    const insecure = await launchBrowser(['--host-resolver-rules=MAP tessera.test 127.0.0.1']);
    try {
      const other = await consolePage(insecure, errors);
      const endpoint = server.endpoint.replace('127.0.0.1', 'tessera.test');
      await logIn(other, endpoint, ACCESS_KEY, SECRET_KEY);
      expect(await other.evaluate(() => [window.isSecureContext, typeof crypto.subtle])).toEqual([false, 'undefined']);
      expect(await other.$eval('.who span', (e) => e.textContent)).toBe(ACCESS_KEY);
    } finally {
      await insecure.close();
    }
  });

  it('works over https when the server has TLS: a secure context, the page isolated from its openers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-console-tls-'));
    const tlsServer = await TestServer.start({ tls: await makeCertsDir(dir) });
    const secure = await launchBrowser([], { acceptInsecureCerts: true });
    try {
      const other = await consolePage(secure, errors);
      expect(tlsServer.endpoint).toMatch(/^https:/);
      await logIn(other, tlsServer.endpoint, ACCESS_KEY, SECRET_KEY);
      expect(await other.evaluate(() => [location.protocol, window.isSecureContext])).toEqual(['https:', true]);
      const reloaded = await other.goto(`${tlsServer.endpoint}/tessera/console/`);
      expect(reloaded!.headers()['cross-origin-opener-policy']).toBe('same-origin');
      await other.waitForSelector('.shell');
    } finally {
      await secure.close();
      await tlsServer.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('returns to the login page when the session has expired, and after logging out, saying why', async () => {
    await page.evaluate(() => {
      const saved = JSON.parse(sessionStorage.getItem('tessera.session')!) as { expiresAt: number };
      sessionStorage.setItem('tessera.session', JSON.stringify({ ...saved, expiresAt: Date.now() + 300 }));
    });
    await page.reload();
    await page.waitForSelector('.shell');
    const banner = await page.waitForSelector('.banner-warn', { timeout: 5_000 });
    expect(await banner!.evaluate((e) => e.textContent)).toMatch(/session has expired/);
    await logIn(page, server.endpoint, ACCESS_KEY, SECRET_KEY);
    await page.click('.who button');
    const out = await page.waitForSelector('.banner-warn');
    expect(await out!.evaluate((e) => e.textContent)).toMatch(/logged out/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(errors).toEqual([]);
  });
});
