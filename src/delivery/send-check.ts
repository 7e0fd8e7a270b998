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
}

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

  constructor(private readonly o: SendGateOptions) {}

  /** On a store several nodes share a record that passes is checked again after `activate` (the customer and the stop list read fresh). */
  get shared(): boolean {
    return this.o.host.sharedStore === true;
  }

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
      this.o.metrics.deliveries.inc({ channel: channelLabel(r.channel), result: 'suppressed' });
      this.o.logger.info({ channel: r.channel, instance: r.instance, reason }, 'outbox entry cancelled at send time');
    } catch (err) {
      // Still in the outbox: the next pass checks it again (and cancels it then).
      this.o.logger.error({ err, channel: r.channel, instance: r.instance, reason }, 'cancelling an outbox entry failed; checked again at the next pass');
    } finally {
      this.cancelling.delete(key);
    }
  }
}
