import { describe, expect, it } from 'vitest';
import type { CustomerView } from '../schema/http/customer-schemas.js';
import { adminHeaders, serverForFile } from '../test-support/test-kairos.js';
import { maskCustomer } from './mask-customer.js';

/**
 * What a privacy key and an analyst key read of a customer: the subject-access export holds
 * the whole card and the stop-list entries on the customer; the analyst's card has no name,
 * phone, e-mail or card number in clear anywhere in it.
 */

const analyst = { Authorization: 'Bearer analyst-secret-0123456789' };
const privacy = { Authorization: 'Bearer privacy-secret-0123456789', 'Content-Type': 'application/json' };
const server = serverForFile({
  config: { store: 'memory', keys: [{ name: 'ana', role: 'analyst', secret: 'analyst-secret-0123456789' }, { name: 'dpo', role: 'privacy', secret: 'privacy-secret-0123456789' }] },
});
const url = (p: string): string => `${server.k.httpUrl}${p}`;

async function card(headers: Record<string, string>, id = 'demo-19'): Promise<{ status: number; text: string }> {
  const res = await fetch(url(`/v1/customers/${id}`), { headers });
  return { status: res.status, text: await res.text() };
}

describe('personal data by role', () => {
  it('an analyst reads the card with names, phone, e-mail and card masked, everywhere in it', async () => {
    const full = JSON.parse((await card(adminHeaders)).text) as CustomerView;
    const secrets = [full.profile.firstName, full.profile.patronymic, full.profile.lastName, ...Object.values(full.identifiers).flat()].filter((v): v is string => v !== undefined && v.length >= 2);
    expect(secrets.length).toBeGreaterThan(2);
    const masked = await card(analyst);
    expect(masked.status).toBe(200);
    for (const s of secrets) expect(masked.text, s).not.toContain(s);
    const view = JSON.parse(masked.text) as CustomerView;
    expect(view.id).toBe('demo-19');
    expect(view.profile.firstName).toBe(`${[...full.profile.firstName!][0]}***`);
    // the rest of the card is the same
    expect(view.segments).toEqual(full.segments);
    expect(view.features).toEqual(full.features);
  });

  it('masks a text that names the customer', () => {
    const v = maskCustomer({ id: 'c1', profile: { firstName: 'Иван', lastName: 'Петров' }, identifiers: { phone: ['+79991234567'], email: ['ivan@bank.ru'] }, contacts: [{ text: 'Иван, +79991234567' }], responses: [], pending: [] } as unknown as CustomerView);
    expect(JSON.stringify(v)).not.toMatch(/Иван|Петров|\+79991234567|ivan@bank\.ru/);
    expect(v.profile).toEqual({ firstName: 'И***', lastName: 'П***' });
  });

  it('masks the birth date to the age, text and date attributes, and the free text of answers and variables', () => {
    const v = maskCustomer(
      {
        id: 'c2',
        stage: 'client',
        profile: { firstName: 'Софья', lastName: 'Фролова', gender: 'f', city: 'Омск', birthDate: '1980-03-15', attributes: { passport: '4510 123456', issued: '2005-04-01', inn: 500100732259, income: 120000, score: 0.82, vip: true } },
        identifiers: { phone: ['+79000263109'] },
        responses: [{ id: 'r-1', instance: 'c2:1.a', campaign: 'cc', offer: 'card', outcome: 'accepted', at: 1, data: { note: 'Софье Фроловой удобно на 8 900 026 31 09', phone: 89000263109, reply: 1, ok: true } }],
        pending: [{ instance: 'c2:2.b', campaign: 'cc', offer: 'card', channel: 'sms', at: 1, expiresAt: 2, vars: { limit: 150000, street: 'ул. Ленина, 5' } }],
        contacts: [{ instance: 'c2:1.a', campaign: 'cc', offer: 'card', channel: 'sms', at: 1, marketing: true, delivery: 'delivered', outcome: 'accepted' }],
      } as unknown as CustomerView,
      Math.floor(Date.UTC(2030, 2, 14) / 86_400_000),
    );
    expect(v.profile).toEqual({ firstName: 'С***', lastName: 'Ф***', gender: 'f', city: 'Омск', age: 49, attributes: { passport: '***', issued: '***', inn: '***', income: 120000, score: 0.82, vip: true } });
    expect(v.responses).toEqual([{ id: 'r-1', instance: 'c2:1.a', campaign: 'cc', offer: 'card', outcome: 'accepted', at: 1, data: { note: '***', phone: '***', reply: 1, ok: true } }]);
    expect(v.pending[0]!.vars).toEqual({ limit: 150000, street: '***' });
    expect(v.contacts[0]).toMatchObject({ campaign: 'cc', offer: 'card', channel: 'sms', outcome: 'accepted' });
    expect(JSON.stringify(v)).not.toMatch(/1980|03-15|4510|2005|500100732259|89000263109|Софь|Фролов|Ленина|8 900/);
  });

  it('an analyst reads no birth date, text attribute or answer text the bank or a gateway put in the card', async () => {
    // an SMS offer (demo-44 is a client in good standing), then the bank's master data and the customer's answer
    const offered = await server.k.kairos.host.submitEvent({ id: 'atm-note-1', type: 'atm.withdrawal.declined', customer: { id: 'demo-44' }, channel: 'atm', data: { requested: 1000, balance: 800 } });
    expect(offered).toHaveProperty('actions');
    const patch = await fetch(url('/v1/customers/demo-44'), {
      method: 'PATCH',
      headers: privacy,
      body: JSON.stringify({ birth_date: '1980-03-15', passport: '4510 123456', snils: '112-233-445 95', inn: '500100732259', address_home: 'Москва, ул. Ленина, д. 5, кв. 12', income: 120000 }),
    });
    expect(patch.status).toBe(200);
    const full = JSON.parse((await card(adminHeaders, 'demo-44')).text) as CustomerView;
    expect(full.profile).toMatchObject({ birthDate: '1980-03-15', attributes: { passport: '4510 123456', income: 120000 } });
    const instance = full.pending[0]?.instance ?? full.contacts[0]?.instance;
    expect(instance).toBeDefined();
    const note = 'Софье Фроловой удобно на 8 900 026 31 09';
    await server.k.kairos.host.submitResponse({ id: 'note-1', instance: instance!, outcome: 'clicked', data: { note, reply: 2 } });
    expect((JSON.parse((await card(adminHeaders, 'demo-44')).text) as CustomerView).responses.find((r) => r.id === 'note-1')?.data).toEqual({ note, reply: 2 });
    const masked = await card(analyst, 'demo-44');
    expect(masked.status).toBe(200);
    for (const s of ['1980-03-15', '4510 123456', '112-233-445 95', '500100732259', 'Ленина', note]) expect(masked.text, s).not.toContain(s);
    const view = JSON.parse(masked.text) as CustomerView;
    expect(view.profile.birthDate).toBeUndefined();
    expect(view.profile.age).toBeGreaterThan(40);
    expect(view.profile.attributes).toEqual({ passport: '***', snils: '***', inn: '***', address_home: '***', income: 120000 });
    expect(view.responses.find((r) => r.id === 'note-1')).toMatchObject({ instance, outcome: 'clicked', data: { note: '***', reply: 2 } });
    expect(view.segments).toEqual(full.segments);
  });

  it('a privacy key exports everything held about the customer, with the stop-list entries on it', async () => {
    const full = JSON.parse((await card(adminHeaders)).text) as CustomerView;
    const phone = full.identifiers.phone?.[0];
    expect(phone).toBeDefined();
    const stop = await fetch(url('/v1/stop-list'), { method: 'POST', headers: privacy, body: JSON.stringify({ kind: 'phone', value: phone, reason: 'asked by phone' }) });
    expect(stop.status).toBeLessThan(300);
    const res = await fetch(url('/v1/customers/demo-19/export'), { headers: privacy });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="customer-demo-19.json"');
    const body = (await res.json()) as { customer: CustomerView; stopList: Array<{ kind: string; reason?: string }>; basis: string };
    expect(body.customer).toEqual(full);
    expect(body.stopList).toEqual([expect.objectContaining({ kind: 'phone', reason: 'asked by phone' })]);
    expect(body.basis).toContain('152-FZ');
    expect((await fetch(url('/v1/customers/demo-19/export'), { headers: analyst })).status).toBe(403);
    expect((await fetch(url('/v1/customers/nobody-here/export'), { headers: privacy })).status).toBe(404);
  });

  it('the export lists the identity conflicts naming the customer; the erasure removes them and the merge forwards from or to them', async () => {
    const read = async (id: string): Promise<CustomerView> => (await (await fetch(url(`/v1/customers/${id}`), { headers: adminHeaders })).json()) as CustomerView;
    const [c50, c51] = [await read('demo-50'), await read('demo-51')];
    // demo-50's card with demo-51's phone: a conflict (holder demo-51, claimant demo-50)
    await server.k.kairos.host.submitEvent({ id: 'conflict-1', type: 'app.opened', customer: { card: c50.identifiers.card![0]!, phone: c51.identifiers.phone![0]! }, channel: 'app' });
    const exported = (await (await fetch(url('/v1/customers/demo-51/export'), { headers: privacy })).json()) as { identityConflicts: Array<{ holder: string; claimant: string; identifier: string }> };
    expect(exported.identityConflicts).toEqual([expect.objectContaining({ holder: 'demo-51', claimant: 'demo-50', kind: 'phone' })]);
    expect(JSON.stringify(exported.identityConflicts)).not.toContain(c51.identifiers.phone![0]!);
    // demo-52 merged into demo-51, then demo-51 erased
    expect((await fetch(url('/v1/customers/demo-51/merge'), { method: 'POST', headers: adminHeaders, body: JSON.stringify({ from: 'demo-52' }) })).status).toBe(200);
    expect(await server.k.kairos.store.listMeta('customer-forward/', 100)).toEqual([expect.objectContaining({ key: 'customer-forward/demo-52' })]);
    expect((await fetch(url('/v1/customers/demo-51'), { method: 'DELETE', headers: adminHeaders })).status).toBe(200);
    const left = [...(await server.k.kairos.store.listMeta('identity-conflict/', 100)), ...(await server.k.kairos.store.listMeta('customer-forward/', 100))];
    expect(left.filter((m) => JSON.stringify(m).includes('demo-51'))).toEqual([]);
  });
});
