import type { Campaign, Catalog, DecisionAction, ContactIdentifierKind, CustomerContext, CustomerMessage, CustomerStepper, Explanation, GatewayEvent, Preview } from '../../actors/index.js';
import type { RunCall } from '../../actors/index.js';
import { bucketsOf, campaignLevers, customerTimeZone, decisionInputs, localTime, membershipsOn, previewCampaign, runEvent, segmentTimerDue, windowValue } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { CustomerView } from '../schema/http/customer-schemas.js';
import { asKairosError } from '../errors.js';
import type { StopList } from '../stop-list.js';
import type { AuditDraft } from '../audit/audit-chain.js';
import type { Store } from '../store/store.js';
import type { Actors } from './activation.js';
import type { BudgetLedger, CapacityLedger } from './budget-ledger.js';
import type { Identities } from './identity.js';
import type { IdentityConflicts } from './identity-conflicts.js';
import { metaNaming } from './identity-conflicts.js';
import type { Live } from './live-customer.js';
import type { Mailboxes } from './mailboxes.js';
import type { ModelRegistry } from './model-registry.js';
import type { PropensityLedger } from './propensity-ledger.js';
import type { WriteBehind } from './write-behind.js';
import type { SegmentLedger } from './segment-ledger.js';

/** A customer's 360° card: its type is the admin API's schema of it (src/schema/http/customer-schemas.ts). */
export type { CustomerView };

/** A wave's call to one customer, as the call list shows it. */
export interface CallView {
  customer: string;
  name: { lastName?: string; firstName?: string; patronymic?: string };
  phone?: string;
  /** the run's call: absent when the run did not call them (not in the store's history any more) */
  call?: { instance: string; channel: string; offer: string; at: number; outcome?: string; callbackAt?: number | string };
  /** they became a warm lead of the run's campaign */
  warmLead?: boolean;
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export interface CustomerQueriesOptions {
  store: Store;
  catalog: () => Catalog;
  clock: Clock;
  stopList: StopList;
  stepper: CustomerStepper;
  ledger: BudgetLedger;
  capacity?: CapacityLedger;
  propensity: PropensityLedger;
  models: ModelRegistry;
  mailboxes: Mailboxes;
  actors: Actors;
  identities: Identities;
  writeBehind: WriteBehind;
  /** segment sizes: an erased customer leaves their segments */
  segments?: SegmentLedger;
  /** the identity conflicts: none naming a customer is recorded once their erasure looks for those naming them */
  conflicts: Pick<IdentityConflicts, 'forgetting' | 'erasureFailed'>;
}

/**
 * The admin API's reads of one customer (and the erasure), each through the customer's
 * mailbox, so it sees every earlier event: the 360° view, the right to be forgotten, the
 * dry run of a decision (explain) and a campaign's messages as the customer would read them.
 */
export class CustomerQueries {
  constructor(private readonly o: CustomerQueriesOptions) {}

  /** A customer's 360° view. */
  view(id: string): Promise<CustomerView | undefined> {
    return this.withLive(id, (live) => this.describe(live));
  }

  /**
   * Erases a customer (the right to be forgotten): the live actor, everything waiting to be
   * written for it, and in the store its snapshot, master data, identity links and outbox
   * entries, and the identity conflicts and merge forwards naming them (store meta). Runs
   * through the mailbox, after every earlier message for the customer. The
   * stop list keeps its hashed entries, so an opt-out outlives the profile. With `audit`, the
   * entry it drafts (from what was erased) is written in the store's erasure transaction.
   */
  erase(id: string, audit?: (erased: { identifiers: number }) => AuditDraft): Promise<{ identifiers: number } | undefined> {
    return this.inMailbox(id, async () => {
      const live = await this.o.actors.liveFor(id);
      if (live === undefined) return this.eraseUnreadable(id, audit);
      const ids = Object.entries(live.snapshot.context.identifiers).flatMap(([kind, values]) =>
        values.map((value) => ({ kind: kind as ContactIdentifierKind, value })),
      );
      this.o.actors.unload(live);
      this.o.segments?.record(Object.keys(live.snapshot.context.segments).map((segment) => ({ segment, change: 'exited' as const })));
      // Replies still waiting for this customer's commit go out: the erasure supersedes it.
      for (const w of live.waiters ?? []) w.resolve();
      live.waiters = undefined;
      this.o.identities.dropCustomer(id);
      this.o.writeBehind.dropCustomer(id);
      await this.erased(id, () => this.o.store.eraseCustomer(id, ids, audit?.({ identifiers: ids.length }), () => this.naming(id)));
      return { identifiers: ids.length };
    });
  }

  /**
   * A customer the store holds but whose records cannot be read (their key is gone: an erasure
   * whose transaction did not commit): the erasure finished. The store finds the identity links
   * naming them itself (their identifiers were in the records); `identifiers` counts none.
   */
  private async eraseUnreadable(id: string, audit?: (erased: { identifiers: number }) => AuditDraft): Promise<{ identifiers: number } | undefined> {
    if (!(await this.o.store.hasCustomer(id))) return undefined;
    this.o.identities.dropCustomer(id);
    this.o.writeBehind.dropCustomer(id);
    await this.erased(id, () => this.o.store.eraseCustomer(id, [], audit?.({ identifiers: 0 }), () => this.naming(id)));
    return { identifiers: 0 };
  }

  /**
   * The store meta entries naming the customer the erasure removes (`metaNaming`), looked for
   * once no identity conflict naming them can be recorded any more: an event resolved before
   * the erasure (its holder or claimant read) records its conflict after it otherwise. Called by
   * the store (`ErasureMeta`): on a shared one after their tombstone, which refuses another
   * node's conflict from then on; on a single-node one before its transaction.
   */
  /** The store's erasure of the customer; failed, conflicts naming them are recorded again (they are still there). */
  private async erased(id: string, erase: () => Promise<unknown>): Promise<void> {
    try {
      await erase();
    } catch (err) {
      this.o.conflicts.erasureFailed(id);
      throw err;
    }
  }

  private async naming(id: string): Promise<string[]> {
    await this.o.conflicts.forgetting(id);
    return metaNaming(this.o.store, id);
  }

  /**
   * What the customer would be offered for this event, and why each triggered campaign
   * would or would not speak, without recording anything: a dry run of the decision on the
   * customer's current state.
   */
  explain(id: string, event: GatewayEvent): Promise<{ customer: string; at: number; actions: readonly DecisionAction[]; explain: Explanation[] } | undefined> {
    return this.withLive(id, (live) => {
      // A dry run of any moment: as if the event arrived at its own time (the bounds on `at`
      // around the server's clock are for what gateways send).
      const now = event.at ?? this.o.clock.now();
      let actions: readonly DecisionAction[] = [];
      let explain: Explanation[] = [];
      for (const e of this.dryRun(live, id, event, now, { capacity: true })) {
        if (e.type === 'reply' && e.params.reply.kind === 'decision') actions = e.params.reply.actions;
        if (e.type === 'trace') explain = e.params.trace.explain;
      }
      return { customer: id, at: now, actions, explain };
    });
  }

  /**
   * The effects the customer's decision of `event` would have at `now`, looked at, never kept or
   * run: the message built as the host builds it (stops, budgets, evidence, models; the day's
   * channel capacity with `capacity`), `run` beside it for a run's hand-over.
   */
  private dryRun(live: Live, id: string, event: GatewayEvent, now: number, o: { capacity: boolean; run?: RunCall }): ReturnType<CustomerStepper['step']>[1] {
    const catalog = this.o.catalog();
    const msg: CustomerMessage = {
      type: 'gateway.event',
      event,
      now,
      catalog,
      ...(o.run === undefined ? {} : { run: o.run }),
      ...decisionInputs({
        catalog,
        stops: this.o.stopList.scopesFor(id, live.snapshot.context.identifiers, event.customer),
        budgetSpentOf: this.o.ledger.spentOf,
        capacityUsedOn: o.capacity ? this.o.capacity?.usedOn : undefined,
        capacityAt: this.o.clock.now(),
        evidence: this.o.propensity.evidence(),
        models: this.o.models.view(),
      }),
    };
    return this.o.stepper.step(live.snapshot, msg)[1];
  }


  /**
   * A wave's ranking (docs/outbound.md#call-centre-waves): the expected value the run's decision
   * would give its campaign for this customer now, channel capacity aside (the ranking orders
   * the calls the capacity then takes, best first); undefined when it would not call them (or
   * the customer is not in the store).
   */
  async scoreRun(run: RunCall, id: string): Promise<number | undefined> {
    const now = this.o.clock.now();
    return this.withLive(id, (live) => {
      // capacity aside: the ranking orders the calls the day's capacity then takes
      for (const e of this.dryRun(live, id, runEvent(run, id, now), now, { capacity: false, run })) {
        if (e.type !== 'trace') continue;
        const x = e.params.trace.explain.find((r) => r.campaign === run.campaign);
        if (x === undefined) return undefined;
        if (x.verdict !== 'suppressed') return x.score;
        // held off now only by the hour (quiet hours), the day's capacity or a cap: ranked by what
        // it would be worth then (the probability times the campaign's levers, context aside)
        const c = this.o.catalog().campaigns.find((y) => y.id === run.campaign);
        const later = x.reason !== undefined && /^(deferred|no_channel|cap|outside_hours)/.test(x.reason);
        return later && x.probability !== undefined && c !== undefined ? x.probability * campaignLevers(c) : undefined;
      }
      return undefined;
    });
  }


  /** A wave's call to this customer, for the call list: who, the phone, and what became of the run's call (undefined: no such customer). */
  callOf(id: string, run: string): Promise<CallView | undefined> {
    return this.withLive(id, (live) => {
      const ctx = live.snapshot.context;
      const contact = ctx.contacts.find((k) => k.run === run && k.control !== true);
      const view: CallView = { customer: id, name: { ...pick(ctx.profile, ['lastName', 'firstName', 'patronymic']) } };
      const phone = ctx.identifiers.phone[0];
      if (phone !== undefined) view.phone = phone;
      if (contact !== undefined) {
        view.call = { instance: contact.instance, channel: contact.channel, offer: contact.offer, at: contact.at };
        if (contact.outcome !== undefined) view.call.outcome = contact.outcome;
        const answer = ctx.responses.findLast((r) => r.instance === contact.instance);
        const back = answer?.outcome === 'callback' ? answer.data?.at : undefined;
        if (typeof back === 'number' || typeof back === 'string') view.call.callbackAt = back;
      }
      if (ctx.leads?.[ctx.contacts.find((k) => k.run === run)?.campaign ?? ''] !== undefined) view.warmLead = true;
      return view;
    });
  }

  /** A campaign's messages as this customer would read them (see previewCampaign). */
  preview(id: string, campaign: Campaign, event: GatewayEvent): Promise<Preview[] | undefined> {
    return this.withLive(id, (live) => previewCampaign(live.snapshot.context, campaign, event, event.at ?? this.o.clock.now(), this.o.catalog()));
  }

  /** Runs `fn` on the customer's live actor, through its mailbox (after every earlier message); undefined for an unknown customer. */
  private withLive<T>(id: string, fn: (live: Live) => T | Promise<T>): Promise<T | undefined> {
    return this.inMailbox(id, async () => {
      const live = await this.o.actors.liveFor(id);
      return live === undefined ? undefined : await fn(live);
    });
  }

  /** Runs `fn` through the customer's mailbox (after every earlier message). */
  private inMailbox<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.o.mailboxes.enqueue(id, async () => {
        try {
          resolve(await fn());
        } catch (err) {
          reject(asKairosError(err));
        }
      });
    });
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
      segments: membershipsOn(ctx, catalog, today),
      nextSegmentCheck: segmentTimerDue(ctx, catalog),
      features,
      contacts: ctx.contacts,
      pending: ctx.pending,
      deferrals: ctx.deferrals ?? [],
      responses: ctx.responses,
      leads: ctx.leads ?? {},
      lastDecision: live.lastExplain,
      createdAt: ctx.createdAt,
      lastEventAt: ctx.lastEventAt,
    };
  }
}
