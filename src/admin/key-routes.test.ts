import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import { GatewayClient, adminHeaders, serverForFile, startTestKairos, tempDir, uid } from '../test-support/test-kairos.js';
import { KeyRing } from '../transport/key-ring.js';

/**
 * /v1/keys on a real server: a key made through the API works at once with its role's
 * routes only; the listing never shows a secret; a rotated key's old secret and a revoked
 * key are refused from the reply on.
 */

/** beside the demo token, a configured token scoped to the bank's screens: an API-made key's scope is checked as its is */
const SCREENS_TOKEN = 'bank-screens-token-1';
const server = serverForFile({ config: { store: 'memory', gatewayTokens: [{ token: 'demo-gateway', scoped: false }, { token: SCREENS_TOKEN, channels: ['ib', 'callcenter'], scoped: true }] } });
const url = (p: string): string => `${server.k.httpUrl}${p}`;
const bearer = (secret: string): Record<string, string> => ({ Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' });

async function create(name: string, role: string, channels?: string[]): Promise<{ status: number; body: { name: string; role: string; secret: string; channels?: string[] | '*'; detail?: string } }> {
  const res = await fetch(url('/v1/keys'), { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name, role, ...(channels === undefined ? {} : { channels }) }) });
  return { status: res.status, body: (await res.json()) as { name: string; role: string; secret: string } };
}

describe('/v1/keys', () => {
  it('makes a named key whose secret is shown once and works at once, for its role only', async () => {
    const made = await create('crm-batch', 'marketer');
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'crm-batch', role: 'marketer' });
    expect(made.body.secret).toMatch(/^kairos_[A-Za-z0-9_-]{43}$/);
    expect((await fetch(url('/v1/catalog'), { headers: bearer(made.body.secret) })).status).toBe(200);
    const refused = await fetch(url('/v1/status'), { headers: bearer(made.body.secret) });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toBe('the key "crm-batch" (role marketer) may not getStatus (GET /v1/status)');
    // a marketer may not make keys
    const escalate = await fetch(url('/v1/keys'), { method: 'POST', headers: bearer(made.body.secret), body: JSON.stringify({ name: 'mine', role: 'admin' }) });
    expect(escalate.status).toBe(403);
    expect((await create('crm-batch', 'ops')).status).toBe(409);
  });

  it('lists keys by name and role, never a secret or its digest', async () => {
    const made = await create('lister', 'ops');
    const res = await fetch(url('/v1/keys'), { headers: adminHeaders });
    const text = await res.text();
    const { keys } = JSON.parse(text) as { keys: Array<{ name: string; role: string; source: string }> };
    expect(keys).toContainEqual(expect.objectContaining({ name: 'lister', role: 'ops', source: 'api' }));
    expect(keys).toContainEqual(expect.objectContaining({ role: 'admin', source: 'config' }));
    expect(text).not.toContain(made.body.secret);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  it('rotates: the old secret is refused from the reply on, the new one works', async () => {
    const made = await create('rotating', 'ops');
    expect((await fetch(url('/v1/status'), { headers: bearer(made.body.secret) })).status).toBe(200);
    const rotated = await fetch(url('/v1/keys/rotating/rotate'), { method: 'POST', headers: adminHeaders });
    expect(rotated.status).toBe(200);
    const { secret } = (await rotated.json()) as { secret: string };
    expect(secret).not.toBe(made.body.secret);
    expect((await fetch(url('/v1/status'), { headers: bearer(made.body.secret) })).status).toBe(401);
    expect((await fetch(url('/v1/status'), { headers: bearer(secret) })).status).toBe(200);
  });

  it('revokes: refused from the reply on; a configured key cannot be revoked here', async () => {
    const made = await create('leaving', 'analyst');
    expect((await fetch(url('/v1/reports/funnel'), { headers: bearer(made.body.secret) })).status).toBe(200);
    const gone = await fetch(url('/v1/keys/leaving'), { method: 'DELETE', headers: adminHeaders });
    expect([gone.status, await gone.json()]).toEqual([200, { name: 'leaving', role: 'analyst', revoked: true }]);
    expect((await fetch(url('/v1/reports/funnel'), { headers: bearer(made.body.secret) })).status).toBe(401);
    expect((await fetch(url('/v1/keys/leaving'), { method: 'DELETE', headers: adminHeaders })).status).toBe(404);
    const { keys } = (await (await fetch(url('/v1/keys'), { headers: adminHeaders })).json()) as { keys: Array<{ name: string }> };
    expect(keys.map((k) => k.name)).not.toContain('leaving');
    const configured = keys.find((k) => k.name.startsWith('key:'))!;
    expect((await fetch(url(`/v1/keys/${configured.name}`), { method: 'DELETE', headers: adminHeaders })).status).toBe(409);
    expect((await fetch(url('/v1/keys'), { headers: adminHeaders })).status).toBe(200);
  });
});

describe('a role changed', () => {
  it('applies from the reply on: the old role\'s routes are refused, the new one\'s allowed, a gateway connection closed', async () => {
    const made = await create('moving', 'analyst');
    expect((await fetch(url('/v1/reports/funnel'), { headers: bearer(made.body.secret) })).status).toBe(200);
    const put = (name: string, role: unknown) => fetch(url(`/v1/keys/${name}/role`), { method: 'PUT', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: JSON.stringify({ role }) });
    const moved = await put('moving', 'ops');
    expect([moved.status, await moved.json()]).toEqual([200, { name: 'moving', role: 'ops' }]);
    const refused = await fetch(url('/v1/reports/funnel'), { headers: bearer(made.body.secret) });
    expect([refused.status, refused.headers.get('content-type')]).toEqual([403, 'application/problem+json']);
    expect((await fetch(url('/v1/status'), { headers: bearer(made.body.secret) })).status).toBe(200);
    expect((await put('nobody', 'ops')).status).toBe(404);
    expect((await put('moving', 'owner')).status).toBe(400);
    const gw = await create('gw-moving', 'gateway');
    const ws = await GatewayClient.connect(server.k.wsUrl, gw.body.secret);
    expect((await put('gw-moving', 'ops')).status).toBe(200);
    expect((await ws.waitClosed()).code).toBe(1008);
  });
});

describe('gateway keys made through the API', () => {
  it('open the WebSocket and post events; a connection is closed when its key is rotated or revoked', async () => {
    const made = await create('branch-gw', 'gateway');
    const events = await fetch(url('/v1/events'), { method: 'POST', headers: bearer(made.body.secret), body: '{}' });
    expect(events.status).toBe(400); // authenticated: the empty event is refused by its schema
    const first = await GatewayClient.connect(server.k.wsUrl, made.body.secret);
    const rotated = (await (await fetch(url('/v1/keys/branch-gw/rotate'), { method: 'POST', headers: adminHeaders })).json()) as { secret: string };
    expect(await first.waitClosed()).toEqual({ code: 1008, reason: 'the key was revoked, rotated or given another role or channel scope' });
    await expect(GatewayClient.connect(server.k.wsUrl, made.body.secret)).rejects.toThrow('HTTP 401');
    const second = await GatewayClient.connect(server.k.wsUrl, rotated.secret);
    const other = await GatewayClient.connect(server.k.wsUrl);
    expect((await fetch(url('/v1/keys/branch-gw'), { method: 'DELETE', headers: adminHeaders })).status).toBe(200);
    expect((await second.waitClosed()).code).toBe(1008);
    expect(other.closedWith).toBeUndefined();
    other.close();
    // a key of another role opens no connection
    const ops = await create('ops-gw', 'ops');
    await expect(GatewayClient.connect(server.k.wsUrl, ops.body.secret)).rejects.toThrow('HTTP 401');
  });
});

describe('a gateway key\'s channel scope', () => {
  const listed = async (name: string): Promise<Record<string, unknown> | undefined> =>
    ((await (await fetch(url('/v1/keys'), { headers: adminHeaders })).json()) as { keys: Array<Record<string, unknown>> }).keys.find((k) => k.name === name);

  it('bounds what an API-made key may subscribe to, refused outside it as a configured token is', async () => {
    const made = await create('screens-gw', 'gateway', ['ib', 'callcenter', 'ib']);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'screens-gw', role: 'gateway', channels: ['ib', 'callcenter'] });
    expect(await listed('screens-gw')).toMatchObject({ role: 'gateway', source: 'api', channels: ['ib', 'callcenter'] });
    const apiMade = await GatewayClient.connect(server.k.wsUrl, made.body.secret);
    const configured = await GatewayClient.connect(server.k.wsUrl, SCREENS_TOKEN);
    // outside the scope: the same refusal, word for word, for both
    const refusals = [];
    for (const c of [apiMade, configured]) {
      const id = uid('s');
      const reply = await c.request({ t: 'subscribe', id, channels: ['ib', 'sms'] });
      refusals.push({ ...reply, re: 'x' });
      expect(reply).toEqual({ t: 'error', re: id, code: 'unauthorized', message: 'field "channels": this gateway token may not subscribe to "sms"' });
    }
    expect(refusals[0]).toEqual(refusals[1]);
    // inside it: subscribed
    const ok = uid('s');
    expect(await apiMade.request({ t: 'subscribe', id: ok, channels: ['ib', 'callcenter'] })).toEqual({ t: 'ack', re: ok });
    // events still go: the scope bounds the delivery side only
    expect((await fetch(url('/v1/events'), { method: 'POST', headers: bearer(made.body.secret), body: '{}' })).status).toBe(400);
    apiMade.close();
    configured.close();
  });

  it('takes none ([]: events only); without one a gateway key may use every channel, shown as "*"', async () => {
    const none = await create('atm-gw', 'gateway', []);
    expect(none.body.channels).toEqual([]);
    const atm = await GatewayClient.connect(server.k.wsUrl, none.body.secret);
    const id = uid('s');
    expect(await atm.request({ t: 'subscribe', id, channels: ['ib'] })).toMatchObject({ t: 'error', re: id, code: 'unauthorized' });
    atm.close();
    const open = await create('open-gw', 'gateway');
    expect(open.body.channels).toBe('*');
    expect(await listed('open-gw')).toMatchObject({ channels: '*' });
    // other roles have no scope
    expect(await listed('crm-batch')).not.toHaveProperty('channels');
  });

  it('refuses a scope for another role, or naming no channel', async () => {
    const other = await create('scoped-ops', 'ops', ['sms']);
    expect([other.status, other.body.detail]).toEqual([400, 'field "channels": only a gateway key has a channel scope (this one\'s role is ops)']);
    expect((await create('scoped-gw', 'gateway', ['telegram'])).status).toBe(400);
    expect(await listed('scoped-ops')).toBeUndefined();
  });

  it('changes with the role: a new scope closes the key\'s connections, and holds for the next one', async () => {
    const made = await create('moving-gw', 'gateway', ['sms']);
    const put = (body: unknown) => fetch(url('/v1/keys/moving-gw/role'), { method: 'PUT', headers: adminHeaders, body: JSON.stringify(body) });
    const before = await GatewayClient.connect(server.k.wsUrl, made.body.secret);
    const moved = await put({ role: 'gateway', channels: ['email'] });
    expect([moved.status, await moved.json()]).toEqual([200, { name: 'moving-gw', role: 'gateway', channels: ['email'] }]);
    expect(await before.waitClosed()).toEqual({ code: 1008, reason: 'the key was revoked, rotated or given another role or channel scope' });
    const after = await GatewayClient.connect(server.k.wsUrl, made.body.secret);
    const id = uid('s');
    expect(await after.request({ t: 'subscribe', id, channels: ['sms'] })).toMatchObject({ t: 'error', code: 'unauthorized', message: 'field "channels": this gateway token may not subscribe to "sms"' });
    // the role alone again: a gateway key keeps its scope; made another role, it has none
    expect(await (await put({ role: 'gateway' })).json()).toEqual({ name: 'moving-gw', role: 'gateway', channels: ['email'] });
    expect(await (await put({ role: 'ops' })).json()).toEqual({ name: 'moving-gw', role: 'ops' });
    expect((await put({ role: 'ops', channels: ['sms'] })).status).toBe(400);
    expect(await (await put({ role: 'gateway' })).json()).toEqual({ name: 'moving-gw', role: 'gateway', channels: '*' });
    after.close();
    // the trail has each scope, before and after
    const trail = (await (await fetch(url('/v1/audit?target=key:moving-gw'), { headers: adminHeaders })).json()) as { entries: Array<{ action: string; before?: { channels?: string[] }; after: { channels?: string[] } }> };
    expect(trail.entries.map((e) => [e.action, e.before?.channels, e.after.channels])).toEqual([
      ['key.create', undefined, ['sms']],
      ['key.role', ['sms'], ['email']],
      ['key.role', ['email'], ['email']],
      ['key.role', ['email'], undefined],
      ['key.role', undefined, undefined],
    ]);
  });

  it('warns at start about the API-made gateway keys without a scope, by name', async () => {
    const data = tempDir();
    try {
      const first = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { store: 'lmdb', demo: false } });
      for (const [name, channels] of [['wide-gw', undefined], ['narrow-gw', ['sms']]] as const) {
        const res = await fetch(`${first.httpUrl}/v1/keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name, role: 'gateway', ...(channels === undefined ? {} : { channels }) }) });
        expect(res.status).toBe(201);
      }
      await first.close();
      const second = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { store: 'lmdb', demo: false } });
      await second.close();
      const warned = second.logs.filter((l) => l.level === 40 && String(l.msg).startsWith('gateway keys made through the admin API without a channel scope'));
      expect(warned).toEqual([expect.objectContaining({ keys: ['wide-gw'] })]);
    } finally {
      data.remove();
    }
  });
});

describe('one name, one key', () => {
  it('makes one key of two creates of one name at once: the other is 409, and the trail has one entry', async () => {
    const both = await Promise.all([create('twice', 'admin'), create('twice', 'admin'), create('twice', 'ops')]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const made = both.find((r) => r.status === 201)!.body;
    expect((await fetch(url('/v1/whoami'), { headers: bearer(made.secret) })).status).toBe(200);
    const trail = (await (await fetch(url('/v1/audit?target=key:twice'), { headers: adminHeaders })).json()) as { entries: Array<{ action: string }> };
    expect(trail.entries.map((e) => e.action)).toEqual(['key.create']);
    // two rotations at once: each its turn, the second's secret the one that works
    const [r1, r2] = await Promise.all([1, 2].map(async () => (await (await fetch(url('/v1/keys/twice/rotate'), { method: 'POST', headers: adminHeaders })).json()) as { secret: string }));
    expect((await fetch(url('/v1/whoami'), { headers: bearer(r1!.secret) })).status + (await fetch(url('/v1/whoami'), { headers: bearer(r2!.secret) })).status).toBe(200 + 401);
  });

  it('takes the changes of one name in turn: of creates at once, one makes the key, the others are 409', async () => {
    const store = new MemoryStore();
    const ring = new KeyRing({ store, bootstrap: [], production: false, now: () => 0 });
    const tries = await Promise.allSettled([ring.create('batch', 'admin'), ring.create('batch', 'ops'), ring.create('batch', 'admin')]);
    expect(tries.map((t) => (t.status === 'fulfilled' ? 'made' : (t.reason as { code: string }).code)).sort()).toEqual(['conflict', 'conflict', 'made']);
    const made = tries.find((t) => t.status === 'fulfilled')!;
    expect((await ring.authenticate(`Bearer ${made.value.secret}`))?.principal).toEqual({ name: 'batch', role: made.value.role });
  });

  it('never lets an API-made key live on under a configured key of its name', async () => {
    const store = new MemoryStore();
    const api = new KeyRing({ store, bootstrap: [], production: false, now: () => 0 });
    const { secret } = await api.create('crm', 'admin');
    // a node configured with a key of that name (KAIROS_KEYS=crm:marketer:…): it refuses to start…
    const configured = new KeyRing({ store, bootstrap: [{ name: 'crm', role: 'marketer', secret: 'crm-configured-secret-0123' }], production: false, now: () => 0 });
    await expect(configured.checkConfiguredNames()).rejects.toMatchObject({ code: 'config_invalid', message: expect.stringContaining('KAIROS_KEYS: "crm" is also the name of a key made through the admin API (role admin)') });
    // …and, as it holds the table, accepts only the configured key; the API-made one may be revoked, not changed
    expect(await configured.authenticate(`Bearer ${secret}`)).toBeUndefined();
    expect((await configured.authenticate('Bearer crm-configured-secret-0123'))?.principal).toEqual({ name: 'crm', role: 'marketer' });
    await expect(configured.rotate('crm')).rejects.toMatchObject({ code: 'conflict' });
    await expect(configured.revoke('crm')).resolves.toEqual({ name: 'crm', role: 'admin' });
    await expect(configured.revoke('crm')).rejects.toMatchObject({ code: 'conflict', message: 'the key "crm" comes from the configuration: change it there' });
    expect(await api.authenticate(`Bearer ${secret}`)).toBeUndefined();
    await expect(configured.checkConfiguredNames()).resolves.toBeUndefined();
  });

  it('refuses a start whose KAIROS_KEYS names a key made through the API, naming it; starts once it is revoked', async () => {
    const data = tempDir();
    const adminKeys = ['admin-secret-1'];
    const admin = { Authorization: 'Bearer admin-secret-1', 'Content-Type': 'application/json' };
    const configured = { name: 'crm', role: 'marketer' as const, secret: 'crm-configured-secret-0123' };
    try {
      const first = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { store: 'lmdb', demo: false, adminKeys } });
      const made = (await (await fetch(`${first.httpUrl}/v1/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'crm', role: 'admin' }) })).json()) as { secret: string };
      await first.close();
      await expect(startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { store: 'lmdb', demo: false, adminKeys, keys: [configured] } })).rejects.toMatchObject({
        code: 'config_invalid',
        message: expect.stringMatching(/KAIROS_KEYS: "crm" is also the name of a key made through the admin API \(role admin\): revoke that key first .*kairos keys revoke crm/),
      });
      // as the message says: without it in KAIROS_KEYS, revoke the API-made key; then the configured one starts
      const second = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { store: 'lmdb', demo: false, adminKeys } });
      expect((await fetch(`${second.httpUrl}/v1/keys/crm`, { method: 'DELETE', headers: admin })).status).toBe(200);
      await second.close();
      const third = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { store: 'lmdb', demo: false, adminKeys, keys: [configured] } });
      try {
        expect((await fetch(`${third.httpUrl}/v1/keys`, { headers: bearer(made.secret) })).status).toBe(401);
        expect((await fetch(`${third.httpUrl}/v1/whoami`, { headers: bearer(configured.secret) })).status).toBe(200);
      } finally {
        await third.close();
      }
    } finally {
      data.remove();
    }
  });
});

describe('the key ring', () => {
  it('in production refuses to make a qa key, and a configured qa key is not usable', async () => {
    const ring = new KeyRing({ store: new MemoryStore(), bootstrap: [{ name: 'tester', role: 'qa', secret: 'qa-secret-0123456789' }], production: true, now: () => 0 });
    await expect(ring.create('qa-2', 'qa')).rejects.toMatchObject({ code: 'invalid' });
    expect((await ring.authenticate('Bearer qa-secret-0123456789'))?.principal).toEqual({ name: 'tester', role: 'qa' });
    expect(ring.roleUsable('qa')).toBe(false);
    expect(ring.roleUsable('ops')).toBe(true);
    const dev = new KeyRing({ store: new MemoryStore(), bootstrap: [], production: false, now: () => 0 });
    await expect(dev.create('qa-2', 'qa')).resolves.toMatchObject({ role: 'qa' });
  });

  it('sees a change made through another ring on the same store at the next request', async () => {
    const store = new MemoryStore();
    const a = new KeyRing({ store, bootstrap: [], production: false, now: () => 0 });
    const b = new KeyRing({ store, bootstrap: [], production: false, now: () => 0 });
    const { secret } = await a.create('shared', 'ops');
    expect((await b.authenticate(`Bearer ${secret}`))?.principal).toEqual({ name: 'shared', role: 'ops' });
    await a.revoke('shared');
    expect(await b.authenticate(`Bearer ${secret}`)).toBeUndefined();
  });
});


describe('production', () => {
  /** the store keeps the secret's fingerprint: both starts use the same (production refuses the demo one) */
  const stopListSecret = 'a-bank-stop-list-secret-0123';
  it('refuses a qa key made before the switch, at use, and refuses to make one', async () => {
    const data = tempDir();
    try {
      const dev = await startTestKairos({ dataDir: data.dir, keepDataDir: true, config: { adminKeys: ['admin-secret-1'], gatewayTokens: [{ token: 'gateway-secret-1', scoped: false }], stopListSecret } });
      const admin = { Authorization: 'Bearer admin-secret-1', 'Content-Type': 'application/json' };
      const made = (await (await fetch(`${dev.httpUrl}/v1/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'tester', role: 'qa' }) })).json()) as { secret: string };
      expect((await fetch(`${dev.httpUrl}/v1/clock`, { headers: bearer(made.secret) })).status).toBe(200);
      await dev.close();
      const prod = await startTestKairos({
        dataDir: data.dir,
        keepDataDir: true,
        config: { env: 'production', demo: false, adminKeys: ['admin-secret-1'], gatewayTokens: [{ token: 'gateway-secret-1', scoped: false }], stopListSecret },
      });
      try {
        const refused = await fetch(`${prod.httpUrl}/v1/clock`, { headers: bearer(made.secret) });
        expect(refused.status).toBe(403);
        expect(((await refused.json()) as { detail: string }).detail).toBe('the key "tester" (role qa) is refused in production (KAIROS_ENV=production)');
        const again = await fetch(`${prod.httpUrl}/v1/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'tester-2', role: 'qa' }) });
        expect(again.status).toBe(400);
        expect((await fetch(`${prod.httpUrl}/v1/clock`, { headers: admin })).status).toBe(200);
      } finally {
        await prod.close();
      }
    } finally {
      data.remove();
    }
  });
});
