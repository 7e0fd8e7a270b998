import type { CatalogService } from '../catalog/catalog-service.js';
import { KairosError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { ModelRegistry, ModelSummary } from '../runtime/model-registry.js';
import type { FunnelDimension, FunnelLedger } from '../runtime/funnel-ledger.js';
import { FUNNEL_DIMENSIONS, FUNNEL_STAGES, funnelCsv } from '../runtime/funnel-ledger.js';
import type { UpliftLedger, UpliftReport } from '../runtime/uplift-ledger.js';
import type { Store } from '../store/store.js';
import type { Route } from '../transport/http.js';
import { json } from '../transport/http.js';

/**
 * What the decisions have learnt: each offer's adaptive model (evidence, positives,
 * negatives, running AUC, lift over the random arm), and each campaign's uplift over its
 * control group. The same figures are exported as metrics.
 */
export interface LearningRouteDeps {
  catalogs: CatalogService;
  models: ModelRegistry;
  uplift: UpliftLedger;
  funnel?: FunnelLedger;
  store: Store;
}

/** `by=channel,offer`: the dimensions to break the funnel down by (the campaign always). */
function funnelDimensions(raw: string | null): FunnelDimension[] {
  if (raw === null || raw.trim() === '') return [...FUNNEL_DIMENSIONS];
  const by = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const d of by) {
    if (!(FUNNEL_DIMENSIONS as readonly string[]).includes(d)) {
      throw new KairosError('invalid', `query "by": "${d}" is not one of ${FUNNEL_DIMENSIONS.join(', ')}`);
    }
  }
  return by as FunnelDimension[];
}

/** Every offer of the catalog, and any offer a model still remembers. */
function modelSummaries(d: LearningRouteDeps): ModelSummary[] {
  const catalog = d.catalogs.catalog;
  const offers = new Set([...catalog.offers.keys(), ...d.models.offers()]);
  return [...offers].sort().map((o) => d.models.summary(o, catalog.policy.learning.modelEvidence));
}

function upliftReports(d: LearningRouteDeps): UpliftReport[] {
  const catalog = d.catalogs.catalog;
  return catalog.campaigns.map((c) => d.uplift.report(c.id, catalog));
}

/** Keeps the learning gauges current: called by the metrics registry at each scrape. */
export function learningMetrics(d: LearningRouteDeps, metrics: Metrics): void {
  metrics.learning.refresh = () => {
    metrics.modelExamples.reset();
    metrics.modelOutcomes.reset();
    metrics.modelAuc.reset();
    metrics.modelLift.reset();
    for (const s of modelSummaries(d)) {
      metrics.modelExamples.set({ offer: s.offer }, s.examples);
      for (const arm of ['model', 'random'] as const) {
        metrics.modelOutcomes.set({ offer: s.offer, arm, label: 'positive' }, s.arms[arm].positives);
        metrics.modelOutcomes.set({ offer: s.offer, arm, label: 'negative' }, s.arms[arm].negatives);
      }
      if (s.auc !== null) metrics.modelAuc.set({ offer: s.offer }, s.auc);
      if (s.lift !== null) metrics.modelLift.set({ offer: s.offer }, s.lift);
    }
    metrics.campaignFunnel.reset();
    for (const r of d.funnel?.report({ by: [] }) ?? []) {
      for (const stage of FUNNEL_STAGES) metrics.campaignFunnel.set({ campaign: r.campaign, stage }, r[stage]);
    }
    metrics.campaignContacts.reset();
    metrics.campaignConversions.reset();
    for (const r of upliftReports(d)) {
      metrics.campaignContacts.set({ campaign: r.campaign, group: 'treated' }, r.treated.contacts);
      metrics.campaignContacts.set({ campaign: r.campaign, group: 'control' }, r.control.contacts);
      metrics.campaignConversions.set({ campaign: r.campaign, group: 'treated' }, r.treated.conversions);
      metrics.campaignConversions.set({ campaign: r.campaign, group: 'control' }, r.control.conversions);
    }
  };
}

export function learningRoutes(d: LearningRouteDeps): Route[] {
  const offerKnown = (offer: string): boolean => d.catalogs.catalog.offers.has(offer) || d.models.offers().includes(offer);
  return [
    {
      method: 'get',
      pattern: /^\/v1\/models$/,
      auth: 'admin',
      handle: () => {
        const l = d.catalogs.catalog.policy.learning;
        return json(200, {
          learning: { models: l.models, modelEvidence: l.modelEvidence, exploration: l.exploration, randomPercent: l.randomShare * 100, bits: l.bits },
          models: modelSummaries(d),
        });
      },
    },
    {
      method: 'get',
      pattern: /^\/v1\/models\/([^/]+)$/,
      auth: 'admin',
      handle: (_call, [offer = '']) => {
        if (!offerKnown(offer)) throw new KairosError('not_found', `no offer "${offer}"`);
        return json(200, d.models.summary(offer, d.catalogs.catalog.policy.learning.modelEvidence));
      },
    },
    {
      method: 'delete',
      pattern: /^\/v1\/models\/([^/]+)$/,
      auth: 'admin',
      handle: async (_call, [offer = '']) => {
        if (!offerKnown(offer)) throw new KairosError('not_found', `no offer "${offer}"`);
        await d.models.reset(offer, d.store);
        return json(200, d.models.summary(offer, d.catalogs.catalog.policy.learning.modelEvidence));
      },
    },
    {
      method: 'get',
      pattern: /^\/v1\/campaigns\/([^/]+)\/uplift$/,
      auth: 'admin',
      handle: (_call, [id = '']) => {
        if (!d.catalogs.catalog.campaigns.some((c) => c.id === id)) throw new KairosError('not_found', `no campaign "${id}"`);
        return json(200, d.uplift.report(id, d.catalogs.catalog));
      },
    },
    {
      method: 'get',
      pattern: /^\/v1\/reports\/uplift$/,
      auth: 'admin',
      handle: () => json(200, { campaigns: upliftReports(d) }),
    },
    {
      method: 'get',
      pattern: /^\/v1\/reports\/funnel$/,
      auth: 'admin',
      handle: (call) => {
        const funnel = d.funnel;
        if (funnel === undefined) throw new KairosError('not_found', 'this server keeps no funnel');
        const campaign = call.query.get('campaign') ?? undefined;
        if (campaign !== undefined && !d.catalogs.catalog.campaigns.some((c) => c.id === campaign) && !funnel.report().some((r) => r.campaign === campaign)) {
          throw new KairosError('not_found', `no campaign "${campaign}"`);
        }
        const by = funnelDimensions(call.query.get('by'));
        const format = call.query.get('format') ?? (call.accept.includes('text/csv') ? 'csv' : 'json');
        if (format !== 'csv' && format !== 'json') throw new KairosError('invalid', `query "format": "${format}" is not csv or json`);
        const rows = funnel.report({ ...(campaign === undefined ? {} : { campaign }), by });
        if (format === 'json') return json(200, { by: ['campaign', ...by.filter((x) => x !== 'campaign')], rows });
        const name = `kairos-funnel${campaign === undefined ? '' : `-${campaign}`}.csv`;
        return { status: 200, contentType: 'text/csv; charset=utf-8', body: funnelCsv(rows), headers: { 'Content-Disposition': `attachment; filename="${name}"` } };
      },
    },
  ];
}
