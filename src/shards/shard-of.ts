import type { CustomerRef } from '../../actors/index.js';
import { contactIdentifierKinds, fnv1a } from '../../actors/index.js';
import { newCustomerId } from '../runtime/identity.js';

/**
 * Which shard owns a key: FNV-1a over the key's UTF-16 code units, modulo the shard count.
 * Stable across versions and processes (a data dir's customers stay on their shard), cheap
 * (no allocation) and even enough for ids and identifiers (src/shards/shards.test.ts, "shard routing").
 */
export function shardOf(key: string, count: number): number {
  return count <= 1 ? 0 : fnv1a(key) % count;
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
    const id = newCustomerId(prefix);
    if (shardOf(id, count) === shard) return id;
  }
}
