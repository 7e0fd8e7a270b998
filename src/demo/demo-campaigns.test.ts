import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, msk, startTestKairos, uid } from '../test-support/test-kairos.js';

/**
 * The demo bank's four campaigns, each through a real WebSocket client against the started
 * server on the embedded defaults (demo catalog, all 45,211 demo customers).
 * Customers used: demo-19 (60, client), demo-1 (58), demo-3 (33), demo-35 (51, balance
 * 1 063 500 ₽), demo-2 / demo-4 / demo-5 for the lunch offer, demo-33 for the stop list.
 */

let k: TestKairos;
let gw: GatewayClient;

beforeAll(async () => {
  // The events carry fixed dates (5 to 23 November 2026): the server's clock is just after them,
  // and takes events up to 30 days old.
  k = await startTestKairos({ config: { store: 'memory', clock: 'manual', maxEventAgeMs: 30 * 86_400_000 }, manualClockStart: msk('2026-11-23T21:00:00') });
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
});


function event(type: string, customer: Record<string, string>, fields: Record<string, unknown> = {}): Promise<Frame> {
  return gw.request({ t: 'event', id: uid(), type, customer, ...fields });
}

async function card(id: string): Promise<Record<string, any>> {
  const res = await fetch(`${k.httpUrl}/v1/customers/${id}`, { headers: adminHeaders });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

const actions = (f: Frame): Array<Record<string, any>> => {
  expect(f.t).toBe('decision');
  return f.actions as Array<Record<string, any>>;
};

describe('the demo bank', () => {
  it('loaded every row of the data set as a customer with a Russian name, phone and card', async () => {
    const status = (await (await fetch(`${k.httpUrl}/v1/status`, { headers: adminHeaders })).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ demo: true, store: 'memory' });
    expect(await k.kairos.store.countImported()).toBe(45_211);
    const last = await card('demo-45211');
    expect(last.profile).toMatchObject({ age: 37, job: 'entrepreneur', marital: 'married', education: 'secondary', balance: 297_100 });
    const first = await card('demo-1');
    expect(first.profile).toMatchObject({ age: 58, job: 'management', education: 'tertiary', creditDefault: false, housingLoan: true, personalLoan: false });
    expect(first.profile.firstName).toMatch(/^[А-ЯЁ][а-яё]+$/);
    expect(first.identifiers.phone[0]).toMatch(/^\+79\d{9}$/);
    expect(first.identifiers.card).toEqual(['card-1']);
    expect(first.stage).toBe('client');
  });
});

describe('(a) ATM shortfall micro-credit', () => {
  it('texts "не хватает 200 рублей" within the decision, and a reply "1" accepts it', async () => {
    const declined = await event(
      'atm.withdrawal.declined',
      { card: 'card-19' },
      { channel: 'atm', at: msk('2026-11-23T10:00:00'), location: { lat: 55.7577, lon: 37.6156, place: 'msk-atm-0042' }, data: { requested: 1000, balance: 800, currency: 'RUB' } },
    );
    expect(declined.customer).toBe('demo-19');
    const [sms] = actions(declined);
    expect(sms).toMatchObject({ campaign: 'atm-shortfall', offer: 'atm-microcredit', channel: 'sms' });
    expect(sms!.content.text).toMatch(/^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+(вна|чна|ична), не хватает 200\u00a0рублей\? Ответьте 1/);

    const reply = await event('sms.received', { phone: (await card('demo-19')).identifiers.phone[0] }, { at: msk('2026-11-23T10:01:00'), data: { text: '1' } });
    expect(actions(reply)).toEqual([]);
    const after = await card('demo-19');
    expect(after.responses).toEqual([expect.objectContaining({ instance: sms!.instance, outcome: 'accepted' })]);
    expect(after.contacts[0]).toMatchObject({ instance: sms!.instance, outcome: 'accepted', delivery: 'queued' });
    await k.kairos.host.flush();
    const backoffice = (await (await fetch(`${k.httpUrl}/v1/outbox/backoffice`, { headers: adminHeaders })).json()) as { entries: Frame[] };
    expect(backoffice.entries).toEqual([expect.objectContaining({ action: 'issue_credit', instance: sms!.instance, vars: { shortfall: 200 } })]);
  });

  it('accepts through a response frame too', async () => {
    const declined = await event('atm.withdrawal.declined', { id: 'demo-9' }, { at: msk('2026-11-23T10:00:00'), data: { requested: 5000, balance: 4850 } });
    const [sms] = actions(declined);
    expect(sms!.content.text).toContain('не хватает 200\u00a0рублей');
    const ack = await gw.request({ t: 'response', id: uid('r'), instance: sms!.instance, outcome: 'accepted', data: { reply: '1' } });
    expect(ack).toEqual({ t: 'ack', re: expect.any(String) });
  });

  it('stays silent when the balance covers the request', async () => {
    const f = await event('atm.withdrawal.declined', { id: 'demo-14' }, { at: msk('2026-11-23T10:00:00'), data: { requested: 100, balance: 5000 } });
    expect(actions(f)).toEqual([]);
  });
});

describe('(b) "Пенсионный" deposit', () => {
  it('is offered in the internet bank to a client of 60', async () => {
    const f = await event('ib.login', { id: 'demo-19' }, { channel: 'ib', at: msk('2026-11-23T11:00:00') });
    const [a] = actions(f);
    expect(a).toMatchObject({ campaign: 'pension-deposit', channel: 'ib' });
    expect(a!.content.title).toBe('Вклад «Пенсионный» — 17\u00a0% годовых');
    expect(a!.content.buttons).toEqual([
      { id: 'accept', label: 'Открыть вклад' },
      { id: 'later', label: 'Не сейчас' },
    ]);
    expect((await card('demo-19')).lastDecision).toContainEqual(expect.objectContaining({ campaign: 'pension-deposit', verdict: 'offered', group: 'age-60-plus', score: 500 }));
  });

  it('is offered to a 58-year-old in the 5 % group, and read to the call-centre operator', async () => {
    const f = await event('callcenter.call', { id: 'demo-1' }, { channel: 'callcenter', at: msk('2026-11-23T11:00:00') });
    const [a] = actions(f);
    expect(a).toMatchObject({ campaign: 'pension-deposit', channel: 'callcenter' });
    expect(a!.content.script).toMatch(/^Обратитесь к клиенту по имени и отчеству: «[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+»\. Предложите вклад «Пенсионный»/);
    expect((await card('demo-1')).lastDecision).toContainEqual(expect.objectContaining({ campaign: 'pension-deposit', group: 'age-55-60', score: 250 }));
  });

  it('is not offered to a 33-year-old', async () => {
    const f = await event('ib.login', { id: 'demo-3' }, { channel: 'ib', at: msk('2026-11-23T11:00:00') });
    expect(actions(f)).toEqual([]);
    expect((await card('demo-3')).lastDecision).toContainEqual({ campaign: 'pension-deposit', verdict: 'suppressed', reason: 'not_in_target_group' });
  });
});

describe('(c) restaurant lunch near the branch', () => {
  const branch = { lat: 55.7614, lon: 37.609, place: 'msk-tverskaya' };
  async function eatOut(customerId: string): Promise<void> {
    for (const [day, mcc] of [['2026-11-05', '5812'], ['2026-11-12', '5814'], ['2026-11-20', '5812']] as const) {
      const f = await event('card.transaction', { id: customerId }, { channel: 'pos', at: msk(`${day}T13:10:00`), data: { amount: 850, mcc, merchant: 'Кафе' } });
      expect(actions(f)).toEqual([]);
    }
  }

  it('texts a client with 3 restaurant transactions who visits a branch at 12:30 the partner’s address and the way there', async () => {
    await eatOut('demo-2');
    const f = await event('branch.visit', { id: 'demo-2' }, { channel: 'branch', at: msk('2026-11-23T12:30:00'), location: branch });
    const sms = actions(f).find((a) => a.campaign === 'lunch-restaurant');
    expect(sms).toMatchObject({ channel: 'sms', offer: 'lunch-partner' });
    expect(sms!.content.text).toContain('кафе «Сытый лис», Камергерский пер., 5: бизнес-ланч −20 % по нашей карте');
    expect(sms!.content.text).toMatch(/Пешком \d+ мин на (север|северо-восток|восток|юго-восток|юг|юго-запад|запад|северо-запад): https:\/\/yandex\.ru\/maps\/\?rtext=55\.761400,37\.609000~55\.760100,37\.612600&rtt=pd$/);
    expect((await card('demo-2')).segments).toHaveProperty('restaurant_lovers');
  });

  it('is silent for the same kind of client at 19:00', async () => {
    await eatOut('demo-4');
    const f = await event('branch.visit', { id: 'demo-4' }, { channel: 'branch', at: msk('2026-11-23T19:00:00'), location: branch });
    expect(actions(f).filter((a) => a.campaign === 'lunch-restaurant')).toEqual([]);
    expect((await card('demo-4')).lastDecision).toContainEqual({ campaign: 'lunch-restaurant', verdict: 'suppressed', reason: 'outside_hours:19:00' });
  });

  it('is silent for a client who does not eat out', async () => {
    const f = await event('branch.visit', { id: 'demo-5' }, { channel: 'branch', at: msk('2026-11-23T12:30:00'), location: branch });
    expect(actions(f).filter((a) => a.campaign === 'lunch-restaurant')).toEqual([]);
  });
});

describe('(d) a large idle balance', () => {
  it('gets a personal deposit rate when the client logs into the internet bank', async () => {
    const f = await event('ib.login', { id: 'demo-35' }, { channel: 'ib', at: msk('2026-11-23T09:00:00') });
    const [a] = actions(f);
    expect(a).toMatchObject({ campaign: 'idle-balance-rate', offer: 'personal-deposit-rate', channel: 'ib' });
    expect(a!.content.title).toBe('Персональная ставка 17\u00a0%');
    expect(a!.content.text).toContain('Предложение действует до 30.11.2026');
  });

  it('reaches the teller at a branch visit as a script', async () => {
    const f = await event('branch.visit', { id: 'demo-66' }, { channel: 'branch', at: msk('2026-11-23T09:30:00'), location: { lat: 55.7527, lon: 37.5877, place: 'msk-arbat' } });
    expect(actions(f)).toEqual([expect.objectContaining({ campaign: 'idle-balance-rate', channel: 'branch', content: { script: expect.stringContaining('16,5\u00a0% годовых') } })]);
  });
});

describe('policy', () => {
  it('gives nothing to a customer on the stop list, by phone, and says why', async () => {
    const phone = (await card('demo-33')).identifiers.phone[0] as string;
    const added = await fetch(`${k.httpUrl}/v1/stop-list`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ kind: 'phone', value: phone, reason: 'asked not to be contacted' }) });
    expect(added.status).toBe(201);
    const entry = (await added.json()) as Record<string, string>;
    expect(entry.hint).toMatch(/^\+7 \*\*\* \*\*\* \*\* \d\d$/);
    expect(JSON.stringify(entry)).not.toContain(phone);

    const f = await event('ib.login', { id: 'demo-33' }, { channel: 'ib', at: msk('2026-11-23T11:00:00') });
    expect(actions(f)).toEqual([]);
    expect((await card('demo-33')).lastDecision).toContainEqual({ campaign: 'pension-deposit', verdict: 'suppressed', reason: 'stop_list' });

    const removed = await fetch(`${k.httpUrl}/v1/stop-list/${entry.key}`, { method: 'DELETE', headers: adminHeaders });
    expect(removed.status).toBe(204);
    const again = await event('ib.login', { id: 'demo-33' }, { channel: 'ib', at: msk('2026-11-23T11:05:00') });
    expect(actions(again)).toHaveLength(1);
  });

  it('erases a customer on request; an opt-out by phone outlives the profile', async () => {
    const before = await card('demo-88');
    const phone = before.identifiers.phone[0] as string;
    expect((await fetch(`${k.httpUrl}/v1/stop-list`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ kind: 'phone', value: phone, reason: 'erasure request' }) })).status).toBe(201);
    const erased = await fetch(`${k.httpUrl}/v1/customers/demo-88`, { method: 'DELETE', headers: adminHeaders });
    expect(await erased.json()).toEqual({ erased: 'demo-88', identifiers: 3 });
    expect((await fetch(`${k.httpUrl}/v1/customers/demo-88`, { headers: adminHeaders })).status).toBe(404);
    expect(await event('ib.login', { id: 'demo-88' })).toMatchObject({ t: 'error', code: 'unknown_customer' });
    // The same phone comes back as a stranger: a new prospect, still on the stop list.
    const again = await event('atm.withdrawal.declined', { phone }, { at: msk('2026-11-23T10:00:00'), data: { requested: 1000, balance: 800 } });
    expect(again.customer).toMatch(/^p-/);
    expect(actions(again)).toEqual([]);
    const view = await card(again.customer as string);
    expect(view.profile).toEqual({});
    expect(view.contacts).toEqual([]);
    expect(view.lastDecision).toEqual([{ campaign: 'atm-shortfall', verdict: 'suppressed', reason: 'stop_list' }]);
  });

  it('makes one marketing contact per channel per day', async () => {
    const first = await event('atm.withdrawal.declined', { id: 'demo-43' }, { at: msk('2026-11-23T08:00:00'), data: { requested: 1000, balance: 500 } });
    expect(actions(first)).toHaveLength(1);
    // The offer is counted from the server's clock (still open at the second event): answered "later", it is closed.
    expect(await gw.request({ t: 'response', id: uid('r'), instance: actions(first)[0]!.instance, outcome: 'later' })).toMatchObject({ t: 'ack' });
    const second = await event('atm.withdrawal.declined', { id: 'demo-43' }, { at: msk('2026-11-23T20:00:00'), data: { requested: 3000, balance: 500 } });
    expect(actions(second)).toEqual([]);
    expect((await card('demo-43')).lastDecision).toEqual([expect.objectContaining({ reason: 'cap:sms:1_per_1d' })]);
  });

  it('stops marketing SMS at once when the customer replies "СТОП", until consent is given again', async () => {
    const phone = (await card('demo-71')).identifiers.phone[0] as string;
    expect(actions(await event('sms.received', { phone }, { at: msk('2026-11-23T09:00:00'), data: { text: 'СТОП' } }))).toEqual([]);
    const after = await card('demo-71');
    expect(after.consents.sms).toMatchObject({ granted: false, source: 'sms_reply' });
    const declined = await event('atm.withdrawal.declined', { id: 'demo-71' }, { at: msk('2026-11-23T10:00:00'), data: { requested: 1000, balance: 800 } });
    expect(actions(declined)).toEqual([]);
    expect((await card('demo-71')).lastDecision).toEqual([expect.objectContaining({ campaign: 'atm-shortfall', reason: 'no_channel:sms=no_consent' })]);
    await event('consent.granted', { id: 'demo-71' }, { at: msk('2026-11-23T10:30:00'), data: { channel: 'sms' } });
    const again = await event('atm.withdrawal.declined', { id: 'demo-71' }, { at: msk('2026-11-23T11:00:00'), data: { requested: 1000, balance: 800 } });
    expect(actions(again)).toHaveLength(1);
  });

  it('creates a visitor for an unknown cookie and a prospect for an unknown phone', async () => {
    const v = await event('web.pageview', { cookie: 'ck-new-visitor' }, { channel: 'web', data: { url: '/deposits' } });
    expect(v.customer).toMatch(/^v-[0-9a-f]{16}$/);
    expect((await card(v.customer as string)).stage).toBe('visitor');
    const again = await event('web.pageview', { cookie: 'ck-new-visitor' }, { channel: 'web' });
    expect(again.customer).toBe(v.customer);
    const p = await event('web.form', { cookie: 'ck-new-visitor', phone: '+7 (916) 555-01-01' }, { channel: 'web' });
    expect(p.customer).toBe(v.customer);
    const view = await card(v.customer as string);
    expect(view.stage).toBe('prospect');
    expect(view.identifiers.phone).toEqual(['+79165550101']);
    const byPhone = await event('web.pageview', { phone: '89165550101' }, { channel: 'web' });
    expect(byPhone.customer).toBe(v.customer);
    const prospect = await event('atm.withdrawal.declined', { card: 'card-of-another-bank' }, { data: { requested: 1000, balance: 800 } });
    expect(prospect.customer).toMatch(/^p-/);
    expect(actions(prospect)).toEqual([]);
  });

  it('answers unknown_customer for a bank customer id it has never been given', async () => {
    const f = await event('ib.login', { id: 'demo-999999' });
    expect(f).toMatchObject({ t: 'error', code: 'unknown_customer', message: expect.stringContaining('demo-999999') });
  });
});
