import { randomBytes } from 'node:crypto';
import type { CustomerRef } from '../../actors/index.js';
import { contactIdentifierKinds } from '../../actors/index.js';

/**
 * Which shard owns a key: FNV-1a over the key's UTF-16 code units, modulo the shard count.
 * Stable across versions and processes (a data dir's customers stay on their shard), cheap
 * (no allocation) and even enough for ids and identifiers (src/shards/shards.test.ts, "shard routing").
 */
export function shardOf(key: string, count: number): number {
  if (count <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

/**
 * The key an event is routed by: the bank's customer id when it names one, else its strongest
 * contact identifier (`kind:value`, in `contactIdentifierKinds`' order, as identity
 * resolution reads them). A customer created on first sight of that identifier gets an id of
 * the same shard (`shardCustomerId`), so its later events by id, and responses to its offers
 * (whose instance ids carry the customer id), reach it.
 */
export function routeKey(ref: CustomerRef): string | undefined {
  if (ref.id !== undefined) return ref.id;
  for (const kind of contactIdentifierKinds) {
    const value = ref[kind];
    if (value !== undefined) return `${kind}:${value}`;
  }
  return undefined;
}

/** A new customer id (`v-`/`p-` and 16 hex digits, as a single node makes them) that `shardOf` gives to `shard`. */
export function shardCustomerId(prefix: 'v' | 'p', shard: number, count: number): string {
  for (;;) {
    const id = `${prefix}-${randomBytes(8).toString('hex')}`;
    if (shardOf(id, count) === shard) return id;
  }
}
