import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { CatalogDef, ContactIdentifierKind, GatewayEvent, GatewayResponse } from '../../actors/index.js';
import { contactIdentifierKinds, customerOfInstance } from '../../actors/index.js';
import { readDemoCustomers } from '../demo/demo-bank.js';
import { demoCsvPath } from '../paths.js';
import { BudgetSlots, clearBudgetSlot } from './shard-budgets.js';
import { CAPACITY_SLOTS } from './shard-capacity.js';
import { releaseHeldBy, sharedTotalsMemory } from './shared-totals.js';
import { ShardSubscribers } from './shard-subscribers.js';
import { ShardGateways } from './shard-gateways.js';
import type { KeyTable } from '../transport/key-ring.js';
import { adapterChannels } from '../delivery-parts.js';
import { recordShardCount } from './shard-count.js';
import type { ClaimWrite } from './shard-directory.js';
import { ShardDirectory } from './shard-directory.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { HostReply } from '../runtime/host-options.js';
import type { CustomerView } from '../runtime/customer-host.js';
import { routeKey, shardOf } from './shard-of.js';
import { shardStarting } from './shard-starting.js';
import type { Withheld } from './sharded-identity.js';
import type { AnswerTo, FromShard, GatewayPeer, ShardRequest, ShardWorkerData, ToShard, WireError } from './shard-messages.js';
import type { SharedModel } from './shared-models.js';
import type { ShardCall, ShardCallResult } from './shard-calls.js';
import type { AuditDraft } from '../audit/audit-chain.js';
import type { OutboxRecord, StopEntry } from '../store/store.js';
import { fromWire, toWire } from './shard-messages.js';
import type { DeliveryAnswer } from '../delivery/delivery-host.js';
import type { ShardMetricsJson } from '../metrics.js';

/**
 * The main thread's side of the shards (docs/scale-out.md, "Every core of one machine"):
 * N worker threads (shard-worker.ts), each a customer host over its own LMDB environment,
 * `<data dir>/shard-<i>`, owning the customers whose routing key hashes to it (shard-of.ts).
 * The gateways hand it requests as they would a host (`submitEvent`, `submitResponse`); it
 * routes each to its owner, posts them in one batch a shard and turn of the event loop (in
 * the order they came, so a customer's events keep theirs) and answers each with the
 * shard's reply, which comes only once the shard committed what it acknowledges.
 *
 * A shard that dies (an uncaught error, its thread ended) is started again on its
 * environment and handed every request it had not answered, in their order: what it had
 * committed and not yet answered is answered again from the customer's memory of the request
 * id (the actor's idempotency), never decided twice, and nothing was acknowledged that it had
 * not committed. The shard count is written in the data dir at the first start, and a start
 * with another count is refused (the customers would be looked for on the wrong shard).
 */

export interface ShardsOptions {
  count: number;
  config: Readonly<Config>;
  /** the catalog every shard decides with */
  def: CatalogDef;
  /** the node's stop list now (the main thread's store holds it): a starting shard's copy is made to match; empty by default */
  stops?: () => readonly StopEntry[];
  clock: Clock;
  logger: Logger;
  /** the compiled worker (tests and benches: dist's); beside this module by default */
  workerUrl?: URL;
  /** the node's propensity models in shared memory now (shared-models.ts): a starting shard takes them; none by default */
  models?: () => readonly SharedModel[];
  /** identifiers withheld from an event decided for `claimant` because other shards' customers hold them: the node records the conflicts (sharded-identity.ts) */
  onWithheld?: (claimant: string, withheld: readonly Withheld[]) => void;
  /** an SMS a shard's dispatcher relayed: handed to the SMSC by the node's one SMPP bind (smpp-relay.ts) */
  onSms?: (record: OutboxRecord) => Promise<void>;
  /** a login: `person` named with the cookie an anonymous visitor of another shard was first seen with (the node merges the visitor in, by policy) */
  onLogin?: (person: string, cookie: Withheld) => void;
  /** campaigns with a budget whose totals the shards can share at once (BUDGET_SLOTS by default; tests give a few) */
  budgetSlots?: number;
  /** the gateway port (KAIROS_GATEWAY_PORT, checked free): every shard accepts gateway connections on it, with this key table (shard-gateway.ts) and the node's shared POST /v1/events buckets (shared-client-buckets.ts) */
  gateway?: { port: number; keys: KeyTable; buckets: SharedArrayBuffer };
}

interface Unanswered {
  request: ShardRequest;
  resolve: (r: HostReply) => void;
  /** the directory writes it depends on (claims it made or read in flight): posted once they are committed */
  claims: readonly ClaimWrite[] | undefined;
  /** workers of its shard that stopped after taking it (at MAX_DEATHS it is answered `internal`) */
  deaths: number;
}

interface Shard {
  index: number;
  worker: Worker | undefined;
  ready: boolean;
  /** counts the shard's workers: a batch taken for one is not posted to the next (which is handed everything unanswered) */
  epoch: number;
  /** requests routed here and not yet taken into a batch */
  queue: ShardRequest[];
  /** posted or queued, not yet answered: by sequence number, in order */
  unanswered: Map<number, Unanswered>;
  restarts: number;
  /** batches waiting for their directory writes: later batches are posted behind them (the shard's order) */
  chain: Promise<void> | undefined;
  /** starts failed in a row (past MAX_FAILED_STARTS what it holds is answered `overloaded`) */
  failedStarts: number;
  /** the next start's timer, after a failed one */
  retry?: NodeJS.Timeout;
  /** resolved when the shard said `closed` */
  closed?: () => void;
  /** one a catalog posted and not yet taken, oldest first: each resolved when the shard took it (all when it stopped) */
  catalogTaken: Array<() => void>;
}

/** A shard's requests taken at the end of a turn, for its worker of that epoch. */
interface Batch {
  shard: Shard;
  epoch: number;
  requests: ShardRequest[];
}

/** Campaigns with a budget the shards can share totals of at once (one slot each; a slot let go by a catalog is used again). */
const BUDGET_SLOTS = 4096;

/** A worker's start may take this long (opening its environment, loading its ledgers) before it is ended and started again. */
const START_TIMEOUT_MS = 60_000;

/** Starts failed in a row after which a shard's requests are answered `overloaded` (it is still started again every second). */
const MAX_FAILED_STARTS = 3;

/** Workers of a shard that may stop after taking a request before it is answered `internal` instead of being handed again. */
const MAX_DEATHS = 2;

/** How long a question of the admin API's waits for a shard's answer. */
const ASK_TIMEOUT_MS = 30_000;

/** How long a scrape's metrics and the status's live actors wait for a shard (one slower is left out of them). */
const QUICK_ASK_MS = 2000;

/** How long a key change's reply waits for the shards' gateways to read the new table. */
const KEYS_WAIT_MS = 5000;

/** How long a worker's gateway is given to close its sockets before its thread is ended. */
const END_CLOSE_WAIT_MS = 5000;

/** How long a batch waits for the directory writes its requests depend on before those still in flight are answered `overloaded`. */
const CLAIM_WAIT_MS = 10_000;

export function shardWorkerUrl(): URL {
  return new URL('./shard-worker.js', import.meta.url);
}

export class Shards {
  private readonly shards: Shard[];
  private seq = 0;
  private flushQueued = false;
  private closing = false;
  private readonly url: URL;
  /** identifier -> shard (shard-directory.ts) */
  private readonly directory: ShardDirectory;
  /** the lock owner of the next worker (shared-totals.ts: a lock a stopped worker held is released by it) */
  private generation = 0;
  /** the last sequence number each shard's worker took (a BigInt64 a shard, set by the worker): what it had in hand when it stopped */
  private readonly taken: BigInt64Array;
  /** identifiers an event named that were claimed by another shard than its customer's: withheld from it */
  private withheldCount = 0;
  /** campaign budgets and channel capacity across shards (shard-budgets.ts, shard-capacity.ts) */
  private readonly budgetCapacity: number;
  private readonly budgetSlots: BudgetSlots;
  private readonly budgetMemory: SharedArrayBuffer;
  private readonly capacityMemory = sharedTotalsMemory(CAPACITY_SLOTS);
  private slots: Readonly<Record<string, number>>;
  /** an Int32 a shard and budget slot, and one a shard for the capacity: the shard's stored totals are in the shared memory */
  private readonly counted: SharedArrayBuffer;
  private readonly capacityCounted: SharedArrayBuffer;
  /** while the shards take a new catalog: every batch waits for it (`setCatalog`) */
  private catalogGate: Promise<void> | undefined;
  /** the WebSocket subscribers, fed by every shard's dispatcher (the gateway's `subscribers`) */
  readonly subscribers: ShardSubscribers;
  /** the requests and subscriptions of the connections the shards accept on the gateway port (none without one) */
  private readonly gateways: ShardGateways | undefined;
  /** the key table the shards' gateways hold (the last handed over) */
  private keyTable: KeyTable | undefined;
  private gatewaysDraining = false;
  /** the node listens: the shards' gateways do (a shard started later, once it is ready: `openGateway`) */
  private gatewaysOpen = false;
  /** 1 for each shard taking requests (`markReady`), shared with the shards' gateways: their `/ready` says what the node's does */
  private readonly upFlags: Int32Array;
  /** what each worker's gateway is awaited to say: its sockets closed (`end`), listening (`openGateways`) */
  private readonly gatewayAcks = new Map<Worker, { closed?: () => void; opened?: Array<(error?: WireError) => void> }>();
  /** key tables handed over and not yet read by every shard they went to, by number */
  private readonly keysTaken = new Map<number, { left: number; done: () => void }>();
  private keysSeq = 0;
  /** questions to shards waiting for their answers (a scrape's metrics, a customer's card), by sequence number */
  private readonly asked = new Map<number, { shard: number; answer: (m: FromShard) => void; fail: (err: Error) => void }>();
  private askSeq = 0;

  private constructor(private o: ShardsOptions) {
    this.url = o.workerUrl ?? shardWorkerUrl();
    if (!existsSync(fileURLToPath(this.url))) throw new KairosError('internal', `the shard worker ${fileURLToPath(this.url)} is not built: npm run build`);
    this.upFlags = new Int32Array(new SharedArrayBuffer(4 * o.count));
    this.shards = Array.from({ length: o.count }, (_, index) => ({ index, worker: undefined, ready: false, epoch: 0, queue: [], unanswered: new Map(), restarts: 0, chain: undefined, failedStarts: 0, catalogTaken: [] }));
    this.taken = new BigInt64Array(new SharedArrayBuffer(8 * o.count));
    this.budgetCapacity = o.budgetSlots ?? BUDGET_SLOTS;
    this.budgetMemory = sharedTotalsMemory(this.budgetCapacity);
    this.counted = new SharedArrayBuffer(4 * o.count * this.budgetCapacity);
    const counted = new Int32Array(this.counted);
    this.budgetSlots = new BudgetSlots(this.budgetCapacity, (slot) => clearBudgetSlot(this.budgetMemory, this.budgetCapacity, counted, o.count, slot));
    this.capacityCounted = new SharedArrayBuffer(4 * o.count);
    this.slots = this.budgetSlots.assign(o.def).slots;
    this.subscribers = new ShardSubscribers({
      count: o.count,
      dispatched: adapterChannels(o.config),
      window: o.config.subscriberWindow,
      post: (index, m) => {
        const s = this.shards[index];
        if (s?.worker === undefined || !s.ready) return false;
        s.worker.postMessage(m);
        return true;
      },
    });
    this.keyTable = o.gateway?.keys;
    this.gateways =
      o.gateway === undefined
        ? undefined
        : new ShardGateways({
            count: o.count,
            router: this,
            subscribers: this.subscribers,
            logger: o.logger,
            post: (index, m) => {
              const w = this.shards[index]?.worker;
              if (w === undefined) return false;
              w.postMessage(m);
              return true;
            },
          });
    // Last: it takes the data dir's lock.
    this.directory = new ShardDirectory(o.config.dataDir, o.config.stopListSecret);
  }

  /** The demo bank's identifiers claimed for their customers' shards (each shard loads its own customers). */
  private async claimDemo(): Promise<void> {
    if (!this.o.config.demo || this.directory.getMark('demo') !== undefined) return;
    let customers = 0;
    for await (const c of readDemoCustomers(demoCsvPath(), this.o.clock.now())) {
      const shard = this.shardOf(c.id);
      for (const kind of contactIdentifierKinds) for (const value of c.record.identifiers[kind] ?? []) this.directory.claim(kind, value, shard);
      customers++;
    }
    await this.directory.settled();
    await this.directory.putMark('demo', customers);
  }

  /** Starts every shard; resolves once each has opened its store and can take requests. */
  static async start(o: ShardsOptions): Promise<Shards> {
    if (!Number.isSafeInteger(o.count) || o.count < 1) throw new KairosError('invalid', `the shard count must be a whole number from 1, not ${String(o.count)}`);
    if (o.config.store !== 'lmdb') throw new KairosError('invalid', `shards keep their customers in LMDB (KAIROS_STORE=lmdb), not ${o.config.store}`);
    const shards = new Shards(o);
    try {
      recordShardCount(o.config.dataDir, o.count);
      await shards.claimDemo();
      await Promise.all(shards.shards.map((s) => shards.run(s)));
    } catch (err) {
      await shards.close(0).catch(() => undefined);
      throw err;
    }
    return shards;
  }

  get count(): number {
    return this.shards.length;
  }

  /** How many times each shard was started again after it died. */
  get restarts(): readonly number[] {
    return this.shards.map((s) => s.restarts);
  }

  /** Shards with a thread (started or starting). */
  get running(): number {
    return this.shards.filter((s) => s.worker !== undefined).length;
  }

  /** Requests each shard holds unanswered (posted or waiting to be). */
  get unanswered(): readonly number[] {
    return this.shards.map((s) => s.unanswered.size);
  }

  /** The shard that owns a routing key (a customer id, or `kind:value` of an identifier). */
  shardOf(key: string): number {
    return shardOf(key, this.shards.length);
  }

  /** A shard takes requests, or not: also in the shared flags the shards' gateways answer `/ready` from. */
  private markReady(s: Shard, ready: boolean): void {
    s.ready = ready;
    Atomics.store(this.upFlags, s.index, ready ? 1 : 0);
  }

  /** Why the node should take no traffic now (a shard being started again); undefined when every shard takes requests. */
  notReadyReason(): string | undefined {
    // (the flags the shards' gateway ports answer /ready from too: one answer on either port)
    return shardStarting(this.upFlags);
  }

  /**
   * Asks a shard's worker (the question made with its sequence number); rejected `overloaded`
   * when it has none taking requests, stops before answering, or does not answer in
   * ASK_TIMEOUT_MS (a thread blocked: the admin API answers, the shard is not waited for).
   */
  private ask(index: number, question: (seq: number) => ToShard, timeoutMs = ASK_TIMEOUT_MS): Promise<FromShard> {
    const s = this.shards[index];
    if (s?.worker === undefined || !s.ready) return Promise.reject(new KairosError('overloaded', `shard ${index} is starting; retry shortly`));
    const seq = ++this.askSeq;
    const worker = s.worker;
    return new Promise<FromShard>((answer, fail) => {
      const timer = setTimeout(() => {
        if (this.asked.delete(seq)) fail(new KairosError('overloaded', `shard ${index} did not answer in ${timeoutMs / 1000} s; retry later`));
      }, timeoutMs);
      timer.unref();
      this.asked.set(seq, {
        shard: index,
        answer: (m) => {
          clearTimeout(timer);
          answer(m);
        },
        fail: (err) => {
          clearTimeout(timer);
          fail(err);
        },
      });
      worker.postMessage(question(seq));
    });
  }

  /** Every running shard's metrics (its registry as JSON), for a scrape of the node's; a shard that does not answer in 2 s is left out of it. */
  async collectMetrics(): Promise<ShardMetricsJson[]> {
    return Promise.all(
      this.shards.map((s) =>
        this.ask(s.index, (seq) => ({ t: 'metrics', seq }), QUICK_ASK_MS).then(
          (m) => (m.t === 'metrics' ? m.json : []),
          () => [],
        ),
      ),
    );
  }

  /** Asks a shard's worker a call of the admin API's (shard-calls.ts); rejected with the error it met. */
  async call<C extends ShardCall>(index: number, call: C, timeoutMs?: number): Promise<ShardCallResult<C>> {
    const m = await this.ask(index, (seq) => ({ t: 'call', seq, call }), timeoutMs);
    if (m.t !== 'called') throw new KairosError('internal', `shard ${index} answered ${m.t}`);
    if (m.error !== undefined) throw fromWire(m.error);
    return m.result as ShardCallResult<C>;
  }

  /** Live and not yet written actors over the shards that answer within 2 s (a shard starting, or blocked, left out: `of` says how many answered). */
  async liveActors(): Promise<{ hot: number; dirty: number; of: number }> {
    const answers = await Promise.allSettled(this.shards.filter((s) => s.ready).map((s) => this.call(s.index, { op: 'actors' }, QUICK_ASK_MS)));
    const out = { hot: 0, dirty: 0, of: 0 };
    for (const a of answers) {
      if (a.status !== 'fulfilled') continue;
      out.hot += a.value.hotActors;
      out.dirty += a.value.dirtyActors;
      out.of++;
    }
    return out;
  }

  /** The same call to every shard, answers in shard order; rejected when any shard cannot answer. */
  callEvery<C extends ShardCall>(call: C): Promise<Array<ShardCallResult<C>>> {
    return Promise.all(this.shards.map((s) => this.call(s.index, call)));
  }

  /**
   * A change of the node's stop list handed to every shard's copy (held in its memory:
   * shard-calls.ts). A shard starting is handed the whole list when it is ready; one that
   * does not take the change (it stopped, or does not answer in time) is sent the whole list
   * again, taken whenever it gets to it. Resolves once every shard that answered took it.
   */
  async changeStops(call: Extract<ShardCall, { op: 'stop' }>): Promise<void> {
    const asked = this.shards.filter((s) => s.ready);
    const answers = await Promise.allSettled(asked.map((s) => this.call(s.index, call)));
    answers.forEach((a, i) => {
      const s = asked[i];
      if (a.status === 'fulfilled' || s === undefined) return;
      this.o.logger.error({ err: a.reason as Error, shard: s.index }, "a shard did not take a change of the stop list; the whole list is sent to it again");
      this.sendStops(s);
    });
  }

  /**
   * A customer's identifiers claimed for their shard before their master data goes there
   * (`PUT`/`PATCH /v1/customers/{id}` on a node with shards): answers the first that another
   * shard holds (nothing is claimed then: the caller refuses the fields, as a single node
   * refuses an identifier that belongs to another customer), else resolves once every new
   * claim is durable. A claim whose fields the shard then refuses stays: it only says where to
   * ask (that shard), never that anyone holds the identifier, so no customer is made twice.
   */
  async claimFor<I extends { kind: ContactIdentifierKind; value: string }>(id: string, identifiers: readonly I[]): Promise<I | undefined> {
    const shard = this.shardOf(id);
    const held = identifiers.find((i) => {
      const c = this.directory.lookup(i.kind, i.value);
      return c !== undefined && c.shard !== shard;
    });
    if (held !== undefined) return held;
    const writes: ClaimWrite[] = [];
    for (const i of identifiers) {
      const c = this.directory.lookup(i.kind, i.value);
      if (c === undefined) writes.push(this.directory.claim(i.kind, i.value, shard));
      else if (c.write !== undefined) writes.push(c.write);
    }
    await Promise.all(writes.map((w) => w.done));
    if (writes.some((w) => w.failed)) throw new KairosError('unavailable', "the node's directory could not record an identifier: retry later");
    return undefined;
  }

  /** The shard that owns a customer: its id's; or, by a phone, e-mail or card, the one the directory names (undefined: never seen). */
  ownerOf(who: { id: string } | { kind: ContactIdentifierKind; value: string }): number | undefined {
    return 'id' in who ? this.shardOf(this.forwardOf(who.id)) : this.directory.lookup(who.kind, who.value)?.shard;
  }

  /** A customer's card from the shard that owns them (by id, or by a phone, e-mail or card the directory knows); undefined: no such customer. */
  async view(who: { id: string } | { kind: ContactIdentifierKind; value: string }): Promise<CustomerView | undefined> {
    const index = this.ownerOf(who);
    // (a merged customer's id: the survivor's card, as a single node shows it)
    return index === undefined ? undefined : this.call(index, 'id' in who ? { op: 'view', id: this.forwardOf(who.id) } : { op: 'view', ...who });
  }

  /**
   * Erases a customer in its shard (the audit entry in the shard's trail, in the erasure's
   * transaction), then forgets its identifiers in the directory; undefined: no such customer.
   */
  async erase(id: string, draft: AuditDraft): Promise<{ identifiers: number } | undefined> {
    const index = this.shardOf(id);
    const erased = await this.call(index, { op: 'erase', id, draft });
    if (erased === undefined) return undefined;
    for (const l of erased.links) await this.directory.forget(l.kind, l.value, index);
    return { identifiers: erased.identifiers };
  }

  /** Sends the node's stop list to a shard that started (its copy made to match). */
  private sendStops(s: Shard): void {
    s.worker?.postMessage({ t: 'stops', entries: this.o.stops?.() ?? [] } satisfies ToShard);
  }

  /** Requests held here for shards being started again (no shard counts them as in flight meanwhile). */
  get waitingForStart(): number {
    let n = 0;
    for (const s of this.shards) if (!s.ready) n += s.unanswered.size;
    return n;
  }

  /** Each shard: whether it takes requests, and how often it was started again. */
  health(): Array<{ up: boolean; restarts: number }> {
    return this.shards.map((s) => ({ up: s.ready, restarts: s.restarts }));
  }

  /** Answers to requests of the gateway port's connections given by the router here, not by the shard that decided them (none while that shard answers: shard-gateways.ts). */
  get gatewayAnswersRelayed(): number {
    return this.gateways?.relayed ?? 0;
  }

  /** Identifiers withheld from events because another shard holds them (see `route`). */
  get withheld(): number {
    return this.withheldCount;
  }

  /**
   * Customers merged into a customer of another shard (sharded-identity.ts), by the loser's id:
   * a request naming the loser goes to the survivor, as a single node forwards it.
   */
  private readonly forwards = new Map<string, string>();
  /** requests waiting for a merge across shards to end, by the loser's id (`id:…`) and identifiers (`kind:value`) */
  private holds: Map<string, Array<() => void>> | undefined;

  /** The customer an id names now: itself, or the survivor of a merge across shards (followed through at most 16 merges). */
  forwardOf(id: string): string {
    let at = id;
    for (let hops = 0; hops < 16 && this.forwards.size > 0; hops++) {
      const to = this.forwards.get(at);
      if (to === undefined) break;
      at = to;
    }
    return at;
  }

  /**
   * A merge across shards ended (or one the node's store recorded, at start): requests naming
   * the loser's id go to the survivor's shard, and the loser's identifiers are claimed for it
   * (durably, before this resolves).
   */
  async forward(from: string, into: string, identifiers: ReadonlyArray<{ kind: ContactIdentifierKind; value: string }> = []): Promise<void> {
    // (requests naming the loser's id go to the survivor at once, whether the directory's writes below succeed or not)
    this.forwards.set(from, into);
    const shard = this.shardOf(this.forwardOf(into));
    const writes = identifiers.map((i) => this.directory.claim(i.kind, i.value, shard));
    await Promise.all(writes.map((w) => w.done));
    if (writes.some((w) => w.failed)) throw new KairosError('unavailable', "the node's directory could not record an identifier: retry later");
  }

  /**
   * Forwards no more from `id`, nor to it (an erasure of the customer removed the merges naming
   * them from the node's store): a request naming a customer merged into them goes to that
   * customer's own shard again, as on a single node once the forwarding is erased.
   */
  unforward(id: string): void {
    this.forwards.delete(id);
    for (const [from, to] of this.forwards) if (to === id) this.forwards.delete(from);
  }

  /**
   * Resolves once shard `index` has answered every request routed to it before this call
   * (a merge's read of the loser then comes after every earlier request naming it), or after
   * `timeoutMs` (false then).
   */
  async answered(index: number, timeoutMs = 30_000): Promise<boolean> {
    const s = this.shards[index];
    if (s === undefined) return true;
    const before = [...s.unanswered.keys()];
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (!before.some((seq) => s.unanswered.has(seq))) return true;
      if (Date.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Holds the gateways' requests naming a customer (by id, by one of these identifiers, or a
   * response to one of its offers) while a merge across shards moves it; the returned
   * function lets them go, each routed as it would be then (to the survivor, once forwarded).
   */
  hold(id: string, identifiers: ReadonlyArray<{ kind: ContactIdentifierKind; value: string }>): () => void {
    const holds = (this.holds ??= new Map<string, Array<() => void>>());
    // (one list for every key: the requests go again in the order they came, whichever way they named the customer)
    const waiting: Array<() => void> = [];
    const keys = [`id:${id}`, ...identifiers.map((i) => `${i.kind}:${i.value}`)].filter((k) => !holds.has(k));
    for (const k of keys) holds.set(k, waiting);
    return () => {
      for (const k of keys) holds.delete(k);
      if (holds.size === 0 && this.holds === holds) this.holds = undefined;
      for (const go of waiting) go();
    };
  }

  /**
   * The held list a request waits in, if any: a merge moving the customer it names (by id, or
   * by one of `ref`'s identifiers), or the survivor that id forwards to.
   */
  private heldFor(customer: string | undefined, ref?: GatewayEvent['customer']): Array<() => void> | undefined {
    const holds = this.holds;
    if (holds === undefined) return undefined;
    if (customer !== undefined) {
      const byId = holds.get(`id:${customer}`) ?? holds.get(`id:${this.forwardOf(customer)}`);
      if (byId !== undefined) return byId;
    }
    for (const kind of ref === undefined ? [] : contactIdentifierKinds) {
      const value = ref?.[kind];
      const held = value === undefined ? undefined : holds.get(`${kind}:${value}`);
      if (held !== undefined) return held;
    }
    return undefined;
  }

  /**
   * Decides on a gateway event in the shard of its customer (`route`). `to`: a shard's gateway
   * connection's (shard-gateways.ts), answered there by the shard that decides it (the promise
   * then settles only with an answer given here: refused, held past its bounds, shutting down),
   * unless the answer has more to do here (an identifier withheld, a login).
   */
  submitEvent(event: GatewayEvent, to?: AnswerTo): Promise<HostReply> {
    if (this.closing) return Promise.resolve(shuttingDown(event.id));
    const held = this.heldFor(event.customer.id, event.customer);
    if (held !== undefined) return new Promise((resolve) => held.push(() => resolve(this.submitEvent(event, to))));
    if (event.customer.id !== undefined && this.forwards.size > 0) {
      const survivor = this.forwardOf(event.customer.id);
      if (survivor !== event.customer.id) event = { ...event, customer: { ...event.customer, id: survivor } };
    }
    const routed = this.route(event);
    if (routed === undefined) return Promise.resolve({ kind: 'error', re: event.id, code: 'invalid', message: 'field "customer": names no one (id, card, phone, email or cookie)' });
    const { withheld, login } = routed;
    const direct = to !== undefined && withheld === undefined && login === undefined;
    const reply = this.send(routed.shard, direct ? [++this.seq, 'event', routed.event, to] : [++this.seq, 'event', routed.event], routed.claims);
    const { onWithheld, onLogin } = this.o;
    if ((withheld === undefined || onWithheld === undefined) && (login === undefined || onLogin === undefined)) return reply;
    // (a conflict, a login: told once the decision named the customer, beside the answer, never holding it up)
    return reply.then((r) => {
      if (r.kind !== 'decision') return r;
      if (withheld !== undefined) onWithheld?.(r.customer, withheld);
      if (login !== undefined) onLogin?.(r.customer, login);
      return r;
    });
  }

  /**
   * The shard an event goes to: its bank id's; else the shard the first identifier the
   * directory knows was claimed for (in identity resolution's order: card, phone, e-mail,
   * cookie); else, a first sight, its strongest identifier's. Identifiers the directory does
   * not know are claimed for that shard (a cookie named alone: as a visitor's). One claimed
   * for another shard belongs to a customer there and is withheld from the event (not linked
   * to this customer: a conflict, as a single node withholds an identifier another customer
   * holds), but for a visitor's cookie named with a person (a login): as on a single node the
   * device is the person's now, so the cookie is claimed again for the person's shard and
   * stays in the event (the visitor, on the other shard, is named in `login`: the node merges
   * it into the person by the bank's policy, sharded-identity.ts `mergeAtLogin`).
   */
  private route(event: GatewayEvent): { shard: number; event: GatewayEvent; claims: ClaimWrite[] | undefined; withheld?: Withheld[]; login?: Withheld } | undefined {
    const ref = event.customer;
    let shard = ref.id === undefined ? undefined : this.shardOf(ref.id);
    // named by the bank's id or a card, phone or e-mail: a person, not an anonymous visitor
    let person = ref.id !== undefined;
    let unknown: ContactIdentifierKind[] | undefined;
    let elsewhere: Withheld[] | undefined;
    let claims: ClaimWrite[] | undefined;
    let login: Withheld | undefined;
    for (const kind of contactIdentifierKinds) {
      const value = ref[kind];
      if (value === undefined) continue;
      if (kind !== 'cookie') person = true;
      const held = this.directory.lookup(kind, value);
      if (held === undefined) {
        (unknown ??= []).push(kind);
        continue;
      }
      if (kind === 'cookie' && held.visitor && person && shard !== undefined) {
        // A login: the visitor's cookie is the person's now, on the person's shard.
        (claims ??= []).push(this.directory.claim(kind, value, shard));
        if (held.shard !== shard) login = { kind, value, shard: held.shard };
        continue;
      }
      if (shard === undefined) shard = held.shard;
      else if (held.shard !== shard) {
        (elsewhere ??= []).push({ kind, value, shard: held.shard });
        continue;
      }
      // read while its claim is being written: the request waits for that write too
      if (held.write !== undefined) (claims ??= []).push(held.write);
    }
    if (shard === undefined) {
      const key = routeKey(ref);
      if (key === undefined) return undefined;
      shard = this.shardOf(key);
    }
    if (unknown !== undefined) for (const kind of unknown) (claims ??= []).push(this.directory.claim(kind, ref[kind] as string, shard, kind === 'cookie' && !person));
    if (elsewhere === undefined) return login === undefined ? { shard, event, claims } : { shard, event, claims, login };
    this.withheldCount += elsewhere.length;
    const customer = { ...ref };
    for (const w of elsewhere) delete customer[w.kind];
    return { shard, event: { ...event, customer }, claims, withheld: elsewhere, ...(login === undefined ? {} : { login }) };
  }

  /** An SMS receipt of the node's SMPP bind, recorded by the shard of the customer its offer instance names (smpp-relay.ts). */
  async submitDelivery(instance: string, status: 'delivered' | 'failed' | 'suppressed', reason?: string): Promise<DeliveryAnswer> {
    const customer = customerOfInstance(instance);
    if (customer === undefined) return { kind: 'error', code: 'invalid', message: `"${instance}" is not an offer-instance id` };
    // (a merge moving the customer: after it, to the survivor's shard)
    const held = this.heldFor(customer);
    if (held !== undefined) return new Promise((resolve) => held.push(() => resolve(this.submitDelivery(instance, status, reason))));
    const owner = this.forwardOf(customer);
    // (a shard being started again: asked again, a second apart, for a minute at most)
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await this.call(this.shardOf(owner), { op: 'delivery', instance, status, reason });
        return reply.kind === 'error' ? { kind: 'error', code: reply.code, message: reply.message } : { kind: reply.kind };
      } catch (err) {
        const e = err instanceof KairosError ? err : new KairosError('internal', 'internal error');
        if (e.code !== 'overloaded' || attempt >= 60 || this.closing) return { kind: 'error', code: e.code, message: e.message };
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** Records a response in the shard of the customer its offer instance was made to (`to`: as `submitEvent`'s). */
  submitResponse(response: GatewayResponse, to?: AnswerTo): Promise<HostReply> {
    if (this.closing) return Promise.resolve(shuttingDown(response.id));
    const customer = customerOfInstance(response.instance);
    if (customer === undefined) return Promise.resolve({ kind: 'error', re: response.id, code: 'invalid', message: `field "instance": "${response.instance}" is not an offer-instance id` });
    const held = this.heldFor(customer);
    if (held !== undefined) return new Promise((resolve) => held.push(() => resolve(this.submitResponse(response, to))));
    // (a merged customer's offer: its survivor's shard holds it now, and forwards the instance's customer there)
    return this.send(this.shardOf(this.forwardOf(customer)), to === undefined ? [++this.seq, 'response', response] : [++this.seq, 'response', response, to], undefined);
  }

  /**
   * Refuses a catalog the shards could not take (KairosError): more campaigns with a budget
   * than they share totals of (409 `conflict`), or for now (503 `unavailable`, while slots the last change let go are
   * still in a shard's hands). The catalog service asks before it stores a change.
   */
  checkCatalog(def: CatalogDef): void {
    this.budgetSlots.check(def);
  }

  /**
   * A new catalog for every shard. No batch is posted until every running shard has taken it
   * (each adds what it spent before of a budget the catalog brings back: until all have, one
   * shard could spend what another already had), or for CLAIM_WAIT_MS at most. The budget
   * slots it lets go are free again once every shard has taken it (or stopped). Throws as
   * `checkCatalog`, before any shard is handed it.
   */
  setCatalog(def: CatalogDef): void {
    const { slots, letGo } = this.budgetSlots.assign(def);
    this.o = { ...this.o, def };
    this.slots = slots;
    const taken: Array<Promise<void>> = [];
    for (const s of this.shards) {
      if (s.worker === undefined) continue;
      taken.push(new Promise<void>((resolve) => s.catalogTaken.push(resolve)));
      s.worker.postMessage({ t: 'catalog', def, slots } satisfies ToShard);
    }
    // (every promise is resolved when its shard takes the catalog or stops)
    if (letGo.length > 0) void Promise.all(taken).then(() => this.budgetSlots.release(letGo));
    const gate = settledWithin(taken, CLAIM_WAIT_MS);
    this.catalogGate = gate;
    void gate.then(() => {
      if (this.catalogGate === gate) this.catalogGate = undefined;
    });
  }

  /**
   * Hands every shard's gateway the key table as it is now (a key made, rotated, revoked);
   * resolves once each running shard has read it (5 s at most, then logged: a shard that
   * stops meanwhile takes the table at its start; one starting takes it before it listens).
   */
  async shareKeys(keys: KeyTable): Promise<void> {
    if (this.gateways === undefined) return;
    this.keyTable = keys;
    const seq = ++this.keysSeq;
    const running = this.shards.filter((s) => s.worker !== undefined);
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.keysTaken.set(seq, { left: running.length, done: resolve });
      timer = setTimeout(() => {
        // (a shard blocked that long serves none of its connections meanwhile; it takes the table before its next frames' turn is over)
        this.o.logger.warn({ shards: running.length, notTaken: this.keysTaken.get(seq)?.left, waitedMs: KEYS_WAIT_MS }, "a key change is answered before every shard's gateway has taken the new key table");
        resolve();
      }, KEYS_WAIT_MS);
      for (const s of running) s.worker?.postMessage({ t: 'gw-keys', seq, keys } satisfies ToShard);
    });
    clearTimeout(timer);
    this.keysTaken.delete(seq);
  }

  /**
   * The node listens: every shard's gateway listens on the gateway port (a shard started later
   * does at its start); rejects with the first error a shard met (the port taken meanwhile).
   */
  async openGateways(): Promise<void> {
    if (this.gateways === undefined) return;
    this.gatewaysOpen = true;
    await Promise.all(this.shards.map((s) => (s.worker === undefined ? Promise.resolve() : this.openGateway(s.worker))));
  }

  /** Has a worker's gateway listen; rejects with the error it met. */
  private openGateway(worker: Worker): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const acks = this.gatewayAcks.get(worker) ?? {};
      this.gatewayAcks.set(worker, acks);
      (acks.opened ??= []).push((error) => (error === undefined ? resolve() : reject(fromWire(error))));
      worker.once('exit', () => resolve());
      worker.postMessage({ t: 'gw-open' } satisfies ToShard);
    });
  }

  /**
   * Every shard's gateway sockets closed (before the process exits without a close: uWS's
   * sockets left open as a worker's loop closes abort the process); `timeoutMs` at most.
   */
  async closeGateways(timeoutMs = 2000): Promise<void> {
    if (this.gateways === undefined) return;
    await Promise.all(this.shards.map((s) => (s.worker === undefined ? Promise.resolve() : this.gatewayClosed(s.worker, timeoutMs))));
  }

  /** Asks a worker's gateway to close its sockets; resolves once it has, or has ended, or after `timeoutMs`. */
  private gatewayClosed(worker: Worker, timeoutMs: number): Promise<void> {
    if (worker.threadId === -1) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const acks = this.gatewayAcks.get(worker) ?? {};
      this.gatewayAcks.set(worker, acks);
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      acks.closed = done;
      worker.once('exit', done);
      worker.postMessage({ t: 'gw-close', restart: !this.closing } satisfies ToShard);
    });
  }

  /** The drain before a stop: every shard's gateway port answers /ready 503 while it still serves (a shard started later too). */
  drainGateways(): void {
    if (this.gateways === undefined) return;
    this.gatewaysDraining = true;
    for (const s of this.shards) s.worker?.postMessage({ t: 'gw-drain' } satisfies ToShard);
  }

  /** Hands every running shard the node's models as they are now (a new offer's, one reset); a shard started later takes them at its start. */
  shareModels(): void {
    const models = this.o.models?.() ?? [];
    for (const s of this.shards) s.worker?.postMessage({ t: 'models', models } satisfies ToShard);
  }

  /**
   * Ends a shard's thread as a crash does (tests): an error thrown out of its next turn, so
   * the thread ends with whatever it had in hand; it is started again and handed what it had
   * not answered. (Not `Worker.terminate`: ended in the middle of a transaction, lmdb-js's
   * cleanup of the thread's environment waits for its own write lock and never ends.)
   */
  async kill(index: number): Promise<void> {
    const worker = this.shards[index]?.worker;
    if (worker === undefined) return;
    const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ t: 'crash' } satisfies ToShard);
    await ended;
  }

  /**
   * Lets every shard finish what it holds and commit it (for up to `timeoutMs` and 10 s more,
   * then its thread is ended), answers what is left `overloaded`, closes the directory. With
   * the gateway port, a shard's sockets are closed only after that: every request its
   * connections sent, whichever shard decides it, is answered there first.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.shards.map(async (s) => {
        if (s.retry !== undefined) clearTimeout(s.retry);
        const worker = s.worker;
        if (worker === undefined) return;
        if (!s.ready) {
          await this.end(worker);
          return;
        }
        this.markReady(s, false);
        const closed = new Promise<void>((resolve) => {
          s.closed = resolve;
          worker.once('exit', () => resolve());
          setTimeout(resolve, timeoutMs + 10_000).unref();
        });
        worker.postMessage({ t: 'close', timeoutMs } satisfies ToShard);
        await closed;
        if (this.gateways === undefined) await this.end(worker);
      }),
    );
    for (const s of this.shards) this.answerAll(s, (re) => shuttingDown(re));
    if (this.gateways !== undefined) {
      // (the answers just given reach ShardGateways within this turn's microtasks: posted, then the sockets closed behind them)
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.gateways.flushAnswers();
      await Promise.all(this.shards.map((s) => (s.worker === undefined ? Promise.resolve() : this.end(s.worker))));
    }
    await Promise.all(this.shards.map((s) => s.chain ?? Promise.resolve()));
    await this.directory.settled();
    await this.directory.close();
  }

  /**
   * Ends a worker's thread. One with a gateway is asked to close its sockets first and
   * awaited (uWS's sockets left open as a thread's loop closes abort the whole process): a
   * thread blocked past END_CLOSE_WAIT_MS cannot answer, and its end may take the process.
   */
  private async end(worker: Worker): Promise<void> {
    if (this.o.gateway !== undefined) await this.gatewayClosed(worker, END_CLOSE_WAIT_MS);
    this.gatewayAcks.delete(worker);
    await worker.terminate();
  }

  private send(index: number, request: ShardRequest, claims: readonly ClaimWrite[] | undefined): Promise<HostReply> {
    const shard = this.shards[index] as Shard;
    // A shard being started again holds what comes meanwhile, up to the host's bound; one that keeps failing to start, nothing.
    if (!shard.ready && (shard.failedStarts >= MAX_FAILED_STARTS || shard.unanswered.size >= this.o.config.maxInFlight)) {
      return Promise.resolve({ kind: 'error', re: request[2].id, code: 'overloaded', message: `shard ${index} is restarting; retry later` });
    }
    return new Promise<HostReply>((resolve) => {
      shard.unanswered.set(request[0], { request, resolve, claims, deaths: 0 });
      shard.queue.push(request);
      this.flushSoon();
    });
  }

  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(this.flush);
  }

  /**
   * Takes each ready shard's queue as one batch and posts it: at once when none of its
   * requests waits for a directory write and no earlier batch of the shard waits; else once
   * those writes have settled, behind the shard's batches already waiting (the shard's order
   * kept; other shards are not held up). A request whose write failed, or is still in flight
   * after CLAIM_WAIT_MS, is answered `overloaded`, nothing of it decided.
   */
  private readonly flush = (): void => {
    this.flushQueued = false;
    for (const s of this.shards) {
      if (!s.ready || s.queue.length === 0) continue;
      const batch: Batch = { shard: s, epoch: s.epoch, requests: s.queue };
      s.queue = [];
      const writes = this.inFlight(batch);
      const gate = this.catalogGate;
      if (writes === undefined && s.chain === undefined && gate === undefined) {
        this.post(batch);
        continue;
      }
      const waited = (s.chain ?? Promise.resolve())
        .then(() => gate)
        .then(() => (writes === undefined ? undefined : settledWithin(writes, CLAIM_WAIT_MS)))
        .then(() => this.post(batch));
      const link: Promise<void> = waited.then(
        () => {
          if (s.chain === link) s.chain = undefined;
        },
        (err: unknown) => {
          if (s.chain === link) s.chain = undefined;
          this.o.logger.error({ err, shard: s.index }, 'posting a batch to a shard failed');
        },
      );
      s.chain = link;
    }
  };

  /** The directory writes a batch's requests wait for, not yet settled; undefined: none. */
  private inFlight(b: Batch): Array<Promise<void>> | undefined {
    let out: Array<Promise<void>> | undefined;
    for (const r of b.requests) {
      for (const c of b.shard.unanswered.get(r[0])?.claims ?? []) if (!c.settled) (out ??= []).push(c.done);
    }
    return out;
  }

  private post(b: Batch): void {
    const s = b.shard;
    const requests: ShardRequest[] = [];
    for (const r of b.requests) {
      const u = s.unanswered.get(r[0]);
      if (u === undefined) continue;
      if (u.claims !== undefined && u.claims.some((c) => !c.settled || c.failed)) {
        s.unanswered.delete(r[0]);
        u.resolve({ kind: 'error', re: r[2].id, code: 'overloaded', message: 'the shard directory could not be written; nothing was changed, retry later' });
        continue;
      }
      requests.push(r);
    }
    // (its worker stopped meanwhile: the next one is handed everything unanswered)
    if (!s.ready || s.epoch !== b.epoch || s.worker === undefined || requests.length === 0) return;
    s.worker.postMessage({ t: 'batch', now: this.o.clock.now(), requests } satisfies ToShard);
  }

  private answerAll(s: Shard, reply: (re: string) => HostReply): void {
    for (const [, u] of s.unanswered) u.resolve(reply(u.request[2].id));
    s.unanswered.clear();
    s.queue = [];
  }

  /** A started shard: everything it holds unanswered goes to its new worker, in order (through `flush`, behind the claims). */
  private replay(s: Shard): void {
    s.queue = [];
    for (const [seq, u] of s.unanswered) {
      if (u.deaths >= MAX_DEATHS) {
        s.unanswered.delete(seq);
        u.resolve({ kind: 'error', re: u.request[2].id, code: 'internal', message: `shard ${s.index} stopped ${u.deaths} times with this request in hand; retry later` });
        continue;
      }
      s.queue.push(u.request);
    }
    if (s.queue.length > 0) this.flushSoon();
  }

  /** Starts a shard's worker; resolves when it is ready, rejects when this start fails (the worker is ended). */
  private run(s: Shard): Promise<void> {
    if (this.closing) return Promise.reject(new KairosError('overloaded', 'closing'));
    const budgets = { memory: this.budgetMemory, capacity: this.budgetCapacity, slots: this.slots, counted: this.counted };
    const owner = ++this.generation;
    Atomics.store(this.taken, s.index, 0n);
    const data: ShardWorkerData = {
      index: s.index,
      count: this.shards.length,
      owner,
      taken: this.taken.buffer as SharedArrayBuffer,
      dir: join(this.o.config.dataDir, `shard-${s.index}`),
      config: this.o.config,
      def: this.o.def,
      stops: this.o.stops?.() ?? [],
      now: this.o.clock.now(),
      budgets,
      channelCapacity: { memory: this.capacityMemory, counted: this.capacityCounted },
      models: this.o.models?.() ?? [],
    };
    let peers: GatewayPeer[] = [];
    if (this.o.gateway !== undefined && this.keyTable !== undefined && this.gateways !== undefined) {
      peers = this.connectPeers(s, this.gateways);
      data.gateway = { port: this.o.gateway.port, keys: this.keyTable, draining: this.gatewaysDraining, buckets: this.o.gateway.buckets, up: this.upFlags.buffer as SharedArrayBuffer, epoch: this.gateways.epochOf(s.index), peers };
    }
    const worker = new Worker(this.url, { workerData: data, transferList: peers.map((p) => p.port) });
    s.worker = worker;
    this.markReady(s, false);
    return new Promise<void>((resolve, reject) => {
      let started = false;
      // Too slow to start: no longer the shard's worker (its messages and exit are ignored), and
      // the start fails only once its thread is gone, so that no next worker shares its store.
      const timer = setTimeout(() => {
        if (started || s.worker !== worker) return;
        s.worker = undefined;
        // (its exit is no longer the shard's: its connections are gone now, and answers owed to them dropped, not posted to the next worker under the same numbers)
        this.gateways?.stopped(s.index);
        void this.end(worker).finally(() => reject(new KairosError('internal', `shard ${s.index} did not start in ${START_TIMEOUT_MS / 1000} s`)));
      }, START_TIMEOUT_MS);
      timer.unref();
      worker.on('message', (m: FromShard) => {
        // (awaited of this very worker, whether or not it is still the shard's: `end`)
        if (m.t === 'gw-closed' || m.t === 'gw-opened') {
          const acks = this.gatewayAcks.get(worker);
          if (m.t === 'gw-closed') acks?.closed?.();
          else {
            const opened = acks?.opened ?? [];
            if (acks !== undefined) acks.opened = undefined;
            for (const done of opened) done(m.error);
          }
          return;
        }
        // (a worker that is no longer the shard's: ended after its start timed out)
        if (s.worker !== worker) return;
        switch (m.t) {
          case 'ready':
            started = true;
            clearTimeout(timer);
            this.markReady(s, true);
            s.failedStarts = 0;
            this.subscribers.started(s.index);
            // (a change of the list made while it started reached no one there)
            this.sendStops(s);
            if (this.gatewaysDraining) worker.postMessage({ t: 'gw-drain' } satisfies ToShard);
            // A shard started again while the node listens listens too, now: behind any key table
            // handed it while it started (the one it started with may be older), never before.
            if (this.gatewaysOpen && this.gateways !== undefined) this.openGateway(worker).catch((err: unknown) => this.o.logger.error({ err, shard: s.index }, "a shard started again could not listen on the gateway port; the other shards take its connections"));
            this.replay(s);
            resolve();
            return;
          case 'replies':
            for (const [seq, reply] of m.replies) {
              const u = s.unanswered.get(seq);
              if (u === undefined) continue;
              s.unanswered.delete(seq);
              u.resolve(reply);
            }
            // (answered by the shard to the gateway shard they name: nothing more to do here)
            if (m.done !== undefined) for (const seq of m.done) s.unanswered.delete(seq);
            return;
          case 'closed':
            s.closed?.();
            return;
          case 'catalog-taken':
            // (catalogs are taken in the order they were posted)
            s.catalogTaken.shift()?.();
            return;
          case 'metrics':
          case 'called': {
            const asked = this.asked.get(m.seq);
            this.asked.delete(m.seq);
            asked?.answer(m);
            return;
          }
          case 'deliver':
            this.subscribers.delivered(s.index, m.id, m.frame);
            return;
          case 'confirmed':
            this.subscribers.confirmed(m.seq, m.error);
            return;
          case 'gw-keys-taken': {
            const k = this.keysTaken.get(m.seq);
            if (k !== undefined && --k.left <= 0) k.done();
            return;
          }
          case 'gw':
          case 'gw-subscribe':
          case 'gw-unsubscribe':
          case 'gw-confirm':
            this.gateways?.take(s.index, m);
            return;
          case 'sms': {
            // (to the node's one SMPP bind; the answer goes back to this worker, not to a successor)
            const send = this.o.onSms?.(m.record) ?? Promise.reject(new KairosError('delivery_failed', 'no SMPP bind on this node'));
            send.then(
              () => worker.postMessage({ t: 'sms-sent', seq: m.seq } satisfies ToShard),
              (err: unknown) => worker.postMessage({ t: 'sms-sent', seq: m.seq, error: toWire(err) } satisfies ToShard),
            );
            return;
          }
        }
      });
      worker.on('error', (err) => this.o.logger.error({ err, shard: s.index }, 'a shard failed'));
      worker.on('exit', (code) => {
        this.gatewayAcks.delete(worker);
        // A lock its thread left taken: released (the thread is gone).
        releaseHeldBy(this.budgetMemory, this.budgetCapacity, owner);
        releaseHeldBy(this.capacityMemory, CAPACITY_SLOTS, owner);
        if (s.worker !== worker) return;
        this.markReady(s, false);
        s.worker = undefined;
        s.epoch++;
        this.subscribers.stopped(s.index);
        this.gateways?.stopped(s.index);
        for (const [seq, a] of this.asked) {
          if (a.shard !== s.index) continue;
          this.asked.delete(seq);
          a.fail(new KairosError('overloaded', `shard ${s.index} stopped before answering; retry shortly`));
        }
        // (its successor takes the catalog with its start)
        for (const taken of s.catalogTaken.splice(0)) taken();
        // What it had taken and not answered was in its hands when it stopped.
        const taken = Number(Atomics.load(this.taken, s.index));
        for (const [seq, u] of s.unanswered) if (seq <= taken) u.deaths++;
        if (!started) {
          clearTimeout(timer);
          reject(new KairosError('internal', `shard ${s.index} stopped while starting (exit code ${code})`));
          return;
        }
        if (this.closing) return;
        s.restarts++;
        this.o.logger.error({ shard: s.index, code, unanswered: s.unanswered.size, restarts: s.restarts }, 'a shard stopped; starting it again on its store');
        this.restart(s);
      });
    });
  }

  /**
   * A channel between the gateway of shard `s`, about to be started, and each other shard's
   * running (or starting) worker: each answers on it the requests of the other's connections
   * it decides (shard-gateway.ts `answerFor`). The other end is posted to that worker now,
   * ahead of any batch naming a connection of the new one; the new worker's ends are returned,
   * for its start.
   */
  private connectPeers(s: Shard, gateways: ShardGateways): GatewayPeer[] {
    const peers: GatewayPeer[] = [];
    for (const other of this.shards) {
      if (other === s || other.worker === undefined) continue;
      const { port1, port2 } = new MessageChannel();
      other.worker.postMessage({ t: 'gw-peer', peer: { index: s.index, epoch: gateways.epochOf(s.index), port: port2 } } satisfies ToShard, [port2]);
      peers.push({ index: other.index, epoch: gateways.epochOf(other.index), port: port1 });
    }
    return peers;
  }

  /** Starts a stopped shard again, every second until it starts; past MAX_FAILED_STARTS failures its requests are answered `overloaded`. */
  private restart(s: Shard): void {
    s.retry = undefined;
    if (this.closing) return;
    this.run(s).catch((err: unknown) => {
      if (this.closing) return;
      s.failedStarts++;
      this.o.logger.error({ err, shard: s.index, failedStarts: s.failedStarts }, 'starting a shard again failed; retrying in 1 s');
      if (s.failedStarts >= MAX_FAILED_STARTS) this.answerAll(s, (re) => ({ kind: 'error', re, code: 'overloaded', message: `shard ${s.index} cannot start; retry later` }));
      s.retry = setTimeout(() => this.restart(s), 1000);
      s.retry.unref();
    });
  }
}

/** Resolves once every write has settled, or after `ms` (those still in flight are then refused by `post`). */
function settledWithin(writes: ReadonlyArray<Promise<void>>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([Promise.all(writes).then(() => undefined), deadline]).finally(() => clearTimeout(timer));
}

function shuttingDown(re: string): HostReply {
  return { kind: 'error', re, code: 'overloaded', message: 'server is shutting down' };
}
