import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_MANUAL_CLOCK_MS } from '../clock.js';
import { demoCatalogPath } from '../paths.js';
import type { Frame } from '../test-support/test-kairos.js';
import { adminHeaders, msk, serverForFile, uid } from '../test-support/test-kairos.js';
import { problemBody } from '../schema/http/problem.js';

/**
 * The catalog admin API against the started server: marketers change segments, offers,
 * templates, campaigns and the policy without a developer and without a restart; invalid
 * definitions are refused naming the field; every change is versioned and audited.
 */

// The events carry fixed dates (23–25 November 2026): the server's clock is just after them.
const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: msk('2026-11-25T12:00:00') });

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = adminHeaders): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const login = (customer: string, iso: string): Promise<Frame> =>
  server.gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id: customer }, channel: 'ib', at: msk(iso) });

describe('catalog admin API', () => {
  it('serves the catalog in force, seeded from demo/catalog.yaml as version 1', async () => {
    const r = await api('GET', '/v1/catalog');
    expect(r.status).toBe(200);
    expect(r.body.version).toBe(1);
    expect(r.body.campaigns.map((c: { id: string }) => c.id)).toEqual(['atm-shortfall', 'pension-deposit', 'pension-deposit-followup', 'pension-deposit-run', 'credit-card-calls', 'credit-card-warm-lead', 'lunch-restaurant', 'idle-balance-rate', 'warm-lead-callback', 'insurance-renewal', 'retention-cashback']);
    expect((await api('GET', '/v1/campaigns/pension-deposit')).body.groups.map((g: { responsePercent: number }) => g.responsePercent)).toEqual([10, 5]);
    expect((await api('GET', '/v1/campaigns/nope')).status).toBe(404);
  });

  it('adds an offer and a campaign that reach live customers at once', async () => {
    // demo-4 is 47: nothing in the internet bank yet.
    expect((await login('demo-4', '2026-11-23T10:00:00')).actions).toEqual([]);
    const offer = await api('PUT', '/v1/offers/travel-card', {
      name: 'Карта путешественника',
      value: 2000,
      params: { miles: 3 },
      templates: { ib: { title: 'Карта путешественника', text: '{{customer.name}}, {{offer.miles}} мили за каждые 100 рублей.', buttons: [{ id: 'accept', label: 'Оформить' }] } },
    });
    expect(offer.status).toBe(201);
    const campaign = await api('PUT', '/v1/campaigns/travel-card-40s', {
      name: 'Карта путешественника для клиентов 40–49',
      status: 'active',
      offer: 'travel-card',
      channels: ['ib'],
      trigger: { events: ['ib.login'] },
      groups: [{ id: 'forties', when: { attr: 'profile.age', op: 'between', value: [40, 49] }, responsePercent: 4 }],
    });
    expect(campaign).toEqual({ status: 201, body: { version: 3, created: true } });
    const decision = await login('demo-4', '2026-11-23T10:05:00');
    expect(decision.actions).toEqual([expect.objectContaining({ campaign: 'travel-card-40s', channel: 'ib', content: expect.objectContaining({ text: expect.stringMatching(/, 3 мили за каждые 100 рублей\.$/) }) })]);
  });

  it('changes a template live, and refuses an unknown variable at save time naming the field', async () => {
    const bad = await api('PUT', '/v1/offers/travel-card/templates/ib', { title: 'Карта', text: '{{customer.nickname}}, оформите карту.' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(problemBody('invalid', expect.stringMatching(/^field "templates\.ib\.text": unknown variable "customer\.nickname"/)));
    const good = await api('PUT', '/v1/offers/travel-card/templates/ib', { title: 'Карта путешественника', text: '{{customer.name}}, мили за покупки — карта путешественника.' });
    expect(good.status).toBe(200);
    // demo-2 is 44: in the campaign's group, and not offered the card yet.
    const decision = await login('demo-2', '2026-11-23T10:00:00');
    expect((decision.actions as Frame[])[0]).toMatchObject({ campaign: 'travel-card-40s', content: { text: expect.stringMatching(/, мили за покупки — карта путешественника\.$/) } });
  });

  it('finds no template under a name an object inherits (constructor) or that is no channel: 404, nothing written', async () => {
    const before = await api('GET', '/v1/catalog/history');
    for (const channel of ['constructor', 'fax']) {
      const got = await api('GET', `/v1/offers/atm-microcredit/templates/${channel}`);
      expect(got, channel).toEqual({ status: 404, body: problemBody('not_found', `offer "atm-microcredit" has no ${channel} template`) });
      const gone = await api('DELETE', `/v1/offers/atm-microcredit/templates/${channel}`);
      expect(gone, channel).toEqual({ status: 404, body: problemBody('not_found', `offer "atm-microcredit" has no ${channel} template`) });
    }
    expect(await api('GET', '/v1/catalog/history')).toEqual(before);
    // a channel the offer has no template for is 404 too; its own template is served
    expect((await api('GET', '/v1/offers/atm-microcredit/templates/email')).status).toBe(404);
    expect((await api('GET', '/v1/offers/atm-microcredit/templates/sms')).status).toBe(200);
  });

  it('refuses invalid definitions with a 400 naming the field, and changes nothing', async () => {
    const before = (await api('GET', '/v1/catalog')).body.version;
    const cases: Array<[string, unknown, RegExp]> = [
      ['/v1/campaigns/x', { name: 'X', status: 'active', offer: 'travel-card', channels: ['ib'], trigger: { events: ['ib.login'] }, groups: [{ id: 'g', when: { attr: 'segment.nobody', op: 'eq', value: true }, responsePercent: 5 }] }, /^field "groups\[0\]\.when\.attr": unknown segment "nobody"/],
      ['/v1/campaigns/x', { name: 'X', status: 'active', offer: 'no-such-offer', channels: ['ib'], trigger: { events: ['ib.login'] }, groups: [] }, /^field "offer": unknown offer "no-such-offer"/],
      ['/v1/campaigns/x', { name: 'X', status: 'running' }, /^field "status": must be one of draft, scheduled, active, paused, completed/],
      ['/v1/segments/y', { name: 'Y', rule: { attr: 'profile.age', op: 'between', value: [60] } }, /^field "rule\.value": "between" needs \[low, high\]/],
      ['/v1/features/z', { events: ['card.transaction'], aggregate: 'avg', windowDays: 30 }, /^field "aggregate": must be one of count, sum, min, max, days, daysSince/],
      ['/v1/campaigns/Bad Id', { name: 'X' }, /^field "id": must be an id/],
    ];
    for (const [path, body, message] of cases) {
      const r = await api('PUT', path, body);
      expect(r.status, path).toBe(400);
      expect(r.body.detail).toMatch(message);
    }
    expect((await api('PUT', '/v1/campaigns/x', { id: 'y' })).body.detail).toBe('field "id": "y" does not match the path\'s "x"');
    expect((await api('GET', '/v1/catalog')).body.version).toBe(before);
  });

  it('refuses to delete an offer a campaign still uses (409), and deletes it once free', async () => {
    const conflict = await api('DELETE', '/v1/offers/travel-card');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual(problemBody('conflict', 'campaigns[travel-card-40s].offer: unknown offer "travel-card"'));
    expect((await api('DELETE', '/v1/campaigns/travel-card-40s')).status).toBe(200);
    expect((await api('DELETE', '/v1/offers/travel-card')).status).toBe(200);
    expect((await api('DELETE', '/v1/offers/travel-card')).status).toBe(404);
  });

  it('moves campaigns along their lifecycle: a paused campaign is silent, a completed one cannot come back', async () => {
    const paused = await api('POST', '/v1/campaigns/pension-deposit/status', { status: 'paused' });
    expect(paused.body).toMatchObject({ from: 'active', to: 'paused' });
    const silent = await login('demo-19', '2026-11-23T11:00:00');
    expect(silent.actions).toEqual([]);
    const why = await api('POST', '/v1/customers/demo-19/explain', { type: 'ib.login', channel: 'ib', at: msk('2026-11-23T11:00:00') });
    expect(why.body.explain).toContainEqual({ campaign: 'pension-deposit', verdict: 'suppressed', reason: 'inactive:paused' });
    await api('POST', '/v1/campaigns/pension-deposit/status', { status: 'active' });
    expect(((await login('demo-19', '2026-11-23T11:05:00')).actions as Frame[])[0]).toMatchObject({ campaign: 'pension-deposit' });
    expect((await api('POST', '/v1/campaigns/lunch-restaurant/status', { status: 'completed' })).status).toBe(200);
    const back = await api('POST', '/v1/campaigns/lunch-restaurant/status', { status: 'active' });
    expect(back).toEqual({ status: 409, body: problemBody('conflict', 'a completed campaign cannot become active') });
    expect((await api('POST', '/v1/campaigns/nope/status', { status: 'active' })).status).toBe(404);
  });

  it('changes the contact policy, refusing a bad one', async () => {
    const policy = (await api('GET', '/v1/policy')).body;
    const bad = await api('PUT', '/v1/policy', { ...policy, caps: [{ channel: 'fax', max: 1, window: '1d' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^field "caps\[0\]\.channel": must be a channel/);
    const good = await api('PUT', '/v1/policy', { ...policy, minResponsePercent: 20 });
    expect(good.status).toBe(200);
    // 10 % is now under the floor: the pension deposit stays silent.
    const why = await api('POST', '/v1/customers/demo-33/explain', { type: 'ib.login', channel: 'ib' });
    expect(why.body.explain).toContainEqual(expect.objectContaining({ campaign: 'pension-deposit', reason: 'below_propensity_floor' }));
    await api('PUT', '/v1/policy', policy);
  });

  it('explains a moment without recording anything', async () => {
    const before = (await api('GET', '/v1/customers/demo-60')).body;
    const r = await api('POST', '/v1/customers/demo-60/explain', { type: 'atm.withdrawal.declined', channel: 'atm', at: msk('2026-11-23T12:00:00'), data: { requested: 1000, balance: 800 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ customer: 'demo-60', at: msk('2026-11-23T12:00:00') });
    expect(r.body.actions).toEqual([expect.objectContaining({ campaign: 'atm-shortfall', channel: 'sms' })]);
    expect(r.body.explain).toEqual([expect.objectContaining({ campaign: 'atm-shortfall', verdict: 'offered' })]);
    const after = (await api('GET', '/v1/customers/demo-60')).body;
    expect(after.contacts).toEqual(before.contacts);
    expect(after.lastEventAt).toEqual(before.lastEventAt);
    expect((await api('POST', '/v1/customers/nobody/explain', { type: 'ib.login' })).status).toBe(404);
    expect((await api('POST', '/v1/customers/demo-60/explain', { channel: 'ib' })).body).toEqual(problemBody('invalid', 'field "type": is required'));
    // a moment past any date is refused; the end of 9999 is still a moment
    expect((await api('POST', '/v1/customers/demo-60/explain', { type: 'ib.login', at: Number.MAX_SAFE_INTEGER })).body).toEqual(problemBody('invalid', `field "at": must be at most ${MAX_MANUAL_CLOCK_MS} (the end of 9999)`));
    expect((await api('POST', '/v1/customers/demo-60/explain', { type: 'ib.login', at: MAX_MANUAL_CLOCK_MS })).status).toBe(200);
  });

  it('previews a campaign’s texts with the SMS length, for a sample or a real customer', async () => {
    const sample = await api('POST', '/v1/campaigns/atm-shortfall/preview', { data: { requested: 1000, balance: 830 }, at: msk('2026-11-23T10:00:00') });
    expect(sample.status).toBe(200);
    expect(sample.body).toEqual({
      campaign: 'atm-shortfall',
      customer: 'sample',
      previews: [
        {
          channel: 'sms',
          content: { text: 'Ирина Петровна, не хватает 200\u00a0рублей? Ответьте 1 — зачислим их на карту в кредит на 30 дней. Ответ ждём до 11:00.' },
          sms: { encoding: 'ucs2', units: 114, parts: 2, remaining: 20 },
        },
      ],
    });
    const real = await api('POST', '/v1/campaigns/pension-deposit/preview', { customer: 'demo-19', type: 'ib.login' });
    expect(real.body.previews.map((p: { channel: string }) => p.channel)).toEqual(['ib', 'callcenter']);
    expect(real.body.previews[1].content.script).toMatch(/^Обратитесь к клиенту по имени и отчеству: «[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+»/);
    const noData = await api('POST', '/v1/campaigns/atm-shortfall/preview', {});
    expect(noData.body.previews).toEqual([{ channel: 'sms', problem: 'missing_data:shortfall' }]);
    const far = await api('POST', '/v1/campaigns/lunch-restaurant/preview', { location: { lat: 59.93, lon: 30.31 } });
    expect(far.body.previews).toEqual([{ channel: 'sms', problem: 'no_partner_nearby' }]);
    const lunch = await api('POST', '/v1/campaigns/lunch-restaurant/preview', { location: { lat: 55.7614, lon: 37.609, place: 'msk-tverskaya' } });
    expect(lunch.body.previews[0].sms).toMatchObject({ encoding: 'ucs2', parts: 4 });
    expect(lunch.body.previews[0]).not.toHaveProperty('problem');
    expect((await api('POST', '/v1/campaigns/nope/preview', {})).status).toBe(404);
    expect((await api('POST', '/v1/campaigns/atm-shortfall/preview', { customer: 'nobody' })).status).toBe(404);
  });

  it('replaces the whole catalog from YAML, naming the line of a syntax error', async () => {
    const yaml = readFileSync(demoCatalogPath(), 'utf8').replace('responsePercent: 30', 'responsePercent: 35');
    const bad = await api('PUT', '/v1/catalog', 'campaigns: [unclosed', { ...adminHeaders, 'Content-Type': 'application/yaml' });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^body:1:\d+: /);
    const r = await api('PUT', '/v1/catalog', yaml, { ...adminHeaders, 'Content-Type': 'application/yaml' });
    expect(r.status).toBe(200);
    expect((await api('GET', '/v1/campaigns/atm-shortfall')).body.groups[0].responsePercent).toBe(35);
    expect((await api('GET', '/v1/campaigns')).body.items.map((c: { id: string }) => c.id)).not.toContain('travel-card-40s');
  });

  it('keeps every version and an audit trail of who changed what', async () => {
    const history = (await api('GET', '/v1/catalog/history?limit=1000')).body.entries as Array<Record<string, unknown>>;
    expect(history[0]).toMatchObject({ action: 'seed', version: 1, by: 'kairos', detail: 'demo/catalog.yaml' });
    expect(history.map((h) => h.action)).toEqual(expect.arrayContaining(['create', 'update', 'delete', 'status', 'policy', 'replace']));
    expect(history.every((h) => h.action === 'seed' || /^key:[0-9a-f]{6}$/.test(h.by as string))).toBe(true);
    const versions = history.map((h) => h.version as number);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    const v1 = (await api('GET', '/v1/catalog/versions/1')).body;
    expect(v1.campaigns.find((c: { id: string }) => c.id === 'atm-shortfall').groups[0].responsePercent).toBe(30);
    expect((await api('GET', '/v1/catalog/versions/9999')).status).toBe(404);
  });

  it('stops a campaign when its budget is spent, counting across customers', async () => {
    const campaign = (await api('GET', '/v1/campaigns/atm-shortfall')).body;
    const r = await api('PUT', '/v1/campaigns/atm-shortfall', { ...campaign, budget: { maxContacts: 100, maxCost: 7, costPerChannel: { sms: 3.5 } } });
    expect(r.status).toBe(200);
    const shortfall = (customer: string): Promise<Frame> =>
      server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: customer }, at: msk('2026-11-24T10:00:00'), data: { requested: 1000, balance: 800 } });
    expect((await shortfall('demo-101')).actions).toHaveLength(1);
    expect((await shortfall('demo-102')).actions).toHaveLength(1);
    // Two SMS at 3.50 ₽: the 7 ₽ budget is spent.
    expect((await shortfall('demo-103')).actions).toEqual([]);
    const why = (await api('GET', '/v1/customers/demo-103')).body.lastDecision;
    expect(why).toEqual([{ campaign: 'atm-shortfall', verdict: 'suppressed', reason: 'budget_spent' }]);
  });

  it('learns each group’s response probability from responses, across customers', async () => {
    const before = (await api('GET', '/v1/campaigns/pension-deposit/propensity')).body;
    const start = before.groups.find((g: { group: string }) => g.group === 'age-60-plus');
    expect(start).toMatchObject({ prior: 0.1 });
    // Three clients of 60+ accept the deposit in the internet bank.
    for (const id of ['demo-67', 'demo-93', 'demo-94']) {
      const d = await login(id, '2026-11-25T10:00:00');
      const offer = (d.actions as Frame[]).find((a) => a.campaign === 'pension-deposit');
      expect(offer, id).toBeDefined();
      expect(await server.gw.request({ t: 'response', id: uid('r'), instance: offer!.instance, outcome: 'accepted' })).toMatchObject({ t: 'ack' });
    }
    const after = (await api('GET', '/v1/campaigns/pension-deposit/propensity')).body;
    const learnt = after.groups.find((g: { group: string }) => g.group === 'age-60-plus');
    expect(learnt.positives).toBe(start.positives + 3);
    expect(learnt.probability).toBeGreaterThan(start.probability);
    expect((await api('GET', '/v1/campaigns/nope/propensity')).status).toBe(404);
  });

  it('keeps the changed catalog and the budgets spent across a restart', async () => {
    const version = (await api('GET', '/v1/catalog')).body.version as number;
    await server.restart();
    expect(server.k.logs).toContainEqual(expect.objectContaining({ msg: 'catalog loaded from the store', version }));
    expect((await api('GET', '/v1/campaigns/atm-shortfall')).body.groups[0].responsePercent).toBe(35);
    const after = await server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: 'demo-104' }, at: msk('2026-11-24T10:00:00'), data: { requested: 1000, balance: 800 } });
    expect(after.actions).toEqual([]);
    const learnt = (await api('GET', '/v1/campaigns/pension-deposit/propensity')).body.groups.find((g: { group: string }) => g.group === 'age-60-plus');
    expect(learnt.positives).toBeGreaterThanOrEqual(3);
  });
});
