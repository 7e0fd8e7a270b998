import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditDraft } from '../audit/audit-chain.js';
import { loadConfig } from '../config.js';
import { packageRoot } from '../paths.js';
import type { HostReply } from '../runtime/host-options.js';
import type { IdentityConflictRecord } from '../runtime/identity-conflicts.js';
import type { ShardedKairos } from '../sharded-kairos.js';
import { startShardedKairos } from '../sharded-kairos.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { GatewayClient, adminHeaders, tempDir, uid, until } from '../test-support/test-kairos.js';
import type { NodeErasing } from './node-erasure.js';
import { NODE_ERASING_PREFIX } from './node-erasure.js';
import { shardOf } from './shard-of.js';

/**
 * An erasure on a node with shards (`KAIROS_SHARDS=2`) through the real server, as
 * src/admin/privacy-routes.test.ts checks a single node's: the subject-access export lists
 * every identity conflict naming the customer (their shard's and the node's, between customers
 * of two shards), and the erasure leaves nothing naming them, in their shard's store or the
 * node's (conflicts, merges from or to them, the router's forwarding), a stop in the middle of
 * it finished at the next start, and an event sent just before it is decided before it (never
 * re-creating the customer after). Runs the compiled shard worker (npm test builds first).
 */

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const data = tempDir();
const privacy = { Authorization: 'Bearer privacy-secret-0123456789' };
const config = loadConfig({ KAIROS_SHARDS: '2' }, { port: 0, host: '127.0.0.1', dataDir: data.dir, demo: false, logLevel: 'warn', shutdownTimeoutMs: 5000, segmentSweepMs: 0, keys: [{ name: 'dpo', role: 'privacy', secret: 'privacy-secret-0123456789' }] });
let k: ShardedKairos;
let http: string;

async function start(): Promise<void> {
  k = await startShardedKairos(config, { shardWorkerUrl: workerUrl });
  http = `http://127.0.0.1:${k.port}`;
}

beforeAll(start, 60_000);
afterAll(async () => {
  await k.close();
  data.remove();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${http}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const exported = async (id: string): Promise<IdentityConflictRecord[]> => {
  const res = await fetch(`${http}/v1/customers/${id}/export`, { headers: privacy });
  expect(res.status).toBe(200);
  return ((await res.json()) as { identityConflicts: IdentityConflictRecord[] }).identityConflicts;
};

/** Ids of `prefix-<n>` on each shard, in order. */
function idsOn(prefix: string): [string[], string[]] {
  const ids = Array.from({ length: 80 }, (_, i) => `${prefix}-${i}`);
  return [ids.filter((id) => shardOf(id, 2) === 0), ids.filter((id) => shardOf(id, 2) === 1)];
}

/** Customers with a phone each, `holder` with `card` too. */
async function put(customers: Record<string, { phone: string; card?: string }>): Promise<void> {
  for (const [id, c] of Object.entries(customers)) {
    expect((await api('PUT', `/v1/customers/${id}`, { last_name: 'Тестова', first_name: 'Анна', phone: c.phone, ...(c.card === undefined ? {} : { card: c.card }) })).status).toBe(200);
  }
}

/** `holder`'s card named for each claimant: a conflict, the shard's when both are of one shard, else the node's. */
async function conflict(gw: GatewayClient, holder: string, card: string, claimants: string[]): Promise<void> {
  for (const claimant of claimants) expect(await gw.request({ t: 'event', id: uid('c'), type: 'ib.login', customer: { id: claimant, card }, channel: 'ib' })).toMatchObject({ t: 'decision', customer: claimant });
  await until('the conflicts recorded', async () => {
    const listed = (await api('GET', '/v1/identity/conflicts?limit=1000')).body.conflicts as IdentityConflictRecord[];
    return listed.filter((c) => c.holder === holder).length === claimants.length ? true : undefined;
  });
}

/** An anonymous visitor of `shard`, first seen with a cookie of its own. */
async function visitor(gw: GatewayClient, shard: number, tag: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const cookie = `ck-${tag}-${i}`;
    const seen = await gw.request({ t: 'event', id: uid('v'), type: 'web.page_view', customer: { cookie }, channel: 'web' });
    if (seen.t === 'decision' && k.shards.ownerOf({ kind: 'cookie', value: cookie }) === shard) return seen.customer as string;
  }
  throw new Error(`no visitor of shard ${shard}`);
}

/** Every entry of the node's store and of the shards' that names `id` (the stores closed: the node is stopped). */
async function entriesNaming(id: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of ['node', 'shard-0', 'shard-1']) {
    const store = new LmdbStore(join(data.dir, dir), {});
    for (const prefix of ['identity-conflict/', 'customer-forward/', NODE_ERASING_PREFIX]) {
      for (const m of await store.listMeta(prefix, 100_000)) if (JSON.stringify(m).includes(id)) out.push(`${dir}: ${m.key}`);
    }
    await store.close();
  }
  return out;
}

describe('an erasure on a node with two shards', () => {
  const [on0, on1] = idsOn('era');
  const [holder, sameShard] = on0 as [string, string];
  const otherShard = on1[0]!;

  it("lists in the export the conflicts naming the customer, their shard's and the node's; the erasure removes them and the merges from or to them, in both stores", async () => {
    await put({ [holder]: { phone: '+79160000301', card: 'era-card-1' }, [sameShard]: { phone: '+79160000302' }, [otherShard]: { phone: '+79160000303' } });
    const gw = await GatewayClient.connect(`ws://127.0.0.1:${k.port}/v1/gateway`);
    await conflict(gw, holder, 'era-card-1', [sameShard, otherShard]);
    // A visitor of each shard merged into the holder: one by its shard, one across shards (its forwarding in the node's store).
    const near = await visitor(gw, 0, 'near');
    const far = await visitor(gw, 1, 'far');
    for (const from of [near, far]) expect((await api('POST', `/v1/customers/${holder}/merge`, { from })).status).toBe(200);
    expect(await k.store.getMeta(`customer-forward/${far}`)).toMatchObject({ to: holder, done: true });
    expect((await api('GET', `/v1/customers/${far}`)).body.id).toBe(holder);

    // (the ids merged into them name no customer: nothing erased by them, as on a single node)
    for (const from of [near, far]) expect((await api('DELETE', `/v1/customers/${from}`)).status).toBe(404);

    // The export lists both conflicts, each with the identifier masked; the other shard's customer's lists the node's.
    const before = await exported(holder);
    expect(before.map((c) => c.claimant).sort()).toEqual([sameShard, otherShard].sort());
    expect(before.every((c) => c.holder === holder && c.kind === 'card' && !c.identifier.includes('era-card-1'))).toBe(true);
    expect(before.map((c) => c.id)).toEqual(before.map((c) => c.id).sort());
    expect((await exported(otherShard)).map((c) => [c.holder, c.claimant])).toEqual([[holder, otherShard]]);

    expect((await api('DELETE', `/v1/customers/${holder}`)).status).toBe(200);
    // Nothing names the holder: no conflict listed or exported, no forwarding to them (the visitors' ids are their own again).
    const listed = (await api('GET', '/v1/identity/conflicts?limit=1000')).body.conflicts as IdentityConflictRecord[];
    expect(listed.filter((c) => c.holder === holder || c.claimant === holder)).toEqual([]);
    expect(await exported(otherShard)).toEqual([]);
    expect(await exported(sameShard)).toEqual([]);
    for (const [id, shard] of [[near, 0], [far, 1]] as const) {
      expect(k.shards.forwardOf(id)).toBe(id);
      expect((await api('GET', `/v1/customers/${id}`)).status).toBe(404);
      // (an event naming it is its own, as on a single node: no customer by that id any more)
      const reply = await gw.request({ t: 'event', id: uid('a'), type: 'ib.login', customer: { id }, channel: 'ib' });
      expect(reply).toMatchObject({ t: 'error', code: 'unknown_customer', message: expect.stringContaining(`"${id}"`) as string });
      expect(shardOf(id, 2)).toBe(shard);
    }
    gw.close();
    const left = [...(await k.store.listMeta('identity-conflict/', 1000)), ...(await k.store.listMeta('customer-forward/', 1000)), ...(await k.store.listMeta(NODE_ERASING_PREFIX, 1000))];
    expect(left.filter((m) => JSON.stringify(m).includes(holder))).toEqual([]);
    const trail = (await api('GET', '/v1/audit?action=customer.erase')).body.entries as Array<{ target: string }>;
    expect(trail.filter((e) => e.target === `customer:${holder}`)).toHaveLength(1);
  }, 60_000);

  it('finishes at the next start an erasure a stop interrupted, before or after its shard erased the customer', async () => {
    const [a, b] = idsOn('cut')[0] as [string, string];
    const [c, d] = idsOn('cut')[1] as [string, string];
    // a and b each hold a card another shard's customer named (the node's conflicts), and have a visitor of the other shard merged in (the node's forwarding).
    await put({ [a]: { phone: '+79160000311', card: 'cut-card-a' }, [b]: { phone: '+79160000312', card: 'cut-card-b' }, [c]: { phone: '+79160000313' }, [d]: { phone: '+79160000314' } });
    const gw = await GatewayClient.connect(`ws://127.0.0.1:${k.port}/v1/gateway`);
    await conflict(gw, a, 'cut-card-a', [c]);
    await conflict(gw, b, 'cut-card-b', [d]);
    const visitors = [await visitor(gw, 1, 'cut-a'), await visitor(gw, 1, 'cut-b')];
    expect((await api('POST', `/v1/customers/${a}/merge`, { from: visitors[0] })).status).toBe(200);
    expect((await api('POST', `/v1/customers/${b}/merge`, { from: visitors[1] })).status).toBe(200);
    gw.close();
    const draft = (id: string): AuditDraft => ({ at: Date.now(), who: { name: 'dpo', role: 'privacy' }, action: 'customer.erase', target: `customer:${id}`, before: { customer: id }, after: { customer: id, erased: true, identifiers: 0 } });
    // b's shard erased it (and wrote its entry), the node's store not yet.
    expect(await k.shards.erase(b, draft(b))).toBeDefined();
    await k.close();
    // The stop came after the journal: for a before anything else, for b after its shard's step.
    const node = new LmdbStore(join(data.dir, 'node'), {});
    for (const id of [a, b]) await node.putMeta(NODE_ERASING_PREFIX + id, { id, draft: draft(id) } satisfies NodeErasing);
    await node.close();
    expect((await entriesNaming(a)).length).toBeGreaterThan(0);
    expect(await entriesNaming(b)).toEqual(expect.arrayContaining([`node: customer-forward/${visitors[1]!}`]));

    await start();
    for (const id of [a, b]) expect((await api('GET', `/v1/customers/${id}`)).status).toBe(404);
    for (const id of visitors) expect(k.shards.forwardOf(id)).toBe(id);
    expect(await exported(c)).toEqual([]);
    expect(await exported(d)).toEqual([]);
    // Each audited once, in the node's trail.
    const trail = (await api('GET', '/v1/audit?action=customer.erase')).body.entries as Array<{ target: string }>;
    for (const id of [a, b]) expect(trail.filter((e) => e.target === `customer:${id}`)).toHaveLength(1);
    // DELETE again: nothing is left to erase.
    expect((await api('DELETE', `/v1/customers/${a}`)).status).toBe(404);
    await k.close();
    // (and nothing names the first test's customer either, in the shards' stores or the node's)
    for (const id of [a, b, holder]) expect(await entriesNaming(id)).toEqual([]);
    await start();
  }, 90_000);

  it("comes after the requests routed to the customer's shard before it: an event sent just before is decided on them and erased with them, never re-creating them after", async () => {
    const id = idsOn('race')[0][0]!;
    const phone = '+79160000321';
    const email = 'race@example.com';
    await put({ [id]: { phone } });
    // The directory's writes held: an event naming a new identifier waits in the router (a batch
    // behind its claim's write, the later ones behind it) until the test lets the writes go.
    const db = (k.shards as unknown as { directory: { db: { put: (key: Buffer, value: number) => Promise<boolean> } } }).directory.db;
    const write = db.put.bind(db);
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    db.put = (key, value) => held.then(() => write(key, value));
    const login = (customer: { phone: string; email?: string }): Promise<HostReply> => k.shards.submitEvent({ id: uid('race'), type: 'ib.login', customer, channel: 'ib' });
    const replies = Promise.all([login({ phone, email }), login({ phone }), login({ phone })]);
    const erased = api('DELETE', `/v1/customers/${id}`);
    // (the erasure waits for those events; without that wait it was done by now, before them)
    await Promise.race([erased, new Promise((r) => setTimeout(r, 1000))]);
    db.put = write;
    letGo();
    expect((await erased).status).toBe(200);
    // Each event decided on the customer before the erasure (or refused): none made a customer after it.
    for (const r of await replies) expect(r.kind === 'error' || (r.kind === 'decision' && r.customer === id), JSON.stringify(r)).toBe(true);
    expect((await api('GET', `/v1/customers/${id}`)).status).toBe(404);
    // No one holds their phone or the e-mail the event linked, in any shard; the directory knows neither.
    for (const index of [0, 1]) {
      for (const [kind, value] of [['phone', phone], ['email', email]] as const) expect(await k.shards.call(index, { op: 'view', kind, value }), `${kind} on shard ${index}`).toBeUndefined();
    }
    for (const [kind, value] of [['phone', phone], ['email', email]] as const) expect(k.shards.ownerOf({ kind, value })).toBeUndefined();
  }, 60_000);
});
