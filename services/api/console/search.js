import { api } from './api.js';
import { card, h, percent, say, show } from './dom.js';

/** Search by photo: the upload runs through the serving model, its embedding through pgvector. */
export async function renderSearch(main) {
  const results = h('section', { 'aria-label': 'results' });
  const form = h(
    'form',
    {
      class: 'panel search-form',
      onsubmit: async (event) => {
        event.preventDefault();
        const data = new FormData(event.target);
        if (!data.get('category')) data.delete('category');
        say('Searching...');
        try {
          const found = await api('/v1/search', { method: 'POST', form: data });
          say(`${found.listings.length} similar listings, ${found.products.length} products`);
          show(
            results,
            h(
              'p',
              { class: 'prediction' },
              'The photo looks like: ',
              h('strong', {}, found.query.category.label),
              ` (${percent(found.query.category.confidence)})`,
            ),
            h('h2', {}, 'Similar listings'),
            h(
              'ul',
              { class: 'grid', 'aria-label': 'similar listings' },
              found.listings.map((l) =>
                card(l, h('p', { class: 'score' }, `similarity ${l.score.toFixed(3)}`)),
              ),
            ),
          );
        } catch (error) {
          say(`Search failed: ${error.message}`, 'error');
        }
      },
    },
    h('label', { for: 's-image' }, 'Photo'),
    h('input', { id: 's-image', name: 'image', type: 'file', accept: 'image/*', required: true }),
    h('label', { for: 's-k' }, 'Results'),
    h('input', { id: 's-k', name: 'k', type: 'number', min: 1, max: 100, value: 12 }),
    h('button', { type: 'submit' }, 'Search'),
  );
  show(main, h('h1', {}, 'Photo search'), form, results);
}
