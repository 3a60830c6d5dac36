/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { System } from '../../services/system/system.ts';
import { createModelRegistry, filesOfVersion } from '../../shared/model/model-registry.repository.ts';
import { startApiSystem } from '../support/api-system.ts';
import { waitFor } from '../support/bus-contract.ts';

// Debian's chromium (apt-get install chromium); playwright-core never downloads a browser.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
const missing = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: apt-get install chromium`;
if (missing && process.env.CI) throw new Error(missing);

let system: System;
let browser: Browser;
let page: Page;
let photoPath: string;
let stop: () => Promise<void>;
let apiKey: string;

before(async () => {
  if (missing) return;
  const started = await startApiSystem(40);
  ({ system, photoPath, stop } = started);
  apiKey = started.key;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => assert.fail(`console page error: ${error.message}`));
  await page.goto(`${system.apiUrl}/#key=${started.key}`);
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await stop?.();
});

const shot = (name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `console-${name}.png`), fullPage: true });

/** Every form control has an accessible name; every image has alt text. */
async function assertAccessible() {
  const unnamed = await page.$$eval('input, select, button, img', (elements) =>
    elements
      .filter((e) => {
        if (e instanceof HTMLImageElement) return !e.alt;
        if (e instanceof HTMLButtonElement) return !(e.textContent?.trim() || e.getAttribute('aria-label'));
        const control = e as HTMLInputElement;
        return !(control.labels?.length || control.getAttribute('aria-label') || control.type === 'hidden');
      })
      .map((e) => e.outerHTML.slice(0, 120)),
  );
  assert.deepEqual(unnamed, []);
}

test('the grid shows enriched listings with photos, categories and filters', { skip: missing }, async () => {
  await page.locator('.grid .card').first().waitFor();
  assert.ok((await page.locator('.grid .card').count()) >= 20);
  await page
    .locator('.card img')
    .first()
    .evaluate((img: HTMLImageElement) => img.decode());
  assert.match((await page.locator('.count').textContent()) ?? '', /\d+ listings/);
  await assertAccessible();
  await shot('grid');

  const categories = await page.locator('.card .category').allTextContents();
  // A photo the model does not know shows "not sure" (its closest guess in the tooltip), never a label.
  const unsure = await page.locator('.card .category.unsure').count();
  assert.equal(unsure, categories.filter((text) => text === 'not sure').length);
  const category = categories.find((text) => text !== 'not sure') ?? '';
  assert.ok(category, `no listing with a known category: ${categories.join(' | ')}`);
  const label = category.replace(/\s+\d.*$/, '').trim();
  await page.selectOption('#f-category', label);
  await page.click('.filters button[type=submit]');
  // The query string spells a space as "+" (URLSearchParams): "Ankle boot" is Ankle+boot.
  await page.waitForFunction((c) => decodeURIComponent(location.hash.replace(/\+/g, ' ')).includes(c), label);
  await page.locator('.grid .card').first().waitFor();
  // The filtered grid replaces the old one once its page of results arrives.
  await page
    .waitForFunction(
      (c) =>
        Array.from(document.querySelectorAll('.card .category')).every((e) => e.textContent?.startsWith(c)),
      label,
      { timeout: 15_000 },
    )
    .catch(() => undefined);
  const shown = await page.locator('.card .category').allTextContents();
  assert.ok(shown.length > 0 && shown.every((text) => text.startsWith(label)), shown.join(' | '));
});

test('a listing page: predictions, product, price; a category correction is stored as a label', {
  skip: missing,
}, async () => {
  await page.goto(`${system.apiUrl}/#/`);
  // A listing the model knows: an unknown one shows "not sure", and its label keeps the closest guess.
  await page.locator('.grid .card:not(:has(.category.unsure)) .card-link').first().click();
  await page.locator('#listing-title').waitFor();
  await page.locator('#h-similar').waitFor();
  const id = decodeURIComponent((await page.evaluate(() => location.hash)).replace('#/listings/', ''));
  const predicted = (await page.locator('#predicted-category').textContent()) ?? '';
  const text = (await page.locator('main').textContent()) ?? '';
  assert.doesNotMatch(text, /\b(null|undefined|NaN|\[object \w+\])\b/, text.slice(0, 400));
  await assertAccessible();
  await shot('listing');

  const options = await page.locator('#c-category option').allTextContents();
  const corrected = options.find((option) => option !== predicted) as string;
  await page.selectOption('#c-category', corrected);
  await page.getByRole('button', { name: 'Send correction' }).click();
  await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Label sent'));
  // The trainer consumes labels.category and stores the label.
  await waitFor('the correction in the labels table', async () => {
    const row = await system.database.knex('labels').where({ listing_id: id, kind: 'category' }).first();
    return row?.payload?.category === corrected;
  });
  const row = await system.database.knex('labels').where({ listing_id: id, kind: 'category' }).first();
  assert.equal(row.payload.previous_category, predicted);
  assert.equal(row.source, 'api-key:test-admin');
});

test('search by photo finds the listings that look like it', { skip: missing }, async () => {
  await page.goto(`${system.apiUrl}/#/search`);
  // Each label stands clear of the control before it and beside it (was "Photo[Choose File]Results[12]").
  const gaps = await page.$$eval('.search-form label', (labels) =>
    labels.map((label) => {
      const control = document.getElementById(label.getAttribute('for') ?? '') as HTMLElement;
      const before = label.previousElementSibling?.getBoundingClientRect();
      const own = label.getBoundingClientRect();
      return {
        toControl: control.getBoundingClientRect().left - own.right,
        fromPrevious: before && before.top === own.top ? own.left - before.right : null,
      };
    }),
  );
  for (const gap of gaps) {
    assert.ok(gap.toControl >= 6, `a label is ${gap.toControl}px from its control`);
    if (gap.fromPrevious !== null) assert.ok(gap.fromPrevious >= 12, `${gap.fromPrevious}px after a control`);
  }
  await page.setInputFiles('#s-image', photoPath);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('.prediction').waitFor();
  assert.ok((await page.locator('.grid .card').count()) >= 5);
  const scores = (await page.locator('.score').allTextContents()).map((text) =>
    Number(text.replace('similarity ', '')),
  );
  assert.deepEqual(
    scores,
    [...scores].sort((a, b) => b - a),
  );
  await assertAccessible();
  await shot('search');
});

test('the models page charts versions; rollback serves an earlier one', { skip: missing }, async () => {
  // A second version (the same ONNX file under another name and metrics) published over the reference.
  const registry = createModelRegistry(system.database.knex);
  const reference = (await registry.serving()) as NonNullable<Awaited<ReturnType<typeof registry.serving>>>;
  const files = filesOfVersion(reference);
  const metrics = {
    fashion_mnist_top1: 0.84,
    fashion_mnist_top5: 0.996,
    attributes_accuracy: 0.93,
    queries_accuracy: 0.94,
  };
  await registry.register(
    { ...files, version: 'e2e-v2', card: { ...files.card, version: 'e2e-v2', metrics } },
    { status: 'candidate', metrics, parent: reference.version },
  );
  await registry.publish('e2e-v2');
  await page.goto(`${system.apiUrl}/#/models`);
  await page.locator('#serving-version').waitFor();
  await shot('models');
  assert.equal(await text('#serving-version'), 'e2e-v2');
  // One line per metric on the 0-1 scale, of either version (the reference's baselines included).
  const union = { ...reference.metrics, ...metrics } as Record<string, number>;
  const charted = Object.keys(union).filter((name) =>
    [reference.metrics, metrics].every(
      (m: Record<string, number>) =>
        m[name] === undefined || ((m[name] as number) >= 0 && (m[name] as number) <= 1),
    ),
  );
  assert.ok(charted.includes('category_ncm_top1'), 'the baseline is charted beside the figure');
  assert.equal(await page.locator('svg.chart polyline').count(), charted.length);
  await assertAccessible();

  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Serve this version' }).click();
  await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('serves again'));
  assert.equal(await text('#serving-version'), reference.version);
  assert.equal((await registry.serving())?.version, reference.version);
});

async function text(selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent()) ?? '';
}

test('hostile titles render as text: no markup, no script, in the grid and on the listing page', {
  skip: missing,
}, async () => {
  const title =
    '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> Robert\'); DROP TABLE listings;--';
  const response = await fetch(`${system.apiUrl}/v1/listings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      listing_id: 'hostile-title',
      title,
      images: [{ url: pathToFileURL(photoPath).href }],
    }),
  });
  assert.equal(response.status, 202);
  await waitFor('the hostile listing cataloged', async () =>
    Boolean(
      await system.database
        .knex('listings')
        .where({ id: 'hostile-title' })
        .whereNotNull('product_id')
        .first(),
    ),
  );
  await page.goto(`${system.apiUrl}/#/listings/hostile-title`);
  await page.locator('#listing-title').waitFor();
  assert.equal(await page.locator('#listing-title').textContent(), title);
  await page.goto(`${system.apiUrl}/#/?q=Robert`);
  // The listings grid itself: a hash change does not reload, and the listing page's grids may linger.
  const grid = page.locator('.grid[aria-label="listings"]');
  await grid.locator('.card').first().waitFor();
  assert.ok(((await grid.textContent()) ?? '').includes('<img src=x'), 'shown as text');
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.equal(await page.locator('main script').count(), 0);
});

test('inline photos show, a photo that failed is a placeholder of its own size, a dead-lettered listing says why', {
  skip: missing,
}, async () => {
  const post = (body: Record<string, unknown>) =>
    fetch(`${system.apiUrl}/v1/listings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const outside = pathToFileURL(path.join(path.dirname(ARTIFACTS), 'outside-the-root.jpg')).href;
  const inline = readFileSync(photoPath).toString('base64');
  assert.equal(
    (
      await post({
        listing_id: 'e2e-inline',
        title: 'inline photo',
        images: [{ data: inline }, { url: outside }],
      })
    ).status,
    202,
  );
  assert.equal(
    (await post({ listing_id: 'e2e-failed', title: 'refused photo', images: [{ url: outside }] })).status,
    202,
  );
  const status = async (id: string) =>
    (
      await (
        await fetch(`${system.apiUrl}/v1/listings/${id}/status`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).json()
    ).status;
  await waitFor(
    'both listings settled',
    async () => (await status('e2e-inline')) === 'cataloged' && (await status('e2e-failed')) === 'failed',
  );

  await page.goto(`${system.apiUrl}/#/listings/e2e-inline`);
  await page.locator('#h-similar').waitFor();
  const photo = page.locator('.photos img').first();
  await photo.evaluate((img: HTMLImageElement) => img.decode());
  assert.ok(await photo.evaluate((img: HTMLImageElement) => img.naturalWidth > 0), 'the inline photo loads');
  const placeholder = await page.locator('.photos .no-photo').boundingBox();
  assert.ok(
    placeholder && placeholder.width <= 260 && placeholder.height <= 260,
    JSON.stringify(placeholder),
  );
  // No broken image anywhere on the page: product panel, similar items.
  await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
  const broken = await page.$$eval('img', (images) =>
    images.filter((img) => img.naturalWidth === 0).map((img) => img.getAttribute('src')),
  );
  assert.deepEqual(broken, []);
  await assertAccessible();
  await shot('listing-inline');

  await page.goto(`${system.apiUrl}/#/listings/e2e-failed`);
  await page.locator('#listing-failure').waitFor();
  const notice = (await page.locator('#listing-failure').textContent()) ?? '';
  assert.match(notice, /This listing failed/);
  assert.match(notice, /LISTING_NO_USABLE_IMAGE/);
  assert.match(notice, /outside the allowed root/);
  await shot('listing-failed');
});

test('a page photo: the detected objects are drawn over it, each linked to its product; the API and its image link', {
  skip: missing,
}, async () => {
  const { knex } = system.database;
  const listing = await knex('listings').whereNotNull('product_id').first('id', 'product_id');
  const product = Number(listing.product_id);
  const { version } = await knex('model_versions').first('version');
  // What the tagger stores for a photo the detector found two objects in (page-photo-detector.test.ts).
  await knex('photo_tags').insert({
    photo_id: 'room-e2e',
    model_version: version,
    page_id: null,
    image_ref: pathToFileURL(photoPath).href,
    category: 'Bag',
    products: JSON.stringify([{ product_id: product, listing_id: listing.id, score: 0.8, corrected: 0.2 }]),
    boxes: JSON.stringify([
      {
        label: 'chair',
        score: 0.6,
        left: 0.1,
        top: 0.2,
        width: 0.5,
        height: 0.4,
        product_id: product,
        listing_id: listing.id,
        similarity: 0.8,
      },
      {
        label: 'vase',
        score: 0.4,
        left: 0.7,
        top: 0.1,
        width: 0.2,
        height: 0.2,
        product_id: null,
        listing_id: null,
        similarity: null,
      },
    ]),
    source_event_id: 'e2e',
  });
  const get = (url: string, key = apiKey) =>
    fetch(`${system.apiUrl}${url}`, { headers: { authorization: `Bearer ${key}` } });
  const missingPhoto = await get('/v1/photos/no-such-photo');
  assert.equal(missingPhoto.status, 404);
  assert.equal(
    ((await missingPhoto.json()) as { error: { code: string } }).error.code,
    'PAGE_PHOTO_NOT_FOUND',
  );
  const body = (await (await get('/v1/photos/room-e2e')).json()) as {
    image_url: string;
    boxes: unknown[];
    candidates: unknown[];
  };
  assert.equal(body.boxes.length, 2);
  assert.equal(body.candidates.length, 1);
  const image = await fetch(`${system.apiUrl}${body.image_url}`);
  assert.equal(image.status, 200);
  assert.equal(image.headers.get('content-type'), 'image/webp');
  assert.equal(
    (await fetch(`${system.apiUrl}${body.image_url.replace(/sig=[^&]+/, 'sig=forged')}`)).status,
    403,
  );

  await page.goto(`${system.apiUrl}/#/photos/room-e2e`);
  await page.waitForFunction(
    () => (document.querySelector('.page-photo img') as HTMLImageElement | null)?.naturalWidth,
  );
  const photo = await page.locator('.page-photo img').boundingBox();
  const chair = await page.locator('.page-photo .box.matched').boundingBox();
  assert.ok(photo && chair);
  const near = (a: number, b: number) => Math.abs(a - b) <= 2;
  assert.ok(
    near(chair.x, photo.x + 0.1 * photo.width) && near(chair.y, photo.y + 0.2 * photo.height),
    JSON.stringify({ photo, chair }),
  );
  assert.ok(
    near(chair.width, 0.5 * photo.width) && near(chair.height, 0.4 * photo.height),
    JSON.stringify({ photo, chair }),
  );
  assert.equal(await page.locator('.page-photo .box').count(), 2);
  await assertAccessible();
  await shot('page-photo');
  await page.locator('.page-photo .box.matched').click();
  await page.waitForURL(new RegExp(`#/listings/${listing.id}$`));
});
