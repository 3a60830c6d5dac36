import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceNameOf } from './service-name.ts';

test('service name: OTEL_SERVICE_NAME wins, else grokcat or grokcat-<services>', () => {
  const argv = ['node', 'grokcat.js', 'start', '--services', 'enricher'];
  assert.equal(serviceNameOf({ OTEL_SERVICE_NAME: 'mine' }, argv), 'mine');
  assert.equal(serviceNameOf({}, argv), 'grokcat-enricher');
  assert.equal(
    serviceNameOf({}, ['node', 'grokcat.js', 'start', '--services=api,cataloger']),
    'grokcat-api+cataloger',
  );
  assert.equal(serviceNameOf({}, ['node', 'grokcat.js', 'start']), 'grokcat');
  assert.equal(serviceNameOf({}, ['node', 'grokcat.js', 'demo', '--listings', '5']), 'grokcat');
  assert.equal(serviceNameOf({}, ['node', 'grokcat.js', 'start', '--services', '$(x)']), 'grokcat');
});
