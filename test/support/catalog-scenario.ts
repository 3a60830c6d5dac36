import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { Bus, BusMessage } from '../../shared/bus/bus.ts';
import { createEventPublisher, newEventId } from '../../shared/bus/event-publisher.ts';
import type { Database } from '../../shared/db/open-database.ts';
import type { EventCodec } from '../../shared/events/event-codec.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import { PRODUCT_COLOURS, renderShapeProduct } from '../../shared/image/product-render.ts';
import { waitFor } from './bus-contract.ts';

const colour = (name: string) => PRODUCT_COLOURS.find((c) => c.name === name)?.rgb ?? [0, 0, 0];

export interface Scenario {
  /** Photos written under the image root, as file: URIs. */
  photos: { x: string; y: string; z: string; broken: string; room: string };
  listing(id: string, title: string, images: string[], price?: number): Record<string, unknown>;
}

/** Product photos drawn by our code (no dataset needed) under `imageRoot`. */
export async function writeScenarioPhotos(imageRoot: string): Promise<Scenario> {
  const folder = path.join(imageRoot, 'scenario');
  mkdirSync(folder, { recursive: true });
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(folder, name);
    writeFileSync(file, bytes);
    return pathToFileURL(file).href;
  };
  const y = await renderShapeProduct(1, colour('navy'), 2, 1);
  const room = await sharp({
    create: { width: 640, height: 420, channels: 3, background: { r: 214, g: 206, b: 190 } },
  })
    .composite([{ input: y, left: 40, top: 30 }])
    .jpeg()
    .toBuffer();
  const photos = {
    x: write('x.png', await renderShapeProduct(0, colour('red'), 1, 0)),
    y: write('y.png', y),
    z: write('z.png', await renderShapeProduct(2, colour('green'), 0, 3)),
    broken: write('broken.jpg', Buffer.from('this is not a JPEG at all')),
    room: write('room.jpg', room),
  };
  return {
    photos,
    listing: (id, title, images, price) => ({
      event_id: newEventId(),
      occurred_at: Date.now(),
      listing_id: id,
      title,
      description: '',
      price: price === undefined ? null : { amount_minor: price, currency: 'EUR' },
      seller_id: `seller-${id}`,
      marketplace_category: null,
      images: images.map((uri) => ({ uri, inline_bytes: null, content_type: null })),
      seller_attributes: {},
      condition: 'used',
    }),
  };
}

/** Every message of some topics from the start, collected as they come. */
export async function collect(bus: Bus, topics: string[], group: string) {
  const messages: BusMessage[] = [];
  const subscription = await bus.subscribe({
    group,
    topics,
    fromBeginning: true,
    onBatch: async (batch) => {
      messages.push(...batch.messages);
      return batch.messages.at(-1)?.offset ?? null;
    },
  });
  return { messages, stop: () => subscription.stop() };
}

const productOf = async (database: Database, id: string) =>
  (await database.knex('listings').where({ id }).first('product_id'))?.product_id as
    | string
    | null
    | undefined;

/**
 * The pipeline's core promises on any bus: duplicates share a product, a distinct item does not, a
 * listing with some bad photos is enriched from the rest with the failures recorded, one with none
 * usable is dead-lettered with the reason, a third duplicate gets a price from its product.
 */
export async function runCoreScenario(args: {
  bus: Bus;
  codec: EventCodec;
  database: Database;
  imageRoot: string;
  group: string;
}) {
  const { bus, codec, database } = args;
  const s = await writeScenarioPhotos(args.imageRoot);
  const publisher = createEventPublisher({ bus, codec });
  const dead = await collect(bus, [deadLetterTopic(TOPICS.listingsCreated)], `${args.group}-dlq`);
  const events = [
    s.listing('x1', 'Norrvik Alma red tote bag', [s.photos.x], 5000),
    s.listing('x2', 'red tote bag norrvik alma - like new', [s.photos.x], 5400),
    s.listing('x3', 'Norrvik red tote bag Alma', [s.photos.x]),
    s.listing('y1', 'Kinto navy mug, dotted', [s.photos.y], 1200),
    s.listing('z1', 'green table lamp Lumo', [s.photos.z, s.photos.broken, 'file:///etc/passwd'], 3000),
    s.listing('d1', 'nothing to see', [s.photos.broken]),
    s.listing('e1', 'no photos at all', []),
  ];
  // One by one: x3 comes after its duplicates, so they are its comparables.
  for (const value of events) {
    await publisher.publish([{ topic: TOPICS.listingsCreated, key: String(value.listing_id), value }]);
    if (['x1', 'x2'].includes(String(value.listing_id)))
      await waitFor(`${value.listing_id} cataloged`, async () =>
        Boolean(await productOf(database, String(value.listing_id))),
      );
  }
  const ids = ['x1', 'x2', 'x3', 'y1', 'z1'];
  await waitFor('five listings cataloged', async () => {
    const rows = await database.knex('listings').whereIn('id', ids).whereNotNull('product_id');
    return rows.length === ids.length;
  });
  await waitFor('two listings dead-lettered', () => dead.messages.length >= 2);
  await dead.stop();

  const products = Object.fromEntries(
    await Promise.all(ids.map(async (id) => [id, await productOf(database, id)])),
  );
  assert.equal(products.x2, products.x1, 'a duplicate joins the product');
  assert.equal(products.x3, products.x1, 'a third duplicate joins the product');
  assert.notEqual(products.y1, products.x1, 'a different item is another product');
  assert.notEqual(products.z1, products.x1);
  const product = await database.knex('products').where({ id: products.x1 }).first();
  assert.equal(Number(product.listing_count), 3);
  assert.ok(product.representative_image_id, 'the product keeps a representative image');

  const images = await database.knex('listing_images').where({ listing_id: 'z1' }).orderBy('position');
  assert.deepEqual(
    images.map((i) => [i.status, i.error_code]),
    [
      ['ok', null],
      ['failed', 'IMAGE_REFUSED'],
      ['failed', 'IMAGE_REFUSED'],
    ],
  );
  assert.match(String(images[2].error_message), /outside|root/i);

  const reasons = dead.messages.map((m) => [
    m.key,
    m.headers['grokcat-dlq-code'],
    m.headers['grokcat-dlq-reason'],
  ]);
  assert.deepEqual(reasons.map((r) => [r[0], r[1]]).sort(), [
    ['d1', 'LISTING_NO_USABLE_IMAGE'],
    ['e1', 'LISTING_NO_USABLE_IMAGE'],
  ]);
  assert.match(String(reasons.find((r) => r[0] === 'd1')?.[2]), /photo 1: .*not a readable image/);

  const price = await database.knex('price_suggestions').where({ listing_id: 'x3' }).first();
  assert.equal(price.status, 'suggested');
  assert.equal(price.method, 'product_median');
  assert.deepEqual(
    (price.comparables as { listing_id: string }[]).map((c) => c.listing_id).sort(),
    ['x1', 'x2'],
    'the suggestion names its comparables',
  );
  assert.ok(
    Number(price.low_minor) <= Number(price.price_minor) &&
      Number(price.price_minor) <= Number(price.high_minor),
  );
  assert.ok(price.confidence > 0 && price.confidence <= 1);
  return { scenario: s, products, publisher, events };
}
