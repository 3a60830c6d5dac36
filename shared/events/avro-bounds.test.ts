import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { avroBoundsProblem } from './avro-bounds.ts';

const type = avro.Type.forSchema({
  type: 'record',
  name: 'T',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'float' } },
    { name: 'price', type: ['null', 'long'] },
    { name: 'empty', type: { type: 'array', items: 'null' } },
  ],
});

test('valid Avro passes the bounds walk', () => {
  const bytes = type.toBuffer({ name: 'mug', tags: ['a', 'b'], attrs: { x: 1.5 }, price: 12, empty: [null] });
  assert.equal(avroBoundsProblem(type, bytes), null);
});

test('a block count that cannot fit, a cut string, a bad union branch and leftovers are named', () => {
  // name "a", then an array block of 2^40 items in the 2 bytes that follow.
  const huge = Buffer.from([0x02, 0x61, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0x00, 0x00]);
  assert.match(avroBoundsProblem(type, huge) ?? '', /block of \d+ items .* room for at most \d+/);
  assert.match(
    avroBoundsProblem(type, Buffer.from([0x20, 0x61])) ?? '',
    /a string of 16 byte\(s\) at offset 1, only 1 left/,
  );
  assert.match(
    avroBoundsProblem(type, Buffer.from([0x00, 0x00, 0x00, 0x08])) ?? '',
    /union branch 4 out of range/,
  );
  const valid = type.toBuffer({ name: '', tags: [], attrs: {}, price: null, empty: [] });
  assert.match(
    avroBoundsProblem(type, Buffer.concat([valid, Buffer.from([1])])) ?? '',
    /1 byte\(s\) left over/,
  );
  assert.match(
    avroBoundsProblem(
      type,
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    ) ?? '',
    /varint longer than 10 bytes/,
  );
});

test('items that take no bytes are bounded by count', () => {
  const bytes = Buffer.from([0x00, 0x00, 0x00, 0x00, 0xa0, 0x9c, 0x01, 0x00]); // 10,000 nulls
  assert.equal(avroBoundsProblem(type, bytes), null);
  const more = Buffer.from([0x00, 0x00, 0x00, 0x00, 0xa2, 0x9c, 0x01, 0x00]); // 10,001
  assert.match(avroBoundsProblem(type, more) ?? '', /block of 10001 items/);
});
