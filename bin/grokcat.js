#!/usr/bin/env node
// The CLI runs its TypeScript sources through tsx's loader, registered before anything is imported.
import { register } from 'tsx/esm/api';

register();
await import('../services/cli/main.ts');
