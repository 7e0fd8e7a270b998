import { afterAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, msk, startTestKairos } from '../test-support/test-kairos.js';

/**
 * Call-centre waves over the demo bank (LMDB, manual clock; docs/outbound.md#call-centre-waves):
 * the demo's `credit-card-calls` over the young savers, the call centre taking 100 calls a day.
 * The first wave's calls go best expected value first, the day's capacity the best ones; its
 * call list comes as JSON and CSV; the dialer's outcomes come back (no answer, interested,
 * call back at a time, declined); the interested customer becomes a warm lead once (the
 * manager's notice, the personal SMS); the call back is made at its time; two days after the
 * first wave the second calls again only those not reached, and there is no third.
 */

let k: TestKairos | undefined;
afterAll(async () => {
  await k?.close();
});

async function api(method: string, path: string, body?: unknown, status?: number): Promise<any> {
  const res = await fetch(`${k!.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (status !== undefined) expect(res.status, `${method} ${path}`).toBe(status);
  else expect(res.status, `${method} ${path}: ${res.status}`).toBeLessThan(300);
  return (res.headers.get('content-type') ?? '').includes('json') ? res.json() : res.text();
}

/** Ticks the runs and lets them work until nothing more is due now. */
async function settle(): Promise<void> {
  await k!.kairos.outboundRuns.tick();
  await k!.kairos.outboundRuns.idle();
  await k!.kairos.host.flush();
}

interface Call {
  rank: number;
  customer: string;
  score?: number;
  instance?: string;
  outcome?: string;
  phone?: string;
  lastName?: string;
  warmLead?: boolean;
}

describe('call-centre waves', () => {
  it('call best first within the day, take outcomes back, make warm leads, and re-call in the next wave only those not reached', async () => {
    // A Tuesday morning in Moscow.
    k = await startTestKairos({ config: { clock: 'manual', segmentSweepMs: 0 }, manualClockStart: msk('2026-12-08T10:00:00') });
    const policy = await api('GET', '/v1/policy');
    await api('PUT', '/v1/policy', { ...policy, channelCapacity: { callcenter: { perDay: 100 } } });
    await k.kairos.segmentSweep.runIfDue();
    await k.kairos.host.flush();
    const members = (await api('GET', '/v1/segments/young_savers')).size as number;
    expect(members).toBeGreaterThan(200);

    const first = await api('POST', '/v1/campaigns/credit-card-calls/runs', undefined, 201);
    expect(first.wave).toEqual({ n: 1, count: 2, earlier: [] });
    await settle();

    // Day 1: the run ranked everyone, called as many as the capacity takes, and waits for tomorrow.
    let s = await api('GET', `/v1/runs/${first.id}`);
    expect(s).toMatchObject({ state: 'waiting', waitingFor: 'capacity', ranked: true, listed: members });
    const day1 = (await api('GET', `/v1/runs/${first.id}/calls`)) as { wave: number; calls: Call[] };
    expect(day1.wave).toBe(1);
    expect(day1.calls.length).toBe(100);
    // best expected value first: ranks rise, scores do not
    for (let i = 1; i < day1.calls.length; i++) {
      expect(day1.calls[i]!.rank).toBeGreaterThan(day1.calls[i - 1]!.rank);
      expect(day1.calls[i]!.score!).toBeLessThanOrEqual(day1.calls[i - 1]!.score!);
    }
    expect(day1.calls.every((c) => c.instance !== undefined && c.phone?.startsWith('+7') === true && c.lastName !== undefined)).toBe(true);
    // the demo's groups differ in response probability: the best are called first, and the day's capacity took them
    // the operators' screens get the calls: the callcenter outbox, in the list's order
    const pushed = (await k.kairos.store.listOutbox('callcenter', 10_000)).filter((r) => r.campaign === 'credit-card-calls');
    expect(pushed.map((r) => r.instance).sort()).toEqual(day1.calls.map((c) => c.instance).sort());

    // A marketer sees the list with names and phones masked; the privacy role (and admin) in full.
    const made = await api('POST', '/v1/keys', { name: 'wave-marketer', role: 'marketer' });
    const masked = (await (await fetch(`${k.httpUrl}/v1/runs/${first.id}/calls`, { headers: { Authorization: `Bearer ${made.secret}` } })).json()) as { calls: Call[] };
    expect(masked.calls[0]!.lastName).toBe(`${[...day1.calls[0]!.lastName!][0]}***`);
    expect(masked.calls[0]!.phone).not.toBe(day1.calls[0]!.phone);
    expect(masked.calls[0]!.instance).toBe(day1.calls[0]!.instance);

    // The same list as a CSV file for a dialer.
    const csvRes = await fetch(`${k.httpUrl}/v1/runs/${first.id}/calls?format=csv`, { headers: adminHeaders });
    expect(csvRes.headers.get('content-type')).toContain('text/csv');
    const csv = (await csvRes.text()).trimEnd().split('\r\n');
    expect(csv[0]).toBe('rank,customer,last_name,first_name,patronymic,phone,score,offer,instance,called_at,outcome,callback_at,warm_lead');
    expect(csv.length).toBe(101);
    expect(csv[1]).toContain(day1.calls[0]!.instance!);

    // The dialer's outcomes: ten not reached, one interested, one to call back tomorrow at 12:00, one declined.
    const [interested, callback, declined] = day1.calls.slice(10, 13);
    const callbackAt = '2026-12-09T12:00:00+03:00';
    const outcomes = [
      ...day1.calls.slice(0, 10).map((c) => ({ instance: c.instance!, outcome: 'no_answer' })),
      { customer: interested!.customer, outcome: 'interested' },
      { instance: callback!.instance!, outcome: 'callback', callbackAt },
      { instance: declined!.instance!, outcome: 'declined' },
      { instance: 'nobody:1.x', outcome: 'accepted' },
      { instance: declined!.instance!, outcome: 'callback' },
      // a call the run did not make: another customer's instance under a called one's id
      { instance: `${interested!.customer}:99.x`, outcome: 'accepted' },
    ];
    const recorded = await api('POST', `/v1/runs/${first.id}/outcomes`, { outcomes });
    expect(recorded.recorded).toBe(13);
    expect(recorded.rejected.map((r: { row: number }) => r.row)).toEqual([14, 15, 16]);
    expect(recorded.rejected[1].reason).toContain('data.at');
    expect(recorded.rejected[2].reason).toContain('did not make call');
    // the same file again changes nothing
    const again = await api('POST', `/v1/runs/${first.id}/outcomes`, { outcomes: outcomes.slice(0, 13) });
    expect(again).toMatchObject({ recorded: 0, duplicates: 13 });
    // An outcome that means nothing for a call is rejected by its row (recorded nowhere, its id not
    // remembered); one written with capitals, spaces or dashes is the outcome it names.
    const [odd, shouted] = day1.calls.slice(13, 15);
    const mixed = await api('POST', `/v1/runs/${first.id}/outcomes`, { outcomes: [{ instance: odd!.instance!, outcome: 'banana' }, { instance: shouted!.instance!, outcome: 'NO_ANSWER' }] });
    expect(mixed).toMatchObject({ recorded: 1, duplicates: 0 });
    expect(mixed.rejected).toHaveLength(1);
    expect(mixed.rejected[0].row).toBe(1);
    expect(mixed.rejected[0].reason).toMatch(/^field "outcome": invalid_outcome "banana": must be one of accepted, .*no_answer/);
    // the corrected row is recorded; the same outcome spelled otherwise is the same row again
    const corrected = await api('POST', `/v1/runs/${first.id}/outcomes`, { outcomes: [{ instance: odd!.instance!, outcome: 'no answer' }, { instance: shouted!.instance!, outcome: 'No-Answer' }] });
    expect(corrected).toEqual({ recorded: 1, duplicates: 1, rejected: [] });
    const listedNow = ((await api('GET', `/v1/runs/${first.id}/calls`)) as { calls: Call[] }).calls;
    expect([odd, shouted].map((c) => listedNow.find((x) => x.instance === c!.instance)?.outcome)).toEqual(['no_answer', 'no_answer']);
    // a run that is not a wave's has no call list
    expect((await api('POST', `/v1/runs/${first.id}x/outcomes`, { outcomes: outcomes.slice(0, 1) }, 404)).code).toBe('not_found');

    // The interested customer is a warm lead: the manager's notice, and the personal offer by SMS once the reminder fires.
    await api('POST', '/v1/clock', { advance: 60_000 });
    await k.kairos.host.flush();
    const notices = (await k.kairos.store.listOutbox('backoffice', 1000)).filter((r) => r.kind === 'backoffice' && r.action === 'notify_manager');
    expect(notices.map((r) => r.customer)).toEqual([interested!.customer]);
    const personal = (await k.kairos.store.listOutbox('sms', 1000)).filter((r) => r.campaign === 'credit-card-warm-lead');
    expect(personal.map((r) => r.customer)).toEqual([interested!.customer]);
    const card = await api('GET', `/v1/customers/${interested!.customer}`);
    expect(card.contacts.map((c: { campaign: string }) => c.campaign)).toEqual(['credit-card-calls', 'credit-card-warm-lead']);
    // the card names the warm lead (when it became one), for an analyst too (the card masked: the lead is no personal data)
    expect(card.leads).toEqual({ 'credit-card-calls': expect.any(Number) });
    expect(card.leads['credit-card-calls']).toBeGreaterThanOrEqual(msk('2026-12-08T10:00:00'));
    expect(card.leads['credit-card-calls']).toBeLessThan(msk('2026-12-08T11:00:00'));
    const analyst = await api('POST', '/v1/keys', { name: 'wave-analyst', role: 'analyst' });
    const maskedCard = (await (await fetch(`${k.httpUrl}/v1/customers/${interested!.customer}`, { headers: { Authorization: `Bearer ${analyst.secret}` } })).json()) as { profile: { lastName?: string }; leads: Record<string, number> };
    expect(maskedCard.profile.lastName).not.toBe(card.profile.lastName);
    expect(maskedCard.leads).toEqual(card.leads);
    expect((await api('GET', `/v1/customers/${declined!.customer}`)).leads).toEqual({});

    // 12:00 the next day: the call back is made, outside any run (before the day's wave calls: it was asked for).
    await api('POST', '/v1/clock', { now: msk('2026-12-09T12:00:30') });
    await k.kairos.host.flush();
    const back = await api('GET', `/v1/customers/${callback!.customer}`);
    const calls = back.contacts.filter((c: { campaign: string }) => c.campaign === 'credit-card-calls');
    expect(calls.length).toBe(2);
    expect(calls[1].run).toBeUndefined();

    // Day 2: the capacity is back, a hundred more calls; day 3, the rest; then the run is done and the second wave is planned two days on.
    await settle();
    s = await api('GET', `/v1/runs/${first.id}`);
    expect(s).toMatchObject({ state: 'waiting', waitingFor: 'capacity' });
    // the call back took one of the day's hundred calls
    expect(((await api('GET', `/v1/runs/${first.id}/calls`)) as { calls: Call[] }).calls.length).toBe(199);
    await api('POST', '/v1/clock', { now: msk('2026-12-10T09:00:00') });
    await settle();
    s = await api('GET', `/v1/runs/${first.id}`);
    expect(s.state).toBe('done');
    expect(s.selected).toBe(members);
    const all1 = (await api('GET', `/v1/runs/${first.id}/calls`)) as { calls: Call[] };
    expect(all1.calls.at(-1)!.score!).toBeLessThan(day1.calls[0]!.score!);
    expect(all1.calls.length).toBe(s.funnel.offered);
    // each customer decided finally once (those left out for capacity were decided again the next day)
    expect(s.funnel.offered + s.funnel.control + s.funnel.suppressed - (s.funnel.suppressedBy.no_channel ?? 0)).toBe(members);
    const second = (await api('GET', '/v1/runs?campaign=credit-card-calls')).runs[1];
    expect(second).toMatchObject({ id: `${first.id}.w2`, state: 'waiting', waitingFor: 'wave', wave: { n: 2, count: 2, earlier: [first.id] } });
    expect(second.waitingUntil).toBe(s.finishedAt + 2 * 86_400_000);
    // one open run a campaign: the waves are one
    expect((await api('POST', '/v1/campaigns/credit-card-calls/runs', undefined, 409)).detail).toContain('.w2');

    // Two days after the first wave: the second calls again those it did not reach, best first, a hundred a day.
    await api('POST', '/v1/clock', { now: second.waitingUntil + 60_000 });
    await settle();
    let w2 = await api('GET', `/v1/runs/${second.id}`);
    for (let day = 0; w2.state === 'waiting' && day < 5; day++) {
      await api('POST', '/v1/clock', { now: w2.waitingUntil });
      await settle();
      w2 = await api('GET', `/v1/runs/${second.id}`);
    }
    expect(w2.state).toBe('done');
    // everyone the first wave listed: who it reached is not called again
    expect(w2.listed).toBe(members);
    const by = w2.funnel.suppressedBy as Record<string, number>;
    // reached in the first wave: interested, the call back, declined
    expect(by.reached).toBe(3);
    const recalls = (await api('GET', `/v1/runs/${second.id}/calls`)) as { calls: Call[] };
    const reached = new Set([interested!.customer, callback!.customer, declined!.customer]);
    expect(recalls.calls.some((c) => reached.has(c.customer))).toBe(false);
    // the twelve not answered are called again (the rest expired unanswered: not reached either)
    const recalled = new Set(recalls.calls.map((c) => c.customer));
    for (const c of [...day1.calls.slice(0, 10), odd!, shouted!]) expect(recalled.has(c.customer)).toBe(true);
    expect(recalls.calls.length + w2.funnel.control + w2.funnel.suppressed - (by.no_channel ?? 0)).toBe(members);
    // a warm lead of the second wave too (the callback after it closes nothing more): each lead notified once
    // (the last call of the wave is still open: made on its last day)
    const lead2 = recalls.calls.at(-1)!;
    expect((await api('POST', `/v1/runs/${second.id}/outcomes`, { outcomes: [{ instance: lead2.instance!, outcome: 'interested', interest: 90 }] })).recorded).toBe(1);
    expect((await api('POST', `/v1/runs/${second.id}/outcomes`, { outcomes: [{ instance: lead2.instance!, outcome: 'callback', callbackAt: '2026-12-20T12:00:00+03:00' }] })).recorded).toBe(1);
    await api('POST', '/v1/clock', { advance: 60_000 });
    const leads = (await k.kairos.store.listOutbox('backoffice', 1000)).filter((r) => r.kind === 'backoffice' && r.action === 'notify_manager').map((r) => r.customer);
    expect(leads.sort()).toEqual([interested!.customer, lead2.customer].sort());
    // two waves in all: no third
    await api('POST', '/v1/clock', { advance: 3 * 86_400_000 });
    await settle();
    expect((await api('GET', '/v1/runs?campaign=credit-card-calls')).runs.length).toBe(2);
  }, 240_000);
});
