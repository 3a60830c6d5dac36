import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const LIFETIME_S = 3600;
// Links are signed for the start of an hour window so one image keeps one URL (browser caches).
const windowEnd = (nowS: number) => (Math.floor(nowS / LIFETIME_S) + 2) * LIFETIME_S;

/**
 * Signed, expiring links to listing photos: `<img src>` cannot send an API key, and an integrator
 * can hand the link on. HMAC-SHA256 over listing, position and expiry; valid 1 to 2 hours.
 */
export function createImageLinks(signingKey: string | null) {
  const key = signingKey ?? randomBytes(32).toString('hex');
  const sign = (listingId: string, position: number, expires: number) =>
    createHmac('sha256', key).update(`${listingId}\u0000${position}\u0000${expires}`).digest('base64url');
  return {
    url(listingId: string, position: number, nowS = Date.now() / 1000): string {
      const expires = windowEnd(nowS);
      const sig = sign(listingId, position, expires);
      return `/v1/images/${encodeURIComponent(listingId)}/${position}?exp=${expires}&sig=${sig}`;
    },
    /** A page photo's link (its own namespace: no listing id can collide with it). */
    photoUrl(photoId: string, nowS = Date.now() / 1000): string {
      const expires = windowEnd(nowS);
      const sig = sign(`\u0001page-photo:${photoId}`, 0, expires);
      return `/v1/photos/${encodeURIComponent(photoId)}/image?exp=${expires}&sig=${sig}`;
    },
    verifyPhoto(photoId: string, expires: number, sig: string, nowS = Date.now() / 1000): boolean {
      return this.verify(`\u0001page-photo:${photoId}`, 0, expires, sig, nowS);
    },
    verify(
      listingId: string,
      position: number,
      expires: number,
      sig: string,
      nowS = Date.now() / 1000,
    ): boolean {
      if (!Number.isFinite(expires) || expires < nowS) return false;
      const expected = Buffer.from(sign(listingId, position, expires));
      const actual = Buffer.from(sig);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

export type ImageLinks = ReturnType<typeof createImageLinks>;
