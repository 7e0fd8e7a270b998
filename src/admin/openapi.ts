/**
 * The OpenAPI 3.1 description of the admin API and the HTTP gateway endpoints, served at
 * `GET /v1/openapi.json`. `openapi.test.ts` checks that every route the server answers is
 * described here and every described operation is answered.
 */

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: Json): Json => ({ required: true, content: { 'application/json': { schema } } });
const ok = (description: string, schema: Json = { type: 'object' }): Json => ({ description, content: { 'application/json': { schema } } });
const errors = (...codes: number[]): Json =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'error', content: { 'application/json': { schema: ref('Error') } } }]));

const idParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const kindParam: Json = { name: 'kind', in: 'path', required: true, schema: { type: 'string', enum: ['features', 'segments', 'offers', 'campaigns', 'partners', 'places'] } };
const limitParam: Json = { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } };
const cursorParam: Json = { name: 'cursor', in: 'query', description: 'the `next` of the page before', schema: { type: 'string' } };

export interface DocumentedOperation {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  security: 'none' | 'gateway' | 'admin';
  parameters?: Json[];
  requestBody?: Json;
  responses: Json;
}

export const operations: readonly DocumentedOperation[] = [
  { method: 'get', path: '/health', summary: 'The process is up', security: 'none', responses: { '200': ok('up') } },
  { method: 'get', path: '/ready', summary: 'Accepting traffic', security: 'none', responses: { '200': ok('ready'), '503': ok('not ready') } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (text format)', security: 'none', responses: { '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } },
  { method: 'get', path: '/v1/openapi.json', summary: 'This document', security: 'none', responses: { '200': ok('OpenAPI 3.1') } },
  {
    method: 'post',
    path: '/v1/events',
    summary: 'Decide on one event (the fields of an `event` frame without `t`); JSON or application/msgpack',
    security: 'gateway',
    requestBody: { required: true, content: { 'application/json': { schema: ref('Event') }, 'application/msgpack': { schema: ref('Event') } } },
    responses: { '200': ok('the decision', ref('Decision')), ...errors(400, 401, 404, 413, 429, 503) },
  },
  { method: 'get', path: '/v1/status', summary: 'Version, uptime, store, clock, catalog, live actors', security: 'admin', responses: { '200': ok('status') } },
  {
    method: 'get',
    path: '/v1/customers/{id}',
    summary: "A customer's 360° card: profile, lifecycle, consents, segments, features, contacts, open offers, responses, last decision",
    security: 'admin',
    parameters: [idParam('id', 'customer id')],
    responses: { '200': ok('the card', ref('Customer')), ...errors(404) },
  },
  {
    method: 'delete',
    path: '/v1/customers/{id}',
    summary: 'Erase a customer: profile, history, identity links and queued messages; stop-list entries (kept as hashes) stay',
    security: 'admin',
    parameters: [idParam('id', 'customer id')],
    responses: { '200': ok('erased'), ...errors(404) },
  },
  {
    method: 'post',
    path: '/v1/customers/{id}/explain',
    summary: 'What the customer would be offered for this event at this moment, and why or why not for each triggered campaign; nothing is recorded',
    security: 'admin',
    parameters: [idParam('id', 'customer id')],
    requestBody: jsonBody({ type: 'object', required: ['type'], properties: { type: { type: 'string' }, channel: { type: 'string' }, at: { type: 'integer' }, data: { type: 'object' }, location: { type: 'object' } } }),
    responses: { '200': ok('actions and explanations', { type: 'object', properties: { customer: { type: 'string' }, at: { type: 'integer' }, actions: { type: 'array' }, explain: { type: 'array', items: ref('Explanation') } } }), ...errors(400, 404) },
  },
  { method: 'get', path: '/v1/stop-list', summary: 'Stop-list entries', security: 'admin', responses: { '200': ok('entries', { type: 'object', properties: { entries: { type: 'array', items: ref('StopEntry') } } }) } },
  {
    method: 'post',
    path: '/v1/stop-list',
    summary: 'Add a stop-list entry (global, or one channel, or one campaign); applies from the next event',
    security: 'admin',
    requestBody: jsonBody(ref('StopRequest')),
    responses: { '201': ok('the entry', ref('StopEntry')), ...errors(400) },
  },
  {
    method: 'delete',
    path: '/v1/stop-list/{key}',
    summary: 'Remove the entry with this key and scope (query channel, campaign)',
    security: 'admin',
    parameters: [idParam('key', 'the entry key (a hash)'), { name: 'channel', in: 'query', schema: { type: 'string' } }, { name: 'campaign', in: 'query', schema: { type: 'string' } }],
    responses: { '204': { description: 'removed' }, ...errors(404) },
  },
  {
    method: 'get',
    path: '/v1/outbox/{channel}',
    summary: 'What waits for delivery on a channel, oldest first',
    security: 'admin',
    parameters: [idParam('channel', 'sms, email, push, backoffice, …'), limitParam, cursorParam],
    responses: { '200': ok('entries, and next (the cursor of the page after) when more may follow') },
  },
  {
    method: 'get',
    path: '/v1/outbox/{channel}/dead',
    summary: "The channel's dead letters: entries its adapter gave up on, with attempts and the last error",
    security: 'admin',
    parameters: [idParam('channel', 'email, backoffice, …'), limitParam, cursorParam],
    responses: { '200': ok('entries (the dead among the next 10,000 of the queue, at most limit), and next when more of the queue is left') },
  },
  {
    method: 'post',
    path: '/v1/outbox/{channel}/{instance}/retry',
    summary: 'Put a dead letter (or an entry waiting for its backoff) back in the queue, due now',
    security: 'admin',
    parameters: [idParam('channel', 'email, backoffice, …'), idParam('instance', 'offer instance id')],
    responses: { '200': ok('retried'), ...errors(404) },
  },
  {
    method: 'get',
    path: '/v1/unsubscribe',
    summary: "A marketing e-mail's unsubscribe link: puts the address on the stop list for e-mail (the signed token `t` is the authority)",
    security: 'none',
    parameters: [{ name: 't', in: 'query', required: true, schema: { type: 'string' } }],
    responses: { '200': ok('an HTML page: unsubscribed'), '400': ok('an HTML page: the link is not valid') },
  },
  {
    method: 'post',
    path: '/v1/unsubscribe',
    summary: 'One-click unsubscribe (RFC 8058), as the GET',
    security: 'none',
    parameters: [{ name: 't', in: 'query', required: true, schema: { type: 'string' } }],
    responses: { '200': ok('an HTML page: unsubscribed'), '400': ok('an HTML page: the link is not valid') },
  },
  { method: 'get', path: '/v1/clock', summary: "The server clock's mode and reading", security: 'admin', responses: { '200': ok('clock') } },
  {
    method: 'post',
    path: '/v1/clock',
    summary: 'Set (`now`) or move (`advance`) the manual clock (--clock manual only)',
    security: 'admin',
    requestBody: jsonBody({ type: 'object', properties: { now: { type: 'integer' }, advance: { type: 'integer' } } }),
    responses: { '200': ok('clock'), ...errors(400) },
  },
  { method: 'get', path: '/v1/catalog', summary: 'The catalog in force, with its version', security: 'admin', responses: { '200': ok('catalog', ref('Catalog')) } },
  {
    method: 'put',
    path: '/v1/catalog',
    summary: 'Replace the whole catalog (JSON, or YAML with Content-Type application/yaml)',
    security: 'admin',
    requestBody: { required: true, content: { 'application/json': { schema: ref('Catalog') }, 'application/yaml': { schema: { type: 'string' } } } },
    responses: { '200': ok('the new version', ref('Version')), ...errors(400) },
  },
  { method: 'get', path: '/v1/catalog/history', summary: 'Audit entries: who changed what, when, and the version it made', security: 'admin', parameters: [limitParam], responses: { '200': ok('entries') } },
  {
    method: 'get',
    path: '/v1/catalog/versions/{n}',
    summary: 'The catalog as it was at version n',
    security: 'admin',
    parameters: [{ name: 'n', in: 'path', required: true, schema: { type: 'integer' } }],
    responses: { '200': ok('catalog', ref('Catalog')), ...errors(404) },
  },
  { method: 'get', path: '/v1/policy', summary: 'The contact policy', security: 'admin', responses: { '200': ok('policy', ref('Policy')) } },
  { method: 'put', path: '/v1/policy', summary: 'Replace the contact policy', security: 'admin', requestBody: jsonBody(ref('Policy')), responses: { '200': ok('the new version', ref('Version')), ...errors(400) } },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/status',
    summary: 'Move a campaign along its lifecycle: draft, scheduled, active, paused, completed',
    security: 'admin',
    parameters: [idParam('id', 'campaign id')],
    requestBody: jsonBody({ type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['draft', 'scheduled', 'active', 'paused', 'completed'] } } }),
    responses: { '200': ok('the move'), ...errors(400, 404, 409) },
  },
  {
    method: 'get',
    path: '/v1/campaigns/{id}/propensity',
    summary: "Each target group's response probability: the marketer's prior, the responses seen, and the learnt probability in force",
    security: 'admin',
    parameters: [idParam('id', 'campaign id')],
    responses: { '200': ok('groups'), ...errors(404) },
  },
  {
    method: 'get',
    path: '/v1/campaigns/{id}/uplift',
    summary: "The campaign's uplift: goal conversion of contacts made against contacts withheld from its control group, with 95 % intervals",
    security: 'admin',
    parameters: [idParam('id', 'campaign id')],
    responses: { '200': ok('the uplift report'), ...errors(404) },
  },
  { method: 'get', path: '/v1/reports/uplift', summary: "Every campaign's uplift report", security: 'admin', responses: { '200': ok('reports') } },
  {
    method: 'get',
    path: '/v1/reports/funnel',
    summary: 'The campaign funnel (triggered, suppressed by reason, control, offered, delivered, failed, answered by outcome, converted) by campaign, channel, offer and target group; JSON or CSV',
    security: 'admin',
    parameters: [
      { name: 'campaign', in: 'query', schema: { type: 'string' }, description: 'one campaign (all by default)' },
      { name: 'by', in: 'query', schema: { type: 'string' }, description: 'dimensions to break down by, comma-separated: channel, offer, group (all by default; the campaign always)' },
      { name: 'format', in: 'query', schema: { type: 'string' }, description: 'json (default) or csv (also chosen by Accept: text/csv)' },
    ],
    responses: { '200': ok('rows (JSON) or a CSV file'), ...errors(400, 404) },
  },
  {
    method: 'get',
    path: '/v1/models',
    summary: "The learning settings and every offer's adaptive model: examples, positives, negatives, running AUC, lift over the random arm, weight in the blend",
    security: 'admin',
    responses: { '200': ok('models') },
  },
  { method: 'get', path: '/v1/models/{offer}', summary: "One offer's adaptive model", security: 'admin', parameters: [idParam('offer', 'offer id')], responses: { '200': ok('the model'), ...errors(404) } },
  {
    method: 'delete',
    path: '/v1/models/{offer}',
    summary: "Forget an offer's adaptive model (after the offer changed in substance); decisions fall back on the target groups' probabilities",
    security: 'admin',
    parameters: [idParam('offer', 'offer id')],
    responses: { '200': ok('the emptied model'), ...errors(404) },
  },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/preview',
    summary: "A campaign's message on each of its channels, rendered for a customer (or a sample one) and an event, with the SMS encoding and parts",
    security: 'admin',
    parameters: [idParam('id', 'campaign id')],
    requestBody: jsonBody({ type: 'object', properties: { customer: { type: 'string' }, type: { type: 'string' }, at: { type: 'integer' }, data: { type: 'object' }, location: { type: 'object' } } }),
    responses: { '200': ok('previews'), ...errors(400, 404) },
  },
  {
    method: 'get',
    path: '/v1/offers/{id}/templates/{channel}',
    summary: "One of an offer's templates",
    security: 'admin',
    parameters: [idParam('id', 'offer id'), idParam('channel', 'channel')],
    responses: { '200': ok('template', ref('Template')), ...errors(404) },
  },
  {
    method: 'put',
    path: '/v1/offers/{id}/templates/{channel}',
    summary: "Create or replace one of an offer's templates (unknown variables are refused)",
    security: 'admin',
    parameters: [idParam('id', 'offer id'), idParam('channel', 'channel')],
    requestBody: jsonBody(ref('Template')),
    responses: { '200': ok('the new version', ref('Version')), ...errors(400, 404, 409) },
  },
  {
    method: 'delete',
    path: '/v1/offers/{id}/templates/{channel}',
    summary: "Remove one of an offer's templates",
    security: 'admin',
    parameters: [idParam('id', 'offer id'), idParam('channel', 'channel')],
    responses: { '200': ok('the new version', ref('Version')), ...errors(404, 409) },
  },
  { method: 'get', path: '/v1/{kind}', summary: 'List the items of a kind', security: 'admin', parameters: [kindParam], responses: { '200': ok('items') } },
  { method: 'get', path: '/v1/{kind}/{id}', summary: 'One item', security: 'admin', parameters: [kindParam, idParam('id', 'item id')], responses: { '200': ok('item'), ...errors(404) } },
  {
    method: 'put',
    path: '/v1/{kind}/{id}',
    summary: 'Create (201) or replace (200) an item; the whole catalog is checked and a problem names the field',
    security: 'admin',
    parameters: [kindParam, idParam('id', 'item id')],
    requestBody: jsonBody({ oneOf: [ref('Feature'), ref('Segment'), ref('Offer'), ref('Campaign'), ref('Partner'), ref('Place')] }),
    responses: { '200': ok('replaced', ref('Version')), '201': ok('created', ref('Version')), ...errors(400, 409) },
  },
  {
    method: 'delete',
    path: '/v1/{kind}/{id}',
    summary: 'Remove an item (409 while another item uses it)',
    security: 'admin',
    parameters: [kindParam, idParam('id', 'item id')],
    responses: { '200': ok('the new version', ref('Version')), ...errors(404, 409) },
  },
];

const rule: Json = {
  description: 'A rule tree: {all: [rule]}, {any: [rule]}, {not: rule} or {attr, op, value}',
  type: 'object',
  properties: {
    all: { type: 'array', items: ref('Rule') },
    any: { type: 'array', items: ref('Rule') },
    not: ref('Rule'),
    attr: { type: 'string', examples: ['profile.age', 'feature.restaurant_tx_30d', 'segment.idle_rich', 'event.data.mcc', 'vars.shortfall', 'stage'] },
    op: { type: 'string', enum: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'between', 'exists', 'missing'] },
    value: {},
  },
};

const schemas: Json = {
  Error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
  Version: { type: 'object', properties: { version: { type: 'integer' }, created: { type: 'boolean' } } },
  Event: {
    type: 'object',
    required: ['id', 'type', 'customer'],
    properties: {
      id: { type: 'string', maxLength: 128 },
      type: { type: 'string' },
      customer: { type: 'object', properties: { id: { type: 'string' }, card: { type: 'string' }, phone: { type: 'string' }, email: { type: 'string' }, cookie: { type: 'string' } } },
      at: { type: 'integer', description: 'epoch ms' },
      channel: { type: 'string' },
      location: { type: 'object', properties: { lat: { type: 'number' }, lon: { type: 'number' }, place: { type: 'string' } } },
      data: { type: 'object' },
    },
  },
  Decision: {
    type: 'object',
    properties: {
      t: { const: 'decision' },
      re: { type: 'string' },
      customer: { type: 'string' },
      actions: {
        type: 'array',
        items: { type: 'object', properties: { instance: { type: 'string' }, campaign: { type: 'string' }, offer: { type: 'string' }, channel: { type: 'string' }, content: { type: 'object' }, expiresAt: { type: 'integer' } } },
      },
    },
  },
  Explanation: {
    type: 'object',
    properties: { campaign: { type: 'string' }, verdict: { enum: ['offered', 'suppressed', 'control'] }, reason: { type: 'string' }, group: { type: 'string' }, channel: { type: 'string' }, score: { type: 'number' } },
  },
  Customer: { type: 'object', description: "A customer's 360° card (docs/admin-api.md)" },
  StopRequest: {
    type: 'object',
    required: ['kind', 'value'],
    properties: { kind: { enum: ['customer', 'phone', 'email', 'card', 'cookie'] }, value: { type: 'string' }, channel: { type: 'string' }, campaign: { type: 'string' }, reason: { type: 'string' } },
  },
  StopEntry: {
    type: 'object',
    properties: { key: { type: 'string' }, kind: { type: 'string' }, hint: { type: 'string' }, channel: { type: 'string' }, campaign: { type: 'string' }, reason: { type: 'string' }, at: { type: 'integer' }, by: { type: 'string' } },
  },
  Rule: rule,
  Feature: {
    type: 'object',
    required: ['id', 'events', 'aggregate', 'windowDays'],
    properties: { id: { type: 'string' }, events: { type: 'array', items: { type: 'string' } }, where: ref('Rule'), aggregate: { enum: ['count', 'sum'] }, field: { type: 'string' }, windowDays: { type: 'integer' } },
  },
  Segment: { type: 'object', required: ['id', 'name', 'rule'], properties: { id: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, rule: ref('Rule') } },
  Template: {
    type: 'object',
    properties: { title: { type: 'string' }, text: { type: 'string' }, subject: { type: 'string' }, html: { type: 'string' }, script: { type: 'string' }, buttons: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, label: { type: 'string' } } } } },
  },
  Offer: {
    type: 'object',
    required: ['id', 'name', 'value', 'templates'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      value: { type: 'number' },
      params: { type: 'object' },
      templates: { type: 'object', additionalProperties: ref('Template') },
      replies: { type: 'object', additionalProperties: { type: 'string' } },
      buttonOutcomes: { type: 'object', additionalProperties: { type: 'string' } },
      onAccept: { type: 'object', properties: { action: { type: 'string' } } },
      group: { type: 'string', description: 'product family: repeated declines can pause all of it' },
      lever: { type: 'number', description: 'business lever on the ranking, 1 by default' },
      eligibility: ref('Rule'),
      applicability: ref('Rule'),
      suitability: ref('Rule'),
    },
  },
  Campaign: {
    type: 'object',
    required: ['id', 'name', 'status', 'offer', 'channels', 'trigger', 'groups'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      status: { enum: ['draft', 'scheduled', 'active', 'paused', 'completed'] },
      startsAt: { type: 'string', format: 'date-time' },
      endsAt: { type: 'string', format: 'date-time' },
      priority: { type: 'number' },
      offer: { type: 'string' },
      channels: { type: 'array', items: { type: 'string' } },
      trigger: { type: 'object' },
      groups: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, when: ref('Rule'), responsePercent: { type: 'number' } } } },
      vars: { type: 'object' },
      expiresIn: { type: 'string' },
      marketing: { type: 'boolean' },
      maxSmsParts: { type: 'integer' },
      quietHoursExempt: { type: 'boolean' },
      recency: { type: 'object' },
      controlPercent: { type: 'number' },
      seeds: { type: 'array', items: { type: 'object', properties: { channel: { type: 'string' }, to: { type: 'string' } } } },
      budget: { type: 'object', properties: { maxContacts: { type: 'number' }, maxCost: { type: 'number' }, costPerChannel: { type: 'object' } } },
      eligibility: ref('Rule'),
      applicability: ref('Rule'),
      suitability: ref('Rule'),
      minResponsePercent: { type: 'number', description: "the campaign's propensity floor, percent" },
      contextWeights: { type: 'object', additionalProperties: { type: 'number' }, description: 'a ranking weight per channel' },
      suppression: ref('Suppression'),
      pushTo: { type: 'array', items: { type: 'string' }, description: 'screen and operator channels reached outside a session, through the outbox' },
      followUp: { type: 'object', properties: { after: { type: 'string' }, event: { type: 'string' } } },
      goal: {
        type: 'object',
        required: ['events', 'withinDays'],
        properties: { events: { type: 'array', items: { type: 'string' } }, when: ref('Rule'), withinDays: { type: 'number' } },
        description: 'what counts as the campaign working, for the uplift report',
      },
    },
  },
  Suppression: {
    type: 'object',
    required: ['declines', 'withinDays', 'pauseDays'],
    properties: { declines: { type: 'integer' }, withinDays: { type: 'number' }, pauseDays: { type: 'number' }, scope: { enum: ['offer', 'group'] } },
  },
  Partner: { type: 'object', required: ['id', 'kind', 'name', 'address', 'lat', 'lon'] },
  Place: { type: 'object', required: ['id', 'kind', 'name', 'address', 'lat', 'lon'] },
  Policy: {
    type: 'object',
    required: ['defaultTimezone', 'caps', 'minResponsePercent', 'maxActions', 'expiresIn', 'consentRequired', 'quietHours', 'recency', 'sessionExempt'],
    properties: {
      priorStrength: { type: 'number' },
      suppression: ref('Suppression'),
      maybeLater: { type: 'object', properties: { weight: { type: 'number' }, days: { type: 'number' } } },
      channelCapacity: { type: 'object', additionalProperties: { type: 'object', properties: { perDay: { type: 'number' } } } },
      learning: {
        type: 'object',
        properties: {
          models: { type: 'boolean' },
          modelEvidence: { type: 'number' },
          exploration: { enum: ['thompson', 'none'] },
          randomPercent: { type: 'number' },
          bits: { type: 'integer' },
        },
      },
    },
  },
  Catalog: {
    type: 'object',
    properties: {
      version: { type: 'integer' },
      features: { type: 'array', items: ref('Feature') },
      segments: { type: 'array', items: ref('Segment') },
      offers: { type: 'array', items: ref('Offer') },
      campaigns: { type: 'array', items: ref('Campaign') },
      partners: { type: 'array', items: ref('Partner') },
      places: { type: 'array', items: ref('Place') },
      policy: ref('Policy'),
    },
  },
};

export function openApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    const entry: Json = { summary: op.summary, responses: op.responses };
    if (op.parameters !== undefined) entry.parameters = op.parameters;
    if (op.requestBody !== undefined) entry.requestBody = op.requestBody;
    entry.security = op.security === 'none' ? [] : [{ [op.security === 'admin' ? 'adminKey' : 'gatewayToken']: [] }];
    paths[op.path] = { ...(paths[op.path] ?? {}), [op.method]: entry };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kairos admin and HTTP gateway API',
      version,
      description: 'Real-time next-best-offer decisioning. The WebSocket gateway protocol is in docs/protocol-v1.md and docs/protocol.md.',
    },
    components: {
      securitySchemes: {
        adminKey: { type: 'http', scheme: 'bearer', description: 'an admin API key (KAIROS_ADMIN_KEYS)' },
        gatewayToken: { type: 'http', scheme: 'bearer', description: 'a gateway token (KAIROS_GATEWAY_TOKENS)' },
      },
      schemas,
    },
    paths,
  };
}
