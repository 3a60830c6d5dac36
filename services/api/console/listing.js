import { api, modelLabels } from './api.js';
import { card, h, money, percent, photo, say, show } from './dom.js';

async function sendLabel(label, done) {
  try {
    const sent = await api('/v1/labels', { method: 'POST', json: label });
    say(`Label sent to ${sent.topic} (event ${sent.event_id}). Thank you.`);
    done?.();
  } catch (error) {
    say(`The label was not sent: ${error.message}`, 'error');
  }
}

function matchButtons(listingId, other) {
  const judge = (same) => (event) => {
    const buttons = event.target.parentElement.querySelectorAll('button');
    sendLabel(
      { kind: 'product_match', listing_id: listingId, other_listing_id: other.id, same_product: same },
      () => {
        for (const button of buttons) button.disabled = true;
      },
    );
  };
  return h(
    'p',
    { class: 'judge' },
    h(
      'button',
      { type: 'button', onclick: judge(true), 'aria-label': `Same product as ${other.title}` },
      'Same product',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: judge(false),
        'aria-label': `Not the same product as ${other.title}`,
      },
      'Different',
    ),
  );
}

function predictions(listing, labels) {
  const categoryForm = h(
    'form',
    {
      class: 'correct',
      'aria-label': 'Correct the category',
      onsubmit: (event) => {
        event.preventDefault();
        const category = new FormData(event.target).get('category');
        sendLabel({
          kind: 'category',
          listing_id: listing.id,
          category,
          previous_category: listing.category ?? undefined,
        });
      },
    },
    h('label', { for: 'c-category' }, 'Correct category'),
    h(
      'select',
      { id: 'c-category', name: 'category' },
      labels.categories.map((c) => h('option', { value: c, selected: c === listing.category }, c)),
    ),
    h('button', { type: 'submit' }, 'Send correction'),
  );
  const predicted = new Set(
    Object.entries(listing.attributes).flatMap(([g, ls]) => ls.map((l) => `${g}:${l.label}`)),
  );
  const attributeForm = h(
    'form',
    {
      class: 'correct',
      onsubmit: (event) => {
        event.preventDefault();
        const checked = new Set(new FormData(event.target).getAll('attribute'));
        const changed = labels.attributes.flatMap((g) =>
          g.labels
            .map((l) => ({ group: g.name, label: l, present: checked.has(`${g.name}:${l}`) }))
            .filter((a) => a.present !== predicted.has(`${a.group}:${a.label}`)),
        );
        if (changed.length === 0) return say('Nothing changed: tick or untick an attribute first.');
        sendLabel({ kind: 'attributes', listing_id: listing.id, attributes: changed });
      },
    },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Attributes (ticked: predicted)'),
      labels.attributes.flatMap((g) =>
        g.labels.map((l) => {
          const id = `a-${g.name}-${l}`.replace(/[^\w-]/g, '_');
          const p = listing.attributes[g.name]?.find((a) => a.label === l)?.p;
          return h(
            'span',
            { class: 'check' },
            h('input', {
              type: 'checkbox',
              id,
              name: 'attribute',
              value: `${g.name}:${l}`,
              checked: predicted.has(`${g.name}:${l}`),
            }),
            h('label', { for: id }, `${g.name}: ${l}`, p ? h('small', {}, ` ${percent(p)}`) : null),
          );
        }),
      ),
    ),
    h('button', { type: 'submit' }, 'Send attributes'),
  );
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'h-predictions' },
    h('h2', { id: 'h-predictions' }, 'Predictions'),
    h(
      'p',
      {},
      'Category: ',
      listing.category_known === false
        ? [
            h('strong', { id: 'predicted-category', class: 'unsure' }, 'not sure'),
            ` (the model does not know this kind of photo; closest guess ${listing.category}, ${percent(listing.category_confidence)})`,
          ]
        : [
            h('strong', { id: 'predicted-category' }, listing.category ?? 'not enriched yet'),
            ` ${percent(listing.category_confidence)}`,
          ],
    ),
    h(
      'p',
      {},
      'Likely searches: ',
      listing.queries.map((q) => `${q.query} (${percent(q.p)})`).join(', ') || '-',
    ),
    h('p', { class: 'hint' }, `Model ${listing.model_version ?? '-'}`),
    categoryForm,
    attributeForm,
  );
}

function priceSection(price) {
  if (!price)
    return h('section', { class: 'panel' }, h('h2', {}, 'Price suggestion'), h('p', {}, 'None yet.'));
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'h-price' },
    h('h2', { id: 'h-price' }, 'Price suggestion'),
    price.status === 'suggested'
      ? h(
          'p',
          {},
          h('strong', { class: 'big' }, money(price.price_minor, price.currency)),
          ` (${money(price.low_minor, price.currency)} to ${money(price.high_minor, price.currency)}, confidence ${percent(price.confidence)}, ${price.method})`,
        )
      : h('p', {}, `No suggestion: ${price.reason ?? price.status}`),
    price.comparables.length
      ? h(
          'table',
          {},
          h('caption', {}, 'Comparable listings'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Listing'),
              h('th', { scope: 'col' }, 'Similarity'),
              h('th', { scope: 'col' }, 'Asking price'),
            ),
          ),
          h(
            'tbody',
            {},
            price.comparables.map((c) =>
              h(
                'tr',
                {},
                h(
                  'td',
                  {},
                  h('a', { href: `#/listings/${encodeURIComponent(c.listing_id)}` }, c.title ?? c.listing_id),
                ),
                h('td', {}, c.similarity === undefined ? '-' : c.similarity.toFixed(3)),
                h(
                  'td',
                  {},
                  money(c.amount_minor, c.currency),
                  c.adjusted_minor !== undefined && c.adjusted_minor !== c.amount_minor
                    ? h('small', {}, ` (${money(c.adjusted_minor, c.currency)} for this condition)`)
                    : null,
                ),
              ),
            ),
          ),
        )
      : null,
  );
}

/** Why the listing (or its latest version) was dead-lettered: it will not be cataloged as sent. */
function failureNotice(failure) {
  return h(
    'section',
    { class: 'failure', id: 'listing-failure', role: 'alert', 'aria-labelledby': 'h-failure' },
    h('h2', { id: 'h-failure' }, 'This listing failed'),
    h('p', {}, h('strong', { class: 'code' }, failure.code), ': ', failure.message),
    h(
      'p',
      { class: 'hint' },
      `${failure.topic}, ${new Date(failure.failed_at).toLocaleString()}. Publish it again with a usable photo.`,
    ),
  );
}

/** One listing: photos, predictions and corrections, its product, similar items, its price. */
export async function renderListing(main, id) {
  const path = `/v1/listings/${encodeURIComponent(id)}`;
  const [listing, labels] = await Promise.all([
    api(path).catch((error) => {
      if (error.code !== 'LISTING_FAILED') throw error;
      return null;
    }),
    modelLabels(),
  ]);
  if (!listing) {
    const { failure } = await api(`${path}/status`);
    show(
      main,
      h('p', {}, h('a', { href: '#/' }, 'Back to the catalogue')),
      h('h1', { id: 'listing-title' }, `Listing ${id}`),
      failureNotice(failure),
    );
    document.title = `${id} failed - grokcat`;
    return;
  }
  const [price, product, similar] = await Promise.all([
    api(`${path}/price`).catch(() => null),
    listing.product_id ? api(`/v1/products/${listing.product_id}`).catch(() => null) : null,
    listing.category
      ? api('/v1/search', { method: 'POST', json: { listing_id: id, k: 8 } }).catch(() => null)
      : null,
  ]);
  const others = (product?.listings ?? []).filter((l) => l.id !== id);
  const inProduct = new Set(others.map((l) => l.id));
  show(
    main,
    h('p', {}, h('a', { href: '#/' }, 'Back to the catalogue')),
    h('h1', { id: 'listing-title' }, listing.title),
    h(
      'p',
      { class: 'meta' },
      listing.price ? money(listing.price.amount_minor, listing.price.currency) : 'no asking price',
      listing.condition ? ` - ${listing.condition.replace('_', ' ')}` : '',
      ` - ${listing.id}`,
    ),
    listing.status === 'failed' ? failureNotice(listing.failure) : null,
    listing.description ? h('p', { class: 'description' }, listing.description) : null,
    h(
      'div',
      { class: 'photos' },
      listing.images.map((image) =>
        photo(
          image.url,
          `${listing.title}, photo ${image.position + 1}`,
          240,
          image.error
            ? `photo ${image.position + 1}: ${image.error.code}`
            : `photo ${image.position + 1}: not kept`,
        ),
      ),
    ),
    h('div', { class: 'columns' }, predictions(listing, labels), priceSection(price)),
    h(
      'section',
      { 'aria-labelledby': 'h-product' },
      h(
        'h2',
        { id: 'h-product' },
        product ? `Product ${product.id}: ${product.listing_count} listing(s)` : 'Product',
      ),
      others.length
        ? h(
            'ul',
            { class: 'grid', 'aria-label': 'same product' },
            others.map((l) => card(l, matchButtons(id, l))),
          )
        : h('p', {}, 'No other listing of this product yet.'),
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-similar' },
      h('h2', { id: 'h-similar' }, 'Similar items'),
      similar?.listings.length
        ? h(
            'ul',
            { class: 'grid', 'aria-label': 'similar items' },
            similar.listings
              .filter((l) => !inProduct.has(l.id))
              .map((l) =>
                card(l, [
                  h('p', { class: 'score' }, `similarity ${l.score.toFixed(3)}`),
                  matchButtons(id, l),
                ]),
              ),
          )
        : h('p', {}, 'Nothing similar found.'),
    ),
  );
  document.title = `${listing.title} - grokcat`;
}
