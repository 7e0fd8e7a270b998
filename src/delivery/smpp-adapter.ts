import { createRequire } from 'node:module';
import type { GatewayEvent } from '../../actors/index.js';
import { customerOfInstance } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { stopKey } from '../stop-list.js';
import type { OutboxRecord, Store } from '../store/store.js';
import type { DeliveryHost } from './delivery-host.js';
import type { ChannelAdapter } from './dispatcher.js';
import { KairosError } from '../errors.js';
import { decodeShortMessage, smsPartCount, smsParts, ucs2 } from './sms-parts.js';

/**
 * Two-way SMS over SMPP 3.4 (the `smpp` package): bound as a transceiver; each message goes
 * as `submit_sm` (UCS-2 for Cyrillic, concatenated with a UDH when it takes several parts,
 * a delivery receipt requested); receipts and intermediate notifications (`deliver_sm` of
 * that message type, or carrying the receipt TLVs) in a final state tell the contact
 * delivered or failed; a mobile-originated `deliver_sm` (message type 0, no receipt TLVs) is
 * the customer's reply and becomes an `sms.received` event for them (a reply "1" accepts the
 * ATM credit); any other `deliver_sm` (an SME's acknowledgement, a reserved type) is answered
 * and dropped (`deliverKind`).
 */

export interface SmppPdu {
  command: string;
  command_status: number;
  sequence_number: number;
  message_id?: string;
  source_addr?: string;
  destination_addr?: string;
  esm_class?: number;
  data_coding?: number;
  /** the TLVs of a receipt or intermediate notification: the SMSC's id of the message it is about, and its state */
  receipted_message_id?: string;
  message_state?: number;
  short_message?: Buffer | string | { message?: Buffer | string; udh?: Buffer };
  response(fields?: Record<string, unknown>): SmppPdu;
}

export interface SmppSession {
  bind_transceiver(fields: Record<string, unknown>, cb: (pdu: SmppPdu) => void): void;
  /** false (and the callback never called) when the socket cannot be written */
  submit_sm(fields: Record<string, unknown>, cb: (pdu: SmppPdu) => void): boolean;
  /** `onResponse`: called with the peer's answer to a request PDU */
  send(pdu: SmppPdu, onResponse?: (resp: SmppPdu) => void): boolean;
  close(cb?: () => void): void;
  destroy?(): void;
  on(event: string, listener: (...args: never[]) => void): void;
}

interface SmppModule {
  connect(options: Record<string, unknown>, cb?: () => void): SmppSession;
  createServer(options: Record<string, unknown>, listener: (session: SmppSession) => void): { listen(port: number, host: string, cb?: () => void): void; close(cb?: () => void): void; address(): { port: number } | string | null };
  ESME_ROK: number;
  ESME_RINVDSTADR: number;
  ESME_RBINDFAIL: number;
}

export const smpp = createRequire(import.meta.url)('smpp') as SmppModule;

export interface SmppOptions {
  url: string;
  systemId: string;
  password: string;
  /** the sender name or number customers see */
  source: string;
  ratePerSec: number;
  logger: Logger;
  /** stamps a customer's reply's event id */
  clock: Clock;
  /** where receipts (the contact learns delivered or failed) and customers' replies (events) go */
  host: DeliveryHost;
  /**
   * where the last offer sent to each phone is kept for its replies, across restarts and for
   * every node of a shared store, keyed by the phone's keyed hash (the stop list's key, with
   * its secret); without it, only in memory
   */
  replies?: { store: Store; secret: string };
  /** how long a `submit_sm` waits for the SMSC's answer before the attempt fails (retried); `SUBMIT_TIMEOUT_MS` when absent */
  submitTimeoutMs?: number;
  /** how long a message handed to the SMSC waits for its receipt before it counts as having none; `RECEIPT_TIMEOUT_MS` when absent */
  receiptTimeoutMs?: number;
  /** how many messages waiting for their receipts are kept (past it the oldest counts as having none); `MAX_AWAITING_RECEIPTS` when absent */
  maxAwaitingReceipts?: number;
  /**
   * the SMSC's time, on which a receipt's wait is measured: the wall clock (`Date.now`) when
   * absent, not `clock` (a manual server clock moved by hours would forget receipts due in
   * seconds); tests pass a manual one
   */
  wallClock?: () => number;
}

/**
 * How long a `submit_sm` waits for the SMSC's `submit_sm_resp` before the attempt fails as
 * `delivery_failed` (and is retried by the dispatcher's policy): the `smpp` library never calls
 * back for a PDU the SMSC leaves unanswered.
 */
export const SUBMIT_TIMEOUT_MS = 30_000;

/** Where the last SMS to a phone is kept for its replies: a store meta entry, by the phone's keyed hash. */
export const SMS_REPLY_PREFIX = 'sms-reply/';

/** What the store keeps of the last SMS to a phone: its offer instance (naming its customer), until the offer expires. */
export interface SmsReplyEntry {
  instance: string;
  expiresAt: number;
}

/**
 * How long a message handed to the SMSC waits for its receipt: past it (an SMSC that sends
 * none, or lost it) the message counts as having none, is forgotten, and a receipt after it
 * is dropped. Past the longest validity period SMSCs commonly give a message (we set none:
 * the SMSC's default applies), so a receipt that can still come is waited for.
 */
export const RECEIPT_TIMEOUT_MS = 72 * 3_600_000;

/** How many messages waiting for their receipts the adapter keeps (about 200 bytes each): past it the oldest counts as having none. */
export const MAX_AWAITING_RECEIPTS = 250_000;

/** The receipt text of SMPP 3.4 appendix B: "id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:… text:…". */
export function parseReceipt(text: string): { id: string; stat: string } | undefined {
  const id = /id:(\S+)/.exec(text)?.[1];
  const stat = /stat:(\S+)/.exec(text)?.[1];
  return id === undefined || stat === undefined ? undefined : { id, stat };
}

/** `esm_class` bits 2-5 of a `deliver_sm`: its message type (bits 0-1 do not apply to it; bit 6 is the UDHI, bit 7 the reply path). */
const MESSAGE_TYPE = 0x3c;
const MOBILE_ORIGINATED = 0x00;
const SMSC_DELIVERY_RECEIPT = 0x04;
const INTERMEDIATE_NOTIFICATION = 0x20;

/**
 * What a `deliver_sm` is: the customer's message (message type 0, without the receipt TLVs a
 * receipt carries), a receipt or intermediate notification about one of ours (those types,
 * or any carrying `receipted_message_id` or `message_state`), or something else (an SME's
 * delivery or manual/user acknowledgement, a conversation abort, a reserved type) that is
 * answered and dropped: never a reply, since a reply "1" accepts an offer.
 */
export function deliverKind(pdu: Pick<SmppPdu, 'esm_class' | 'receipted_message_id' | 'message_state'>): 'reply' | 'receipt' | 'other' {
  const type = (pdu.esm_class ?? 0) & MESSAGE_TYPE;
  if (pdu.receipted_message_id !== undefined || pdu.message_state !== undefined) return 'receipt';
  if (type === MOBILE_ORIGINATED) return 'reply';
  return type === SMSC_DELIVERY_RECEIPT || type === INTERMEDIATE_NOTIFICATION ? 'receipt' : 'other';
}

/** `message_state`'s values (SMPP 3.4, and 5.0's SKIPPED) as the receipt text's `stat:` names them. */
const MESSAGE_STATES = ['SCHEDULED', 'ENROUTE', 'DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD', 'SKIPPED'];

/**
 * States a message is still on its way in: no outcome yet, the final receipt is waited for.
 * ACCEPTD among them: SMSCs and aggregators send it for a message taken on, before the
 * handset's (as Kannel reads it); BUFFRED/BUFFERD/ACKED are other SMSCs' names for the same.
 */
const NOT_FINAL = new Set(['SCHEDULED', 'SCHEDUL', 'ENROUTE', 'ACCEPTD', 'BUFFRED', 'BUFFERD', 'ACKED']);

/** A receipt's or notification's outcome: delivered (DELIVRD), on its way still, or failed (any other state: EXPIRED, UNDELIV, REJECTD, …). */
export function receiptOutcome(stat: string): 'delivered' | 'pending' | 'failed' {
  const s = stat.toUpperCase();
  if (s === 'DELIVRD' || s === 'DELIVERED') return 'delivered';
  return NOT_FINAL.has(s) ? 'pending' : 'failed';
}

/** How many recipients' last offers the adapter remembers for their replies. */
const MAX_RECIPIENTS = 100_000;

/** Statuses that are permanent refusals of a submit_sm (bad address and the like). */
const PERMANENT = new Set([0x0a, 0x0b, 0x0c, 0x45, 0x48, 0x49, 0x50, 0x51]);

export class SmppAdapter implements ChannelAdapter {
  /** the channel it delivers (known before one is built: `adapterChannels`) */
  static readonly CHANNEL = 'sms';
  readonly channel = SmppAdapter.CHANNEL;
  readonly ratePerSec: number;
  /** the receipt, not the SMSC's acceptance, says delivered */
  readonly reportsDelivery = true;
  private session: SmppSession | undefined;
  private bound: Promise<SmppSession> | undefined;
  private closed = false;
  /** bound from `start` on and bound again after a drop, so replies and receipts arrive with nothing to send */
  private kept = false;
  private rebind: NodeJS.Timeout | undefined;
  private ref = 0;
  /**
   * SMSC message id -> offer instance and when it was handed over, for receipts (the last
   * part's id stands for the message), oldest first: bounded by age (`receiptTimeoutMs`) and
   * count (`maxAwaitingReceipts`), `forgetUnconfirmed`
   */
  private readonly sent = new Map<string, { instance: string; at: number }>();
  /** messages forgotten without a receipt since it was last logged, and when it was */
  private unconfirmed = { byAge: 0, byCount: 0, loggedAt: -Infinity };
  private readonly receiptTimeoutMs: number;
  private readonly maxAwaitingReceipts: number;
  private readonly wallClock: () => number;
  /**
   * recipient's phone -> the last offer instance sent to it (oldest dropped past
   * `MAX_RECIPIENTS`): a reply from that phone is the reply of the customer that SMS was for
   */
  private readonly lastSent = new Map<string, string>();
  /** replies are handled one after another, in the order they came (a lookup in the store may wait) */
  private replying: Promise<void> = Promise.resolve();

  private readonly submitTimeoutMs: number;
  /** when the next part is due at `ratePerSec` (`partTurn`) */
  private nextPartAt = 0;
  /** each session's submits waiting for their answer: failed when the session drops */
  private readonly pending = new Map<SmppSession, Set<(why: string) => void>>();

  constructor(private readonly o: SmppOptions) {
    this.ratePerSec = o.ratePerSec;
    this.submitTimeoutMs = o.submitTimeoutMs ?? SUBMIT_TIMEOUT_MS;
    this.receiptTimeoutMs = o.receiptTimeoutMs ?? RECEIPT_TIMEOUT_MS;
    this.maxAwaitingReceipts = Math.max(1, o.maxAwaitingReceipts ?? MAX_AWAITING_RECEIPTS);
    this.wallClock = o.wallClock ?? Date.now;
  }

  /** How many messages handed to the SMSC wait for their receipts. */
  get awaitingReceipts(): number {
    return this.sent.size;
  }

  private bind(): Promise<SmppSession> {
    this.bound ??= new Promise<SmppSession>((resolve, reject) => {
      const session = smpp.connect({ url: this.o.url, auto_enquire_link_period: 30_000 });
      let settled = false;
      const drop = (why: string): void => {
        const waiting = this.pending.get(session);
        this.pending.delete(session);
        for (const fail of waiting ?? []) fail(why);
        if (this.session === session) this.session = undefined;
        this.bound = undefined;
        this.keepBound(why);
        if (!settled) {
          settled = true;
          reject(new KairosError('delivery_failed', why));
        }
      };
      session.on('error', (err: Error) => drop(`SMPP: ${err.message}`));
      session.on('close', () => drop('SMPP connection closed'));
      session.on('deliver_sm', (pdu: SmppPdu) => this.onDeliver(session, pdu));
      session.bind_transceiver({ system_id: this.o.systemId, password: this.o.password }, (pdu) => {
        settled = true;
        if (pdu.command_status !== 0) {
          this.bound = undefined;
          session.close();
          reject(new KairosError('delivery_failed', `SMPP bind refused: status ${pdu.command_status}`));
          return;
        }
        this.session = session;
        this.o.logger.info({ url: this.o.url.replace(/\/\/[^@]*@/, '//') }, 'SMPP bound as transceiver');
        resolve(session);
      });
    });
    return this.bound;
  }

  /**
   * Binds now and keeps the session bound (again 5 s after a drop): a customer's reply or a
   * receipt after a restart arrives without waiting for the next message sent.
   */
  start(): void {
    this.kept = true;
    this.bind().catch((err: unknown) => this.o.logger.warn({ err }, 'SMPP bind failed; retrying'));
  }

  private keepBound(why: string): void {
    if (!this.kept || this.closed || this.rebind !== undefined) return;
    this.rebind = setTimeout(() => {
      this.rebind = undefined;
      if (this.closed || this.session !== undefined || this.bound !== undefined) return;
      this.bind().catch((err: unknown) => this.o.logger.warn({ err, why }, 'SMPP bind failed; retrying'));
    }, 5000);
    this.rebind.unref();
  }

  /** A delivery receipt for one of our messages: the contact learns delivered or failed. */
  private onReceipt(instance: string, status: 'delivered' | 'failed', reason?: string): void {
    this.o.host.submitDelivery(instance, status, reason).catch((err: unknown) => this.o.logger.error({ err }, 'recording an SMS receipt failed'));
  }

  /**
   * A message from a customer: an `sms.received` event for the customer our last SMS to that
   * phone was for (by its offer instance, not by the phone's link, which may have changed
   * since; kept in the store across restarts, `recipientOf`), or, when there is none, for
   * the customer the phone is linked to.
   */
  private onReply(phone: string, text: string, messageId: string): void {
    this.replying = this.replying.then(() => this.reply(phone, text, messageId)).catch((err: unknown) => this.o.logger.error({ err }, 'handling an SMS reply failed'));
  }

  /** The store's key of the last SMS to a phone (undefined without a store, or for what is not a phone number). */
  private replyKey(phone: string): string | undefined {
    if (this.o.replies === undefined) return undefined;
    const key = stopKey('phone', phone, this.o.replies.secret);
    return key === undefined ? undefined : SMS_REPLY_PREFIX + key;
  }

  /**
   * The customer the last SMS to this phone was for: from the store when it keeps one (until
   * that offer expires: then nobody, and the phone's link decides), else from this run's memory.
   */
  private async recipientOf(phone: string): Promise<string | undefined> {
    const key = this.replyKey(phone);
    if (key !== undefined) {
      try {
        const kept = (await this.o.replies?.store.getMeta(key)) as SmsReplyEntry | undefined;
        if (kept !== undefined) return kept.expiresAt > this.o.clock.now() ? customerOfInstance(kept.instance) : undefined;
      } catch (err) {
        this.o.logger.warn({ err }, 'reading the last SMS to a phone failed; this run\'s memory decides');
      }
    }
    const instance = this.lastSent.get(phone);
    return instance === undefined ? undefined : customerOfInstance(instance);
  }

  private async reply(phone: string, text: string, messageId: string): Promise<void> {
    const recipient = await this.recipientOf(phone);
    const customer: GatewayEvent['customer'] = recipient === undefined ? { phone } : { id: recipient, phone };
    const event: GatewayEvent = { id: `sms-${messageId}-${this.o.clock.now()}`, type: 'sms.received', customer, channel: 'sms', data: { text } };
    // Submitted in order; not waited for (the next reply's lookup need not wait for this decision).
    this.o.host.submitEvent(event).then(
      (r) => {
        if (r.kind === 'error') this.o.logger.warn({ code: r.code, message: r.message }, 'an SMS reply was not taken');
      },
      (err: unknown) => this.o.logger.error({ err }, 'handling an SMS reply failed'),
    );
  }

  /**
   * Every `deliver_sm` is answered (`deliver_sm_resp`), then taken for what its message type
   * and TLVs say it is (`deliverKind`): a customer's reply, a receipt or notification about
   * one of our messages (recorded when its state is final), or neither (dropped).
   */
  private onDeliver(session: SmppSession, pdu: SmppPdu): void {
    session.send(pdu.response());
    const text = decodeShortMessage(pdu.short_message, pdu.data_coding);
    const kind = deliverKind(pdu);
    if (kind === 'receipt') {
      this.onNotice(pdu, text);
      return;
    }
    if (kind === 'other') {
      this.o.logger.debug({ esmClass: pdu.esm_class }, 'a deliver_sm neither a reply nor a receipt (an SME acknowledgement, a reserved type): answered, dropped');
      return;
    }
    const phone = pdu.source_addr ?? '';
    this.onReply(phone.startsWith('+') ? phone : `+${phone}`, text, `${phone}:${pdu.sequence_number}`);
  }

  /**
   * A receipt or intermediate notification: its message by `receipted_message_id` (else the
   * text's `id:`), its state by `message_state` (else the text's `stat:`). A final state
   * tells the contact delivered or failed; a state on the way (ENROUTE, ACCEPTD, …) records
   * nothing (the contact stays queued, and the final receipt is waited for). One that names
   * no message of ours, or none still waited for (`receiptTimeoutMs`), is dropped.
   */
  private onNotice(pdu: SmppPdu, text: string): void {
    this.forgetUnconfirmed();
    const parsed = parseReceipt(text);
    // an empty TLV (some SMSCs send one) names no message: the text's id then
    const id = pdu.receipted_message_id !== undefined && pdu.receipted_message_id !== '' ? pdu.receipted_message_id : parsed?.id;
    const stat = pdu.message_state !== undefined ? (MESSAGE_STATES[pdu.message_state] ?? `state ${pdu.message_state}`) : parsed?.stat;
    const entry = id === undefined ? undefined : this.sent.get(id);
    if (id === undefined || stat === undefined || entry === undefined) {
      this.o.logger.debug({ esmClass: pdu.esm_class, known: entry !== undefined }, 'a receipt or notification for no message waiting for one, or without its state: dropped');
      return;
    }
    const outcome = receiptOutcome(stat);
    if (outcome === 'pending') {
      this.o.logger.debug({ instance: entry.instance, stat }, 'an SMS on its way (not a final state): its receipt waited for');
      return;
    }
    this.sent.delete(id);
    this.onReceipt(entry.instance, outcome, outcome === 'delivered' ? undefined : stat);
  }

  /**
   * Forgets the messages whose receipts have not come within `receiptTimeoutMs` and, past
   * `maxAwaitingReceipts`, the oldest: they count as having none. Nothing is recorded for
   * them (the SMSC took them, whether they reached the handset is not known: their contacts
   * stay queued, as the dispatcher left them); a warning says how many, once a minute at most.
   */
  private forgetUnconfirmed(): void {
    const now = this.wallClock();
    for (const [id, e] of this.sent) {
      const old = e.at <= now - this.receiptTimeoutMs;
      if (!old && this.sent.size <= this.maxAwaitingReceipts) break;
      this.sent.delete(id);
      if (old) this.unconfirmed.byAge++;
      else this.unconfirmed.byCount++;
    }
    const u = this.unconfirmed;
    if (u.byAge + u.byCount === 0 || now - u.loggedAt < 60_000) return;
    this.o.logger.warn(
      { noReceipt: u.byAge, forgottenPastCount: u.byCount, receiptTimeoutMs: this.receiptTimeoutMs, maxAwaitingReceipts: this.maxAwaitingReceipts },
      'SMS handed to the SMSC had no receipt in time (or more wait than are kept): forgotten, their contacts stay queued',
    );
    this.unconfirmed = { byAge: 0, byCount: 0, loggedAt: now };
  }

  /** A message handed to the SMSC (its last part's id): its receipt is waited for. */
  private awaitReceipt(id: string, instance: string): void {
    this.sent.delete(id);
    this.sent.set(id, { instance, at: this.wallClock() });
    this.forgetUnconfirmed();
  }

  /**
   * One `submit_sm`, settled on the SMSC's answer, on the session's close or error (the
   * library forgets a pending answer's callback when the socket closes: `bind` fails the
   * session's `pending` ones), at once when the library cannot write it, or after the submit
   * timeout: every attempt ends, and the dispatcher retries what failed. `accepted` is
   * called with the SMSC's message id in the turn its answer is read: a receipt read with it
   * (the library handles one read's PDUs in one synchronous loop) finds the id known.
   */
  private submit(session: SmppSession, fields: Record<string, unknown>, accepted?: (id: string) => void): Promise<string> {
    return new Promise((resolve, reject) => {
      let pending = this.pending.get(session);
      if (pending === undefined) this.pending.set(session, (pending = new Set()));
      const waiting = pending;
      const settle = (err: Error | undefined, id = ''): void => {
        if (!waiting.delete(fail)) return;
        if (waiting.size === 0 && this.pending.get(session) === waiting) this.pending.delete(session);
        clearTimeout(timer);
        if (err === undefined) resolve(id);
        else reject(err);
      };
      const fail = (why: string): void => settle(new KairosError('delivery_failed', `${why} before the submit_sm was answered`));
      waiting.add(fail);
      const timer = setTimeout(() => settle(new KairosError('delivery_failed', `SMPP submit_sm unanswered after ${this.submitTimeoutMs} ms`)), this.submitTimeoutMs);
      timer.unref();
      const written = session.submit_sm(fields, (pdu) => {
        if (pdu.command_status === 0) {
          if (waiting.has(fail)) accepted?.(pdu.message_id ?? '');
          settle(undefined, pdu.message_id ?? '');
        }
        else if (PERMANENT.has(pdu.command_status)) settle(new KairosError('delivery_refused', `SMPP submit_sm refused: status 0x${pdu.command_status.toString(16)}`));
        else settle(new KairosError('delivery_failed', `SMPP submit_sm failed: status 0x${pdu.command_status.toString(16)}`));
      });
      if (!written) settle(new KairosError('delivery_failed', 'SMPP connection not writable: submit_sm not sent'));
    });
  }

  /** An SMS costs the dispatcher's rate its parts (`KAIROS_SMPP_RATE` counts `submit_sm`s). */
  cost(r: OutboxRecord): number {
    return smsPartCount(r);
  }

  /**
   * Waits for the next part's turn at `ratePerSec` parts a second: a second's worth at once
   * (as the dispatcher's bucket), then one each 1/`ratePerSec` s; taken in the order asked.
   */
  private partTurn(): Promise<void> {
    const now = Date.now();
    const every = 1000 / Math.max(this.ratePerSec, 0.001);
    const due = Math.max(this.nextPartAt, now);
    this.nextPartAt = due + every;
    const wait = due - (1000 - every) - now;
    return wait <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, Math.ceil(wait)));
  }

  async send(r: OutboxRecord): Promise<void> {
    if (r.kind !== 'offer' || !('text' in r.content) || 'title' in r.content) throw new KairosError('delivery_refused', 'not an SMS');
    if (r.to === undefined) throw new KairosError('delivery_refused', 'no phone number');
    const session = await this.bind();
    const { encoding, parts } = smsParts(r.content.text);
    const ref = (this.ref = (this.ref + 1) % 256);
    for (const [i, part] of parts.entries()) {
      const message = encoding === 'ucs2' ? ucs2(part) : part;
      const fields: Record<string, unknown> = {
        source_addr: this.o.source,
        source_addr_ton: /^\d+$/.test(this.o.source) ? 1 : 5,
        destination_addr: r.to.replace(/^\+/, ''),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        data_coding: encoding === 'ucs2' ? 8 : 0,
        // A receipt for the last part: it stands for the whole message.
        registered_delivery: i === parts.length - 1 ? 1 : 0,
        short_message: parts.length === 1 ? message : { udh: Buffer.from([0x05, 0x00, 0x03, ref, parts.length, i + 1]), message },
      };
      await this.partTurn();
      // The last part's id stands for the message: known before its receipt can be read.
      await this.submit(session, fields, i === parts.length - 1 ? (id) => this.awaitReceipt(id, r.instance) : undefined);
    }
    const to = r.to.startsWith('+') ? r.to : `+${r.to}`;
    this.lastSent.delete(to);
    this.lastSent.set(to, r.instance);
    if (this.lastSent.size > MAX_RECIPIENTS) this.lastSent.delete(this.lastSent.keys().next().value ?? '');
    await this.rememberSent(to, r);
  }

  /**
   * Keeps in the store that this phone's last SMS was this offer's, once it is handed to the
   * SMSC (one entry per phone, overwritten by the next SMS, read only until the offer
   * expires). A failed write is logged, not thrown: the SMS went, and must not go again.
   */
  private async rememberSent(to: string, r: OutboxRecord & { kind: 'offer' }): Promise<void> {
    const key = this.replyKey(to);
    if (key === undefined) return;
    const entry: SmsReplyEntry = { instance: r.instance, expiresAt: r.expiresAt };
    try {
      await this.o.replies?.store.putMeta(key, entry);
    } catch (err) {
      this.o.logger.warn({ err, instance: r.instance }, 'keeping the last SMS to a phone failed; a reply after a restart goes by the phone\'s link');
    }
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.rebind !== undefined) clearTimeout(this.rebind);
    const s = this.session;
    this.session = undefined;
    if (s === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 1000);
      s.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
