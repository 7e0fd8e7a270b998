import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCommand } from '../cli/merge-command.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid } from '../test-support/test-kairos.js';

/**
 * Merging two profiles of one person through the real server (demo bank, memory store,
 * manual clock): the API and the CLI, what the reply says changed, the loser's id, instance
 * ids and identifiers reaching the survivor, and the refusals.
 */

const AT = Date.parse('2026-11-24T12:00:00+03:00');
let k: TestKairos;
let gw: GatewayClient;

beforeAll(async () => {
  k = await startTestKairos({ config: { clock: 'manual' }, manualClockStart: AT });
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
});

async function get(path: string): Promise<any> {
  return (await fetch(`${k.httpUrl}${path}`, { headers: adminHeaders })).json();
}

async function merge(into: string, from: string): Promise<Response> {
  return fetch(`${k.httpUrl}/v1/customers/${into}/merge`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ from }) });
}

describe('merging profiles', () => {
  it('joins the loser into the survivor, and the loser’s id, identifiers and offers reach the survivor', async () => {
    const loserCard = await get('/v1/customers/demo-60');
    const survivorCard = await get('/v1/customers/demo-61');
    // The loser is offered something (a contact and a pending offer).
    const d = await gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card: 'card-60' }, channel: 'atm', at: AT, data: { requested: 1000, balance: 800 } });
    const action = (d.actions as Frame[])[0]!;
    expect(action.instance).toMatch(/^demo-60:/);

    const res = await merge('demo-61', 'demo-60');
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ into: 'demo-61', from: 'demo-60', at: AT, counts: { contacts: 1, pending: 1 } });
    expect(body.before.from.contacts).toBe(1);
    expect(body.after.contacts).toBe(body.before.into.contacts + 1);
    expect(body.after.identifiers).toBe(body.before.into.identifiers + body.counts.identifiers);

    // Admin reads naming the loser show the survivor, with the loser's identifiers and history.
    const merged = await get('/v1/customers/demo-60');
    expect(merged.id).toBe('demo-61');
    expect(merged.identifiers.card).toEqual([...survivorCard.identifiers.card, ...loserCard.identifiers.card]);
    expect((merged.contacts as Array<{ instance: string }>).map((c) => c.instance)).toContain(action.instance);
    expect(merged.lifecycle.at(-1)).toMatchObject({ reason: 'merge:demo-60' });

    // An event naming the loser's card, or the loser's id, lands on the survivor.
    await gw.request({ t: 'event', id: uid(), type: 'app.opened', customer: { card: 'card-60' }, channel: 'mobile', at: AT + 1000 });
    expect((await get('/v1/customers/demo-61')).lastEventAt).toBe(AT + 1000);
    await gw.request({ t: 'event', id: uid(), type: 'app.opened', customer: { id: 'demo-60' }, channel: 'mobile', at: AT + 2000 });
    expect((await get('/v1/customers/demo-61')).lastEventAt).toBe(AT + 2000);

    // A response to the loser's offer (its instance id names the loser) is the survivor's.
    const r = await gw.request({ t: 'response', id: uid(), instance: action.instance, outcome: 'accepted', at: AT + 3000 });
    expect(r.t).toBe('ack');
    const contact = ((await get('/v1/customers/demo-61')).contacts as Array<{ instance: string; outcome?: string }>).find((c) => c.instance === action.instance);
    expect(contact?.outcome).toBe('accepted');
  });

  it('refuses a merge into itself (400), an unknown id (404) and a merge of an id merged away (409)', async () => {
    expect(await (await merge('demo-62', 'demo-62')).json()).toMatchObject({ status: 400, code: 'invalid' });
    expect(await (await merge('demo-62', 'nobody-here')).json()).toMatchObject({ status: 404, code: 'unknown_customer' });
    expect(await (await merge('nobody-here', 'demo-62')).json()).toMatchObject({ status: 404, code: 'unknown_customer' });
    expect((await merge('demo-62', 'demo-63')).status).toBe(200);
    expect(await (await merge('demo-62', 'demo-63')).json()).toMatchObject({ status: 409, code: 'conflict' });
    expect(await (await merge('demo-63', 'demo-64')).json()).toMatchObject({ status: 409, code: 'conflict' });
    expect(await (await merge('demo-62', 'x')).json()).toMatchObject({ status: 404 });
    const bad = await fetch(`${k.httpUrl}/v1/customers/demo-62/merge`, { method: 'POST', headers: adminHeaders, body: '{}' });
    expect(await bad.json()).toMatchObject({ status: 400, code: 'invalid' });
  });

  it('merges from the command line, against the running server', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const out = { stdout: (s: string) => lines.push(s), stderr: (s: string) => errors.push(s) };
    expect(await mergeCommand(['--into', 'demo-65', '--from', 'demo-66', '--url', k.httpUrl], { KAIROS_ADMIN_KEY: 'demo-admin' }, out)).toBe(0);
    expect(JSON.parse(lines.join(''))).toMatchObject({ into: 'demo-65', from: 'demo-66' });
    expect(await mergeCommand(['--into', 'demo-65', '--from', 'demo-66', '--url', k.httpUrl, '--key', 'demo-admin'], {}, out)).toBe(1);
    expect(errors.join('')).toContain('409');
    expect(await mergeCommand(['--into', 'demo-65'], { KAIROS_ADMIN_KEY: 'demo-admin' }, out)).toBe(2);
    expect(await mergeCommand(['--into', 'demo-65', '--from', 'demo-67', '--bogus'], {}, out)).toBe(2);
  });
});

describe('a login with the bank’s policy mergeVisitorOnLogin', () => {
  it('merges the visitor whose cookie the login names into the customer', async () => {
    const k2 = await startTestKairos({ config: { clock: 'manual', mergeVisitorOnLogin: true }, manualClockStart: AT });
    const gw2 = await GatewayClient.connect(k2.wsUrl);
    try {
      const read = async (id: string): Promise<any> => (await fetch(`${k2.httpUrl}/v1/customers/${id}`, { headers: adminHeaders })).json();
      const visit = await gw2.request({ t: 'event', id: uid(), type: 'page.viewed', customer: { cookie: 'ck-login' }, channel: 'web', at: AT });
      const visitor = visit.customer as string;
      expect(visitor).toMatch(/^v-/);
      const login = await gw2.request({ t: 'event', id: uid(), type: 'login', customer: { id: 'demo-68', cookie: 'ck-login' }, channel: 'web', at: AT + 1000 });
      expect(login.customer).toBe('demo-68');
      const merged = await read(visitor);
      expect(merged.id).toBe('demo-68');
      expect(merged.identifiers.cookie).toContain('ck-login');
      expect((merged.lifecycle as Array<{ reason: string }>).map((l) => l.reason)).toContain(`merge:${visitor}`);
      // The cookie names the customer from then on.
      expect((await gw2.request({ t: 'event', id: uid(), type: 'page.viewed', customer: { cookie: 'ck-login' }, channel: 'web', at: AT + 2000 })).customer).toBe('demo-68');
    } finally {
      gw2.close();
      await k2.close();
    }
  });
});
