import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runDemo } from '../../services/demo/demo-run.ts';
import { type System, startSystem } from '../../services/system/system.ts';
import { createApiKeyRepository } from '../../shared/api-keys/api-key.repository.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import type { Config } from '../../shared/config/load-config.ts';
import { tempHome, testConfig, testLogger } from './temp-home.ts';

/**
 * The whole system with its API on a free port, a demo marketplace of `listings` through it, an
 * admin API key, and the path of one demo photo (for uploads).
 */
export async function startApiSystem(listings: number, variables: Record<string, string> = {}) {
  const home = tempHome();
  const config: Config = testConfig({ GROKCAT_HOME: home.home, ...variables });
  const system: System = await startSystem({ config, log: testLogger() });
  await runDemo({ ...system, config, codec: openCodec(config), log: testLogger(), listings });
  const { key } = await createApiKeyRepository(system.database.knex).create({
    name: 'test-admin',
    scopes: ['read', 'write', 'admin'],
  });
  const folder = path.join(config.image.fileRoot, 'demo');
  const run = path.join(folder, readdirSync(folder)[0] as string);
  const photoPath = path.join(run, readdirSync(run)[0] as string);
  return {
    system,
    config,
    key,
    photoPath,
    async stop() {
      await system.stop();
      home.cleanup();
    },
  };
}
