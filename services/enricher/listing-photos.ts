import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageRecord } from '../../shared/catalog/catalog.repository.ts';
import { GrokcatError, toGrokcatError } from '../../shared/errors/error-catalogue.ts';
import type { ImageFetcher, ImageRef } from '../../shared/image/image-fetcher.ts';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import type { ModelFiles } from '../../shared/model/model-store.ts';
import type { RawOutputs } from '../../shared/model/postprocess.ts';
import { currentContext, openSpan, withSpan } from '../../shared/telemetry/tracing.ts';

export interface PhotoResult {
  image: ImageRecord;
  outputs: RawOutputs | null;
  files: ModelFiles | null;
}

/** Fetch attempts per photo for IMAGE_UNAVAILABLE (timeouts, 5xx) before it counts as failed. */
const FETCH_ATTEMPTS = 3;

export const refKind = (uri: string): ImageRecord['ref_kind'] =>
  uri.startsWith('inline:') ? 'inline' : uri.startsWith('file:') ? 'file' : 'url';

/** Fetches a photo (retrying IMAGE_UNAVAILABLE) and runs `use` on it inside the fetcher's limits. */
async function withRetriedImage<T>(
  fetcher: ImageFetcher,
  ref: ImageRef,
  use: (bytes: Uint8Array) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let fetched = false;
    try {
      return await fetcher.withImage(ref, (bytes) => {
        fetched = true;
        return use(bytes);
      });
    } catch (error) {
      const failure = toGrokcatError(error);
      // Only the fetch is retried: once the bytes arrived, a failure is the photo's or the model's.
      if (fetched || !failure.retriable || attempt >= FETCH_ATTEMPTS) throw failure;
      await sleep(200 * 2 ** (attempt - 1));
    }
  }
}

/**
 * One photo: fetched, decoded and run through the shared batched model. A refused or unreachable
 * photo is a failed result with its reason, never an exception: the listing goes on with the others.
 */
export async function runPhoto(
  deps: { fetcher: ImageFetcher; runtime: ModelRuntime },
  ref: ImageRef,
  position: number,
): Promise<PhotoResult> {
  const base = { position, ref_kind: refKind(ref.uri), ref: ref.uri.slice(0, 2000) };
  try {
    // The photo's bytes count against the process's fetch limits until the model has run on them;
    // the fetch span ends when the bytes arrive, and the model run is its sibling.
    const parent = currentContext();
    const fetching = openSpan(
      'fetch photo',
      { 'grokcat.photo.position': position, 'grokcat.photo.kind': base.ref_kind },
      parent,
    );
    const { sha256, run, kept } = await withRetriedImage(deps.fetcher, ref, async (bytes) => {
      fetching.end();
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const run = await withSpan(
        'model run',
        { 'grokcat.photo.position': position, 'grokcat.photo.bytes': bytes.length },
        async (span) => {
          const result = await deps.runtime.run(bytes);
          span.setAttribute('grokcat.model.version', result.files.version);
          return result;
        },
        parent,
      );
      // Inline bytes are kept with the listing (they cannot be fetched again); the others are not.
      return { sha256, run, kept: base.ref_kind === 'inline' ? bytes : null };
    }).finally(() => fetching.end());
    return {
      image: {
        ...base,
        sha256,
        width: run.width,
        height: run.height,
        status: 'ok',
        error_code: null,
        error_message: null,
        inline_bytes: kept,
      },
      outputs: run.outputs[0] ?? null,
      files: run.files,
    };
  } catch (error) {
    const failure = toGrokcatError(error);
    // Only the photo's own faults are recorded; anything else (the model failing) fails the batch.
    if (failure.code !== 'IMAGE_REFUSED' && failure.code !== 'IMAGE_UNAVAILABLE') throw failure;
    return {
      image: {
        ...base,
        sha256: null,
        width: null,
        height: null,
        status: 'failed',
        error_code: failure.code,
        error_message: failure.message.slice(0, 1000),
        inline_bytes: null,
      },
      outputs: null,
      files: null,
    };
  }
}

/**
 * All photos of a listing on one model version: if a hot swap happened between two photos, the
 * photos run on the old version are run again, so one enrichment never mixes two models.
 */
export async function runListingPhotos(
  deps: { fetcher: ImageFetcher; runtime: ModelRuntime },
  refs: ImageRef[],
): Promise<{ results: PhotoResult[]; files: ModelFiles | null }> {
  let results = await Promise.all(refs.map((ref, i) => runPhoto(deps, ref, i)));
  for (let round = 0; round < 3; round++) {
    const versions = new Set(results.flatMap((r) => (r.files ? [r.files.version] : [])));
    if (versions.size <= 1) break;
    const current = deps.runtime.version;
    results = await Promise.all(
      results.map((r, i) =>
        r.files && r.files.version !== current ? runPhoto(deps, refs[i] as ImageRef, i) : r,
      ),
    );
  }
  const used = results.filter((r) => r.files);
  const versions = new Set(used.map((r) => r.files?.version));
  if (versions.size > 1) {
    throw new GrokcatError('MODEL_SWAPPING', 'the model changed three times while this listing was enriched');
  }
  return { results, files: used[0]?.files ?? null };
}
