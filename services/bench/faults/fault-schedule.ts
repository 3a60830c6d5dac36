import { setTimeout as sleep } from 'node:timers/promises';
import { KAFKA_API, KAFKA_ERROR, type KafkaMock } from '../../../shared/kafka-mock/mock-cluster-process.ts';
import type { ImageHost } from './image-host.ts';
import type { ServiceProcess } from './service-process.ts';
import type { TcpFaultProxy } from './tcp-fault-proxy.ts';

export type FaultKind =
  | 'broker_down'
  | 'produce_errors'
  | 'fetch_errors'
  | 'enricher_killed'
  | 'cataloger_killed'
  | 'database_dropped'
  | 'images_slow';

export interface FaultTargets {
  mock: KafkaMock;
  proxy: TcpFaultProxy;
  images: ImageHost;
  enricher: ServiceProcess;
  cataloger: ServiceProcess;
}

interface Fault {
  /** When: the share of good listings cataloged so far. */
  at: number;
  kind: FaultKind;
  inject(t: FaultTargets): Promise<void>;
}

const brokerOutage = (broker: number, ms: number) => async (t: FaultTargets) => {
  await t.mock.brokerDown(broker);
  await sleep(ms);
  await t.mock.brokerUp(broker);
};
const killAndRestart = (which: 'enricher' | 'cataloger') => async (t: FaultTargets) => {
  await t[which].kill();
  await t[which].restart();
};
const requestErrors = (api: number, n: number) => async (t: FaultTargets) => {
  const errors = Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? KAFKA_ERROR.notLeaderOrFollower : KAFKA_ERROR.requestTimedOut,
  );
  await t.mock.pushRequestErrors(api, errors);
};

/**
 * The faults a run goes through, spread over its progress so each lands while events are in flight:
 * every broker down and back, request errors on produce and fetch, the enricher and the cataloger
 * SIGKILLed twice each (and restarted, as a supervisor would), the database connections cut twice,
 * and a spell of image hosts slower than the fetch timeout.
 */
export const FAULTS: Fault[] = [
  { at: 0.05, kind: 'broker_down', inject: brokerOutage(1, 3000) },
  { at: 0.1, kind: 'produce_errors', inject: requestErrors(KAFKA_API.produce, 6) },
  { at: 0.15, kind: 'enricher_killed', inject: killAndRestart('enricher') },
  { at: 0.22, kind: 'database_dropped', inject: (t) => t.proxy.drop(3000) },
  { at: 0.3, kind: 'cataloger_killed', inject: killAndRestart('cataloger') },
  { at: 0.36, kind: 'broker_down', inject: brokerOutage(2, 3000) },
  { at: 0.42, kind: 'fetch_errors', inject: requestErrors(KAFKA_API.fetch, 6) },
  {
    at: 0.48,
    kind: 'images_slow',
    inject: async (t) => {
      t.images.slowDown(15_000, 4000);
      await sleep(15_000);
    },
  },
  { at: 0.55, kind: 'enricher_killed', inject: killAndRestart('enricher') },
  { at: 0.62, kind: 'database_dropped', inject: (t) => t.proxy.drop(5000) },
  { at: 0.68, kind: 'broker_down', inject: brokerOutage(3, 3000) },
  { at: 0.74, kind: 'cataloger_killed', inject: killAndRestart('cataloger') },
  { at: 0.8, kind: 'produce_errors', inject: requestErrors(KAFKA_API.produce, 6) },
  { at: 0.85, kind: 'fetch_errors', inject: requestErrors(KAFKA_API.fetch, 6) },
];

/**
 * Injects every fault once its moment comes (`progress()` in 0..1), one at a time; returns the count
 * of each. Faults whose moment never comes (the run ended early) are injected before it returns.
 */
export async function runFaultSchedule(
  targets: FaultTargets,
  progress: () => Promise<number>,
  onFault: (kind: FaultKind) => void,
): Promise<Record<FaultKind, number>> {
  const injected = {} as Record<FaultKind, number>;
  for (const fault of FAULTS) {
    while ((await progress()) < fault.at) await sleep(1000);
    onFault(fault.kind);
    await fault.inject(targets);
    injected[fault.kind] = (injected[fault.kind] ?? 0) + 1;
  }
  return injected;
}
