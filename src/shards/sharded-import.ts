import type { ApplyRows, Reject } from '../admin/customer-import-routes.js';
import type { Clock } from '../clock.js';
import type { ImportCounts } from '../import/import-customers.js';
import { emptyMapping } from '../import/import-mapping.js';
import { prepareRow, refuseDuplicate, rowIdentifiers } from '../import/prepare-row.js';
import type { SourceRow } from '../import/read-rows.js';
import type { Shards } from './shards.js';

/** Rows read before a batch is checked and handed to the shards, as a single node's import commits them. */
export const SHARDED_IMPORT_BATCH = 5000;

/** Rows checked between two turns of the event loop. */
const YIELD_EVERY = 250;

/**
 * The bulk import (`POST /v1/customers/import`) on a node with shards. A batch of rows at a
 * time, in file order, the main thread:
 * - checks each row on its own as the import does (`prepareRow`: the columns, an E.164 phone,
 *   the e-mail, dates, the time zone), refusing it with the same reasons;
 * - refuses a row whose id an earlier row named (`duplicate_id`, as a single node does);
 * - claims the row's phones, e-mails and cards in the node's directory for its id's shard (one
 *   another shard holds: `identifier_taken`, naming the column, nothing claimed);
 * then every shard applies its own rows at once, as one run of a single node's import (its
 * identity index, a stored record merged, the change told to a live customer); a row a shard
 * refuses comes back with its reason. The batch's rejects are told in line order, then its
 * progress. A claim whose row a shard then refuses stays, as for `PUT`: it only says which
 * shard to ask.
 */
export function rowsOverShards(shards: Pick<Shards, 'claimFor' | 'shardOf' | 'call'>, clock: Clock): ApplyRows {
  return async (rows, hooks) => {
    const counts: ImportCounts = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: 0 };
    // (one moment for the whole run, every shard's included: consents' times, ages, importedAt)
    const now = clock.now();
    /** ids met so far: the first row naming an id claims it, a later one is a duplicate */
    const seen = new Set<string>();
    let batch: SourceRow[] = [];

    const applyBatch = async (): Promise<void> => {
      const rejects: Reject[] = [];
      const refuse = (src: SourceRow, column: string, reason: string): void => void rejects.push({ line: src.line, column, reason, raw: src.raw });
      const claims: Array<{ src: SourceRow; id: string; claim: Promise<{ field: string } | undefined> }> = [];
      let checked = 0;
      for (const src of batch) {
        // (this thread routes every gateway event: it gives them their turn every few hundred rows)
        if (++checked % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
        const row = prepareRow(src, emptyMapping, { now });
        const outcome = refuseDuplicate(row, seen);
        if ('reason' in outcome) refuse(src, outcome.column, outcome.reason);
        else {
          // (each claim is looked up and made at once, in file order: a later row sees an earlier row's claim)
          const claim = shards.claimFor(row.id, rowIdentifiers(row, outcome));
          // (a failed claim is thrown where it is awaited, below; the others' are not left unhandled meanwhile)
          claim.catch(() => undefined);
          claims.push({ src, id: row.id, claim });
        }
      }
      const byShard = new Map<number, SourceRow[]>();
      for (const { src, id, claim } of claims) {
        const held = await claim;
        if (held !== undefined) {
          refuse(src, held.field, 'identifier_taken');
          continue;
        }
        const shard = shards.shardOf(id);
        const own = byShard.get(shard);
        if (own === undefined) byShard.set(shard, [src]);
        else own.push(src);
      }
      const handed = [...byShard];
      // Every shard's answer waited for, a failed one's too: nothing is still being written when
      // the import stops (and is audited). A batch that failed in one shard is not counted: the
      // progress stays at the last whole batch, a point a client can resume from; the rows other
      // shards committed meanwhile are found unchanged when imported again.
      const answers = await Promise.allSettled(handed.map(([shard, own]) => shards.call(shard, { op: 'importRows', rows: own, now })));
      const failed = answers.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      for (const a of answers) {
        if (a.status !== 'fulfilled') continue;
        counts.created += a.value.counts.created;
        counts.updated += a.value.counts.updated;
        counts.unchanged += a.value.counts.unchanged;
        rejects.push(...a.value.rejects);
      }
      counts.rows += batch.length;
      counts.rejected += rejects.length;
      for (const r of rejects.sort((x, y) => x.line - y.line)) hooks.onRejected(r);
      hooks.onProgress({ rows: counts.rows });
      batch = [];
    };

    for await (const src of rows) {
      batch.push(src);
      if (batch.length >= SHARDED_IMPORT_BATCH) await applyBatch();
    }
    await applyBatch();
    return counts;
  };
}
