import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, startTestKairos } from '../test-support/test-kairos.js';

/**
 * `GET /v1/customers?phone=…|email=…|card=…` on the real server with the demo bank: a customer
 * found by an identifier written as people write it (normalised as identity resolution does),
 * the name whole for privacy and masked for an analyst, none for an unknown one, 400 for none,
 * several or a malformed value (never echoed), 403 for a marketer, and the value in no log line.
 */

const ANALYST = 'secret-of-the-analyst-key-01234';
const PRIVACY = 'secret-of-the-privacy-key-01234';
const MARKETER = 'secret-of-the-marketer-key-0123';

let k: TestKairos;
let card: { profile: { firstName?: string; lastName?: string; patronymic?: string }; identifiers: Record<string, string[]> };

const find = async (query: string, key = PRIVACY): Promise<{ status: number; body: any }> => {
  const res = await fetch(`${k.httpUrl}/v1/customers?${query}`, { headers: { Authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json() };
};

beforeAll(async () => {
  k = await startTestKairos({
    config: { store: 'memory', clock: 'manual', keys: [{ name: 'petrov', role: 'analyst', secret: ANALYST }, { name: 'sokolova', role: 'privacy', secret: PRIVACY }, { name: 'ivanova', role: 'marketer', secret: MARKETER }] },
  });
  card = (await (await fetch(`${k.httpUrl}/v1/customers/demo-19`, { headers: adminHeaders })).json()) as typeof card;
});
afterAll(async () => {
  await k.close();
});

describe('GET /v1/customers (find by identifier)', () => {
  it('finds a customer by phone written as people write it, the name in full for privacy', async () => {
    const phone = card.identifiers.phone![0]!; // +79XXXXXXXXX
    const written = `8 (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8, 10)}-${phone.slice(10)}`;
    const r = await find(`phone=${encodeURIComponent(written)}`);
    expect(r.status).toBe(200);
    const p = card.profile;
    expect(r.body).toEqual({ customers: [{ id: 'demo-19', name: `${p.lastName} ${p.firstName} ${p.patronymic}` }] });
  });

  it('finds by e-mail in any case and by card', async () => {
    const email = card.identifiers.email![0]!;
    const r = await find(`email=${encodeURIComponent(email.toUpperCase())}`);
    expect(r.status).toBe(200);
    expect(r.body.customers.map((c: { id: string }) => c.id)).toEqual(['demo-19']);
    const byCard = await find(`card=${encodeURIComponent(` ${card.identifiers.card![0]!} `)}`, 'demo-admin');
    expect(byCard.body.customers.map((c: { id: string }) => c.id)).toEqual(['demo-19']);
  });

  it('answers an empty list for an identifier no customer has', async () => {
    expect(await find('phone=%2B70000000001')).toEqual({ status: 200, body: { customers: [] } });
    expect(await find('email=nobody%40nowhere.example')).toEqual({ status: 200, body: { customers: [] } });
  });

  it('refuses none, several, or a malformed value (400), without echoing the value', async () => {
    const none = await find('');
    expect(none.status).toBe(400);
    expect(none.body.detail).toContain('exactly one of phone, email, card');
    expect((await find(`phone=%2B79161234567&email=a%40b.example`)).status).toBe(400);
    const bad = await find('phone=12-ab-34');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid', detail: 'query "phone": not a valid phone' });
    expect(JSON.stringify(bad.body)).not.toContain('12-ab-34');
    expect((await find('email=not-an-email')).body.detail).toBe('query "email": not a valid email');
  });

  it('is refused to a marketer (the role reads no card) and to an analyst (the masked card must not be re-identified)', async () => {
    expect((await find('phone=%2B79161234567', MARKETER)).status).toBe(403);
    expect((await find('phone=%2B79161234567', ANALYST)).status).toBe(403);
  });

  it('writes no identifier it was asked about to the log, in any of the forms it was sent', async () => {
    const phone = card.identifiers.phone![0]!;
    const written = `8 (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8, 10)}-${phone.slice(10)}`;
    const email = card.identifiers.email![0]!;
    for (const q of [`phone=${encodeURIComponent(phone)}`, `phone=${encodeURIComponent(written)}`, `email=${encodeURIComponent(email.toUpperCase())}`, `email=${encodeURIComponent(email)}`]) {
      expect((await find(q)).status).toBe(200);
    }
    const logs = k.rawLogs();
    for (const sent of [phone, phone.slice(1), phone.slice(2), written, encodeURIComponent(written), email, email.toUpperCase(), encodeURIComponent(email)]) expect(logs, sent).not.toContain(sent);
  });
});
