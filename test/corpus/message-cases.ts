import { randomBytes } from 'node:crypto';
import { type CorpusCase, outcome } from './corpus-case.ts';
import type { CorpusContext } from './corpus-context.ts';

const deadEvent = (
  ctx: CorpusContext,
  id: string,
  name: string,
  make: (key: string) => Promise<Buffer>,
  codes: string[],
  expected: string,
  reason?: RegExp,
): CorpusCase => ({
  id,
  kind: 'event',
  name,
  expected,
  async run() {
    const key = `corpus-${id}-${randomBytes(3).toString('hex')}`;
    await ctx.publishRaw(key, await make(key));
    const dead = await ctx.deadLetter(key);
    return outcome(
      Boolean(dead && codes.includes(dead.code) && (!reason || reason.test(dead.reason))),
      dead ? `dead-lettered ${dead.code}: ${dead.reason.replace(/^listing \S+: /, '')}` : 'not dead-lettered',
    );
  },
});

/** Events no well-behaved producer writes: not Avro, cut short, an unknown schema, a bad field. */
export function eventCases(ctx: CorpusContext): CorpusCase[] {
  const valid = (key: string) => ctx.encode(ctx.listingEvent(key, 'https://images.example/a.jpg'));
  return [
    deadEvent(
      ctx,
      'event-json',
      'a JSON document instead of Avro',
      async () => Buffer.from('{"listing_id":"x","title":"json"}'),
      ['EVENT_UNDECODABLE'],
      'dead-lettered with the decode error',
    ),
    deadEvent(
      ctx,
      'event-empty',
      'an empty message',
      async () => Buffer.alloc(0),
      ['EVENT_UNDECODABLE'],
      'dead-lettered with the decode error',
    ),
    deadEvent(
      ctx,
      'event-confluent',
      'a Confluent-framed event (magic byte 0, schema id) on a bus without a schema registry',
      async (key) => Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), (await valid(key)).subarray(10)]),
      ['EVENT_UNDECODABLE'],
      'dead-lettered: the reason says Confluent framing and names SCHEMA_REGISTRY_URL',
      /Confluent wire format.*SCHEMA_REGISTRY_URL/,
    ),
    deadEvent(
      ctx,
      'event-truncated',
      'a valid event cut in half',
      async (key) => {
        const bytes = await valid(key);
        return bytes.subarray(0, Math.floor(bytes.length / 2));
      },
      ['EVENT_UNDECODABLE'],
      'dead-lettered with the decode error',
    ),
    deadEvent(
      ctx,
      'event-unknown-schema',
      'single-object header with an unknown schema fingerprint',
      async (key) => {
        const bytes = Buffer.from(await valid(key));
        bytes.fill(0xab, 2, 10); // a fingerprint no schema has
        return bytes;
      },
      ['EVENT_SCHEMA_UNKNOWN', 'EVENT_UNDECODABLE'],
      'dead-lettered: unknown writer schema',
    ),
    deadEvent(
      ctx,
      'event-garbage-body',
      'a known fingerprint followed by 64 bytes of noise',
      async (key) => {
        const bytes = Buffer.from(await valid(key));
        const noise = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 151 + 89) & 255));
        return Buffer.concat([bytes.subarray(0, 10), noise]);
      },
      ['EVENT_UNDECODABLE'],
      'dead-lettered with the decode error',
    ),
    deadEvent(
      ctx,
      'event-block-bomb',
      'an event whose photo array claims 2^55 items in a few bytes',
      async (key) => {
        // Where the images array starts: the first byte that differs between no photo and one photo.
        const event = ctx.listingEvent(key, 'https://images.example/a.jpg');
        const none = await ctx.encode({ ...event, images: [] });
        const one = await ctx.encode(event);
        let at = 0;
        while (none[at] === one[at]) at++;
        const huge = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]); // zig-zag 2^55
        return Buffer.concat([none.subarray(0, at), huge, none.subarray(at + 1)]);
      },
      ['EVENT_UNDECODABLE'],
      'dead-lettered before decoding (avsc would loop until out of memory)',
    ),
    deadEvent(
      ctx,
      'event-scheme',
      'a valid event whose photo is gopher://',
      (key) => ctx.encode(ctx.listingEvent(key, 'gopher://images.example/a.jpg')),
      ['LISTING_NO_USABLE_IMAGE'],
      'dead-lettered: scheme not allowed',
    ),
  ];
}

const storedVerbatim = (
  ctx: CorpusContext,
  id: string,
  name: string,
  title: string,
  stored: string,
  expected: string,
): CorpusCase => ({
  id,
  kind: 'title',
  name,
  expected,
  async run() {
    const listing = await ctx.postListing(title, [`${ctx.allowedHost}/photo.png`]);
    const got = await ctx.catalogedTitle(listing);
    return outcome(
      got === stored,
      got === null
        ? 'not cataloged'
        : `cataloged, title ${got === stored ? 'as expected' : `changed to ${JSON.stringify(got)}`}`,
    );
  },
});

/** Titles that try to break out of SQL, HTML or the terminal. */
export function titleCases(ctx: CorpusContext): CorpusCase[] {
  const sql = 'Robert\'); DROP TABLE listings; -- " OR 1=1';
  const html = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const control = 'bell\u0007 escape\u001b[31m bidi\u202egnp.exe';
  return [
    storedVerbatim(
      ctx,
      'title-sql',
      'SQL injection in the title',
      sql,
      sql,
      'cataloged, stored verbatim (parameterised queries), tables intact',
    ),
    storedVerbatim(
      ctx,
      'title-html',
      'HTML and script in the title',
      html,
      html,
      'cataloged verbatim; the console shows it as text (e2e test)',
    ),
    storedVerbatim(
      ctx,
      'title-control',
      'terminal escapes and a bidi override in the title',
      control,
      control,
      'cataloged verbatim; logs escape them (JSON)',
    ),
    {
      id: 'title-nul',
      kind: 'title',
      name: "a producer's event with a NUL in the title (Postgres text cannot hold it)",
      expected: 'cataloged with the NUL removed, not dead-lettered (the API refuses NUL: 400)',
      async run() {
        const key = `corpus-title-nul-${randomBytes(3).toString('hex')}`;
        const event = {
          ...ctx.listingEvent(key, `${ctx.allowedHost}/photo.png`),
          title: 'before\u0000after',
        };
        await ctx.publishRaw(key, await ctx.encode(event));
        const got = await ctx.catalogedTitle(key);
        return outcome(
          got === 'beforeafter',
          got === null ? 'not cataloged' : `cataloged as ${JSON.stringify(got)}`,
        );
      },
    },
    {
      id: 'title-too-long',
      kind: 'title',
      name: 'a 600-character title',
      expected: '400 REQUEST_INVALID naming the field',
      async run() {
        const { status, json } = await ctx.request('POST', '/v1/listings', {
          body: JSON.stringify({ title: 'x'.repeat(600), images: [{ url: 'https://images.example/a.jpg' }] }),
        });
        return outcome(
          status === 400 && /title/.test(json?.error?.message ?? ''),
          `${status} ${json?.error?.code}: ${json?.error?.message}`,
        );
      },
    },
  ];
}
