import { parseArgs } from 'node:util';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { commandConfig } from './command-config.js';
import { lmdbOptions } from '../host-parts.js';
import { SegmentLedger, recountSegments } from '../runtime/segment-ledger.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { singleNodeStoreDir } from '../shards/shard-count.js';

export const segmentsUsage = `usage: kairos segments recount [--data-dir DIR]
  Rebuilds every segment's size and member list from the stored snapshots of the LMDB store
  of KAIROS_DATA_DIR (no server may hold it: the data-dir lock says so). Today's size becomes
  the count; older days of the size history stay. docs/catalog.md#segments`;

export interface SegmentsIo {
  env: Readonly<Record<string, string | undefined>>;
  out: (text: string) => void;
  err: (text: string) => void;
  /** the clock that names today (the system clock; tests pass a manual one) */
  clock?: Clock;
}

/**
 * `kairos segments recount`: the store's segment sizes and member index rebuilt by a scan
 * (`recountSegments`). Prints one line per segment (`<id> <size>`), then
 * `segments: customers=N segments=S s=T`. Resolves with the exit code: 0 done, 1 the store
 * could not be opened or read (held by a server), 2 bad usage.
 */
export async function segmentsCommand(argv: readonly string[], io: SegmentsIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { 'data-dir': { type: 'string' } } });
  } catch (err) {
    io.err(`kairos segments: ${(err as Error).message}\n${segmentsUsage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'recount') {
    io.err(`${segmentsUsage}\n`);
    return 2;
  }
  const config = commandConfig('segments', io.env, values['data-dir'], io.err);
  if (config === undefined) return 2;
  if (config.store !== 'lmdb') {
    io.err('kairos segments: recounts the LMDB store of KAIROS_DATA_DIR (KAIROS_STORE=lmdb); a Redis store is recounted by a node at its start (docs/catalog.md#segments)\n');
    return 2;
  }
  let store: LmdbStore;
  try {
    store = new LmdbStore(singleNodeStoreDir(config.dataDir, 'segments'), { ...lmdbOptions(config), prefetch: false });
  } catch (err) {
    io.err(`kairos segments: ${(err as Error).message}\n`);
    return 1;
  }
  const started = performance.now();
  try {
    const ledger = new SegmentLedger(io.clock ?? systemClock);
    await ledger.counters.loadFrom(store, 1_000_000);
    const r = await recountSegments(store, ledger);
    for (const [id, size] of [...r.sizes].sort(([a], [b]) => (a < b ? -1 : 1))) io.out(`${id} ${size}\n`);
    io.out(`segments: customers=${r.snapshots} segments=${r.sizes.size} s=${((performance.now() - started) / 1000).toFixed(2)}\n`);
    return 0;
  } catch (err) {
    io.err(`kairos segments: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
