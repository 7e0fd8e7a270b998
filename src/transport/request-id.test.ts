import { afterAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../test-support/test-kairos.js';
import { adminHeaders, startTestKairos } from '../test-support/test-kairos.js';

/**
 * Every HTTP reply carries its request's id (`X-Request-Id`: the client's when it sent a sane
 * one, else a new one), an error's too, so a refusal a client reports can be found in the
 * server's log; each log line names the process and the node.
 */

let k: TestKairos | undefined;
afterAll(async () => {
  await k?.close();
});

describe('request ids', () => {
  it('are on every reply, an error\'s too, the client\'s own when it sent one', async () => {
    k = await startTestKairos({ config: { store: 'memory', demo: false, nodeId: 'node-x' } });
    const ok = await fetch(`${k.httpUrl}/v1/status`, { headers: adminHeaders });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await fetch(`${k.httpUrl}/v1/customers/nobody`, { headers: { ...adminHeaders, 'X-Request-Id': 'crm-4711' } });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('x-request-id')).toBe('crm-4711');
    expect(((await refused.json()) as { code: string }).code).toBe('unknown_customer');
    // an id that is not a sane one is replaced
    const odd = await fetch(`${k.httpUrl}/v1/customers/nobody`, { headers: { ...adminHeaders, 'X-Request-Id': 'a b <c>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // the log lines name the process and the node
    expect(k.logs.find((l) => l.msg === 'kairos listening')).toMatchObject({ pid: process.pid, node: 'node-x', service: 'kairos' });
  });
});
