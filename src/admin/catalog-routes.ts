import type { Channel, CustomerContext, GatewayEvent } from '../../actors/index.js';
import { isInvalidDefinition, evidenceKey, initialCustomerContext, isChannel, posteriorProbability, previewCampaign } from '../../actors/index.js';
import { parseCatalogText } from '../catalog/catalog-file.js';
import type { CatalogKind, CatalogService } from '../catalog/catalog-service.js';
import { catalogKinds } from '../catalog/catalog-service.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import type { PropensityLedger } from '../runtime/propensity-ledger.js';
import { credentialLabel } from '../transport/auth.js';
import { FrameError, parseEvent } from '../transport/frames.js';
import type { HttpCall, Route } from '../transport/http.js';
import { json, jsonBody } from '../transport/http.js';

/**
 * The catalog admin API: list, read, create or replace, and delete features, segments,
 * offers (with their templates per channel), campaigns, partners and places; the contact
 * policy; campaign status moves; the whole catalog as YAML or JSON; its versions and audit
 * history; and a dry-run explanation of what a customer would be offered at a moment.
 */
export interface CatalogRouteDeps {
  catalogs: CatalogService;
  host: CustomerHost;
  clock: Clock;
  propensity: PropensityLedger;
}

const kindPattern = catalogKinds.join('|');

function who(call: HttpCall): string {
  return credentialLabel(call.authorization) ?? 'unknown';
}

function limitOf(call: HttpCall, max: number): number {
  const limit = Number(call.query.get('limit') ?? '100');
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new KairosError('invalid', `query "limit": must be 1 to ${max}`);
  return limit;
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

function isYaml(contentType: string): boolean {
  const t = contentType.toLowerCase();
  return t.startsWith('application/yaml') || t.startsWith('text/yaml') || t.startsWith('application/x-yaml');
}

export function catalogRoutes(d: CatalogRouteDeps): Route[] {
  const c = d.catalogs;
  return [
    {
      method: 'get',
      pattern: /^\/v1\/catalog$/,
      auth: 'admin',
      handle: () => json(200, c.catalog.def),
    },
    {
      method: 'put',
      pattern: /^\/v1\/catalog$/,
      auth: 'admin',
      handle: async (call) => {
        let def: unknown;
        if (isYaml(call.contentType)) {
          try {
            def = parseCatalogText(call.body.toString('utf8'), 'body');
          } catch (err) {
            if (isInvalidDefinition(err)) throw new KairosError('invalid', err.message, { cause: err });
            throw err;
          }
        } else {
          def = jsonBody(call);
        }
        return json(200, await c.replace(def, who(call), 'PUT /v1/catalog'));
      },
    },
    {
      method: 'get',
      pattern: /^\/v1\/catalog\/history$/,
      auth: 'admin',
      handle: async (call) => json(200, { entries: await c.history(limitOf(call, 10_000)) }),
    },
    {
      method: 'get',
      pattern: /^\/v1\/catalog\/versions\/(\d+)$/,
      auth: 'admin',
      handle: async (_call, [v = '']) => {
        const def = await c.atVersion(Number(v));
        if (def === undefined) throw new KairosError('not_found', `no catalog version ${v}`);
        return json(200, def);
      },
    },
    {
      method: 'get',
      pattern: /^\/v1\/policy$/,
      auth: 'admin',
      handle: () => json(200, c.catalog.def.policy),
    },
    {
      method: 'put',
      pattern: /^\/v1\/policy$/,
      auth: 'admin',
      handle: async (call) => json(200, await c.setPolicy(jsonBody(call), who(call))),
    },
    {
      method: 'post',
      pattern: /^\/v1\/campaigns\/([^/]+)\/status$/,
      auth: 'admin',
      handle: async (call, [id = '']) => json(200, await c.setStatus(id, jsonBody(call).status, who(call))),
    },
    {
      method: 'get',
      pattern: /^\/v1\/offers\/([^/]+)\/templates\/([a-z]+)$/,
      auth: 'admin',
      handle: (_call, [id = '', channel = '']) => {
        const offer = c.get('offers', id) as { templates?: Record<string, unknown> };
        const tpl = offer.templates?.[channel];
        if (tpl === undefined) throw new KairosError('not_found', `offer "${id}" has no ${channel} template`);
        return json(200, tpl);
      },
    },
    {
      method: 'put',
      pattern: /^\/v1\/offers\/([^/]+)\/templates\/([a-z]+)$/,
      auth: 'admin',
      handle: async (call, [id = '', channel = '']) => {
        if (!isChannel(channel)) throw new KairosError('invalid', `unknown channel "${channel}"`);
        const offer = c.get('offers', id) as { templates?: Partial<Record<Channel, unknown>> };
        const templates = { ...offer.templates, [channel]: jsonBody(call) };
        return json(200, await c.put('offers', id, { ...offer, templates }, who(call)));
      },
    },
    {
      method: 'delete',
      pattern: /^\/v1\/offers\/([^/]+)\/templates\/([a-z]+)$/,
      auth: 'admin',
      handle: async (call, [id = '', channel = '']) => {
        const offer = c.get('offers', id) as { templates?: Record<string, unknown> };
        if (offer.templates?.[channel] === undefined) throw new KairosError('not_found', `offer "${id}" has no ${channel} template`);
        const templates = { ...offer.templates };
        delete templates[channel];
        return json(200, await c.put('offers', id, { ...offer, templates }, who(call)));
      },
    },
    {
      method: 'get',
      pattern: new RegExp(`^/v1/(${kindPattern})$`),
      auth: 'admin',
      handle: (_call, [kind = '']) => json(200, { version: c.version, items: c.list(kind as CatalogKind) }),
    },
    {
      method: 'get',
      pattern: new RegExp(`^/v1/(${kindPattern})/([^/]+)$`),
      auth: 'admin',
      handle: (_call, [kind = '', id = '']) => json(200, c.get(kind as CatalogKind, id)),
    },
    {
      method: 'put',
      pattern: new RegExp(`^/v1/(${kindPattern})/([^/]+)$`),
      auth: 'admin',
      handle: async (call, [kind = '', id = '']) => {
        const r = await c.put(kind as CatalogKind, id, jsonBody(call), who(call));
        return json(r.created ? 201 : 200, r);
      },
    },
    {
      method: 'delete',
      pattern: new RegExp(`^/v1/(${kindPattern})/([^/]+)$`),
      auth: 'admin',
      handle: async (call, [kind = '', id = '']) => json(200, await c.remove(kind as CatalogKind, id, who(call))),
    },
    {
      method: 'get',
      pattern: /^\/v1\/campaigns\/([^/]+)\/propensity$/,
      auth: 'admin',
      handle: (_call, [id = '']) => {
        const campaign = c.catalog.campaigns.find((x) => x.id === id);
        if (campaign === undefined) throw new KairosError('not_found', `no campaign "${id}"`);
        const strength = c.catalog.policy.priorStrength;
        const groups = campaign.groups.map((g) => {
          const e = d.propensity.evidence().get(evidenceKey(id, g.id)) ?? { positives: 0, negatives: 0 };
          return { group: g.id, prior: g.probability, positives: e.positives, negatives: e.negatives, probability: posteriorProbability(g.probability, e, strength) };
        });
        return json(200, { campaign: id, priorStrength: strength, groups });
      },
    },
    {
      method: 'post',
      pattern: /^\/v1\/campaigns\/([^/]+)\/preview$/,
      auth: 'admin',
      handle: async (call, [id = '']) => {
        const campaign = c.catalog.campaigns.find((x) => x.id === id);
        if (campaign === undefined) throw new KairosError('not_found', `no campaign "${id}"`);
        const body = jsonBody(call);
        const customer = typeof body.customer === 'string' ? body.customer : undefined;
        const { customer: _omit, ...fields } = body;
        const event = eventFromBody({ type: [...campaign.events][0] ?? 'preview', at: d.clock.now(), ...fields, id: '__preview__', customer: { id: customer ?? 'sample' } });
        const previews =
          customer === undefined
            ? previewCampaign(sampleCustomer(), campaign, event, event.at ?? d.clock.now(), c.catalog)
            : await d.host.preview(customer, campaign, event);
        if (previews === undefined) throw new KairosError('unknown_customer', `no customer "${customer ?? ''}"`);
        return json(200, { campaign: id, customer: customer ?? 'sample', previews });
      },
    },
    {
      method: 'post',
      pattern: /^\/v1\/customers\/([^/]+)\/explain$/,
      auth: 'admin',
      handle: async (call, [customer = '']) => {
        const body = jsonBody(call);
        const event = eventFromBody({ at: d.clock.now(), ...body, id: '__explain__', customer: { id: customer } });
        const r = await d.host.explain(customer, event);
        if (r === undefined) throw new KairosError('unknown_customer', `no customer "${customer}"`);
        return json(200, r);
      },
    },
  ];
}
