// onnxruntime-node's bundled WebGPU execution provider on the model: does it load, does it agree
// with the CPU provider, and how fast is it. Plain JavaScript (no tsx) so that a bare Node binary
// and the onnxruntime-node package are all it needs. Usage: node webgpu-bench.mjs model.onnx
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require(process.env.ORT_NODE ?? 'onnxruntime-node');
const model = process.argv[2];
const out = { ok: false, detail: '', batches: [] };
const input = (batch) => {
  const data = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001);
  return new ort.Tensor('float32', data, [batch, 3, 224, 224]);
};
try {
  const cpu = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const gpu = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] });
  const x = input(2);
  const [a, b] = [await cpu.run({ image: x }), await gpu.run({ image: x })];
  let diff = 0;
  for (let i = 0; i < a.embedding.data.length; i++)
    diff = Math.max(diff, Math.abs(a.embedding.data[i] - b.embedding.data[i]));
  for (const batch of [1, 8, 32, 128]) {
    const feeds = { image: input(batch) };
    await gpu.run(feeds);
    const runs = Math.max(3, Math.ceil(512 / batch));
    const started = performance.now();
    for (let i = 0; i < runs; i++) await gpu.run(feeds);
    out.batches.push({ batch, img_s: Math.round((runs * batch) / ((performance.now() - started) / 1000)) });
  }
  out.ok = true;
  out.detail = `embedding max |webgpu - cpu| = ${diff.toExponential(2)}`;
} catch (error) {
  out.detail = String(error?.message ?? error).slice(0, 600);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
