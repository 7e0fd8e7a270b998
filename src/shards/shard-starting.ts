/**
 * Why a node with shards should take no traffic now: the first shard not taking requests (being
 * started again), from the flags the main thread keeps in shared memory (1 for each shard that
 * takes requests: Shards.markReady); undefined when every shard does. The node's port and each
 * shard's gateway port answer `/ready` from it alike.
 */
export function shardStarting(up: Int32Array): string | undefined {
  for (let i = 0; i < up.length; i++) if (Atomics.load(up, i) !== 1) return `shard ${i} is starting`;
  return undefined;
}
