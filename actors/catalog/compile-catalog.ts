import { invalidAt } from '../brain-error.js';
import type { AttrEnv } from '../condition.js';
import { compileAttr, compileCondition, referencedAttrs } from '../condition.js';
import { checkDefinitionBounds } from './definition-bounds.js';
import { checkCatalogDefinition } from './definition-check.js';
import type { Catalog, Feature, Reminder, Score, Segment } from './compiled-catalog.js';
import { stageFilters } from './compiled-catalog.js';
import { compileCampaign } from './compile-campaign.js';
import { compileFeature, featureSeries } from './compile-feature.js';
import { compileOffer } from './compile-offer.js';
import { compileModelSpec } from './compile-model-spec.js';
import { compilePolicy } from './compile-policy.js';
import { segmentClockOf } from '../segment-timer.js';
import { fnv1a } from '../hash.js';
import type { CatalogDef, FeatureDef, PartnerDef, PlaceDef } from './definition-schema.js';
import { isRecord, parseDuration, requireId, requireList, requireNumber, requireString, uniqueIds } from './field-checks.js';

/**
 * The catalog: features, segments, offers with their templates, campaigns and the contact
 * policy, as plain data (what a marketer writes), and its compiled form (what the actor
 * evaluates). `compileCatalog` checks everything and names the field of the first problem.
 */

/** Checks a catalog definition and compiles it; throws an invalid-definition BrainError naming the first problem. */
export function compileCatalog(def: CatalogDef): Catalog {
  if (!isRecord(def)) throw invalidAt('catalog', 'must be a catalog definition');
  checkDefinitionBounds(def);
  checkCatalogDefinition(def);
  const version = requireNumber(def.version, 'version', 0, Number.MAX_SAFE_INTEGER);
  const policy = compilePolicy(def.policy);

  const featureDefs = requireList(def.features, 'features') as FeatureDef[];
  const featureIds = new Set(featureDefs.map((f) => (isRecord(f) ? String(f.id) : '')));
  const features = featureDefs.map((f, i) => compileFeature(f, `features[${i}]`, featureIds));
  uniqueIds(features, 'features');
  featureSeries(features, featureDefs);

  const scoreList = (def.scores === undefined ? [] : requireList(def.scores, 'scores')).map((raw, i): Score => {
    const p = `scores[${i}]`;
    if (!isRecord(raw)) throw invalidAt(p, 'must be {id, terms}');
    const terms = requireList(raw.terms, `${p}.terms`).map((t, j) => {
      const tp = `${p}.terms[${j}]`;
      if (!isRecord(t)) throw invalidAt(tp, 'must be {feature, weight, cap?}');
      const feature = requireString(t.feature, `${tp}.feature`);
      if (!featureIds.has(feature)) throw invalidAt(`${tp}.feature`, `unknown feature "${feature}"`);
      return { feature, weight: requireNumber(t.weight, `${tp}.weight`, -1e6, 1e6), cap: t.cap === undefined ? Infinity : requireNumber(t.cap, `${tp}.cap`, 0, 1e12) };
    });
    if (terms.length === 0) throw invalidAt(`${p}.terms`, 'must hold at least one term');
    return { id: requireId(raw.id, `${p}.id`), terms };
  });
  uniqueIds(scoreList, 'scores');
  const scores = new Map(scoreList.map((s) => [s.id, s]));
  const scoreIds = new Set(scores.keys());

  /** The features a rule reads, directly or through a score. */
  const inputsOf = (rule: unknown): Set<string> => {
    const inputs = new Set<string>();
    for (const attr of referencedAttrs(rule)) {
      const [root, ...rest] = attr.split('.');
      const name = rest.join('.');
      if (root === 'feature') inputs.add(name);
      if (root === 'score') for (const t of scores.get(name)?.terms ?? []) inputs.add(t.feature);
    }
    return inputs;
  };

  const segmentDefs = requireList(def.segments, 'segments');
  const segments = segmentDefs.map((s, i): Segment => {
    const p = `segments[${i}]`;
    if (!isRecord(s)) throw invalidAt(p, 'must be {id, name, rule} or {id, name, members}');
    if (s.rule === undefined && s.members === undefined) throw invalidAt(p, 'needs a rule, members, or both');
    const members = s.members === undefined ? [] : requireList(s.members, `${p}.members`).map((m, j) => requireString(m, `${p}.members[${j}]`));
    const segment: Segment = {
      id: requireId(s.id, `${p}.id`),
      name: requireString(s.name, `${p}.name`),
      members: new Set(members),
      inputs: inputsOf(s.rule),
    };
    if (s.rule !== undefined) segment.rule = compileCondition(s.rule, `${p}.rule`, { features: featureIds, scores: scoreIds, event: false });
    return segment;
  });
  uniqueIds(segments, 'segments');
  const segmentIds = new Set(segments.map((s) => s.id));

  const partners = requireList(def.partners, 'partners').map((p, i) => {
    const pp = `partners[${i}]`;
    if (!isRecord(p)) throw invalidAt(pp, 'must be {id, kind, name, address, lat, lon}');
    const partner: PartnerDef = {
      id: requireId(p.id, `${pp}.id`),
      kind: requireString(p.kind, `${pp}.kind`),
      name: requireString(p.name, `${pp}.name`),
      address: requireString(p.address, `${pp}.address`),
      lat: requireNumber(p.lat, `${pp}.lat`, -90, 90),
      lon: requireNumber(p.lon, `${pp}.lon`, -180, 180),
    };
    if (p.note !== undefined) partner.note = requireString(p.note, `${pp}.note`);
    return partner;
  });
  uniqueIds(partners, 'partners');

  const places = requireList(def.places, 'places').map((p, i) => {
    const pp = `places[${i}]`;
    if (!isRecord(p)) throw invalidAt(pp, 'must be {id, kind, name, address, lat, lon}');
    if (p.kind !== 'branch' && p.kind !== 'atm' && p.kind !== 'kiosk') throw invalidAt(`${pp}.kind`, 'must be branch, atm or kiosk');
    return {
      id: requireString(p.id, `${pp}.id`),
      kind: p.kind,
      name: requireString(p.name, `${pp}.name`),
      address: requireString(p.address, `${pp}.address`),
      lat: requireNumber(p.lat, `${pp}.lat`, -90, 90),
      lon: requireNumber(p.lon, `${pp}.lon`, -180, 180),
    } satisfies PlaceDef;
  });
  uniqueIds(places, 'places');

  const offerList = requireList(def.offers, 'offers').map((o, i) => {
    const offer = compileOffer(o, `offers[${i}]`);
    const env: AttrEnv = { features: featureIds, scores: scoreIds, segments: segmentIds, event: true };
    for (const stage of stageFilters) {
      const rule = (o as Record<string, unknown>)[stage];
      if (rule !== undefined) offer.compiled[stage] = compileCondition(rule, `offers[${i}].${stage}`, env);
    }
    const model = (o as Record<string, unknown>).model;
    if (model !== undefined) offer.compiled.model = compileModelSpec(model, `offers[${i}].model`, featureIds);
    return offer;
  });
  uniqueIds(offerList, 'offers');
  const offerDefs = new Map(offerList.map((o) => [o.id, o]));

  const campaigns = requireList(def.campaigns, 'campaigns').map((c, i) =>
    compileCampaign(c, `campaigns[${i}]`, offerDefs, featureIds, scoreIds, segmentIds, partners, policy),
  );
  uniqueIds(campaigns, 'campaigns');

  const reminderEnv: AttrEnv = { features: featureIds, scores: scoreIds, segments: segmentIds, event: true };
  const reminders = (def.reminders === undefined ? [] : requireList(def.reminders, 'reminders')).map((raw, i): Reminder => {
    const p = `reminders[${i}]`;
    if (!isRecord(raw)) throw invalidAt(p, 'must be {id, on, event, at?, offset?}');
    const on = requireList(raw.on, `${p}.on`).map((e, j) => requireString(e, `${p}.on[${j}]`));
    if (on.length === 0) throw invalidAt(`${p}.on`, 'must name at least one event type');
    const r: Reminder = { id: requireId(raw.id, `${p}.id`), on: new Set(on), offsetMs: 0, event: requireString(raw.event, `${p}.event`) };
    if (raw.offset !== undefined) {
      const text = typeof raw.offset === 'string' ? raw.offset : '';
      const negative = text.startsWith('-');
      r.offsetMs = (negative ? -1 : 1) * parseDuration(negative ? text.slice(1) : text, `${p}.offset`);
    }
    if (raw.at !== undefined) r.at = compileAttr(raw.at, `${p}.at`, reminderEnv);
    return r;
  });
  uniqueIds(reminders, 'reminders');

  const featuresByEvent = new Map<string, Feature[]>();
  for (const f of features) {
    for (const e of f.events) featuresByEvent.set(e, [...(featuresByEvent.get(e) ?? []), f]);
  }
  const featureById = new Map(features.map((f) => [f.id, f]));
  return {
    version,
    features,
    featuresByEvent,
    featureById,
    scores,
    segments,
    segmentsFingerprint: fnv1a(JSON.stringify([def.segments, def.features, def.scores ?? [], def.policy.defaultTimezone ?? null])),
    segmentClock: segmentClockOf(
      segmentDefs.map((s) => (isRecord(s) ? s.rule : undefined)),
      featureById,
      scores,
    ),
    offers: new Map(offerList.map((o) => [o.id, o.compiled])),
    campaigns,
    places: new Map(places.map((p) => [p.id, p])),
    reminders,
    policy,
    def,
  };
}
