import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';
import { open } from 'lmdb';
import type { ContactIdentifierKind } from '../../actors/index.js';
import type { DataDirLock } from '../store/data-dir-lock.js';
import { lockDataDir } from '../store/data-dir-lock.js';

/**
 * Which shard an identifier (card, phone, e-mail, cookie) belongs to: the main thread's
 * routing index, an LMDB environment of its own (`<data dir>/directory`), keyed by a keyed
 * hash of the identifier (never the card number itself). Only the main thread writes it, at
 * routing time, so no two shards are ever sent the same new identifier: the first event that
 * names one claims it for the shard it goes to, and every later event naming it goes there
 * too. The shard's own store stays the authority on who holds the identifier (its host
 * resolves it there, as a single node does); the directory only says where to ask.
 *
 * A claim is durable before the shard is sent the request that makes it (`barrier()`, which
 * the router awaits before posting the batches taken after the claim), so a shard never
 * commits a link the directory does not have.
 */
export class ShardDirectory {
  private readonly db: RootDatabase<number, Buffer>;
  /** claims not yet committed (the index's reads see only what is), by key */
  private readonly recent = new Map<string, number>();
  /** the last claim's write: committed, every claim before it is (lmdb-js commits in order) */
  private last: Promise<unknown> | undefined;
  private readonly secret: Buffer;

  private readonly lock: DataDirLock;

  /** Opens the index in `<dataDir>/directory`; throws `conflict`, naming the pid, while another router (this process's or another's) has it open. */
  constructor(dataDir: string, secret: string) {
    const dir = join(dataDir, 'directory');
    mkdirSync(dir, { recursive: true });
    this.lock = lockDataDir(dir);
    try {
      this.db = open<number, Buffer>({ path: join(dir, 'index.mdb'), keyEncoding: 'binary', compression: false });
    } catch (err) {
      this.lock.release();
      throw err;
    }
    this.secret = createHmac('sha256', 'kairos shard directory').update(secret).digest();
  }

  private keyOf(kind: ContactIdentifierKind, value: string): Buffer {
    return createHmac('sha256', this.secret).update(kind).update(':').update(value).digest().subarray(0, 16);
  }

  /** The shard the identifier was claimed for, if any. */
  shardOf(kind: ContactIdentifierKind, value: string): number | undefined {
    const key = this.keyOf(kind, value);
    return this.recent.get(key.toString('latin1')) ?? this.db.get(key);
  }

  /** Claims the identifier for `shard` (written with the next commit of the index). */
  claim(kind: ContactIdentifierKind, value: string, shard: number): void {
    const key = this.keyOf(kind, value);
    const k = key.toString('latin1');
    this.recent.set(k, shard);
    const put = this.db.put(key, shard);
    // Committed or failed, it is no longer in flight: a failed claim is made again by the next event naming the identifier.
    const done = (): void => {
      if (this.recent.get(k) === shard) this.recent.delete(k);
    };
    put.then(done, done);
    this.last = put;
  }

  /**
   * Resolves once every claim made so far is committed, rejects when the last one's write
   * failed; undefined when none is in flight.
   */
  barrier(): Promise<unknown> | undefined {
    if (this.recent.size === 0) return undefined;
    return this.last;
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
