import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { toGrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { createModelRuntime, runtimeOptions } from '../../../shared/model/model-runtime.ts';
import { ensureModel } from '../../../shared/model/model-store.ts';
import { runCommand } from '../command-runtime.ts';

export function registerEnrichCommand(program: Command): void {
  program
    .command('enrich')
    .description('predict category, attributes, queries and embedding for image files (one batched model)')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, GIF, AVIF, TIFF)')
    .option('--embedding', 'include the embedding vectors in the output')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async ({ config, log, print, setExitCode }, images: string[], options: { embedding?: boolean }) => {
          const files = await ensureModel(config, log);
          const runtime = await createModelRuntime(files, runtimeOptions(config), log);
          try {
            // All images are submitted at once: the runtime batches them.
            const results = await Promise.all(
              images.map(async (image) => {
                try {
                  const prediction = await runtime.enrich(await readFile(image));
                  const { embedding, ...rest } = prediction;
                  return { image, ok: true, ...rest, ...(options.embedding ? { embedding } : {}) };
                } catch (error) {
                  const failure = toGrokcatError(error);
                  return { image, ok: false, error: { code: failure.code, message: failure.message } };
                }
              }),
            );
            if (results.some((r) => !r.ok)) setExitCode(1);
            const human = results
              .map((r) =>
                'category' in r && r.category && r.known === false
                  ? `${r.image}: not sure (the model does not know this kind of photo; closest guess ` +
                    `${r.category.label}, ${(r.category.confidence * 100).toFixed(1)}%)`
                  : 'category' in r && r.category
                    ? `${r.image}: ${r.category.label} (${(r.category.confidence * 100).toFixed(1)}%)` +
                      `  attributes: ${r.attributes?.map((a) => `${a.group}=${a.label}`).join(', ') || '-'}` +
                      `  queries: ${r.queries?.map((q) => q.query).join(', ') || '-'}`
                    : `${r.image}: refused: ${'error' in r ? r.error?.message : ''}`,
              )
              .join('\n');
            print({ ok: results.every((r) => r.ok), model_version: runtime.version, results }, human);
          } finally {
            await runtime.close();
          }
        },
      ),
    );
}
