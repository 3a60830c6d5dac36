import { appendGemPooling } from '../model/grok/export-grok-model.ts';
import { createOnnxSession, type OnnxSession } from '../model/onnx-session.ts';
import { convertKerasTrunk } from '../model/trunk/keras-to-onnx.ts';
import { loadNsfwjsModel, type TrunkName } from '../model/trunk/nsfwjs-models.ts';

export interface FeatureExtractor {
  /** Names what produced the features, for the cache: trunk, cut, pooling. */
  readonly id: string;
  readonly dims: number;
  readonly inputSize: number;
  readonly macs: number;
  /** CHW inputs of `count` images, back to back, to count x dims shared features. */
  run(inputs: Float32Array, count: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Trunk + GeM + L2 normalisation as one ONNX graph: the shared feature every head reads. */
export async function createFeatureExtractor(
  trunk: TrunkName,
  cut: string,
  gemP: number,
): Promise<FeatureExtractor> {
  const converted = convertKerasTrunk(loadNsfwjsModel(trunk), cut);
  const shared = appendGemPooling(converted.graph, converted.output, gemP);
  const [dims] = converted.featureShape;
  converted.graph.output(shared, ['N', dims]);
  const session: OnnxSession = await createOnnxSession(converted.graph.toBytes(), {
    executionProviders: ['cpu'],
    intraOpThreads: 0,
    interOpThreads: 1,
  });
  const size = converted.inputSize;
  return {
    id: `${trunk}/${cut}/gem${gemP}`,
    dims,
    inputSize: size,
    macs: converted.macs,
    async run(inputs, count) {
      const out = await session.run({ image: { data: inputs, dims: [count, 3, size, size] } });
      return out[shared]?.data ?? new Float32Array();
    },
    release: () => session.release(),
  };
}
