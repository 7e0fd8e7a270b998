import type { AuditDraft } from '../audit/audit-chain.js';
import type { Campaign, ContactIdentifierKind, Policy, ContactRecord, CustomerRef, CustomerEffect, DecisionAction, CustomerLimits, CustomerMessage, CustomerSnapshot, EventMessage, CustomerStepper, Explanation, GatewayEvent, GatewayResponse, Preview, RunCall } from '../../actors/index.js';
import { capacityDay, createCustomerStepper, customerMachine, customerOfInstance, decisionInputs, defaultLimits, effectiveRetentionMs, eventTimeProblem, runEvent, SEGMENT_TIMER, SEGMENTS_CHECK_EVENT } from '../../actors/index.js';
import { countedSegments } from './funnel-ledger.js';
import { reminderKey } from '../store/store.js';
import type { SendFacts } from '../delivery/delivery-host.js';
import { DEMO_STOP_LIST_SECRET } from '../config.js';
import { KairosError } from '../errors.js';
import { Actors } from './activation.js';
import type { CallView, CustomerView } from './customer-queries.js';
import { CustomerQueries } from './customer-queries.js';
import { EffectRunner } from './effect-runner.js';
import { ledgerCounters } from './ledger-counters.js';
import type { HostOptions, HostReply } from './host-options.js';
import type { Resolution } from './identity.js';
import { Identities } from './identity.js';
import { IdentityConflicts } from './identity-conflicts.js';
import type { Departing, MergeOutcome } from './customer-merge.js';
import { CustomerMerge, forwarded } from './customer-merge.js';
import type { Settled } from './in-order.js';
import { InOrder } from './in-order.js';
import type { Live } from './live-customer.js';
import { Mailboxes } from './mailboxes.js';
import type { Pending } from './oldest-pending.js';
import { OldestPending } from './oldest-pending.js';
import { ReminderPoller, reminderEvent } from './reminder-poller.js';
import { RunLane } from './run-lane.js';
import type { Sharing } from './sharing.js';
import { sharedNodes, singleNodeSharing } from './sharing.js';
import { WriteBehind, isStaleRetry } from './write-behind.js';
import { RunStops } from './run-stops.js';

export type { CallView, CustomerView } from './customer-queries.js';
export type { HostOptions, HostReply } from './host-options.js';

/**
 * The actor host: the virtual-actor runtime for customers (Orleans-style). It admits a
 * request (or refuses it `overloaded`), resolves who it is about (`identity.ts`), runs each
 * customer's messages strictly in arrival order through their mailbox (different customers
 * interleave freely), activates the customer's actor on first use (`activation.ts`), steps
 * it, runs the effects the step returns as data, and answers once the change is as durable
 * as the mode asks (`write-behind.ts`). Reminders come in through `reminder-poller.ts`, the
 * admin reads through `customer-queries.ts`; what differs on a store several nodes share is
 * `sharing.ts`, chosen once here.
 *
 * A live customer is its XState machine snapshot plus a mailbox. Each message is one pure
 * machine transition (`actors/customer-stepper.ts`) that returns the next snapshot and the
 * effects (`actors/effects.ts`: reply, queue, link, schedule, trace), run here by one switch.
 * This is XState's actor model without an `Actor` object per customer: no per-actor system,
 * observers or deep copies, so a process holds far more live customers; a failing message
 * leaves the previous snapshot untouched.
 */

/** The customer an offer instance belongs to (or, once merged, the survivor), as a resolution. */
async function instanceOwner(instance: string, identities: Identities): Promise<Resolution> {
  const id = customerOfInstance(instance);
  return id === undefined ? { error: 'invalid', message: `field "instance": "${instance}" is not an offer-instance id` } : { id: await identities.current(id) };
}

/** The event without the identifiers that belong to someone else (a conflict): they are not linked to its customer. */
function withheldFrom(event: GatewayEvent, withheld: readonly ContactIdentifierKind[] | undefined): GatewayEvent {
  if (withheld === undefined || withheld.length === 0) return event;
  const customer = { ...event.customer };
  for (const kind of withheld) delete customer[kind];
  return { ...event, customer };
}

/** How many times a request decided on a stale state (another node wrote the customer) is decided again. */
const MAX_STALE_RETRIES = 10;

export class CustomerHost {
  private readonly stepper: CustomerStepper;
  private readonly sharing: Sharing;
  private readonly mailboxes: Mailboxes;
  private readonly identities: Identities;
  private readonly merging: CustomerMerge;
  /** identifiers events named for another customer than the one holding them, for review */
  readonly identityConflicts: IdentityConflicts;
  private readonly actors: Actors;
  private readonly writeBehind: WriteBehind;
  private readonly reminders: ReminderPoller;
  private readonly queries: CustomerQueries;
  private readonly effects: EffectRunner;
  private readonly order = new InOrder<Resolution>();
  /** when the requests in flight arrived: the queueing bound (`maxQueueMs`) and its gauge */
  private readonly waiting = new OldestPending();
  private readonly monotonicNow: () => number;
  private inFlight = 0;
  /** requests other than a run's hand-overs admitted and not yet answered: while any, a run waits (`run-lane.ts`) */
  private foreground = 0;
  /** a run's hand-overs: in the time the gateways leave idle */
  private readonly runLane: RunLane;
  private closed = false;
  /** steps running (on the stack): a request made meanwhile by their effects is queued, never stepped inside them */
  private stepping = 0;
  /** what the decision being stepped spent (its actions), for the budget ledger's `closeDecision` */
  private spent: readonly DecisionAction[] | undefined;

  /** the outbound runs cancelled or paused, as this node's OutboundRuns keeps them: a decision reads them for a run's deferred retry */
  readonly runStops: RunStops;

  constructor(private readonly o: HostOptions) {
    this.runStops = o.runStops ?? new RunStops();
    this.monotonicNow = o.monotonicNow ?? (() => performance.now());
    this.runLane = new RunLane({ now: this.monotonicNow, foregroundBusy: () => this.foreground > 0 });
    this.stepper = createCustomerStepper(customerMachine);
    const sharingOptions = { ...o, counters: ledgerCounters(o) };
    const coordination = o.store.coordination;
    this.sharing = coordination.shared ? sharedNodes(sharingOptions, coordination) : singleNodeSharing(sharingOptions);
    this.mailboxes = new Mailboxes(o.logger);
    this.identityConflicts = new IdentityConflicts({ store: o.store, secret: o.identifierSecret ?? DEMO_STOP_LIST_SECRET, clock: o.clock, metrics: o.metrics, logger: o.logger, monotonicNow: this.monotonicNow });
    this.identities = new Identities({
      onConflict: (c) => this.identityConflicts.record(c),
      forward: (id) => forwarded(o.store, id),
      onLogin: (customer, visitor) => this.login(customer, visitor),
      store: o.store,
      isLive: (id) => this.actors.has(id),
      live: (id) => this.actors.get(id),
      prefetch: (id) => this.actors.prefetch(id),
      remember: this.sharing.remembersIdentities,
      ...(o.newCustomerId === undefined ? {} : { newId: o.newCustomerId }),
    });
    this.actors = new Actors({
      store: o.store,
      stepper: this.stepper,
      metrics: o.metrics,
      sharing: this.sharing,
      identities: () => this.identities,
      maxHotActors: o.maxHotActors,
      passivateAfterMs: o.passivateAfterMs,
      maxHeapBytes: o.maxHeapBytes,
      busy: (id) => this.mailboxes.has(id),
      created: (live) => this.writeBehind.markDirty(live),
      monotonicNow: this.monotonicNow,
    });
    this.reminders = new ReminderPoller({ store: o.store, clock: o.clock, metrics: o.metrics, sharing: this.sharing, fire: (r, event) => this.fireReminder(r.key, r.customer, event) });
    this.writeBehind = new WriteBehind({
      store: o.store,
      clock: o.clock,
      logger: o.logger,
      metrics: o.metrics,
      sharing: this.sharing,
      actors: this.actors,
      identities: this.identities,
      durability: o.durability ?? 'write-behind',
      commitWindowMs: o.commitWindowMs,
      flushIntervalMs: o.flushIntervalMs,
      flushBatch: o.flushBatch,
      onCommitted: o.onCommitted,
      remindersSettled: (keys) => this.reminders.settled(keys),
    });
    this.effects = new EffectRunner({
      catalog: o.catalog,
      logger: o.logger,
      metrics: o.metrics,
      propensity: o.propensity,
      models: o.models,
      uplift: o.uplift,
      funnel: o.funnel,
      funnelDay: this.funnelDay,
      segments: o.segments,
      sharing: this.sharing,
      identities: this.identities,
      writeBehind: this.writeBehind,
    });
    this.queries = new CustomerQueries({
      store: o.store,
      catalog: o.catalog,
      clock: o.clock,
      stopList: o.stopList,
      stepper: this.stepper,
      ledger: o.ledger,
      capacity: o.capacity,
      propensity: o.propensity,
      models: o.models,
      mailboxes: this.mailboxes,
      actors: this.actors,
      identities: this.identities,
      writeBehind: this.writeBehind,
      segments: o.segments,
      conflicts: this.identityConflicts,
    });
    this.merging = new CustomerMerge({ store: o.store, clock: o.clock, mailboxes: this.mailboxes, actors: this.actors, writeBehind: this.writeBehind, identities: this.identities, conflicts: this.identityConflicts });
    o.metrics.host.oldestWaitMs = () => this.waiting.age(this.monotonicNow());
    o.metrics.host.inFlight = () => this.inFlight;
    o.metrics.host.hotActors = () => this.actors.size;
    o.metrics.host.dirtyActors = () => this.writeBehind.dirtyCount;
  }

  /** Whether several nodes share the store (the delivery path's check then reads the customer fresh: `activate`). */
  get sharedStore(): boolean {
    return this.o.store.coordination.shared;
  }

  get hotCount(): number {
    return this.actors.size;
  }

  get dirtyCount(): number {
    return this.writeBehind.dirtyCount;
  }

  // -------------------------------------------------------------------------------------
  // Requests

  /** Decides on a gateway event. */
  submitEvent(event: GatewayEvent): Promise<HostReply> {
    const now = this.o.clock.now();
    const refused = this.timeRefusal(event.id, event.at, now);
    if (refused !== undefined) return Promise.resolve(refused);
    // Named by an identifier memory answers for (a live customer's): resolved now, no promise.
    const known = this.identities.resolveNow(event.customer);
    return this.submit(event.id, known ?? this.identities.resolve(event.customer, now), (_id, withheld) => ({
      type: 'gateway.event',
      event: withheldFrom(event, withheld),
      now,
      catalog: this.o.catalog(),
      stops: [],
      limits: this.limits,
    }));
  }

  /**
   * An event telling a customer its master data changed (the admin API's `PUT`/`PATCH`), with
   * the record's identifiers laid over the customer's (`EventMessage.masterData`): what a
   * gateway's event cannot do. Decided as `submitEvent` decides.
   */
  submitMasterData(event: GatewayEvent, masterData: NonNullable<EventMessage['masterData']>): Promise<HostReply> {
    // the identifiers the record dropped (unlinked in the store) no longer resolve to this customer from memory
    const customer = event.customer.id;
    if (customer !== undefined) {
      for (const kind of Object.keys(masterData.dropped ?? {}) as ContactIdentifierKind[]) for (const v of masterData.dropped![kind]!) this.identities.unlinked(kind, v, customer);
    }
    const now = this.o.clock.now();
    return this.submit(event.id, this.identities.resolve(event.customer, now), () => ({ type: 'gateway.event', event, now, catalog: this.o.catalog(), stops: [], limits: this.limits, masterData }));
  }

  /**
   * Hands a customer an outbound run (actors/outbound-run.ts): the run's campaign decided for
   * it under every rule, once a run (handed again, it answers as it did). `unknown_customer`
   * when the store holds no such customer. In the background (`run-lane.ts`): it waits while
   * gateway requests are in hand, while RUN_MAX_ACTIVE (8) of the run's hand-overs are being decided, and past
   * its slice of a turn of the event loop, and is admitted (its clock read) only then.
   */
  submitRun(run: RunCall, customer: string): Promise<HostReply> {
    const go = (): Promise<HostReply> => {
      const now = this.o.clock.now();
      const event = runEvent(run, customer, now);
      return this.submit(event.id, Promise.resolve({ id: customer }), () => ({ type: 'gateway.event', event, now, catalog: this.o.catalog(), stops: [], limits: this.limits, run }), 'run');
    };
    return this.inRunLane(go);
  }

  /** `go` once the background lane gives this hand-over its turn (at once when it may go now); `go` ends by leaving the lane. */
  private inRunLane<T>(go: () => Promise<T>): Promise<T> {
    const turn = this.runLane.turn();
    return turn === undefined ? go() : turn.then(go);
  }

  /**
   * A wave's ranking: the expected value a run's decision would give the customer now, capacity
   * aside (see CustomerQueries.scoreRun); in the run's background lane, as a hand-over goes, so
   * a ranking yields to the gateways' requests.
   */
  scoreRun(run: RunCall, customer: string): Promise<number | undefined> {
    return this.inRunLane(() => this.queries.scoreRun(run, customer).finally(() => this.runLane.left()));
  }

  /** A wave's call to the customer, for the call list (see CustomerQueries.callOf). */
  callOf(customer: string, run: string): Promise<CallView | undefined> {
    return this.queries.callOf(customer, run);
  }

  /** Run hand-overs waiting for the gateways or for their next slice (tests, the bench). */
  get runsWaiting(): number {
    return this.runLane.waiting;
  }

  /** Records a response to an offer instance. */
  submitResponse(response: GatewayResponse): Promise<HostReply> {
    const now = this.o.clock.now();
    const refused = this.timeRefusal(response.id, response.at, now);
    if (refused !== undefined) return Promise.resolve(refused);
    return this.submit(response.id, instanceOwner(response.instance, this.identities), () => ({
      type: 'gateway.response',
      response,
      now,
      catalog: this.o.catalog(),
      limits: this.limits,
    }));
  }

  /** A delivery endpoint confirmed or failed an offer instance on a channel, or the send-time check suppressed it (the reason). */
  submitDelivery(instance: string, status: 'delivered' | 'failed' | 'suppressed', reason?: string): Promise<HostReply> {
    const now = this.o.clock.now();
    return this.submit(instance, instanceOwner(instance, this.identities), () => {
      const msg: CustomerMessage = { type: 'delivery.report', instance, status, now };
      if (reason !== undefined) msg.reason = reason;
      return msg;
    });
  }

  /**
   * What the delivery path's send-time check reads, now and without a wait (so nothing can
   * change between the check and the hand-over to the channel): the live actor's context
   * (consents, contact records), the stop entries that apply to it and to `ref` (the address
   * the message goes to), and the channels whose marketing needs consent. Undefined when the
   * actor is not live: `activate` it first.
   */
  sendFacts(customer: string, ref: CustomerRef): SendFacts | undefined {
    const live = this.actors.get(customer);
    // (a customer a merge across shards is moving: its delivery waits for the merge, through `activate`)
    if (live === undefined || this.merging.isLeaving(customer)) return undefined;
    const context = live.snapshot.context;
    const facts: SendFacts = { context, stops: this.o.stopList.scopesFor(customer, context.identifiers, ref), consentRequired: this.o.catalog().policy.consentRequired };
    if (this.o.store.coordination.shared) facts.stopKeys = this.o.stopList.keysFor(customer, context.identifiers, ref);
    return facts;
  }

  /**
   * Brings a customer's actor into memory behind its queued messages (for `sendFacts`); false
   * when there is no such customer. On a store several nodes share, every time: the actor is
   * read again when another node changed it (a consent revoked there), and the stop list
   * reloaded when any node changed it.
   */
  activate(customer: string): Promise<boolean> {
    if (this.readyLive(customer) !== undefined && !this.mailboxes.has(customer)) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      this.mailboxes.enqueue(customer, async () => {
        try {
          const [live] = await Promise.all([this.actors.liveFor(customer), this.sharing.beforeEvent()]);
          resolve(live !== undefined);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  /**
   * Hands every reminder due by the clock's now to its customer's actor (activating it if
   * passivated), once. Resolves with how many fired, when they have all been handled.
   */
  pollReminders(): Promise<number> {
    return this.reminders.poll();
  }

  /**
   * A `segments.check` for this customer now, as its segment timer firing would be (the daily
   * sweep, src/runtime/segment-sweep.ts): every segment evaluated, entry and exit triggers
   * fired, the next timer armed. False when not taken now (overloaded, closing). In the
   * `background` lane (the sweep's passes over the base: millions of checks on a bank's
   * store), as a run's hand-over goes (run-lane.ts): yielding to the gateways' requests.
   */
  checkSegments(customer: string, background = false): Promise<boolean> {
    const key = reminderKey(customer, SEGMENT_TIMER);
    const go = (): Promise<boolean> => this.fireReminder(key, customer, reminderEvent({ key, customer, due: this.o.clock.now(), event: SEGMENTS_CHECK_EVENT }), background ? 'run' : 'foreground');
    return background ? this.inRunLane(go) : go();
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

  /** A due reminder's event into its customer's actor; false: not handled, it fires at a later poll. */
  private async fireReminder(key: string, customer: string, event: GatewayEvent, lane: 'foreground' | 'run' = 'foreground'): Promise<boolean> {
    const reply = await this.submit(
      event.id,
      Promise.resolve({ id: customer }),
      () => ({
        type: 'gateway.event',
        event,
        now: this.o.clock.now(),
        catalog: this.o.catalog(),
        stops: [],
        reminder: key,
        limits: this.limits,
      }),
      lane,
    );
    if (reply.kind === 'error' && reply.code !== 'unknown_customer') return false;
    // Handled (or its customer is gone): the removal was queued by the step; make sure a commit runs.
    if (reply.kind === 'error') this.writeBehind.dropReminder(customer, key);
    this.writeBehind.scheduleCommit();
    return true;
  }

  /**
   * Admission: refused `overloaded` past `maxInFlight` requests in flight, or when the oldest
   * has waited past `maxQueueMs`; else queued behind the identity resolutions before it, then
   * behind the customer's earlier messages. A gateway's request (`foreground`: anything but a
   * run's hand-over) holds the run lane until it is answered, its commit included (so the commit
   * it waits for is not one of the run's); a run's hand-over leaves the lane once decided (or
   * refused).
   */
  private submit(re: string, resolution: Promise<Resolution> | Resolution, message: (id: string, withheld?: readonly ContactIdentifierKind[]) => CustomerMessage, lane: 'foreground' | 'run' = 'foreground'): Promise<HostReply> {
    if (this.closed) return this.overloaded(re, lane, 'server is shutting down');
    if (this.inFlight >= this.o.maxInFlight) return this.overloaded(re, lane, 'too many requests in flight, retry later');
    // Past the queueing bound: the request would be answered too late to be of use (a gateway
    // waiting at an ATM), and would make the queue longer for those behind it.
    const now = this.monotonicNow();
    const maxQueueMs = this.o.maxQueueMs ?? 0;
    if (maxQueueMs > 0) {
      const behind = this.waiting.age(now);
      if (behind > maxQueueMs) {
        return this.overloaded(re, lane, `requests in flight have waited ${Math.round(behind)} ms, past the ${maxQueueMs} ms bound; retry later`);
      }
    }
    const waiting: Pending = this.waiting.start(now);
    this.inFlight++;
    let holding = true;
    if (lane === 'foreground') this.foreground++;
    /** lets the run lane go on: a gateway's request once answered (its commit included), a run's hand-over once decided */
    const release = (): void => {
      if (!holding) return;
      holding = false;
      if (lane === 'run') this.runLane.left();
      else if (--this.foreground === 0) this.runLane.quiet();
    };
    return new Promise<HostReply>((resolve) => {
      const done = (r: HostReply): void => {
        release();
        waiting.done = true;
        this.inFlight--;
        resolve(r);
      };
      const resolved = (settled: Settled<Resolution>): void => {
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
        /** the customer the message goes to: the one resolved, or the survivor it was merged into meanwhile */
        let target = r.id;
        let followed = false;
        /** Answers once what the reply acknowledges is as durable as the mode asks. */
        const answer = (reply: HostReply, live: Live | undefined): void => {
          if (lane === 'run') release();
          // The reply waits for the commit (the mailbox does not: the customer's next message
          // runs meanwhile and its reply queues behind this one's commit).
          const durable = live === undefined || reply.kind === 'error' ? undefined : this.writeBehind.committed(live);
          if (durable === undefined) {
            done(reply);
            return;
          }
          durable.then(
            () => done(reply),
            (err: unknown) => {
              if (isStaleRetry(err) && attempts < MAX_STALE_RETRIES) {
                // Decided on a state another node has since changed: decide again on the fresh one.
                this.mailboxes.enqueue(target, job);
                return;
              }
              this.o.logger.error({ err, customer: target }, 'a change was not committed; the request is answered with an error');
              done({ kind: 'error', re, code: 'internal', message: 'not committed' });
            },
          );
        };
        /** The message to a live customer on a single-node store, stepped at once: no promise (the reply's commit aside). */
        const stepNow = (ready: Live): void => {
          attempts++;
          let reply: HostReply;
          let live: Live | undefined;
          try {
            reply = this.step(ready, re, message(target, r.withheld));
            live = ready;
            if (r.identity !== undefined && target === r.id) this.identities.remember(r.identity.key, target, r.identity.epoch);
          } catch (err) {
            this.o.logger.error({ err, customer: target }, 'handling a message failed');
            reply = this.failure(re);
          }
          answer(reply, live);
        };
        const job = async (): Promise<void> => {
          // A live customer on a single-node store is stepped without a wait (what `deliver`
          // would do, minus its awaits); otherwise activated, revision-checked, as need be.
          const ready = this.readyLive(target);
          if (ready !== undefined) {
            stepNow(ready);
            return;
          }
          attempts++;
          let reply: HostReply;
          let live: Live | undefined;
          try {
            [reply, live] = await this.deliver(target, re, message(target, r.withheld));
            if (reply.kind === 'error' && reply.code === 'unknown_customer' && !followed) {
              // Merged away since it was resolved (by this node or another): to the survivor, once.
              followed = true;
              const to = await forwarded(this.o.store, target);
              if (to !== undefined) {
                target = to;
                this.mailboxes.enqueue(target, job);
                return;
              }
            }
            if (r.identity !== undefined && target === r.id && live !== undefined) this.identities.remember(r.identity.key, target, r.identity.epoch);
          } catch (err) {
            this.o.logger.error({ err, customer: target }, 'handling a message failed');
            reply = this.failure(re);
          }
          answer(reply, live);
        };
        // Nothing queued for a live customer: handled now, in this turn, without the mailbox's
        // promises; but never inside another step (a request its effects made): queued then.
        const ready = this.stepping === 0 && !this.mailboxes.has(target) ? this.readyLive(target) : undefined;
        if (ready !== undefined) stepNow(ready);
        else this.mailboxes.enqueue(target, job);
      };
      if (resolution instanceof Promise) this.order.add(resolution, resolved);
      else this.order.addNow(resolution, resolved);
    });
  }

  /** A request refused at admission (`overloaded`); a run's hand-over leaves the lane. */
  private overloaded(re: string, lane: 'foreground' | 'run', message: string): Promise<HostReply> {
    if (lane === 'run') this.runLane.left();
    return Promise.resolve({ kind: 'error', re, code: 'overloaded', message });
  }

  /**
   * The reply to a request the store failed: while a networked store is unreachable, an
   * `overloaded` the gateway may retry (nothing was changed); otherwise an internal error.
   */
  private failure(re: string): HostReply {
    if (!this.o.store.coordination.available()) return { kind: 'error', re, code: 'overloaded', message: 'the store is unreachable; nothing was changed, retry later' };
    return { kind: 'error', re, code: 'internal', message: 'internal error' };
  }

  /**
   * The customer's actor if it is live and a message can be stepped on it at once: on a
   * single-node store (a shared one first refreshes the stop list and checks the actor's
   * revision, see `deliver` and `Actors.liveFor`).
   */
  private readyLive(id: string): Live | undefined {
    return this.sharing.immediate ? this.actors.get(id) : undefined;
  }

  private async deliver(id: string, re: string, msg: CustomerMessage): Promise<[HostReply, Live | undefined]> {
    let live: Live | undefined;
    // Several nodes: a stop entry any of them added counts from the next decision on (read
    // alongside the actor's revision, not after it).
    const refreshing = msg.type === 'gateway.event' ? this.sharing.beforeEvent() : undefined;
    try {
      if (refreshing === undefined) live = await this.actors.liveFor(id);
      else [live] = await Promise.all([this.actors.liveFor(id), refreshing]);
    } catch (err) {
      this.o.logger.error({ err, customer: id }, 'actor activation failed');
      return [this.failure(re), undefined];
    }
    if (live === undefined) return [{ kind: 'error', re, code: 'unknown_customer', message: `no customer "${id}"` }, undefined];
    // Dropped as stale while we waited: what it would queue must not be committed; start over.
    if (this.actors.get(id) !== live) return this.deliver(id, re, msg);
    return [this.step(live, re, msg), live];
  }

  /** The contacts a step made, into the funnel (once committed, on a shared store), on the day the step ran, and their answers into the uplift report's. */
  private readonly recordContacts = ([before, after, segments]: readonly [readonly ContactRecord[], readonly ContactRecord[], Readonly<Record<string, number>>], day: number): void => {
    this.o.funnel?.recordContacts(before, after, day, countedSegments(segments));
    this.o.uplift.recordContacts(before, after);
  };

  /** The funnel's day: the local day in the policy's defaultTimezone, by the server clock. */
  private readonly funnelDay = (): number => this.localDay(this.o.catalog().policy, this.o.clock.now());

  /** the last local day computed, by policy and minute (a time zone moves the day on a minute's edge) */
  private readonly dayMemo: { policy: Policy | undefined; minute: number; day: number } = { policy: undefined, minute: NaN, day: 0 };

  /** capacityDay(policy, at), computed once a minute (each step asks for it, some twice). */
  private localDay(policy: Policy, at: number): number {
    const m = this.dayMemo;
    const minute = Math.floor(at / 60_000);
    if (m.policy !== policy || m.minute !== minute) {
      m.policy = policy;
      m.minute = minute;
      m.day = capacityDay(policy, at);
    }
    return m.day;
  }

  /** Runs one message through the live actor and runs its effects; the reply. */
  private step(live: Live, re: string, msg: CustomerMessage): HostReply {
    this.stepping++;
    try {
      return this.stepLive(live, re, msg);
    } finally {
      this.stepping--;
    }
  }

  private stepLive(live: Live, re: string, msg: CustomerMessage): HostReply {
    this.actors.touch(live);
    if (msg.type !== 'gateway.event') return this.decideLive(live, re, msg);
    // The budgets' check and what the decision spent, in this synchronous turn, whatever the outcome.
    this.o.ledger.openDecision(msg.catalog);
    this.o.capacity?.openDecision(msg.catalog);
    this.spent = undefined;
    try {
      return this.decideLive(live, re, msg);
    } finally {
      const spent = this.spent;
      this.spent = undefined;
      this.o.ledger.closeDecision(spent, msg.catalog);
      this.o.capacity?.closeDecision(spent, msg.catalog, spent === undefined ? 0 : this.localDay(msg.catalog.policy, msg.now));
    }
  }

  private decideLive(live: Live, re: string, msg: CustomerMessage): HostReply {
    const id = live.id;
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
          runsCancelled: this.runStops.cancelled,
          runsPaused: this.runStops.paused,
          // The brain has no random source: exploration draws from this seed. Under the manual
          // clock (QA, the replay) none is given, so the draws follow the event's id and a run
          // can be repeated exactly.
          ...(this.o.clock.mode === 'manual' ? {} : { seed: (Math.random() * 0x1_0000_0000) >>> 0 }),
        }),
      );
    }
    let next: CustomerSnapshot;
    let effects: CustomerEffect[];
    try {
      [next, effects] = this.stepper.step(live.snapshot, msg);
    } catch (err) {
      // The previous snapshot stands: a message that fails changes nothing.
      this.o.logger.error({ err, customer: id, message: msg.type }, 'customer actor failed on a message; its state is unchanged');
      return { kind: 'error', re, code: 'internal', message: 'internal error' };
    }
    const changed = next !== live.snapshot;
    if (changed) this.sharing.afterCommit(live, this.recordContacts, [live.snapshot.context.contacts, next.context.contacts, next.context.segments] as const, this.funnelDay());
    live.snapshot = next;
    // A fired reminder is dropped in the commit that holds what it did (before the effects, so
    // a reminder the actor sets again under the same name stands).
    if (msg.type === 'gateway.event' && msg.reminder !== undefined) this.writeBehind.dropReminder(id, msg.reminder);
    const { reply, explain } = this.effects.run(live, effects);
    if (changed) this.writeBehind.markDirty(live);
    // A repeated event id is answered from memory and explains nothing new.
    if (msg.type === 'gateway.event' && explain !== undefined) live.lastExplain = explain;
    // Same synchronous turn as the spent check above: budgets are never overspent here.
    if (msg.type === 'gateway.event' && reply?.kind === 'decision' && !reply.duplicate && reply.actions.length > 0) {
      this.spent = reply.actions;
      this.sharing.charge(live, reply.actions, msg.catalog, this.localDay(msg.catalog.policy, msg.now));
    }
    if (msg.type === 'delivery.report') return { kind: 'ack', re, duplicate: false };
    if (reply === undefined) {
      this.o.logger.error({ customer: id, message: msg.type }, 'customer actor gave no reply');
      return { kind: 'error', re, code: 'internal', message: 'internal error' };
    }
    return reply;
  }

  // -------------------------------------------------------------------------------------
  // Write-behind, passivation

  /** Commits every change made before the call (see WriteBehind.flush). */
  flush(): Promise<void> {
    return this.writeBehind.flush();
  }

  /** True while commits keep failing (three in a row, refused changes included): the node should take no traffic. */
  storeFailing(): boolean {
    return this.writeBehind.storeFailing();
  }

  /** Releases idle actors, and the least recently used while the heap is past its bound (see Actors.sweep); how many. */
  sweep(): number {
    this.writeBehind.probeStore();
    return this.actors.sweep();
  }

  // -------------------------------------------------------------------------------------
  // Reads for the admin API (customer-queries.ts)

  /** A customer's 360° view, through the mailbox so it sees every earlier event. */
  async view(id: string): Promise<CustomerView | undefined> {
    return this.queries.view(await this.identities.current(id));
  }

  /** A login naming a visitor's cookie: with the bank's policy, the visitor's history joins the customer's. */
  private async login(customer: string, visitor: string): Promise<void> {
    if (this.o.mergeVisitorOnLogin !== true) return;
    try {
      await this.merging.merge(customer, visitor);
    } catch (err) {
      this.o.logger.warn({ err, customer, visitor }, "a visitor's history was not merged at login");
    }
  }

  /** Merges customer `from` into `into` (docs/identity.md): `from` forwards to `into` from then on. */
  merge(into: string, from: string, audit?: (outcome: MergeOutcome) => AuditDraft): Promise<MergeOutcome> {
    return this.merging.merge(into, from, audit);
  }

  /** A merge across shards, the loser's side: its state read, its mailbox held until `endMergeOut` (customer-merge.ts). */
  mergeOut(from: string): Promise<Departing> {
    return this.merging.mergeOut(from);
  }

  /** Ends the loser's side of a merge across shards: erased once merged into `into`, else let go. */
  endMergeOut(from: string, into: string | undefined): Promise<void> {
    return this.merging.endMergeOut(from, into);
  }

  /** A merge across shards, the survivor's side: the loser's state (`mergeOut` in its shard) merged into `into`'s. */
  mergeIn(into: string, from: string, departing: Departing | undefined, audit?: (outcome: MergeOutcome) => AuditDraft): Promise<MergeOutcome> {
    return this.merging.mergeIn(into, from, departing, audit);
  }

  /** Erases a customer (the right to be forgotten), through the mailbox. */
  erase(id: string, audit?: (erased: { identifiers: number }) => AuditDraft): Promise<{ identifiers: number } | undefined> {
    return this.queries.erase(id, audit);
  }

  /** A dry run of the decision on the customer's current state. */
  explain(id: string, event: GatewayEvent): Promise<{ customer: string; at: number; actions: readonly DecisionAction[]; explain: Explanation[] } | undefined> {
    return this.queries.explain(id, event);
  }

  /** A campaign's messages as this customer would read them. */
  preview(id: string, campaign: Campaign, event: GatewayEvent): Promise<Preview[] | undefined> {
    return this.queries.preview(id, campaign, event);
  }

  // -------------------------------------------------------------------------------------
  // Shutdown

  /** Refuses new requests, lets every queued one finish, writes everything, stops the actors. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.runLane.close();
    this.writeBehind.close();
    const deadline = Date.now() + timeoutMs;
    while ((this.mailboxes.size > 0 || this.order.pending > 0) && Date.now() < deadline) {
      await Promise.race([this.mailboxes.idle(), new Promise((r) => setTimeout(r, 20))]);
    }
    this.writeBehind.close(); // (a timer set meanwhile)
    try {
      await this.writeBehind.flush();
    } finally {
      // Anything still unwritten cannot be acknowledged.
      for (const live of this.actors.values()) {
        for (const w of live.waiters ?? []) w.reject(new KairosError('unavailable', 'shut down before the change was committed'));
        live.waiters = undefined;
      }
      this.actors.clear();
    }
  }
}
