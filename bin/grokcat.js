#!/usr/bin/env node
// The CLI runs its TypeScript sources through tsx's loader, registered before anything is imported;
// OpenTelemetry starts next, from its own file, before the program itself.
import { register } from 'tsx/esm/api';

register();
await import('../shared/telemetry/start-telemetry.ts');
await import('../services/cli/main.ts');
