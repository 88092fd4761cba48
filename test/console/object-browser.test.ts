/**
 * The console's object browser in Debian's chromium, against one server: buckets made and deleted
 * through the UI (a versioned one, one with Object Lock; a non-empty one refused in words); uploads
 * through the file input (20 MiB in parts with a moving progress bar, an image, a text file) and by
 * drops (a folder keeping its paths, a file); 450 objects paged 200 at a time; previews, tags, a share
 * link fetched with curl; deletes; versions of an overwritten object; the page at phone width. Each
 * result is checked through the S3 API as well as on the page.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientSuite } from '../compat/compat.js';
import { chromium, consolePage, launchBrowser, logIn, screenshot } from '../helpers/browser.js';
import { ACCESS_KEY, SECRET_KEY, TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const PLAIN = 'browser-plain';
const VERSIONED = 'browser-versioned';
const LOCKED = 'browser-locked';
const BIG = 20 * 1024 * 1024;

clientSuite('console: object browser (chromium)', chromium.missing, () => {
  let server: TestServer;
  let s3: S3Client;
  let browser: Browser;
  let page: Page;
  let files: string;
  const errors: string[] = [];
  const bigBytes = randomBytes(BIG);
  const text = 'Hello from the console test.\nLine two: ünïcödé.\n';

  const open = async (hash: string): Promise<void> => {
    await page.evaluate((h) => (location.hash = h), hash);
  };
  const rowKeys = (): Promise<string[]> => page.$$eval('tr.object', (rows) => rows.map((r) => r.getAttribute('data-key') ?? ''));
  const waitForRow = (key: string): Promise<unknown> => page.waitForSelector(`tr[data-key="${key}"]`, { timeout: 15_000 });
  const confirm = async (): Promise<void> => {
    await page.click('dialog[data-dialog=confirm] [data-action=confirm]');
    await page.waitForSelector('dialog[data-dialog=confirm]', { hidden: true, timeout: 15_000 });
  };
  /** Dismisses the notices (fixed at the bottom right, they can cover what a click aims at). */
  const dismissNotices = async (): Promise<void> => {
    for (const button of await page.$$('.notice button')) await button.click();
    await page.waitForSelector('.notice', { hidden: true });
  };
  const closeDialog = async (): Promise<void> => {
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog[open]', { hidden: true });
  };
  const missing = async (bucket: string, key: string): Promise<number | undefined> =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => undefined,
      (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode,
    );
  const createBucket = async (name: string, options: { versioning?: boolean; lock?: boolean } = {}): Promise<void> => {
    await page.click('[data-action=create-bucket]');
    await page.waitForSelector('dialog[data-dialog=create-bucket] input[name=bucket]');
    await page.type('dialog[data-dialog=create-bucket] input[name=bucket]', name);
    if (options.lock) await page.click('dialog[data-dialog=create-bucket] input[name=objectLock]');
    else if (options.versioning) await page.click('dialog[data-dialog=create-bucket] input[name=versioning]');
    await page.click('dialog[data-dialog=create-bucket] button[type=submit]');
    await page.waitForSelector(`tr[data-bucket="${name}"], dialog[data-dialog=create-bucket] [role=alert]`);
    expect(await page.$eval('dialog[data-dialog=create-bucket]', (d) => d.textContent).catch(() => 'closed')).toBe('closed');
    await page.waitForSelector(`tr[data-bucket="${name}"]`);
  };

  beforeAll(async () => {
    server = await TestServer.start();
    s3 = server.client();
    files = await mkdtemp(join(tmpdir(), 'tessera-console-files-'));
    await writeFile(join(files, 'big.bin'), bigBytes);
    await writeFile(join(files, 'notes.txt'), text);
    await writeFile(join(files, 'doc.pdf'), '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
    browser = await launchBrowser();
    page = await consolePage(browser, errors);
    await logIn(page, server.endpoint, ACCESS_KEY, SECRET_KEY);
    // A small PNG drawn by the page's canvas.
    const png = await page.evaluate(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 48;
      canvas.height = 32;
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#2563eb';
      g.fillRect(0, 0, 48, 32);
      g.fillStyle = '#f59e0b';
      g.fillRect(8, 8, 16, 16);
      return canvas.toDataURL('image/png').split(',')[1];
    });
    await writeFile(join(files, 'image.png'), Buffer.from(png, 'base64'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    s3?.destroy();
    await server?.destroy();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('creates a plain, a versioned and an Object Lock bucket through the dialog; counts usage on demand', async () => {
    await open('#/buckets');
    await page.waitForSelector('table.buckets');
    await createBucket(PLAIN);
    await createBucket(VERSIONED, { versioning: true });
    await createBucket(LOCKED, { lock: true });
    await s3.send(new HeadBucketCommand({ Bucket: PLAIN }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: PLAIN }))).Status).toBeUndefined();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: VERSIONED }))).Status).toBe('Enabled');
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: LOCKED }))).ObjectLockConfiguration?.ObjectLockEnabled).toBe('Enabled');
    await page.waitForFunction((b) => document.querySelector(`tr[data-bucket="${b}"] .versioning`)?.textContent === 'Versioned', {}, VERSIONED);

    await s3.send(new PutObjectCommand({ Bucket: LOCKED, Key: 'one', Body: 'x'.repeat(1500) }));
    await page.click(`tr[data-bucket="${LOCKED}"] [data-action=count]`);
    await page.waitForFunction((b) => /1 objects, 1\.5 KiB/.test(document.querySelector(`tr[data-bucket="${b}"] .usage`)?.textContent ?? ''), {}, LOCKED);
    await screenshot(page, 'buckets');
  });

  it('uploads a 20 MiB file in parts with its progress bar moving, an image, a PDF and a text file, through the file input', async () => {
    await open(`#/browse/${PLAIN}`);
    await page.waitForSelector('table.objects');
    // Every value the big file's progress bar takes, recorded as it changes.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver(() => {
        const bar = document.querySelector('li.upload[data-key="big.bin"] [role=progressbar]');
        const value = Number(bar?.getAttribute('aria-valuenow'));
        if (bar && seen[seen.length - 1] !== value) seen.push(value);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    const input = await page.$('input[data-upload=files]');
    await input!.uploadFile(join(files, 'big.bin'), join(files, 'image.png'), join(files, 'notes.txt'), join(files, 'doc.pdf'));
    const midway = await page
      .waitForFunction(() => {
        const value = Number(document.querySelector('li.upload[data-key="big.bin"] [role=progressbar]')?.getAttribute('aria-valuenow'));
        return value > 0 && value < 100;
      }, { timeout: 10_000, polling: 'mutation' })
      .then(() => true, () => false);
    if (midway) await screenshot(page, 'upload-progress');
    await page.waitForSelector('li.upload[data-key="big.bin"][data-status=done]', { timeout: 120_000 });
    await page.waitForSelector('li.upload[data-key="notes.txt"][data-status=done]');
    await page.waitForSelector('li.upload[data-key="image.png"][data-status=done]');
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    expect(seen.filter((v) => v > 0 && v < 100).length).toBeGreaterThan(1);
    expect(seen[seen.length - 1]).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    if (!midway) await screenshot(page, 'upload-progress');

    const head = await s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: 'big.bin' }));
    expect(head.ContentLength).toBe(BIG);
    expect(head.ETag).toMatch(/-3"$/); // 8 + 8 + 4 MiB
    const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: PLAIN, Key: 'big.bin' }))).Body!.transformToByteArray());
    expect(body.equals(bigBytes)).toBe(true);
    expect((await s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: 'image.png' }))).ContentType).toBe('image/png');
    await waitForRow('big.bin');
    await waitForRow('image.png');
    await waitForRow('notes.txt');
    await waitForRow('doc.pdf');
  });

  it('cancels a multipart upload midway: the upload is aborted, no object and no parts left', async () => {
    const cdp = await page.createCDPSession();
    // Slow uploads down (4 MiB/s) so that the cancel lands while parts are on their way.
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
    try {
      const input = await page.$('input[data-upload=files]');
      await writeFile(join(files, 'cancelled.bin'), bigBytes);
      await input!.uploadFile(join(files, 'cancelled.bin'));
      await page.waitForFunction(() => Number(document.querySelector('li.upload[data-key="cancelled.bin"] [role=progressbar]')?.getAttribute('aria-valuenow')) > 0, { polling: 'mutation' });
      await page.click('li.upload[data-key="cancelled.bin"] [data-action=cancel-upload]');
      await page.waitForSelector('li.upload[data-key="cancelled.bin"][data-status=cancelled]');
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    expect(await missing(PLAIN, 'cancelled.bin')).toBe(404);
    await expect.poll(async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket: PLAIN }))).Uploads ?? []).toEqual([]);
  });

  it('uploads a dropped folder, its files keyed by their paths under the prefix, and a dropped file', async () => {
    // Chromium hands a dropped folder over as FileSystemEntry objects; a synthetic drop carries only
    // Files, so the entries a real folder drop gives are stood in for (DevTools cannot pick a folder
    // for a webkitdirectory input: it gives the folder itself as one unreadable file).
    await page.evaluate(() => {
      const file = (path: string, body: string) => ({
        isFile: true,
        isDirectory: false,
        name: path.split('/').pop(),
        fullPath: `/${path}`,
        file: (done: (f: File) => void) => done(new File([body], path.split('/').pop()!, { type: 'text/plain' })),
      });
      const folder = (path: string, entries: unknown[]) => ({
        isFile: false,
        isDirectory: true,
        name: path.split('/').pop(),
        fullPath: `/${path}`,
        createReader: () => {
          let given = false;
          return { readEntries: (done: (e: unknown[]) => void) => done(given ? [] : ((given = true), entries)) };
        },
      });
      const album = folder('album', [file('album/a.txt', 'first'), folder('album/sub', [file('album/sub/b.txt', 'second')])]);
      const original = DataTransferItem.prototype.webkitGetAsEntry;
      DataTransferItem.prototype.webkitGetAsEntry = function (this: DataTransferItem) {
        return this.getAsFile()?.name === 'album' ? (album as unknown as FileSystemEntry) : original.call(this);
      };
      const data = new DataTransfer();
      data.items.add(new File([], 'album'));
      const target = document.querySelector('.objects-page')!;
      target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
      target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
      DataTransferItem.prototype.webkitGetAsEntry = original;
    });
    await page.waitForSelector('li.upload[data-key="album/sub/b.txt"][data-status=done]', { timeout: 15_000 });
    await page.waitForSelector('li.upload[data-key="album/a.txt"][data-status=done]');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: PLAIN, Prefix: 'album/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['album/a.txt', 'album/sub/b.txt']);
    const b = await s3.send(new GetObjectCommand({ Bucket: PLAIN, Key: 'album/sub/b.txt' }));
    expect(await b.Body!.transformToString()).toBe('second');
    await page.waitForSelector('tr.folder[data-prefix="album/"]');

    // A plain file dropped inside the folder goes under it.
    await page.click('tr.folder[data-prefix="album/"] a');
    await page.waitForSelector('tr[data-key="album/a.txt"]');
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' }));
      const target = document.querySelector('.objects-page')!;
      target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
      target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
    });
    await page.waitForSelector('li.upload[data-key="album/dropped.txt"][data-status=done]');
    const dropped = await s3.send(new GetObjectCommand({ Bucket: PLAIN, Key: 'album/dropped.txt' }));
    expect(await dropped.Body!.transformToString()).toBe('dropped bytes');
    expect(await page.$eval('.breadcrumbs', (e) => e.textContent)).toMatch(/Buckets\/browser-plain\/album/);
  });

  it('pages through 450 objects 200 at a time, forward and back, never showing more than a page', async () => {
    for (let start = 0; start < 450; start += 50)
      await Promise.all(Array.from({ length: 50 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: `many/item-${String(start + i).padStart(3, '0')}`, Body: 'x' }))));
    await open(`#/browse/${PLAIN}/many%2F`);
    await page.waitForSelector('tr[data-key="many/item-000"]');
    let keys = await rowKeys();
    expect([keys.length, keys[0], keys[199]]).toEqual([200, 'many/item-000', 'many/item-199']);
    await page.click('[data-action=next-page]');
    await page.waitForSelector('tr[data-key="many/item-200"]');
    keys = await rowKeys();
    expect([keys.length, keys[0], keys[199]]).toEqual([200, 'many/item-200', 'many/item-399']);
    await page.waitForSelector('[data-action=next-page]:not([disabled])');
    await page.click('[data-action=next-page]');
    await page.waitForSelector('tr[data-key="many/item-400"]');
    keys = await rowKeys();
    expect([keys.length, keys[49]]).toEqual([50, 'many/item-449']);
    await page.waitForSelector('[data-action=previous-page]:not([disabled])');
    expect(await page.$eval('[data-action=next-page]', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    expect(await page.$eval('.page-number', (e) => e.textContent)).toBe('Page 3');
    await page.click('[data-action=previous-page]');
    await page.waitForSelector('tr[data-key="many/item-200"]');
    expect((await rowKeys()).length).toBe(200);
  });

  it('previews an image, a PDF and a text file in the object dialog, with their properties', async () => {
    await open(`#/browse/${PLAIN}`);
    await page.waitForSelector('tr[data-key="image.png"]');
    await page.click('.uploads button'); // Clear finished
    await page.waitForSelector('.uploads', { hidden: true });
    await screenshot(page, 'objects');
    await page.click('tr[data-key="image.png"] .object-name');
    await page.waitForSelector('dialog[data-dialog=object] img.preview-image');
    await page.waitForFunction(() => (document.querySelector('img.preview-image') as HTMLImageElement | null)?.naturalWidth === 48);
    expect(await page.$eval('[data-field=content-type]', (e) => e.textContent)).toBe('image/png');
    await screenshot(page, 'object-preview');
    await closeDialog();

    await page.click('tr[data-key="doc.pdf"] .object-name');
    const frame = await page.waitForSelector('dialog[data-dialog=object] iframe.preview-pdf');
    const pdf = await fetch(await frame!.evaluate((f) => (f as HTMLIFrameElement).src));
    expect([pdf.status, pdf.headers.get('content-type'), (await pdf.text()).slice(0, 8)]).toEqual([200, 'application/pdf', '%PDF-1.4']);
    await closeDialog();

    await page.click('tr[data-key="notes.txt"] .object-name');
    await page.waitForFunction((t) => document.querySelector('pre.preview-text')?.textContent === t, {}, text);
    expect(await page.$eval('[data-field=size]', (e) => e.textContent)).toMatch(`(${Buffer.byteLength(text)} bytes)`);
  });

  it('edits the tags of an object, as GetObjectTagging then reads them', async () => {
    await page.waitForSelector('dialog[data-dialog=object] form.tags [data-action=add-tag]:not([disabled])');
    await page.click('[data-action=add-tag]');
    await page.click('[data-action=add-tag]');
    const keys = await page.$$('form.tags input[name=tag-key]');
    const values = await page.$$('form.tags input[name=tag-value]');
    await keys[0].type('project');
    await values[0].type('tessera');
    await keys[1].type('stage');
    await values[1].type('test run');
    await page.click('[data-action=save-tags]');
    await page.waitForFunction(() => [...document.querySelectorAll('.notice')].some((n) => n.textContent?.includes('Tags saved')));
    const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: PLAIN, Key: 'notes.txt' }));
    expect(tagging.TagSet?.map((t) => [t.Key, t.Value]).sort()).toEqual([['project', 'tessera'], ['stage', 'test run']]);
  });

  it('makes a share link that curl downloads, bytes as uploaded', async () => {
    await closeDialog();
    await page.click('tr[data-key="big.bin"] .object-name');
    await page.waitForSelector('dialog[data-dialog=object] [data-action=share]');
    await page.select('dialog[data-dialog=object] select[name=expiry]', '86400');
    await page.click('[data-action=share]');
    const input = await page.waitForSelector('input[name=share-url]');
    const url = await input!.evaluate((e) => (e as HTMLInputElement).value);
    expect(url).toMatch(/X-Amz-Expires=86400/);
    await page.click('[data-action=copy]');
    const download = await page.$eval('dialog a[data-action=download]', (a) => (a as HTMLAnchorElement).href);
    const downloaded = await fetch(download);
    expect([downloaded.status, downloaded.headers.get('content-disposition')]).toEqual([200, "attachment; filename*=UTF-8''big.bin"]);
    await downloaded.body?.cancel();
    await screenshot(page, 'share');
    const { stdout } = await run('curl', ['-sf', url], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    expect(Buffer.compare(stdout, bigBytes)).toBe(0);
    await closeDialog();
  });

  it('deletes one object from its row and three selected ones at once, after confirming', async () => {
    await dismissNotices();
    await page.click('tr[data-key="notes.txt"] [data-action=delete]');
    await confirm();
    await page.waitForSelector('tr[data-key="notes.txt"]', { hidden: true });
    expect(await missing(PLAIN, 'notes.txt')).toBe(404);

    await page.click('tr[data-key="image.png"] input[type=checkbox]');
    await page.click('tr[data-key="big.bin"] input[type=checkbox]');
    await page.click('tr[data-key="doc.pdf"] input[type=checkbox]');
    expect(await page.$eval('[data-action=delete-selected]', (e) => e.textContent)).toBe('Delete selected (3)');
    await page.click('[data-action=delete-selected]');
    await confirm();
    await page.waitForSelector('tr[data-key="big.bin"]', { hidden: true });
    expect(await rowKeys()).toEqual([]);
    expect([await missing(PLAIN, 'big.bin'), await missing(PLAIN, 'image.png'), await missing(PLAIN, 'doc.pdf')]).toEqual([404, 404, 404]);
  });

  it('shows both versions of an overwritten object in a versioned bucket; deleting one leaves the other', async () => {
    await open(`#/browse/${VERSIONED}`);
    await page.waitForSelector('table.objects');
    const input = await page.$('input[data-upload=files]');
    await writeFile(join(files, 'doc.txt'), 'version one');
    await input!.uploadFile(join(files, 'doc.txt'));
    await page.waitForSelector('li.upload[data-key="doc.txt"][data-status=done]');
    await writeFile(join(files, 'doc.txt'), 'version two, longer');
    await input!.uploadFile(join(files, 'doc.txt'));
    await page.waitForFunction(() => document.querySelectorAll('li.upload[data-key="doc.txt"][data-status=done]').length === 2);
    await page.click('input[name=showVersions]');
    await page.waitForFunction(() => document.querySelectorAll('tr.version[data-key="doc.txt"]').length === 2);
    await screenshot(page, 'versions');
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: VERSIONED }));
    const latest = versions.Versions!.find((v) => v.IsLatest)!.VersionId!;
    const older = versions.Versions!.find((v) => !v.IsLatest)!.VersionId!;
    expect(await page.$eval(`tr.version[data-version-id="${latest}"]`, (e) => e.textContent)).toMatch(/latest/);

    await dismissNotices();
    await page.click(`tr.version[data-version-id="${older}"] [data-action=delete-version]`);
    await confirm();
    await page.waitForSelector(`tr.version[data-version-id="${older}"]`, { hidden: true });
    expect(await page.$$eval('tr.version', (rows) => rows.map((r) => r.getAttribute('data-version-id')))).toEqual([latest]);
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket: VERSIONED }));
    expect(after.Versions?.map((v) => v.VersionId)).toEqual([latest]);
    const body = await s3.send(new GetObjectCommand({ Bucket: VERSIONED, Key: 'doc.txt' }));
    expect(await body.Body!.transformToString()).toBe('version two, longer');
  });

  it('fits a phone screen: only tables scroll sideways', async () => {
    await page.setViewport({ width: 390, height: 844 });
    await open(`#/browse/${PLAIN}`);
    await page.waitForSelector('tr.folder[data-prefix="many/"]');
    await dismissNotices();
    await screenshot(page, 'objects-phone');
    expect(await page.$('table.objects.versions')).toBeNull(); // versions were shown in the other bucket
    // The uploads made in the other bucket are still listed, named with their bucket.
    expect(await page.$$eval('li.upload[data-key="doc.txt"] .upload-name', (names) => names.map((e) => e.textContent))).toEqual([`${VERSIONED}/doc.txt`, `${VERSIONED}/doc.txt`]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await open('#/buckets');
    await page.waitForSelector(`tr[data-bucket="${PLAIN}"]`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewport({ width: 1280, height: 860 });
  });

  it('refuses to delete a bucket that is not empty, saying so, and deletes the emptied buckets', async () => {
    await page.click(`tr[data-bucket="${VERSIONED}"] [data-action=delete-bucket]`);
    await page.click('dialog[data-dialog=confirm] [data-action=confirm]');
    const alert = await page.waitForSelector('dialog[data-dialog=confirm] [role=alert]');
    expect(await alert!.evaluate((e) => e.textContent)).toMatch(/not empty/);
    await closeDialog();

    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: VERSIONED }));
    await s3.send(new DeleteObjectsCommand({ Bucket: VERSIONED, Delete: { Objects: versions.Versions!.map((v) => ({ Key: v.Key, VersionId: v.VersionId })) } }));
    for (let listed = await s3.send(new ListObjectsV2Command({ Bucket: PLAIN })); listed.Contents?.length; listed = await s3.send(new ListObjectsV2Command({ Bucket: PLAIN })))
      await s3.send(new DeleteObjectsCommand({ Bucket: PLAIN, Delete: { Objects: listed.Contents.map((c) => ({ Key: c.Key })) } }));
    for (const bucket of [VERSIONED, PLAIN]) {
      await page.click(`tr[data-bucket="${bucket}"] [data-action=delete-bucket]`);
      await confirm();
      await page.waitForSelector(`tr[data-bucket="${bucket}"]`, { hidden: true });
      const status = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
        () => 200,
        (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode,
      );
      expect(status).toBe(404);
    }
    expect(errors).toEqual([]);
  });
});
