import { invalidAt } from '../brain-error.js';
import type { AttrEnv } from '../condition.js';
import { compileAttr, compileCondition } from '../condition.js';
import type { Feature } from './compiled-catalog.js';
import type { FeatureWindow } from './feature-window.js';
import { featureAggregates, windowHorizon } from './feature-window.js';
import { isRecord, requireId, requireList, requireNumber, requireString } from './field-checks.js';

/** What makes two features' buckets the same: their events, filter and field, as written. */
function sourceKey(raw: Record<string, unknown>): string {
  const events = Array.isArray(raw.events) ? [...(raw.events as unknown[])].map(String).sort() : [];
  return JSON.stringify([events, raw.where ?? null, raw.field ?? null]);
}

/**
 * Groups features with the same source into series (see `Feature.series`); the member with
 * the longest window (the first of them in the catalog on a tie) names the series, so a
 * customer's buckets written before the grouping, under that member's id, are the series'.
 */
export function featureSeries(features: Feature[], defs: readonly Record<string, unknown>[]): void {
  const groups = new Map<string, Feature[]>();
  features.forEach((f, i) => {
    const key = sourceKey(defs[i] ?? {});
    groups.set(key, [...(groups.get(key) ?? []), f]);
  });
  for (const members of groups.values()) {
    let lead = members[0] as Feature;
    for (const f of members) if (windowHorizon(f.window) > windowHorizon(lead.window)) lead = f;
    const ids = members.map((f) => f.id);
    for (const f of members) {
      f.series = lead.id;
      f.seriesMembers = ids;
      f.keepDays = windowHorizon(lead.window);
    }
  }
}
export function compileFeature(raw: unknown, path: string, known: ReadonlySet<string>): Feature {
  if (!isRecord(raw)) throw invalidAt(path, 'must be a feature definition');
  const id = requireId(raw.id, `${path}.id`);
  const events = requireList(raw.events, `${path}.events`).map((e, i) => requireString(e, `${path}.events[${i}]`));
  if (events.length === 0) throw invalidAt(`${path}.events`, 'must name at least one event type');
  const env: AttrEnv = { features: known, event: true };
  const aggregate = featureAggregates.find((a) => a === raw.aggregate);
  if (aggregate === undefined) throw invalidAt(`${path}.aggregate`, `must be one of ${featureAggregates.join(', ')}`);
  let window: FeatureWindow;
  if (raw.calendar !== undefined) {
    if (raw.windowDays !== undefined) throw invalidAt(`${path}.calendar`, 'give windowDays or calendar, not both');
    if (raw.calendar !== 'thisMonth' && raw.calendar !== 'lastMonth') throw invalidAt(`${path}.calendar`, 'must be "thisMonth" or "lastMonth"');
    window = { kind: raw.calendar };
  } else {
    window = { kind: 'days', days: requireNumber(raw.windowDays, `${path}.windowDays`, 1, 400) };
  }
  // The series is set once all features are compiled (featureSeries); alone until then.
  const feature: Feature = { id, events: new Set(events), aggregate, window, series: id, seriesMembers: [id], keepDays: windowHorizon(window) };
  if (raw.where !== undefined) feature.where = compileCondition(raw.where, `${path}.where`, env);
  if (aggregate === 'sum' || aggregate === 'min' || aggregate === 'max') {
    if (raw.field === undefined) throw invalidAt(`${path}.field`, `a ${aggregate} needs the event field to read`);
    feature.field = compileAttr(raw.field, `${path}.field`, env);
  } else if (raw.field !== undefined) {
    throw invalidAt(`${path}.field`, 'only sum, min and max take a field');
  }
  return feature;
}
