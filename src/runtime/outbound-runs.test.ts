import { afterAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, msk, startTestKairos, tempDir, uid, until } from '../test-support/test-kairos.js';
import { runMetaKey } from './outbound-runs.js';

/**
 * The pension run over the demo bank (LMDB, manual clock): every client over 60 is handed
 * the outbound campaign once, through their actor. SMS where it may go, e-mail where it may
 * not, a tenth held out, quiet hours deferring (not dropping) what the night blocks, caps kept;
 * a run redone from an earlier page contacts nobody twice; the status adds up.
 */

const data = tempDir();
let k: TestKairos | undefined;
afterAll(async () => {
  await k?.close();
  data.remove();
});

async function start(at: number): Promise<TestKairos> {
  await k?.close();
  k = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { clock: 'manual', segmentSweepMs: 0 }, manualClockStart: at });
  return k;
}

async function api(method: string, path: string, body?: unknown, status?: number): Promise<any> {
  const res = await fetch(`${k!.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (status !== undefined) expect(res.status, `${method} ${path}`).toBe(status);
  else expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

/** The run's outbox records (SMS and e-mail, seeds aside) per customer. */
async function contactsOf(run: string): Promise<Map<string, number>> {
  const per = new Map<string, number>();
  for (const channel of ['sms', 'email']) {
    for (const r of await k!.kairos.store.listOutbox(channel, 100_000)) {
      if (r.kind !== 'offer' || r.campaign !== 'pension-deposit-run' || r.seed === true) continue;
      const card = await api('GET', `/v1/customers/${r.customer}`);
      if (!card.contacts.some((c: { instance: string; run?: string }) => c.instance === r.instance && c.run === run)) continue;
      per.set(r.customer, (per.get(r.customer) ?? 0) + 1);
    }
  }
  return per;
}

/**
 * A fresh demo bank at 22:30 in Moscow on a Wednesday (quiet hours for SMS until 09:00), its
 * segments swept, and the first twenty clients over 60 without e-mail consent (for them only
 * the SMS is left, and the night blocks it): their ids.
 */
async function nightWithTwentyWithoutEmail(): Promise<string[]> {
  data.remove();
  await start(msk('2026-12-09T22:30:00'));
  await k!.kairos.segmentSweep.runIfDue();
  await k!.kairos.host.flush();
  const { members } = await api('GET', '/v1/segments/clients_60_plus/members?limit=20');
  const gw = await GatewayClient.connect(k!.wsUrl);
  for (const id of members as string[]) await gw.request({ t: 'event', id: uid(), type: 'consent.revoked', customer: { id }, data: { channel: 'email' } });
  gw.close();
  return members as string[];
}

/** Waits until the run has deferred messages waiting (its first page, the twenty on it, decided). */
async function deferredSome(run: string): Promise<void> {
  await until(`${run} deferring`, async () => (((await api('GET', `/v1/runs/${run}`)).funnel.waiting as number) > 0 ? true : undefined), 60_000);
}

describe('outbound runs', () => {
  it('hand every client over 60 the pension deposit once: SMS or e-mail, a control group, and a status that adds up', async () => {
    // A Tuesday morning in Moscow: SMS allowed.
    await start(msk('2026-12-08T10:00:00'));
    await k!.kairos.segmentSweep.runIfDue();
    await k!.kairos.host.flush();
    const members = (await api('GET', '/v1/segments/clients_60_plus')).size as number;
    expect(members).toBeGreaterThan(1000);

    // Not outbound, unknown: refused.
    expect((await api('POST', '/v1/campaigns/pension-deposit/runs', undefined, 409)).code).toBe('conflict');
    expect((await api('POST', '/v1/campaigns/nope/runs', undefined, 404)).code).toBe('not_found');

    const run = await api('POST', '/v1/campaigns/pension-deposit-run/runs', undefined, 201);
    expect(run).toMatchObject({ campaign: 'pension-deposit-run', segments: ['clients_60_plus'], state: 'running', startedBy: 'hand' });
    // one open run a campaign
    expect((await api('POST', '/v1/campaigns/pension-deposit-run/runs', undefined, 409)).detail).toMatch(/has run .* running/);
    await k!.kairos.outboundRuns.idle();
    // the gauges as the engine left them, before any read of the run through the API
    const metrics = await (await fetch(`${k!.httpUrl}/metrics`)).text();

    const status = await api('GET', `/v1/runs/${run.id}`);
    expect(status).toMatchObject({ state: 'done', selected: members, gone: 0 });
    const f = status.funnel;
    // every customer decided once; each decision is an offer, a hold-out, a deferral or a suppression
    expect(f.decided).toBe(members);
    expect(f.offered + f.control + f.suppressed + f.deferred).toBe(members);
    expect(f.control / members).toBeGreaterThan(0.05);
    expect(f.control / members).toBeLessThan(0.15);
    expect(f.offered).toBeGreaterThan(members / 2);

    // the gauges a dashboard reads
    expect(metrics).toContain(`kairos_outbound_run{run="${run.id}",campaign="pension-deposit-run",stage="selected"} ${members}`);
    expect(metrics).toContain(`kairos_outbound_run{run="${run.id}",campaign="pension-deposit-run",stage="offered"} ${f.offered}`);
    expect(metrics).toContain(`kairos_outbound_run_state{run="${run.id}",campaign="pension-deposit-run",state="done"} 1`);

    const contacts = await contactsOf(run.id);
    expect(contacts.size).toBe(f.offered);
    expect([...contacts.values()].every((n) => n === 1)).toBe(true);

    // Redone from the start (as after a crash before any page was recorded): nobody is contacted again.
    const before = (await k!.kairos.store.listOutbox('sms', 100_000)).length + (await k!.kairos.store.listOutbox('email', 100_000)).length;
    await k!.kairos.store.putMeta(`outbound/slice/${run.id}/0`, { done: false, selected: 0, gone: 0, pages: 0 });
    await k!.kairos.store.putMeta(runMetaKey(run.id), { ...status, funnel: undefined, state: 'running', finishedAt: undefined });
    await k!.kairos.outboundRuns.tick();
    await k!.kairos.outboundRuns.idle();
    const after = (await k!.kairos.store.listOutbox('sms', 100_000)).length + (await k!.kairos.store.listOutbox('email', 100_000)).length;
    expect(after).toBe(before);
    const again = await api('GET', `/v1/runs/${run.id}`);
    expect(again).toMatchObject({ state: 'done', selected: members });
    expect(again.funnel.decided).toBe(members);

    // A second run the same day: the caps (one SMS a day) and recency hold, so it offers nobody by SMS again.
    const second = await api('POST', '/v1/campaigns/pension-deposit-run/runs', undefined, 201);
    await k!.kairos.outboundRuns.idle();
    const s2 = await api('GET', `/v1/runs/${second.id}`);
    expect(s2.state).toBe('done');
    expect(s2.funnel.offered).toBe(0);
    expect(s2.funnel.decided).toBe(members);
  }, 180_000);

  it('at night defers the SMS to the morning instead of dropping it; pause, resume and cancel', async () => {
    // A Wednesday, 22:30 in Moscow: twenty clients without e-mail consent, whose SMS the night blocks.
    const noEmail = await nightWithTwentyWithoutEmail();
    const run = await api('POST', '/v1/campaigns/pension-deposit-run/runs', undefined, 201);
    const paused = await api('POST', `/v1/runs/${run.id}/pause`);
    expect(paused.state).toBe('paused');
    await k!.kairos.outboundRuns.idle();
    expect((await api('POST', `/v1/runs/${run.id}/pause`, undefined, 409)).code).toBe('conflict');
    await api('POST', `/v1/runs/${run.id}/resume`);
    await k!.kairos.outboundRuns.idle();
    const s = await api('GET', `/v1/runs/${run.id}`);
    expect(s.state).toBe('done');
    // E-mail is not under quiet hours: who may get one gets it now. The twenty's SMS waits for 09:00 (a tenth held out).
    expect(s.funnel.deferred).toBeGreaterThanOrEqual(14);
    expect(s.funnel.deferred).toBeLessThanOrEqual(20);
    expect(s.funnel.waiting).toBe(s.funnel.deferred);
    expect(s.funnel.offered + s.funnel.control + s.funnel.deferred + s.funnel.suppressed).toBe(s.selected);
    const smsAtNight = (await k!.kairos.store.listOutbox('sms', 100_000)).filter((r) => r.campaign === 'pension-deposit-run').length;
    expect(smsAtNight).toBe(0);
    await api('POST', '/v1/clock', { now: msk('2026-12-10T09:00:30') });
    const morning = await api('GET', `/v1/runs/${run.id}`);
    expect(morning.funnel.waiting).toBe(0);
    const sms = (await k!.kairos.store.listOutbox('sms', 100_000)).filter((r) => r.campaign === 'pension-deposit-run');
    expect(sms.length).toBe(s.funnel.deferred);
    expect(sms.every((r) => (noEmail).includes(r.customer))).toBe(true);
    expect(new Set(sms.map((r) => r.customer)).size).toBe(sms.length);
    expect(morning.funnel.offered).toBe(s.funnel.offered + sms.length);

    const third = await api('POST', '/v1/campaigns/pension-deposit-run/runs', undefined, 201);
    const cancelled = await api('POST', `/v1/runs/${third.id}/cancel`);
    expect(cancelled.state).toBe('cancelled');
    await k!.kairos.outboundRuns.idle();
    expect((await api('POST', `/v1/runs/${third.id}/resume`, undefined, 409)).code).toBe('conflict');
    expect((await api('GET', '/v1/runs?campaign=pension-deposit-run')).runs.map((r: { id: string }) => r.id)).toEqual([run.id, third.id]);
  }, 180_000);

  it('sends no deferred message of a cancelled run, and holds a paused run\'s until it runs again', async () => {
    // 22:30 in Moscow: the SMS of the twenty without e-mail consent is deferred to 09:00.
    const noEmail = await nightWithTwentyWithoutEmail();
    const smsOf = async (run: string): Promise<string[]> => [...(await contactsOf(run)).keys()].filter((c) => (noEmail).includes(c));

    // Cancelled once its first page (the twenty are on it) deferred their SMS: at 09:00 none goes.
    const cancelled = await api('POST', '/v1/campaigns/pension-deposit-run/runs', undefined, 201);
    await deferredSome(cancelled.id);
    const ack = await api('POST', `/v1/runs/${cancelled.id}/cancel`);
    await k!.kairos.outboundRuns.idle();
    const night = await api('GET', `/v1/runs/${cancelled.id}`);
    expect(night.state).toBe('cancelled');
    expect(night.funnel.waiting).toBeGreaterThan(0);
    // nothing decided for the run after the cancel was answered
    expect(night.funnel).toEqual(ack.funnel);
    await api('POST', '/v1/clock', { now: msk('2026-12-10T09:00:30') });
    const after = await api('GET', `/v1/runs/${cancelled.id}`);
    expect(await smsOf(cancelled.id)).toEqual([]);
    expect(after.funnel.waiting).toBe(0);
    expect(after.funnel.suppressedBy.run_cancelled).toBe(night.funnel.waiting);
    expect((await k!.kairos.store.listOutbox('sms', 100_000)).filter((r) => r.campaign === 'pension-deposit-run')).toEqual([]);

    // Paused at once the next night: at 09:00 the deferred SMS wait again (the run is paused), and go once it runs again.
    await api('POST', '/v1/clock', { now: msk('2026-12-10T22:30:00') });
    const paused = await api('POST', '/v1/campaigns/pension-deposit-run/runs', undefined, 201);
    await deferredSome(paused.id);
    await api('POST', `/v1/runs/${paused.id}/pause`);
    await k!.kairos.outboundRuns.idle();
    const held = (await api('GET', `/v1/runs/${paused.id}`)).funnel.waiting as number;
    expect(held).toBeGreaterThan(0);
    await api('POST', '/v1/clock', { now: msk('2026-12-11T09:00:30') });
    const morning = await api('GET', `/v1/runs/${paused.id}`);
    expect(morning.state).toBe('paused');
    expect(morning.funnel.waiting).toBe(held);
    expect(await smsOf(paused.id)).toEqual([]);
    await api('POST', `/v1/runs/${paused.id}/resume`);
    await k!.kairos.outboundRuns.idle();
    expect((await api('GET', `/v1/runs/${paused.id}`)).state).toBe('done');
    // an hour after the retry that found the run paused, in the customer's allowed hours
    await api('POST', '/v1/clock', { now: msk('2026-12-11T10:01:30') });
    const resumed = await api('GET', `/v1/runs/${paused.id}`);
    expect(resumed.funnel.waiting).toBe(0);
    expect((await smsOf(paused.id)).length).toBe(held);
    expect(resumed.funnel.suppressedBy.run_cancelled).toBeUndefined();
  }, 180_000);
});
