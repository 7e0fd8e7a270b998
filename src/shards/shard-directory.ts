import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';
import { open } from 'lmdb';
import type { ContactIdentifierKind } from '../../actors/index.js';
import type { DataDirLock } from '../store/data-dir-lock.js';
import { lockDataDir } from '../store/data-dir-lock.js';
import { keepPrivate, mkdirPrivate } from '../store/private-files.js';

/**
 * Which shard an identifier (card, phone, e-mail, cookie) belongs to: the main thread's
 * routing index, an LMDB environment of its own (`<data dir>/directory`), keyed by a keyed
 * hash of the identifier (never the card number itself). Only the main thread writes it, at
 * routing time, so no two shards are ever sent the same new identifier: the first event that
 * names one claims it for the shard it goes to, and every later event naming it goes there
 * too. The shard's own store stays the authority on who holds the identifier (its host
 * resolves it there, as a single node does); the directory only says where to ask.
 *
 * A claim is durable before the shard is sent a request that makes it or reads it (each
 * request carries the claims' writes it depends on, and the router posts it once they have
 * settled, refusing it when one failed), so a shard never commits a link the directory does
 * not have.
 */
/** A claim's write to the index: settled once committed or failed. */
export interface ClaimWrite {
  readonly done: Promise<void>;
  settled: boolean;
  failed: boolean;
}

/** Where an identifier was claimed, and the write of that claim while it is not committed. */
export interface Claimed {
  shard: number;
  /** a cookie claimed by an anonymous visitor's first visit (a login elsewhere takes it: `Shards.route`) */
  visitor: boolean;
  /** the claim's write while in flight (a request that reads it depends on it) */
  write?: ClaimWrite;
}

/** Committed claims kept in memory by identifier (most recent use last): most events name an identifier seen shortly before. */
const CACHED = 100_000;

export class ShardDirectory {
  private readonly db: RootDatabase<number, Buffer>;
  /** claims not yet committed (the index's reads see only what is), by key */
  private readonly recent = new Map<string, Claimed & { write: ClaimWrite }>();
  /** committed claims by `kind:value`, at most CACHED (a lookup then needs no hash and no read; only this thread writes the index) */
  private readonly cache = new Map<string, Claimed>();
  private readonly secret: Buffer;

  private readonly lock: DataDirLock;

  /** Opens the index in `<dataDir>/directory`; throws `conflict`, naming the pid, while another router (this process's or another's) has it open. */
  constructor(dataDir: string, secret: string) {
    const dir = join(dataDir, 'directory');
    mkdirPrivate(dir);
    this.lock = lockDataDir(dir);
    try {
      this.db = open<number, Buffer>({ path: join(dir, 'index.mdb'), keyEncoding: 'binary', compression: false });
      keepPrivate([join(dir, 'index.mdb'), join(dir, 'index.mdb-lock')]);
    } catch (err) {
      this.lock.release();
      throw err;
    }
    this.secret = createHmac('sha256', 'kairos shard directory').update(secret).digest();
  }

  private keyOf(kind: ContactIdentifierKind, value: string): Buffer {
    return createHmac('sha256', this.secret).update(kind).update(':').update(value).digest().subarray(0, 16);
  }

  /** The shard the identifier was claimed for, with the claim's write while it is in flight; undefined: never claimed. */
  lookup(kind: ContactIdentifierKind, value: string): Claimed | undefined {
    const id = `${kind}:${value}`;
    const cached = this.cache.get(id);
    if (cached !== undefined) {
      // (most recently used last)
      this.cache.delete(id);
      this.cache.set(id, cached);
      return cached;
    }
    const key = this.keyOf(kind, value);
    const recent = this.recent.get(key.toString('latin1'));
    if (recent !== undefined) return recent;
    const stored = this.db.get(key);
    if (stored === undefined) return undefined;
    // (a visitor's cookie is stored as -(shard + 1))
    const found = stored < 0 ? { shard: -stored - 1, visitor: true } : { shard: stored, visitor: false };
    this.remember(id, found);
    return found;
  }

  private remember(id: string, claimed: Claimed): void {
    this.cache.set(id, claimed);
    if (this.cache.size > CACHED) this.cache.delete(this.cache.keys().next().value as string);
  }

  /**
   * Claims the identifier for `shard`; the write settles once committed (or failed: the claim
   * is then forgotten, and made again by the next event naming the identifier).
   */
  claim(kind: ContactIdentifierKind, value: string, shard: number, visitor = false): ClaimWrite {
    const key = this.keyOf(kind, value);
    const k = key.toString('latin1');
    const id = `${kind}:${value}`;
    // (the claim in flight answers lookups until it is committed; then the cache does)
    this.cache.delete(id);
    const settle = (failed: boolean): void => {
      write.settled = true;
      write.failed = failed;
      if (this.recent.get(k)?.write !== write) return;
      this.recent.delete(k);
      if (!failed) this.remember(id, { shard, visitor });
    };
    const write: ClaimWrite = {
      done: this.db.put(key, visitor ? -shard - 1 : shard).then(
        () => settle(false),
        () => settle(true),
      ),
      settled: false,
      failed: false,
    };
    this.recent.set(k, { shard, visitor, write });
    return write;
  }

  /** Forgets an identifier claimed for `shard` (its customer there was erased); one claimed since for another shard, or in flight, stays. */
  async forget(kind: ContactIdentifierKind, value: string, shard: number): Promise<void> {
    const key = this.keyOf(kind, value);
    if (this.recent.has(key.toString('latin1'))) return;
    const stored = this.db.get(key);
    if (stored === undefined || (stored !== shard && stored !== -shard - 1)) return;
    await this.db.remove(key);
    // (after the removal is committed: a lookup meanwhile read the claim again)
    this.cache.delete(`${kind}:${value}`);
  }

  /** Resolves once every claim made so far has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.recent.values()].map((c) => c.write.done));
  }

  /** A value kept beside the index (the demo bank's marker). */
  getMark(name: string): unknown {
    return this.db.get(Buffer.from(`mark:${name}`));
  }

  putMark(name: string, value: number): Promise<boolean> {
    return this.db.put(Buffer.from(`mark:${name}`), value);
  }

  async close(): Promise<void> {
    await this.db.close();
    this.lock.release();
  }
}
