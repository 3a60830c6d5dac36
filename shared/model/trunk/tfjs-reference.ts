import * as tf from '@tensorflow/tfjs';
import type { KerasModel } from './nsfwjs-models.ts';

/**
 * The original Keras model run by TensorFlow.js (cpu backend), cut at the same layer: the reference
 * our converted ONNX trunk is checked against.
 */
export async function createTfjsReference(model: KerasModel, cutLayer: string) {
  // PROD silences tfjs's console banner about its native Node backend, which cannot install here.
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.modelTopology as unknown as tf.io.ModelJSON['modelTopology'],
      weightSpecs: model.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: model.weightData,
    }),
  );
  const cut = tf.model({ inputs: full.inputs, outputs: full.getLayer(cutLayer).output as tf.SymbolicTensor });
  return {
    /** NHWC input [n, size, size, 3] to NHWC features [n, h, w, c]. */
    async run(nhwc: Float32Array, n: number, size: number): Promise<Float32Array> {
      const input = tf.tensor4d(nhwc, [n, size, size, 3]);
      const output = cut.predict(input) as tf.Tensor;
      const data = (await output.data()) as Float32Array;
      input.dispose();
      output.dispose();
      return data;
    },
    dispose: () => full.dispose(),
  };
}
