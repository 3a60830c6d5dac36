import type { FastifyInstance } from 'fastify';
import { createApiKeyRepository } from '../../shared/api-keys/api-key.repository.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { createCatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { createCatalogQueries } from '../../shared/catalog/catalog-query.repository.ts';
import { createListingFailureRepository } from '../../shared/catalog/listing-failures.repository.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import { createImageFetcher, fetchPolicy } from '../../shared/image/image-fetcher.ts';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import type { ServiceDependencies } from '../system/service-dependencies.ts';
import { buildApi } from './api-app.ts';
import type { ApiContext } from './api-context.ts';
import { createImageLinks } from './image-links.ts';

/** The routes' dependencies over the service's: catalogue reads, the bus, the shared model runtime. */
export function apiContextOf(deps: ServiceDependencies, runtime: ModelRuntime): ApiContext {
  const knex = deps.database.knex;
  const links = createImageLinks(deps.config.api.signingKey);
  return {
    config: deps.config,
    log: deps.log,
    knex,
    keys: createApiKeyRepository(knex),
    queries: createCatalogQueries(knex),
    catalog: createCatalogRepository(knex),
    failures: createListingFailureRepository(knex),
    publisher: createEventPublisher({ bus: deps.bus, codec: deps.codec }),
    runtime,
    fetcher: createImageFetcher(fetchPolicy(deps.config)),
    links,
    withImageUrl: (listing) => ({
      ...listing,
      image_url: listing.cover_position === null ? null : links.url(listing.id, listing.cover_position),
    }),
    readiness: {
      database: async () => {
        await knex.raw('select 1');
        return true;
      },
      model: async () => runtime.version.length > 0,
    },
  };
}

/** The API and console on GROKCAT_HTTP_HOST:GROKCAT_HTTP_PORT, over a model runtime the process shares. */
export async function startApiService(
  deps: ServiceDependencies & { runtime: ModelRuntime },
): Promise<{ app: FastifyInstance; url: string; stop(): Promise<void> }> {
  const log = deps.log.child({ service: 'api' });
  const app = await buildApi(apiContextOf({ ...deps, log }, deps.runtime));
  const { host, port } = deps.config.api;
  const address = await app.listen({ host, port }).catch(async (error: NodeJS.ErrnoException) => {
    await app.close();
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
      throw new GrokcatError(
        'CONFIG_INVALID',
        `cannot listen on ${host}:${port} (${error.code}): set GROKCAT_HTTP_PORT`,
        {
          cause: error,
        },
      );
    }
    throw error;
  });
  const url = address.replace('://[::1]', '://localhost').replace('://127.0.0.1', '://localhost');
  log.info({ url }, `api and console at ${url}`);
  return {
    app,
    url,
    async stop() {
      await app.close();
    },
  };
}
