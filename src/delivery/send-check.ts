import type { CustomerRef, SuppressReason } from '../../actors/index.js';
import { isStopped } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { channelLabel } from '../metrics.js';
import type { OutboxRecord, Store } from '../store/store.js';
import type { DeliveryHost, SendFacts } from './delivery-host.js';
import { deliveryKey } from './delivery-key.js';

/**
 * Why an offer may no longer go, from what its customer's live actor and the stop list say
 * now; undefined when it may. Back-office actions always go (the bank's own systems). Expired
 * first (a seed-list copy too); a seed-list copy goes to the bank's test recipient, so the
 * customer's stop list and consent do not apply to it. The stop list holds for every message,
 * a service message too; consent only for marketing: needed where the policy requires it, and
 * a consent the customer revoked (a `consent.revoked` event, an SMS "СТОП") counts everywhere.
 */
export function sendProblem(r: OutboxRecord, facts: SendFacts | undefined, now: number): SuppressReason | undefined {
  if (r.kind !== 'offer') return undefined;
  if (r.expiresAt <= now) return 'expired';
  if (r.seed === true || facts === undefined) return undefined;
  if (isStopped(facts.stops, r.campaign, r.channel)) return 'stop_list';
  // A contact the actor no longer holds (trimmed history) counts as marketing: the safe side.
  const marketing = facts.context.contacts.find((c) => c.instance === r.instance)?.marketing ?? true;
  const consent = facts.context.consents[r.channel];
  if (marketing && (consent?.granted === false || (facts.consentRequired.has(r.channel) && consent?.granted !== true))) return 'no_consent';
  return undefined;
}

/** The address an offer goes to, as the stop list looks it up (an SMS's phone, an e-mail's address). */
function refOf(r: OutboxRecord): CustomerRef {
  if (r.kind !== 'offer' || r.to === undefined) return {};
  if (r.channel === 'sms') return { phone: r.to };
  if (r.channel === 'email') return { email: r.to };
  return {};
}

export interface SendGateOptions {
  host: DeliveryHost;
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /**
   * Tests only: awaited on a shared store after the record's customer and the stop list were
   * read fresh and checked, before the claim (widens the window an opt-out on another node
   * must not slip through).
   */
  beforeClaim?: (r: OutboxRecord) => Promise<void>;
}

/** What the send-time check answers: a reason to cancel, wait (`inactive`, `cancelling`, `changed`: the next pass), or go (undefined). */
export type SendVerdict = SuppressReason | 'inactive' | 'cancelling' | 'changed' | undefined;

/** On a shared store: claims tried in one go before the record waits for the next pass (each failed one saw a change). */
const CLAIM_TRIES = 3;

/** Customers whose activation found no one remembered at most (then forgotten at once). */
const MAX_UNKNOWN = 10_000;

/**
 * The check every outbound send makes at send time, and the cancelling of what may no longer
 * go. `check` is synchronous: the caller hands the record to its channel in the same turn, so
 * an opt-out acknowledged before the check is seen, and one acknowledged after it was
 * acknowledged after the send started. A customer whose actor is not live is `inactive`:
 * `activate` it, then check again.
 */
export class SendGate {
  /** customers the host knows no more (erased): only expiry is checked for them */
  private readonly unknown = new Set<string>();
  /** records being cancelled: not checked (nor reported) twice */
  private readonly cancelling = new Set<string>();
  /** cancellations that failed (the host busy): tried again by `retryCancellations`, each pass */
  private readonly failed = new Map<string, { r: OutboxRecord; reason: SuppressReason }>();

  constructor(private readonly o: SendGateOptions) {}

  /** Now, without a wait: why the record may not go, undefined when it may, `inactive` when its customer's actor must be activated first. */
  check(r: OutboxRecord): SuppressReason | 'inactive' | 'cancelling' | undefined {
    if (this.cancelling.has(deliveryKey(r.channel, r.instance))) return 'cancelling';
    if (r.kind !== 'offer') return undefined;
    const now = this.o.clock.now();
    if (r.seed === true || this.o.host.sendFacts === undefined || this.unknown.has(r.customer)) return sendProblem(r, undefined, now);
    const facts = this.o.host.sendFacts(r.customer, refOf(r));
    if (facts === undefined) return 'inactive';
    return sendProblem(r, facts, now);
  }

  /**
   * The check before a send, ending in the turn the caller hands the record over in. On a
   * single node: `check`, activating the customer first when it is not live. On a store
   * several nodes share, for an offer to a customer: the customer's snapshot revision and the
   * stop list's version are read, then the customer read fresh (`activate`: its actor and the
   * stop list at least as new as those), checked, and claimed (`claimSend`, one Redis step):
   * go only if no node committed a change to the customer (a consent revoked) and no stop key
   * of the customer or the address was added since those reads. An opt-out acknowledged on
   * any node before the claim is seen; one acknowledged after it came after the send started.
   * A claim that saw a change reads and checks again (a few times, then `changed`: the next
   * pass). On a go (undefined) the caller checks once more with `check` in the turn it hands
   * the record over in (an opt-out acknowledged on this node meanwhile: its live actor and
   * its stop list change before the acknowledgement).
   */
  async checkBeforeSend(r: OutboxRecord): Promise<SendVerdict> {
    const coordination = this.o.store.coordination;
    let problem: SendVerdict = this.check(r);
    if (!coordination.shared || r.kind !== 'offer' || r.seed === true || this.o.host.sendFacts === undefined) {
      if (problem !== 'inactive') return problem;
      await this.activate(r);
      // (its customer gone meanwhile, erased or merged into a customer of another shard: the record went with it, and does not go;
      // or merged into another on this node: the record is the survivor's now, checked as such at the next pass)
      if (this.unknown.has(r.customer) && (await this.o.store.getOutbox(r.channel, r.instance))?.customer !== r.customer) return 'changed';
      return this.check(r);
    }
    if (problem !== undefined && problem !== 'inactive') return problem;
    for (let i = 0; i < CLAIM_TRIES; i++) {
      const [revision, stopVersion] = await Promise.all([coordination.snapshotRevision(r.customer), coordination.stopListVersion()]);
      await this.activate(r);
      problem = this.check(r);
      if (problem !== undefined || this.unknown.has(r.customer)) return problem;
      const facts = this.o.host.sendFacts(r.customer, refOf(r));
      if (facts === undefined) return 'inactive';
      if (this.o.beforeClaim !== undefined) await this.o.beforeClaim(r);
      if (await coordination.claimSend(r.customer, revision, stopVersion, facts.stopKeys ?? [])) return undefined;
    }
    return 'changed';
  }

  /** Cancellations that failed before (the host busy), tried again; called every delivery pass. */
  async retryCancellations(): Promise<void> {
    const failed = [...this.failed.values()];
    this.failed.clear();
    for (const { r, reason } of failed) await this.cancel(r, reason);
  }

  /** Brings the record's customer's actor into memory (nothing when the host cannot, or it is live). */
  async activate(r: OutboxRecord): Promise<void> {
    if (this.o.host.activate === undefined) return;
    const known = await this.o.host.activate(r.customer);
    if (known) this.unknown.delete(r.customer);
    else {
      if (this.unknown.size >= MAX_UNKNOWN) this.unknown.clear();
      this.unknown.add(r.customer);
    }
  }

  /**
   * Cancels a record that may no longer go: out of the outbox (not retried, not a dead
   * letter), the customer's contact marked `suppressed` with the reason (a seed-list copy has
   * no contact), counted in `kairos_deliveries_total{result="suppressed"}`.
   */
  async cancel(r: OutboxRecord, reason: SuppressReason): Promise<void> {
    const key = deliveryKey(r.channel, r.instance);
    if (this.cancelling.has(key)) return;
    this.cancelling.add(key);
    try {
      if (r.kind === 'offer' && r.seed !== true) {
        const answer = await this.o.host.submitDelivery(r.instance, 'suppressed', reason);
        if (answer.kind === 'error' && answer.code !== 'unknown_customer') throw new Error(`${answer.code}: ${answer.message}`);
      }
      await this.o.store.removeOutbox(r.channel, r.instance);
      this.failed.delete(key);
      this.o.metrics.deliveries.inc({ channel: channelLabel(r.channel), result: 'suppressed' });
      this.o.logger.info({ channel: r.channel, instance: r.instance, reason }, 'outbox entry cancelled at send time');
    } catch (err) {
      // Still in the outbox: tried again at the next pass (retryCancellations), and checked again if read again.
      this.failed.set(key, { r, reason });
      this.o.logger.error({ err, channel: r.channel, instance: r.instance, reason }, 'cancelling an outbox entry failed; checked again at the next pass');
    } finally {
      this.cancelling.delete(key);
    }
  }
}
