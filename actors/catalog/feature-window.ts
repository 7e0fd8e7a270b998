/** Which days a feature looks at: the last N days, this calendar month, or the one before. */
export type FeatureWindow = { kind: 'days'; days: number } | { kind: 'thisMonth' } | { kind: 'lastMonth' };

/** What a feature computes over its window (see `windowValue` in features.ts). */
export const featureAggregates = ['count', 'sum', 'min', 'max', 'days', 'daysSince'] as const;
export type FeatureAggregate = (typeof featureAggregates)[number];

/** How many days of buckets a window needs kept. */
export function windowHorizon(w: FeatureWindow): number {
  return w.kind === 'days' ? w.days : w.kind === 'thisMonth' ? 31 : 62;
}
