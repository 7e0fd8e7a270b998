import { describe, expect, it } from 'vitest';
import type { FunnelRow } from './funnel-ledger.js';
import { adminHeaders, msk, serverForFile, uid } from '../test-support/test-kairos.js';

/**
 * Late events and deferred messages end to end, through the started server on the demo bank
 * (manual clock, the default 15-minute bound): an ATM event two hours late texts nothing; a
 * campaign's SMS blocked by quiet hours at 22:30 goes out when the clock reaches 09:00.
 */

// A Tuesday evening in Moscow; the clock is moved by the admin API.
const server = serverForFile({ config: { clock: 'manual', staleEventMs: 15 * 60_000 }, manualClockStart: msk('2026-11-24T22:30:00') });

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: await res.json() };
}

const smsFor = async (customer: string) => (await server.k.kairos.store.listOutbox('sms', 1000)).filter((r) => r.customer === customer);

describe('late events and deferred messages, through the server', () => {
  it('answers an ATM event two hours late without an SMS, explaining stale_event', async () => {
    const late = await server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: 'demo-19' }, channel: 'atm', at: msk('2026-11-24T20:30:00'), data: { requested: 1000, balance: 800 } });
    expect(late).toMatchObject({ t: 'decision', actions: [] });
    const card = await api('GET', '/v1/customers/demo-19');
    expect(card.body.lastDecision).toEqual([expect.objectContaining({ campaign: 'atm-shortfall', reason: 'stale_event' })]);
    expect(card.body.lastEventAt).toBe(msk('2026-11-24T20:30:00'));
    expect(await smsFor('demo-19')).toEqual([]);
  });

  it('keeps an SMS quiet hours blocked at 22:30 and sends it at 09:00', async () => {
    expect((await api('PUT', '/v1/offers/evening-note', { name: 'Письмо', value: 10, templates: { sms: { text: '{{customer.name}}, для вас одобрен кредит.' } } })).status).toBe(201);
    const campaign = await api('PUT', '/v1/campaigns/evening-note', {
      name: 'Одобрен кредит',
      status: 'active',
      offer: 'evening-note',
      channels: ['sms'],
      trigger: { events: ['loan.preapproved'] },
      groups: [{ id: 'clients', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 20 }],
      expiresIn: '1d',
    });
    expect(campaign.status).toBe(201);
    const evening = await server.gw.request({ t: 'event', id: uid(), type: 'loan.preapproved', customer: { id: 'demo-21' } });
    expect(evening).toMatchObject({ t: 'decision', actions: [] });
    expect((await api('GET', '/v1/customers/demo-21')).body.lastDecision).toEqual([expect.objectContaining({ campaign: 'evening-note', reason: 'deferred:sms=quiet_hours' })]);
    expect((await api('GET', '/v1/customers/demo-21')).body.deferrals).toEqual([
      expect.objectContaining({ campaign: 'evening-note', status: 'deferred', channels: ['sms'], reason: 'quiet_hours', retryAt: msk('2026-11-25T09:00:00') }),
    ]);
    expect(await smsFor('demo-21')).toEqual([]);

    expect((await api('POST', '/v1/clock', { now: msk('2026-11-25T08:59:00') })).body.remindersFired).toBe(0);
    expect((await api('POST', '/v1/clock', { now: msk('2026-11-25T09:00:00') })).body.remindersFired).toBe(1);
    const sent = await smsFor('demo-21');
    expect(sent).toEqual([expect.objectContaining({ campaign: 'evening-note', expiresAt: msk('2026-11-25T22:30:00') })]);
    const card = (await api('GET', '/v1/customers/demo-21')).body;
    expect(card.contacts).toEqual([expect.objectContaining({ campaign: 'evening-note', channel: 'sms', at: msk('2026-11-25T09:00:00') })]);
    expect(card.deferrals).toEqual([expect.objectContaining({ campaign: 'evening-note', status: 'retried', outcome: 'offered', channels: ['sms'], reason: 'quiet_hours', resolvedAt: msk('2026-11-25T09:00:00') })]);

    const funnel = await api('GET', '/v1/reports/funnel?campaign=evening-note');
    const rows = funnel.body.rows as FunnelRow[];
    // Triggered once, deferred, offered at its retry: nothing waits, nothing suppressed.
    expect(rows.reduce((n, r) => n + r.triggered, 0)).toBe(1);
    expect(rows.reduce((n, r) => n + r.deferred, 0)).toBe(1);
    expect(rows.reduce((n, r) => n + r.resumed, 0)).toBe(1);
    expect(rows.reduce((n, r) => n + r.waiting, 0)).toBe(0);
    expect(rows.reduce((n, r) => n + r.suppressed, 0)).toBe(0);
    expect(rows.reduce((n, r) => n + r.offered, 0)).toBe(1);
  });
});
