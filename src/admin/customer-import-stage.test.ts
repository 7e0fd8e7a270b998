import { describe, expect, it } from 'vitest';
import { adminHeaders, serverForFile, uid, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * An imported stage reaching the customer's state through the server (LMDB, manual clock, the
 * demo catalog, whose `clients_60_plus` reads `stage eq client`): `PUT`/`PATCH` and the import
 * route move a live customer, one not in memory and one events made to the stage the bank's
 * master data gives, with its lifecycle entry and segment moves; the reply says `updated` when
 * the state moved, `unchanged` only when the record and the state both have it already.
 */

const start = yesterdayMsk('12:00');
const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: start });
const year = new Date(start).getUTCFullYear();
const sixtyTwo = `${year - 62}-01-01`;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = adminHeaders): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const card = async (id: string): Promise<any> => (await api('GET', `/v1/customers/${id}`)).body;
const visit = (id: string) => server.gw.request({ t: 'event', id: uid(), type: 'web.login', customer: { id }, channel: 'web' });

describe('an imported stage reaches the customer', () => {
  it('PATCH moves a prospect to client (lifecycle entry, segment entered); a repeat is unchanged', async () => {
    expect((await api('PUT', '/v1/customers/PR2', { first_name: 'Пётр', birth_date: sixtyTwo, stage: 'prospect' })).body.outcome).toBe('created');
    await visit('PR2');
    expect((await card('PR2')).segments.clients_60_plus).toBeUndefined();
    expect((await api('PATCH', '/v1/customers/PR2', { stage: 'client' })).body).toEqual({ id: 'PR2', outcome: 'updated' });
    const c = await card('PR2');
    expect(c.stage).toBe('client');
    expect(c.lifecycle.at(-1)).toMatchObject({ stage: 'client', reason: 'client.onboarded' });
    expect(c.segments.clients_60_plus).toBeDefined();
    expect((await api('PATCH', '/v1/customers/PR2', { stage: 'client' })).body.outcome).toBe('unchanged');
  });

  it('a former client made a client again by PATCH is one (a repeat is unchanged); and back to prospect, by the bank', async () => {
    expect((await api('PUT', '/v1/customers/FC1', { first_name: 'Фёдор', birth_date: sixtyTwo })).body.outcome).toBe('created');
    await visit('FC1');
    expect((await card('FC1')).segments.clients_60_plus).toBeDefined();
    expect((await api('PATCH', '/v1/customers/FC1', { stage: 'former_client' })).body.outcome).toBe('updated');
    expect((await card('FC1')).stage).toBe('formerClient');
    expect((await card('FC1')).segments.clients_60_plus).toBeUndefined();
    expect((await api('PATCH', '/v1/customers/FC1', { stage: 'client' })).body.outcome).toBe('updated');
    const c = await card('FC1');
    expect([c.stage, c.lifecycle.map((e: { stage: string }) => e.stage)]).toEqual(['client', ['client', 'formerClient', 'client']]);
    expect(c.segments.clients_60_plus).toBeDefined();
    expect((await api('PATCH', '/v1/customers/FC1', { stage: 'client' })).body.outcome).toBe('unchanged');
    // no move is refused: the bank's record is the authority (stage.set, lifecycle kept)
    expect((await api('PATCH', '/v1/customers/FC1', { stage: 'prospect' })).body.outcome).toBe('updated');
    expect((await card('FC1')).lifecycle.at(-1)).toMatchObject({ stage: 'prospect', reason: 'stage.set' });
    expect((await card('FC1')).segments.clients_60_plus).toBeUndefined();
  });

  it('a prospect events made, patched to client, is a client', async () => {
    await server.gw.request({ t: 'event', id: uid(), type: 'web.login', customer: { phone: '+79167770301' }, channel: 'web' });
    const id = (await api('GET', '/v1/customers?phone=%2B79167770301')).body.customers[0].id as string;
    expect(id).toMatch(/^p-/);
    expect((await card(id)).stage).toBe('prospect');
    expect((await api('PATCH', `/v1/customers/${id}`, { stage: 'client' })).body.outcome).toBe('updated');
    expect((await card(id)).stage).toBe('client');
  });

  it('a prospect events made, given its first record by the import route, is told it as by PUT (stage, profile)', async () => {
    await server.gw.request({ t: 'event', id: uid(), type: 'web.login', customer: { phone: '+79167770302' }, channel: 'web' });
    const id = (await api('GET', '/v1/customers?phone=%2B79167770302')).body.customers[0].id as string;
    expect(id).toMatch(/^p-/);
    expect((await card(id)).stage).toBe('prospect');
    const ndjson = { ...adminHeaders, 'Content-Type': 'application/x-ndjson' };
    expect((await api('POST', '/v1/customers/import', JSON.stringify({ id, first_name: 'Ян', stage: 'client' }), ndjson)).body).toMatchObject({ created: 1 });
    const after = await card(id);
    expect(after.stage).toBe('client');
    expect(after.profile.firstName).toBe('Ян');
  });

  it("a stage the record has but the state lost (events moved it) is applied again, and answered updated", async () => {
    expect((await api('PUT', '/v1/customers/EV1', { first_name: 'Ева', stage: 'client' })).body.outcome).toBe('created');
    await server.gw.request({ t: 'event', id: uid(), type: 'client.churned', customer: { id: 'EV1' }, channel: 'web' });
    expect((await card('EV1')).stage).toBe('formerClient');
    expect((await api('PATCH', '/v1/customers/EV1', { stage: 'client' })).body.outcome).toBe('updated');
    expect((await card('EV1')).stage).toBe('client');
    // a PATCH that names no stage leaves the state's stage alone
    await server.gw.request({ t: 'event', id: uid(), type: 'client.churned', customer: { id: 'EV1' }, channel: 'web' });
    expect((await api('PATCH', '/v1/customers/EV1', { city: 'Омск' })).body.outcome).toBe('updated');
    expect((await card('EV1')).stage).toBe('formerClient');
  });

  it('the import route moves live customers and customers not in memory (after a restart) to the stage of their rows', async () => {
    const ndjson = { ...adminHeaders, 'Content-Type': 'application/x-ndjson' };
    const rows = (stages: [string, string][]) => stages.map(([id, stage]) => JSON.stringify({ id, birth_date: sixtyTwo, stage })).join('\n');
    expect((await api('POST', '/v1/customers/import', rows([['ST1', 'prospect'], ['ST2', 'former_client'], ['ST3', 'client']]), ndjson)).body).toMatchObject({ created: 3 });
    for (const id of ['ST1', 'ST2', 'ST3']) await visit(id);
    await server.restart();
    // ST3 live again, ST1 and ST2 only stored
    await visit('ST3');
    const second = await api('POST', '/v1/customers/import', rows([['ST1', 'client'], ['ST2', 'client'], ['ST3', 'former_client']]), ndjson);
    expect(second.body).toMatchObject({ updated: 3 });
    expect([(await card('ST1')).stage, (await card('ST2')).stage, (await card('ST3')).stage]).toEqual(['client', 'client', 'formerClient']);
    expect((await card('ST2')).lifecycle.at(-1)).toMatchObject({ stage: 'client', reason: 'client.onboarded' });
    expect((await card('ST1')).segments.clients_60_plus).toBeDefined();
    await server.restart();
    expect([(await card('ST1')).stage, (await card('ST2')).stage, (await card('ST3')).stage]).toEqual(['client', 'client', 'formerClient']);
  });
});
