/**
 * The console's administration screens, in Debian's chromium against a test server, as the root user:
 * a policy made in the JSON editor (an invalid document is flagged inline as it is typed, with its
 * line and column; the server's own refusal is shown too), a user with that policy attached, a group
 * with the user in it, a service account whose secret is shown once — each checked through the admin
 * API — and the user, logged in in a second page, seeing what the policy allows and, where it does
 * not, which permission is missing. A bucket's settings: the anonymous 'download' preset (an unsigned
 * curl GET then works), lifecycle rules added and deleted (read back through the SDK), versioning
 * enabled and suspended.
 */
import { execFileSync } from 'node:child_process';
import { GetBucketLifecycleConfigurationCommand, GetBucketVersioningCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AdminClient } from '../../src/admin/client.js';
import { clientSuite } from '../compat/compat.js';
import { chromium, consolePage, launchBrowser, logIn, screenshot } from '../helpers/browser.js';
import { rootAdmin, s3As } from '../helpers/iam-fixtures.js';
import { ACCESS_KEY, endServer, SECRET_KEY, serverWithBuckets, type TestServer } from '../helpers/server.js';

const BUCKET = 'docs';
const POLICY = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketVersioning'], Resource: [`arn:aws:s3:::${BUCKET}`] },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${BUCKET}/*`] },
    ],
  },
  null,
  2,
);

/** Sets a text field's whole value as typing would (one input event). */
async function fill(page: Page, selector: string, text: string): Promise<void> {
  await page.$eval(
    selector,
    (el, value) => {
      const field = el as HTMLInputElement | HTMLTextAreaElement;
      field.value = value;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    },
    text,
  );
}

const textOf = (page: Page, selector: string): Promise<string> => page.$eval(selector, (e) => e.textContent ?? '');

/** Waits until `selector`'s text matches `pattern`; answers the text. */
async function waitForText(page: Page, selector: string, pattern: RegExp, timeout = 10_000): Promise<string> {
  await page.waitForFunction((sel, source) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ''), { timeout }, selector, pattern.source);
  return textOf(page, selector);
}

/** Dismisses the notices (they stack at the bottom right, over what a click may aim at there). */
const dismissNotices = (page: Page): Promise<void> => page.$$eval('.notice button', (buttons) => buttons.forEach((b) => (b as HTMLButtonElement).click()));

/** A screenshot without the notices left over from the steps before. */
async function shot(page: Page, name: string): Promise<void> {
  await dismissNotices(page);
  await screenshot(page, name);
}

/** Waits for the open dialog to close. */
const dialogClosed = (page: Page): Promise<unknown> => page.waitForFunction(() => !document.querySelector('dialog[open]'));

clientSuite('console: administration (chromium)', chromium.missing, () => {
  let server: TestServer;
  let s3: S3Client;
  let browser: Browser;
  let page: Page;
  let admin: AdminClient;
  const errors: string[] = [];

  beforeAll(async () => {
    ({ server, s3 } = await serverWithBuckets([BUCKET]));
    admin = rootAdmin(server);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'hello.txt', Body: 'hello, anyone' }));
    browser = await launchBrowser();
    page = await consolePage(browser, errors);
    await logIn(page, server.endpoint, ACCESS_KEY, SECRET_KEY);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await endServer(server, s3);
  });

  it('creates a policy in the JSON editor: invalid JSON and a bad shape are flagged inline, the server refusal shown, a valid one saved', async () => {
    await page.goto(`${server.endpoint}/tessera/console/#/identity/policies`);
    await page.waitForSelector('tr[data-policy=readwrite]');
    // A built-in one is shown, not edited; Escape closes the dialog.
    await page.click('tr[data-policy=readonly] button::-p-text(View)');
    await page.waitForSelector('dialog[open] pre');
    expect(await textOf(page, 'dialog[open] pre')).toContain('s3:GetObject');
    await page.keyboard.press('Escape');
    await dialogClosed(page);
    await page.click('button::-p-text(Create policy)');
    await page.waitForSelector('dialog[open] textarea#policy-text');
    await page.type('dialog[open] input[name=policyName]', 'docs-reader');
    await fill(page, '#policy-text', '');
    await page.type('#policy-text', '{\n  "Version": "2012-10-17",\n  "Statement": [ { "Effect": "Allow", }');
    expect(await waitForText(page, '.policy-problems', /Line 3, column \d+: JSON syntax/)).toMatch(/Line 3, column \d+/);
    const save = 'dialog[open] button[type=submit]';
    expect(await page.$eval(save, (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await fill(page, '#policy-text', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Principal: '*', Action: 's3:GetObject' }] }));
    const shape = await waitForText(page, '.policy-problems', /Effect must be/);
    expect(shape).toMatch(/needs exactly one of Resource and NotResource/);
    expect(shape).toMatch(/identity policy names no Principal/);
    await shot(page, 'policies-editor');
    // A shape the page takes, an action the server does not know: its refusal is shown in the dialog.
    await fill(page, '#policy-text', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:Fly', Resource: '*' }] }));
    await waitForText(page, '.policy-problems', /Looks like a valid identity policy/);
    await page.click(save);
    expect(await waitForText(page, 'dialog[open] [role=alert]', /server refused/)).toMatch(/invalid action: s3:Fly/);
    await fill(page, '#policy-text', POLICY);
    await waitForText(page, '.policy-problems', /Looks like a valid/);
    await page.click(save);
    await dialogClosed(page);
    await page.waitForSelector('tr[data-policy=docs-reader]');
    expect((await admin.policyInfo('docs-reader')).policy).toEqual(JSON.parse(POLICY));
  });

  let aliceSecret = '';

  it('creates a user with a generated secret, attaches the policy, and lists both', async () => {
    await page.goto(`${server.endpoint}/tessera/console/#/identity/users`);
    await page.click('button::-p-text(Create user)');
    await page.waitForSelector('dialog[open] input[name=newAccessKey]');
    await page.type('input[name=newAccessKey]', 'alice');
    await page.click('button::-p-text(Generate a secret)');
    await page.waitForFunction(() => (document.querySelector('input[name=newSecretKey]') as HTMLInputElement).value !== '');
    aliceSecret = await page.$eval('input[name=newSecretKey]', (e) => (e as HTMLInputElement).value);
    expect(aliceSecret).toMatch(/^[A-Za-z0-9_-]{40}$/);
    await page.click('dialog[open] button[type=submit]');
    await dialogClosed(page);
    await page.waitForSelector('tr[data-user=alice]');
    expect((await admin.userInfo('alice')).status).toBe('enabled');

    await page.click('tr[data-user=alice] button::-p-text(Policies)');
    await page.waitForSelector('dialog[open] input[value=docs-reader]');
    await page.click('dialog[open] input[value=docs-reader]');
    await page.click('dialog[open] button[type=submit]');
    await dialogClosed(page);
    await waitForText(page, 'tr[data-user=alice]', /docs-reader/);
    expect((await admin.userInfo('alice')).policies).toEqual(['docs-reader']);

    // Disable and enable again, through the row's button.
    await page.click('tr[data-user=alice] button::-p-text(Disable)');
    await waitForText(page, 'tr[data-user=alice]', /disabled/);
    expect((await admin.userInfo('alice')).status).toBe('disabled');
    await page.click('tr[data-user=alice] button::-p-text(Enable)');
    await waitForText(page, 'tr[data-user=alice] .badge', /^enabled$/);
    expect((await admin.userInfo('alice')).status).toBe('enabled');
  });

  it('creates a group with the user in it', async () => {
    await page.goto(`${server.endpoint}/tessera/console/#/identity/groups`);
    await page.click('button::-p-text(Create group)');
    await page.waitForSelector('dialog[open] input[name=member][value=alice]');
    await page.type('input[name=groupName]', 'readers');
    await page.click('input[name=member][value=alice]');
    await page.click('dialog[open] button[type=submit]');
    await dialogClosed(page);
    await waitForText(page, 'tr[data-group=readers]', /alice/);
    expect((await admin.groupInfo('readers')).members).toEqual(['alice']);
    // A group with members cannot be deleted from here.
    expect(await page.$eval('tr[data-group=readers] button.danger', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await page.click('tr[data-group=readers] button::-p-text(Policies)');
    await page.waitForSelector('dialog[open] input[value=readonly]');
    await page.click('dialog[open] input[value=readonly]');
    await page.click('dialog[open] button[type=submit]');
    await dialogClosed(page);
    await waitForText(page, 'tr[data-group=readers]', /readonly/);
    expect((await admin.groupInfo('readers')).policies).toEqual(['readonly']);
    await shot(page, 'groups');
    // Detached again, so the user's own policy is all it has below.
    await admin.detachPolicies(['readonly'], { group: 'readers' });
  });

  it("creates a service account for the user and shows its secret once; the keys work", async () => {
    await page.goto(`${server.endpoint}/tessera/console/#/identity/service-accounts/alice`);
    await page.waitForSelector('td.empty');
    await page.click('button::-p-text(Create service account)');
    await page.waitForSelector('dialog[open] input[name=accountName]');
    await page.type('input[name=accountName]', 'ci');
    await page.type('input[name=description]', 'the build robot');
    await page.click('dialog[open] button[type=submit]');
    await page.waitForSelector('dialog[open] code[data-field=secretKey]');
    const accessKey = await textOf(page, 'code[data-field=accessKey]');
    const secretKey = await textOf(page, 'code[data-field=secretKey]');
    expect(secretKey.length).toBeGreaterThanOrEqual(8);
    const info = await admin.serviceAccountInfo(accessKey);
    expect([info.parent, info.name, info.description, info.status]).toEqual(['alice', 'ci', 'the build robot', 'enabled']);
    const listed = await s3As(server, { accessKey, secretKey }).send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['hello.txt']);
    await page.click('button::-p-text(Done)');
    await dialogClosed(page);
    await page.waitForSelector(`tr[data-account="${accessKey}"]`);
    // Shown once: the list has no secret in it.
    expect(await page.content()).not.toContain(secretKey);
    await page.click(`tr[data-account="${accessKey}"] button::-p-text(Disable)`);
    await waitForText(page, `tr[data-account="${accessKey}"]`, /disabled/);
    expect((await admin.serviceAccountInfo(accessKey)).status).toBe('disabled');
    await shot(page, 'service-accounts');
    // The root user is no user and has none of its own: the page opens on a user's.
    await page.goto(`${server.endpoint}/tessera/console/#/identity/service-accounts`);
    await page.waitForSelector(`tr[data-account="${accessKey}"]`);
    expect(await page.$eval('select[name=parent]', (e) => (e as HTMLSelectElement).value)).toBe('alice');
  });

  it('the user, logged in on another page, sees what its policy allows and which permission the rest needs', async () => {
    const alice = await consolePage(browser, errors);
    try {
      await logIn(alice, server.endpoint, 'alice', aliceSecret);
      await alice.goto(`${server.endpoint}/tessera/console/#/identity/users`);
      expect(await waitForText(alice, '[role=alert]', /Access denied/)).toMatch(/this needs the admin:ListUsers permission/);
      await alice.goto(`${server.endpoint}/tessera/console/#/bucket-settings/${BUCKET}`);
      // s3:GetBucketVersioning is allowed: the status shows.
      await waitForText(alice, '[data-field=versioning]', /never enabled/);
      const refusals = await waitForText(alice, '#main', /s3:GetLifecycleConfiguration/);
      expect(refusals).toMatch(/Access denied: this needs the s3:GetLifecycleConfiguration permission/);
      expect(refusals).toMatch(/Access denied: this needs the s3:GetBucketPolicy permission/);
      // A change it may not make says so.
      await alice.click('button::-p-text(Enable versioning)');
      expect(await waitForText(alice, '.notice-error', /needs/)).toMatch(/Access denied: this needs the s3:PutBucketVersioning permission/);
      // Its own service accounts are its own to see.
      await alice.goto(`${server.endpoint}/tessera/console/#/identity/service-accounts`);
      await alice.waitForSelector('tr[data-account]');
    } finally {
      await alice.close();
    }
  });

  it("a bucket's settings: the anonymous download preset lets an unsigned curl GET in", async () => {
    const url = `${server.endpoint}/${BUCKET}/hello.txt`;
    const curl = (): string => execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', url], { encoding: 'utf8' });
    expect(curl()).toBe('403');
    await page.goto(`${server.endpoint}/tessera/console/#/bucket-settings/${BUCKET}`);
    await waitForText(page, '[data-field=anonymous-level]', /none/);
    await page.click('input[name=anonymousLevel][value=download]');
    await page.click('#anonymous-title ~ .toolbar button::-p-text(Apply)');
    await waitForText(page, '[data-field=anonymous-level]', /download/);
    expect(curl()).toBe('200');
    // The policy it wrote shows in the bucket policy editor; a statement of another shape makes the level custom.
    const written = JSON.parse(await page.$eval('#bucket-policy', (e) => (e as HTMLTextAreaElement).value)) as { Statement: unknown[] };
    expect(written.Statement.length).toBe(2);
    written.Statement.push({ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:GetObjectTagging'], Resource: [`arn:aws:s3:::${BUCKET}/*`] });
    await fill(page, '#bucket-policy', JSON.stringify(written, null, 2));
    await page.click('button::-p-text(Save policy)');
    await waitForText(page, '[data-field=anonymous-level]', /custom/);
    // And back to private.
    await page.click('input[name=anonymousLevel][value=none]');
    await page.click('#anonymous-title ~ .toolbar button::-p-text(Apply)');
    // The editor shows the policy as stored again: the other statement alone.
    await page.waitForFunction(() => !(document.querySelector('#bucket-policy') as HTMLTextAreaElement).value.includes('"s3:GetObject"'));
    expect(await textOf(page, '[data-field=anonymous-level]')).toBe('custom');
    await fill(page, '#bucket-policy', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }] }));
    expect(await waitForText(page, '#bucket-policy-problems', /needs a Principal/)).toMatch(/Statement 1/);
    await page.click('button::-p-text(Delete policy)');
    await waitForText(page, '[data-field=anonymous-level]', /none/);
    expect(curl()).toBe('403');
  });

  it("a bucket's settings: lifecycle rules added and deleted, read back through the SDK; versioning enabled and suspended", async () => {
    await fill(page, 'input[name=rule-id]', 'expire-tmp');
    await fill(page, 'input[name=rule-prefix]', 'tmp/');
    await fill(page, 'input[name=rule-expiration]', '7');
    await fill(page, 'input[name=rule-abort]', '2');
    await page.click('button::-p-text(Add rule)');
    await page.waitForSelector('tr[data-rule=expire-tmp]');
    await fill(page, 'input[name=rule-id]', 'old-logs');
    await fill(page, 'input[name=rule-prefix]', 'logs/');
    await fill(page, 'input[name=rule-noncurrent]', '30');
    await page.click('button::-p-text(Add rule)');
    await page.waitForSelector('tr[data-rule=old-logs]');
    let rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }))).Rules ?? [];
    expect(rules.map((r) => [r.ID, r.Filter?.Prefix, r.Status, r.Expiration?.Days, r.NoncurrentVersionExpiration?.NoncurrentDays, r.AbortIncompleteMultipartUpload?.DaysAfterInitiation])).toEqual([
      ['expire-tmp', 'tmp/', 'Enabled', 7, undefined, 2],
      ['old-logs', 'logs/', 'Enabled', undefined, 30, undefined],
    ]);
    await dismissNotices(page);
    await page.click('tr[data-rule=old-logs] button::-p-text(Delete)');
    await page.waitForFunction(() => !document.querySelector('tr[data-rule=old-logs]'));
    rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }))).Rules ?? [];
    expect(rules.map((r) => r.ID)).toEqual(['expire-tmp']);

    await page.click('button::-p-text(Enable versioning)');
    await waitForText(page, '[data-field=versioning]', /^enabled$/);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
    await page.click('button::-p-text(Suspend versioning)');
    await waitForText(page, '[data-field=versioning]', /^suspended$/);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Suspended');
    await fill(page, 'input[name=anonymousPrefix]', 'public/');
    await page.click('input[name=anonymousLevel][value=download]');
    await page.click('#anonymous-title ~ .toolbar button::-p-text(Apply)');
    await waitForText(page, '[data-field=anonymous-level]', /download/);
    await page.waitForFunction(() => (document.querySelector('#bucket-policy') as HTMLTextAreaElement).value.includes('public/*'));
    await shot(page, 'bucket-settings');
  });

  it('lists users with their policies and groups; no page errors', async () => {
    await admin.addUser('bob', 'bob-secret-key');
    await admin.setUserStatus('bob', 'disabled');
    await page.goto(`${server.endpoint}/tessera/console/#/identity/users`);
    const row = await waitForText(page, 'tr[data-user=alice]', /readers/);
    expect(row).toMatch(/docs-reader/);
    expect(await textOf(page, 'tr[data-user=bob]')).toMatch(/disabled/);
    await shot(page, 'users');
    // At phone width the table scrolls within its frame; the page itself does not.
    await page.setViewport({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'users-phone');
    await page.setViewport({ width: 1280, height: 860 });
    expect(errors).toEqual([]);
  });
});
