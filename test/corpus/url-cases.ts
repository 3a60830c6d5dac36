import { type CorpusCase, outcome } from './corpus-case.ts';
import type { CorpusContext } from './corpus-context.ts';

const deadLettered = (
  ctx: CorpusContext,
  id: string,
  name: string,
  url: string,
  reason: RegExp,
  expected: string,
): CorpusCase => ({
  id,
  kind: 'url',
  name,
  expected,
  async run() {
    const listing = await ctx.postListing(`corpus ${id}`, [url]);
    const dead = await ctx.deadLetter(listing);
    return outcome(
      dead?.code === 'LISTING_NO_USABLE_IMAGE' && reason.test(dead.reason),
      dead ? `dead-lettered ${dead.code}: ${dead.reason.replace(/^listing \S+: /, '')}` : 'not dead-lettered',
    );
  },
});

const PRIVATE = /private, loopback, link-local or reserved/;

/** Photo URLs that would make grokcat reach inside its own network, or outside its image root. */
export function urlCases(ctx: CorpusContext): CorpusCase[] {
  const port = ctx.loopbackPort;
  const to = (url: string) => `${ctx.allowedHost}/to?u=${encodeURIComponent(url)}`;
  return [
    deadLettered(
      ctx,
      'url-loopback',
      'http://127.0.0.1 (a live port)',
      `http://127.0.0.1:${port}/photo.png`,
      PRIVATE,
      'dead-lettered: loopback refused',
    ),
    deadLettered(
      ctx,
      'url-private',
      'http://10.0.0.1 (private range)',
      'http://10.0.0.1/photo.png',
      PRIVATE,
      'dead-lettered: private refused',
    ),
    deadLettered(
      ctx,
      'url-metadata',
      'http://169.254.169.254 (cloud metadata)',
      'http://169.254.169.254/latest/meta-data/',
      PRIVATE,
      'dead-lettered: link-local refused',
    ),
    deadLettered(
      ctx,
      'url-ipv6-loopback',
      'http://[::1]',
      `http://[::1]:${port}/photo.png`,
      PRIVATE,
      'dead-lettered: loopback refused',
    ),
    deadLettered(
      ctx,
      'url-ipv6-metadata',
      'http://[fd00:ec2::254] (AWS IPv6 metadata)',
      'http://[fd00:ec2::254]/latest/meta-data/',
      PRIVATE,
      'dead-lettered: private refused',
    ),
    deadLettered(
      ctx,
      'url-ipv4-mapped',
      'http://[::ffff:127.0.0.1] (IPv4-mapped IPv6)',
      `http://[::ffff:127.0.0.1]:${port}/photo.png`,
      PRIVATE,
      'dead-lettered: judged as the IPv4 address',
    ),
    deadLettered(
      ctx,
      'url-decimal-ip',
      'http://2130706433 (127.0.0.1 as one number)',
      `http://2130706433:${port}/photo.png`,
      PRIVATE,
      'dead-lettered: normalised, then refused',
    ),
    deadLettered(
      ctx,
      'url-dns-loopback',
      'http://localhost (a name resolving to loopback)',
      `http://localhost:${port}/photo.png`,
      PRIVATE,
      'dead-lettered: checked at DNS lookup',
    ),
    deadLettered(
      ctx,
      'url-redirect-metadata',
      'an allowed host redirecting to the metadata address',
      to('http://169.254.169.254/latest/meta-data/'),
      PRIVATE,
      'dead-lettered: every hop is checked',
    ),
    deadLettered(
      ctx,
      'url-redirect-dns',
      'an allowed host redirecting to http://localhost',
      to(`http://localhost:${port}/photo.png`),
      PRIVATE,
      'dead-lettered: every hop is checked',
    ),
    deadLettered(
      ctx,
      'url-redirect-file',
      'an allowed host redirecting to file:///etc/passwd',
      to('file:///etc/passwd'),
      /redirect to scheme file/,
      'dead-lettered: no scheme change',
    ),
    deadLettered(
      ctx,
      'url-redirect-loop',
      'a redirect loop',
      `${ctx.allowedHost}/loop`,
      /more than \d+ redirects/,
      'dead-lettered: redirects bounded',
    ),
    deadLettered(
      ctx,
      'url-file-outside',
      'file:///etc/passwd',
      'file:///etc/passwd',
      /outside the allowed root/,
      'dead-lettered: outside GROKCAT_IMAGE_FILE_ROOT',
    ),
    deadLettered(
      ctx,
      'url-file-traversal',
      'file: URL with ../ out of the image root',
      'file:///tmp/../etc/passwd',
      /outside the allowed root/,
      'dead-lettered: resolved, then refused',
    ),
  ];
}
