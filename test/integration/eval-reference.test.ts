import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_DATASETS_DIR, datasetsAvailable } from '../../services/bench/datasets.ts';
import { runCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome } from '../support/temp-home.ts';

test('grokcat eval reference: the serving model on real photos, untrained, right or unknown', async (t) => {
  if (!datasetsAvailable()) {
    t.skip(`no labelled photo sets at ${DEFAULT_DATASETS_DIR} (../shared/datasets)`);
    return;
  }
  const { home, cleanup } = tempHome();
  try {
    const result = await runCli(
      ['eval', 'reference', '--datasets', DEFAULT_DATASETS_DIR, '--json'],
      cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' }),
    );
    assert.equal(result.code, 0, result.stderr);
    const r = result.json as Record<string, number | boolean | null | Record<string, number>>;
    // Test splits: fashion-small photos of the ten classes (the documented table), and every
    // grocery-store and ikea-catalog test photo.
    assert.deepEqual([r.fashion_small_rows, r.grocery_rows, r.ikea_rows], [601, 1107, 276]);
    assert.equal(r.open_set, true);
    for (const key of [
      'fashion_small_top1',
      'fashion_small_false_unknown',
      'fashion_small_majority_top1',
      'grocery_unknown_rate',
      'ikea_unknown_rate',
    ]) {
      const value = r[key] as number;
      assert.ok(value >= 0 && value <= 1, `${key} ${value}`);
    }
    // An unknown answer is never counted right: right-when-answering is at least the overall share.
    assert.ok((r.fashion_small_top1_answered as number) >= (r.fashion_small_top1 as number));
    const predicted = Object.values(r.fashion_small_predicted as Record<string, number>);
    assert.ok(Math.abs(predicted.reduce((a, b) => a + b, 0) - 1) < 0.01, 'answer shares add up');

    const missing = await runCli(
      ['eval', 'reference', '--datasets', home, '--json'],
      cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' }),
    );
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /has no fashion-small\/labels.csv/);

    // Its --model is its own, not eval's (which once took it and measured the serving model).
    const noModel = await runCli(
      ['eval', 'reference', '--datasets', DEFAULT_DATASETS_DIR, '--model', 'no-such-version', '--json'],
      cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' }),
    );
    assert.equal(noModel.code, 1, noModel.stderr);
    assert.match(noModel.stderr, /no-such-version has no model.onnx/);
  } finally {
    cleanup();
  }
});
