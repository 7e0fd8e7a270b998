import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, msk, startTestKairos } from '../test-support/test-kairos.js';

/**
 * An outbound schedule's slots count from when it was saved, not from when the runs' tick first
 * sees it: a `once` saved less than a tick before its time runs; a `once` already past is
 * refused, naming the field (a server on the demo catalog without its customers, a manual
 * clock moved through the admin API, each move a look at the runs).
 */

let k: TestKairos;
beforeAll(async () => {
  k = await startTestKairos({ config: { clock: 'manual', demo: false, catalogFile: join(packageRoot(), 'demo', 'catalog.yaml') }, manualClockStart: msk('2026-12-13T10:00:00') });
});
afterAll(async () => {
  await k.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: await res.json() };
}

const campaign = (once: string) => ({
  name: 'Once',
  status: 'active',
  offer: 'pension-deposit',
  channels: ['sms'],
  outbound: { segments: ['clients_60_plus'], schedule: { once } },
  groups: [{ id: 'all', when: { attr: 'segment.clients_60_plus', op: 'eq', value: true }, responsePercent: 10 }],
  expiresIn: '3d',
});

describe('a scheduled outbound campaign', () => {
  it('runs a once saved just before its time, with no tick between', async () => {
    // saved at 10:00 for 10:30 (the wall-clock time in Moscow); the clock moved past it at once
    expect((await call('PUT', '/v1/campaigns/once-run', campaign('2026-12-13T10:30'))).status).toBe(201);
    await call('POST', '/v1/clock', { advance: 1_860_000 });
    await k.kairos.outboundRuns.idle();
    const runs = (await call('GET', '/v1/runs?campaign=once-run')).body.runs as Array<{ id: string; startedBy: string; state: string }>;
    expect(runs.map((r) => [r.id, r.startedBy])).toEqual([['once-run~20261213T0730', 'schedule']]);
    // and once only
    await call('POST', '/v1/clock', { advance: 3_600_000 });
    expect((await call('GET', '/v1/runs?campaign=once-run')).body.runs).toHaveLength(1);
  });

  it('refuses a once already past, naming the field; an edit that keeps it is taken', async () => {
    // the clock reads 11:31 now
    const past = await call('PUT', '/v1/campaigns/late-run', campaign('2026-12-13T11:00'));
    expect(past.status).toBe(400);
    expect(past.body.detail).toMatch(/^field "outbound\.schedule\.once": 2026-12-13T08:00:00\.000Z is past/);
    // the whole catalog replaced with it: named by the campaign
    const def = (await call('GET', '/v1/catalog')).body;
    const replaced = await call('PUT', '/v1/catalog', { ...def, version: undefined, campaigns: [...def.campaigns, { id: 'late-run', ...campaign('2026-12-13T11:00') }] });
    expect(replaced.status).toBe(400);
    expect(replaced.body.detail).toMatch(/^campaigns\[late-run\]\.outbound\.schedule\.once: .* is past/);
    // a completed campaign's past once is its history (a reviewed catalog file put on another server): taken
    const completed = await call('PUT', '/v1/catalog', { ...def, version: undefined, campaigns: [...def.campaigns, { id: 'late-run', ...campaign('2026-12-13T11:00'), status: 'completed' }] });
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect((await call('DELETE', '/v1/campaigns/late-run')).status).toBe(200);
    // the campaign whose once has run, edited otherwise (its name), or paused: its schedule unchanged, taken
    expect((await call('PUT', '/v1/campaigns/once-run', { ...campaign('2026-12-13T10:30'), name: 'Once, renamed' })).status).toBe(200);
    expect((await call('POST', '/v1/campaigns/once-run/status', { status: 'paused' })).status).toBe(200);
    // a time ahead: taken
    expect((await call('PUT', '/v1/campaigns/late-run', campaign('2026-12-13T12:00'))).status).toBe(201);
  });
});
