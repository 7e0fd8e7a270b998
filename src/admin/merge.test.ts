import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeCommand } from '../cli/merge-command.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, until } from '../test-support/test-kairos.js';

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
    expect(errors.join('')).toContain('warning: --key shows the key to every local user');
    // the key from a file, the variable unset
    const keyFile = join(mkdtempSync(join(tmpdir(), 'kairos-merge-')), 'admin.key');
    writeFileSync(keyFile, 'demo-admin\n', { mode: 0o600 });
    errors.length = 0;
    expect(await mergeCommand(['--into', 'demo-90', '--from', 'demo-91', '--url', k.httpUrl, '--key-file', keyFile], {}, out)).toBe(0);
    expect(errors).toEqual([]);
    expect(await mergeCommand(['--into', 'demo-65', '--from', 'demo-69', '--url', k.httpUrl], {}, out)).toBe(2);
    expect(errors.join('')).toContain('an admin key is needed');
    expect(await mergeCommand(['--into', 'demo-65'], { KAIROS_ADMIN_KEY: 'demo-admin' }, out)).toBe(2);
    expect(await mergeCommand(['--into', 'demo-65', '--from', 'demo-67', '--bogus'], {}, out)).toBe(2);
  });
});

describe('a merge and the identity conflicts naming its customers', () => {
  type Conflict = { id: string; kind: string; holder: string; claimant: string; count: number; firstAt: number; lastAt: number; status: string; mergedAt?: number; into?: string; dismissedAt?: number };
  const post = async (path: string, body: unknown = {}): Promise<Response> => fetch(`${k.httpUrl}${path}`, { method: 'POST', headers: adminHeaders, body: JSON.stringify(body) });
  const conflicts = async (query = ''): Promise<Conflict[]> => (await get(`/v1/identity/conflicts?limit=1000${query}`)).conflicts as Conflict[];
  const named = async (query = ''): Promise<Conflict[]> => (await conflicts(query)).filter((c) => ['demo-70', 'demo-71', 'demo-72'].includes(c.holder) || ['demo-70', 'demo-71', 'demo-72'].includes(c.claimant));
  const pair = (list: Conflict[], holder: string, claimant: string): Conflict[] => list.filter((c) => c.holder === holder && c.claimant === claimant);
  /** An event decided for the card's customer naming another's phone (not relinked: a conflict), at `at`. */
  async function claim(card: string, phone: string, at: number): Promise<void> {
    expect((await post('/v1/clock', { now: at })).status).toBe(200);
    expect(await gw.request({ t: 'event', id: uid(), type: 'app.opened', customer: { card, phone }, channel: 'mobile', at })).toMatchObject({ t: 'decision' });
  }

  it('closes the conflicts between the two (merged), and re-points those of the loser with a third customer to the survivor, combined with the survivor’s', async () => {
    // demo-70 the survivor (A), demo-71 the loser (B), demo-72 a third customer (C).
    const phone = async (id: string): Promise<string> => ((await get(`/v1/customers/${id}`)).identifiers.phone as string[])[0]!;
    const [phone71, phone72] = [await phone('demo-71'), await phone('demo-72')];
    const T = AT + 3_600_000;
    await claim('card-70', phone71, T); // holder B, claimant A: between the two
    await claim('card-72', phone71, T + 1000); // holder B, claimant C: re-pointed to holder A
    await claim('card-70', phone72, T + 2000); // holder C, claimant A: there already, dismissed
    await claim('card-71', phone72, T + 3000); // holder C, claimant B: re-pointed onto the one above
    await claim('card-71', phone72, T + 4000);
    const before = await until('the four conflicts recorded', async () => {
      const list = await named();
      return list.length === 4 && pair(list, 'demo-72', 'demo-71')[0]?.count === 2 ? list : undefined;
    });
    const [ab] = pair(before, 'demo-71', 'demo-70');
    const [ca] = pair(before, 'demo-72', 'demo-70');
    expect((await post(`/v1/identity/conflicts/${ca!.id}/dismiss`)).status).toBe(200);

    expect((await post('/v1/clock', { now: T + 10_000 })).status).toBe(200);
    expect((await merge('demo-70', 'demo-71')).status).toBe(200);

    const after = await named();
    // Between the two: closed by the merge, kept for the record (its id, holder and claimant as they were), not open.
    expect(after.find((c) => c.id === ab!.id)).toMatchObject({ holder: 'demo-71', claimant: 'demo-70', status: 'merged', mergedAt: T + 10_000, into: 'demo-70', count: 1 });
    // The loser's with the third customer: the survivor's now, under the new pair's id; none names the loser but the closed one.
    expect(after.filter((c) => c.id !== ab!.id && (c.holder === 'demo-71' || c.claimant === 'demo-71'))).toEqual([]);
    expect(pair(after, 'demo-70', 'demo-72')).toEqual([expect.objectContaining({ kind: 'phone', status: 'open', count: 1, firstAt: T + 1000, lastAt: T + 1000 })]);
    // ...combined with the one of that pair already there (dismissed): counts added, earliest first, latest last, open as one of them was.
    const combined = pair(after, 'demo-72', 'demo-70');
    expect(combined).toEqual([expect.objectContaining({ id: ca!.id, status: 'open', count: 3, firstAt: T + 2000, lastAt: T + 4000 })]);
    expect(combined[0]!.dismissedAt).toBeUndefined();
    expect(after).toHaveLength(3);
    const open = await named('&status=open');
    expect(open.map((c) => c.id).sort()).toEqual([ca!.id, pair(after, 'demo-70', 'demo-72')[0]!.id].sort());
    expect((await named('&status=merged')).map((c) => c.id)).toEqual([ab!.id]);
    // A merged one dismissed: answered as it is (as a dismissed one dismissed again).
    const dismissed = await post(`/v1/identity/conflicts/${ab!.id}/dismiss`);
    expect(dismissed.status).toBe(200);
    expect(await dismissed.json()).toMatchObject({ id: ab!.id, status: 'merged', into: 'demo-70' });
    // The loser's phone named for the third customer again: one conflict of the survivor's, counted up.
    await claim('card-72', phone71, T + 20_000);
    await until('counted up on the survivor', async () => (pair(await named(), 'demo-70', 'demo-72')[0]?.count === 2 ? true : undefined));
    expect(await named()).toHaveLength(3);
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
