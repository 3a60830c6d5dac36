import type { SoakSample } from '../soak-chart.ts';

export type BacklogVerdict =
  | { kind: 'flat'; peak: number }
  | { kind: 'growing'; from: number; to: number }
  | {
      kind: 'episode';
      fromS: number;
      toS: number;
      peak: number;
      peakP50Ms: number;
      end: number;
      drained: boolean;
      /** Still at (over 80 % of) its peak when the run ended: it began too late to tell its course. */
      atPeakAtEnd: boolean;
    };

const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / Math.max(1, xs.length);

/**
 * What the listings in flight did under a steady load: stayed flat, kept growing (high since before
 * the last quarter and still near its peak at the end: the load was more than the pipeline
 * sustained), or rose for a while (an episode, not a rate). "High" is over three times the first samples' backlog plus ten.
 */
export function backlogVerdict(samples: SoakSample[]): BacklogVerdict {
  const inFlight = samples.map((s) => s.in_flight);
  const first = mean(inFlight.slice(0, 3));
  const end = mean(inFlight.slice(-3));
  const high = 3 * first + 10;
  const peak = Math.max(0, ...inFlight);
  const over = samples.filter((s) => s.in_flight > high);
  if (over.length === 0) return { kind: 'flat', peak };
  // Growing: high at the end and since before the last quarter of the run; a rise within the last
  // quarter is an episode that the run's end cut short.
  const lastS = samples.at(-1)?.t_s ?? 0;
  const atPeakAtEnd = end > high && end >= 0.8 * peak;
  if (atPeakAtEnd && (over[0]?.t_s ?? 0) < 0.75 * lastS) return { kind: 'growing', from: first, to: end };
  return {
    kind: 'episode',
    fromS: over[0]?.t_s ?? 0,
    toS: over.at(-1)?.t_s ?? 0,
    peak,
    peakP50Ms: Math.max(...over.map((s) => s.p50_ms)),
    end,
    drained: end <= high,
    atPeakAtEnd,
  };
}

/** The verdict as a sentence of the benchmark report, of the run named `label` ("kafka bus"). */
export function backlogSentence(label: string, samples: SoakSample[]): string {
  const v = backlogVerdict(samples);
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  switch (v.kind) {
    case 'flat':
      return `On the ${label} the steady load was sustained: listings in flight stayed flat (at most ${v.peak}).`;
    case 'growing':
      return (
        `On the ${label} the steady load was not sustained: listings in flight grew from about ${n(v.from)} to ${n(v.to)} ` +
        'over the run, so latency kept rising (the chart below): half of the flood capacity was more than this run could keep up with.'
      );
    case 'episode':
      return (
        `On the ${label} the steady load was not kept up with throughout: from ${v.fromS} s to ${v.toS} s listings in ` +
        `flight were above their start, peaking at ${n(v.peak)} (p50 latency up to ${n(v.peakP50Ms)} ms), ` +
        (v.drained
          ? `then the backlog drained (about ${n(v.end)} in flight at the end)`
          : v.atPeakAtEnd
            ? `and the backlog was still near its peak when the run ended (about ${n(v.end)} in flight)`
            : `and the backlog was draining at the end (about ${n(v.end)} in flight)`) +
        '; the percentiles above include that episode (the chart below).'
      );
  }
}
