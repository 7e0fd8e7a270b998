import { Type } from '@sinclair/typebox';
import type { Clock } from '../clock.js';
import { ManualClock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CustomerHost, CustomerView } from '../runtime/customer-host.js';
import type { ServerStatus } from '../schema/http/admin-schemas.js';
import { ClockMoveReply, ClockMoveSchema, ClockReply, StatusReply, StopEntrySchema, StopListReply, StopRequestSchema } from '../schema/http/admin-schemas.js';
import { route } from '../schema/http/bind-route.js';
import { PathId } from '../schema/http/common-schemas.js';
import { CustomerSchema, EraseReply } from '../schema/http/customer-schemas.js';
import { OutboxPageQuery, OutboxPageReply } from '../schema/http/delivery-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { StopList, StopRequest } from '../stop-list.js';
import type { StopEntry, Store } from '../store/store.js';
import { audit, auditDraft, redactReason } from '../audit/audit.js';
import { credentialLabel } from '../transport/auth.js';
import type { Route } from '../transport/http.js';
import { ChannelParam } from '../schema/http/common-schemas.js';
import { outboxPage } from './delivery-routes.js';
import { cardDay, maskCustomer, maskName } from './mask-customer.js';
import { normalizeIdentifier } from '../../actors/index.js';

/**
 * The admin API under /v1/ (admin key): a customer's 360° view, the stop list, the outbox,
 * the manual clock, and the server's status. Every change is logged with who made it (a
 * hash label of the key).
 */
export interface AdminDeps {
  host: Pick<CustomerHost, 'view' | 'erase' | 'pollReminders'>;
  /** where the card routes find a customer: the host, and the store's identity index for a phone, e-mail or card, by default */
  finder?: CustomerFinder;
  stopList: StopList;
  store: Store;
  clock: Clock;
  logger: Logger;
  status: () => ServerStatus;
  /** what else looks at the clock when it moves: the outbound runs whose time came go on (their work goes on in the background) */
  afterClockMove?: () => Promise<void>;
}

const customerId = Type.Object({ id: PathId('the customer id') });

export const statusOperation = operation({
  operationId: 'getStatus',
  method: 'get',
  path: '/v1/status',
  summary: 'Version, uptime, store, clock, catalog, live actors',
  tag: 'status',
  auth: 'admin',
  roles: ['ops'],
  responses: { 200: { description: 'the status', schema: StatusReply } },
  errors: [],
});

export const getCustomerOperation = operation({
  operationId: 'getCustomer',
  method: 'get',
  path: '/v1/customers/:id',
  summary: "A customer's 360° card: profile, lifecycle, consents, segments, features, contacts, open offers, responses, last decision",
  description:
    'An `analyst` key gets the card with the personal data masked: names (first letters), phone, e-mail, card, cookie; the birth date dropped (the age in its place); ' +
    "each text or date attribute `***` (numbers and booleans stay); each string of a response's `data` and of an open offer's `vars` `***`.",
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy', 'analyst'],
  params: customerId,
  responses: { 200: { description: 'the card', schema: CustomerSchema } },
  errors: ['unknown_customer'],
});

/** The identifiers a customer is found by (`GET /v1/customers`): what staff read off a card, a phone call or a letter. */
export const lookupKinds = ['phone', 'email', 'card'] as const;
const lookupValue = (kind: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: `a ${kind}, normalised as identity resolution does (docs/identity.md)` }));

export const CustomerMatchesReply = Type.Object(
  {
    customers: Type.Array(
      Type.Object(
        {
          id: Type.String({ description: 'the customer id' }),
          name: Type.Optional(Type.String({ description: 'last name, first name and patronymic as the card gives them: masked for an analyst (first letters)' })),
        },
        { additionalProperties: false },
      ),
      { description: 'the customers the identifier belongs to: one, or none' },
    ),
  },
  { $id: 'CustomerMatches', additionalProperties: false },
);

export const findCustomersOperation = operation({
  operationId: 'findCustomers',
  method: 'get',
  path: '/v1/customers',
  summary: 'Find a customer by phone, e-mail or card (exactly one), normalised as identity resolution does',
  description:
    'The answer lists the customer the identifier is linked to (its id and name), or none. For the privacy role (and admin) only: an analyst reads cards masked so as not to know who the customer is, ' +
    'and a lookup by a phone, an e-mail or a card would tell. The value is never logged nor echoed in a refusal.',
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  query: Type.Object({ phone: lookupValue('phone number'), email: lookupValue('e-mail address'), card: lookupValue('card token') }),
  responses: { 200: { description: 'the matching customers (an empty list when none)', schema: CustomerMatchesReply } },
  errors: ['invalid'],
});

export const eraseCustomerOperation = operation({
  operationId: 'eraseCustomer',
  method: 'delete',
  path: '/v1/customers/:id',
  summary: 'Erase a customer: profile, history, identity links and queued messages; stop-list entries (kept as hashes) stay',
  tag: 'customers',
  auth: 'admin',
  roles: ['privacy'],
  params: customerId,
  responses: { 200: { description: 'erased', schema: EraseReply } },
  errors: ['unknown_customer'],
});

export const listStopsOperation = operation({
  operationId: 'listStopEntries',
  method: 'get',
  path: '/v1/stop-list',
  summary: 'Stop-list entries; with kind and value, those on that identifier only',
  description: 'With `kind` and `value` (both or neither), the entries whose key is that identifier\'s (normalised and keyed as an entry is): how a list that keeps no identifier in clear is searched. The value is never echoed.',
  tag: 'stop-list',
  auth: 'admin',
  roles: ['privacy'],
  query: Type.Object({
    kind: Type.Optional(StopRequestSchema.properties.kind),
    value: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'the identifier searched for (with kind)' })),
  }),
  responses: { 200: { description: 'the entries', schema: StopListReply } },
  errors: ['invalid'],
});

export const addStopOperation = operation({
  operationId: 'addStopEntry',
  method: 'post',
  path: '/v1/stop-list',
  summary: 'Add a stop-list entry (global, or one channel, or one campaign); applies from the next event',
  tag: 'stop-list',
  auth: 'admin',
  roles: ['privacy'],
  body: { schema: StopRequestSchema, media: ['application/json'] },
  responses: { 201: { description: 'the entry', schema: StopEntrySchema } },
  errors: ['invalid'],
});

export const removeStopOperation = operation({
  operationId: 'removeStopEntry',
  method: 'delete',
  path: '/v1/stop-list/:key',
  summary: 'Remove the entry with this key and scope',
  tag: 'stop-list',
  auth: 'admin',
  roles: ['privacy'],
  params: Type.Object({ key: Type.String({ pattern: '^[0-9a-f]{40}$', description: "the entry's key (a hash)" }) }),
  query: Type.Object({
    channel: Type.Optional(Type.String({ description: "the entry's channel" })),
    campaign: Type.Optional(Type.String({ description: "the entry's campaign" })),
    reason: Type.Optional(Type.String({ maxLength: 500, description: 'why it is removed: kept in the audit entry, each e-mail address and phone-like run of 7 digits or more replaced by ***' })),
  }),
  responses: { 204: { description: 'removed' } },
  errors: ['not_found'],
});

export const outboxOperation = operation({
  operationId: 'listOutbox',
  method: 'get',
  path: '/v1/outbox/:channel',
  summary: 'What waits for delivery on a channel, oldest first, paged',
  tag: 'delivery',
  auth: 'admin',
  roles: ['ops'],
  params: Type.Object({ channel: ChannelParam }),
  query: OutboxPageQuery,
  responses: { 200: { description: 'entries, and next (the cursor of the page after) when more may follow', schema: OutboxPageReply } },
  errors: ['invalid', 'not_found'],
});

export const getClockOperation = operation({
  operationId: 'getClock',
  method: 'get',
  path: '/v1/clock',
  summary: "The server clock's mode and reading",
  tag: 'clock',
  auth: 'admin',
  roles: ['qa', 'ops'],
  responses: { 200: { description: 'the clock', schema: ClockReply } },
  errors: [],
});

export const moveClockOperation = operation({
  operationId: 'moveClock',
  method: 'post',
  path: '/v1/clock',
  summary: 'Set (now) or move (advance) the manual clock (--clock manual only); reminders that came due are delivered before the answer',
  tag: 'clock',
  auth: 'admin',
  roles: ['qa'],
  body: { schema: ClockMoveSchema, media: ['application/json'] },
  responses: { 200: { description: 'the clock moved', schema: ClockMoveReply } },
  errors: ['invalid'],
});

export const adminOperations = [
  statusOperation,
  getCustomerOperation,
  findCustomersOperation,
  eraseCustomerOperation,
  listStopsOperation,
  addStopOperation,
  removeStopOperation,
  outboxOperation,
  getClockOperation,
  moveClockOperation,
] as const;

function manualClock(clock: Clock): ManualClock {
  if (!(clock instanceof ManualClock)) {
    throw new KairosError('invalid', 'the server runs on the system clock; start it with --clock manual (or KAIROS_CLOCK=manual) to move time');
  }
  return clock;
}

/** A present, non-null optional text. */
const given = (v: string | null | undefined): v is string => v !== undefined && v !== null;

/** Where the customer card routes read a customer: the host, or on a node with shards the owner shard's. */
export interface CustomerFinder {
  view(id: string): Promise<CustomerView | undefined>;
  /** the customer an identifier (normalised) is linked to, as a card */
  byIdentifier(kind: (typeof lookupKinds)[number], value: string): Promise<CustomerView | undefined>;
}

/** `GET /v1/customers/{id}` and `GET /v1/customers?phone|email|card=` over a finder (an analyst reads them masked). */
export function customerCardRoutes(find: CustomerFinder, clock: Clock): Route[] {
  return [
    route(getCustomerOperation, async ({ params: { id }, call }) => {
      const view = await find.view(id);
      if (view === undefined) throw new KairosError('unknown_customer', `no customer "${id}"`);
      // An analyst reads cards with the personal data masked (docs/security.md).
      return { status: 200, body: call.principal?.role === 'analyst' ? maskCustomer(view, cardDay(view, clock.now())) : view };
    }),
    route(findCustomersOperation, async ({ query, call }) => {
      const given = lookupKinds.filter((kind) => query[kind] !== undefined);
      if (given.length !== 1) throw new KairosError('invalid', `query: give exactly one of ${lookupKinds.join(', ')}`);
      const kind = given[0]!;
      // The value itself stays out of the message (and so out of any log line).
      const value = normalizeIdentifier(kind, query[kind]!);
      if (value === undefined) throw new KairosError('invalid', `query "${kind}": not a valid ${kind}`);
      const view = await find.byIdentifier(kind, value);
      if (view === undefined) return { status: 200, body: { customers: [] } };
      const masked = call.principal?.role === 'analyst';
      const parts = [view.profile.lastName, view.profile.firstName, view.profile.patronymic].filter((x): x is string => x !== undefined && x !== '');
      const name = parts.map((p) => (masked ? maskName(p) : p)).join(' ');
      return { status: 200, body: { customers: [name === '' ? { id: view.id } : { id: view.id, name }] } };
    }),
  ];
}

export function adminRoutes(d: AdminDeps): Route[] {
  /** A stop entry as the audit trail shows it: its key and hint, never the identifier; its reason redacted (redactReason). */
  const stopView = (e: StopEntry): Record<string, unknown> => ({ key: e.key, kind: e.kind, hint: e.hint, channel: e.channel, campaign: e.campaign, reason: e.reason === undefined ? undefined : redactReason(e.reason) });
  const sameScope = (key: string, channel: string | undefined, campaign: string | undefined) => (e: StopEntry) => e.key === key && e.channel === channel && e.campaign === campaign;
  return [
    route(statusOperation, () => ({ status: 200, body: d.status() })),
    ...customerCardRoutes(
      d.finder ?? {
        view: (id) => d.host.view(id),
        async byIdentifier(kind, value) {
          const id = await d.store.lookupIdentity(kind, value);
          return id === undefined ? undefined : d.host.view(id);
        },
      },
      d.clock,
    ),
    route(eraseCustomerOperation, async ({ params: { id }, call }) => {
      // The entry is written in the store's erasure transaction, inside the customer's mailbox.
      const at = d.clock.now();
      const erased = await d.host.erase(id, (e) => auditDraft(call, at, 'customer.erase', `customer:${id}`, { customer: id }, { customer: id, erased: true, identifiers: e.identifiers }));
      if (erased === undefined) throw new KairosError('unknown_customer', `no customer "${id}"`);
      return { status: 200, body: { erased: id, identifiers: erased.identifiers } };
    }),
    route(listStopsOperation, ({ query: { kind, value } }) => {
      if (kind === undefined && value === undefined) return { status: 200, body: { entries: d.stopList.list() } };
      if (kind === undefined || value === undefined) throw new KairosError('invalid', 'query: give kind and value together');
      const keys = d.stopList.keysOf(kind, value);
      if (keys.length === 0) throw new KairosError('invalid', `query "value": not a valid ${kind}`);
      return { status: 200, body: { entries: d.stopList.list().filter((e) => keys.includes(e.key)) } };
    }),
    route(addStopOperation, async ({ body, call }) => {
      const req: StopRequest = { kind: body.kind, value: body.value };
      if (given(body.channel)) req.channel = body.channel;
      if (given(body.campaign)) req.campaign = body.campaign;
      if (given(body.reason)) req.reason = body.reason;
      const at = d.clock.now();
      const entry = await d.stopList.add(req, at, call.principal?.name ?? credentialLabel(call.authorization), (e) => {
        const before = d.stopList.list().find(sameScope(e.key, e.channel, e.campaign));
        return auditDraft(call, at, 'stop-list.add', `stop:${e.key}`, before === undefined ? null : stopView(before), stopView(e));
      });
      return { status: 201, body: entry };
    }),
    route(removeStopOperation, async ({ params: { key }, query: { channel, campaign, reason }, call }) => {
      const before = d.stopList.list().find(sameScope(key, channel ?? undefined, campaign ?? undefined));
      // After a removal there is no entry: the reason given for it, when one is, is what the entry's after holds.
      const after = reason === undefined || reason === '' ? null : { removed: true, reason: redactReason(reason) };
      const draft = auditDraft(call, d.clock.now(), 'stop-list.remove', `stop:${key}`, before === undefined ? { key, channel, campaign } : stopView(before), after);
      const removed = await d.stopList.remove(key, channel, campaign, draft);
      if (!removed) throw new KairosError('not_found', 'no stop-list entry with that key and scope');
      return { status: 204 };
    }),
    route(outboxOperation, async ({ params: { channel }, query }) => ({ status: 200, body: await outboxPage(d.store, channel, query) })),
    route(getClockOperation, () => ({ status: 200, body: { mode: d.clock.mode, now: d.clock.now() } })),
    route(moveClockOperation, async ({ body, call }) => {
      const clock = manualClock(d.clock);
      const was = clock.now();
      if (body.now !== undefined && body.advance !== undefined) throw new KairosError('invalid', 'send either "now" or "advance", not both');
      if (body.now !== undefined) clock.set(body.now);
      else if (body.advance !== undefined) clock.advance(body.advance);
      else throw new KairosError('invalid', 'field "now" or "advance": one is required');
      try {
        await audit(d, call, 'clock.set', 'clock', { now: was }, { now: clock.now() });
      } catch (err) {
        // No entry, no move.
        clock.set(was);
        throw err;
      }
      // Reminders that came due are delivered before the answer, so a test script sees their effects next;
      // outbound runs whose time came (a wave's start, the next day's capacity) are taken up.
      let remindersFired = 0;
      for (let n = await d.host.pollReminders(); n > 0; n = await d.host.pollReminders()) remindersFired += n;
      await d.afterClockMove?.();
      return { status: 200, body: { mode: clock.mode, now: clock.now(), remindersFired } };
    }),
  ];
}
