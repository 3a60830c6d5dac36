import type { Knex } from 'knex';
import type { ApiKeyRepository } from '../../shared/api-keys/api-key.repository.ts';
import type { EventPublisher } from '../../shared/bus/event-publisher.ts';
import type { CatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import type { CatalogQueries } from '../../shared/catalog/catalog-query.repository.ts';
import type { ListingFailureRepository } from '../../shared/catalog/listing-failures.repository.ts';
import type { Config } from '../../shared/config/load-config.ts';
import type { ImageFetcher } from '../../shared/image/image-fetcher.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import type { ImageLinks } from './image-links.ts';

/** What the routes are built from. */
export interface ApiContext {
  config: Config;
  log: Logger;
  knex: Knex;
  keys: ApiKeyRepository;
  queries: CatalogQueries;
  catalog: CatalogRepository;
  failures: ListingFailureRepository;
  publisher: EventPublisher;
  runtime: ModelRuntime;
  fetcher: ImageFetcher;
  links: ImageLinks;
  /** Adds `image_url`, the signed link to the listing's cover photo. */
  withImageUrl<T extends { id: string; cover_position: number | null }>(
    listing: T,
  ): T & { image_url: string | null };
  /** Checks behind /readyz: each answers true or throws. */
  readiness: Record<string, () => Promise<boolean>>;
}
