import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCatalog } from '../../actors/test-support/fixtures.js';
import type { CustomerImportDeps } from '../admin/customer-import-routes.js';
import { patchCustomer, putCustomer, rowsIntoStore } from '../admin/customer-import-routes.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { RedisStore } from '../store/redis-store.js';
import { bareHost } from '../test-support/bare-host.js';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import { importCustomerRows } from './import-customers.js';
import type { ImportLeaseOptions } from './import-lock.js';
import { IMPORT_LEASE_KEY, importLockOf, withImportLock } from './import-lock.js';
import { emptyMapping } from './import-mapping.js';
import type { SourceRow } from './read-rows.js';

/**
 * The import lock across nodes sharing one Redis (docs/import.md#runs-at-once): two nodes, each
 * its own RedisStore (its own connection) on one real redis-server and its own customer host, in
 * one process so the test decides the order of their steps. An import on node A holding a row
 * it checked but has not committed, and a `PUT` on node B naming the same new phone: one
 * customer gets it, the other row is `identifier_taken`; many `PUT`s at once on both nodes;
 * `PATCH`es of one customer on both nodes audited in one chain; a long import on A giving the
 * lease to B's `PUT` between two batches; a lease held too long refused with 503 naming its
 * holder; a node paused past its lease failing its run rather than committing under B's.
 */

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
let prefixes = 0;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (runRedisTests) redis = await startRedis();
});

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await redis?.close();
});

const caller = { principal: { name: 'privacy-console', role: 'privacy' as const } };

interface Node {
  store: RedisStore;
  d: CustomerImportDeps;
}

/** A node on the shared Redis (the prefix names the installation both nodes are part of), its import lock made with `lease`. */
async function node(prefix: string, clock: ManualClock, lease: ImportLeaseOptions): Promise<Node> {
  const store = await new RedisStore({ url: redis!.url, prefix }).open();
  importLockOf(store, lease);
  const host = bareHost(store, clock, testCatalog);
  closers.push(async () => {
    await host.close(1000);
    await store.close();
  });
  return { store, d: { host, store, clock, logger: createLogger('silent') } };
}

async function twoNodes(a: ImportLeaseOptions = {}, b: ImportLeaseOptions = {}): Promise<{ a: Node; b: Node }> {
  const prefix = `ilock-${process.pid}-${++prefixes}`;
  const clock = new ManualClock(Date.now());
  return { a: await node(prefix, clock, { node: 'node-a', ...a }), b: await node(prefix, clock, { node: 'node-b', ...b }) };
}

/** What a promise came to: its value, or the error it failed with. */
function settled<T>(p: Promise<T>): Promise<{ value: T } | { err: Error & { code?: string; status?: number } }> {
  return p.then(
    (value) => ({ value }),
    (err: unknown) => ({ err: err as Error }),
  );
}

/** A body that yields `rows`, then waits for `rest` (a client sending it slowly); `checked` resolves once the rows are asked past (all checked). */
function slowBody(rows: readonly SourceRow[]): { body: AsyncGenerator<SourceRow>; checked: Promise<void>; more: () => void } {
  let more!: () => void;
  const rest = new Promise<void>((resolve) => (more = resolve));
  let asked!: () => void;
  const checked = new Promise<void>((resolve) => (asked = resolve));
  async function* body(): AsyncGenerator<SourceRow> {
    yield* rows;
    asked();
    await rest;
  }
  return { body: body(), checked, more };
}

/** An NDJSON line of the import route as read (canonical columns). */
function row(line: number, fields: Record<string, string>): SourceRow {
  const raw = JSON.stringify(fields);
  return { line, raw, fields, bytes: raw.length };
}

/** Which of `ids` list `phone` in their master data. */
async function listing(store: RedisStore, ids: readonly string[], phone: string): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) if ((await store.getCustomer(id))?.identifiers.phone?.includes(phone) === true) out.push(id);
  return out;
}

describe.runIf(runRedisTests)('the import lock across nodes sharing Redis', () => {
  it("gives a new phone to one customer when node B's PUT names it while node A's import holds a row naming it, not yet committed", async () => {
    const { a, b } = await twoNodes();
    const phone = '+79165550101';
    // A's body: one row, then nothing until the test says so; the row checked waits in A's batch
    const { body, checked, more } = slowBody([row(1, { id: 'a-1', phone })]);
    const rejectsA: string[] = [];
    const importA = rowsIntoStore(a.d)(body, { onRejected: (r) => rejectsA.push(r.reason), onProgress: () => undefined });
    await checked;
    // A, idle for its rows, commits what it checked and lets B in: B's PUT does not wait for A's body
    const put = await settled(putCustomer(b.d, 'b-1', { phone }, caller));
    more();
    const counts = await importA;
    // B found the phone A's run had checked: refused, not linked a second time
    expect(put).toEqual({ err: expect.objectContaining({ code: 'invalid', message: 'field "body.phone": identifier_taken' }) });
    expect(counts).toMatchObject({ rows: 1, created: 1, rejected: 0 });
    expect(rejectsA).toEqual([]);
    expect(await a.store.lookupIdentity('phone', phone)).toBe('a-1');
    expect(await listing(b.store, ['a-1', 'b-1'], phone)).toEqual(['a-1']);
    // the lease given back at the end
    expect(await a.store.leaseHolder(IMPORT_LEASE_KEY)).toBeUndefined();
  });

  it('gives a new phone to one customer when many PUTs on both nodes name it at once', async () => {
    const { a, b } = await twoNodes();
    const phone = '+79165550102';
    const ids = Array.from({ length: 12 }, (_, i) => `race-${i}`);
    const replies = await Promise.all(ids.map((id, i) => settled(putCustomer((i % 2 === 0 ? a : b).d, id, { first_name: 'Ян', phone }, caller))));
    const created = ids.filter((_, i) => 'value' in replies[i]! && (replies[i] as { value: string }).value === 'created');
    expect(created).toHaveLength(1);
    for (const r of replies) if (!('value' in r)) expect(r.err.message).toBe('field "body.phone": identifier_taken');
    expect(await b.store.lookupIdentity('phone', phone)).toBe(created[0]);
    expect(await listing(a.store, ids, phone)).toEqual(created);
  });

  it('audits PATCHes of one customer on both nodes at once in one chain: each entry starts where the one before ended', async () => {
    const { a, b } = await twoNodes();
    expect(await putCustomer(a.d, 'p-1', { first_name: 'Ия', consent_sms: true }, caller)).toBe('created');
    // the customer's state loaded on both nodes (as a GET of the customer does), so each PATCH reads it from before its own change
    await a.d.host.view('p-1');
    await b.d.host.view('p-1');
    const asks = Array.from({ length: 8 }, (_, i) => i % 2 === 0);
    const replies = await Promise.all(asks.map((sms, i) => patchCustomer((i % 2 === 0 ? a : b).d, 'p-1', { consent_sms: sms }, `p${i}`, caller)));
    const entries = (await a.store.listAudit(0, 100)).filter((e) => e.action === 'customer.patch' && e.target === 'p-1');
    expect(entries).toHaveLength(asks.length);
    let sms: boolean = true;
    for (const e of entries) {
      const after = e.after as { outcome: string; reason: string; consents?: Record<string, boolean> };
      const i = Number(after.reason.slice(1));
      expect(replies[i], after.reason).toBe(after.outcome);
      if (asks[i] === sms) expect({ outcome: after.outcome, before: e.before }, after.reason).toEqual({ outcome: 'unchanged', before: undefined });
      else {
        expect({ outcome: after.outcome, before: e.before, after: after.consents }, after.reason).toEqual({ outcome: 'updated', before: { consents: { sms } }, after: { sms: asks[i] } });
        sms = asks[i]!;
      }
    }
    expect((await b.store.getCustomer('p-1'))?.consents?.sms?.granted).toBe(sms);
  });

  it("gives the lease to node B's PUT between two batches of node A's long import, and the import goes on after it", async () => {
    const { a, b } = await twoNodes({ watchMs: 20 });
    const rows = Array.from({ length: 25 }, (_, i) => row(i + 1, { id: `long-${i + 1}`, phone: `+791655502${String(i + 1).padStart(2, '0')}` }));
    const order: string[] = [];
    let put: Promise<unknown> | undefined;
    const rejects: Array<[number, string]> = [];
    const counts = await importCustomerRows(a.store, rows, {
      source: 'api',
      mapping: emptyMapping,
      rejects: { append: () => undefined, size: () => 0, truncate: () => undefined },
      resume: false,
      keepMarker: false,
      now: a.d.clock.now(),
      batchSize: 10,
      onRejected: (r) => rejects.push([r.line, r.reason]),
      onProgress: (p) => void order.push(`import ${p.rows}`),
      // the first batch about to be written: B's PUT asks for the lease, naming row 15's phone, and A sees it waiting
      beforeWrite: async () => {
        if (put !== undefined) return;
        put = putCustomer(b.d, 'b-15', { phone: rows[14]!.fields.phone! }, caller).then((outcome) => order.push(`put ${outcome}`));
        for (const until = performance.now() + 10_000; !importLockOf(a.store).contended && performance.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 5));
      },
    });
    await put;
    // B's PUT went in after A's first batch, before A checked row 15: that row is refused, B's customer holds the phone
    expect(order).toEqual(['import 10', 'put created', 'import 20', 'import 25']);
    expect(counts).toMatchObject({ rows: 25, created: 24, rejected: 1 });
    expect(rejects).toEqual([[15, 'identifier_taken']]);
    expect(await a.store.lookupIdentity('phone', rows[14]!.fields.phone!)).toBe('b-15');
  });

  it('refuses a run with 503 naming the other node when the lease stays held past the wait, and takes it once free', async () => {
    const { a, b } = await twoNodes({}, { waitMs: 300 });
    let done!: () => void;
    const busy = new Promise<void>((resolve) => (done = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // a change on A that keeps the lock (a PUT whose customer is slow to answer)
    const onA = withImportLock(a.store, async () => {
      holding();
      await busy;
    });
    await held;
    const started = performance.now();
    const put = await settled(putCustomer(b.d, 'b-1', { first_name: 'Ян' }, caller));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(put).toEqual({ err: expect.objectContaining({ code: 'overloaded', status: 503, message: expect.stringMatching(/^the customers' import lock is held by another node \(node-a\/[0-9a-f]{8}\) for more than 300 ms: retry later$/) }) });
    expect(await b.store.getCustomer('b-1')).toBeUndefined();
    done();
    await onA;
    expect(await putCustomer(b.d, 'b-1', { first_name: 'Ян' }, caller)).toBe('created');
  });

  it('fails the run of a node paused past its lease, committing nothing under the lease another node took meanwhile', async () => {
    const { a, b } = await twoNodes({ leaseMs: 300, watchMs: 20 });
    const phone = '+79165550103';
    const { body, checked, more } = slowBody([row(1, { id: 'a-1', phone })]);
    const importA = settled(rowsIntoStore(a.d)(body, { onRejected: () => undefined, onProgress: () => undefined }));
    await checked;
    // node A stops (a long GC pause, SIGSTOP) for longer than its lease: nothing of it runs meanwhile
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
    // its lease ran out in Redis: B takes it and links the phone A's pending row names
    expect(await putCustomer(b.d, 'b-1', { phone }, caller)).toBe('created');
    more();
    const ranA = await importA;
    expect(ranA).toEqual({ err: expect.objectContaining({ code: 'unavailable', status: 503, message: expect.stringContaining('this node no longer holds the customers\' import lock across nodes') }) });
    // A's row was not committed: the phone is B's customer's alone
    expect(await a.store.lookupIdentity('phone', phone)).toBe('b-1');
    expect(await listing(a.store, ['a-1', 'b-1'], phone)).toEqual(['b-1']);
  });
});
