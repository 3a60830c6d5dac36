// Elements are built with textContent only: titles and descriptions come from sellers, and
// nothing they write can become markup or script here.

/** h('a', { href: '#/x', class: 'y' }, 'text', child) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  append(element, children);
  return element;
}

export const percent = (p) => (p === null || p === undefined ? '-' : `${(p * 100).toFixed(1)} %`);

export function money(minor, currency) {
  if (minor === null || minor === undefined) return '-';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency ?? 'EUR' }).format(
      minor / 100,
    );
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency ?? ''}`;
  }
}

/** One line in the live region, read out by screen readers. */
export function say(text, kind = 'info') {
  const status = document.getElementById('status');
  status.textContent = text;
  status.dataset.kind = kind;
}

/** The listing's attributes as `group: label` tags. */
export function attributeTags(attributes) {
  return Object.entries(attributes ?? {}).flatMap(([group, labels]) =>
    labels.map((a) => h('span', { class: 'tag', title: `${group}: ${percent(a.p)}` }, a.label)),
  );
}

/** A placeholder the size of the photo it stands for, saying why there is none. */
export function missingPhoto(size, why = 'no photo') {
  return h('div', { class: 'no-photo', role: 'img', 'aria-label': why, dataset: { size } }, why);
}

/**
 * A photo behind a signed link, or a placeholder: when there is no link, or when the link fails to
 * load (expired, or the photo was not kept), the placeholder takes its place instead of a broken image.
 */
export function photo(src, alt, size, why = 'no photo') {
  if (!src) return missingPhoto(size, why);
  const img = h('img', { src, alt, loading: 'lazy', width: size, height: size });
  img.addEventListener('error', () => img.replaceWith(missingPhoto(size, 'photo unavailable')), {
    once: true,
  });
  return img;
}

export function card(listing, extra = []) {
  return h(
    'li',
    { class: 'card' },
    h(
      'a',
      { href: `#/listings/${encodeURIComponent(listing.id)}`, class: 'card-link' },
      photo(listing.image_url, listing.title, 160),
      h('span', { class: 'title' }, listing.title),
    ),
    h(
      'p',
      { class: 'meta' },
      listing.category_known === false
        ? h('span', { class: 'category unsure', title: `closest guess: ${listing.category}` }, 'not sure')
        : listing.category
          ? h(
              'span',
              { class: 'category' },
              `${listing.category} `,
              h('small', {}, percent(listing.category_confidence)),
            )
          : h('span', { class: 'pending' }, 'not enriched yet'),
      listing.price
        ? h('span', { class: 'price' }, money(listing.price.amount_minor, listing.price.currency))
        : null,
    ),
    h('p', { class: 'tags' }, attributeTags(listing.attributes)),
    extra,
  );
}

/** Replaces an element's content; unlike replaceChildren, null and false children are skipped. */
export function show(element, ...children) {
  element.replaceChildren();
  append(element, children);
}
