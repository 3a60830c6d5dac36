import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_DATASETS_DIR, datasetsAvailable } from '../../services/bench/datasets.ts';
import { runCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome } from '../support/temp-home.ts';

test('grokcat eval search: grocery in-store photos against the catalogue and the other listings; --model reaches it', async (t) => {
  if (!datasetsAvailable()) {
    t.skip(`no labelled photo sets at ${DEFAULT_DATASETS_DIR} (../shared/datasets)`);
    return;
  }
  const { home, cleanup } = tempHome();
  const env = cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' });
  try {
    const result = await runCli(['eval', 'search', '--datasets', DEFAULT_DATASETS_DIR, '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    const r = result.json as Record<string, Record<string, number>>;
    // The test split: 1,080 in-store photos of 27 products, each with one catalogue image.
    assert.deepEqual([r.catalogue?.queries, r.catalogue?.catalogue], [1080, 27]);
    assert.deepEqual([r.listings?.queries, r.listings?.catalogue], [1080, 1080]);
    for (const scores of [r.catalogue, r.listings] as Record<string, number>[]) {
      for (const key of [
        'precision_at_k_product',
        'recall_at_1_product',
        'precision_at_k_category',
        'chance_product',
      ])
        assert.ok((scores[key] as number) >= 0 && (scores[key] as number) <= 1, `${key} ${scores[key]}`);
      assert.ok((scores.recall_at_k_product as number) >= (scores.recall_at_1_product as number));
    }
    // One catalogue image per product: at most one of five places is the product.
    assert.ok((r.catalogue?.precision_at_k_product as number) <= 0.2 + 1e-9);

    // The subcommand's --model is its own (eval has one too): a missing model fails, naming it.
    const missing = await runCli(
      ['eval', 'search', '--datasets', DEFAULT_DATASETS_DIR, '--model', 'no-such-version', '--json'],
      env,
    );
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /no-such-version has no model.onnx/);
  } finally {
    cleanup();
  }
});
