import { api } from './api.js';
import { h, percent, say, show } from './dom.js';

/** One detected object over the photo: a link to its product's listing, or a plain frame. */
function drawBox(box, index) {
  const caption = `${box.label} ${percent(box.score)}`;
  const element = box.listing_id
    ? h(
        'a',
        {
          class: 'box matched',
          href: `#/listings/${encodeURIComponent(box.listing_id)}`,
          title: `${caption}: product ${box.product_id} (similarity ${box.similarity.toFixed(3)})`,
          'aria-label': `object ${index + 1}, ${box.label}: product ${box.product_id}`,
        },
        h('span', {}, `${box.label} → ${box.product_id}`),
      )
    : h(
        'div',
        { class: 'box', title: `${caption}: no product`, 'aria-label': `object ${index + 1}, ${box.label}` },
        h('span', {}, box.label),
      );
  // Through the CSS object model: the console's content security policy allows no inline styles.
  Object.assign(element.style, {
    left: `${box.left * 100}%`,
    top: `${box.top * 100}%`,
    width: `${box.width * 100}%`,
    height: `${box.height * 100}%`,
  });
  return element;
}

/**
 * A tagged page photo: the photo with the detector's boxes drawn over it, each linked to the
 * listing of the product its crop matched, and the ranked candidates below.
 */
export async function renderPhoto(main, id) {
  const form = h(
    'form',
    {
      class: 'panel search-form',
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = `#/photos/${encodeURIComponent(new FormData(event.target).get('photo').trim())}`;
      },
    },
    h('label', { for: 'p-id' }, 'Page photo id'),
    h('input', { id: 'p-id', name: 'photo', required: true, value: id ?? '', autocomplete: 'off' }),
    h('button', { type: 'submit' }, 'Show'),
  );
  if (!id) return show(main, h('h1', {}, 'Page photos'), form);
  const photo = await api(`/v1/photos/${encodeURIComponent(id)}`);
  const matched = photo.boxes.filter((b) => b.product_id !== null).length;
  say(`${photo.boxes.length} objects, ${matched} matched to products`);
  show(
    main,
    h('h1', {}, `Page photo ${photo.photo_id}`),
    form,
    h(
      'p',
      { class: 'prediction' },
      'Looks like ',
      h('strong', {}, photo.category),
      ` (model ${photo.model_version})`,
      photo.boxes.length === 0 ? '; no objects detected: it was searched by a grid of crops' : '',
    ),
    h(
      'figure',
      { class: 'page-photo' },
      photo.image_url
        ? h('img', { src: photo.image_url, alt: `page photo ${photo.photo_id}` })
        : h('p', {}, 'The photo was sent inline and is not kept.'),
      photo.boxes.map(drawBox),
    ),
    h('h2', {}, 'Candidates'),
    h(
      'ol',
      { class: 'candidates', 'aria-label': 'candidate products' },
      photo.candidates.map((c) =>
        h(
          'li',
          {},
          c.listing_id
            ? h('a', { href: `#/listings/${encodeURIComponent(c.listing_id)}` }, `product ${c.product_id}`)
            : `product ${c.product_id}`,
          ` similarity ${c.score.toFixed(3)}, corrected ${c.corrected.toFixed(3)}`,
        ),
      ),
    ),
  );
}
