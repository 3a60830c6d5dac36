import { readFileSync } from 'node:fs';

/** grokcat's version, from package.json: the CLI's --version and the OpenAPI document's. */
export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
