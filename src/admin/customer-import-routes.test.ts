import { describe, expect, it } from 'vitest';
import { adminHeaders, serverForFile, uid, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * The bank's customers through the admin API on a real server (manual clock): the NDJSON import
 * with its counts and rejects, PUT and PATCH of one customer, and a live customer's imported
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
    expect((await api('PATCH', '/v1/customers/nobody-here', { city: 'Омск' })).status).toBe(404);
    expect((await api('PUT', '/v1/customers/bank-12', { id: 'other' })).status).toBe(400);
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
});
