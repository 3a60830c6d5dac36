import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');
const ortPackage = path.join(root, 'node_modules', 'onnxruntime-node');

/** The environment without any onnxruntime install setting, as on a fresh machine. */
function freshEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/onnxruntime_node_install/i.test(name)) env[name] = value;
  }
  // Any download attempt fails at once instead of waiting on DNS or a proxy.
  return { ...env, GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9' };
}

// npm runs a dependency's install script in the package folder, with the project's npm config as
// npm_config_* variables and npm_package_json naming the dependency. `npm exec` gives the same config
// variables; the script is then run where and as npm runs it during `npm ci`.
const asNpmInstallWould = `cd "${ortPackage}" && npm_package_json="${ortPackage}/package.json" node script/install.js`;

test('onnxruntime-node installs without downloading: the project config reaches its install script', () => {
  const run = spawnSync('npm', ['exec', '--offline', '-c', asNpmInstallWould], {
    cwd: root,
    env: freshEnv(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(
    run.status,
    0,
    `onnxruntime-node's install script tried to download (exit ${run.status}):\n${run.stderr}`,
  );
  assert.doesNotMatch(run.stdout + run.stderr, /Downloading|nuget/i);
});

test('without the project config the same install script would download (the check above can fail)', () => {
  // Run from outside the project: no .npmrc, so the script falls through to its CUDA download.
  const run = spawnSync('bash', ['-c', asNpmInstallWould], {
    cwd: ortPackage,
    env: { ...freshEnv(), npm_config_local_prefix: root },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.notEqual(run.status, 0, 'expected a download attempt that fails without network');
});
