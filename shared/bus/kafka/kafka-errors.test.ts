import assert from 'node:assert/strict';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { isPermanentKafkaError, publishError } from './kafka-errors.ts';

const { KafkaJSConnectionError, KafkaJSError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } =
  kafkajs;
// kafkajs builds a protocol error from its table entry for the broker's code (its types say Error).
const protocolError = (entry: { type: string; code: number; retriable: boolean; message: string }) =>
  new KafkaJSProtocolError(entry as unknown as Error);

// The shapes kafkajs throws, built with its own classes (protocol errors carry the broker's verdict).
const tooLarge = protocolError({
  type: 'MESSAGE_TOO_LARGE',
  code: 10,
  retriable: false,
  message: 'The request included a message larger than the max message size the server will accept',
});
const notLeader = protocolError({
  type: 'NOT_LEADER_FOR_PARTITION',
  code: 6,
  retriable: true,
  message: 'This server is not the leader for that topic-partition',
});

test('kafkajs permanent errors are permanent; transient ones and exhausted retries of them are not', () => {
  assert.equal(isPermanentKafkaError(tooLarge), true);
  assert.equal(isPermanentKafkaError(notLeader), false);
  assert.equal(isPermanentKafkaError(new KafkaJSConnectionError('Connection error: ECONNREFUSED')), false);
  const gaveUp = new KafkaJSNumberOfRetriesExceeded(notLeader, { retryCount: 10, retryTime: 5000 });
  assert.equal(gaveUp.retriable, false, 'kafkajs marks exhausted retries non-retriable');
  assert.equal(isPermanentKafkaError(gaveUp), false, 'but a broker that was down may come back');
  assert.equal(isPermanentKafkaError(new KafkaJSError('unknown')), false);
  assert.equal(isPermanentKafkaError(new Error('plain')), false);
});

test('publishError carries the verdict into the error catalogue', () => {
  const permanent = publishError(tooLarge);
  assert.equal(permanent.code, 'BUS_PUBLISH_REJECTED');
  assert.equal(permanent.retriable, false);
  assert.match(permanent.message, /MESSAGE_TOO_LARGE/);
  const transient = publishError(notLeader);
  assert.equal(transient.code, 'BUS_UNAVAILABLE');
  assert.equal(transient.retriable, true);
});
