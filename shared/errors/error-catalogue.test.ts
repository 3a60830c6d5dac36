import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERROR_CATALOGUE, GrokcatError, isRetriable, toGrokcatError } from './error-catalogue.ts';

describe('error catalogue', () => {
  test('codes are upper snake case and carry their retriable flag and status', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      assert.match(code, /^[A-Z][A-Z0-9_]+$/);
      const error = new GrokcatError(code as keyof typeof ERROR_CATALOGUE, 'x');
      assert.equal(error.retriable, entry.retriable);
      assert.equal(error.status, entry.status);
    }
  });

  test('serialises to a stable JSON shape', () => {
    const error = new GrokcatError('DB_UNREACHABLE', 'down', { details: { host: 'db' } });
    assert.deepEqual(JSON.parse(JSON.stringify(error)), {
      code: 'DB_UNREACHABLE',
      message: 'down',
      retriable: true,
      details: { host: 'db' },
    });
  });

  test('classifies network failures as retriable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    assert.equal(toGrokcatError(refused).code, 'DB_UNREACHABLE');
    assert.equal(isRetriable(refused), true);
    // Seen in the fault suite: the connection cut mid-transaction, then knex's ROLLBACK on it.
    const lost = new Error('ROLLBACK - Client has encountered a connection error and is not queryable');
    assert.equal(toGrokcatError(lost).code, 'DB_UNREACHABLE');
  });

  test('classifies Postgres SQLSTATEs: transient ones retriable, the rest not', () => {
    const state = (code: string) => Object.assign(new Error(code), { code });
    assert.equal(toGrokcatError(state('40001')).code, 'DB_TRANSIENT');
    assert.equal(toGrokcatError(state('40P01')).code, 'DB_TRANSIENT');
    assert.equal(toGrokcatError(state('57P01')).code, 'DB_TRANSIENT');
    assert.equal(toGrokcatError(state('08006')).code, 'DB_TRANSIENT');
    assert.equal(toGrokcatError(state('23505')).code, 'DB_QUERY_FAILED');
    assert.equal(isRetriable(state('23505')), false);
    assert.equal(isRetriable(state('42P01')), false);
  });

  test('anything else is a non-retriable INTERNAL error, and GrokcatErrors pass through', () => {
    assert.equal(toGrokcatError(new TypeError('x is undefined')).code, 'INTERNAL');
    assert.equal(toGrokcatError('a string').message, 'a string');
    const original = new GrokcatError('CONFIG_INVALID', 'bad');
    assert.equal(toGrokcatError(original), original);
  });
});
