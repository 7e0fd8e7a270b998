import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { startTestKairos } from '../test-support/test-kairos.js';

/** GET /v1/whoami: the calling key's name, role, the operations it may call, and today by the server clock. */

const marketer = 'secret-of-the-marketer-key-0123';
const analyst = 'secret-of-the-analyst-key-01234';

let k: TestKairos;
beforeAll(async () => {
  k = await startTestKairos({
    config: { store: 'memory', demo: false, clock: 'manual', keys: [{ name: 'ivanova', role: 'marketer', secret: marketer }, { name: 'petrov', role: 'analyst', secret: analyst }] },
  });
});
afterAll(async () => {
  await k.close();
});

const whoami = async (secret?: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${k.httpUrl}/v1/whoami`, { headers: secret === undefined ? {} : { Authorization: `Bearer ${secret}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('GET /v1/whoami', () => {
  it("names the key and its role, and lists what the role may call", async () => {
    const m = await whoami(marketer);
    expect(m.status).toBe(200);
    expect(m.body).toMatchObject({ name: 'ivanova', role: 'marketer' });
    expect(m.body.operations).toEqual(expect.arrayContaining(['listCampaigns', 'moveCampaign', 'startOutboundRun', 'getFunnel', 'whoami']));
    expect(m.body.operations).not.toContain('getCustomer');
    const a = await whoami(analyst);
    expect(a.body).toMatchObject({ name: 'petrov', role: 'analyst' });
    expect(a.body.operations).toEqual(expect.arrayContaining(['getFunnel', 'getCustomer', 'listOutboundRuns']));
    expect(a.body.operations).not.toContain('moveCampaign');
    expect(a.body.operations).not.toContain('listCampaigns');
  });

  it("gives today's day by the server clock in the policy's time zone", async () => {
    const admin = { headers: { Authorization: 'Bearer demo-admin' } };
    const clock = (await (await fetch(`${k.httpUrl}/v1/clock`, admin)).json()) as { now: number };
    const policy = (await (await fetch(`${k.httpUrl}/v1/policy`, admin)).json()) as { defaultTimezone: string };
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: policy.defaultTimezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(clock.now);
    expect((await whoami('demo-admin')).body.today).toBe(today);
    expect((await whoami('demo-admin')).body.timeZone).toBe(policy.defaultTimezone);
  });

  it('is 401 without a key', async () => {
    expect((await whoami()).status).toBe(401);
    expect((await whoami('not-a-key-anyone-has-0000')).status).toBe(401);
  });
});
