import { createHash } from 'node:crypto';
import dns from 'node:dns';
import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/load-config.ts';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { type AddressPolicy, createAddressPolicy } from './address-policy.ts';
import { createFetchLimiter, type FetchLimiter } from './fetch-limiter.ts';

/** An image reference as events carry it (schemas/listings.created: ImageRef). */
export interface ImageRef {
  uri: string;
  inline_bytes?: Uint8Array | null;
  content_type?: string | null;
}

export interface FetchPolicy {
  /** `file:` references must resolve (symlinks followed) inside this folder. */
  fileRoot: string;
  maxBytes: number;
  /** For inline references (the event schema allows 256 KiB). */
  maxInlineBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  /** Hostnames and CIDR ranges that may be reached although private (GROKCAT_IMAGE_ALLOW_HOSTS). */
  allowHosts: string[];
  /** Concurrent fetches and photo bytes in flight, shared by the fetchers of a process. */
  limiter: FetchLimiter;
}

export interface ImageFetcher {
  /** The image's bytes, or a GrokcatError: IMAGE_REFUSED (never retry) or IMAGE_UNAVAILABLE (retry). */
  fetch(ref: ImageRef): Promise<Uint8Array>;
  /**
   * Fetches and runs `use` on the bytes while they still count against the process's limits (a
   * fetch slot and the bytes in flight): the enricher decodes and runs the model inside, so photos
   * fetched faster than the model runs cannot pile up in memory.
   */
  withImage<T>(ref: ImageRef, use: (bytes: Uint8Array) => Promise<T>): Promise<T>;
}

const refused = (uri: string, reason: string, details: Record<string, unknown> = {}) =>
  new GrokcatError('IMAGE_REFUSED', `${shortUri(uri)}: ${reason}`, {
    details: { uri: shortUri(uri), ...details },
  });
const unavailable = (uri: string, reason: string, cause?: unknown) =>
  new GrokcatError('IMAGE_UNAVAILABLE', `${shortUri(uri)}: ${reason}`, {
    details: { uri: shortUri(uri) },
    ...(cause ? { cause } : {}),
  });
const shortUri = (uri: string) => (uri.length > 200 ? `${uri.slice(0, 200)}...` : uri);

/**
 * Fetches images by reference: inline bytes (checked against the sha256 in the URI), `file:` paths
 * under an allowed root, and http(s) with a size limit, a time limit over the whole exchange, a
 * redirect limit, and the address policy applied to every address actually connected to (the
 * check runs in the socket's DNS lookup, so a name cannot resolve to a public address when checked
 * and a private one when connected: DNS rebinding), on every redirect hop.
 */
export function createImageFetcher(policy: FetchPolicy): ImageFetcher {
  const addresses = createAddressPolicy(policy.allowHosts);
  const root = realpathSync(policy.fileRoot);
  const agents = createAgents(addresses);
  const withImage = async <T>(ref: ImageRef, use: (bytes: Uint8Array) => Promise<T>): Promise<T> => {
    const { uri } = ref;
    if (uri.startsWith('inline:')) return use(inline(ref, policy.maxInlineBytes));
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw refused(uri, 'not a URL');
    }
    if (url.protocol === 'file:')
      return policy.limiter.run(async (reserve) =>
        use(await fromFile(uri, url, root, policy.maxBytes, reserve)),
      );
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      // The time limit starts once a slot is free: waiting behind other fetches is not the host's fault.
      return policy.limiter.run(async (reserve) =>
        use(
          await fromHttp(
            uri,
            url,
            { policy, addresses, agents, reserve },
            AbortSignal.timeout(policy.timeoutMs),
          ),
        ),
      );
    }
    throw refused(uri, `scheme ${url.protocol} is not allowed (https, http, file, inline)`);
  };
  return { withImage, fetch: (ref) => withImage(ref, async (bytes) => bytes) };
}

interface HttpContext {
  policy: FetchPolicy;
  addresses: AddressPolicy;
  agents: { http: http.Agent; https: https.Agent };
  reserve: (bytes: number) => Promise<void>;
}

/**
 * Connections are kept and reused, each agent belonging to one fetcher: every new connection runs
 * this fetcher's address check in its DNS lookup, and a reused one was checked by it when it was
 * made (to the address it is still connected to), so pooling never skips the check.
 */
function createAgents(addresses: AddressPolicy) {
  const lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, found) => {
      if (error) return callback(error, '', 4);
      const list = found as dns.LookupAddress[];
      for (const entry of list) {
        const reason = addresses.refuse(hostname, entry.address);
        if (reason) return callback(new AddressRefused(reason) as unknown as NodeJS.ErrnoException, '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0] as dns.LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
  const options = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, lookup };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

class AddressRefused extends Error {}

function realpathOrNull(file: string): string | null {
  try {
    return realpathSync(file);
  } catch {
    return null;
  }
}

function inline(ref: ImageRef, maxBytes: number): Uint8Array {
  const bytes = ref.inline_bytes;
  const declared = /^inline:sha256:([0-9a-f]{64})$/.exec(ref.uri)?.[1];
  if (!declared) throw refused(ref.uri, 'an inline reference is inline:sha256:<64 hex digits>');
  if (!bytes || bytes.length === 0) throw refused(ref.uri, 'inline reference without bytes');
  if (bytes.length > maxBytes)
    throw refused(ref.uri, `inline image of ${bytes.length} bytes exceeds ${maxBytes}`);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== declared) throw refused(ref.uri, `inline bytes hash to ${actual}, not the declared sha256`);
  return bytes;
}

async function fromFile(
  uri: string,
  url: URL,
  root: string,
  maxBytes: number,
  reserve: (bytes: number) => Promise<void>,
): Promise<Uint8Array> {
  const inside = (candidate: string) => candidate === root || candidate.startsWith(root + path.sep);
  const outside = () => refused(uri, `file outside the allowed root ${root} (GROKCAT_IMAGE_FILE_ROOT)`);
  // Refused before the file system is asked when the path itself lies outside (through the root's
  // real path): whether a file exists outside the root is nobody's business.
  const requested = path.resolve(fileURLToPath(url));
  const parent = realpathOrNull(path.dirname(requested));
  if (parent === null ? !inside(requested) : !inside(path.join(parent, path.basename(requested)))) {
    throw outside();
  }
  let file: string;
  try {
    file = realpathSync(requested);
  } catch {
    throw refused(uri, 'no such file');
  }
  if (!inside(file)) throw outside();
  const stat = statSync(file);
  if (!stat.isFile()) throw refused(uri, 'not a regular file');
  if (stat.size > maxBytes) throw refused(uri, `file of ${stat.size} bytes exceeds ${maxBytes}`);
  await reserve(stat.size);
  return new Uint8Array(await readFile(file));
}

async function fromHttp(uri: string, start: URL, ctx: HttpContext, signal: AbortSignal): Promise<Uint8Array> {
  const { policy, addresses } = ctx;
  let url = start;
  for (let hop = 0; ; hop++) {
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(literal)) {
      const reason = addresses.refuse(literal, literal);
      if (reason) throw refused(uri, reason);
    }
    const response = await request(uri, url, ctx, signal);
    if (response.redirect) {
      if (hop >= policy.maxRedirects) throw refused(uri, `more than ${policy.maxRedirects} redirects`);
      const next = new URL(response.redirect, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw refused(uri, `redirect to scheme ${next.protocol}`);
      url = next;
      continue;
    }
    return response.body as Uint8Array;
  }
}

function request(
  uri: string,
  url: URL,
  ctx: HttpContext,
  signal: AbortSignal,
): Promise<{ redirect?: string; body?: Uint8Array }> {
  const { policy } = ctx;
  const client = url.protocol === 'https:' ? https : http;
  const agent = url.protocol === 'https:' ? ctx.agents.https : ctx.agents.http;
  return new Promise((resolve, reject) => {
    const fail = (error: unknown) => {
      if (error instanceof GrokcatError) return reject(error);
      if (error instanceof AddressRefused) return reject(refused(uri, error.message));
      if (signal.aborted)
        return reject(unavailable(uri, `no complete answer within ${policy.timeoutMs} ms`, error));
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND') return reject(refused(uri, `host ${url.hostname} does not exist`));
      reject(unavailable(uri, `fetch failed: ${code ?? (error as Error).message}`, error));
    };
    const req = client.get(url, { agent, signal, headers: { accept: 'image/*' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        return resolve({ redirect: res.headers.location });
      }
      if (status !== 200) {
        res.resume();
        return status === 429 || status >= 500
          ? reject(unavailable(uri, `HTTP ${status}`))
          : reject(refused(uri, `HTTP ${status}`, { status }));
      }
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > policy.maxBytes) {
        res.destroy();
        return reject(refused(uri, `declared ${declared} bytes, more than ${policy.maxBytes}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('error', fail);
      res.pause();
      // The body is read only once its bytes fit the process's budget (declared size, else the most allowed).
      ctx.reserve(declared > 0 ? declared : policy.maxBytes).then(() => res.resume(), fail);
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > policy.maxBytes) {
          res.destroy();
          reject(refused(uri, `more than ${policy.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ body: new Uint8Array(Buffer.concat(chunks)) }));
    });
    req.on('error', fail);
  });
}

/** One limiter per process and setting: the enricher's and the API's fetchers share it. */
const limiters = new Map<string, FetchLimiter>();
const processLimiter = (concurrency: number, maxBytes: number): FetchLimiter => {
  const key = `${concurrency}/${maxBytes}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = createFetchLimiter({ concurrency, maxBytes });
    limiters.set(key, limiter);
  }
  return limiter;
};

/** The fetch policy of the configuration (GROKCAT_IMAGE_*); the file root is created if missing. */
export function fetchPolicy(config: Pick<Config, 'image'>): FetchPolicy {
  mkdirSync(config.image.fileRoot, { recursive: true });
  return {
    limiter: processLimiter(config.image.fetchConcurrency, config.image.maxBytesInFlight),
    fileRoot: config.image.fileRoot,
    maxBytes: config.image.maxBytes,
    maxInlineBytes: 256 * 1024,
    timeoutMs: config.image.fetchTimeoutMs,
    maxRedirects: config.image.maxRedirects,
    allowHosts: [...config.image.allowHosts],
  };
}
