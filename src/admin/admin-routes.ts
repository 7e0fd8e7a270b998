import type { Clock } from '../clock.js';
import { ManualClock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import type { StopList, StopRequest } from '../stop-list.js';
import type { Store } from '../store/store.js';
import { credentialLabel } from '../transport/auth.js';
import { packageVersion } from '../paths.js';
import type { HttpCall, Route } from '../transport/http.js';
import { json, jsonBody, noContent } from '../transport/http.js';
import { outboxPage } from './delivery-routes.js';
import { openApiDocument } from './openapi.js';

/**
 * The admin API under /v1/ (admin key): a customer's 360° view, the stop list, the outbox,
 * the catalog in force, the manual clock, and the server's status. Every change is logged
 * with who made it (a hash label of the key).
 */
export interface AdminDeps {
  host: CustomerHost;
  stopList: StopList;
  store: Store;
  clock: Clock;
  logger: Logger;
  status: () => Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw new KairosError('invalid', `field "${field}": must be a non-empty string`);
  return v;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const v = optionalString(body, field);
  if (v === undefined) throw new KairosError('invalid', `field "${field}": is required`);
  return v;
}

function manualClock(clock: Clock): ManualClock {
  if (!(clock instanceof ManualClock)) {
    throw new KairosError('invalid', 'the server runs on the system clock; start it with --clock manual (or KAIROS_CLOCK=manual) to move time');
  }
  return clock;
}

export function adminRoutes(d: AdminDeps): Route[] {
  const audit = (call: HttpCall, action: string, detail: Record<string, unknown>): void => {
    d.logger.info({ audit: true, by: credentialLabel(call.authorization), action, ...detail }, 'admin change');
  };
  return [
    {
      method: 'get',
      pattern: /^\/v1\/openapi\.json$/,
      auth: 'none',
      handle: () => json(200, openApiDocument(packageVersion())),
    },
    {
      method: 'get',
      pattern: /^\/v1\/status$/,
      auth: 'admin',
      handle: () => json(200, d.status()),
    },
    {
      method: 'get',
      pattern: /^\/v1\/customers\/([^/]+)$/,
      auth: 'admin',
      handle: async (_call, [id = '']) => {
        const view = await d.host.view(id);
        if (view === undefined) throw new KairosError('unknown_customer', `no customer "${id}"`);
        return json(200, view);
      },
    },
    {
      method: 'delete',
      pattern: /^\/v1\/customers\/([^/]+)$/,
      auth: 'admin',
      handle: async (call, [id = '']) => {
        const erased = await d.host.erase(id);
        if (erased === undefined) throw new KairosError('unknown_customer', `no customer "${id}"`);
        audit(call, 'customer.erase', { customer: id, identifiers: erased.identifiers });
        return json(200, { erased: id, identifiers: erased.identifiers });
      },
    },
    {
      method: 'get',
      pattern: /^\/v1\/stop-list$/,
      auth: 'admin',
      handle: () => json(200, { entries: d.stopList.list() }),
    },
    {
      method: 'post',
      pattern: /^\/v1\/stop-list$/,
      auth: 'admin',
      handle: async (call) => {
        const body = jsonBody(call);
        const req: StopRequest = { kind: requiredString(body, 'kind') as StopRequest['kind'], value: requiredString(body, 'value') };
        const channel = optionalString(body, 'channel');
        const campaign = optionalString(body, 'campaign');
        const reason = optionalString(body, 'reason');
        if (channel !== undefined) req.channel = channel;
        if (campaign !== undefined) req.campaign = campaign;
        if (reason !== undefined) req.reason = reason;
        const entry = await d.stopList.add(req, d.clock.now(), credentialLabel(call.authorization));
        audit(call, 'stop-list.add', { key: entry.key, kind: entry.kind, channel: entry.channel, campaign: entry.campaign });
        return json(201, entry);
      },
    },
    {
      method: 'delete',
      pattern: /^\/v1\/stop-list\/([0-9a-f]{40})$/,
      auth: 'admin',
      handle: async (call, [key = '']) => {
        const channel = call.query.get('channel') ?? undefined;
        const campaign = call.query.get('campaign') ?? undefined;
        const removed = await d.stopList.remove(key, channel, campaign);
        if (!removed) throw new KairosError('not_found', 'no stop-list entry with that key and scope');
        audit(call, 'stop-list.remove', { key, channel, campaign });
        return noContent();
      },
    },
    {
      method: 'get',
      pattern: /^\/v1\/outbox\/([a-z]+)$/,
      auth: 'admin',
      handle: async (call, [channel = '']) => json(200, await outboxPage(d.store, channel, call.query)),
    },
    {
      method: 'get',
      pattern: /^\/v1\/clock$/,
      auth: 'admin',
      handle: () => json(200, { mode: d.clock.mode, now: d.clock.now() }),
    },
    {
      method: 'post',
      pattern: /^\/v1\/clock$/,
      auth: 'admin',
      handle: async (call) => {
        const clock = manualClock(d.clock);
        const body = jsonBody(call);
        if (body.now !== undefined && body.advance !== undefined) throw new KairosError('invalid', 'send either "now" or "advance", not both');
        if (body.now !== undefined) clock.set(body.now as number);
        else if (body.advance !== undefined) clock.advance(body.advance as number);
        else throw new KairosError('invalid', 'field "now" or "advance": one is required');
        audit(call, 'clock.set', { now: clock.now() });
        // Reminders that came due are delivered before the answer, so a test script sees their effects next.
        let remindersFired = 0;
        for (let n = await d.host.pollReminders(); n > 0; n = await d.host.pollReminders()) remindersFired += n;
        return json(200, { mode: clock.mode, now: clock.now(), remindersFired });
      },
    },
  ];
}
