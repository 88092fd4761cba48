/**
 * The console attacked, in Debian's chromium against a real server: names and values that hold HTML
 * (object keys, folders, user metadata, tags, service account names and descriptions, lifecycle rule
 * ids, a server's error message) show as text on every page that shows them, and nothing they carry
 * is parsed or run; objects that are HTML or SVG cannot script the console's origin through its
 * previews; the secret key never leaves the tab's sessionStorage (no URL, header, cookie,
 * localStorage or server log line holds it) and is gone after logging out or expiry; the console's
 * files are served with headers that forbid framing and sniffing, and nothing outside them is
 * reachable by a path that climbs out; a removed or disabled user's session ends with a message.
 */
import { request as httpRequest } from 'node:http';
import { PutBucketLifecycleConfigurationCommand, PutObjectCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AdminClient } from '../../src/admin/client.js';
import { clientSuite } from '../compat/compat.js';
import { chromium, consolePage, launchBrowser, logIn, screenshot } from '../helpers/browser.js';
import { rootAdmin } from '../helpers/iam-fixtures.js';
import { endServer, SECRET_KEY, serverWithBuckets, type TestServer } from '../helpers/server.js';

const BUCKET = 'hostile';
const IMG = '<img src=x onerror=alert(1)>';
const SVG = '"><svg onload=alert(2)>';
const SCRIPT = '<script>alert(3)</script>';
/** What the script in a hostile object does when it runs: hand the tab's session to the page that framed it (or to itself). */
const STEAL = "(window.top||window).__stolen = sessionStorage.getItem('tessera.session') || 'ran without a session'";
/** Keys whose encoding a signer could get wrong. */
const ODD_KEYS = ["a+b c%20d?e#f&g=h;i'(j)*!~.txt", 'ünï κόσμε 😀.txt', 'tilde~$@:,[]{}^`|.txt'];
const USER = 'bob';
const USER_SECRET = 'bob-secret-Q7xZ93kLmP';

/** Before any page script: alert() and CSP violations recorded where the test can read them. */
async function watch(page: Page): Promise<void> {
  await page.evaluateOnNewDocument(() => {
    const w = window as unknown as { __alerts: string[]; __csp: string[] };
    w.__alerts = [];
    w.__csp = [];
    window.alert = (message?: unknown) => void w.__alerts.push(String(message));
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
}

/** Nothing the payloads carry became markup, nothing ran, nothing was blocked by the policy (which would mean it was injected). */
async function expectInert(page: Page): Promise<void> {
  const state = await page.evaluate(() => {
    const w = window as unknown as { __alerts: string[]; __csp: string[]; __stolen?: string };
    return {
      alerts: w.__alerts,
      csp: w.__csp,
      stolen: w.__stolen,
      injected: Array.from(document.querySelectorAll('[onerror], [onload], script:not([src]), img[src="x"], svg[onload]')).map((e) => e.outerHTML),
      scriptLinks: Array.from(document.querySelectorAll('a[href], iframe[src]')).map((e) => e.getAttribute('href') ?? e.getAttribute('src') ?? '').filter((h) => /^\s*(javascript|data|vbscript):/i.test(h)),
    };
  });
  expect(state).toEqual({ alerts: [], csp: [], stolen: undefined, injected: [], scriptLinks: [] });
}

const waitForText = (page: Page, text: string, timeout = 10_000): Promise<unknown> =>
  page.waitForFunction((t) => document.body.innerText.includes(t), { timeout }, text);

/** Sends a raw GET with `path` exactly as given (no URL normalisation); answers status, headers and body. */
function rawGet(endpoint: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

clientSuite('console: security (chromium)', chromium.missing, () => {
  let server: TestServer;
  let s3: S3Client;
  let admin: AdminClient;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  /** Every request the page made: URL and headers. */
  const sent: { url: string; headers: Record<string, string> }[] = [];

  const openObject = async (key: string): Promise<void> => {
    await page.evaluate(() => {
      delete (window as unknown as { __stolen?: string }).__stolen;
      location.hash = '#/buckets';
    });
    await page.waitForSelector('table.buckets');
    await page.evaluate((h) => (location.hash = h), `#/browse/${BUCKET}`);
    const row = await page.waitForSelector(`tr[data-key=${JSON.stringify(key)}] button.object-name`, { timeout: 10_000 });
    await row!.click();
    await page.waitForSelector('dialog[open] [data-field=content-type]');
    await page.waitForFunction(() => document.querySelector('dialog[open] [data-field=content-type]')?.textContent !== '…');
  };
  const closeDialog = async (): Promise<void> => {
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog[open]', { hidden: true });
  };

  beforeAll(async () => {
    ({ server, s3 } = await serverWithBuckets([BUCKET]));
    admin = rootAdmin(server);
    await admin.addUser(USER, USER_SECRET);
    await admin.attachPolicies(['consoleAdmin'], { user: USER });
    await admin.addUser('alice', 'alice-secret-0001');
    await admin.addServiceAccount('alice', { name: IMG, description: SVG + SCRIPT });
    const put = (Key: string, Body: string, ContentType: string, Metadata?: Record<string, string>) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ContentType, Metadata }));
    await put(`${IMG}.txt`, 'hello', 'text/plain', { note: IMG, other: SVG });
    await put(`folder${SVG}/inner.txt`, 'inner', 'text/plain');
    await put('javascript:alert(4)', 'js', 'text/plain');
    for (const key of ODD_KEYS) await put(key, 'ok', 'text/plain');
    const hostilePage = `<html><body><script>${STEAL}</script><img src=x onerror="${STEAL}"></body></html>`;
    await put('evil.pdf', hostilePage, 'text/html');
    await put('evil.html', hostilePage, 'text/html');
    await put('evil.png', hostilePage, 'text/html');
    await put('evil.svg', `<svg xmlns="http://www.w3.org/2000/svg" onload="${STEAL}"><script>${STEAL}</script><rect width="10" height="10"/></svg>`, 'image/svg+xml');
    await s3.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: `${IMG}.txt`, Tagging: { TagSet: [{ Key: 'note', Value: 'a+b=c' }] } }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: BUCKET,
        LifecycleConfiguration: { Rules: [{ ID: IMG, Status: 'Enabled', Filter: { Prefix: SVG }, Expiration: { Days: 3 } }] },
      }),
    );
    browser = await launchBrowser();
    page = await consolePage(browser, errors);
    await watch(page);
    page.on('request', (r) => sent.push({ url: r.url(), headers: r.headers() }));
    await logIn(page, server.endpoint, USER, USER_SECRET);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await endServer(server, s3);
  });

  it('shows hostile object keys, folders and a javascript: key as text, links none of them to script', async () => {
    await page.evaluate((h) => (location.hash = h), `#/browse/${BUCKET}`);
    await waitForText(page, `${IMG}.txt`);
    await waitForText(page, `folder${SVG}`);
    await waitForText(page, 'javascript:alert(4)');
    await expectInert(page);
    await page.click(`tr.folder[data-prefix^="folder"] a`);
    await waitForText(page, 'inner.txt');
    await expectInert(page);
    await screenshot(page, 'security-hostile-keys');
  });

  it('shows hostile user metadata and tags in the object dialog as text', async () => {
    await openObject(`${IMG}.txt`);
    await waitForText(page, IMG);
    expect(await page.$eval('dialog[open] [data-meta=note]', (e) => e.textContent)).toBe(IMG);
    expect(await page.$eval('dialog[open] [data-meta=other]', (e) => e.textContent)).toBe(SVG);
    await page.waitForSelector('dialog[open] input[name=tag-value]');
    // A tag value holding markup, typed in and saved, comes back as the same text.
    await page.$eval('dialog[open] input[name=tag-value]', (el, value) => {
      (el as HTMLInputElement).value = value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, 'x<b>y</b>');
    await page.click('dialog[open] [data-action=save-tags]');
    // S3 takes few characters in tags: the server's refusal is what shows, as text.
    await page.waitForFunction(() => /Tags saved|InvalidTag/.test(document.querySelector('.notice')?.textContent ?? ''), { timeout: 10_000 });
    await expectInert(page);
    await screenshot(page, 'security-hostile-metadata');
    await closeDialog();
  });

  it('shows hostile service account names and descriptions, and lifecycle rule ids, as text', async () => {
    await page.evaluate(() => (location.hash = '#/identity/service-accounts/alice'));
    await waitForText(page, IMG);
    await waitForText(page, SVG + SCRIPT);
    await expectInert(page);
    await screenshot(page, 'security-hostile-service-account');
    await page.evaluate((h) => (location.hash = h), `#/bucket-settings/${BUCKET}`);
    await waitForText(page, IMG);
    await expectInert(page);
    await screenshot(page, 'security-hostile-lifecycle');
    for (const hash of ['#/identity/users', '#/identity/groups', '#/identity/policies', '#/cluster', '#/buckets']) {
      await page.evaluate((h) => (location.hash = h), hash);
      await new Promise((r) => setTimeout(r, 500));
      await expectInert(page);
    }
  });

  it("shows a server's error message holding markup as text", async () => {
    await page.setRequestInterception(true);
    const hostile = (r: import('puppeteer-core').HTTPRequest): void => {
      if (r.isInterceptResolutionHandled()) return;
      if (new URL(r.url()).pathname === `/${BUCKET}` && r.method() === 'GET')
        void r.respond({ status: 500, contentType: 'application/xml', body: `<?xml version="1.0"?><Error><Code>InternalError</Code><Message>${IMG.replace(/</g, '&lt;')}</Message></Error>` });
      else void r.continue();
    };
    page.on('request', hostile);
    try {
      await page.evaluate(() => (location.hash = '#/buckets'));
      await page.waitForSelector('table.buckets');
      await page.evaluate((h) => (location.hash = h), `#/browse/${BUCKET}`);
      await waitForText(page, IMG);
      await expectInert(page);
      await screenshot(page, 'security-hostile-error');
    } finally {
      page.off('request', hostile);
      await page.setRequestInterception(false);
      for (const button of await page.$$('.notice button')) await button.click();
    }
    errors.length = 0; // the refused listing's own console message is this test's doing
  });

  it('an HTML object named .pdf does not run in the console when previewed (bug: previewed in a same-origin iframe, it read the secret)', async () => {
    await openObject('evil.pdf');
    await new Promise((r) => setTimeout(r, 1500));
    await expectInert(page);
    await screenshot(page, 'security-preview-html-as-pdf');
    await closeDialog();
  });

  it('HTML and SVG objects (also one named .png) preview without running their scripts', async () => {
    for (const key of ['evil.html', 'evil.svg', 'evil.png']) {
      await openObject(key);
      await new Promise((r) => setTimeout(r, 1000));
      await expectInert(page);
      await closeDialog();
    }
  });

  it('the download and share links hold no secret and make the browser save an HTML object, not show it', async () => {
    await openObject('evil.html');
    await page.waitForSelector('dialog[open] [data-action=download][href]');
    const download = await page.$eval('dialog[open] [data-action=download]', (a) => (a as HTMLAnchorElement).href);
    await page.click('dialog[open] [data-action=share]');
    const share = await (await page.waitForSelector('dialog[open] input[name=share-url]'))!.evaluate((e) => (e as HTMLInputElement).value);
    await closeDialog();
    for (const url of [download, share]) {
      expect(url).not.toContain(USER_SECRET);
      expect(url).not.toContain(encodeURIComponent(USER_SECRET));
      expect(new URL(url).origin).toBe(server.endpoint);
    }
    const saved = await fetch(download);
    expect(saved.headers.get('content-disposition')).toMatch(/^attachment/);
  });

  it('a share link of an HTML object, opened in the tab that holds the session, cannot read the secret (bug: it ran in the console origin)', async () => {
    await openObject('evil.html');
    await page.click('dialog[open] [data-action=share]');
    const share = await (await page.waitForSelector('dialog[open] input[name=share-url]'))!.evaluate((e) => (e as HTMLInputElement).value);
    const tab = await browser.newPage();
    try {
      await tab.goto(`${server.endpoint}/tessera/console/`);
      await tab.evaluate((s) => sessionStorage.setItem('tessera.session', s), await page.evaluate(() => sessionStorage.getItem('tessera.session')!));
      await tab.goto(share);
      const stolen = await tab.evaluate(() => (window as unknown as { __stolen?: string }).__stolen);
      // GetObject answers carry `Content-Security-Policy: sandbox`: the page runs in an origin of its own, without script.
      expect(stolen).toBeUndefined();
      expect((await fetch(share)).headers.get('content-security-policy')).toBe('sandbox');
    } finally {
      await tab.close();
      await closeDialog();
    }
  });

  it('signs requests for keys with odd characters as the server does (a mismatch would end the session)', async () => {
    for (const key of ODD_KEYS) {
      await openObject(key);
      expect(await page.$eval('dialog[open] [data-field=size]', (e) => e.textContent)).toMatch(/^2 B/);
      await page.click('dialog[open] [data-action=share]');
      const share = await (await page.waitForSelector('dialog[open] input[name=share-url]'))!.evaluate((e) => (e as HTMLInputElement).value);
      expect([key, await (await fetch(share)).text()]).toEqual([key, 'ok']);
      await closeDialog();
    }
    expect(await page.$('.shell')).not.toBeNull();
  });

  it('keeps the secret out of every URL, request header, cookie, localStorage and the server log', async () => {
    expect(sent.length).toBeGreaterThan(10);
    for (const { url, headers } of sent) {
      expect(url).not.toContain(USER_SECRET);
      for (const value of Object.values(headers)) expect(value).not.toContain(USER_SECRET);
    }
    expect(sent.some((r) => /^AWS4-HMAC-SHA256 Credential=bob\//.test(r.headers.authorization ?? ''))).toBe(true);
    expect(await page.cookies()).toEqual([]);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => document.documentElement.outerHTML)).not.toContain(USER_SECRET);
    expect(server.output).not.toContain(USER_SECRET);
    expect(server.output).not.toContain(SECRET_KEY);
  });

  it('forgets the secret on logout: nothing in storage or the page holds it', async () => {
    await page.click('.who button');
    await page.waitForSelector('input[name=secretKey]');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    const html = await page.evaluate(() => document.documentElement.outerHTML + (document.querySelector('input[name=secretKey]') as HTMLInputElement).value);
    expect(html).not.toContain(USER_SECRET);
  });

  it('session expiry forgets the secret in sessionStorage, not only the shell (bug: the secret stayed after expiry)', async () => {
    await logIn(page, server.endpoint, USER, USER_SECRET);
    await page.evaluate(() => {
      const saved = JSON.parse(sessionStorage.getItem('tessera.session')!) as { expiresAt: number };
      sessionStorage.setItem('tessera.session', JSON.stringify({ ...saved, expiresAt: Date.now() + 800 }));
    });
    await page.reload();
    await page.waitForSelector('.shell');
    await page.waitForSelector('.banner-warn', { timeout: 5_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('tessera.session'))).toBeNull();
    // A session found expired when the page loads is forgotten as well.
    await logIn(page, server.endpoint, USER, USER_SECRET);
    await page.evaluate(() => {
      const saved = JSON.parse(sessionStorage.getItem('tessera.session')!) as { expiresAt: number };
      sessionStorage.setItem('tessera.session', JSON.stringify({ ...saved, expiresAt: Date.now() - 1000 }));
    });
    await page.reload();
    await page.waitForSelector('input[name=secretKey]');
    expect(await page.evaluate(() => sessionStorage.getItem('tessera.session'))).toBeNull();
  });

  it('serves the console framing-proof and nosniff, and nothing outside it by paths that climb out', async () => {
    const index = await rawGet(server.endpoint, '/tessera/console/');
    const script = /src="(app-[^"]+\.js)"/.exec(index.body)![1];
    const style = /href="(app-[^"]+\.css)"/.exec(index.body)?.[1];
    for (const path of ['/tessera/console/', `/tessera/console/${script}`, ...(style ? [`/tessera/console/${style}`] : []), '/tessera/console/config.json', '/tessera/console/missing.js']) {
      const res = await rawGet(server.endpoint, path);
      expect([path, res.headers['x-content-type-options'], res.headers['x-frame-options']]).toEqual([path, 'nosniff', 'DENY']);
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    }
    const climbs = [
      '/tessera/console/../../package.json',
      '/tessera/console/../../../package.json',
      '/tessera/console/%2e%2e/%2e%2e/package.json',
      '/tessera/console/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/tessera/console/..%2f..%2fpackage.json',
      '/tessera/console/..\\..\\package.json',
      '/tessera/console/..%5c..%5cpackage.json',
      '/tessera/console/.%2e/.%2e/src/admin/console-assets.ts',
      '/tessera/console/%252e%252e/%252e%252e/package.json',
      '/tessera/console//etc/passwd',
      '/tessera/console/..%00/package.json',
    ];
    for (const path of climbs) {
      const res = await rawGet(server.endpoint, path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.body).not.toMatch(/"name": "tessera"|CONSOLE_PATH|root:/);
    }
  });

  it("ends a removed or disabled user's session with a message", async () => {
    await logIn(page, server.endpoint, USER, USER_SECRET);
    await page.waitForSelector('table.buckets');
    await admin.setUserStatus(USER, 'disabled');
    await page.evaluate((h) => (location.hash = h), `#/browse/${BUCKET}`);
    const banner = await page.waitForSelector('.banner-warn', { timeout: 10_000 });
    expect(await banner!.evaluate((e) => e.textContent)).toMatch(/no longer accepts these keys/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, 'security-disabled-user');
    // Disabled keys cannot log in again either.
    await page.type('input[name=accessKey]', USER);
    await page.type('input[name=secretKey]', USER_SECRET);
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    expect(await page.$('.shell')).toBeNull();
    await admin.setUserStatus(USER, 'enabled');
    await page.reload();
    await logIn(page, server.endpoint, USER, USER_SECRET);
    await admin.removeUser(USER);
    await page.evaluate((h) => (location.hash = h), '#/buckets');
    await page.evaluate((h) => (location.hash = h), `#/browse/${BUCKET}`);
    const removed = await page.waitForSelector('.banner-warn', { timeout: 10_000 });
    expect(await removed!.evaluate((e) => e.textContent)).toMatch(/no longer accepts these keys/);
    expect(errors.filter((e) => !/403|Forbidden/.test(e))).toEqual([]);
  });
});
