import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../audit/audit-chain.js';
import { adminHeaders, serverForFile, uid, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * What the privacy console needs of the admin API, on the real server with the demo bank: the
 * stop list searched by an identifier (`GET /v1/stop-list?kind=&value=`), an entry removed with
 * a reason kept in its audit entry, and a consent withdrawn with `PATCH /v1/customers/{id}?reason=`:
 * the master data and the customer's own state (what the send check reads, what the card shows)
 * both follow, and the audit entry holds the consent before and after and the reason.
 */

const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: yesterdayMsk('12:00') });

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function lastAudit(action: string): Promise<AuditRecord | undefined> {
  const r = await api('GET', `/v1/audit?limit=1000&action=${action}`);
  expect(r.status).toBe(200);
  return (r.body.entries as AuditRecord[]).at(-1);
}

describe('the stop list searched and removed with a reason', () => {
  it('finds the entries on an identifier however it is written, and refuses half a search', async () => {
    const added = await api('POST', '/v1/stop-list', { kind: 'phone', value: '+7 916 555-77-01', reason: 'asked by phone' });
    expect(added.status).toBe(201);
    await api('POST', '/v1/stop-list', { kind: 'email', value: 'someone@bank.example' });
    const found = await api('GET', `/v1/stop-list?kind=phone&value=${encodeURIComponent('8 (916) 555 77 01')}`);
    expect(found.status).toBe(200);
    expect(found.body.entries).toHaveLength(1);
    expect(found.body.entries[0]).toMatchObject({ key: added.body.key, reason: 'asked by phone' });
    expect((await api('GET', '/v1/stop-list?kind=phone&value=%2B79160000000')).body.entries).toEqual([]);
    const half = await api('GET', '/v1/stop-list?kind=phone');
    expect(half).toMatchObject({ status: 400, body: { detail: 'query: give kind and value together' } });
    const bad = await api('GET', '/v1/stop-list?kind=phone&value=abc-zz');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toContain('abc-zz');
    expect((await api('GET', '/v1/stop-list')).body.entries.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps the reason a removal gives in its audit entry', async () => {
    const added = await api('POST', '/v1/stop-list', { kind: 'card', value: 'card-4242', reason: 'lost' });
    const key = added.body.key as string;
    expect((await api('DELETE', `/v1/stop-list/${key}?reason=${encodeURIComponent('found again')}`)).status).toBe(204);
    expect(await lastAudit('stop-list.remove')).toMatchObject({ target: `stop:${key}`, before: { key, reason: 'lost' }, after: { removed: true, reason: 'found again' } });
    expect((await api('GET', `/v1/stop-list?kind=card&value=card-4242`)).body.entries).toEqual([]);
  });
});

describe('a consent withdrawn through PATCH', () => {
  it('reaches the customer\'s state and the card, and the audit entry has before, after and the reason', async () => {
    const id = 'demo-21';
    // An event first: the customer has a snapshot of its own, which the master data alone would not change.
    const ev = await fetch(`${server.k.httpUrl}/v1/events`, {
      method: 'POST',
      headers: { Authorization: 'Bearer demo-gateway', 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: uid('login'), type: 'ib.login', channel: 'ib', customer: { id } }),
    });
    expect(ev.status).toBe(200);
    expect((await api('GET', `/v1/customers/${id}`)).body.consents.sms).toMatchObject({ granted: true });

    const r = await api('PATCH', `/v1/customers/${id}?reason=${encodeURIComponent('asked at the branch')}`, { consent_sms: false });
    expect(r).toEqual({ status: 200, body: { id, outcome: 'updated' } });
    const card = (await api('GET', `/v1/customers/${id}`)).body;
    expect(card.consents.sms).toMatchObject({ granted: false });
    expect(card.consents.email).toMatchObject({ granted: true });
    expect(await lastAudit('customer.patch')).toMatchObject({
      target: id,
      before: { consents: { sms: true } },
      after: { outcome: 'updated', fields: ['consent_sms'], consents: { sms: false }, reason: 'asked at the branch' },
    });

    // Given again: the state follows the other way; a patch that moves no consent has no consents in its entry.
    await api('PATCH', `/v1/customers/${id}`, { consent_sms: true });
    expect((await api('GET', `/v1/customers/${id}`)).body.consents.sms).toMatchObject({ granted: true });
    await api('PATCH', `/v1/customers/${id}`, { city: 'Тверь' });
    const plain = await lastAudit('customer.patch');
    expect(plain?.before).toBeUndefined();
    expect(plain?.after).toEqual({ outcome: 'updated', fields: ['city'] });
  });
});
