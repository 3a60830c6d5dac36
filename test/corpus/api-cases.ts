import { type CorpusCase, outcome } from './corpus-case.ts';
import type { CorpusContext } from './corpus-context.ts';

const api = (
  _ctx: CorpusContext,
  id: string,
  name: string,
  send: () => ReturnType<CorpusContext['request']>,
  status: number,
  code: string,
  expected: string,
): CorpusCase => ({
  id,
  kind: 'api',
  name,
  expected,
  async run() {
    const got = await send();
    return outcome(
      got.status === status && got.json?.error?.code === code,
      `${got.status} ${got.json?.error?.code}: ${got.json?.error?.message}`,
    );
  },
});

const LISTING = JSON.stringify({ title: 'a mug', images: [{ url: 'https://images.example/a.jpg' }] });

/** Requests without the right key, too big, malformed, or too many. */
export function apiCases(ctx: CorpusContext): CorpusCase[] {
  const get = (path: string, key?: string | null) => () =>
    ctx.request('GET', path, key === undefined ? {} : { key });
  return [
    api(
      ctx,
      'api-no-key',
      'no API key',
      get('/v1/listings', null),
      401,
      'API_KEY_REQUIRED',
      '401 API_KEY_REQUIRED',
    ),
    api(
      ctx,
      'api-wrong-key',
      'a well-formed key that does not exist',
      get('/v1/listings', `gk_00000000_${'a'.repeat(43)}`),
      401,
      'API_KEY_INVALID',
      '401 API_KEY_INVALID',
    ),
    api(
      ctx,
      'api-garbage-key',
      'a key of the wrong shape (SQL in it)',
      get('/v1/listings', "x' OR '1'='1"),
      401,
      'API_KEY_INVALID',
      '401 API_KEY_INVALID',
    ),
    api(
      ctx,
      'api-oversize-body',
      'a JSON body one byte over GROKCAT_API_MAX_BODY_BYTES',
      () =>
        ctx.request('POST', '/v1/listings', {
          body: JSON.stringify({ title: 'x'.repeat(ctx.maxBodyBytes), images: [] }),
        }),
      413,
      'REQUEST_TOO_LARGE',
      '413 REQUEST_TOO_LARGE',
    ),
    api(
      ctx,
      'api-bad-json',
      'malformed JSON',
      () => ctx.request('POST', '/v1/listings', { body: '{"title": "a", images: [' }),
      400,
      'REQUEST_INVALID',
      '400 REQUEST_INVALID',
    ),
    api(
      ctx,
      'api-text-plain',
      'a JSON body sent as text/plain',
      () => ctx.request('POST', '/v1/listings', { body: LISTING, headers: { 'content-type': 'text/plain' } }),
      415,
      'MEDIA_TYPE_UNSUPPORTED',
      '415 MEDIA_TYPE_UNSUPPORTED',
    ),
    api(
      ctx,
      'api-unknown-field',
      'an unknown field (`is_admin: true`)',
      () =>
        ctx.request('POST', '/v1/listings', {
          body: JSON.stringify({ ...JSON.parse(LISTING), is_admin: true }),
        }),
      400,
      'REQUEST_INVALID',
      '400 REQUEST_INVALID naming the field',
    ),
    api(
      ctx,
      'api-prototype',
      'a `__proto__` key in the body',
      () =>
        ctx.request('POST', '/v1/listings', {
          body: `{"title":"a","images":[{"url":"https://images.example/a.jpg"}],"__proto__":{"admin":true}}`,
        }),
      400,
      'REQUEST_INVALID',
      '400 REQUEST_INVALID',
    ),
    api(
      ctx,
      'api-path-traversal',
      'a listing id of ../../etc/passwd',
      get('/v1/listings/..%2F..%2Fetc%2Fpasswd'),
      404,
      'LISTING_NOT_FOUND',
      '404 LISTING_NOT_FOUND',
    ),
    api(
      ctx,
      'api-nul',
      'a NUL character in a listing id',
      get('/v1/listings/a%00b'),
      400,
      'REQUEST_INVALID',
      '400 REQUEST_INVALID naming the field',
    ),
    api(
      ctx,
      'api-forged-link',
      'an image link with a forged signature',
      get('/v1/images/x/0?exp=9999999999&sig=00'),
      403,
      'IMAGE_LINK_INVALID',
      '403 IMAGE_LINK_INVALID',
    ),
    {
      id: 'api-burst',
      kind: 'api',
      name: 'a burst of 12 requests on a key allowed 5 a minute',
      expected: '429 RATE_LIMITED with Retry-After, the others answered',
      async run() {
        const answers = [];
        for (let i = 0; i < 12; i++)
          answers.push(await ctx.request('GET', '/v1/models', { key: ctx.limitedKey }));
        const limited = answers.filter((a) => a.status === 429);
        const first = limited[0];
        const ok = answers.slice(0, 5).every((a) => a.status === 200) && limited.length === 7;
        return outcome(
          ok && first?.json?.error?.code === 'RATE_LIMITED' && Number(first.headers.get('retry-after')) > 0,
          `${answers.length - limited.length} answered, ${limited.length} x ${first?.status} ${first?.json?.error?.code}, Retry-After ${first?.headers.get('retry-after')} s`,
        );
      },
    },
  ];
}
