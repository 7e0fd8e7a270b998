import type { CatalogService } from '../catalog/catalog-service.js';
import { KairosError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { ModelRegistry, ModelSummary } from '../runtime/model-registry.js';
import { figureEvidenceOf } from '../runtime/model-registry.js';
import type { BudgetLedger } from '../runtime/budget-ledger.js';
import type { FunnelDimension, FunnelLedger, FunnelRow } from '../runtime/funnel-ledger.js';
import { FUNNEL_DIMENSIONS, FUNNEL_STAGES, funnelCsv, parseIsoDay } from '../runtime/funnel-ledger.js';
import type { UpliftLedger, UpliftReport } from '../runtime/uplift-ledger.js';
import { upliftCountsOf, upliftReport } from '../runtime/uplift-ledger.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../clock.js';
import { auditDraft } from '../audit/audit.js';
import { Type } from '@sinclair/typebox';
import { capacityDay } from '../../actors/index.js';
import { route } from '../schema/http/bind-route.js';
import { PathId } from '../schema/http/common-schemas.js';
import { FunnelCsv, FunnelQuery, FunnelReply, ModelHistoryReply, ModelSchema, ModelsReply, UpliftSchema, DayRangeQuery, UpliftsReply } from '../schema/http/learning-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { Route } from '../transport/http.js';

/**
 * What the decisions have learnt: each offer's adaptive model (evidence, positives,
 * negatives, running and last 30 days' AUC, lift over the random arm per offer and campaign;
 * the figures only with the evidence behind them), and each campaign's uplift over its
 * control group. The same figures are exported as metrics.
 */
export interface LearningRouteDeps {
  catalogs: CatalogService;
  models: ModelRegistry;
  uplift: UpliftLedger;
  funnel?: FunnelLedger;
  /** campaign budgets spent, shown with the funnel's campaigns */
  budget?: BudgetLedger;
  store: Store;
  clock: Clock;
  /** what a model's reset does first (a node with shards: its model no longer written by the interval's save) */
  beforeReset?: (offer: string) => void;
  /** what else a model's reset does once the registry's is done (a node with shards: every shard's model and statistics) */
  afterReset?: (offer: string) => Promise<void>;
}

/**
 * `by=channel,offer`: the dimensions to break the funnel down by (the campaign always);
 * `segment` is counted apart and goes with the campaign alone: 'segment'.
 */
function funnelDimensions(raw: string | undefined): FunnelDimension[] | 'segment' {
  if (raw === undefined || raw.trim() === '') return [...FUNNEL_DIMENSIONS];
  const by = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const d of by) {
    if (!(FUNNEL_DIMENSIONS as readonly string[]).includes(d) && d !== 'segment') {
      throw new KairosError('invalid', `query "by": "${d}" is not one of ${FUNNEL_DIMENSIONS.join(', ')}, segment`);
    }
  }
  if (!by.includes('segment')) return by as FunnelDimension[];
  const other = by.find((d) => d !== 'segment' && d !== 'campaign');
  if (other !== undefined) throw new KairosError('invalid', `query "by": segment goes with the campaign alone, not with ${other}`);
  return 'segment';
}

/** `from`/`to`: a day, YYYY-MM-DD (undefined when absent). */
function reportDay(name: 'from' | 'to', raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (parseIsoDay(raw) === undefined) throw new KairosError('invalid', `query "${name}": "${raw}" is not a day (YYYY-MM-DD)`);
  return raw;
}

/** `from` and `to` of a report: days, and not `from` after `to`. */
function dayRange(query: { from?: string; to?: string }): { from?: string; to?: string } {
  const from = reportDay('from', query.from);
  const to = reportDay('to', query.to);
  if (from !== undefined && to !== undefined && from > to) throw new KairosError('invalid', `query "from": ${from} is after "to": ${to}`);
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** The budget of every campaign of the rows that has one in the catalog: spent (since the store began) against its limits. */
function budgetsOf(d: LearningRouteDeps, rows: readonly FunnelRow[]) {
  const ids = new Set(rows.map((r) => r.campaign));
  return d.catalogs.catalog.campaigns.flatMap((c) => {
    if (c.budget === undefined || !ids.has(c.id)) return [];
    const spent = d.budget?.spentOf(c.id) ?? { contacts: 0, cost: 0 };
    return [{ campaign: c.id, contacts: spent.contacts, cost: spent.cost, maxContacts: c.budget.maxContacts ?? null, maxCost: c.budget.maxCost ?? null }];
  });
}

/** Every offer of the catalog, and any offer a model still remembers. */
function modelSummaries(d: LearningRouteDeps): ModelSummary[] {
  const catalog = d.catalogs.catalog;
  const offers = new Set([...catalog.offers.keys(), ...d.models.offers()]);
  return [...offers].sort().map((o) => modelSummary(d, o));
}

/** One offer's model as shown: its within-period AUC ends today (the funnel's local day, by the server clock). */
function modelSummary(d: LearningRouteDeps, offer: string): ModelSummary {
  const policy = d.catalogs.catalog.policy;
  return d.models.summary(offer, policy.learning.modelEvidence, capacityDay(policy, d.clock.now()), figureEvidenceOf(policy.learning));
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
    metrics.modelRecentAuc.reset();
    metrics.modelCampaignLift.reset();
    for (const s of modelSummaries(d)) {
      metrics.modelExamples.set({ offer: s.offer }, s.examples);
      for (const arm of ['model', 'random'] as const) {
        metrics.modelOutcomes.set({ offer: s.offer, arm, label: 'positive' }, s.arms[arm].positives);
        metrics.modelOutcomes.set({ offer: s.offer, arm, label: 'negative' }, s.arms[arm].negatives);
      }
      // AUC and lift only with the evidence behind them (as GET /v1/models shows them)
      if (s.auc !== null) metrics.modelAuc.set({ offer: s.offer }, s.auc);
      if (s.last30Days.auc !== null) metrics.modelRecentAuc.set({ offer: s.offer }, s.last30Days.auc);
      if (s.lift !== null) metrics.modelLift.set({ offer: s.offer }, s.lift);
      for (const c of s.campaigns) {
        if (c.lift === null || c.ci95 === null) continue;
        metrics.modelCampaignLift.set({ offer: s.offer, campaign: c.campaign, bound: 'estimate' }, c.lift);
        metrics.modelCampaignLift.set({ offer: s.offer, campaign: c.campaign, bound: 'low' }, c.ci95[0]);
        metrics.modelCampaignLift.set({ offer: s.offer, campaign: c.campaign, bound: 'high' }, c.ci95[1]);
      }
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

const offerParam = Type.Object({ offer: PathId('the offer id') });

export const modelsOperation = operation({
  operationId: 'listModels',
  method: 'get',
  path: '/v1/models',
  summary:
    "The learning settings and every offer's adaptive model: examples, positives, negatives, the running and the last 30 days' AUC, lift over the random arm per offer and per campaign with 95 % intervals (AUC and lift only with the evidence behind them, else null and why), weight in the blend",
  tag: 'learning',
  auth: 'admin',
  roles: ['marketer', 'analyst'],
  responses: { 200: { description: 'the settings and the models', schema: ModelsReply } },
  errors: [],
});

export const modelOperation = operation({
  operationId: 'getModel',
  method: 'get',
  path: '/v1/models/:offer',
  summary: "One offer's adaptive model",
  tag: 'learning',
  auth: 'admin',
  roles: ['marketer', 'analyst'],
  params: offerParam,
  responses: { 200: { description: 'the model', schema: ModelSchema } },
  errors: ['not_found'],
});

export const modelHistoryOperation = operation({
  operationId: 'getModelHistory',
  method: 'get',
  path: '/v1/models/:offer/history',
  summary: "One offer model's quality per day: answers learnt, positives, the day's and the running AUC, the model and random arms' response rates",
  tag: 'learning',
  auth: 'admin',
  roles: ['marketer', 'analyst'],
  params: offerParam,
  query: DayRangeQuery,
  responses: { 200: { description: 'the days', schema: ModelHistoryReply } },
  errors: ['invalid', 'not_found'],
});

export const resetModelOperation = operation({
  operationId: 'resetModel',
  method: 'delete',
  path: '/v1/models/:offer',
  summary: "Forget an offer's adaptive model (after the offer changed in substance); decisions fall back on the target groups' probabilities",
  tag: 'learning',
  auth: 'admin',
  roles: ['marketer'],
  params: offerParam,
  responses: { 200: { description: 'the emptied model', schema: ModelSchema } },
  errors: ['not_found'],
});

export const upliftOperation = operation({
  operationId: 'getCampaignUplift',
  method: 'get',
  path: '/v1/campaigns/:id/uplift',
  summary: "The campaign's uplift: goal conversion of contacts made against contacts withheld from its control group, with 95 % intervals",
  tag: 'learning',
  auth: 'admin',
  roles: ['marketer', 'analyst'],
  params: Type.Object({ id: PathId('the campaign id') }),
  responses: { 200: { description: 'the uplift report', schema: UpliftSchema } },
  errors: ['not_found'],
});

export const upliftsOperation = operation({
  operationId: 'listUplifts',
  method: 'get',
  path: '/v1/reports/uplift',
  summary: "Every campaign's uplift report, since the store began or over a date range (from, to: the funnel's days)",
  tag: 'learning',
  auth: 'admin',
  roles: ['marketer', 'analyst'],
  query: DayRangeQuery,
  responses: { 200: { description: 'the reports', schema: UpliftsReply } },
  errors: ['invalid'],
});

export const funnelOperation = operation({
  operationId: 'getFunnel',
  method: 'get',
  path: '/v1/reports/funnel',
  summary:
    'The campaign funnel (triggered, suppressed by reason, control, offered, delivered, failed, answered by outcome, converted; response, conversion and uplift rates; budgets spent) by campaign, channel, offer, target group and run, or by campaign and segment, over a date range or since the store began; JSON or CSV',
  tag: 'learning',
  auth: 'admin',
  roles: ['marketer', 'analyst'],
  query: FunnelQuery,
  responses: {
    200: {
      description: 'the rows (JSON) or a CSV file (format=csv or Accept: text/csv)',
      schema: FunnelReply,
      media: { 'text/csv': FunnelCsv },
      headers: { 'Content-Disposition': { description: 'attachment; filename="kairos-funnel….csv" (CSV only)', schema: Type.String() } },
    },
  },
  errors: ['invalid', 'not_found'],
});

export const learningOperations = [modelsOperation, modelOperation, modelHistoryOperation, resetModelOperation, upliftOperation, upliftsOperation, funnelOperation] as const;

export function learningRoutes(d: LearningRouteDeps): Route[] {
  const offerKnown = (offer: string): boolean => d.catalogs.catalog.offers.has(offer) || d.models.offers().includes(offer);
  return [
    route(modelsOperation, () => {
      const l = d.catalogs.catalog.policy.learning;
      return {
        status: 200,
        body: {
          learning: { models: l.models, modelEvidence: l.modelEvidence, exploration: l.exploration, randomPercent: l.randomShare * 100, bits: l.bits, halfLife: l.halfLife, belowFloor: l.belowFloor, figureAnswers: l.figureAnswers, figureOutcomes: l.figureOutcomes },
          models: modelSummaries(d),
        },
      };
    }),
    route(modelOperation, ({ params: { offer } }) => {
      if (!offerKnown(offer)) throw new KairosError('not_found', `no offer "${offer}"`);
      return { status: 200, body: modelSummary(d, offer) };
    }),
    route(modelHistoryOperation, ({ params: { offer }, query }) => {
      if (!offerKnown(offer)) throw new KairosError('not_found', `no offer "${offer}"`);
      const range = dayRange(query);
      return { status: 200, body: { offer, ...range, days: d.models.history(offer, range, figureEvidenceOf(d.catalogs.catalog.policy.learning)) } };
    }),
    route(resetModelOperation, async ({ params: { offer }, call }) => {
      if (!offerKnown(offer)) throw new KairosError('not_found', `no offer "${offer}"`);
      const before = modelSummary(d, offer);
      d.beforeReset?.(offer);
      await d.models.reset(offer, d.store, auditDraft(call, d.clock.now(), 'model.reset', `model:${offer}`, { examples: before.examples }, { examples: 0 }));
      await d.afterReset?.(offer);
      return { status: 200, body: modelSummary(d, offer) };
    }),
    route(upliftOperation, ({ params: { id } }) => {
      if (!d.catalogs.catalog.campaigns.some((c) => c.id === id)) throw new KairosError('not_found', `no campaign "${id}"`);
      return { status: 200, body: d.uplift.report(id, d.catalogs.catalog) };
    }),
    route(upliftsOperation, ({ query }) => {
      const { from, to } = dayRange(query);
      if (from === undefined && to === undefined) return { status: 200, body: { campaigns: upliftReports(d) } };
      // Over a range: the funnel's daily buckets (the same days as the funnel report).
      const range = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
      const rows = new Map((d.funnel?.report({ by: [], ...range }) ?? []).map((r) => [r.campaign, r]));
      const catalog = d.catalogs.catalog;
      return { status: 200, body: { ...range, campaigns: catalog.campaigns.map((c) => upliftReport(c.id, catalog, upliftCountsOf(rows.get(c.id)))) } };
    }),
    route(funnelOperation, ({ query, call }) => {
      const funnel = d.funnel;
      if (funnel === undefined) throw new KairosError('not_found', 'this server keeps no funnel');
      const campaign = query.campaign;
      if (campaign !== undefined && !d.catalogs.catalog.campaigns.some((c) => c.id === campaign) && !funnel.report().some((r) => r.campaign === campaign)) {
        throw new KairosError('not_found', `no campaign "${campaign}"`);
      }
      const by = funnelDimensions(query.by);
      const { from, to } = dayRange(query);
      const format = query.format ?? (call.accept.includes('text/csv') ? 'csv' : 'json');
      const range = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
      const only = campaign === undefined ? {} : { campaign };
      const rows = by === 'segment' ? funnel.segmentReport({ ...only, ...range }) : funnel.report({ ...only, by, ...range });
      if (format === 'json') {
        return { status: 200, body: { by: by === 'segment' ? ['campaign', 'segment'] : ['campaign', ...by.filter((x) => x !== 'campaign')], ...range, rows, budgets: budgetsOf(d, rows) } };
      }
      const name = `kairos-funnel${campaign === undefined ? '' : `-${campaign}`}${from === undefined ? '' : `-from-${from}`}${to === undefined ? '' : `-to-${to}`}.csv`;
      return { raw: { status: 200, contentType: 'text/csv; charset=utf-8', body: funnelCsv(rows), headers: { 'Content-Disposition': `attachment; filename="${name}"` } } };
    }),
  ];
}
