import type { ResponseRecord } from '../../actors/index.js';
import { boundedResponseData, channels, withResponse } from '../../actors/index.js';
import { KairosError } from '../errors.js';
import type { StoredSnapshot } from '../store/store.js';

/**
 * Versions of the persisted customer snapshot. Bump SNAPSHOT_VERSION when the context's
 * shape changes, and add the step from the previous version to `migrations`; a snapshot is
 * migrated step by step when its actor is activated. Bump it too when a store writes the
 * snapshot in a way an earlier build would misread (with an identity step): that build
 * then refuses the snapshot with an `internal` KairosError naming both versions
 * (`snapshot version: …`), instead of failing on it at the customer's
 * next message.
 */
export const SNAPSHOT_VERSION = 7;

type Migration = (snapshot: unknown) => unknown;

interface V1Snapshot {
  value: unknown;
  context: Record<string, unknown>;
}

/** migrations[n] turns a version-n snapshot into version n + 1. */
const migrations: Readonly<Record<number, Migration>> = {
  // v2: the context holds marketing consents per channel; a v1 customer has none recorded.
  1: (snapshot) => {
    const s = snapshot as V1Snapshot;
    return { ...s, context: { consents: {}, ...s.context } };
  },
  // v3: the LMDB store writes the `seen` list as columns (snapshot-codec.ts) and reads it back
  // as it was; the context is the same.
  2: (snapshot) => snapshot,
  // v4: the context holds the `seen` list as columns, `{id: [...], at: [...], actions: [...]}`
  // (actors/customer-state.ts, SeenLog), not as rows `[{id, at, decision?: {actions}}]`. A
  // version-3 snapshot the LMDB store wrote as columns reads as columns already.
  3: (snapshot) => {
    const s = snapshot as V1Snapshot;
    const seen = s.context.seen;
    if (!Array.isArray(seen)) return snapshot;
    const rows = seen as Array<{ id: string; at: number; decision?: { actions: unknown[] } }>;
    return {
      ...s,
      context: { ...s.context, seen: { id: rows.map((r) => r.id), at: rows.map((r) => r.at), actions: rows.map((r) => r.decision?.actions ?? null) } },
    };
  },
  // v5: a feature's day buckets are one flat array, five numbers a day (actors/customer-state.ts,
  // DaySeries), not an array a day; a bucket of three (written before min and max were kept)
  // gets its average for both.
  4: (snapshot) => {
    const s = snapshot as V1Snapshot;
    const features = s.context.features;
    if (typeof features !== 'object' || features === null) return snapshot;
    const flat: Record<string, number[]> = {};
    for (const [id, buckets] of Object.entries(features as Record<string, unknown>)) {
      if (!Array.isArray(buckets)) continue;
      const series: number[] = [];
      for (const b of buckets as unknown[]) {
        if (!Array.isArray(b)) continue;
        const [day, count, sum, min, max] = b as number[];
        const mean = (sum as number) / (count as number);
        series.push(day as number, count as number, sum as number, min ?? mean, max ?? mean);
      }
      flat[id] = series;
    }
    return { ...s, context: { ...s.context, features: flat } };
  },
  // v6: the per-customer bounds (docs/operations.md, "Per-customer limits"). Responses keep
  // scalar data within its bounds, a repeated outcome for an instance is one record with a
  // `count`, 8 records an instance; consents are kept for known channels only. The seen log's
  // times are now the server's clock when each request came (they were the message's time,
  // close to it: kept as they are).
  5: (snapshot) => {
    const s = snapshot as V1Snapshot;
    const context = { ...s.context };
    if (Array.isArray(context.responses)) {
      let responses: ResponseRecord[] = [];
      for (const r of context.responses as ResponseRecord[]) {
        const { data, ...rest } = r;
        const bounded = boundedResponseData(data);
        responses = withResponse(responses, bounded === undefined ? rest : { ...rest, data: bounded });
      }
      context.responses = responses;
    }
    if (typeof context.consents === 'object' && context.consents !== null) {
      const known = new Set<string>(channels);
      context.consents = Object.fromEntries(Object.entries(context.consents as Record<string, unknown>).filter(([ch]) => known.has(ch)));
    }
    return { ...s, context };
  },
  // 6 → 7: the same shape. On LMDB a version-7 snapshot may have change records after it
  // (docs/runtime.md#change-records), which a build before them would not read: it refuses the
  // customer instead of reading their state as it was up to 15 commits earlier.
  6: (snapshot) => snapshot,
};

const VERSION_ERROR = 'snapshot version: ';

/** A snapshot this build cannot read: a fault of the server (an older build on a newer store), `internal`. */
function snapshotVersionError(problem: string): KairosError {
  return new KairosError('internal', VERSION_ERROR + problem);
}

export function migrateSnapshot(stored: StoredSnapshot): unknown {
  if (!Number.isInteger(stored.v) || stored.v < 1) throw snapshotVersionError(`${String(stored.v)} is not a valid version`);
  if (stored.v > SNAPSHOT_VERSION) {
    throw snapshotVersionError(`${stored.v} is newer than this build understands (${SNAPSHOT_VERSION})`);
  }
  let snapshot = stored.snapshot;
  for (let v = stored.v; v < SNAPSHOT_VERSION; v++) {
    const step = migrations[v];
    if (step === undefined) throw snapshotVersionError(`no migration from version ${v}`);
    snapshot = step(snapshot);
  }
  return snapshot;
}
