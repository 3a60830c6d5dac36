import type { Command } from 'commander';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { DEFAULT_CUTS, importTrunk } from '../../../shared/model/trunk/import-trunk.ts';
import type { TrunkName } from '../../../shared/model/trunk/nsfwjs-models.ts';
import { runCommand } from '../command-runtime.ts';

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('import trunks and build grokcat models');
  model
    .command('import-trunk')
    .description('convert an ImageNet trunk shipped in nsfwjs to ONNX, check it against Keras, cache it')
    .option('--trunk <name>', 'mobilenet_v2 or inception_v3', 'mobilenet_v2')
    .option('--cut <layer>', 'Keras layer whose feature map the trunk ends at (default per trunk)')
    .option('--force', 'convert again even when a checked artifact is cached')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async ({ config, log, print }, options: { trunk: string; cut?: string; force?: boolean }) => {
          if (!(options.trunk in DEFAULT_CUTS)) {
            throw new GrokcatError(
              'USAGE_INVALID',
              `unknown trunk ${options.trunk}: mobilenet_v2 or inception_v3`,
            );
          }
          const trunk = await importTrunk({
            home: config.home,
            trunk: options.trunk as TrunkName,
            ...(options.cut ? { cut: options.cut } : {}),
            log,
            force: options.force === true,
          });
          print(
            { ok: true, ...trunk },
            `${trunk.trunk} cut at ${trunk.cut}: features ${trunk.featureShape.join('x')}, ${(trunk.macs / 1e6).toFixed(0)} M multiply-adds/image\n` +
              `checked on ${trunk.check.images} images: max relative error ${trunk.check.maxRelativeError.toExponential(2)}` +
              `${trunk.cached ? ' (cached)' : ''}\n${trunk.onnxPath}`,
          );
        },
      ),
    );
}
