import type { Bus } from '../../shared/bus/bus.ts';
import type { Config } from '../../shared/config/load-config.ts';
import type { Database } from '../../shared/db/open-database.ts';
import type { EventCodec } from '../../shared/events/event-codec.ts';
import type { Logger } from '../../shared/log/logger.ts';

/** What every service is built from: the configuration, the database, the bus and its codec, a logger. */
export interface ServiceDependencies {
  config: Config;
  database: Database;
  bus: Bus;
  codec: EventCodec;
  log: Logger;
}
