/**
 * The Redis store's key layout (`<p>` is the prefix, `kairos` by default). Everything of one
 * customer carries the hash tag `{c:<id>}`, so it lives in one slot and one Lua script
 * changes it atomically:
 *
 *   <p>:{c:<id>}:cust      master data (MessagePack)
 *   <p>:{c:<id>}:snap      hash: `v` the snapshot (MessagePack), `rev` its revision; after an
 *                          erasure the tombstone: `rev` (past every node's copy) and `gone`
 *                          (when), expiring; a re-creation (import) leaves `rev` alone
 *   <p>:{c:<id>}:rem       hash: reminder key -> reminder (MessagePack)
 *   <p>:{c:<id>}:obx       hash: outbox entries committed with the snapshot, not yet relayed
 *
 * Shared keys, each group in a slot of its own:
 *
 *   <p>:id:<kind>:<value>  identifier -> customer id
 *   <p>:imported, <p>:seq  counters
 *   <p>:{stops}, :v        hash: stop entries; a counter bumped by every change (nodes reload on a new value)
 *   <p>:{stops}:m          hash: opt-out markers, stop key -> the version its last add made (the send claim reads them)
 *   <p>:{shared}:totals    hash: totals shared across customers and nodes (budgets, capacity)
 *   <p>:{ctr:<key>}        hash: a counter summed across nodes (path -> number); <p>:counters lists them
 *   <p>:{meta}:v, :k       hash of meta values, and their keys in a sorted set (range by prefix)
 *   <p>:{rem}:due          sorted set: reminder keys by due time (claimed atomically)
 *   <p>:{obx:<ch>}:s       the channel's outbox stream (consumer group `dispatch`)
 *   <p>:{obx:<ch>}:r, :i   hash: instance -> record; hash: instance -> stream entry id
 *   <p>:{obx:<ch>}:q       sorted set: instance by seq, the queue in order (paged listing)
 *   <p>:{obx:<ch>}:d       sorted set: instances delivered or removed (by time), so a relay
 *                          repeated after a crash never queues one again
 *   <p>:{obx}:dirty        set: customers with outbox entries committed and not yet relayed
 *   <p>:channels           set: every channel that had an outbox entry
 *   <p>:{audit}:head, :e   the audit trail: "<seq> <hash>" of its last entry; hash seq -> entry (JSON)
 *   <p>:lease:<key>        a lease on a piece of work: its owner, expiring (an outbound run's slice, the import lock: `import`, `import.next`)
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** One of a customer's keys (all in the customer's slot). */
  c(id: string, what: 'cust' | 'snap' | 'rem' | 'obx' | 'seg'): string {
    return `${this.prefix}:{c:${id}}:${what}`;
  }

  /** One of a channel's outbox keys (all in the channel's slot). */
  ch(channel: string, what: 's' | 'r' | 'i' | 'd' | 'q'): string {
    return `${this.prefix}:{obx:${channel}}:${what}`;
  }

  /** A channel's five outbox keys in the order the relay and removal scripts take them: s, r, i, d, q. */
  outbox(channel: string): [s: string, r: string, i: string, d: string, q: string] {
    return [this.ch(channel, 's'), this.ch(channel, 'r'), this.ch(channel, 'i'), this.ch(channel, 'd'), this.ch(channel, 'q')];
  }

  /** An identifier's link to its customer. */
  link(kind: string, value: string): string {
    return `${this.prefix}:id:${kind}:${value}`;
  }

  /** A segment's members: a sorted set, every score 0 (listed in id order). */
  segment(id: string): string {
    return `${this.prefix}:seg:${id}`;
  }

  /** A lease on a piece of work (`Coordination.claimLease`). */
  lease(key: string): string {
    return `${this.prefix}:lease:${key}`;
  }

  /** A counter summed across nodes. */
  counter(key: string): string {
    return `${this.prefix}:{ctr:${key}}`;
  }

  get counters(): string {
    return `${this.prefix}:counters`;
  }

  get dirty(): string {
    return `${this.prefix}:{obx}:dirty`;
  }

  get channels(): string {
    return `${this.prefix}:channels`;
  }

  get totals(): string {
    return `${this.prefix}:{shared}:totals`;
  }

  get due(): string {
    return `${this.prefix}:{rem}:due`;
  }

  get imported(): string {
    return `${this.prefix}:imported`;
  }

  get seq(): string {
    return `${this.prefix}:seq`;
  }

  get stops(): string {
    return `${this.prefix}:{stops}`;
  }

  get stopsVersion(): string {
    return `${this.prefix}:{stops}:v`;
  }

  get stopMarkers(): string {
    return `${this.prefix}:{stops}:m`;
  }

  get metaValues(): string {
    return `${this.prefix}:{meta}:v`;
  }

  get auditHead(): string {
    return `${this.prefix}:{audit}:head`;
  }

  get auditEntries(): string {
    return `${this.prefix}:{audit}:e`;
  }

  get metaKeys(): string {
    return `${this.prefix}:{meta}:k`;
  }
}

/** The customer a reminder key (`<customer>|<name>`) belongs to, whose `rem` hash holds it. */
export function customerOfReminder(key: string): string {
  const i = key.indexOf('|');
  return i < 0 ? key : key.slice(0, i);
}
