import { describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../audit/audit-chain.js';
import { verifyChain } from '../audit/audit-chain.js';
import { runMetaKey } from '../runtime/outbound-runs.js';
import { adminHeaders, serverForFile, uid, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * The audit trail against the started server: every kind of change made through the admin
 * API leaves one entry naming the key, what it changed and the state before and after; a
 * refused change leaves none; the trail reads filtered and paged, exports as NDJSON and its
 * chain verifies.
 */

const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: yesterdayMsk('12:00') });

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string; type: string | null }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  const type = res.headers.get('content-type');
  return { status: res.status, text, type, body: type?.includes('json') === true && !type.includes('ndjson') ? (JSON.parse(text) as unknown) : undefined };
}

async function trail(query = ''): Promise<AuditRecord[]> {
  const r = await api('GET', `/v1/audit?limit=1000${query}`);
  expect(r.status).toBe(200);
  return r.body.entries as AuditRecord[];
}

/** The entries a change added. */
async function added(change: () => Promise<unknown>): Promise<AuditRecord[]> {
  const before = (await trail()).length;
  await change();
  return (await trail()).slice(before);
}

describe('audit trail', () => {
  it('records each kind of change once, with who, before and after, and nothing for a refused one', async () => {
    const who = { name: expect.stringMatching(/^key:/) as unknown as string, role: 'admin' };

    const [add] = await added(async () => expect((await api('POST', '/v1/stop-list', { kind: 'phone', value: '+7 916 555-12-34', reason: 'asked' })).status).toBe(201));
    expect(add).toMatchObject({ seq: 1, who, action: 'stop-list.add', before: null, after: { kind: 'phone', hint: expect.any(String) as unknown } });
    const key = (add!.after as { key: string }).key;
    expect(add!.target).toBe(`stop:${key}`);
    const [again] = await added(() => api('POST', '/v1/stop-list', { kind: 'phone', value: '+79165551234', reason: 'again' }));
    expect(again).toMatchObject({ action: 'stop-list.add', before: { key, reason: 'asked' }, after: { key, reason: 'again' } });
    const [remove] = await added(async () => expect((await api('DELETE', `/v1/stop-list/${key}`)).status).toBe(204));
    expect(remove).toMatchObject({ action: 'stop-list.remove', target: `stop:${key}`, before: { key, reason: 'again' }, after: null });
    expect(await added(async () => expect((await api('DELETE', `/v1/stop-list/${key}`)).status).toBe(404))).toEqual([]);

    const offer = { name: 'Тестовое предложение', value: 100, templates: { sms: { text: 'Привет' } } };
    const [create] = await added(async () => expect((await api('PUT', '/v1/offers/audit-offer', offer)).status).toBe(201));
    expect(create).toMatchObject({ who, action: 'catalog.create', target: 'offers/audit-offer', before: { version: 1 }, after: { version: 2 } });
    expect(await added(async () => expect((await api('PUT', '/v1/offers/audit-offer', { ...offer, value: 'много' })).status).toBe(400))).toEqual([]);
    const [tpl] = await added(() => api('PUT', '/v1/offers/audit-offer/templates/email', { subject: 'Тема', text: 'Текст' }));
    expect(tpl).toMatchObject({ action: 'catalog.update', target: 'offers/audit-offer', before: { version: 2 }, after: { version: 3 } });
    const [del] = await added(() => api('DELETE', '/v1/offers/audit-offer'));
    expect(del).toMatchObject({ action: 'catalog.delete', target: 'offers/audit-offer' });
    const [status] = await added(() => api('POST', '/v1/campaigns/pension-deposit/status', { status: 'paused' }));
    expect(status).toMatchObject({ action: 'catalog.status', target: 'campaigns/pension-deposit', after: { detail: 'active -> paused' } });
    const policy = (await api('GET', '/v1/policy')).body as unknown;
    const [pol] = await added(() => api('PUT', '/v1/policy', policy));
    expect(pol).toMatchObject({ action: 'catalog.policy', target: 'policy' });

    const [model] = await added(async () => expect((await api('DELETE', '/v1/models/pension-deposit')).status).toBe(200));
    expect(model).toMatchObject({ action: 'model.reset', target: 'model:pension-deposit', after: { examples: 0 } });

    const now = ((await api('GET', '/v1/clock')).body as { now: number }).now;
    const [clock] = await added(() => api('POST', '/v1/clock', { advance: 60_000 }));
    expect(clock).toMatchObject({ action: 'clock.set', target: 'clock', before: { now }, after: { now: now + 60_000 } });

    const decision = await server.gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: 'demo-60' }, channel: 'atm', data: { requested: 1000, balance: 800 } });
    const sms = (decision.actions as Array<{ instance: string; channel: string }>).find((a) => a.channel === 'sms');
    expect(sms).toBeDefined();
    if (sms !== undefined) {
      const [retry] = await added(async () => expect((await api('POST', `/v1/outbox/sms/${sms.instance}/retry`)).status).toBe(200));
      expect(retry).toMatchObject({ action: 'outbox.retry', target: `outbox:sms/${sms.instance}`, after: { dead: false } });
    }
    expect(await added(async () => expect((await api('POST', '/v1/outbox/sms/nope/retry')).status).toBe(404))).toEqual([]);

    const card = (await api('GET', '/v1/customers/demo-61')).body as { profile: { firstName: string } };
    const [erase] = await added(async () => expect((await api('DELETE', '/v1/customers/demo-61')).status).toBe(200));
    expect(erase).toMatchObject({ action: 'customer.erase', target: 'customer:demo-61', before: { customer: 'demo-61' }, after: { erased: true, identifiers: expect.any(Number) as unknown } });
    expect(await added(async () => expect((await api('DELETE', '/v1/customers/demo-61')).status).toBe(404))).toEqual([]);

    const all = await trail();
    expect(verifyChain(all)).toMatchObject({ ok: true, entries: all.length });
    // No personal data in clear: not the phone, not the erased customer's name.
    const text = JSON.stringify(all);
    expect(text).not.toContain('5551234');
    expect(text).not.toContain(card.profile.firstName);
  });

  it('filters by action, who, target and time, pages with a cursor and exports NDJSON', async () => {
    const all = await trail();
    expect(all.length).toBeGreaterThan(5);
    expect((await trail('&action=stop-list.add')).map((e) => e.action)).toEqual(['stop-list.add', 'stop-list.add']);
    expect((await trail('&action=catalog.')).every((e) => e.action.startsWith('catalog.'))).toBe(true);
    expect(await trail(`&who=${encodeURIComponent(all[0]!.who.name)}`)).toEqual(all);
    expect(await trail('&who=someone-else')).toEqual([]);
    expect((await trail('&target=offers/*')).map((e) => e.target)).toEqual(['offers/audit-offer', 'offers/audit-offer', 'offers/audit-offer']);
    const clockEntry = all.find((e) => e.action === 'clock.set')!;
    expect((await trail(`&from=${clockEntry.at}&to=${clockEntry.at + 1}&action=clock.set`)).map((e) => e.seq)).toEqual([clockEntry.seq]);
    // a time written otherwise than as a whole number of ms is refused, never read as its first digits (1.8e12 as 1: the whole trail)
    const exponent = await api('GET', '/v1/audit?from=1.8e12');
    expect([exponent.status, exponent.body.code, exponent.body.detail]).toEqual([400, 'invalid', 'query "from": must be a whole number, got "1.8e12"']);
    expect((await api('GET', '/v1/audit?limit=2.9')).body.detail).toBe('query "limit": must be a whole number, got "2.9"');

    const pages: AuditRecord[] = [];
    let cursor: number | undefined;
    do {
      const r = await api('GET', `/v1/audit?limit=4${cursor === undefined ? '' : `&after=${cursor}`}`);
      expect(r.body.entries.length).toBeLessThanOrEqual(4);
      pages.push(...(r.body.entries as AuditRecord[]));
      cursor = r.body.next as number | undefined;
    } while (cursor !== undefined);
    expect(pages).toEqual(all);

    const nd = await api('GET', '/v1/audit/export');
    expect(nd.status).toBe(200);
    expect(nd.type).toMatch(/^application\/x-ndjson/);
    expect(nd.text.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord)).toEqual(all);
    const some = await api('GET', '/v1/audit/export?action=catalog.');
    expect(some.text.trimEnd().split('\n').length).toBe(all.filter((e) => e.action.startsWith('catalog.')).length);

    // A trail longer than a chunk of the export (256 lines) comes whole, in order.
    for (let i = 0; i < 600; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => api('POST', '/v1/stop-list', { kind: 'phone', value: `+7916${String(7_000_000 + i + j)}`, reason: 'export' })));
    }
    const long = await trail();
    expect(long.length).toBe(all.length + 600);
    const whole = await api('GET', '/v1/audit/export');
    expect(whole.text.trimEnd().split('\n').map((l) => (JSON.parse(l) as AuditRecord).seq)).toEqual(long.map((e) => e.seq));
  });

  it("keeps a reason's e-mail addresses and phone numbers out of the trail, the stop-list entry keeping it as given", async () => {
    const said = 'customer asked ivan@mail.ru +79161234567, 8 (916) 765-43-21';
    const [add] = await added(async () => expect((await api('POST', '/v1/stop-list', { kind: 'email', value: 'reason-1@example.ru', reason: said })).status).toBe(201));
    expect(add).toMatchObject({ action: 'stop-list.add', after: { kind: 'email', reason: 'customer asked *** ***, ***' } });
    const entry = ((await api('GET', '/v1/stop-list')).body.entries as Array<{ key: string; reason?: string }>).find((e) => e.reason === said);
    expect(entry).toBeDefined();
    const [removed] = await added(async () => expect((await api('DELETE', `/v1/stop-list/${entry!.key}?reason=${encodeURIComponent(`${said} again`)}`)).status).toBe(204));
    expect(removed).toMatchObject({ action: 'stop-list.remove', before: { reason: 'customer asked *** ***, ***' }, after: { removed: true, reason: 'customer asked *** ***, *** again' } });
    const [patched] = await added(async () => expect((await api('PATCH', `/v1/customers/demo-19?reason=${encodeURIComponent('по звонку: ivan@mail.ru, +7 916 123-45-67')}`, { consent_sms: false })).status).toBe(200));
    expect(patched).toMatchObject({ action: 'customer.patch', after: { reason: 'по звонку: ***, ***' } });
    for (const e of [add, removed, patched]) expect(JSON.stringify(e)).not.toMatch(/ivan@mail\.ru|9161234567|765-43-21|123-45-67/);
  });
});

describe("a run's change and its entry", () => {
  /** Runs the change while the store refuses to append to the trail (a full disk, Redis gone). */
  async function withoutTrail<T>(change: () => Promise<T>): Promise<T> {
    const refused = vi.spyOn(server.k.kairos.store, 'appendAudit').mockRejectedValue(new Error('the trail cannot be written'));
    try {
      return await change();
    } finally {
      refused.mockRestore();
    }
  }

  it('are one store transaction: a run starts or moves only with its entry', async () => {
    // no run started without its entry
    const before = (await trail()).length;
    const start = await withoutTrail(() => api('POST', '/v1/campaigns/pension-deposit-run/runs'));
    expect(start.status).toBe(500);
    expect((await api('GET', '/v1/runs?campaign=pension-deposit-run')).body.runs).toEqual([]);
    // a run waiting for a day far off (nothing moves it meanwhile): not paused without its entry
    const t = server.k.kairos.clock.now();
    await server.k.kairos.store.putMeta(runMetaKey('tx-run'), {
      id: 'tx-run', campaign: 'pension-deposit-run', segments: ['clients_60_plus'], state: 'waiting', waitingFor: 'capacity', waitingUntil: Date.UTC(2100, 0, 1),
      startedBy: 'hand', startedAt: t, updatedAt: t, selected: 0, gone: 0, pages: 0,
    });
    for (const verb of ['pause', 'cancel']) expect((await withoutTrail(() => api('POST', `/v1/runs/tx-run/${verb}`))).status).toBe(500);
    expect((await api('GET', '/v1/runs/tx-run')).body.state).toBe('waiting');
    expect((await trail()).length).toBe(before);
    // with the trail: the move and its entry
    expect((await api('POST', '/v1/runs/tx-run/pause')).status).toBe(200);
    expect((await trail()).slice(before)).toEqual([expect.objectContaining({ action: 'run.pause', target: 'tx-run', before: { state: 'waiting' }, after: { state: 'paused' } })]);
    expect((await api('POST', '/v1/runs/tx-run/cancel')).status).toBe(200);
  });
});
