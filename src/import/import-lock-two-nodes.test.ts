import { describe, expect, it } from 'vitest';
import { testCatalog } from '../../actors/test-support/fixtures.js';
import type { CustomerImportDeps } from '../admin/customer-import-routes.js';
import { patchCustomer, putCustomer, rowsIntoStore } from '../admin/customer-import-routes.js';
import { ManualClock } from '../clock.js';
import { createLogger } from '../logger.js';
import type { Coordination } from '../store/coordination.js';
import { RedisStore } from '../store/redis-store.js';
import { bareHost } from '../test-support/bare-host.js';
import { runRedisTests } from '../test-support/redis.js';
import { redisForFile } from '../test-support/redis-for-file.js';
import { startTestKairos } from '../test-support/test-kairos.js';
import { importCustomerRows } from './import-customers.js';
import type { ImportLeaseOptions } from './import-lock.js';
import { IMPORT_LEASE_KEY, ImportLease, importLockOf, withImportLock } from './import-lock.js';
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
 * holder, every `PUT` queued on B within the bound from its own call; a node paused past its
 * lease failing its run rather than committing under B's; a change holding the lease past the
 * cap refused and the lease given back; a node shutting down giving its lease back.
 */

const redis = redisForFile();
let prefixes = 0;

const caller = { principal: { name: 'privacy-console', role: 'privacy' as const } };

interface Node {
  store: RedisStore;
  d: CustomerImportDeps;
}

/** A node on the shared Redis (the prefix names the installation both nodes are part of), its import lock made with `lease`. */
async function node(prefix: string, clock: ManualClock, lease: ImportLeaseOptions): Promise<Node> {
  const store = await new RedisStore({ url: redis.url, prefix }).open();
  importLockOf(store, lease);
  const host = bareHost(store, clock, testCatalog);
  redis.onClose(async () => {
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

/** The import lock of `store` held by a change (a PUT whose customer is slow to answer) until `answer()`, then `then` run still holding it. */
function slowChange<T>(store: RedisStore, then: () => Promise<T>): { held: Promise<void>; answer: () => void; done: Promise<{ value: T } | { err: Error & { code?: string; status?: number } }> } {
  let answer!: () => void;
  const slow = new Promise<void>((resolve) => (answer = resolve));
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const done = settled(
    withImportLock(store, async () => {
      holding();
      await slow;
      return then();
    }),
  );
  return { held, answer, done };
}

/** What `p` came to within `ms`, else 'pending'. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);
}

/** The run of a `PUT` of one row inside its turn of the lock (`lockHeld`), as customer-import-routes.ts runs it. */
function putRun(n: Node, fields: Record<string, string>): Promise<unknown> {
  return importCustomerRows(n.store, [row(1, fields)], {
    source: 'api',
    mapping: emptyMapping,
    rejects: { append: () => undefined, size: () => 0, truncate: () => undefined },
    resume: false,
    keepMarker: false,
    now: n.d.clock.now(),
    lockHeld: true,
  });
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
    expect(put).toEqual({ err: expect.objectContaining({ code: 'invalid', message: 'field "phone": identifier_taken' }) });
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
    for (const r of replies) if (!('value' in r)) expect(r.err.message).toBe('field "phone": identifier_taken');
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

  it("answers every PUT queued on node B within the wait counted from its own call, not one wait after another, while node A holds the lease", async () => {
    const waitMs = 400;
    const { a, b } = await twoNodes({}, { waitMs });
    const onA = slowChange(a.store, () => Promise.resolve());
    await onA.held;
    // four PUTs on B at once: the first waits for the lease, the others behind it in B's queue
    const started = performance.now();
    const replies = await Promise.all([1, 2, 3, 4].map(async (i) => ({ reply: await settled(putCustomer(b.d, `q-${i}`, { first_name: 'Ян' }, caller)), ms: performance.now() - started })));
    onA.answer();
    expect(await onA.done).toEqual({ value: undefined });
    for (const { reply, ms } of replies) {
      expect(reply).toEqual({ err: expect.objectContaining({ code: 'overloaded', status: 503, message: expect.stringMatching(/^the customers' import lock is held by another node \(node-a\/[0-9a-f]{8}\) for more than 400 ms: retry later$/) }) });
      // each refused once its own bound passed (the fourth came after 4 × 400 ms when each waited its turn first)
      expect(ms).toBeGreaterThanOrEqual(waitMs - 5);
      expect(ms).toBeLessThan(3 * waitMs);
    }
    for (const i of [1, 2, 3, 4]) expect(await b.store.getCustomer(`q-${i}`)).toBeUndefined();
  });

  it("gives the lease back when one change on node A holds it past the cap: node B's PUT goes on, A's change is refused and commits nothing", async () => {
    const { a, b } = await twoNodes({ holdMs: 300, watchMs: 20 }, { waitMs: 3_000 });
    const phone = '+79165550104';
    // A's PUT: its customer slow to answer before the row is checked, then the row naming the phone
    let late!: Promise<unknown>;
    const onA = slowChange(a.store, () => (late = settled(putRun(a, { id: 'a-1', phone }))).then(() => undefined));
    await onA.held;
    const started = performance.now();
    // B's PUT: served once A's change has held the lock for 300 ms, not after B's wait
    expect(await settled(putCustomer(b.d, 'b-1', { first_name: 'Ян' }, caller))).toEqual({ value: 'created' });
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(await within(onA.done, 1_000)).toEqual({ err: expect.objectContaining({ code: 'unavailable', status: 503, message: expect.stringMatching(/^this change held the customers' import lock for more than 300 ms/) }) });
    // A's customer answers at last: its row is refused at the commit, nothing of it written
    onA.answer();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await late).toEqual({ err: expect.objectContaining({ code: 'unavailable', message: expect.stringContaining('(given back after 300 ms held by one change)') }) });
    expect(await a.store.lookupIdentity('phone', phone)).toBeUndefined();
    expect(await a.store.getCustomer('a-1')).toBeUndefined();
    expect(await a.store.leaseHolder(IMPORT_LEASE_KEY)).toBeUndefined();
    // and A takes the lock again afterwards
    expect(await putCustomer(a.d, 'a-2', { first_name: 'Ия' }, caller)).toBe('created');
  });

  it("lets the change holding node A's lock end as A shuts down, refusing the runs waiting there and any new one, and gives the lease back", async () => {
    const { a, b } = await twoNodes();
    const phone = '+79165550105';
    const onA = slowChange(a.store, () => putRun(a, { id: 'a-1', phone }));
    await onA.held;
    const queued = settled(putCustomer(a.d, 'a-2', { first_name: 'Ия' }, caller));
    const closing = importLockOf(a.store).close(10_000);
    expect(await queued).toEqual({ err: expect.objectContaining({ code: 'unavailable', status: 503, message: expect.stringContaining('this node is shutting down') }) });
    expect(await within(closing, 100)).toBe('pending');
    // the holder ends during the close: its row committed, the lease given back by its own release
    onA.answer();
    await closing;
    expect(await onA.done).toEqual({ value: expect.objectContaining({ created: 1 }) });
    expect(await b.store.lookupIdentity('phone', phone)).toBe('a-1');
    expect(await b.store.leaseHolder(IMPORT_LEASE_KEY)).toBeUndefined();
    await expect(withImportLock(a.store, () => Promise.resolve())).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('this node is shutting down') });
    expect(await putCustomer(b.d, 'b-1', { first_name: 'Ян' }, caller)).toBe('created');
  });

  it("gives the lease back as node A's server shuts down though its change still holds it: node B's PUT does not wait for it to run out", async () => {
    const prefix = `ilock-${process.pid}-${++prefixes}`;
    const server = await startTestKairos({ config: { store: 'redis', redisUrl: redis.url, redisPrefix: prefix, nodeId: 'node-a', logLevel: 'error', demo: false } });
    redis.onClose(() => server.close());
    const b = await node(prefix, new ManualClock(Date.now()), { node: 'node-b', waitMs: 3_000 });
    const storeA = server.kairos.store as RedisStore;
    // a change on A that does not end before the server has closed (its customer never answers meanwhile)
    const onA = slowChange(storeA, () => Promise.resolve());
    await onA.held;
    expect(await b.store.leaseHolder(IMPORT_LEASE_KEY)).toMatch(/^node-a\//);
    await server.close();
    const started = performance.now();
    expect(await settled(putCustomer(b.d, 'b-1', { first_name: 'Ян' }, caller))).toEqual({ value: 'created' });
    expect(performance.now() - started).toBeLessThan(1_500);
    // what A's change would still commit is refused; it ends without an error left over
    expect(() => importLockOf(storeA).check()).toThrow(/this node no longer holds the customers' import lock across nodes \(this node is shutting down\)/);
    onA.answer();
    expect(await onA.done).toEqual({ value: undefined });
    expect(await b.store.leaseHolder(IMPORT_LEASE_KEY)).toBeUndefined();
  });

  it('does not count a new hold lost for a renewal of the hold before it that found the lease taken and named the taker after the new hold began', async () => {
    const { a, b } = await twoNodes();
    // node A's store, its read of the lease's holder held back once when asked (the renewal's: who took it)
    let gate: { reached: () => void; open: Promise<void>; answered: () => void } | undefined;
    const real = a.store.coordination;
    const gated: Coordination = Object.assign(Object.create(real) as Coordination, {
      leaseHolder: async (key: string): Promise<string | undefined> => {
        const g = key === IMPORT_LEASE_KEY ? gate : undefined;
        if (g === undefined) return real.leaseHolder(key);
        gate = undefined;
        g.reached();
        await g.open;
        const holder = await real.leaseHolder(key);
        g.answered();
        return holder;
      },
    });
    const lease = new ImportLease(gated, { node: 'node-a', leaseMs: 1_500, watchMs: 20 });
    await lease.take(performance.now() + 5_000);
    // another owner takes it (A's renewal then finds it taken and reads who holds it)
    await b.store.releaseLease(IMPORT_LEASE_KEY, lease.owner);
    expect(await b.store.claimLease(IMPORT_LEASE_KEY, 'thief', 10_000)).toBe(true);
    let reached!: () => void;
    const asked = new Promise<void>((resolve) => (reached = resolve));
    let open!: () => void;
    let answered!: () => void;
    const read = new Promise<void>((resolve) => (answered = resolve));
    gate = { reached, open: new Promise<void>((resolve) => (open = resolve)), answered };
    expect(await within(asked, 5_000)).toBeUndefined();
    // meanwhile that hold ends and a new one begins
    await lease.give();
    await b.store.releaseLease(IMPORT_LEASE_KEY, 'thief');
    await lease.take(performance.now() + 5_000);
    // the old renewal's read answered: the new hold is still this node's
    open();
    await read;
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => lease.check()).not.toThrow();
    await lease.give();
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
