import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createImageLinks } from './image-links.ts';

test('image links verify for their listing and position until they expire', () => {
  const links = createImageLinks('a signing key of 32 characters..');
  const now = 1_800_000_000;
  const url = new URL(links.url('listing 1', 2, now), 'http://x');
  const exp = Number(url.searchParams.get('exp'));
  const sig = String(url.searchParams.get('sig'));
  assert.equal(url.pathname, '/v1/images/listing%201/2');
  assert.ok(exp > now + 3600 - 1 && exp <= now + 7200);
  assert.equal(links.verify('listing 1', 2, exp, sig, now), true);
  assert.equal(links.verify('listing 1', 3, exp, sig, now), false);
  assert.equal(links.verify('listing 2', 2, exp, sig, now), false);
  assert.equal(links.verify('listing 1', 2, exp + 1, sig, now), false);
  assert.equal(links.verify('listing 1', 2, exp, sig, exp + 1), false);
  assert.equal(
    createImageLinks('another key of 32 characters....').verify('listing 1', 2, exp, sig, now),
    false,
  );
});
