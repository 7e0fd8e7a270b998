import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CatalogDef, ContactIdentifierKind, GatewayEvent, GatewayResponse } from '../../actors/index.js';
import { contactIdentifierKinds, customerOfInstance } from '../../actors/index.js';
import { readDemoCustomers } from '../demo/demo-bank.js';
import { demoCsvPath } from '../paths.js';
import { BudgetSlots } from './shard-budgets.js';
import { CAPACITY_SLOTS } from './shard-capacity.js';
import { sharedTotalsMemory } from './shared-totals.js';
import { recordShardCount } from './shard-count.js';
import { ShardDirectory } from './shard-directory.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { HostReply } from '../runtime/host-options.js';
import { routeKey, shardOf } from './shard-of.js';
import type { FromShard, ShardRequest, ShardWorkerData, ToShard } from './shard-messages.js';

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
  clock: Clock;
  logger: Logger;
  /** the compiled worker (tests and benches: dist's); beside this module by default */
  workerUrl?: URL;
}

interface Shard {
  index: number;
  worker: Worker | undefined;
  ready: boolean;
  /** requests routed here and not yet posted (waiting for the end of the turn, or for the shard to start) */
  queue: ShardRequest[];
  /** posted or queued, not yet answered: by sequence number, in order */
  unanswered: Map<number, { request: ShardRequest; resolve: (r: HostReply) => void }>;
  restarts: number;
  /** resolved when the shard said `closed` */
  closed?: () => void;
}

/** Campaigns with a budget the shards can share totals of (one slot each, for the life of the process). */
const BUDGET_SLOTS = 4096;

/** A worker's first start may take this long (opening its environment, loading its ledgers) before the start is failed. */
const START_TIMEOUT_MS = 60_000;

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
  /** a flush waiting for the directory's claims to be committed: later flushes wait behind it */
  private waiting: Promise<void> | undefined;
  /** identifiers an event named that were claimed by another shard than its customer's: withheld from it */
  private withheldCount = 0;
  /** campaign budgets across shards (shard-budgets.ts) */
  private readonly budgetSlots = new BudgetSlots(BUDGET_SLOTS);
  private readonly budgetMemory = sharedTotalsMemory(BUDGET_SLOTS);
  private readonly capacityMemory = sharedTotalsMemory(CAPACITY_SLOTS);
  private slots: Readonly<Record<string, number>>;
  /** an Int32 a shard: its stored budget totals are in the shared memory */
  private readonly counted: SharedArrayBuffer;

  private constructor(private o: ShardsOptions) {
    this.url = o.workerUrl ?? shardWorkerUrl();
    if (!existsSync(fileURLToPath(this.url))) throw new KairosError('internal', `the shard worker ${fileURLToPath(this.url)} is not built: npm run build`);
    this.shards = Array.from({ length: o.count }, (_, index) => ({ index, worker: undefined, ready: false, queue: [], unanswered: new Map(), restarts: 0 }));
    this.counted = new SharedArrayBuffer(4 * o.count);
    this.directory = new ShardDirectory(o.config.dataDir, o.config.stopListSecret);
    this.slots = this.budgetSlots.assign(o.def);
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
    recordShardCount(o.config.dataDir, o.count);
    const shards = new Shards(o);
    try {
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

  /** Requests each shard holds unanswered (posted or waiting to be). */
  get unanswered(): readonly number[] {
    return this.shards.map((s) => s.unanswered.size);
  }

  /** The shard that owns a routing key (a customer id, or `kind:value` of an identifier). */
  shardOf(key: string): number {
    return shardOf(key, this.shards.length);
  }

  /** Identifiers withheld from events because another shard holds them (see `route`). */
  get withheld(): number {
    return this.withheldCount;
  }

  /** Decides on a gateway event in the shard of its customer (`route`). */
  submitEvent(event: GatewayEvent): Promise<HostReply> {
    const routed = this.route(event);
    if (routed === undefined) return Promise.resolve({ kind: 'error', re: event.id, code: 'invalid', message: 'field "customer": names no one (id, card, phone, email or cookie)' });
    return this.send(routed.shard, [++this.seq, 'event', routed.event]);
  }

  /**
   * The shard an event goes to: its bank id's; else the shard the first identifier the
   * directory knows was claimed for (in identity resolution's order: card, phone, e-mail,
   * cookie); else, a first sight, its strongest identifier's. Identifiers the directory does
   * not know are claimed for that shard; one claimed for another shard belongs to a customer
   * there and is withheld from the event (not linked to this customer: a conflict, as a
   * single node withholds an identifier another customer holds).
   */
  private route(event: GatewayEvent): { shard: number; event: GatewayEvent } | undefined {
    const ref = event.customer;
    let shard = ref.id === undefined ? undefined : this.shardOf(ref.id);
    let unknown: ContactIdentifierKind[] | undefined;
    let elsewhere: ContactIdentifierKind[] | undefined;
    for (const kind of contactIdentifierKinds) {
      const value = ref[kind];
      if (value === undefined) continue;
      const held = this.directory.shardOf(kind, value);
      if (held === undefined) (unknown ??= []).push(kind);
      else if (shard === undefined) shard = held;
      else if (held !== shard) (elsewhere ??= []).push(kind);
    }
    if (shard === undefined) {
      const key = routeKey(ref);
      if (key === undefined) return undefined;
      shard = this.shardOf(key);
    }
    if (unknown !== undefined) for (const kind of unknown) this.directory.claim(kind, ref[kind] as string, shard);
    if (elsewhere === undefined) return { shard, event };
    this.withheldCount += elsewhere.length;
    const customer = { ...ref };
    for (const kind of elsewhere) delete customer[kind];
    return { shard, event: { ...event, customer } };
  }

  /** Records a response in the shard of the customer its offer instance was made to. */
  submitResponse(response: GatewayResponse): Promise<HostReply> {
    const customer = customerOfInstance(response.instance);
    if (customer === undefined) return Promise.resolve({ kind: 'error', re: response.id, code: 'invalid', message: `field "instance": "${response.instance}" is not an offer-instance id` });
    return this.send(this.shardOf(customer), [++this.seq, 'response', response]);
  }

  /** A new catalog for every shard (its next batch decides with it). */
  setCatalog(def: CatalogDef): void {
    this.o = { ...this.o, def };
    this.slots = this.budgetSlots.assign(def);
    for (const s of this.shards) s.worker?.postMessage({ t: 'catalog', def, slots: this.slots } satisfies ToShard);
  }

  /** Ends a shard's thread as a crash would (tests): it is started again and handed what it had not answered. */
  async kill(index: number): Promise<void> {
    const worker = this.shards[index]?.worker;
    if (worker !== undefined) await worker.terminate();
  }

  /** Lets every shard finish what it holds and commit it, then ends the threads. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.shards.map(async (s) => {
        const worker = s.worker;
        if (worker === undefined) return;
        if (!s.ready) {
          await worker.terminate();
          return;
        }
        const closed = new Promise<void>((resolve) => {
          s.closed = resolve;
          worker.once('exit', () => resolve());
        });
        worker.postMessage({ t: 'close', timeoutMs } satisfies ToShard);
        await closed;
        await worker.terminate();
      }),
    );
    for (const s of this.shards) {
      for (const [, u] of s.unanswered) u.resolve({ kind: 'error', re: u.request[2].id, code: 'overloaded', message: 'server is shutting down' });
      s.unanswered.clear();
    }
    await this.waiting;
    await this.directory.close();
  }

  private send(index: number, request: ShardRequest): Promise<HostReply> {
    const shard = this.shards[index] as Shard;
    if (this.closing) return Promise.resolve({ kind: 'error', re: request[2].id, code: 'overloaded', message: 'server is shutting down' });
    // A shard being started again holds what comes meanwhile, up to the host's bound.
    if (!shard.ready && shard.unanswered.size >= this.o.config.maxInFlight) {
      return Promise.resolve({ kind: 'error', re: request[2].id, code: 'overloaded', message: `shard ${index} is restarting; retry later` });
    }
    return new Promise<HostReply>((resolve) => {
      shard.unanswered.set(request[0], { request, resolve });
      shard.queue.push(request);
      if (!this.flushQueued) {
        this.flushQueued = true;
        setImmediate(this.flush);
      }
    });
  }

  /**
   * Posts each ready shard's queue as one batch; once the directory's claims are committed
   * when there are some in flight (and behind a flush already waiting for them), so that a
   * shard never commits a link the directory has not.
   */
  private readonly flush = (): void => {
    this.flushQueued = false;
    if (this.waiting !== undefined) return;
    const settled = this.directory.settled();
    if (settled === undefined) {
      this.post();
      return;
    }
    this.waiting = settled.then(
      () => this.afterWait(),
      (err: unknown) => {
        this.o.logger.error({ err }, 'writing the shard directory failed');
        this.afterWait();
      },
    );
  };

  private afterWait(): void {
    this.waiting = undefined;
    this.flush();
  }

  private post(): void {
    const now = this.o.clock.now();
    for (const s of this.shards) {
      if (!s.ready || s.queue.length === 0 || s.worker === undefined) continue;
      const requests = s.queue;
      s.queue = [];
      s.worker.postMessage({ t: 'batch', now, requests } satisfies ToShard);
    }
  }

  /** Starts a shard's worker; resolves when it is ready, rejects when its first start fails. */
  private run(s: Shard): Promise<void> {
    const budgets = { memory: this.budgetMemory, capacity: BUDGET_SLOTS, slots: this.slots, counted: this.counted };
    const data: ShardWorkerData = { index: s.index, count: this.shards.length, dir: join(this.o.config.dataDir, `shard-${s.index}`), config: this.o.config, def: this.o.def, now: this.o.clock.now(), budgets, channelCapacity: this.capacityMemory };
    const worker = new Worker(this.url, { workerData: data });
    s.worker = worker;
    s.ready = false;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        if (!started) reject(new KairosError('internal', `shard ${s.index} did not start in ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      timer.unref();
      worker.on('message', (m: FromShard) => {
        switch (m.t) {
          case 'ready':
            started = true;
            clearTimeout(timer);
            s.ready = true;
            // Everything it had not answered, in order (a restart), then what came meanwhile.
            s.queue = [...s.unanswered.values()].map((u) => u.request);
            if (s.queue.length > 0) worker.postMessage({ t: 'batch', now: this.o.clock.now(), requests: s.queue } satisfies ToShard);
            s.queue = [];
            resolve();
            return;
          case 'replies':
            for (const [seq, reply] of m.replies) {
              const u = s.unanswered.get(seq);
              if (u === undefined) continue;
              s.unanswered.delete(seq);
              u.resolve(reply);
            }
            return;
          case 'closed':
            s.closed?.();
            return;
        }
      });
      worker.on('error', (err) => this.o.logger.error({ err, shard: s.index }, 'a shard failed'));
      worker.on('exit', (code) => {
        if (s.worker !== worker) return;
        s.ready = false;
        s.worker = undefined;
        if (!started) {
          clearTimeout(timer);
          reject(new KairosError('internal', `shard ${s.index} stopped while starting (exit code ${code})`));
          return;
        }
        if (this.closing) return;
        s.restarts++;
        this.o.logger.error({ shard: s.index, code, unanswered: s.unanswered.size, restarts: s.restarts }, 'a shard stopped; starting it again on its store');
        const again = (): void => {
          this.run(s).catch((err: unknown) => {
            this.o.logger.error({ err, shard: s.index }, 'starting a shard again failed; retrying in 1 s');
            setTimeout(again, 1000).unref();
          });
        };
        again();
      });
    });
  }
}
