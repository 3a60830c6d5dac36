import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { decodeImage } from '../../shared/image/image-decoder.ts';
import { importTrunk, MAX_RELATIVE_ERROR } from '../../shared/model/trunk/import-trunk.ts';
import { datasetsDir, imagePath, readLabels } from '../support/datasets.ts';
import { tempHome, testLogger } from '../support/temp-home.ts';

const { home, cleanup } = tempHome();
after(cleanup);

/** A few real product photos as NHWC [0, 1], or none when ../shared/datasets is absent. */
async function realImages(size: number): Promise<{ nhwc: Float32Array; n: number }[]> {
  if (!datasetsDir()) return [];
  const picks = [
    ...readLabels('fashion-small')
      .slice(0, 2)
      .map((r) => imagePath('fashion-small', r.image)),
    ...readLabels('grocery-store')
      .slice(0, 2)
      .map((r) => imagePath('grocery-store', r.image)),
  ];
  const plane = size * size;
  const nhwc = new Float32Array(picks.length * plane * 3);
  for (const [b, file] of picks.entries()) {
    const { chw } = await decodeImage(readFileSync(file), {
      size,
      fit: 'contain',
      maxPixels: 50e6,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    });
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < 3; c++) nhwc[(b * plane + i) * 3 + c] = chw[c * plane + i] as number;
  }
  return [{ nhwc, n: picks.length }];
}

test('the MobileNetV2 trunk converted to ONNX matches Keras (tfjs) within 1e-3 relative error', async (t) => {
  const real = await realImages(224);
  if (real.length === 0) t.diagnostic('../shared/datasets is absent: checked on synthetic images only');
  const trunk = await importTrunk({ home, trunk: 'mobilenet_v2', log: testLogger(), realImages: real });
  t.diagnostic(
    `images ${trunk.check.images}, max abs error ${trunk.check.maxAbsError}, max relative error ${trunk.check.maxRelativeError}`,
  );
  assert.equal(trunk.cached, false);
  assert.ok(trunk.check.passed);
  assert.ok(trunk.check.maxRelativeError < MAX_RELATIVE_ERROR);
  assert.equal(trunk.check.images, 2 + (real[0]?.n ?? 0));
  assert.deepEqual(
    trunk.featureShape,
    [576, 14, 14],
    'the default cut is block_13_expand_relu (docs/model.md)',
  );
  assert.equal(trunk.inputSize, 224);
  assert.ok(existsSync(trunk.onnxPath));
  assert.ok(
    trunk.macs > 200e6 && trunk.macs < 240e6,
    `MobileNetV2 up to block 13 is about 221 M multiply-adds, got ${trunk.macs}`,
  );

  const again = await importTrunk({ home, trunk: 'mobilenet_v2', log: testLogger() });
  assert.equal(again.cached, true, 'a second import reuses the checked artifact');
  assert.equal(again.sha256, trunk.sha256);
});
