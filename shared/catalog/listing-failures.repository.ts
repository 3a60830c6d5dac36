import type { Knex } from 'knex';
import type { BusMessage } from '../bus/bus.ts';
import type { GrokcatError } from '../errors/error-catalogue.ts';

/** Why a listing was dead-lettered, as the API shows it (the ListingFailure schema). */
export interface ListingFailure {
  code: string;
  message: string;
  topic: string;
  origin: string;
  failed_at: string;
}

export interface FailureRecord {
  listing_id: string;
  code: string;
  reason: string;
  topic: string;
  origin: string;
}

export type ListingState = 'enriched' | 'cataloged' | 'failed';

export interface ListingStatus {
  listing_id: string;
  status: ListingState;
  failure: ListingFailure | null;
}

/**
 * Dead-lettered listings by id: the last failure of each. A failure counts while nothing newer
 * succeeded: a listing enriched or cataloged after it (a corrected re-post) is no longer failed.
 */
export function createListingFailureRepository(knex: Knex) {
  return {
    async record(failures: FailureRecord[]): Promise<void> {
      if (failures.length === 0) return;
      const latest = new Map(failures.map((f) => [f.listing_id, f]));
      await knex('listing_failures')
        .insert(
          [...latest.values()].map((f) => ({
            ...f,
            reason: f.reason.replaceAll('\u0000', '').slice(0, 2000),
            failed_at: knex.fn.now(),
          })),
        )
        .onConflict('listing_id')
        .merge();
    },

    /** null: nothing is known of this listing yet (not enriched, not failed). */
    async status(listingId: string): Promise<ListingStatus | null> {
      const { rows } = await knex.raw<{
        rows: {
          listed: boolean;
          product_id: string | null;
          succeeded_at: Date | null;
          code: string | null;
          reason: string | null;
          topic: string | null;
          origin: string | null;
          failed_at: Date | null;
        }[];
      }>(
        `SELECT l.id IS NOT NULL AS listed, l.product_id,
                GREATEST(l.updated_at, (SELECT max(e.updated_at) FROM enrichments e WHERE e.listing_id = l.id))
                  AS succeeded_at,
                f.code, f.reason, f.topic, f.origin, f.failed_at
           FROM (SELECT ?::text AS id) wanted
           LEFT JOIN listings l ON l.id = wanted.id
           LEFT JOIN listing_failures f ON f.listing_id = wanted.id`,
        [listingId],
      );
      const row = rows[0];
      if (!row || (!row.listed && !row.failed_at)) return null;
      const failed =
        row.failed_at !== null && (row.succeeded_at === null || row.failed_at > row.succeeded_at);
      if (failed) {
        return {
          listing_id: listingId,
          status: 'failed',
          failure: {
            code: String(row.code),
            message: String(row.reason),
            topic: String(row.topic),
            origin: String(row.origin),
            failed_at: (row.failed_at as Date).toISOString(),
          },
        };
      }
      return {
        listing_id: listingId,
        status: row.product_id === null ? 'enriched' : 'cataloged',
        failure: null,
      };
    },
  };
}

export type ListingFailureRepository = ReturnType<typeof createListingFailureRepository>;

/** The topics whose events are listings, keyed by listing id. */
const LISTING_TOPICS: ReadonlySet<string> = new Set(['listings.created', 'listings.enriched']);

/**
 * The consumer runtime's onDeadLettered for the enricher and cataloger: each dead-lettered listing
 * event recorded as that listing's failure, with the dead letter's code and reason.
 */
export function recordListingFailures(failures: ListingFailureRepository) {
  return async (dead: { message: BusMessage; error: GrokcatError }[]): Promise<void> => {
    await failures.record(
      dead
        .filter(({ message }) => message.key && LISTING_TOPICS.has(message.topic))
        .map(({ message, error }) => ({
          listing_id: message.key as string,
          code: error.code,
          reason: error.message,
          topic: message.topic,
          origin: `${message.topic}/${message.partition}/${message.offset}`,
        })),
    );
  };
}
