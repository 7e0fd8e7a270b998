import { randomBytes } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import type {
  Campaign,
  Catalog,
  CustomerSnapshot,
  CustomerStepper,
  ContactIdentifierKind,
  CustomerContext,
  CustomerInput,
  CustomerLimits,
  CustomerMessage,
  CustomerRef,
  CustomerReply,
  Explanation,
  GatewayEvent,
  GatewayResponse,
  OutboxEntry,
  Preview,
  ReplyParams,
  TraceParams,
} from '../../actors/index.js';
import {
  bucketsOf,
  contactIdentifierKinds,
  createCustomerStepper,
  customerMachine,
  customerOfInstance,
  customerTimeZone,
  decisionInputs,
  defaultLimits,
  effectiveRetentionMs,
  eventTimeProblem,
  firstSight,
  localTime,
  previewCampaign,
  windowValue,
  withSharedNoActions,
} from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { Durability } from '../config.js';
import type { ErrorCode } from '../errors.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { outcomeLabel } from '../metrics.js';
import type { StopList } from '../stop-list.js';
import type { IdentityLink, OutboxRecord, ReminderRecord, SharedCharge, Store } from '../store/store.js';
import { StaleSnapshotError, identityKey, reminderKey } from '../store/store.js';
import type { BudgetLedger, CapacityLedger } from './budget-ledger.js';
import type { MetaCounters } from './meta-counters.js';
import type { ModelRegistry } from './model-registry.js';
import type { PropensityLedger } from './propensity-ledger.js';
import type { FunnelLedger } from './funnel-ledger.js';
import type { UpliftLedger } from './uplift-ledger.js';
import type { Settled } from './in-order.js';
import { InOrder } from './in-order.js';
import type { Pending } from './oldest-pending.js';
import { OldestPending } from './oldest-pending.js';
import { SNAPSHOT_VERSION, migrateSnapshot } from './snapshot-migrations.js';
import { StringPool } from './string-pool.js';

/**
 * The actor host: the virtual-actor runtime for customers (Orleans-style). It resolves who
 * an event is about, activates that customer's actor from the store on first use, runs each
 * customer's messages strictly in arrival order (different customers interleave freely),
 * and writes changed snapshots behind in batches, one transaction a batch. On close it
 * drains every mailbox and flushes.
 *
 * A live customer is its XState machine snapshot plus a mailbox. Each message is one pure
 * machine transition (`actors/customer-stepper.ts`); the named effects it returns (reply,
 * queue, link, trace) are executed with the bodies supplied here through
 * `machine.provide()`. This is XState's actor model without an `Actor` object per
 * customer: no per-actor system, observers or deep copies, so a process holds far more live
 * customers; a failing message leaves the previous snapshot untouched.
 */

export type HostReply = CustomerReply | { kind: 'error'; re: string; code: ErrorCode; message: string };

export interface HostOptions {
  store: Store;
  catalog: () => Catalog;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  stopList: StopList;
  /** when a reply may go out: after the commit (`commit`), after the flush to disk (`strict`), or at once (`write-behind`) */
  durability?: Durability;
  /** group commit: how long the first change waits for others before a commit starts (0: the next turn) */
  commitWindowMs?: number;
  flushIntervalMs: number;
  flushBatch: number;
  maxHotActors: number;
  /** a live actor untouched this long is released at the next sweep (0: never for idleness) */
  passivateAfterMs?: number;
  /** past this much V8 heap in use, each sweep releases the least recently used tenth of the clean actors (0: no bound) */
  maxHeapBytes?: number;
  maxInFlight: number;
  /** ms the oldest request in flight may have waited before new ones are refused `overloaded` (0 or absent: no bound) */
  maxQueueMs?: number;
  /** campaign budgets: consulted before each decision, fed after it, written with each batch */
  ledger: BudgetLedger;
  /** responses per campaign and target group: the evidence that moves propensities off their priors */
  propensity: PropensityLedger;
  /** contacts per channel per day, against the policy's channel capacity */
  capacity?: CapacityLedger;
  /** each offer's adaptive model, trained from the actors' `learned` traces */
  models: ModelRegistry;
  /** contacts made and withheld per campaign, and the goals they reached */
  uplift: UpliftLedger;
  /** the campaign funnel (GET /v1/reports/funnel) */
  funnel?: FunnelLedger;
  /** called with the outbox records of each committed batch */
  onCommitted?: (records: readonly OutboxRecord[]) => void;
  /** idempotency memory and the bounds on `at` (actors/limits.ts; defaultLimits when absent) */
  limits?: CustomerLimits;
}

/** What is stored for a customer actor: its lifecycle state and its context. */
interface PersistedCustomer {
  value: CustomerSnapshot['value'];
  context: CustomerContext;
}

interface Live {
  id: string;
  snapshot: CustomerSnapshot;
  /** bumped on every change; `flushed` is the version last written */
  version: number;
  flushed: number;
  /** the store's revision of the snapshot this state builds on (shared stores refuse a commit from an older one) */
  rev: number;
  /** shared stores: budget and capacity this actor's uncommitted contacts spend, reserved with its next commit */
  charges?: SharedCharge[];
  /** shared stores: what its uncommitted messages add to the totals (funnel, learning), applied once committed */
  afterCommit?: Array<() => void>;
  lastExplain: Explanation[];
  /** performance.now() of the last message (or activation): idle passivation reads it */
  touchedAt: number;
  /** replies waiting for this actor's state to be committed up to a version */
  waiters?: Array<{ version: number; resolve: () => void; reject: (err: Error) => void }>;
  /** keys of `liveIdentities` that resolved to this actor: dropped with it */
  identityKeys?: string[];
}

/** Who a request is for; `identity`: the store named them by this identifier (remembered once they are live). */
type Resolution = { id: string; identity?: { key: string; epoch: number } } | { error: ErrorCode; message: string };

/** The customer an offer instance belongs to, as a resolution. */
function instanceOwner(instance: string): Promise<Resolution> {
  const id = customerOfInstance(instance);
  return Promise.resolve(id === undefined ? { error: 'invalid', message: `field "instance": "${instance}" is not an offer-instance id` } : { id });
}

/** The most actors one write-behind transaction commits. */
const COMMIT_CHUNK = 500;
/** How long a node holds a reminder it claimed on a shared store before another may fire it. */
const REMINDER_LEASE_MS = 60_000;
/** How many times a request decided on a stale state (another node wrote the customer) is decided again. */
const MAX_STALE_RETRIES = 10;

/** A request's change was refused by a shared store (stale revision): run it again. */
class StaleRetry extends Error {
  constructor(customer: string) {
    super(`the state of "${customer}" was stale; deciding again`);
  }
}

/**
 * Milliseconds of a task's own work: the spans between `pause()` and `resume()` (waits for a
 * later turn) left out, unless `waitsCount` (the wait is itself part of the work: a network
 * round trip).
 */
class WorkClock {
  private total = 0;
  private since = performance.now();

  constructor(private readonly waitsCount = false) {}

  pause(): void {
    if (!this.waitsCount) this.total += performance.now() - this.since;
  }

  resume(): void {
    if (!this.waitsCount) this.since = performance.now();
  }

  stop(): number {
    return this.total + performance.now() - this.since;
  }
}

/** Commits failed in a row after which the node says it is not ready. */
const FAILING_AFTER = 3;

/** A commit of at most this many snapshots means a light load: the next one starts without a window. */
const COMMIT_AT_ONCE = 2;

function newCustomerId(prefix: 'v' | 'p'): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}

export class CustomerHost {
  private readonly stepper: CustomerStepper;
  /** totals across customers written with each batch: budgets, response counts */
  private readonly counters: ReadonlyArray<MetaCounters<object>>;
  private readonly hot = new Map<string, Live>();
  private readonly mailboxes = new Map<string, Promise<void>>();
  private readonly order = new InOrder<Resolution>();
  /** when the requests in flight arrived: the queueing bound (`maxQueueMs`) and its gauge */
  private readonly waiting = new OldestPending();
  private readonly dirty = new Set<string>();
  /** identity links not yet committed: read before the store so new customers resolve at once */
  private readonly pendingLinks = new Map<string, IdentityLink>();
  /**
   * Identifiers the store resolved to a customer who is live, while they stay live (single-node
   * stores, where every link is written through this host): an event naming a live customer by
   * card, phone, e-mail or cookie does not read the store. A new link of an identifier drops
   * its entry; releasing or erasing the customer drops theirs.
   */
  private readonly liveIdentities = new Map<string, string>();
  /** one copy of the short strings the customers read from the store share */
  private readonly strings = new StringPool();
  /** bumped by every new identity link: a store lookup that a link overtook is not remembered */
  private linkEpoch = 0;
  /** customers created on first sight, until their actor is activated */
  private readonly creating = new Map<string, CustomerInput>();
  private pendingOutbox: OutboxEntry[] = [];
  /** reminders to set or drop, in the order they were asked for; committed with their customer */
  private pendingReminders: Array<{ customer: string; key: string; set?: ReminderRecord; remove?: true }> = [];
  /** reminders handed to their actors whose removal is not committed yet: never fired twice */
  private readonly firing = new Set<string>();
  private polling: Promise<number> | undefined;
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private commitScheduled = false;
  /** snapshots in the last commit: a light load commits at once, a heavy one waits for the window */
  private lastCommitSize = 0;
  private flushFailures = 0;
  /**
   * The halves of commits the store refused, committed before anything else: a change the
   * store cannot take is found in a few rounds (each failed group split in two) and refused
   * alone (`refuse`), while every other customer's change commits; customers who changed
   * meanwhile wait behind, not mixed into the suspects.
   */
  private suspects: string[][] = [];
  /** commits that failed in a row, refused changes included: readiness reads it (`storeFailing`) */
  private failedInARow = 0;
  private probing = false;
  private inFlight = 0;
  private closed = false;
  /** the actor whose message is being handled (its effects run synchronously within step) */
  private stepping: Live | undefined;
  /** set by the `reply` effect while a message is being handled */
  private currentReply: CustomerReply | undefined;
  private currentExplain: Explanation[] | undefined;

  constructor(private readonly o: HostOptions) {
    const machine = customerMachine.provide({
      actions: {
        reply: (_, p) => {
          this.currentReply = p.reply;
        },
        queue: (_, p) => {
          this.pendingOutbox.push(...p.entries);
        },
        link: (_, p) => {
          for (const l of p.links) this.addPendingLink(l.kind, l.value, p.customer, true);
        },
        schedule: (_, p) => {
          for (const r of p.reminders) {
            const key = reminderKey(p.customer, r.name);
            if ('cancel' in r) this.pendingReminders.push({ customer: p.customer, key, remove: true });
            else {
              const record: ReminderRecord = { key, customer: p.customer, due: r.due, event: r.event };
              if (r.data !== undefined) record.data = r.data;
              this.pendingReminders.push({ customer: p.customer, key, set: record });
            }
          }
        },
        trace: (_, p) => {
          this.currentExplain = p.trace.explain;
          // On a shared store a decision may be refused at its commit and made again: count it
          // (and learn from it) only once it is committed.
          const stepping = this.stepping;
          if (this.o.store.shared === true && stepping !== undefined) {
            (stepping.afterCommit ??= []).push(() => this.recordTrace(p));
            return;
          }
          this.recordTrace(p);
        },
      },
    });
    this.stepper = createCustomerStepper(machine);
    o.metrics.host.oldestWaitMs = () => this.waiting.age(performance.now());
    o.metrics.host.inFlight = () => this.inFlight;
    o.metrics.host.hotActors = () => this.hot.size;
    o.metrics.host.dirtyActors = () => this.dirty.size;
    // On a shared store budgets and capacity are reserved with each commit (SharedCharge), not written as this node's totals.
    const shared = o.store.shared === true;
    this.counters = [
      ...(shared ? [] : [o.ledger.counters]),
      o.propensity.counters,
      o.models.stats,
      o.uplift.counters,
      ...(o.funnel === undefined ? [] : [o.funnel.counters]),
      ...(o.capacity === undefined || shared ? [] : [o.capacity.counters]),
    ];
  }

  get hotCount(): number {
    return this.hot.size;
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  // -------------------------------------------------------------------------------------
  // Requests

  /** Decides on a gateway event. */
  submitEvent(event: GatewayEvent): Promise<HostReply> {
    const now = this.o.clock.now();
    const refused = this.timeRefusal(event.id, event.at, now);
    if (refused !== undefined) return Promise.resolve(refused);
    return this.submit(event.id, this.resolve(event.customer, now), () => ({
      type: 'gateway.event',
      event,
      now,
      catalog: this.o.catalog(),
      stops: [],
      limits: this.limits,
    }));
  }

  /** Records a response to an offer instance. */
  submitResponse(response: GatewayResponse): Promise<HostReply> {
    const now = this.o.clock.now();
    const refused = this.timeRefusal(response.id, response.at, now);
    if (refused !== undefined) return Promise.resolve(refused);
    return this.submit(response.id, instanceOwner(response.instance), () => ({
      type: 'gateway.response',
      response,
      now,
      catalog: this.o.catalog(),
      limits: this.limits,
    }));
  }

  private get limits(): CustomerLimits {
    return this.o.limits ?? defaultLimits;
  }

  /**
   * A message whose `at` no request within the idempotency retention can have had, refused
   * before anything (no customer is created for it). The actor checks the exact bounds after
   * its duplicate check, so a repeat of an event accepted days ago still gets its first answer.
   */
  private timeRefusal(re: string, at: number | undefined, now: number): HostReply | undefined {
    const problem = eventTimeProblem(at, now, this.limits, effectiveRetentionMs(this.limits, this.o.catalog()));
    return problem === undefined ? undefined : { kind: 'error', re, code: 'invalid', message: problem };
  }

  /** A delivery endpoint confirmed or failed an offer instance on a channel. */
  submitDelivery(instance: string, status: 'delivered' | 'failed', reason?: string): Promise<HostReply> {
    const now = this.o.clock.now();
    return this.submit(instance, instanceOwner(instance), () => {
      const msg: CustomerMessage = { type: 'delivery.report', instance, status, now };
      if (reason !== undefined) msg.reason = reason;
      return msg;
    });
  }

  /**
   * Hands every reminder due by the clock's now to its customer's actor (activating it if
   * passivated), once: a reminder stays in `firing` until its removal is committed with the
   * actor's new state. Resolves with how many fired, when they have all been handled.
   */
  pollReminders(): Promise<number> {
    this.polling ??= (async () => {
      try {
        const now = this.o.clock.now();
        // What the other nodes spent of budgets and capacity, and counted, since.
        if (this.o.store.shared === true) {
          await this.refreshTotals();
          await this.mergeCounters();
        }
        // On a shared store, claim them: no other node fires the same ones meanwhile.
        const due = this.o.store.claimReminders !== undefined ? await this.o.store.claimReminders(now, 1000, REMINDER_LEASE_MS) : await this.o.store.dueReminders(now, 1000);
        const fresh = due.filter((r) => !this.firing.has(r.key));
        await Promise.all(fresh.map((r) => this.fireReminder(r)));
        return fresh.length;
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async fireReminder(r: ReminderRecord): Promise<void> {
    this.firing.add(r.key);
    const event: GatewayEvent = { id: `reminder:${r.key}@${r.due}`, type: r.event, customer: { id: r.customer }, at: r.due };
    if (r.data !== undefined) event.data = r.data;
    this.o.metrics.remindersFired.inc({ kind: r.key.slice(r.customer.length + 1).split(':')[0] ?? 'other' });
    const reply = await this.submit(event.id, Promise.resolve({ id: r.customer }), () => ({
      type: 'gateway.event',
      event,
      now: this.o.clock.now(),
      catalog: this.o.catalog(),
      stops: [],
      reminder: r.key,
      limits: this.limits,
    }));
    if (reply.kind === 'error' && reply.code !== 'unknown_customer') {
      // Not handled (overloaded, shutting down): it stays in the store and fires at a later poll.
      this.firing.delete(r.key);
      return;
    }
    // Handled (or its customer is gone): the removal was queued by the step; make sure a commit runs.
    if (reply.kind === 'error') this.pendingReminders.push({ customer: r.customer, key: r.key, remove: true });
    this.scheduleCommit();
  }

  private submit(re: string, resolution: Promise<Resolution>, message: (id: string) => CustomerMessage): Promise<HostReply> {
    if (this.closed) return Promise.resolve({ kind: 'error', re, code: 'overloaded', message: 'server is shutting down' });
    if (this.inFlight >= this.o.maxInFlight) {
      return Promise.resolve({ kind: 'error', re, code: 'overloaded', message: 'too many requests in flight, retry later' });
    }
    // Past the queueing bound: the request would be answered too late to be of use (a gateway
    // waiting at an ATM), and would make the queue longer for those behind it.
    const now = performance.now();
    const maxQueueMs = this.o.maxQueueMs ?? 0;
    if (maxQueueMs > 0) {
      const behind = this.waiting.age(now);
      if (behind > maxQueueMs) {
        return Promise.resolve({ kind: 'error', re, code: 'overloaded', message: `requests in flight have waited ${Math.round(behind)} ms, past the ${maxQueueMs} ms bound; retry later` });
      }
    }
    const waiting: Pending = this.waiting.start(now);
    this.inFlight++;
    return new Promise<HostReply>((resolve) => {
      const done = (r: HostReply): void => {
        waiting.done = true;
        this.inFlight--;
        resolve(r);
      };
      this.order.add(resolution, (settled: Settled<Resolution>) => {
        if (!settled.ok) {
          this.o.logger.error({ err: settled.error }, 'identity resolution failed');
          done(this.failure(re));
          return;
        }
        const r = settled.value;
        if ('error' in r) {
          done({ kind: 'error', re, code: r.error, message: r.message });
          return;
        }
        let attempts = 0;
        /** Answers once what the reply acknowledges is as durable as the mode asks. */
        const answer = (reply: HostReply, live: Live | undefined): void => {
          // The reply waits for the commit (the mailbox does not: the customer's next message
          // runs meanwhile and its reply queues behind this one's commit).
          const durable = live === undefined || reply.kind === 'error' ? undefined : this.committed(live);
          if (durable === undefined) {
            done(reply);
            return;
          }
          durable.then(
            () => done(reply),
            (err: unknown) => {
              if (err instanceof StaleRetry && attempts < MAX_STALE_RETRIES) {
                // Decided on a state another node has since changed: decide again on the fresh one.
                this.enqueue(r.id, job);
                return;
              }
              this.o.logger.error({ err, customer: r.id }, 'a change was not committed; the request is answered with an error');
              done({ kind: 'error', re, code: 'internal', message: 'not committed' });
            },
          );
        };
        const job = async (): Promise<void> => {
          attempts++;
          let reply: HostReply;
          let live: Live | undefined;
          try {
            // A live customer on a single-node store is stepped without a wait (what `deliver`
            // would do, minus its awaits); otherwise activated, revision-checked, as need be.
            const ready = this.readyLive(r.id);
            [reply, live] = ready !== undefined ? [this.step(ready, re, message(r.id)), ready] : await this.deliver(r.id, re, message(r.id));
            if (r.identity !== undefined && live !== undefined) this.rememberIdentity(r.identity.key, r.id, r.identity.epoch);
          } catch (err) {
            this.o.logger.error({ err, customer: r.id }, 'handling a message failed');
            reply = this.failure(re);
          }
          answer(reply, live);
        };
        // Nothing queued for a live customer: handled now, in this turn (the job runs to its
        // end synchronously), without the mailbox's promises.
        if (!this.mailboxes.has(r.id) && this.readyLive(r.id) !== undefined) void job();
        else this.enqueue(r.id, job);
      });
    });
  }

  /** A handled message's trace into the totals across customers, the models and the metrics. */
  private recordTrace(p: TraceParams): void {
    for (const e of p.trace.explain) {
      if (e.verdict === 'suppressed') {
        this.o.metrics.suppressions.inc({ campaign: e.campaign, reason: (e.reason ?? 'unknown').split(':')[0] ?? 'unknown' });
      }
    }
    for (const a of p.trace.answered) this.o.metrics.responses.inc({ outcome: outcomeLabel(a.outcome) });
    this.o.propensity.record(p.trace.learned);
    this.o.models.learn(p.trace.learned, this.o.catalog().policy.learning.bits);
    this.o.uplift.record(p.trace.explain, p.trace.conversions, p.trace.learned);
    this.o.funnel?.recordDecision(p.trace.explain);
    if (p.trace.segmentChanges.length > 0) {
      this.o.logger.debug({ customer: p.customer, changes: p.trace.segmentChanges }, 'segments changed');
    }
  }

  /**
   * The reply to a request the store failed: while a networked store is unreachable, an
   * `overloaded` the gateway may retry (nothing was changed); otherwise an internal error.
   */
  private failure(re: string): HostReply {
    if (this.o.store.available?.() === false) return { kind: 'error', re, code: 'overloaded', message: 'the store is unreachable; nothing was changed, retry later' };
    return { kind: 'error', re, code: 'internal', message: 'internal error' };
  }

  /** Runs `job` after every earlier job for this customer. */
  private enqueue(id: string, job: () => Promise<void>): void {
    const prev = this.mailboxes.get(id) ?? Promise.resolve();
    const tail = prev.then(job).catch((err: unknown) => {
      this.o.logger.error({ err, customer: id }, 'mailbox job failed');
    });
    this.mailboxes.set(id, tail);
    void tail.then(() => {
      if (this.mailboxes.get(id) === tail) this.mailboxes.delete(id);
    });
  }

  /**
   * Undefined when every change of the actor so far is durable enough for the configured
   * mode; else a promise of the commit (or flush) that makes it so. Also covers a repeated
   * request answered from memory before the first answer's commit.
   */
  private committed(live: Live): Promise<void> | undefined {
    if (this.durability === 'write-behind' || live.flushed >= live.version) return undefined;
    // Dropped as stale (another node wrote the customer) after this change was made: run again.
    if (this.hot.get(live.id) !== live) return Promise.reject(new StaleRetry(live.id));
    const version = live.version;
    return new Promise<void>((resolve, reject) => {
      (live.waiters ??= []).push({ version, resolve, reject });
    });
  }

  /**
   * Shared stores: takes the budgets' and channel capacities' totals as every node has spent
   * them (the keys given, and all of the catalog's), so the next decisions see them.
   */
  private async refreshTotals(keys: readonly string[] = []): Promise<void> {
    const store = this.o.store;
    if (store.sharedTotals === undefined) return;
    const catalog = this.o.catalog();
    const day = this.capacityDay(catalog, this.o.clock.now());
    const all = new Set([...keys, ...this.o.ledger.sharedKeys(catalog), ...(this.o.capacity?.sharedKeys(catalog, day) ?? [])]);
    if (all.size === 0) return;
    const totals = await store.sharedTotals([...all]);
    for (const [key, t] of totals) {
      if (key.startsWith('budget/')) this.o.ledger.counters.assign(key.slice('budget/'.length), { contacts: t.contacts, cost: t.cost });
      else if (key.startsWith('capacity/')) this.o.capacity?.counters.assign(key.slice('capacity/'.length), { contacts: t.contacts });
    }
  }

  /** Shared stores: the statistics across customers as all nodes have summed them (read every poll, not per commit). */
  private async mergeCounters(): Promise<void> {
    const store = this.o.store;
    if (store.readCounters === undefined) return;
    for (const c of this.counters) c.merge(await store.readCounters(c.prefix));
  }

  /**
   * Another node wrote this customer since this actor's state was loaded: forget the actor
   * and everything it queued that is not committed (the store wrote nothing of it), and send
   * the requests waiting for its commit round again: they run on the state reloaded from
   * the store, and only then are they answered.
   */
  private dropStale(live: Live): void {
    this.o.metrics.storeConflicts.inc({ kind: 'refused' });
    for (const w of this.forget(live)) w.reject(new StaleRetry(live.id));
  }

  /** Drops an actor and everything it queued that is not committed; returns the requests that waited for its commit. */
  private forget(live: Live): NonNullable<Live['waiters']> {
    this.unload(live);
    this.dirty.delete(live.id);
    this.pendingOutbox = this.pendingOutbox.filter((e) => e.customer !== live.id);
    this.pendingReminders = this.pendingReminders.filter((r) => r.customer !== live.id);
    const waiters = live.waiters ?? [];
    live.waiters = undefined;
    return waiters;
  }

  /**
   * The store refused this customer's change even alone (it cannot be encoded or written):
   * forget the actor and what it queued (the store keeps the last committed state, which the
   * next message reloads), and answer every request waiting for the commit with an error.
   * Nothing of it was acknowledged, and no other customer waits for it.
   */
  private refuse(live: Live, cause: unknown): void {
    // Its reminders' removals were not stored: they fire again (on the committed state).
    for (const r of this.pendingReminders) if (r.customer === live.id) this.firing.delete(r.key);
    this.creating.delete(live.id);
    for (const [key, link] of this.pendingLinks) if (link.customer === live.id) this.pendingLinks.delete(key);
    this.o.metrics.refusedChanges.inc();
    const err = new KairosError('internal', `the change to customer "${live.id}" could not be stored; nothing of it was kept`, { cause });
    for (const w of this.forget(live)) w.reject(err);
  }

  /**
   * While commits keep failing and none is due, a one-key write (`health/probe`) tells when
   * the store takes writes again: readiness comes back without waiting for traffic, which a
   * node that is not ready does not get.
   */
  private probeStore(): void {
    if (!this.storeFailing() || this.probing || this.flushing !== undefined || this.flushTimer !== undefined) return;
    this.probing = true;
    this.o.store
      .commit({ snapshots: [], identities: [], outbox: [], meta: [{ key: 'health/probe', value: this.o.clock.now() }] })
      .then(
        () => {
          this.failedInARow = 0;
          this.o.logger.info('the store takes writes again');
        },
        (err: unknown) => this.o.logger.warn({ err }, 'the store still refuses writes'),
      )
      .finally(() => {
        this.probing = false;
      });
  }

  /** True while commits keep failing (three in a row, refused changes included): the node should take no traffic. */
  storeFailing(): boolean {
    return this.failedInARow >= FAILING_AFTER;
  }

  /** Answers the replies waiting for versions of this actor up to `flushed`. */
  private release(live: Live): void {
    const waiters = live.waiters;
    if (waiters === undefined) return;
    const left = waiters.filter((w) => w.version > live.flushed);
    for (const w of waiters) if (w.version <= live.flushed) w.resolve();
    live.waiters = left.length > 0 ? left : undefined;
  }

  /** The day channel capacity counts in: the policy's default time zone's, by the server clock. */
  private capacityDay(catalog: Catalog, now: number): number {
    return localTime(now, catalog.policy.defaultTimezone).epochDay;
  }

  private get durability(): Durability {
    return this.o.durability ?? 'write-behind';
  }

  /**
   * The customer's live actor, activated if need be. On a shared store another node may
   * have written the customer since: a clean copy that is behind is dropped and read again
   * (one with changes in flight is refused at its commit, and its requests decided again).
   */
  private async liveFor(id: string): Promise<Live | undefined> {
    const live = this.hot.get(id);
    if (live === undefined) return this.activate(id);
    if (this.o.store.snapshotRevision === undefined || live.flushed !== live.version || live.waiters !== undefined) return live;
    const rev = await this.o.store.snapshotRevision(id);
    const now = this.hot.get(id);
    if (now !== live || rev === live.rev || live.flushed !== live.version) return now ?? this.activate(id);
    this.unload(live);
    this.o.metrics.storeConflicts.inc({ kind: 'reloaded' });
    return this.activate(id);
  }

  /**
   * The customer's actor if it is live and a message can be stepped on it at once: on a
   * single-node store (a shared one first refreshes the stop list and checks the actor's
   * revision, see `deliver` and `liveFor`).
   */
  private readyLive(id: string): Live | undefined {
    if (this.o.store.shared === true || this.o.store.snapshotRevision !== undefined) return undefined;
    return this.hot.get(id);
  }

  private async deliver(id: string, re: string, msg: CustomerMessage): Promise<[HostReply, Live | undefined]> {
    let live: Live | undefined;
    // Several nodes: a stop entry any of them added counts from the next decision on (read
    // alongside the actor's revision, not after it).
    const refreshing = this.o.store.shared === true && msg.type === 'gateway.event' ? this.o.stopList.refresh() : undefined;
    try {
      if (refreshing === undefined) live = await this.liveFor(id);
      else [live] = await Promise.all([this.liveFor(id), refreshing]);
    } catch (err) {
      this.o.logger.error({ err, customer: id }, 'actor activation failed');
      return [this.failure(re), undefined];
    }
    if (live === undefined) return [{ kind: 'error', re, code: 'unknown_customer', message: `no customer "${id}"` }, undefined];
    // Dropped as stale while we waited: what it would queue must not be committed; start over.
    if (this.hot.get(id) !== live) return this.deliver(id, re, msg);
    return [this.step(live, re, msg), live];
  }

  /** Runs one message through the live actor and executes its effects; the reply. */
  private step(live: Live, re: string, msg: CustomerMessage): HostReply {
    const id = live.id;
    this.touch(live);

    if (msg.type === 'gateway.event') {
      Object.assign(
        msg,
        decisionInputs({
          catalog: msg.catalog,
          stops: this.o.stopList.scopesFor(id, live.snapshot.context.identifiers, msg.event.customer),
          budgetSpentOf: this.o.ledger.spentOf,
          capacityUsedOn: this.o.capacity?.usedOn,
          capacityAt: msg.now,
          evidence: this.o.propensity.evidence(),
          models: this.o.models.view(),
          // The brain has no random source: exploration draws from this seed.
          seed: (Math.random() * 0x1_0000_0000) >>> 0,
        }),
      );
    }
    let next: CustomerSnapshot;
    let effects: ReturnType<CustomerStepper['step']>[1];
    try {
      [next, effects] = this.stepper.step(live.snapshot, msg);
    } catch (err) {
      // The previous snapshot stands: a message that fails changes nothing.
      this.o.logger.error({ err, customer: id, message: msg.type }, 'customer actor failed on a message; its state is unchanged');
      return { kind: 'error', re, code: 'internal', message: 'internal error' };
    }
    const changed = next !== live.snapshot;
    if (changed && this.o.funnel !== undefined) {
      const funnel = this.o.funnel;
      const before = live.snapshot.context.contacts;
      const after = next.context.contacts;
      if (this.o.store.shared === true) (live.afterCommit ??= []).push(() => funnel.recordContacts(before, after));
      else funnel.recordContacts(before, after);
    }
    live.snapshot = next;
    // A fired reminder is dropped in the commit that holds what it did (before the effects, so
    // a reminder the actor sets again under the same name stands).
    if (msg.type === 'gateway.event' && msg.reminder !== undefined) this.pendingReminders.push({ customer: id, key: msg.reminder, remove: true });
    this.currentReply = undefined;
    this.currentExplain = undefined;
    this.stepping = live;
    try {
      for (const effect of effects) effect.exec?.(effect.info, effect.params);
    } finally {
      this.stepping = undefined;
    }
    if (changed) this.markDirty(live);
    // A repeated event id is answered from memory and explains nothing new.
    if (msg.type === 'gateway.event' && this.currentExplain !== undefined) live.lastExplain = this.currentExplain;
    // Set by the reply effect just above (TypeScript cannot see through the callback).
    const reply = this.currentReply as CustomerReply | undefined;
    // Same synchronous turn as the spent check above: budgets are never overspent here.
    if (msg.type === 'gateway.event' && reply?.kind === 'decision' && !reply.duplicate) {
      const day = this.capacityDay(msg.catalog, msg.now);
      this.o.ledger.record(reply.actions, msg.catalog);
      this.o.capacity?.record(reply.actions, msg.catalog, day);
      if (this.o.store.shared === true && reply.actions.length > 0) {
        const charges = [...this.o.ledger.charges(id, reply.actions, msg.catalog), ...(this.o.capacity?.charges(id, reply.actions, msg.catalog, day) ?? [])];
        if (charges.length > 0) live.charges = [...(live.charges ?? []), ...charges];
      }
    }
    if (msg.type === 'delivery.report') return { kind: 'ack', re, duplicate: false };
    if (reply === undefined) {
      this.o.logger.error({ customer: id, message: msg.type }, 'customer actor gave no reply');
      return { kind: 'error', re, code: 'internal', message: 'internal error' };
    }
    return reply;
  }

  // -------------------------------------------------------------------------------------
  // Identity

  private async resolve(ref: CustomerRef, now: number): Promise<Resolution> {
    if (ref.id !== undefined && (await this.exists(ref.id))) return { id: ref.id };
    for (const kind of contactIdentifierKinds) {
      const value = ref[kind];
      if (value === undefined) continue;
      const key = identityKey(kind, value);
      const pending = this.pendingLinks.get(key);
      if (pending !== undefined) return { id: pending.customer };
      const known = this.liveIdentities.get(key);
      if (known !== undefined) return { id: known };
      const epoch = this.linkEpoch;
      const found = await this.o.store.lookupIdentity(kind, value);
      if (found !== undefined) return { id: found, identity: { key, epoch } };
    }
    if (ref.id !== undefined) {
      return { error: 'unknown_customer', message: `no customer "${ref.id}"; bank customer ids must be imported before events name them` };
    }
    // Another event may have created this customer while we were reading the store.
    for (const kind of contactIdentifierKinds) {
      const value = ref[kind];
      const pending = value === undefined ? undefined : this.pendingLinks.get(identityKey(kind, value));
      if (pending !== undefined) return { id: pending.customer };
    }
    return { id: this.createCustomer(ref, now) };
  }

  /**
   * A new link of an identifier, written with the next commit; it supersedes what resolved it
   * before. A customer's link (not a creation: a new customer's identifiers resolved to no one)
   * also voids what store lookups in flight will answer.
   */
  private addPendingLink(kind: ContactIdentifierKind, value: string, customer: string, relink: boolean): void {
    const key = identityKey(kind, value);
    this.pendingLinks.set(key, { kind, value, customer });
    this.liveIdentities.delete(key);
    if (relink) this.linkEpoch++;
  }

  /**
   * Remembers what the store resolved an identifier to, once that customer is live, unless a
   * link was made since the lookup began (it may have read the store before the link), or the
   * store is shared (another node may link the identifier).
   */
  private rememberIdentity(key: string, customer: string, epoch: number): void {
    if (this.o.store.shared === true || epoch !== this.linkEpoch) return;
    const live = this.hot.get(customer);
    if (live === undefined) return;
    this.liveIdentities.set(key, customer);
    const keys = (live.identityKeys ??= []);
    if (!keys.includes(key)) keys.push(key);
  }

  /** Drops an actor from memory, with the identifiers remembered for it. */
  private unload(live: Live): void {
    if (this.hot.get(live.id) === live) this.hot.delete(live.id);
    for (const key of live.identityKeys ?? []) if (this.liveIdentities.get(key) === live.id) this.liveIdentities.delete(key);
    live.identityKeys = undefined;
  }

  private async exists(id: string): Promise<boolean> {
    if (this.hot.has(id) || this.creating.has(id)) return true;
    await this.prefetch(id);
    return this.o.store.hasCustomer(id);
  }

  /** Lets the store bring a customer's records into memory off the event loop (LMDB), timed. */
  private async prefetch(id: string): Promise<void> {
    if (this.o.store.prefetchCustomer === undefined) return;
    const started = performance.now();
    if (await this.o.store.prefetchCustomer(id)) this.o.metrics.prefetchSeconds.observe((performance.now() - started) / 1000);
  }

  /** First sight of an identifier: a visitor (only a cookie) or a prospect (a card, phone or e-mail). */
  private createCustomer(ref: CustomerRef, now: number): string {
    const { stage, idPrefix } = firstSight(ref);
    const id = newCustomerId(idPrefix);
    const identifiers: Partial<Record<ContactIdentifierKind, string[]>> = {};
    for (const kind of contactIdentifierKinds) {
      const value = ref[kind];
      if (value === undefined) continue;
      identifiers[kind] = [value];
      this.addPendingLink(kind, value, id, false);
    }
    this.creating.set(id, { id, stage, identifiers, at: now, reason: 'first_event' });
    return id;
  }

  // -------------------------------------------------------------------------------------
  // Activation, passivation

  private async activate(id: string): Promise<Live | undefined> {
    await this.prefetch(id);
    // From here the event loop's own work: reading the pages now in memory, migrating, building.
    // An in-process store answers at once, but each `await` still lets every microtask queued
    // before it run first (under load, a whole commit's replies): that wait is not counted. A
    // networked store's round trip is part of activating, and is.
    const clock = new WorkClock(this.o.store.shared === true);
    let snapshot: CustomerSnapshot;
    let created = false;
    // (Paused and resumed here, around the bare `await`: a helper awaiting for us would resume
    // the clock a microtask before we do, and count what runs in between.)
    const reading = this.o.store.getSnapshot(id);
    clock.pause();
    const stored = await reading;
    clock.resume();
    if (stored !== undefined) {
      const persisted = migrateSnapshot(stored) as PersistedCustomer;
      // Silent decisions as the one shared NO_ACTIONS, as the brain records them (~2 KB less a
      // live customer), and the strings customers share as one copy each.
      snapshot = this.stepper.restore(persisted.value, this.strings.context(withSharedNoActions(persisted.context)));
      this.o.metrics.activations.inc({ source: 'snapshot' });
    } else {
      const recordReading = this.o.store.getCustomer(id);
      clock.pause();
      const record = await recordReading;
      clock.resume();
      const creation = this.creating.get(id);
      let input: CustomerInput;
      if (record !== undefined) {
        input = { id, stage: record.stage, profile: this.strings.profile(record.profile), identifiers: record.identifiers, at: record.importedAt, reason: 'import' };
        if (record.consents !== undefined) input.consents = this.strings.consents(record.consents);
        this.o.metrics.activations.inc({ source: 'profile' });
      } else if (creation !== undefined) {
        input = creation;
        created = true;
        this.o.metrics.activations.inc({ source: 'new' });
      } else {
        return undefined;
      }
      snapshot = this.stepper.create(input);
    }
    this.creating.delete(id);
    const live: Live = { id, snapshot, version: 0, flushed: 0, rev: stored?.rev ?? 0, lastExplain: [], touchedAt: performance.now() };
    this.o.metrics.activationSeconds.observe({ source: stored !== undefined ? 'snapshot' : created ? 'new' : 'profile' }, clock.stop() / 1000);
    this.hot.set(id, live);
    if (created) this.markDirty(live);
    this.passivateIfNeeded();
    return live;
  }

  /** Moves the actor to the most-recently-used end. */
  private touch(live: Live): void {
    live.touchedAt = performance.now();
    this.hot.delete(live.id);
    this.hot.set(live.id, live);
  }

  /** Whether an actor can be released now: its state is written and nothing waits for it. */
  private releasable(live: Live): boolean {
    return live.version === live.flushed && !this.mailboxes.has(live.id) && live.waiters === undefined;
  }

  private passivate(live: Live, reason: 'lru' | 'idle' | 'memory'): void {
    this.unload(live);
    this.o.metrics.passivations.inc({ reason });
  }

  /**
   * Releases actors idle for longer than `passivateAfterMs`, and, while the V8 heap in use is
   * past `maxHeapBytes`, the least recently used tenth of the releasable ones. The hot map is
   * in least-recently-used order, so the scan stops at the first actor that is neither.
   * Returns how many were released.
   */
  sweep(): number {
    this.probeStore();
    const idleMs = this.o.passivateAfterMs ?? 0;
    const idleBefore = idleMs > 0 ? performance.now() - idleMs : -Infinity;
    const maxHeap = this.o.maxHeapBytes ?? 0;
    let toFree = maxHeap > 0 && getHeapStatistics().used_heap_size > maxHeap ? Math.ceil(this.hot.size / 10) : 0;
    let released = 0;
    for (const live of this.hot.values()) {
      const idle = live.touchedAt < idleBefore;
      if (!idle && toFree <= 0) break;
      if (!this.releasable(live)) continue;
      this.passivate(live, idle ? 'idle' : 'memory');
      toFree--;
      released++;
    }
    return released;
  }

  /** Releases least-recently-used actors past the bound, if their state is written and nothing waits for them. */
  private passivateIfNeeded(): void {
    let excess = this.hot.size - this.o.maxHotActors;
    if (excess <= 0) return;
    for (const live of this.hot.values()) {
      if (excess <= 0) break;
      if (!this.releasable(live)) continue;
      this.passivate(live, 'lru');
      excess--;
    }
  }

  // -------------------------------------------------------------------------------------
  // Write-behind

  private markDirty(live: Live): void {
    live.version++;
    this.dirty.add(live.id);
    if (this.durability !== 'write-behind') {
      // Group commit: replies wait for the commit, so start one at once; changes made while
      // it runs go into the next, which starts as soon as it ends.
      this.scheduleCommit();
      return;
    }
    if (this.dirty.size >= this.o.flushBatch) {
      void this.flush();
    } else if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush();
      }, this.o.flushIntervalMs);
    }
  }

  /**
   * Group commit: under load, the first change after a commit waits `commitWindowMs` for
   * others to join it (a commit has a fixed cost, so one for many changes beats many for one
   * each). Under a light load (the last commit held at most COMMIT_AT_ONCE snapshots) a
   * window would only add its length to every reply, so the commit starts at once.
   */
  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    const run = (): void => {
      this.commitScheduled = false;
      this.flush().catch(() => undefined);
    };
    const windowMs = this.lastCommitSize > COMMIT_AT_ONCE ? (this.o.commitWindowMs ?? 0) : 0;
    if (windowMs > 0) setTimeout(run, windowMs);
    else setImmediate(run);
  }

  /**
   * Commits every change made before the call, in transactions of at most COMMIT_CHUNK
   * actors (so encoding a large backlog never stalls the event loop for long; events are
   * served between chunks). Single-flight: concurrent calls queue behind the running one.
   */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    while (
      this.dirty.size > 0 ||
      this.pendingLinks.size > 0 ||
      this.pendingOutbox.length > 0 ||
      this.pendingReminders.length > 0 ||
      this.counters.some((c) => c.hasChanges)
    ) {
      this.flushing = this.commitBatch();
      try {
        await this.flushing;
      } finally {
        this.flushing = undefined;
      }
    }
  }

  private async commitBatch(): Promise<void> {
    const ids: string[] = [];
    const suspects = this.suspects.shift();
    if (suspects !== undefined) {
      // (a suspect refused meanwhile, or passivated clean, is no longer dirty)
      for (const id of suspects) if (this.dirty.has(id)) ids.push(id);
    } else {
      for (const id of this.dirty) {
        if (ids.length >= COMMIT_CHUNK) break;
        ids.push(id);
      }
    }
    for (const id of ids) this.dirty.delete(id);
    // Identity links and outbox entries go with their customer's snapshot, in one transaction.
    const inChunk = new Set(ids);
    const chunkOf = (customer: string): boolean => inChunk.has(customer) || !this.dirty.has(customer);
    const written: Array<[Live, number]> = [];
    const snapshots = [];
    const charges: SharedCharge[] = [];
    const takenCharges = new Map<Live, SharedCharge[]>();
    const takenAfter = new Map<Live, Array<() => void>>();
    for (const id of ids) {
      const live = this.hot.get(id);
      if (live === undefined) continue;
      const persisted: PersistedCustomer = { value: live.snapshot.value, context: live.snapshot.context };
      snapshots.push({ id, value: { v: SNAPSHOT_VERSION, snapshot: persisted }, expectRevision: live.rev });
      written.push([live, live.version]);
      if (live.charges !== undefined) {
        charges.push(...live.charges);
        takenCharges.set(live, live.charges);
        live.charges = undefined;
      }
      if (live.afterCommit !== undefined) {
        takenAfter.set(live, live.afterCommit);
        live.afterCommit = undefined;
      }
    }
    const links = [...this.pendingLinks.values()].filter((l) => chunkOf(l.customer));
    const outbox = this.pendingOutbox.filter((e) => chunkOf(e.customer));
    this.pendingOutbox = this.pendingOutbox.filter((e) => !chunkOf(e.customer));
    const reminderOps = this.pendingReminders.filter((r) => chunkOf(r.customer));
    this.pendingReminders = this.pendingReminders.filter((r) => !chunkOf(r.customer));
    // The last word on each key wins: set, or dropped.
    const lastOp = new Map<string, (typeof reminderOps)[number]>();
    for (const op of reminderOps) lastOp.set(op.key, op);
    const reminders = {
      set: [...lastOp.values()].flatMap((op) => (op.set === undefined ? [] : [op.set])),
      remove: [...lastOp.values()].flatMap((op) => (op.set === undefined ? [op.key] : [])),
    };
    // Reminders dropped (or outbox entries) without a snapshot: from a state at this revision.
    const expect: Array<{ id: string; revision: number }> = [];
    if (this.o.store.snapshotRevision !== undefined) {
      for (const id of new Set([...reminderOps.map((r) => r.customer), ...outbox.map((e) => e.customer)])) {
        const live = this.hot.get(id);
        if (live !== undefined && !inChunk.has(id)) expect.push({ id, revision: live.rev });
      }
    }
    // Totals across customers: this node's values (one node), or what changed here added to the sums of all nodes (a shared store).
    const shared = this.o.store.shared === true;
    const meta = shared ? [] : this.counters.flatMap((c) => c.drain());
    const counterDeltas = shared ? this.counters.flatMap((c) => c.drainDeltas()) : [];
    this.lastCommitSize = snapshots.length;
    const end = this.o.metrics.flushSeconds.startTimer();
    try {
      let records: readonly OutboxRecord[];
      let stale = new Set<string>();
      try {
        records = await this.o.store.commit({ snapshots, identities: links, outbox, meta, reminders, expect, charges, counters: counterDeltas, sync: this.durability === 'strict' });
      } catch (err) {
        // A shared store refused some snapshots: another node wrote them. The rest landed.
        if (!(err instanceof StaleSnapshotError)) throw err;
        records = err.committed;
        stale = new Set(err.stale.map((x) => x.customer));
      }
      // Budgets and capacity as all nodes spent them, before any refused request is decided again.
      if (charges.length > 0 || stale.size > 0) await this.refreshTotals(charges.map((c) => c.key));
      // A stale customer's reminders were not dropped: they fire again (on the fresh state) when their lease ends.
      for (const key of reminders.remove) this.firing.delete(key);
      for (const id of stale) {
        const live = this.hot.get(id);
        if (live !== undefined && !written.some(([w]) => w === live)) this.dropStale(live);
      }
      end();
      this.flushFailures = 0;
      this.failedInARow = 0;
      for (const l of links) {
        const key = identityKey(l.kind, l.value);
        if (this.pendingLinks.get(key) === l) this.pendingLinks.delete(key);
      }
      for (const [live, version] of written) {
        if (stale.has(live.id)) {
          this.dropStale(live);
          continue;
        }
        live.rev += 1;
        for (const apply of takenAfter.get(live) ?? []) apply();
        live.flushed = Math.max(live.flushed, version);
        this.release(live);
      }
      this.o.metrics.flushedSnapshots.inc(snapshots.length);
      for (const r of records) this.o.metrics.outboxQueued.inc({ channel: r.channel });
      if (records.length > 0) this.o.onCommitted?.(records);
      this.passivateIfNeeded();
    } catch (err) {
      end();
      this.failedInARow++;
      this.o.metrics.flushErrors.inc();
      // A store that answers but refuses this commit: find the change it cannot take (halving
      // the batch), refuse that one alone, and commit the rest at once. A store that is down
      // (or refuses a commit with no snapshot in it) is retried whole, with backoff.
      const reachable = this.o.store.available?.() !== false;
      const alone = reachable && !this.closed && written.length === 1 && ids.length === 1 ? written[0]?.[0] : undefined;
      if (alone !== undefined) {
        this.o.logger.error({ err, customer: alone.id }, "a customer's change cannot be stored; it is refused and the customer reloaded");
      } else if (reachable && !this.closed && ids.length > 1) {
        const half = Math.ceil(ids.length / 2);
        this.suspects.unshift(ids.slice(0, half), ids.slice(half));
        this.o.logger.warn({ err, snapshots: snapshots.length }, 'store commit failed; committing it in halves to find the change the store refuses');
      } else {
        this.flushFailures++;
        this.o.logger.error({ err, snapshots: snapshots.length, attempt: this.flushFailures }, 'store commit failed; will retry');
      }
      // Everything taken for the commit goes back; a refused customer's part is then dropped by refuse().
      for (const id of ids) this.dirty.add(id);
      for (const [live, taken] of takenCharges) live.charges = [...taken, ...(live.charges ?? [])];
      for (const [live, taken] of takenAfter) live.afterCommit = [...taken, ...(live.afterCommit ?? [])];
      this.pendingOutbox = [...outbox, ...this.pendingOutbox];
      this.pendingReminders = [...reminderOps, ...this.pendingReminders];
      for (const c of this.counters) {
        c.restore(meta);
        c.restoreDeltas(counterDeltas);
      }
      if (alone !== undefined) {
        this.refuse(alone, err);
        return;
      }
      if (this.flushFailures === 0) return; // isolating: the next, smaller commit runs at once
      if (!this.closed && this.flushTimer === undefined) {
        this.flushTimer = setTimeout(
          () => {
            this.flushTimer = undefined;
            void this.flush();
          },
          Math.min(5000, this.o.flushIntervalMs * 2 ** this.flushFailures),
        );
      }
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------
  // Reads for the admin API

  /** Runs `fn` on the customer's live actor, through its mailbox (after every earlier message); undefined for an unknown customer. */
  private withLive<T>(id: string, fn: (live: Live) => T | Promise<T>): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.enqueue(id, async () => {
        try {
          const live = await this.liveFor(id);
          resolve(live === undefined ? undefined : await fn(live));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  /** A customer's 360° view, through the mailbox so it sees every earlier event. */
  view(id: string): Promise<CustomerView | undefined> {
    return this.withLive(id, (live) => this.describe(live));
  }

  /**
   * Erases a customer (the right to be forgotten): the live actor, everything waiting to be
   * written for it, and in the store its snapshot, master data, identity links and outbox
   * entries. Runs through the mailbox, after every earlier message for the customer. The
   * stop list keeps its hashed entries, so an opt-out outlives the profile.
   */
  erase(id: string): Promise<{ identifiers: number } | undefined> {
    return this.withLive(id, async (live) => {
      const ids = Object.entries(live.snapshot.context.identifiers).flatMap(([kind, values]) =>
        values.map((value) => ({ kind: kind as ContactIdentifierKind, value })),
      );
      this.unload(live);
      this.dirty.delete(id);
      this.creating.delete(id);
      // Replies still waiting for this customer's commit go out: the erasure supersedes it.
      for (const w of live.waiters ?? []) w.resolve();
      live.waiters = undefined;
      for (const [key, link] of this.pendingLinks) if (link.customer === id) this.pendingLinks.delete(key);
      this.pendingOutbox = this.pendingOutbox.filter((e) => e.customer !== id);
      this.pendingReminders = this.pendingReminders.filter((r) => r.customer !== id);
      await this.o.store.eraseCustomer(id, ids);
      return { identifiers: ids.length };
    });
  }

  /**
   * What the customer would be offered for this event, and why each triggered campaign
   * would or would not speak, without recording anything: a dry run of the decision on the
   * customer's current state.
   */
  explain(id: string, event: GatewayEvent): Promise<{ customer: string; at: number; actions: unknown[]; explain: Explanation[] } | undefined> {
    return this.withLive(id, (live) => {
      const msg: CustomerMessage = {
        type: 'gateway.event',
        event,
        // A dry run of any moment: as if the event arrived at its own time (the bounds on `at`
        // around the server's clock are for what gateways send).
        now: event.at ?? this.o.clock.now(),
        catalog: this.o.catalog(),
        ...decisionInputs({
          catalog: this.o.catalog(),
          stops: this.o.stopList.scopesFor(id, live.snapshot.context.identifiers, event.customer),
          budgetSpentOf: this.o.ledger.spentOf,
          capacityUsedOn: this.o.capacity?.usedOn,
          capacityAt: this.o.clock.now(),
          evidence: this.o.propensity.evidence(),
          models: this.o.models.view(),
        }),
      };
      // The next snapshot and the effects are looked at, never kept or executed.
      const [, effects] = this.stepper.step(live.snapshot, msg);
      let actions: unknown[] = [];
      let explain: Explanation[] = [];
      for (const e of effects) {
        if (e.type === 'reply') {
          const reply = (e.params as ReplyParams).reply;
          if (reply.kind === 'decision') actions = reply.actions;
        }
        if (e.type === 'trace') explain = (e.params as TraceParams).trace.explain;
      }
      return { customer: id, at: event.at ?? msg.now, actions, explain };
    });
  }

  /** A campaign's messages as this customer would read them (see previewCampaign). */
  preview(id: string, campaign: Campaign, event: GatewayEvent): Promise<Preview[] | undefined> {
    return this.withLive(id, (live) => previewCampaign(live.snapshot.context, campaign, event, event.at ?? this.o.clock.now(), this.o.catalog()));
  }

  private describe(live: Live): CustomerView {
    const ctx: CustomerContext = live.snapshot.context;
    const catalog = this.o.catalog();
    const today = localTime(this.o.clock.now(), customerTimeZone(ctx, catalog)).epochDay;
    const features: Record<string, number | null> = {};
    for (const f of catalog.features) features[f.id] = windowValue(bucketsOf(ctx.features, f), today, f.window, f.aggregate) ?? null;
    return {
      id: ctx.id,
      stage: ctx.stage,
      lifecycle: ctx.lifecycle,
      profile: ctx.profile,
      identifiers: ctx.identifiers,
      consents: ctx.consents,
      segments: ctx.segments,
      features,
      contacts: ctx.contacts,
      pending: ctx.pending,
      responses: ctx.responses,
      lastDecision: live.lastExplain,
      createdAt: ctx.createdAt,
      lastEventAt: ctx.lastEventAt,
    };
  }

  // -------------------------------------------------------------------------------------
  // Shutdown

  /** Refuses new requests, lets every queued one finish, writes everything, stops the actors. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + timeoutMs;
    while ((this.mailboxes.size > 0 || this.order.pending > 0) && Date.now() < deadline) {
      await Promise.race([Promise.all([...this.mailboxes.values()]), new Promise((r) => setTimeout(r, 20))]);
    }
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    try {
      await this.flush();
    } finally {
      // Anything still unwritten cannot be acknowledged.
      for (const live of this.hot.values()) {
        for (const w of live.waiters ?? []) w.reject(new Error('shut down before the change was committed'));
        live.waiters = undefined;
      }
      this.hot.clear();
      this.liveIdentities.clear();
    }
  }
}

export interface CustomerView {
  id: string;
  stage: string;
  lifecycle: CustomerContext['lifecycle'];
  profile: CustomerContext['profile'];
  identifiers: CustomerContext['identifiers'];
  consents: CustomerContext['consents'];
  segments: Record<string, number>;
  /** null: a daysSince feature with nothing in its window */
  features: Record<string, number | null>;
  contacts: CustomerContext['contacts'];
  pending: CustomerContext['pending'];
  responses: CustomerContext['responses'];
  /** the explanation of the last decision since this actor was activated */
  lastDecision: Explanation[];
  createdAt: number;
  lastEventAt: number | undefined;
}
