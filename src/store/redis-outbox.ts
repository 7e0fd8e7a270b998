import { KairosError } from '../errors.js';
import { decode, encode } from './redis-codec.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisConnection, RedisScripts } from './redis-scripts.js';
import { OUTBOX_GROUP } from './redis-scripts.js';
import type { OutboxRecord } from './store.js';
import { failed, retried } from './store.js';

/** How long a relay or a removal remembers an instance, so a late repeat cannot queue it again. */
const DONE_RETENTION_MS = 7 * 86_400_000;

/**
 * How many times a change to an outbox record is read and made again when another writer
 * changed the record between the read and the write (`change`). Each miss means another
 * writer's change went in, so this many in a row is a record rewritten in a loop: the change
 * then gives up rather than spin.
 */
const CHANGE_ATTEMPTS = 20;

/**
 * The Redis store's outbox streams: a commit leaves its entries in the customer's `obx` hash
 * (and the customer in the dirty set); `relay` moves them to their channel's stream, record
 * hash and order index by an idempotent script, so a relay a crash interrupted is finished by
 * `relayPending` on the next start. Each node's dispatcher reads a channel's stream through
 * the consumer group `dispatch` (`claim`); a delivered entry is removed from all of them.
 * A dead letter leaves the stream (its record and its place in the order index stay, for the
 * listing and the retry): however many there are, no claim reads them; a retry adds it to the
 * stream again. A record is changed (a failed attempt, a retry, a merge's rehome) by a script
 * that writes it only if it is still the one read, read again otherwise: no writer's change
 * is lost to another's between its read and its write.
 */
export class RedisOutbox {
  /** channels already in the `channels` set */
  private readonly knownChannels = new Set<string>();

  constructor(
    private readonly redis: RedisConnection & RedisScripts,
    private readonly k: RedisKeys,
  ) {}

  /** Adds channels not seen before to the `channels` set (undefined: nothing to add). */
  noteChannels(channels: Iterable<string>): Promise<void> | undefined {
    const added = [...new Set(channels)].filter((c) => !this.knownChannels.has(c));
    if (added.length === 0) return undefined;
    return this.redis.sadd(this.k.channels, ...added).then(() => added.forEach((c) => this.knownChannels.add(c)));
  }

  /** Every channel that had an outbox entry. */
  channels(): Promise<string[]> {
    return this.redis.smembers(this.k.channels);
  }

  /**
   * Builds a channel's order index (`:q`) from its records where the two disagree: a store
   * written before the index. Idempotent, so several nodes starting at once do no harm.
   */
  async index(): Promise<void> {
    for (const channel of await this.channels()) {
      const [held, indexed] = await Promise.all([this.redis.hlen(this.k.ch(channel, 'r')), this.redis.zcard(this.k.ch(channel, 'q'))]);
      if (held === indexed) continue;
      const all = await this.redis.hgetallBuffer(this.k.ch(channel, 'r'));
      const entries = Object.entries(all).flatMap(([instance, b]) => [decode<OutboxRecord>(b).seq, instance]);
      if (entries.length > 0) await this.redis.zadd(this.k.ch(channel, 'q'), ...entries);
    }
  }

  /** Relays committed outbox entries to their channels' streams, then clears them from their customers. */
  async relay(records: readonly OutboxRecord[]): Promise<void> {
    if (records.length === 0) return;
    await Promise.all(records.map((r) => this.redis.kairosRelay(...this.k.outbox(r.channel), r.instance, encode(r), r.seq)));
    const byCustomer = new Map<string, string[]>();
    for (const r of records) byCustomer.set(r.customer, [...(byCustomer.get(r.customer) ?? []), `${r.channel}\u001f${r.instance}`]);
    await Promise.all(
      [...byCustomer].map(async ([id, fields]) => {
        await this.redis.hdel(this.k.c(id, 'obx'), ...fields);
        if ((await this.redis.hlen(this.k.c(id, 'obx'))) === 0) await this.redis.srem(this.k.dirty, id);
      }),
    );
  }

  /** Finishes relays a crash interrupted. */
  async relayPending(): Promise<number> {
    let relayed = 0;
    for (const id of await this.redis.smembers(this.k.dirty)) {
      const pending = await this.redis.hgetallBuffer(this.k.c(id, 'obx'));
      const records = Object.values(pending).map((b) => decode<OutboxRecord>(b));
      if (records.length === 0) await this.redis.srem(this.k.dirty, id);
      await this.relay(records);
      relayed += records.length;
    }
    return relayed;
  }

  /**
   * An erased customer's entries still in their `obx` hash (`<channel>\u001f<instance>`: another
   * node committed them just before the erasure's tombstone): marked done in their channel, so
   * the relay that node is about to make never queues them, and taken out if it did already.
   */
  async dropPending(fields: readonly string[]): Promise<void> {
    const now = Date.now();
    await Promise.all(
      fields.flatMap((f) => {
        const at = f.indexOf('\u001f');
        return at < 0 ? [] : [this.redis.kairosDrop(...this.k.outbox(f.slice(0, at)), f.slice(at + 1), now, now - DONE_RETENTION_MS)];
      }),
    );
  }

  /** Removes every relayed entry of a customer, in every channel (erasure). */
  async eraseCustomer(id: string): Promise<void> {
    for (const channel of await this.channels()) {
      const all = await this.redis.hgetallBuffer(this.k.ch(channel, 'r'));
      for (const [instance, b] of Object.entries(all)) {
        if (decode<OutboxRecord>(b).customer === id) await this.remove(channel, instance);
      }
    }
  }

  async list(channel: string, limit: number, afterSeq?: number): Promise<OutboxRecord[]> {
    // The order index holds the queued entries by seq (delivered ones leave it).
    const instances = await this.redis.zrangebyscore(this.k.ch(channel, 'q'), afterSeq === undefined ? '-inf' : `(${afterSeq}`, '+inf', 'LIMIT', 0, limit);
    return this.records(channel, instances);
  }

  async get(channel: string, instance: string): Promise<OutboxRecord | undefined> {
    const b = await this.redis.hgetBuffer(this.k.ch(channel, 'r'), instance);
    return b === null ? undefined : decode<OutboxRecord>(b);
  }

  async remove(channel: string, instance: string): Promise<boolean> {
    const now = Date.now();
    return (await this.redis.kairosRemove(...this.k.outbox(channel), instance, now, now - DONE_RETENTION_MS)) === 1;
  }

  /** A failed attempt (written only if the entry is still there: a concurrent removal wins); a dead letter leaves the stream. */
  fail(channel: string, instance: string, reason: string, next: { retryAt?: number; dead?: boolean }): Promise<boolean> {
    const dead = next.dead === true ? 1 : 0;
    return this.change(channel, instance, (read, r) => this.redis.kairosFail(...this.streamKeys(channel), instance, read, encode(failed(r, reason, next)), dead));
  }

  /** An entry due again now (written only if it is still there); a dead letter goes back into the stream. */
  retry(channel: string, instance: string): Promise<boolean> {
    return this.change(channel, instance, (read, r) => this.redis.kairosRetry(...this.streamKeys(channel), instance, read, encode(retried(r))));
  }

  /**
   * `CommitBatch.rehome`'s outbox part: each record of `from`, in every channel, rewritten in
   * place as `to`'s where it is still queued (its attempts, dead mark and place kept as they
   * are at the write, not as first read). Safe to repeat.
   */
  async rehome(from: string, to: string): Promise<void> {
    for (const channel of await this.channels()) {
      const all = await this.redis.hgetallBuffer(this.k.ch(channel, 'r'));
      for (const [instance, b] of Object.entries(all)) {
        if (decode<OutboxRecord>(b).customer !== from) continue;
        const moved = (read: Buffer, r: OutboxRecord): Promise<number> | undefined =>
          r.customer === from ? this.redis.kairosUpdateIfUnchanged(this.k.ch(channel, 'r'), instance, read, encode({ ...r, customer: to })) : undefined;
        await this.change(channel, instance, moved, b);
      }
    }
  }

  /**
   * Changes a record by `write` (a script given the record as read and the new one, answering
   * 1 written, 0 no such entry, -1 changed since the read; undefined: nothing to write), read
   * again and redone while another writer changes it in between. `first`: the record already
   * read. False when the entry is gone (or nothing was written).
   */
  private async change(channel: string, instance: string, write: (read: Buffer, r: OutboxRecord) => Promise<number> | undefined, first?: Buffer): Promise<boolean> {
    let read = first ?? (await this.redis.hgetBuffer(this.k.ch(channel, 'r'), instance));
    for (let attempt = 1; read !== null; attempt++) {
      const done = await write(read, decode<OutboxRecord>(read));
      if (done !== -1) return done === 1;
      if (attempt === CHANGE_ATTEMPTS) throw new KairosError('conflict', `outbox entry "${instance}" on ${channel} changed by other writers ${CHANGE_ATTEMPTS} times while it was being changed`);
      read = await this.redis.hgetBuffer(this.k.ch(channel, 'r'), instance);
    }
    return false;
  }

  /** A channel's stream, records and stream ids (the keys of the fail, retry and drop scripts). */
  private streamKeys(channel: string): [s: string, r: string, i: string] {
    return [this.k.ch(channel, 's'), this.k.ch(channel, 'r'), this.k.ch(channel, 'i')];
  }

  /**
   * Entries of a channel for this consumer (a node's dispatcher) through the stream's
   * consumer group: first its own pending ones (a retry's), then what other consumers left
   * pending longer than `minIdleMs` (a dead node's), then new ones. Each stays pending for
   * this consumer until removed or dead, so no other node sends it meanwhile. Dead letters
   * are not in the stream (`fail`); one read all the same (written before they left it) is
   * taken out of it here and left out of the answer, so the next claim reads past it.
   */
  async claim(channel: string, consumer: string, limit: number, minIdleMs: number): Promise<OutboxRecord[]> {
    const stream = this.k.ch(channel, 's');
    await this.ensureGroup(stream);
    type Entry = [string, string[]];
    // Its own pending entries first (waiting for a retry), then a dead consumer's, then new ones.
    const own = (await this.redis.xreadgroup('GROUP', OUTBOX_GROUP, consumer, 'COUNT', limit, 'STREAMS', stream, '0')) as Array<[string, Entry[]]> | null;
    const entries: Entry[] = (own ?? []).flatMap(([, list]) => list).filter((e) => e[1] !== null && e[1].length > 0);
    if (entries.length < limit) {
      const claimed = (await this.redis.xautoclaim(stream, OUTBOX_GROUP, consumer, minIdleMs, '0-0', 'COUNT', limit - entries.length)) as [string, Array<Entry | null>, string[]?];
      entries.push(...claimed[1].filter((e): e is Entry => e !== null && e[1] !== null));
    }
    if (entries.length < limit) {
      const read = (await this.redis.xreadgroup('GROUP', OUTBOX_GROUP, consumer, 'COUNT', limit - entries.length, 'STREAMS', stream, '>')) as Array<[string, Array<[string, string[]]>]> | null;
      for (const [, list] of read ?? []) entries.push(...list);
    }
    const instances = entries.map(([, fields]) => fields[fields.indexOf('i') + 1] ?? '');
    if (instances.length === 0) return [];
    const found = await this.redis.hmgetBuffer(this.k.ch(channel, 'r'), ...instances);
    const read = found.flatMap((b, n) => (b === null ? [] : [{ b, instance: instances[n] ?? '', r: decode<OutboxRecord>(b) }]));
    await Promise.all(read.filter((x) => x.r.dead === true).map((x) => this.redis.kairosDropDead(...this.streamKeys(channel), x.instance, x.b)));
    return read.flatMap((x) => (x.r.dead === true ? [] : [x.r]));
  }

  /** The records of these instances of a channel, in their order (those gone meanwhile left out). */
  private async records(channel: string, instances: readonly string[]): Promise<OutboxRecord[]> {
    if (instances.length === 0) return [];
    const found = await this.redis.hmgetBuffer(this.k.ch(channel, 'r'), ...instances);
    return found.flatMap((b) => (b === null ? [] : [decode<OutboxRecord>(b)]));
  }

  private async ensureGroup(stream: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', stream, OUTBOX_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message.includes('BUSYGROUP')) throw err;
    }
  }
}
