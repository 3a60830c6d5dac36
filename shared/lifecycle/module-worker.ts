import { Worker } from 'node:worker_threads';

/**
 * A worker thread running one of our modules. From TypeScript sources (run through tsx, as `bin/grokcat.js`
 * does) the worker registers tsx's loader first, since a worker does not inherit loaders registered
 * in code; compiled JavaScript starts directly.
 */
export function startModuleWorker(moduleUrl: URL, workerData: unknown): Worker {
  const source = moduleUrl.href;
  if (!source.endsWith('.ts')) return new Worker(moduleUrl, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`,
    { eval: true, workerData },
  );
}
