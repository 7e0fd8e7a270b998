import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, msk, startTestKairos } from '../test-support/test-kairos.js';

/**
 * A run's counts and moves on the demo bank (LMDB, manual clock, its segments swept): each
 * customer counted once in the run's funnel however often a page is handed over again; a
 * cancel or a pause answered only once the hand-overs on their way are decided, nobody offered
 * after it.
 */

let k: TestKairos;
beforeAll(async () => {
  // A Tuesday morning in Moscow: SMS allowed.
  k = await startTestKairos({ config: { clock: 'manual' }, manualClockStart: msk('2026-12-08T10:00:00') });
  await k.kairos.segmentSweep.runIfDue();
  await k.kairos.host.flush();
}, 180_000);
afterAll(async () => {
  await k.close();
});

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

/** The run campaign's messages queued so far (SMS and e-mail). */
async function queued(): Promise<number> {
  let n = 0;
  for (const channel of ['sms', 'email']) n += (await k.kairos.store.listOutbox(channel, 100_000)).filter((r) => r.campaign === 'pension-deposit-run').length;
  return n;
}

async function settle(): Promise<void> {
  await k.kairos.outboundRuns.tick();
  await k.kairos.outboundRuns.idle();
  await k.kairos.host.flush();
}

describe('outbound run counts', () => {
  it('counts a customer held off by the day\'s capacity once, however often the run is paused and resumed', async () => {
    const policy = await api('GET', '/v1/policy');
    await api('PUT', '/v1/policy', { ...policy, channelCapacity: { sms: { perDay: 50 }, email: { perDay: 50 } } });
    const run = await api('POST', '/v1/campaigns/pension-deposit-run/runs');
    await settle();
    const first = await api('GET', `/v1/runs/${run.id}`);
    expect(first).toMatchObject({ state: 'waiting', waitingFor: 'capacity', selected: 0 });
    const f = first.funnel;
    // those decided for good: offered (the day's 100 messages), held out, or suppressed for another reason; those held off by capacity are not counted yet
    expect(f.offered).toBe(100);
    expect(f.suppressedBy.no_channel).toBeUndefined();
    expect(f.decided).toBe(f.offered + f.control + f.suppressed + f.waiting);

    // paused and resumed twice: the page is handed over again, its customers answer the same or are held off again
    for (let i = 0; i < 2; i++) {
      await api('POST', `/v1/runs/${run.id}/pause`);
      await api('POST', `/v1/runs/${run.id}/resume`);
      await settle();
    }
    const again = await api('GET', `/v1/runs/${run.id}`);
    expect(again).toMatchObject({ state: 'waiting', waitingFor: 'capacity' });
    expect(again.funnel).toEqual(f);

    // the next day (from 09:00, SMS allowed), the held-off ones are decided and counted, once
    await api('POST', '/v1/clock', { now: again.waitingUntil });
    await settle();
    const next = await api('GET', `/v1/runs/${run.id}`);
    expect(next.funnel.decided).toBeGreaterThan(f.decided);
    expect(next.funnel.offered).toBe(200);
    expect(next.funnel.decided).toBe(next.funnel.offered + next.funnel.control + next.funnel.suppressed + next.funnel.waiting);
    await api('POST', `/v1/runs/${run.id}/cancel`);
    await api('PUT', '/v1/policy', policy);
  }, 180_000);

  it('offers nobody after a cancel or a pause is answered; a paused run hands the page over again, each customer once', async () => {
    const members = (await api('GET', '/v1/segments/clients_60_plus')).size as number;
    // cancelled in the middle of its first page
    const cancelled = await api('POST', '/v1/campaigns/pension-deposit-run/runs');
    const ack = await api('POST', `/v1/runs/${cancelled.id}/cancel`);
    const queuedAtAck = await queued();
    expect(ack.state).toBe('cancelled');
    expect(ack.funnel.decided).toBeLessThan(members);
    await settle();
    const later = await api('GET', `/v1/runs/${cancelled.id}`);
    expect(later.funnel).toEqual(ack.funnel);
    expect(await queued()).toBe(queuedAtAck);

    // paused in the middle of its first page: nothing more until resumed, then everyone once
    const paused = await api('POST', '/v1/campaigns/pension-deposit-run/runs');
    const held = await api('POST', `/v1/runs/${paused.id}/pause`);
    const queuedAtPause = await queued();
    expect(held.state).toBe('paused');
    await settle();
    expect((await api('GET', `/v1/runs/${paused.id}`)).funnel).toEqual(held.funnel);
    expect(await queued()).toBe(queuedAtPause);
    await api('POST', `/v1/runs/${paused.id}/resume`);
    await settle();
    const done = await api('GET', `/v1/runs/${paused.id}`);
    expect(done).toMatchObject({ state: 'done', selected: members });
    expect(done.funnel.decided).toBe(members);
    expect(done.funnel.suppressedBy.run_paused).toBeUndefined();
  }, 180_000);

  it('a run done with deferred messages still waiting can be cancelled, which drops them; one with none cannot', async () => {
    // An SMS-only run at 22:30 in Moscow over the clients aged 55 to 60: every SMS it makes waits for 09:00.
    await api('PUT', '/v1/campaigns/night-sms-run', {
      name: 'SMS run at night',
      status: 'active',
      offer: 'pension-deposit',
      channels: ['sms'],
      outbound: { segments: ['clients_55_60'] },
      groups: [{ id: 'all', when: { attr: 'segment.clients_55_60', op: 'eq', value: true }, responsePercent: 10 }],
      expiresIn: '3d',
    });
    await api('POST', '/v1/clock', { now: msk('2026-12-08T22:30:00') });
    const run = await api('POST', '/v1/campaigns/night-sms-run/runs');
    await settle();
    const done = await api('GET', `/v1/runs/${run.id}`);
    expect(done.state).toBe('done');
    expect(done.funnel.waiting).toBeGreaterThan(100);
    // a pause says what it would hold, and is refused; the cancel drops them
    const refused = await fetch(`${k.httpUrl}/v1/runs/${run.id}/pause`, { method: 'POST', headers: adminHeaders });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { detail: string }).detail).toContain(`${done.funnel.waiting} deferred messages`);
    const cancelled = await api('POST', `/v1/runs/${run.id}/cancel`);
    expect(cancelled).toMatchObject({ state: 'cancelled', finishedAt: done.finishedAt, selected: done.selected });
    await api('POST', '/v1/clock', { now: msk('2026-12-09T09:00:30') });
    await k.kairos.host.flush();
    const morning = await api('GET', `/v1/runs/${run.id}`);
    expect(morning.funnel.waiting).toBe(0);
    expect(morning.funnel.suppressedBy.run_cancelled).toBe(done.funnel.waiting);
    expect((await k.kairos.store.listOutbox('sms', 100_000)).filter((r) => r.campaign === 'night-sms-run')).toEqual([]);
    // a run done with nothing waiting: nothing to cancel
    const day = await api('POST', '/v1/campaigns/night-sms-run/runs');
    await settle();
    expect((await api('GET', `/v1/runs/${day.id}`)).funnel.waiting).toBe(0);
    const nothing = await fetch(`${k.httpUrl}/v1/runs/${day.id}/cancel`, { method: 'POST', headers: adminHeaders });
    expect(nothing.status).toBe(409);
    expect(((await nothing.json()) as { detail: string }).detail).toContain('no deferred message waiting');
  }, 180_000);
});
