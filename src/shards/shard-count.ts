import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KairosError } from '../errors.js';
import { mkdirPrivate } from '../store/private-files.js';

/** The file in the data dir that records the shard count its customers are spread by. */
export const SHARD_COUNT_FILE = 'shards.json';

/** The shard count recorded in `dataDir`; undefined when none is (a new data dir, or a single node's). */
export function recordedShardCount(dataDir: string): number | undefined {
  const file = join(dataDir, SHARD_COUNT_FILE);
  if (!existsSync(file)) return undefined;
  const recorded = (JSON.parse(readFileSync(file, 'utf8')) as { shards?: unknown }).shards;
  return typeof recorded === 'number' ? recorded : undefined;
}

/**
 * The shard count recorded in `dataDir`, written when there is none; a different one is
 * refused, and so is a data dir a single node's store is in (its customers are not spread
 * over shards: moving them is not built yet).
 */
export function recordShardCount(dataDir: string, count: number): void {
  if (existsSync(join(dataDir, 'lmdb'))) {
    throw new KairosError('invalid', `the data dir ${dataDir} holds a single node's store (${join(dataDir, 'lmdb')}): shards start on a data dir of their own`);
  }
  const file = join(dataDir, SHARD_COUNT_FILE);
  if (existsSync(file)) {
    const recorded = (JSON.parse(readFileSync(file, 'utf8')) as { shards?: unknown }).shards;
    if (recorded !== count) {
      throw new KairosError('invalid', `the data dir ${dataDir} holds customers spread over ${String(recorded)} shards: start with KAIROS_SHARDS=${String(recorded)} (another count would look for customers on the wrong shard)`);
    }
    return;
  }
  mkdirPrivate(dataDir);
  // Written whole or not at all (a crash mid-write leaves no torn file).
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ shards: count })}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * A single node's store in `dataDir` (`<data dir>/lmdb`), for the offline commands (import,
 * segments, backup, restore); a data dir spread over shards is refused, naming it, before
 * anything is written there (a store made there would hold customers no node reads, and stop
 * the sharded node from starting).
 */
export function singleNodeStoreDir(dataDir: string, command: string): string {
  const shards = recordedShardCount(dataDir);
  if (shards !== undefined) {
    throw new KairosError('invalid', `the data dir ${dataDir} holds customers spread over ${shards} shards: kairos ${command} works on a single node's store, not on shards yet (docs/scale-out.md)`);
  }
  return join(dataDir, 'lmdb');
}
