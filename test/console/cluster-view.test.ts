/**
 * The cluster page in Debian's chromium against 4 nodes × 2 drives: every drive drawn online in the
 * erasure set the admin API puts it in, grouped by node; S3 traffic shows in the uPlot charts; a
 * killed node's drives turn offline within the refresh; a drive wiped while its node was down comes
 * back shown as replaced and healing (with progress), then online; at phone width nothing but the
 * scroll containers is wider than the screen. No console errors (the CSP included) throughout.
 */
import { mkdirSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, expect } from 'vitest';
import { clientSuite } from '../compat/compat.js';
import { chromium, consolePage, launchBrowser, logIn, screenshot, SCREENSHOTS } from '../helpers/browser.js';
import { ACCESS_KEY, SECRET_KEY, TestCluster, clusterSuite, getBytes } from '../helpers/cluster.js';

interface Tile {
  drive: string;
  state: string;
  reason?: string;
  set: number;
  node: string;
}

interface InfoAnswer {
  nodes: { name: string; drives: { endpoint: string; set: number; state: string }[] }[];
}

clientSuite('console: the cluster drawn (chromium, 4 nodes x 2 drives)', chromium.missing, () => {
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  const { step } = clusterSuite(
    {
      nodes: 4,
      drivesPerNode: 2,
      env: {
        TESSERA_METRICS_HISTORY_INTERVAL_MS: '2000',
        // A wiped drive heals slowly enough to be seen healing.
        TESSERA_HEAL_DRIVE_DELAY_MS: '300',
        TESSERA_HEAL_DRIVE_WORKERS: '1',
      },
    },
    async (started) => {
      cluster = started;
      browser = await launchBrowser();
      page = await consolePage(browser, errors);
    },
  );

  afterAll(async () => {
    await browser?.close();
  });

  /** The drive tiles as the page shows them. */
  const tiles = (): Promise<Tile[]> =>
    page.$$eval('.drive-tile', (elements) =>
      elements.map((e) => ({
        drive: e.getAttribute('data-drive') ?? '',
        state: e.getAttribute('data-state') ?? '',
        reason: e.getAttribute('data-heal-reason') ?? undefined,
        set: Number(e.closest('.set-block')?.getAttribute('data-set')),
        node: e.closest('.node-group')?.querySelector('.node-label')?.textContent ?? '',
      })),
    );

  /** Waits until the tiles satisfy `check`; fails with the last tiles seen. */
  async function waitTiles(what: string, check: (tiles: Tile[]) => boolean, timeoutMs: number): Promise<Tile[]> {
    const deadline = Date.now() + timeoutMs;
    let last: Tile[] = [];
    while (Date.now() < deadline) {
      last = await tiles();
      if (check(last)) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    const shown = await page.evaluate(() => document.body.innerText.slice(0, 600));
    throw new Error(`${what}: not within ${timeoutMs} ms; tiles: ${JSON.stringify(last, null, 1)}; page ${page.url()} shows: ${shown}`);
  }

  async function info(): Promise<InfoAnswer> {
    const res = await cluster.node(0).request({ method: 'GET', path: '/tessera/admin/v1/info' });
    expect(res.status, res.text).toBe(200);
    return JSON.parse(res.text) as InfoAnswer;
  }

  /** The endpoints of node `index`'s drives, as the admin API names them. */
  async function drivesOf(index: number): Promise<string[]> {
    const node = (await info()).nodes.find((n) => n.name === cluster.node(index).address);
    expect(node, `node ${cluster.node(index).address} in admin info`).toBeDefined();
    return node!.drives.map((d) => d.endpoint);
  }

  step('draws every drive online, in the set and under the node the admin API says', async () => {
    await logIn(page, cluster.node(0).endpoint, ACCESS_KEY, SECRET_KEY);
    await page.goto(`${cluster.node(0).endpoint}/tessera/console/#/cluster`);
    const shown = await waitTiles('8 drives online', (t) => t.length === 8 && t.every((d) => d.state === 'online'), 15_000);
    const expected = (await info()).nodes.flatMap((n) => n.drives.map((d) => ({ drive: d.endpoint, set: d.set, node: n.name })));
    expect(shown.map(({ drive, set, node }) => ({ drive, set, node })).sort((a, b) => a.drive.localeCompare(b.drive))).toEqual(expected.sort((a, b) => a.drive.localeCompare(b.drive)));
    expect(new Set(shown.map((t) => t.node)).size).toBe(4);
    expect(await page.$$eval('.nodes-table tbody tr[data-state=online]', (rows) => rows.length)).toBe(4);
    // Every drive answered with its size: a bar of space used, and the set's sum.
    expect(await page.$$eval('.drive-tile .meter.used', (m) => m.length)).toBe(8);
    expect(await page.$eval('.set-capacity', (e) => e.textContent)).toMatch(/used \(\d+%\)/);
    expect(await page.$eval('[data-scanner-cycle]', (e) => e.textContent)).toBeTruthy();
    await screenshot(page, 'cluster');
    expect(errors).toEqual([]);
  }, 60_000);

  step('S3 traffic shows in the charts (requests, throughput, latency, errors)', async () => {
    const clients = [0, 1, 2, 3].map((i) => cluster.node(i).client());
    await clients[0].send(new CreateBucketCommand({ Bucket: 'drawn' }));
    for (let i = 0; i < 48; i++) await clients[i % 4].send(new PutObjectCommand({ Bucket: 'drawn', Key: `object-${i}`, Body: Buffer.alloc(200_000, i) }));
    for (let i = 0; i < 12; i++) await getBytes(clients[(i + 1) % 4], 'drawn', `object-${i}`);
    for (let i = 0; i < 4; i++) await clients[i].send(new GetObjectCommand({ Bucket: 'drawn', Key: 'no-such-object' })).catch(() => undefined);
    const drawn = (id: string): Promise<{ points: number; max: number }> =>
      page.$eval(`.chart[data-chart=${id}]`, (e) => ({ points: Number(e.getAttribute('data-points')), max: Number(e.getAttribute('data-max')) }));
    // History sampled every 2 s, read by the page every 10 s: wait for this traffic (200 kB bodies, 4xx answers) to be drawn.
    await page.waitForFunction(
      () => {
        const of = (id: string, what: string): number => Number(document.querySelector(`.chart[data-chart=${id}]`)?.getAttribute(what));
        return of('throughput', 'data-max') >= 50_000 && of('errors', 'data-points') > 0;
      },
      { timeout: 25_000 },
    );
    for (const id of ['requests', 'throughput', 'latency', 'errors']) {
      expect((await drawn(id)).points, id).toBeGreaterThan(0);
      expect(await page.$(`.chart[data-chart=${id}] canvas`), `${id} canvas`).not.toBeNull();
    }
    expect((await drawn('requests')).max).toBeGreaterThan(1);
    // The requests chart's legend names its series; the drawn series match the API's history.
    expect(await page.$$eval('.chart[data-chart=latency] .u-legend .u-series', (s) => s.map((e) => e.textContent).join(' '))).toMatch(/p50.*p90.*p99/);
    const res = await cluster.node(0).request({ method: 'GET', path: '/tessera/admin/v1/metrics/history' });
    const history = JSON.parse(res.text) as { requestsPerSecond: number[]; errors4xxPerSecond: number[] };
    expect(history.requestsPerSecond.some((r) => r > 0)).toBe(true);
    expect(history.errors4xxPerSecond.some((r) => r > 0)).toBe(true);
    // An hour by default; the last 5 minutes at a click, on every chart.
    expect(await page.$eval('.span-choice button[aria-pressed=true]', (b) => b.textContent)).toBe('1 hour');
    const fiveMinutes = (await page.$$('.span-choice button'))[2];
    await fiveMinutes.focus();
    await page.keyboard.press('Enter');
    expect(await page.$eval('.span-choice button[aria-pressed=true]', (b) => b.textContent)).toBe('5 min');
    expect(await page.$$eval('.chart', (c) => c.map((e) => e.getAttribute('data-span')))).toEqual(['300', '300', '300', '300']);
    // The charts alone: the whole page fits a tall viewport, so the clip needs no scrolling under the sticky bar.
    await page.setViewport({ width: 1280, height: 1800 });
    const section = await page.$('section[aria-labelledby=traffic-title]');
    const box = (await section!.boundingBox())!;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'cluster-charts.png'), clip: { x: 0, y: box.y - 8, width: 1280, height: box.height + 16 } });
    await page.setViewport({ width: 1280, height: 860 });
    expect(errors).toEqual([]);
  }, 90_000);

  step("a killed node's drives turn offline in the view within the refresh", async () => {
    const gone = await drivesOf(3);
    await cluster.node(3).kill();
    await waitTiles("node 4's drives offline", (t) => gone.every((d) => t.find((x) => x.drive === d)?.state === 'offline') && t.filter((x) => x.state === 'online').length === 6, 20_000);
    await page.waitForSelector(`.nodes-table tr[data-node="${cluster.node(3).address}"][data-state=offline]`, { timeout: 10_000 });
    expect(await page.$eval('.set-block .badge', (e) => e.textContent)).toBe('Degraded');
    await screenshot(page, 'cluster-node-down');
    expect(errors).toEqual([]);
  }, 60_000);

  step('a drive wiped while its node was down comes back replaced and healing, then online', async () => {
    await cluster.node(3).start();
    await waitTiles('all drives back online', (t) => t.length === 8 && t.every((d) => d.state === 'online'), 30_000);
    const node = cluster.node(1);
    const wiped = (await drivesOf(1)).find((d) => d.endsWith(node.drivePath(0)));
    expect(wiped).toBeDefined();
    await node.stop();
    // The drive's contents go; its directory stays (an empty disk mounted where the old one was).
    for (const entry of await readdir(node.drivePath(0))) await rm(join(node.drivePath(0), entry), { recursive: true, force: true });
    await mkdir(node.drivePath(0), { recursive: true });
    await node.start();
    const healing = await waitTiles('the wiped drive shown replaced and healing', (t) => t.some((d) => d.drive === wiped && d.state === 'healing' && d.reason === 'replaced'), 30_000);
    expect(healing.filter((d) => d.state === 'healing').map((d) => d.drive)).toEqual([wiped]);
    const tile = `.drive-tile[data-drive="${wiped}"]`;
    expect(await page.$eval(tile, (e) => e.textContent)).toMatch(/Replaced.*Healing [\d.]+% · \d+\/\d+/);
    await screenshot(page, 'cluster-healing');
    await waitTiles('the healed drive online again', (t) => t.length === 8 && t.every((d) => d.state === 'online'), 90_000);
    expect(errors).toEqual([]);
  }, 180_000);

  step('at phone width only the scroll containers are wider than the screen', async () => {
    await page.setViewport({ width: 390, height: 844 });
    await page.reload();
    await waitTiles('8 drives online', (t) => t.length === 8 && t.every((d) => d.state === 'online'), 15_000);
    await page.waitForFunction(() => Number(document.querySelector('.chart[data-chart=requests]')?.getAttribute('data-points')) > 0, { timeout: 15_000 });
    const overflow = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll<HTMLElement>('body *')].filter((e) => {
        if (e.closest('.table-wrap')) return false;
        return e.getBoundingClientRect().right > width + 1;
      });
      return { scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5).map((e) => `${e.tagName}.${e.className}`) };
    });
    expect(overflow.wide).toEqual([]);
    expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.width);
    // The fixed-size tiles still show their text whole.
    expect(await page.$$eval('.drive-tile .tile-line, .drive-tile .drive-name', (e) => e.filter((x) => x.scrollWidth > x.clientWidth + 1).map((x) => x.textContent))).toEqual([]);
    await screenshot(page, 'cluster-phone');
    expect(errors).toEqual([]);
  }, 60_000);
});
