/** What the corpus cases reach the running system through. */
export interface CorpusContext {
  /** An API request with the admin key, another key, or none (`key: null`). */
  request(
    method: string,
    path: string,
    options?: { body?: string | FormData; headers?: Record<string, string>; key?: string | null },
  ): Promise<{ status: number; json: ApiJson; headers: Headers }>;
  /** POST /v1/enrich with one file. */
  upload(bytes: Buffer, filename: string, contentType: string): Promise<{ status: number; json: ApiJson }>;
  /** POST /v1/listings with these photo URLs; the listing's id. */
  postListing(title: string, urls: string[]): Promise<string>;
  /** Bytes straight onto listings.created, as a broken or hostile producer would write them. */
  publishRaw(key: string, value: Buffer): Promise<void>;
  /** A valid listings.created value for `id`, and its encoding. */
  listingEvent(id: string, uri: string): Record<string, unknown>;
  encode(value: Record<string, unknown>): Promise<Buffer>;
  /** The dead letter for this key (code and reason), waiting for it; null if none came. */
  deadLetter(key: string): Promise<{ code: string; reason: string } | null>;
  /** The stored title once the listing is cataloged; null if it never was. */
  catalogedTitle(id: string): Promise<string | null>;
  /** On 127.0.0.2 (allowed for the corpus, as an operator's CDN would be): `/photo.png`, `/to?u=URL`, `/loop`. */
  allowedHost: string;
  /** A port on 127.0.0.1 that serves a real photo, to prove the refusal is the address's, not a dead port. */
  loopbackPort: number;
  /** A key limited to a few requests a minute. */
  limitedKey: string;
  maxUploadBytes: number;
  maxBodyBytes: number;
}

export type ApiJson = {
  error?: { code: string; message: string };
  category?: { label: string };
  [field: string]: unknown;
} | null;
