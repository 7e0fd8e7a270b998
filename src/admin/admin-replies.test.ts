import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Consent, ContactRecord, LifecycleEntry, OfferInstance, OutboxEntry, ResponseRecord } from '../../actors/index.js';
import { HistoryReply } from '../schema/http/catalog-schemas.js';
import { StopListReply } from '../schema/http/admin-schemas.js';
import type { ConsentSchema, ContactRecordSchema, LifecycleEntrySchema, OfferInstanceSchema, ResponseRecordSchema } from '../schema/http/customer-schemas.js';
import { CustomerSchema } from '../schema/http/customer-schemas.js';
import type { OutboxRecord } from '../schema/http/delivery-schemas.js';
import { OutboxPageReply } from '../schema/http/delivery-schemas.js';
import { adminHeaders, msk, serverForFile, uid } from '../test-support/test-kairos.js';

/**
 * The replies whose TypeScript types are their schemas (declared once): the brain's records
 * are exactly what the schemas say, and what the started server answers fits them.
 */

// The event carries a fixed date (23 November 2026, a Monday noon): the server's clock is then.
const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: msk('2026-11-23T12:00:00') });

async function get(path: string): Promise<unknown> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { headers: adminHeaders });
  expect(res.status, path).toBe(200);
  return await res.json();
}

/** The first problem of a value against a schema, or undefined when it fits. */
function misfit(schema: TSchema, value: unknown): string | undefined {
  const e = Value.Errors(schema, value).First();
  return e === undefined ? undefined : `${e.path}: ${e.message}`;
}

describe('admin replies typed by their schemas', () => {
  it("the card's records are the brain's, field for field", () => {
    expectTypeOf<Static<typeof ContactRecordSchema>>().toEqualTypeOf<ContactRecord>();
    expectTypeOf<Static<typeof OfferInstanceSchema>>().toEqualTypeOf<OfferInstance>();
    expectTypeOf<Static<typeof ResponseRecordSchema>>().toEqualTypeOf<ResponseRecord>();
    expectTypeOf<Static<typeof ConsentSchema>>().toEqualTypeOf<Consent>();
    expectTypeOf<Static<typeof LifecycleEntrySchema>>().toEqualTypeOf<LifecycleEntry>();
    expectTypeOf<OutboxEntry & { seq: number; attempts: number }>().toMatchTypeOf<OutboxRecord>();
  });

  it('answers a card, an outbox page, the stop list and the history that fit their schemas', async () => {
    const decision = await server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: 'demo-60' }, channel: 'atm', data: { requested: 1000, balance: 800 } });
    const action = (decision.actions as Array<{ instance: string; channel: string }>).find((a) => a.channel === 'sms');
    expect(action).toBeDefined();
    await server.gw.request({ t: 'response', id: uid(), instance: action?.instance, outcome: 'clicked' });
    const card = (await get('/v1/customers/demo-60')) as { contacts: unknown[]; pending: unknown[]; responses: unknown[] };
    expect(card.contacts.length).toBeGreaterThan(0);
    expect(card.pending.length).toBeGreaterThan(0);
    expect(card.responses.length).toBeGreaterThan(0);
    expect(misfit(CustomerSchema, card)).toBeUndefined();

    const outbox = (await get('/v1/outbox/sms')) as { entries: unknown[] };
    expect(outbox.entries.length).toBeGreaterThan(0);
    expect(misfit(OutboxPageReply, outbox)).toBeUndefined();

    const added = await fetch(`${server.k.httpUrl}/v1/stop-list`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ kind: 'phone', value: '+79161234567', channel: 'sms' }) });
    expect(added.status).toBe(201);
    expect(misfit(StopListReply, await get('/v1/stop-list'))).toBeUndefined();
    expect(misfit(HistoryReply, await get('/v1/catalog/history'))).toBeUndefined();
  });
});
