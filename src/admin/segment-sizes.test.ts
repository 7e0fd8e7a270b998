import { describe, expect, it } from 'vitest';
import { adminHeaders, msk, serverForFile, uid } from '../test-support/test-kairos.js';

/**
 * `GET /v1/segments/{id}` (and every segment's in `GET /v1/segment-sizes`) on the started server: the size kept live as customers enter,
 * equal to a count of the customers' own memberships, with the size at the end of each day
 * by the manual clock, and the same after a restart.
 */

const start = msk('2026-11-24T10:00:00');
const server = serverForFile({ config: { clock: 'manual' }, manualClockStart: start });

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { headers: adminHeaders });
  return { status: res.status, body: (await res.json()) };
}

async function setClock(now: number): Promise<void> {
  const res = await fetch(`${server.k.httpUrl}/v1/clock`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ now }) });
  expect(res.status).toBe(200);
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const SEGMENTS = ['clients_60_plus', 'clients_55_60', 'clients_18_30'];

/** Each segment's size by the customers' own memberships (GET /v1/customers/{id}). */
async function counted(customers: readonly string[]): Promise<Record<string, number>> {
  const out = Object.fromEntries(SEGMENTS.map((s) => [s, 0]));
  for (const c of customers) {
    for (const s of Object.keys((await get(`/v1/customers/${c}`)).body.segments as Record<string, number>)) if (s in out) out[s]! += 1;
  }
  return out;
}

/** Each segment's size as `GET /v1/segments/{id}` gives it, checked against `GET /v1/segment-sizes` (every segment in one call). */
async function sizes(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of SEGMENTS) out[s] = (await get(`/v1/segments/${s}`)).body.size as number;
  const all = (await get('/v1/segment-sizes')).body.sizes as Array<{ segment: string; size: number }>;
  expect(all.map((x) => x.segment)).toEqual(expect.arrayContaining(SEGMENTS));
  for (const s of SEGMENTS) expect(all.find((x) => x.segment === s)?.size).toBe(out[s]);
  return out;
}

describe('segment sizes over the admin API', () => {
  it('shows each segment with its live size and daily history, equal to a full count, across a restart', async () => {
    const before = await get('/v1/segments/clients_60_plus');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ id: 'clients_60_plus', name: 'Клиенты 60+', size: 0, sizeHistory: [] });

    const first = Array.from({ length: 12 }, (_, i) => `demo-${i + 1}`);
    for (const c of first) await server.gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id: c }, channel: 'ib', at: start });
    const day1 = await counted(first);
    expect(Object.values(day1).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(await sizes()).toEqual(day1);

    const next = start + 24 * 3_600_000;
    await setClock(next);
    const more = Array.from({ length: 12 }, (_, i) => `demo-${i + 13}`);
    for (const c of more) await server.gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id: c }, channel: 'ib', at: next });
    const all = await counted([...first, ...more]);
    expect(await sizes()).toEqual(all);
    const history = (await get('/v1/segments/clients_55_60')).body.sizeHistory;
    expect(day1.clients_55_60).toBeGreaterThan(0);
    expect(history).toEqual([{ day: day(start), size: day1.clients_55_60 }, { day: day(next), size: all.clients_55_60 }]);

    await server.restart();
    expect(await sizes()).toEqual(all);
  });

  it("lists a segment's members by page and exports them as CSV: customer ids in id order, equal to the customers' own memberships", async () => {
    const customers = Array.from({ length: 24 }, (_, i) => `demo-${i + 1}`);
    const own: string[] = [];
    for (const c of customers) if ('clients_55_60' in ((await get(`/v1/customers/${c}`)).body.segments as object)) own.push(c);
    own.sort();
    expect(own.length).toBeGreaterThan(1);
    const paged: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await get(`/v1/segments/clients_55_60/members?limit=1${after === undefined ? '' : `&after=${after}`}`);
      expect(page.status).toBe(200);
      expect(page.body.members.length).toBeLessThanOrEqual(1);
      paged.push(...(page.body.members as string[]));
      after = page.body.next as string | undefined;
      if (after === undefined) break;
    }
    expect(paged).toEqual(own);
    const csv = `customer\r\n${own.map((c) => `${c}\r\n`).join('')}`;
    for (const [path, accept] of [['/v1/segments/clients_55_60/members', 'text/csv'], ['/v1/segments/clients_55_60/members.csv', '*/*']] as const) {
      const res = await fetch(`${server.k.httpUrl}${path}`, { headers: { ...adminHeaders, accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="kairos-segment-clients_55_60.csv"');
      expect(await res.text()).toBe(csv);
    }
    expect((await get('/v1/segments/nope/members')).status).toBe(404);
    expect((await get('/v1/segments/clients_55_60/members?limit=0')).status).toBe(400);
  });

  it('counts a draft rule over the whole base before it is saved: a job polled for its progress, cancellable', async () => {
    const post = async (body: unknown): Promise<{ status: number; body: any }> => {
      const res = await fetch(`${server.k.httpUrl}/v1/segments/count`, { method: 'POST', headers: adminHeaders, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) };
    };
    const started = await post({ rule: { all: [{ attr: 'stage', op: 'eq', value: 'client' }, { attr: 'profile.age', op: 'gte', value: 60 }] } });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ state: 'running', scanned: 0, matched: 0 });
    let job = started.body;
    const progress: number[] = [];
    for (let i = 0; i < 10_000 && job.state === 'running'; i++) {
      job = (await get(`/v1/segment-counts/${started.body.job}`)).body;
      progress.push(job.scanned as number);
    }
    expect(job.state).toBe('done');
    // Every customer of the demo bank is looked at; those 60 and over are found.
    expect(job.scanned).toBeGreaterThan(1000);
    expect(job.matched).toBeGreaterThan(0);
    expect(job.matched).toBeLessThan(job.scanned);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    // Every customer is 0 or more: all of them.
    const all = await post({ rule: { attr: 'profile.age', op: 'gte', value: 0 } });
    const cancelled = await fetch(`${server.k.httpUrl}/v1/segment-counts/${all.body.job}`, { method: 'DELETE', headers: adminHeaders });
    expect(cancelled.status).toBe(200);
    let last = (await get(`/v1/segment-counts/${all.body.job}`)).body;
    for (let i = 0; i < 10_000 && last.state === 'running'; i++) last = (await get(`/v1/segment-counts/${all.body.job}`)).body;
    expect(last.state).toBe('cancelled');
    expect(last.scanned).toBeLessThan(job.scanned);

    const wrong = await post({ rule: { attr: 'feature.nope', op: 'gte', value: 1 } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('invalid');
    expect((await get('/v1/segment-counts/nope')).status).toBe(404);
  });
});
