import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { demoCsvPath } from '../paths.js';
import type { FunnelRow } from '../runtime/funnel-ledger.js';
import type { Frame } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, msk, serverForFile, uid } from '../test-support/test-kairos.js';
import { problemBody } from '../schema/http/problem.js';

/**
 * The campaign funnel report, end to end on the demo bank over WebSocket: the counts equal
 * what was sent (offers, suppressions by reason, answers by outcome, deliveries confirmed by
 * a subscribed endpoint, goals), broken down by channel, offer and target group, as JSON and
 * as CSV; a bad query is named; the totals survive a restart. Over a date range (from, to) on
 * the manual clock across days: decisions by the day made, answers by the day answered; the
 * rates and the budgets spent.
 */

// The events carry fixed dates (24 November 2026): the server's clock is just after them.
const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: msk('2026-11-24T16:00:00') });

async function get(path: string, accept = 'application/json'): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { headers: { ...adminHeaders, Accept: accept } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

async function send(method: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers: adminHeaders, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The demo's 60+ clients with small balances: whom the pension deposit is offered to. */
function seniorClients(): string[] {
  return readFileSync(demoCsvPath(), 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .flatMap((line, i) => {
      const [age, , , , , balance] = line.split(';');
      return Number(age) >= 60 && Number(balance) < 1000 ? [`demo-${i + 1}`] : [];
    });
}

/** RFC 4180 lines without quoted commas (the demo's ids have none): header → row objects. */
function parseCsv(text: string): Array<Record<string, string>> {
  const lines = text.split('\r\n').filter((l) => l !== '');
  const header = lines[0]!.split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i]!, v])));
}

describe('funnel report', () => {
  it('counts each stage per campaign, channel, offer and group, as JSON and CSV, across a restart', async () => {
    // Pension deposit in the internet bank: twelve 60+ clients with small balances; answers:
    // accepted, declined, later in turn. Whoever the decision passes over counts as suppressed.
    const seniors = seniorClients().slice(0, 12);
    const outcomes = ['accepted', 'declined', 'later'] as const;
    const expected = { offered: 0, suppressed: 0, accepted: 0, declined: 0, later: 0 };
    for (const [i, id] of seniors.entries()) {
      const d = await server.gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id }, channel: 'ib', at: msk('2026-11-24T10:00:00') });
      const offer = (d.actions as Frame[]).find((a) => a.campaign === 'pension-deposit');
      if (offer === undefined) {
        expected.suppressed++;
        continue;
      }
      expected.offered++;
      const outcome = outcomes[i % 3]!;
      expected[outcome]++;
      expect(await server.gw.request({ t: 'response', id: uid('r'), instance: offer.instance, outcome })).toMatchObject({ t: 'ack' });
    }
    expect(expected.offered).toBeGreaterThan(3);

    // ATM shortfall by SMS: the second shortfall of the day for the same customer is
    // suppressed by the daily SMS cap.
    const atm = (card: string, at: string) =>
      server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card }, channel: 'atm', data: { requested: 1000, balance: 800 }, at: msk(at) });
    const first = await atm('card-20', '2026-11-24T12:00:00');
    expect((first.actions as Frame[]).map((a) => a.campaign)).toEqual(['atm-shortfall']);
    // Its offer is counted from the server's clock, so it is still open: answered "later", it is closed.
    expect(await server.gw.request({ t: 'response', id: uid('r'), instance: (first.actions as Frame[])[0]!.instance, outcome: 'later' })).toMatchObject({ t: 'ack' });
    const second = await atm('card-20', '2026-11-24T14:00:00');
    expect(second.actions).toEqual([]);
    const card = (await (await fetch(`${server.k.httpUrl}/v1/customers/demo-20`, { headers: adminHeaders })).json()) as { lastDecision: Array<{ campaign: string; reason?: string }> };
    const reason = card.lastDecision.find((e) => e.campaign === 'atm-shortfall')?.reason ?? '';
    expect(reason).toBe('cap:sms:1_per_1d');
    const code = 'cap';
    // A subscribed SMS endpoint confirms the delivery of the first.
    const endpoint = await GatewayClient.connect(server.k.wsUrl);
    try {
      expect(await endpoint.request({ t: 'subscribe', id: uid('s'), channels: ['sms'] })).toMatchObject({ t: 'ack' });
      const deliver = await endpoint.next((f) => f.t === 'deliver');
      expect(deliver).toMatchObject({ t: 'deliver', campaign: 'atm-shortfall', channel: 'sms' });
      expect(await endpoint.request({ t: 'delivered', id: uid('d'), instance: deliver.instance, channel: 'sms' })).toMatchObject({ t: 'ack' });
    } finally {
      endpoint.close();
    }
    const byChannel = JSON.parse((await get('/v1/reports/funnel?campaign=pension-deposit&by=channel')).text) as { by: string[]; rows: Array<Record<string, unknown>> };
    expect(byChannel.by).toEqual(['campaign', 'channel']);
    const ib = byChannel.rows.find((r) => r.channel === 'ib');
    expect(ib).toMatchObject({ campaign: 'pension-deposit', offer: '*', group: '*', offered: expected.offered, accepted: expected.accepted, declined: expected.declined, answered: expected.offered });
    expect(ib?.outcomes).toMatchObject({ later: expected.later });
    expect(ib?.acceptanceRate).toBe(Math.round((expected.accepted / expected.offered) * 1e6) / 1e6);
    const all = byChannel.rows.reduce((n, r) => n + (r.triggered as number), 0);
    expect(all).toBe(seniors.length);

    const atmRows = (JSON.parse((await get('/v1/reports/funnel?campaign=atm-shortfall')).text) as { rows: FunnelRow[] }).rows;
    const sms = atmRows.find((r) => r.channel === 'sms' && r.offered > 0);
    expect(sms).toMatchObject({ offer: 'atm-microcredit', offered: 1, delivered: 1 });
    const capped = atmRows.reduce((n, r) => n + (r.suppressedBy[code] ?? 0), 0);
    expect(capped).toBe(1);

    // CSV: the same figures, a header, a file name.
    const csv = await get('/v1/reports/funnel?by=channel', 'text/csv');
    expect(csv.status).toBe(200);
    expect(csv.type).toMatch(/^text\/csv/);
    const rows = parseCsv(csv.text);
    const ibRow = rows.find((r) => r.campaign === 'pension-deposit' && r.channel === 'ib');
    expect(ibRow).toMatchObject({ offered: String(expected.offered), accepted: String(expected.accepted), outcome_later: String(expected.later) });
    expect(rows.filter((r) => r.campaign === 'atm-shortfall').reduce((n, r) => n + Number(r[`suppressed_${code}`]), 0)).toBe(1);

    // Bad queries are named.
    const bad = await get('/v1/reports/funnel?by=region');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toEqual(problemBody('invalid', 'query "by": "region" is not one of campaign, channel, offer, group, run, segment'));
    expect((await get('/v1/reports/funnel?campaign=nope')).status).toBe(404);
    expect((await get('/v1/reports/funnel?format=xml')).status).toBe(400);

    // By segment: every 60+ client offered the deposit is counted in the segment clients_60_plus.
    const bySegment = JSON.parse((await get('/v1/reports/funnel?campaign=pension-deposit&by=segment')).text) as { by: string[]; rows: FunnelRow[] };
    expect(bySegment.by).toEqual(['campaign', 'segment']);
    expect(bySegment.rows.find((r) => r.segment === 'clients_60_plus')).toMatchObject({ campaign: 'pension-deposit', channel: '*', offered: expected.offered, accepted: expected.accepted, triggered: seniors.length });
    expect(bySegment.rows.every((r) => r.offered <= expected.offered)).toBe(true);
    const segCsv = parseCsv((await get('/v1/reports/funnel?campaign=pension-deposit&by=segment', 'text/csv')).text);
    expect(segCsv.find((r) => r.segment === 'clients_60_plus')).toMatchObject({ offered: String(expected.offered) });
    // a dimension a row has none of is `-`, written as it is (a lone sign is no formula to escape)
    const runCsv = parseCsv((await get('/v1/reports/funnel?by=run', 'text/csv')).text);
    expect(runCsv.length).toBeGreaterThan(0);
    expect(runCsv.map((r) => r.run)).toEqual(runCsv.map(() => '-'));
    const mixed = await get('/v1/reports/funnel?by=segment,channel');
    expect(mixed.status).toBe(400);
    expect(JSON.parse(mixed.text)).toEqual(problemBody('invalid', 'query "by": segment goes with the campaign alone, not with channel'));

    // The totals are in the store: a restart shows the same report.
    const before = (await get('/v1/reports/funnel')).text;
    const segmentsBefore = (await get('/v1/reports/funnel?by=segment')).text;
    await server.restart();
    expect((await get('/v1/reports/funnel')).text).toBe(before);
    expect((await get('/v1/reports/funnel?by=segment')).text).toBe(segmentsBefore);
  });

  it('counts the days asked (from, to) on the manual clock across days, with rates and budgets; bad days are named', async () => {
    // The clock starts on 24 November (Moscow): everything above happened that day.
    const [day1, day2, day3] = ['2026-11-24', '2026-11-25', '2026-11-26'];
    const json = async (path: string) => JSON.parse((await get(path)).text) as { by: string[]; from?: string; to?: string; rows: FunnelRow[]; budgets: Array<Record<string, unknown>> };
    const row = async (query: string) => (await json(`/v1/reports/funnel?campaign=pension-deposit&by=campaign${query}`)).rows[0];
    const totals1 = await json('/v1/reports/funnel');
    expect((await json(`/v1/reports/funnel?from=${day1}&to=${day1}`)).rows).toEqual(totals1.rows);
    expect(await json(`/v1/reports/funnel?from=${day2}`)).toMatchObject({ from: day2, rows: [] });
    const before = await row('');

    // The next day: a budget on the ATM campaign, new clients logging in, one ATM shortfall.
    expect((await send('POST', '/v1/clock', { advance: 86_400_000 })).status).toBe(200);
    const atmCampaign = (await send('GET', '/v1/campaigns/atm-shortfall', undefined)).body;
    expect((await send('PUT', '/v1/campaigns/atm-shortfall', { ...atmCampaign, budget: { maxContacts: 100, maxCost: 7, costPerChannel: { sms: 3.5 } } })).status).toBe(200);
    const now = msk('2026-11-25T16:00:00');
    const clients = seniorClients().slice(12, 18);
    expect(clients.length).toBeGreaterThan(0);
    const offers: string[] = [];
    for (const id of clients) {
      const d = await server.gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id }, channel: 'ib', at: now });
      const offer = (d.actions as Frame[]).find((a) => a.campaign === 'pension-deposit');
      if (offer !== undefined) offers.push(offer.instance as string);
    }
    expect(offers.length).toBeGreaterThan(1);
    expect(await server.gw.request({ t: 'response', id: uid('r'), instance: offers[0]!, outcome: 'accepted' })).toMatchObject({ t: 'ack' });
    await server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card: 'card-21' }, channel: 'atm', data: { requested: 1000, balance: 800 }, at: now });

    const onDay2 = await row(`&from=${day2}&to=${day2}`);
    expect(onDay2).toMatchObject({ triggered: clients.length, offered: offers.length, answered: 1, accepted: 1, responseRate: Math.round(1e6 / offers.length) / 1e6 });
    expect(await row(`&from=${day1}&to=${day1}`)).toEqual(before);
    expect(await row(`&to=${day1}`)).toEqual(before);
    expect((await row(''))?.triggered).toBe(before!.triggered + clients.length);

    // Past midnight, the second offer is declined: counted on the day it was answered.
    expect((await send('POST', '/v1/clock', { advance: 10 * 3_600_000 })).status).toBe(200);
    expect(await server.gw.request({ t: 'response', id: uid('r'), instance: offers[1]!, outcome: 'declined' })).toMatchObject({ t: 'ack' });
    expect(await row(`&from=${day3}`)).toMatchObject({ triggered: 0, offered: 0, answered: 1, declined: 1, responseRate: null, conversionRate: null, upliftRate: null });
    expect(await row(`&from=${day2}&to=${day3}`)).toMatchObject({ triggered: clients.length, offered: offers.length, answered: 2, accepted: 1, declined: 1 });
    expect(await row(`&from=${day2}&to=${day2}`)).toEqual(onDay2);

    // A run's funnel by date works like any dimension: events' decisions are run "-".
    const byRun = await json(`/v1/reports/funnel?campaign=pension-deposit&by=run&from=${day2}&to=${day3}`);
    expect(byRun).toMatchObject({ by: ['campaign', 'run'], from: day2, to: day3 });
    expect(byRun.rows).toMatchObject([{ campaign: 'pension-deposit', run: '-', channel: '*', offered: offers.length }]);

    // The budget spent since it was set, against its limits.
    const atm = await json(`/v1/reports/funnel?campaign=atm-shortfall&by=campaign&from=${day2}`);
    const atmOffered = atm.rows.reduce((n, r) => n + r.offered, 0);
    expect(atmOffered).toBe(1);
    expect(atm.budgets).toEqual([{ campaign: 'atm-shortfall', contacts: atmOffered, cost: atmOffered * 3.5, maxContacts: 100, maxCost: 7 }]);
    expect((await json('/v1/reports/funnel?campaign=pension-deposit')).budgets).toEqual([]);

    // CSV: the range in the file name, the new columns.
    const res = await fetch(`${server.k.httpUrl}/v1/reports/funnel?campaign=pension-deposit&by=campaign&from=${day2}&to=${day3}&format=csv`, { headers: adminHeaders });
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="kairos-funnel-pension-deposit-from-${day2}-to-${day3}.csv"`);
    const [csvRow] = parseCsv(await res.text());
    expect(csvRow).toMatchObject({ campaign: 'pension-deposit', offered: String(offers.length), answered: '2', controlConverted: '0', responseRate: (2 / offers.length).toFixed(4), upliftRate: '' });

    // Bad days, and a range that ends before it starts, are named.
    const problem = async (query: string) => {
      const r = await get(`/v1/reports/funnel?${query}`);
      expect(r.status).toBe(400);
      return JSON.parse(r.text) as unknown;
    };
    expect(await problem('from=2026-11-31')).toEqual(problemBody('invalid', 'query "from": "2026-11-31" is not a day (YYYY-MM-DD)'));
    expect(await problem(`from=${day1}&to=tomorrow`)).toEqual(problemBody('invalid', 'query "to": "tomorrow" is not a day (YYYY-MM-DD)'));
    expect(await problem(`from=${day3}&to=${day1}`)).toEqual(problemBody('invalid', `query "from": ${day3} is after "to": ${day1}`));

    // By segment over a range: the day's offers in clients_60_plus.
    const segDay2 = (await json(`/v1/reports/funnel?campaign=pension-deposit&by=segment&from=${day2}&to=${day2}`)).rows.find((r) => r.segment === 'clients_60_plus');
    expect(segDay2).toMatchObject({ triggered: clients.length, offered: offers.length, accepted: 1 });
    expect((await json(`/v1/reports/funnel?campaign=pension-deposit&by=segment&from=${day3}`)).rows.find((r) => r.segment === 'clients_60_plus')).toMatchObject({ offered: 0, declined: 1 });

    // The daily buckets are in the store: a restart shows the same range.
    const ranged = (await get(`/v1/reports/funnel?from=${day2}&to=${day3}`)).text;
    const rangedSegments = (await get(`/v1/reports/funnel?by=segment&from=${day2}&to=${day3}`)).text;
    await server.restart();
    expect((await get(`/v1/reports/funnel?from=${day2}&to=${day3}`)).text).toBe(ranged);
    expect((await get(`/v1/reports/funnel?by=segment&from=${day2}&to=${day3}`)).text).toBe(rangedSegments);
  });
});
