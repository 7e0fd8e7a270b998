import type { Channel, CustomerContext, GatewayEvent, Profile } from '../../actors/index.js';
import { evidenceKey, initialCustomerContext, isChannel, isInvalidDefinition, maskedActions, maskedPreviews, posteriorProbability, previewCampaign } from '../../actors/index.js';
import { parseCatalogText } from '../catalog/catalog-file.js';
import type { CatalogKind, CatalogService, ChangedBy } from '../catalog/catalog-service.js';
import { catalogKinds } from '../catalog/catalog-service.js';
import type { Clock } from '../clock.js';
import { MAX_MANUAL_CLOCK_MS } from '../clock.js';
import { KairosError } from '../errors.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import type { PropensityLedger } from '../runtime/propensity-ledger.js';
import type { SegmentLedger } from '../runtime/segment-ledger.js';
import { credentialLabel } from '../transport/auth.js';
import { FrameError, parseEvent } from '../transport/frames.js';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { route } from '../schema/http/bind-route.js';
import {
  CatalogDefSchema,
  HistoryReply,
  ItemsReply,
  PolicySchema,
  PreviewBodySchema,
  PreviewReply,
  PutItemReply,
  SegmentReply,
  StatusMoveReply,
  StatusMoveSchema,
  TemplateSchema,
  catalogItemSchemas,
  kindNoun,
} from '../schema/http/catalog-schemas.js';
import { ChannelParam, Limit, PathId, VersionReply } from '../schema/http/common-schemas.js';
import { EventFieldsSchema, ExplainReply } from '../schema/http/customer-schemas.js';
import { PropensityReply } from '../schema/http/learning-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { Route, HttpCall } from '../transport/http.js';

/**
 * The catalog admin API: list, read, create or replace, and delete features, segments,
 * offers (with their templates per channel), campaigns, partners and places; the contact
 * policy; campaign status moves; the whole catalog as YAML or JSON; its versions and audit
 * history; and a dry-run explanation of what a customer would be offered at a moment.
 */
export interface CatalogRouteDeps {
  catalogs: CatalogService;
  host: Pick<CustomerHost, 'explain' | 'preview' | 'view'>;
  clock: Clock;
  propensity: PropensityLedger;
  /** segment sizes (GET /v1/segments/{id}); 0 and no history without it */
  segments?: SegmentLedger;
  /** why the memberships are still being worked out (`SegmentSweep.pending`; a node with shards: any shard's), or undefined when settled */
  segmentsPending?: () => Promise<'import' | 'sweep' | undefined>;
  /** after a change of the campaigns, before it is answered: the open runs of a campaign deleted or no longer outbound are cancelled (`RunsApi.cancelOrphaned`) */
  afterCampaignsChange?: () => Promise<unknown>;
}

/** Who makes a change: with the call's principal, the change is written to the audit trail too. */
function who(call: HttpCall): ChangedBy {
  const label = call.principal?.name ?? credentialLabel(call.authorization) ?? 'unknown';
  return call.principal === undefined ? label : { label, who: call.principal };
}

/**
 * An offer's template for a channel: only a channel's own entry (`constructor`, `__proto__`
 * and the like are no channel, and an object's inherited members no template).
 */
function ownTemplate<T>(templates: Record<string, T> | undefined, channel: string): T | undefined {
  return templates !== undefined && isChannel(channel) && Object.hasOwn(templates, channel) ? templates[channel] : undefined;
}

/** The customer a preview is rendered for when none is named. */
function sampleCustomer(): CustomerContext {
  return initialCustomerContext({
    id: 'sample',
    stage: 'client',
    profile: { firstName: 'Ирина', patronymic: 'Петровна', lastName: 'Соколова', gender: 'f', age: 62, balance: 1_200_000 },
    identifiers: { phone: ['+79160000000'], email: ['irina.sokolova@bank.example'] },
    at: 0,
    reason: 'preview',
  });
}

/** An event described in an admin request's body, checked as a gateway's would be; problems are 400s naming the field. */
function eventFromBody(fields: Record<string, unknown>): GatewayEvent {
  try {
    return parseEvent(fields);
  } catch (err) {
    if (err instanceof FrameError) throw new KairosError('invalid', err.message, { cause: err });
    throw err;
  }
}

const campaignId = Type.Object({ id: PathId('the campaign id') });
const templatePath = Type.Object({ id: PathId('the offer id'), channel: ChannelParam });

export const getCatalogOperation = operation({
  operationId: 'getCatalog',
  method: 'get',
  path: '/v1/catalog',
  summary: 'The catalog in force, with its version',
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  responses: { 200: { description: 'the catalog', schema: CatalogDefSchema } },
  errors: [],
});

export const replaceCatalogOperation = operation({
  operationId: 'replaceCatalog',
  method: 'put',
  path: '/v1/catalog',
  summary: 'Replace the whole catalog (JSON, or a YAML file with Content-Type application/yaml); the whole catalog is checked and a problem names the field',
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  body: { schema: CatalogDefSchema, media: ['application/json', 'application/yaml'], checkedBy: 'service' },
  responses: { 200: { description: 'the new version', schema: VersionReply } },
  errors: ['invalid', 'conflict'],
});

export const historyOperation = operation({
  operationId: 'getCatalogHistory',
  method: 'get',
  path: '/v1/catalog/history',
  summary: 'Audit entries: who changed what, when, and the version it made',
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  query: Type.Object({ limit: Type.Optional(Limit(10_000)) }),
  responses: { 200: { description: 'the entries, oldest first', schema: HistoryReply } },
  errors: ['invalid'],
});

export const catalogVersionOperation = operation({
  operationId: 'getCatalogVersion',
  method: 'get',
  path: '/v1/catalog/versions/:n',
  summary: 'The catalog as it was at version n',
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: Type.Object({ n: Type.String({ pattern: '^[0-9]+$', description: 'the version number' }) }),
  responses: { 200: { description: 'the catalog', schema: CatalogDefSchema } },
  errors: ['not_found'],
});

export const getPolicyOperation = operation({
  operationId: 'getPolicy',
  method: 'get',
  path: '/v1/policy',
  summary: 'The contact policy',
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  responses: { 200: { description: 'the policy', schema: PolicySchema } },
  errors: [],
});

export const putPolicyOperation = operation({
  operationId: 'replacePolicy',
  method: 'put',
  path: '/v1/policy',
  summary: 'Replace the contact policy',
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  body: { schema: PolicySchema, media: ['application/json'], checkedBy: 'service' },
  responses: { 200: { description: 'the new version', schema: VersionReply } },
  errors: ['invalid', 'conflict'],
});

export const campaignStatusOperation = operation({
  operationId: 'moveCampaign',
  method: 'post',
  path: '/v1/campaigns/:id/status',
  summary: 'Move a campaign along its lifecycle: draft, scheduled, active, paused, completed',
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: campaignId,
  body: { schema: StatusMoveSchema, media: ['application/json'] },
  responses: { 200: { description: 'the move', schema: StatusMoveReply } },
  errors: ['invalid', 'not_found', 'conflict'],
});

export const getTemplateOperation = operation({
  operationId: 'getTemplate',
  method: 'get',
  path: '/v1/offers/:id/templates/:channel',
  summary: "One of an offer's templates",
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: templatePath,
  responses: { 200: { description: 'the template', schema: TemplateSchema } },
  errors: ['not_found'],
});

export const putTemplateOperation = operation({
  operationId: 'putTemplate',
  method: 'put',
  path: '/v1/offers/:id/templates/:channel',
  summary: "Create or replace one of an offer's templates (unknown variables are refused)",
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: templatePath,
  body: { schema: TemplateSchema, media: ['application/json'], checkedBy: 'service' },
  responses: { 200: { description: 'the new version', schema: PutItemReply } },
  errors: ['invalid', 'not_found', 'conflict'],
});

export const deleteTemplateOperation = operation({
  operationId: 'deleteTemplate',
  method: 'delete',
  path: '/v1/offers/:id/templates/:channel',
  summary: "Remove one of an offer's templates",
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: templatePath,
  responses: { 200: { description: 'the new version', schema: PutItemReply } },
  errors: ['not_found', 'conflict'],
});

const SegmentSizesReply = Type.Object(
  {
    sizes: Type.Array(
      Type.Object({ segment: Type.String({ description: 'the segment id' }), size: Type.Integer({ minimum: 0, description: 'how many customers are in it now' }) }),
      { description: "every segment of the catalog, in the catalog's order" },
    ),
    pending: Type.Optional(
      Type.Union([Type.Literal('sweep'), Type.Literal('import')], {
        description:
          "present while the memberships are still being worked out, so the sizes (and members) are not complete yet: `sweep`, the segment sweep has not yet finished a pass under the segment rules in force (a store never swept, the rules changed); `import`, an import's pass over the customers it created or changed is not done. An outbound run over segments waits meanwhile (`waitingFor: segments`)",
      }),
    ),
  },
  { $id: 'SegmentSizes' },
);

export const segmentSizesOperation = operation({
  operationId: 'listSegmentSizes',
  method: 'get',
  path: '/v1/segment-sizes',
  summary: "Every segment's size now, in one call (the console's segments list); one segment's daily history is in GET /v1/segments/{id}",
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  responses: { 200: { description: 'the sizes', schema: SegmentSizesReply } },
  errors: [],
});

export const propensityOperation = operation({
  operationId: 'getCampaignPropensity',
  method: 'get',
  path: '/v1/campaigns/:id/propensity',
  summary: "Each target group's response probability: the marketer's prior, the responses seen, and the learnt probability in force",
  tag: 'learning',
  auth: 'admin',
  roles: ['marketer', 'analyst'],
  params: campaignId,
  responses: { 200: { description: 'the groups', schema: PropensityReply } },
  errors: ['not_found'],
});

export const previewOperation = operation({
  operationId: 'previewCampaign',
  method: 'post',
  path: '/v1/campaigns/:id/preview',
  summary: "A campaign's message on each of its channels, rendered for a customer (or a sample one) and an event, with the SMS encoding and parts",
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: campaignId,
  body: { schema: PreviewBodySchema, media: ['application/json'] },
  responses: { 200: { description: 'the previews', schema: PreviewReply } },
  errors: ['invalid', 'not_found', 'unknown_customer'],
});

export const explainOperation = operation({
  operationId: 'explainDecision',
  method: 'post',
  path: '/v1/customers/:id/explain',
  summary: 'What the customer would be offered for this event at this moment, and why or why not for each triggered campaign; nothing is recorded',
  tag: 'customers',
  auth: 'admin',
  roles: ['marketer'],
  params: Type.Object({ id: PathId('the customer id') }),
  body: { schema: EventFieldsSchema, media: ['application/json'] },
  responses: { 200: { description: 'the actions and the explanations', schema: ExplainReply } },
  errors: ['invalid', 'unknown_customer'],
});

/** The four operations on the items of one kind: list, get, create or replace, remove. */
function kindOperations(kind: CatalogKind) {
  const noun = kindNoun(kind);
  const itemParams = Type.Object({ id: PathId(`the ${noun.toLowerCase()} id`) });
  return {
    list: operation({
      operationId: `list${noun}s`,
      method: 'get',
      path: `/v1/${kind}`,
      summary: `List the ${kind}`,
      tag: 'catalog',
      auth: 'admin',
      roles: ['marketer'],
      responses: { 200: { description: `the ${kind} and the catalog version`, schema: ItemsReply(kind) } },
      errors: [],
    }),
    get: operation({
      operationId: `get${noun}`,
      method: 'get',
      path: `/v1/${kind}/:id`,
      summary: kind === 'segments' ? 'One of the segments, with its size now and at the end of each of the last 30 days' : `One of the ${kind}`,
      tag: 'catalog',
      auth: 'admin',
      roles: ['marketer'],
      params: itemParams,
      responses: { 200: { description: 'the item', schema: kind === 'segments' ? SegmentReply : catalogItemSchemas[kind] } },
      errors: ['not_found'],
    }),
    put: operation({
      operationId: `put${noun}`,
      method: 'put',
      path: `/v1/${kind}/:id`,
      summary: `Create (201) or replace (200) one of the ${kind}; the whole catalog is checked and a problem names the field`,
      tag: 'catalog',
      auth: 'admin',
      roles: ['marketer'],
      params: itemParams,
      body: { schema: catalogItemSchemas[kind], media: ['application/json'], checkedBy: 'service' },
      responses: { 200: { description: 'replaced', schema: PutItemReply }, 201: { description: 'created', schema: PutItemReply } },
      errors: ['invalid', 'conflict'],
    }),
    remove: operation({
      operationId: `delete${noun}`,
      method: 'delete',
      path: `/v1/${kind}/:id`,
      summary: `Remove one of the ${kind} (409 while another item uses it)`,
      tag: 'catalog',
      auth: 'admin',
      roles: ['marketer'],
      params: itemParams,
      responses: { 200: { description: 'the new version', schema: VersionReply } },
      errors: ['not_found', 'conflict'],
    }),
  };
}

const kindOps = Object.fromEntries(catalogKinds.map((k) => [k, kindOperations(k)])) as Record<CatalogKind, ReturnType<typeof kindOperations>>;

export const catalogOperations = [
  getCatalogOperation,
  replaceCatalogOperation,
  historyOperation,
  catalogVersionOperation,
  getPolicyOperation,
  putPolicyOperation,
  campaignStatusOperation,
  getTemplateOperation,
  putTemplateOperation,
  deleteTemplateOperation,
  propensityOperation,
  previewOperation,
  explainOperation,
  segmentSizesOperation,
  ...catalogKinds.flatMap((k) => [kindOps[k].list, kindOps[k].get, kindOps[k].put, kindOps[k].remove]),
] as const;

/** A YAML catalog file as a value; its problems are 400s naming the line. */
function parseYaml(text: string): unknown {
  try {
    return parseCatalogText(text, 'body');
  } catch (err) {
    if (isInvalidDefinition(err)) throw new KairosError('invalid', err.message, { cause: err });
    throw err;
  }
}

export function catalogRoutes(d: CatalogRouteDeps): Route[] {
  const c = d.catalogs;
  /**
   * The profile a text rendered for the customer `id` is rendered again from, masked
   * (actors/decision/masked-render.ts): undefined (the text as it is) for a role that reads
   * personal data (privacy, admin).
   */
  const maskedProfile = async (call: HttpCall, id: string): Promise<Profile | undefined> => {
    const role = call.principal?.role;
    if (role === 'privacy' || role === 'admin') return undefined;
    const view = await d.host.view(id);
    // (gone since it was rendered: nothing of it is known to render, so nothing of it is shown)
    if (view === undefined) throw new KairosError('unknown_customer', `no customer "${id}"`);
    return view.profile;
  };
  const kindRoutes = catalogKinds.flatMap((kind) => {
    const ops = kindOps[kind];
    return [
      route(ops.list, () => ({ status: 200, body: { version: c.version, items: c.list(kind) } })),
      route(ops.get, ({ params: { id } }) => {
        const item = c.get(kind, id);
        if (kind !== 'segments') return { status: 200, body: item };
        return { status: 200, body: { ...(item as object), size: d.segments?.size(id) ?? 0, sizeHistory: d.segments?.history(id, 30) ?? [] } };
      }),
      route(ops.put, async ({ params: { id }, body, call }) => {
        const r = await c.put(kind, id, body, who(call));
        if (kind === 'campaigns') await d.afterCampaignsChange?.();
        return { status: r.created ? 201 : 200, body: r };
      }),
      route(ops.remove, async ({ params: { id }, call }) => {
        const r = await c.remove(kind, id, who(call));
        if (kind === 'campaigns') await d.afterCampaignsChange?.();
        return { status: 200, body: r };
      }),
    ];
  });
  return [
    route(getCatalogOperation, () => ({ status: 200, body: c.catalog.def })),
    route(
      replaceCatalogOperation,
      async ({ body, call }) => {
        const r = await c.replace(body, who(call), 'PUT /v1/catalog');
        await d.afterCampaignsChange?.();
        return { status: 200, body: r };
      },
      { 'application/yaml': parseYaml },
    ),
    route(historyOperation, async ({ query }) => ({ status: 200, body: { entries: await c.history(query.limit ?? 100) } })),
    route(catalogVersionOperation, async ({ params: { n } }) => {
      const def = await c.atVersion(Number(n));
      if (def === undefined) throw new KairosError('not_found', `no catalog version ${n}`);
      return { status: 200, body: def };
    }),
    route(getPolicyOperation, () => ({ status: 200, body: c.catalog.def.policy })),
    route(putPolicyOperation, async ({ body, call }) => ({ status: 200, body: await c.setPolicy(body, who(call)) })),
    route(campaignStatusOperation, async ({ params: { id }, body, call }) => ({ status: 200, body: await c.setStatus(id, body.status, who(call)) })),
    route(getTemplateOperation, ({ params: { id, channel } }) => {
      const offer = c.get('offers', id) as { templates?: Record<string, Static<typeof TemplateSchema>> };
      const tpl = ownTemplate(offer.templates, channel);
      if (tpl === undefined) throw new KairosError('not_found', `offer "${id}" has no ${channel} template`);
      return { status: 200, body: tpl };
    }),
    route(putTemplateOperation, async ({ params: { id, channel }, body, call }) => {
      if (!isChannel(channel)) throw new KairosError('invalid', `unknown channel "${channel}"`);
      const offer = c.get('offers', id) as { templates?: Partial<Record<Channel, unknown>> };
      const templates = { ...offer.templates, [channel]: body };
      return { status: 200, body: await c.put('offers', id, { ...offer, templates }, who(call)) };
    }),
    route(deleteTemplateOperation, async ({ params: { id, channel }, call }) => {
      const offer = c.get('offers', id) as { templates?: Record<string, unknown> };
      if (ownTemplate(offer.templates, channel) === undefined) throw new KairosError('not_found', `offer "${id}" has no ${channel} template`);
      const templates = { ...offer.templates };
      delete templates[channel];
      return { status: 200, body: await c.put('offers', id, { ...offer, templates }, who(call)) };
    }),
    ...kindRoutes,
    route(segmentSizesOperation, async () => {
      const pending = await d.segmentsPending?.();
      return { status: 200, body: { sizes: c.catalog.def.segments.map(({ id }) => ({ segment: id, size: d.segments?.size(id) ?? 0 })), ...(pending === undefined ? {} : { pending }) } };
    }),
    route(propensityOperation, ({ params: { id } }) => {
      const campaign = c.catalog.campaigns.find((x) => x.id === id);
      if (campaign === undefined) throw new KairosError('not_found', `no campaign "${id}"`);
      const strength = c.catalog.policy.priorStrength;
      const groups = campaign.groups.map((g) => {
        const e = d.propensity.evidence().get(evidenceKey(id, g.id)) ?? { positives: 0, negatives: 0 };
        return { group: g.id, prior: g.probability, positives: e.positives, negatives: e.negatives, probability: posteriorProbability(g.probability, e, strength) };
      });
      return { status: 200, body: { campaign: id, priorStrength: strength, groups } };
    }),
    route(previewOperation, async ({ params: { id }, body, call }) => {
      const campaign = c.catalog.campaigns.find((x) => x.id === id);
      if (campaign === undefined) throw new KairosError('not_found', `no campaign "${id}"`);
      const customer = typeof body.customer === 'string' ? body.customer : undefined;
      const { customer: _omit, ...fields } = body;
      const event = eventFromBody({ type: [...campaign.events][0] ?? 'preview', at: d.clock.now(), ...fields, id: '__preview__', customer: { id: customer ?? 'sample' } });
      const previews =
        customer === undefined
          ? previewCampaign(sampleCustomer(), campaign, event, event.at ?? d.clock.now(), c.catalog)
          : await d.host.preview(customer, campaign, event);
      if (previews === undefined) throw new KairosError('unknown_customer', `no customer "${customer ?? ''}"`);
      // A named customer's texts show their personal data only to a role that may read it (docs/security.md):
      // to another, each is rendered from the customer masked, the problems and SMS lengths being the real texts'.
      const profile = customer === undefined ? undefined : await maskedProfile(call, customer);
      const shown = profile === undefined ? previews : maskedPreviews(profile, previews, campaign, event, event.at ?? d.clock.now(), c.catalog);
      return { status: 200, body: { campaign: id, customer: customer ?? 'sample', previews: shown } };
    }),
    route(explainOperation, async ({ params: { id: customer }, body, call }) => {
      // Any moment may be asked about (a past one, the console's "why / why not at"), but a date: not past the end of 9999, as the manual clock.
      if (typeof body.at === 'number' && body.at > MAX_MANUAL_CLOCK_MS) throw new KairosError('invalid', `field "at": must be at most ${MAX_MANUAL_CLOCK_MS} (the end of 9999)`);
      const event = eventFromBody({ at: d.clock.now(), ...body, id: '__explain__', customer: { id: customer } });
      const r = await d.host.explain(customer, event);
      if (r === undefined) throw new KairosError('unknown_customer', `no customer "${customer}"`);
      // The messages show the customer's personal data only to a role that may read it (docs/security.md):
      // to another, each is rendered from the customer masked; the decision and its explanation are the real ones.
      const profile = await maskedProfile(call, customer);
      return { status: 200, body: { ...r, actions: profile === undefined ? [...r.actions] : maskedActions(profile, r.actions, event, r.at, c.catalog) } };
    }),
  ];
}
