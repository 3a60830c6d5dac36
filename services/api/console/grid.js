import { api, modelLabels } from './api.js';
import { card, h, show } from './dom.js';

const PAGE_SIZE = 24;

/** The catalogue: enriched listings, newest first, with filters kept in the URL. */
export async function renderGrid(main, params) {
  const page = Math.max(1, Number(params.get('page') ?? 1) || 1);
  const query = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
  for (const name of ['category', 'q']) if (params.get(name)) query.set(name, params.get(name));
  for (const attribute of params.getAll('attribute')) if (attribute) query.append('attribute', attribute);
  const [result, labels] = await Promise.all([api(`/v1/listings?${query}`), modelLabels()]);

  const go = (changes) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    location.hash = `#/?${next}`;
  };
  const filters = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(event.target);
        go({ q: data.get('q'), category: data.get('category'), attribute: data.get('attribute'), page: '' });
      },
    },
    h('label', { for: 'f-q' }, 'Title'),
    h('input', { id: 'f-q', name: 'q', type: 'search', value: params.get('q') ?? '' }),
    h('label', { for: 'f-category' }, 'Category'),
    h(
      'select',
      { id: 'f-category', name: 'category' },
      h('option', { value: '' }, 'any'),
      labels.categories.map((c) => h('option', { value: c, selected: c === params.get('category') }, c)),
    ),
    h('label', { for: 'f-attribute' }, 'Attribute'),
    h(
      'select',
      { id: 'f-attribute', name: 'attribute' },
      h('option', { value: '' }, 'any'),
      labels.attributes.flatMap((g) =>
        g.labels.map((l) => {
          const value = `${g.name}:${l}`;
          return h('option', { value, selected: value === params.get('attribute') }, `${g.name}: ${l}`);
        }),
      ),
    ),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  show(
    main,
    h('h1', {}, 'Catalogue'),
    filters,
    h('p', { class: 'count' }, `${result.total} listings`, pages > 1 ? ` - page ${page} of ${pages}` : ''),
    result.items.length
      ? h(
          'ul',
          { class: 'grid', 'aria-label': 'listings' },
          result.items.map((listing) => card(listing)),
        )
      : h('p', {}, 'No listing matches these filters.'),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'pages' },
      page > 1 ? h('a', { href: `#/?${withPage(params, page - 1)}` }, 'Previous') : null,
      page < pages ? h('a', { href: `#/?${withPage(params, page + 1)}`, rel: 'next' }, 'Next') : null,
    ),
  );
}

function withPage(params, page) {
  const next = new URLSearchParams(params);
  next.set('page', String(page));
  return next;
}
