import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import type { CustomerHost } from '../runtime/customer-host.js';
import { MemoryStore } from '../store/memory-store.js';
import { adminHeaders, serverForFile, uid, yesterdayMsk } from '../test-support/test-kairos.js';
import { patchCustomer, putCustomer } from './customer-import-routes.js';

/**
 * The bank's customers through the admin API on a real server (manual clock): the NDJSON import
 * with its counts and rejects, a body many times the payload limit streamed with progress lines,
 * a client that goes away midway, PUT and PATCH of one customer, and a live customer's imported
 * change reaching its actor: a campaign triggered by `profile.updated`, a move to former client.
 */

const start = yesterdayMsk('12:00');
const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: start });
const year = new Date(start).getUTCFullYear();

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = adminHeaders): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const ndjson = { ...adminHeaders, 'Content-Type': 'application/x-ndjson' };

describe('the customer import routes', () => {
  it('imports NDJSON with counts and rejects, and the same body twice changes nothing', async () => {
    const body = [
      JSON.stringify({ id: 'bank-1', first_name: 'Анна', phone: '8 916 555-00-01', email: 'Anna@Example.ru', consent_email: true, tier: 'gold' }),
      JSON.stringify({ id: 'bank-2', first_name: 'Борис', birth_date: '1970-13-01' }),
      JSON.stringify({ id: 'bank-3', phone: ['+79165550001'] }),
      '{not json',
    ].join('\n');
    const first = await api('POST', '/v1/customers/import', body, ndjson);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ rows: 4, created: 1, updated: 0, unchanged: 0, rejected: 3 });
    expect(first.body.rejects.map((r: { line: number; column: string; reason: string }) => [r.line, r.column, r.reason])).toEqual([
      [2, 'birth_date', 'invalid_date'],
      [3, 'phone', 'identifier_taken'],
      [4, '', 'unreadable_row'],
    ]);
    expect(first.body.summary).toMatch(/^import: rows=4 created=1 updated=0 unchanged=0 rejected=3 s=\d+\.\d$/);
    const card = await api('GET', '/v1/customers/bank-1');
    expect(card.body).toMatchObject({ id: 'bank-1', stage: 'client', profile: { firstName: 'Анна' }, identifiers: { phone: ['+79165550001'], email: ['anna@example.ru'] } });
    const again = await api('POST', '/v1/customers/import', body, ndjson);
    expect(again.body).toMatchObject({ rows: 4, created: 0, updated: 0, unchanged: 1, rejected: 3 });
    expect((await api('POST', '/v1/customers/import', body)).status).toBe(415);
  });

  it('puts and patches one customer, refusing a bad value naming the column, and an unknown id for PATCH', async () => {
    expect((await api('PUT', '/v1/customers/bank-10', { first_name: 'Вера', city: 'Омск' })).body).toEqual({ id: 'bank-10', outcome: 'created' });
    expect((await api('PUT', '/v1/customers/bank-10', { first_name: 'Вера', city: 'Омск' })).body).toEqual({ id: 'bank-10', outcome: 'unchanged' });
    expect((await api('PATCH', '/v1/customers/bank-10', { city: 'Томск' })).body).toEqual({ id: 'bank-10', outcome: 'updated' });
    expect((await api('GET', '/v1/customers/bank-10')).body.profile).toMatchObject({ firstName: 'Вера', city: 'Томск' });
    const bad = await api('PUT', '/v1/customers/bank-11', { phone: '12345' });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('invalid_phone');
    const unborn = await api('PATCH', '/v1/customers/bank-10', { birth_date: '3000-01-01' });
    expect(unborn.status).toBe(400);
    expect(unborn.body.detail).toBe('field "birth_date": invalid_date');
    expect((await api('PATCH', '/v1/customers/nobody-here', { city: 'Омск' })).status).toBe(404);
    expect((await api('PUT', '/v1/customers/bank-12', { id: 'other' })).status).toBe(400);
  });

  it('gives an identifier to one customer when several requests claim it at once', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `race-${i}`);
    const replies = await Promise.all([
      ...ids.map((id) => api('PUT', `/v1/customers/${id}`, { first_name: 'Ян', phone: '+79161112233' })),
      api('POST', '/v1/customers/import', JSON.stringify({ id: 'race-import', phone: '8 916 111-22-33' }), ndjson),
    ]);
    const created = replies.filter((r) => r.body?.outcome === 'created' || r.body?.created === 1);
    expect(created).toHaveLength(1);
    for (const r of replies.slice(0, ids.length)) if (r.body?.outcome !== 'created') expect([r.status, r.body.detail]).toEqual([400, 'field "phone": identifier_taken']);
    const holders: string[] = [];
    for (const id of [...ids, 'race-import']) if ((await api('GET', `/v1/customers/${id}`)).body?.identifiers?.phone?.includes('+79161112233') === true) holders.push(id);
    expect(holders).toHaveLength(1);
    expect((await api('GET', '/v1/customers?phone=%2B79161112233')).body.customers.map((c: { id: string }) => c.id)).toEqual(holders);
  });

  it("answers a PATCH's consents against the customer's state: a withdrawal reaches one who granted consent by an event since", async () => {
    expect((await api('PUT', '/v1/customers/wd-1', { first_name: 'Алла', phone: '+79167770021', consent_sms: false })).body.outcome).toBe('created');
    await server.gw.request({ t: 'event', id: uid(), type: 'consent.granted', customer: { id: 'wd-1' }, channel: 'web', data: { channels: ['sms'] } });
    expect((await api('GET', '/v1/customers/wd-1')).body.consents.sms.granted).toBe(true);
    // the record still says no: the state is what is answered
    const patch = await api('PATCH', '/v1/customers/wd-1?reason=phone%20call', { consent_sms: false });
    expect(patch.body).toEqual({ id: 'wd-1', outcome: 'updated' });
    expect((await api('GET', '/v1/customers/wd-1')).body.consents.sms.granted).toBe(false);
    const trail = await api('GET', '/v1/audit?action=customer.patch&target=wd-1');
    expect(trail.body.entries.at(-1)).toMatchObject({ before: { consents: { sms: true } }, after: { consents: { sms: false }, reason: 'phone call' } });
    // asked again, nothing moves
    expect((await api('PATCH', '/v1/customers/wd-1', { consent_sms: false })).body.outcome).toBe('unchanged');
    // a grant the record already held is not given again over the customer's own withdrawal (a bank system repeating its record)
    expect((await api('PUT', '/v1/customers/wd-2', { first_name: 'Ада', consent_sms: true })).body.outcome).toBe('created');
    await server.gw.request({ t: 'event', id: uid(), type: 'consent.revoked', customer: { id: 'wd-2' }, channel: 'web', data: { channels: ['sms'] } });
    expect((await api('PUT', '/v1/customers/wd-2', { first_name: 'Ада', consent_sms: true })).body.outcome).toBe('unchanged');
    expect((await api('GET', '/v1/customers/wd-2')).body.consents.sms.granted).toBe(false);
  });

  it('audits concurrent PATCHes of one customer as they were applied: each entry starts where the one before ended', async () => {
    expect((await api('PUT', '/v1/customers/cc-1', { first_name: 'Ия', phone: '+79167770031', consent_sms: true })).body.outcome).toBe('created');
    expect((await api('GET', '/v1/customers/cc-1')).status).toBe(200);
    // withdrawals and grants at once, each named by its reason
    const asks = Array.from({ length: 10 }, (_, i) => i % 2 === 1);
    const replies = await Promise.all(asks.map((sms, i) => api('PATCH', `/v1/customers/cc-1?reason=p${i}`, { consent_sms: sms })));
    for (const r of replies) expect(r.status).toBe(200);
    const entries = (await api('GET', '/v1/audit?action=customer.patch&target=cc-1')).body.entries as Array<{ seq: number; before?: { consents?: Record<string, boolean> }; after: { outcome: string; reason: string; consents?: Record<string, boolean> } }>;
    expect(entries).toHaveLength(asks.length);
    // In the trail's order, each PATCH met the state the one before left: a move from it (its
    // before that state, its after its own answer) or nothing to move (unchanged, no consents).
    let sms = true;
    let moves = 0;
    for (const e of entries) {
      const i = Number(e.after.reason.slice(1));
      const asked = asks[i]!;
      expect(replies[i]!.body.outcome, e.after.reason).toBe(e.after.outcome);
      if (asked === sms) {
        expect({ outcome: e.after.outcome, before: e.before, after: e.after.consents }, e.after.reason).toEqual({ outcome: 'unchanged', before: undefined, after: undefined });
      } else {
        expect({ outcome: e.after.outcome, before: e.before, after: e.after.consents }, e.after.reason).toEqual({ outcome: 'updated', before: { consents: { sms } }, after: { sms: asked } });
        sms = asked;
        moves++;
      }
    }
    expect(moves).toBeGreaterThan(0);
    // and the trail ends where the customer is: its state and its record
    const card = (await api('GET', '/v1/customers/cc-1')).body;
    expect(card.consents.sms.granted).toBe(sms);
    expect((await server.k.kairos.store.getCustomer('cc-1'))?.consents?.sms?.granted).toBe(sms);
  });

  it('withdraws a consent by PATCH from a customer not in memory (never read, or read before a restart) as from a live one: audit entry, event, send check', async () => {
    const kinds = ['live', 'never-read', 'restarted'] as const;
    for (const [i, kind] of kinds.entries()) expect((await api('PUT', `/v1/customers/cold-${kind}`, { first_name: 'Ия', birth_date: `${year - 40}-01-01`, phone: `+7916777004${i}`, consent_sms: true })).body.outcome).toBe('created');
    // read before the restart: a state made from the record, never written, gone with the server
    expect((await api('GET', '/v1/customers/cold-restarted')).body.consents.sms.granted).toBe(true);
    await server.restart();
    // read since: in memory
    expect((await api('GET', '/v1/customers/cold-live')).body.consents.sms.granted).toBe(true);
    for (const kind of kinds) {
      const id = `cold-${kind}`;
      expect((await api('PATCH', `/v1/customers/${id}?reason=${encodeURIComponent('asked by phone')}`, { consent_sms: false })).body, kind).toEqual({ id, outcome: 'updated' });
      const entry = (await api('GET', `/v1/audit?action=customer.patch&target=${id}`)).body.entries.at(-1);
      expect({ before: entry.before, after: entry.after }, kind).toEqual({ before: { consents: { sms: true } }, after: { outcome: 'updated', fields: ['consent_sms'], consents: { sms: false }, reason: 'asked by phone' } });
      // the state was told the withdrawal as an event (what campaigns and reports of opt-outs see)
      expect((await api('GET', `/v1/customers/${id}`)).body.consents.sms, kind).toMatchObject({ granted: false, source: 'consent.revoked' });
      // and the send check refuses the SMS a declined ATM withdrawal would bring
      const decision = await server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id }, channel: 'atm', data: { requested: 1000, balance: 800 } });
      expect(decision.actions, kind).toEqual([]);
      expect((await api('GET', `/v1/customers/${id}`)).body.lastDecision, kind).toEqual([expect.objectContaining({ campaign: 'atm-shortfall', reason: 'no_channel:sms=no_consent' })]);
    }
  });

  it('withdraws a consent by PUT, or by the import route, from a customer not in memory as from a live one', async () => {
    const kinds = ['live', 'never-read', 'imported'] as const;
    const row = (i: number, sms: boolean) => ({ first_name: 'Ия', birth_date: `${year - 40}-01-01`, phone: `+7916777005${i}`, consent_sms: sms });
    for (const [i, kind] of kinds.entries()) expect((await api('PUT', `/v1/customers/cold-put-${kind}`, row(i, true))).body.outcome).toBe('created');
    expect((await api('GET', '/v1/customers/cold-put-live')).body.consents.sms.granted).toBe(true);
    for (const [i, kind] of kinds.entries()) {
      const id = `cold-put-${kind}`;
      if (kind === 'imported') expect((await api('POST', '/v1/customers/import', JSON.stringify({ id, ...row(i, false) }), ndjson)).body).toMatchObject({ updated: 1, rejected: 0 });
      else expect((await api('PUT', `/v1/customers/${id}`, row(i, false))).body, kind).toEqual({ id, outcome: 'updated' });
      expect((await api('GET', `/v1/customers/${id}`)).body.consents.sms, kind).toMatchObject({ granted: false, source: 'consent.revoked' });
      const decision = await server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id }, channel: 'atm', data: { requested: 1000, balance: 800 } });
      expect(decision.actions, kind).toEqual([]);
    }
  });

  it("applies, tells and audits two PATCHes at once as one step each, though the customer's state is slow to read", async () => {
    // The customer's state (its consents) as a host keeps it; its first read waits (the
    // customer's mailbox busy), so the second PATCH would read the record and the state while
    // the first one still waits on it.
    const store = new MemoryStore();
    const clock = new ManualClock(start);
    let sms = true;
    let reads = 0;
    const host = {
      async view() {
        if (reads++ === 0) await sleep(50);
        return { consents: { sms: { granted: sms } } };
      },
      submitEvent(e: GatewayEvent) {
        if (e.type === 'consent.revoked' || e.type === 'consent.granted') sms = e.type === 'consent.granted';
        return Promise.resolve({ kind: 'accepted' });
      },
      submitMasterData: () => Promise.resolve({ kind: 'accepted' }),
      // a new customer brought into its segments at once
      checkSegments: () => Promise.resolve(true),
    } as unknown as CustomerHost;
    const d = { host, store, clock, logger: createLogger('silent') };
    const caller = { principal: { name: 'privacy-console', role: 'privacy' as const } };
    expect(await putCustomer(d, 'two-1', { first_name: 'Ия', consent_sms: true }, caller)).toBe('created');
    const [revoke, grant] = await Promise.all([patchCustomer(d, 'two-1', { consent_sms: false }, 'first', caller), patchCustomer(d, 'two-1', { consent_sms: true }, 'second', caller)]);
    // one after the other: the withdrawal, then the grant over it
    expect([revoke, grant]).toEqual(['updated', 'updated']);
    const entries = (await store.listAudit(0, 10)).filter((e) => e.action === 'customer.patch');
    expect(entries.map((e) => [e.after, e.before])).toEqual([
      [{ outcome: 'updated', fields: ['consent_sms'], consents: { sms: false }, reason: 'first' }, { consents: { sms: true } }],
      [{ outcome: 'updated', fields: ['consent_sms'], consents: { sms: true }, reason: 'second' }, { consents: { sms: false } }],
    ]);
    // the trail ends where the record and the state are
    expect(sms).toBe(true);
    expect((await store.getCustomer('two-1'))?.consents?.sms?.granted).toBe(true);
  });

  it('gives a customer events made (a prospect) its first master data as an update its state sees', async () => {
    await server.gw.request({ t: 'event', id: uid(), type: 'web.login', customer: { phone: '+79167770001' }, channel: 'web' });
    await server.gw.request({ t: 'event', id: uid(), type: 'consent.granted', customer: { phone: '+79167770001' }, channel: 'web', data: { channels: ['sms'] } });
    const id = (await api('GET', '/v1/customers?phone=%2B79167770001')).body.customers[0].id as string;
    expect((await api('PATCH', `/v1/customers/${id}`, { city: 'Омск', consent_sms: false })).body).toEqual({ id, outcome: 'updated' });
    const card = (await api('GET', `/v1/customers/${id}`)).body;
    expect(card.profile.city).toBe('Омск');
    expect(card.consents.sms.granted).toBe(false);
    expect((await api('PATCH', `/v1/customers/${id}`, { city: 'Омск', consent_sms: false })).body.outcome).toBe('unchanged');
  });

  it("frees a phone the customer's master data no longer lists, for the bank to give to another customer", async () => {
    expect((await api('PUT', '/v1/customers/rel-1', { first_name: 'Олег', phone: '+79167770011' })).body.outcome).toBe('created');
    // live, so its state has the phone too; named by the phone twice, so the server remembers whose it is
    await server.gw.request({ t: 'event', id: uid(), type: 'web.login', customer: { id: 'rel-1' }, channel: 'web' });
    for (let i = 0; i < 2; i++) expect(await server.gw.request({ t: 'event', id: uid(), type: 'web.login', customer: { phone: '+79167770011' }, channel: 'web' })).toMatchObject({ customer: 'rel-1' });
    expect((await api('PUT', '/v1/customers/rel-1', { first_name: 'Олег', phone: '+79167770012' })).body.outcome).toBe('updated');
    expect((await api('GET', '/v1/customers?phone=%2B79167770011')).body.customers).toEqual([]);
    expect((await api('GET', '/v1/customers/rel-1')).body.identifiers.phone).toEqual(['+79167770012']);
    expect((await api('GET', '/v1/customers?phone=%2B79167770012')).body.customers.map((c: { id: string }) => c.id)).toEqual(['rel-1']);
    expect((await api('PUT', '/v1/customers/rel-2', { first_name: 'Инна', phone: '+79167770011' })).body.outcome).toBe('created');
    expect((await api('GET', '/v1/customers?phone=%2B79167770011')).body.customers.map((c: { id: string }) => c.id)).toEqual(['rel-2']);
    // an event naming the old number reaches its new holder
    const reply = await server.gw.request({ t: 'event', id: uid(), type: 'web.login', customer: { phone: '+79167770011' }, channel: 'web' });
    expect(reply).toMatchObject({ t: 'decision', customer: 'rel-2' });
  });

  it('clears a phone, e-mail or card list given empty ([], "", null) by PATCH, PUT or the import route, freeing it for another customer', async () => {
    const owners = async (kind: string, value: string): Promise<string[]> => ((await api('GET', `/v1/customers?${kind}=${encodeURIComponent(value)}`)).body as { customers: Array<{ id: string }> }).customers.map((c) => c.id);
    expect((await api('PUT', '/v1/customers/MV1', { phone: '+79160000103', email: 'mv1@example.ru', card: '4276000000000103' })).body.outcome).toBe('created');
    expect((await api('PATCH', '/v1/customers/MV1', { phone: [] })).body.outcome).toBe('updated');
    expect((await api('PATCH', '/v1/customers/MV1', { phone: [] })).body.outcome).toBe('unchanged');
    expect(await owners('phone', '+79160000103')).toEqual([]);
    expect((await api('GET', '/v1/customers/MV1')).body.identifiers).toMatchObject({ phone: [], email: ['mv1@example.ru'] });
    expect((await api('PUT', '/v1/customers/MV2', { phone: '+79160000103' })).body.outcome).toBe('created');
    expect(await owners('phone', '+79160000103')).toEqual(['MV2']);
    expect((await api('PATCH', '/v1/customers/MV1', { email: null })).body.outcome).toBe('updated');
    expect((await api('PUT', '/v1/customers/MV1', { card: '' })).body.outcome).toBe('updated');
    expect(await owners('email', 'mv1@example.ru')).toEqual([]);
    expect(await owners('card', '4276000000000103')).toEqual([]);
    // through the import route: MV2's number cleared, then taken by a later line of the same body
    const body = [JSON.stringify({ id: 'MV2', phone: [] }), JSON.stringify({ id: 'MV3', phone: '+79160000103', email: 'mv1@example.ru' })].join('\n');
    expect((await api('POST', '/v1/customers/import', body, ndjson)).body).toMatchObject({ rows: 2, created: 1, updated: 1, rejected: 0 });
    expect(await owners('phone', '+79160000103')).toEqual(['MV3']);
    expect((await api('GET', '/v1/customers/MV2')).body.identifiers.phone).toEqual([]);
  });

  it('gives a number an earlier line of an import releases to a later line (one request), and refuses a swap', async () => {
    const put = async (id: string, phone: string) => expect((await api('PUT', `/v1/customers/${id}`, { phone })).status).toBe(200);
    await put('RT1', '+79160000111');
    await put('RT2', '+79160000112');
    const reassign = [JSON.stringify({ id: 'RT1', phone: '+79160000113' }), JSON.stringify({ id: 'RT2', phone: '+79160000111' })].join('\n');
    const first = await api('POST', '/v1/customers/import', reassign, ndjson);
    expect(first.body).toMatchObject({ rows: 2, updated: 2, rejected: 0 });
    expect((await api('GET', '/v1/customers?phone=%2B79160000111')).body.customers.map((c: { id: string }) => c.id)).toEqual(['RT2']);
    expect((await api('POST', '/v1/customers/import', reassign, ndjson)).body).toMatchObject({ unchanged: 2, rejected: 0 });
    // a swap: each line names the other's number, still linked when it is checked
    const swap = [JSON.stringify({ id: 'RT1', phone: '+79160000111' }), JSON.stringify({ id: 'RT2', phone: '+79160000113' })].join('\n');
    expect((await api('POST', '/v1/customers/import', swap, ndjson)).body).toMatchObject({ updated: 0, rejected: 2 });
  });

  it("feeds a live customer's imported change to its actor: a profile.updated campaign, then former client", async () => {
    const put = await api('PUT', '/v1/customers/bank-20', {
      first_name: 'Ольга',
      patronymic: 'Ивановна',
      last_name: 'Кузнецова',
      birth_date: `${year - 50}-01-01`,
      email: 'olga@example.ru',
      consent_email: true,
      stage: 'client',
    });
    expect(put.body.outcome).toBe('created');
    // live: the customer has an actor now
    await server.gw.request({ t: 'event', id: uid(), type: 'web.login', customer: { id: 'bank-20' }, channel: 'web' });
    const campaign = await api('PUT', '/v1/campaigns/import-60-plus', {
      name: 'Вклад для клиентов 60+ после обновления данных',
      status: 'active',
      offer: 'pension-deposit',
      channels: ['email'],
      trigger: { events: ['profile.updated'] },
      groups: [{ id: 'sixty', when: { attr: 'profile.age', op: 'gte', value: 60 }, responsePercent: 10 }],
    });
    expect(campaign.status).toBe(201);
    expect((await api('GET', '/v1/customers/bank-20')).body.contacts).toEqual([]);
    // the bank corrects the birth date: 62 now
    expect((await api('PATCH', '/v1/customers/bank-20', { birth_date: `${year - 62}-01-01` })).body.outcome).toBe('updated');
    const card = (await api('GET', '/v1/customers/bank-20')).body;
    expect(card.profile.age).toBe(62);
    expect(card.contacts).toEqual([expect.objectContaining({ campaign: 'import-60-plus', channel: 'email' })]);
    expect((await api('PATCH', '/v1/customers/bank-20', { stage: 'former_client' })).body.outcome).toBe('updated');
    expect((await api('GET', '/v1/customers/bank-20')).body.stage).toBe('formerClient');
  });

  it('streams a body many times the payload limit, with a progress line per batch, and a bad or too long line is a reject, not a stop', async () => {
    const limit = server.k.kairos.config.maxPayloadBytes;
    const rows: string[] = [];
    for (let i = 1; i <= 12_000; i++) rows.push(JSON.stringify({ id: `big-${i}`, first_name: 'Пётр', city: 'Казань', email: `big-${i}@example.ru`, note: 'x'.repeat(40) }));
    rows[5999] = '{"id": "big-6000", not json';
    rows[6999] = JSON.stringify({ id: 'big-7000', note: 'y'.repeat(limit + 10) });
    const body = `${rows.join('\n')}\n`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(10 * limit);
    const res = await fetch(`${server.k.httpUrl}/v1/customers/import`, { method: 'POST', headers: { ...ndjson, Accept: 'application/x-ndjson' }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.filter((l) => 'progress' in l).map((l) => l.progress as unknown)).toEqual([
      { rows: 5000, rejected: 0 },
      { rows: 10_000, rejected: 2 },
      { rows: 12_000, rejected: 2 },
    ]);
    // each reject comes before the progress line of its batch
    expect(lines.slice(1, 4).map((l) => Object.keys(l)[0])).toEqual(['reject', 'reject', 'progress']);
    expect(lines[1]!.reject).toMatchObject({ line: 6000, column: '', reason: 'unreadable_row', raw: '{"id": "big-6000", not json' });
    expect(lines[2]!.reject).toMatchObject({ line: 7000, column: '', reason: 'unreadable_row' });
    expect(lines[2]!.reject.raw).toMatch(new RegExp(`^\\{"id":"big-7000","note":"y+ \\[line longer than ${limit} bytes\\]$`));
    expect(lines[2]!.reject.raw.length).toBeLessThan(300);
    const last = lines.at(-1)!;
    expect(last).toMatchObject({ rows: 12_000, created: 11_998, updated: 0, unchanged: 0, rejected: 2 });
    expect(last.summary).toMatch(/^import: rows=12000 created=11998 updated=0 unchanged=0 rejected=2 s=\d+\.\d$/);
    expect((await api('GET', '/v1/customers/big-12000')).body).toMatchObject({ id: 'big-12000', identifiers: { email: ['big-12000@example.ru'] } });
    expect((await api('GET', '/v1/customers/big-6000')).status).toBe(404);
    // the JSON reply takes a big body too (no 413), as today's shape
    const again = await api('POST', '/v1/customers/import', body, ndjson);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ rows: 12_000, created: 0, unchanged: 11_998, rejected: 2, progress: [5000, 10_000, 12_000] });
    expect(again.body.rejects.map((r: { line: number }) => r.line)).toEqual([6000, 7000]);
    // refused before a byte is read: the reply comes while the body is still arriving
    const refused = await fetch(`${server.k.httpUrl}/v1/customers/import`, { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('unauthorized');
    expect((await api('GET', '/health')).status).toBe(200);
  });

  it('sends every reject of a body whose rejects outgrow what the server holds of its reply unread', async () => {
    const rows: string[] = [];
    for (let i = 1; i <= 10_000; i++) rows.push(JSON.stringify({ id: `bad-${i}`, birth_date: 'никогда', pad: 'p'.repeat(200) }));
    const res = await fetch(`${server.k.httpUrl}/v1/customers/import`, { method: 'POST', headers: { ...ndjson, Accept: 'application/x-ndjson' }, body: rows.join('\n') });
    const text = await res.text();
    expect(text.length).toBeGreaterThan(2.5 * 1024 * 1024);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.filter((l) => 'reject' in l)).toHaveLength(10_000);
    // a body ending with a full batch: one progress line a batch, none repeated
    expect(lines.filter((l) => 'progress' in l).map((l) => l.progress as unknown)).toEqual([
      { rows: 5000, rejected: 5000 },
      { rows: 10_000, rejected: 10_000 },
    ]);
    expect(lines.at(-1)).toMatchObject({ rows: 10_000, created: 0, rejected: 10_000 });
  });

  it('a client that goes away midway leaves the committed batches and applies nothing after them', async () => {
    const row = (i: number): string => `${JSON.stringify({ id: `cut-${i}`, last_name: 'Смирнов', email: `cut-${i}@import.example.ru` })}\n`;
    const url = new URL(`${server.k.httpUrl}/v1/customers/import`);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...ndjson, Accept: 'application/x-ndjson', 'Transfer-Encoding': 'chunked' } });
    req.on('error', () => undefined);
    const firstBatch = new Promise<Record<string, any>>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('error', () => undefined);
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          const line = text.split('\n').find((l) => l.startsWith('{"progress"'));
          if (line !== undefined) resolve(JSON.parse(line) as Record<string, any>);
        });
        res.on('end', () => reject(new Error(`the reply ended before a progress line: ${text}`)));
      });
    });
    let chunk = '';
    for (let i = 1; i <= 5000; i++) chunk += row(i);
    req.write(chunk);
    expect(await firstBatch).toEqual({ progress: { rows: 5000, rejected: 0 } });
    // half of the next batch, and a row cut in its middle; then the client is gone
    chunk = '';
    for (let i = 5001; i <= 7500; i++) chunk += row(i);
    req.write(`${chunk}{"id": "cut-75`);
    await new Promise<void>((resolve) => req.write('01"', () => resolve()));
    req.destroy();
    while (!server.k.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('the customer import stopped'))) await new Promise((r) => setTimeout(r, 20));
    expect(server.k.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('the customer import stopped'))).toMatchObject({ rows: 5000, code: 'unavailable' });
    expect((await api('GET', '/v1/customers/cut-1')).status).toBe(200);
    expect((await api('GET', '/v1/customers/cut-5000')).body).toMatchObject({ id: 'cut-5000', identifiers: { email: ['cut-5000@import.example.ru'] } });
    for (const id of ['cut-5001', 'cut-7500', 'cut-7501']) expect((await api('GET', `/v1/customers/${id}`)).status).toBe(404);
    // the server goes on: the same rows sent again in one request finish the job
    let rest = '';
    for (let i = 1; i <= 7500; i++) rest += row(i);
    const resent = await api('POST', '/v1/customers/import', rest, ndjson);
    expect(resent.body).toMatchObject({ rows: 7500, created: 2500, unchanged: 5000, rejected: 0 });
  });
});
