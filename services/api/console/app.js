import { ApiError, apiKey, setApiKey } from './api.js';
import { h, say, show } from './dom.js';
import { renderGrid } from './grid.js';
import { renderListing } from './listing.js';
import { renderModels } from './models.js';
import { renderPhoto } from './photo.js';
import { renderSearch } from './search.js';

const main = document.getElementById('main');

function signIn(message) {
  show(
    main,
    h(
      'form',
      {
        class: 'panel sign-in',
        onsubmit: (event) => {
          event.preventDefault();
          setApiKey(new FormData(event.target).get('key').trim());
          route();
        },
      },
      h('h1', {}, 'Sign in'),
      message ? h('p', { class: 'error' }, message) : null,
      h('label', { for: 'key' }, 'API key'),
      h('input', {
        id: 'key',
        name: 'key',
        type: 'password',
        required: true,
        autocomplete: 'off',
        placeholder: 'gk_...',
      }),
      h('p', { class: 'hint' }, 'Create one with: grokcat apikey create --name me'),
      h('button', { type: 'submit' }, 'Sign in'),
    ),
  );
  document.getElementById('key').focus();
}

const routes = [
  [/^#\/listings\/(.+)$/, (match) => renderListing(main, decodeURIComponent(match[1]))],
  [/^#\/search$/, () => renderSearch(main)],
  [/^#\/photos(?:\/(.+))?$/, (match) => renderPhoto(main, match[1] ? decodeURIComponent(match[1]) : null)],
  [/^#\/models$/, () => renderModels(main)],
  [/^#\/(\?.*)?$/, (match) => renderGrid(main, new URLSearchParams((match[1] ?? '').slice(1)))],
];

async function route() {
  // A link with #key=... signs in and is then forgotten, so the key is not left in the history.
  const fromLink = /^#key=([\w-]+)$/.exec(location.hash);
  if (fromLink) {
    setApiKey(fromLink[1]);
    history.replaceState(null, '', '#/');
  }
  document.getElementById('sign-out').hidden = !apiKey();
  if (!apiKey()) return signIn();
  const hash = location.hash || '#/';
  for (const link of document.querySelectorAll('nav a')) {
    const current =
      hash === link.getAttribute('href') ||
      (link.getAttribute('href') === '#/' && /^#\/(\?|listings|$)/.test(hash));
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const [pattern, render] = routes.find(([candidate]) => candidate.test(hash)) ?? routes[routes.length - 1];
  main.setAttribute('aria-busy', 'true');
  try {
    say('');
    await render(pattern.exec(hash) ?? []);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setApiKey(null);
      return signIn(error.message);
    }
    show(main, h('p', { class: 'error', role: 'alert' }, `Could not load this page: ${error.message}`));
  } finally {
    main.removeAttribute('aria-busy');
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  setApiKey(null);
  route();
});
window.addEventListener('hashchange', route);
route();
