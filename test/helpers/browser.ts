/**
 * Driving Debian's chromium (headless) with puppeteer-core for the console's tests: no browser is
 * downloaded; TESSERA_CHROMIUM names another executable. Under CI=true a missing chromium fails the
 * suite (see clientSuite); elsewhere it is skipped with the reason. Screenshots go to
 * test/console/screenshots/ (not committed; the README's two are copied from there).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { debianClient } from '../compat/compat.js';
import { ROOT } from './server.js';

export const chromium = debianClient(process.env.TESSERA_CHROMIUM ?? 'chromium');
export const SCREENSHOTS = join(ROOT, 'test/console/screenshots');

/**
 * `args`: more chromium switches, e.g. `--host-resolver-rules=...` to reach the server by another name;
 * `acceptInsecureCerts` for a server whose certificate a test CA signed.
 */
export async function launchBrowser(args: string[] = [], options: { acceptInsecureCerts?: boolean } = {}): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromium.path!,
    headless: true,
    acceptInsecureCerts: options.acceptInsecureCerts,
    // Root in a container has no user namespace for chromium's sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--window-size=1280,860', ...args],
    defaultViewport: { width: 1280, height: 860 },
  });
}

/** A page that fails the test on any uncaught error or console error of the console's own code. */
export async function consolePage(browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (err) => errors.push(`page error: ${(err as Error).message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) errors.push(`console error: ${message.text()}`);
  });
  return page;
}

/** Opens the console at `endpoint` and logs in; resolves once the shell shows. */
export async function logIn(page: Page, endpoint: string, accessKey: string, secretKey: string): Promise<void> {
  await page.goto(`${endpoint}/tessera/console/`);
  await page.waitForSelector('input[name=accessKey]');
  await page.type('input[name=accessKey]', accessKey);
  await page.type('input[name=secretKey]', secretKey);
  await page.click('button[type=submit]');
  await page.waitForSelector('.shell');
}

/** Saves a full-page screenshot as test/console/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
