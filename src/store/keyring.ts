import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, keepPrivate } from './private-files.js';

/**
 * Per-customer keys for what the LMDB store holds about a person (docs/privacy.md), in a file
 * of their own beside `data.mdb`: `keys.bin`, 32-byte slots. LMDB is copy-on-write, so a value
 * it deletes stays readable in its free pages; this file is written in place, so erasing a
 * customer overwrites the slot of their key with zeros and flushes it (fdatasync), and every
 * copy of their data left in LMDB's pages becomes unreadable ciphertext.
 *
 * Slot 0 holds the store's index secret (the identity index keys are HMACs under it); the
 * others hold customer keys, a slot of zeros being free. Which customer has which slot is kept
 * in the store (a slot number is no secret). A key is flushed to disk before the LMDB commit
 * that first uses it (`sync`).
 */

const SLOT = 32;
const FILE = 'keys.bin';
/** the first byte of a sealed value: a byte MessagePack never uses, so a value written before sealing reads as it was */
export const SEALED = 0xc1;
const IV = 12;
const TAG = 16;
const ZERO = Buffer.alloc(SLOT);

export class Keyring {
  private readonly fd: number;
  private slots: number;
  private readonly free: number[] = [];
  private readonly cache = new Map<number, Buffer>();
  private dirty = false;
  /** keys allocated `deferred`, not yet written (`sync` writes them) */
  private readonly pending = new Map<number, Buffer>();
  /** the key of the identity index's HMACs (slot 0) */
  readonly indexSecret: Buffer;

  constructor(dir: string) {
    // created if missing ('a', readable by its owner only, and made so if a copy left it otherwise); then read and written at positions (pread, pwrite)
    closeSync(openSync(join(dir, FILE), 'a', PRIVATE_FILE_MODE));
    keepPrivate([join(dir, FILE)]);
    this.fd = openSync(join(dir, FILE), 'r+');
    this.slots = Math.floor(fstatSync(this.fd).size / SLOT);
    if (this.slots === 0) {
      writeSync(this.fd, randomBytes(SLOT), 0, SLOT, 0);
      fdatasyncSync(this.fd);
      this.slots = 1;
    }
    this.indexSecret = this.read(0) ?? randomBytes(SLOT);
    const chunk = Buffer.alloc(SLOT * 4096);
    for (let at = 1; at < this.slots; at += 4096) {
      const n = Math.floor(readSync(this.fd, chunk, 0, chunk.length, at * SLOT) / SLOT);
      for (let i = 0; i < n; i++) if (chunk.subarray(i * SLOT, (i + 1) * SLOT).equals(ZERO)) this.free.push(at + i);
    }
  }

  private read(slot: number): Buffer | undefined {
    const key = Buffer.alloc(SLOT);
    if (readSync(this.fd, key, 0, SLOT, slot * SLOT) !== SLOT || key.equals(ZERO)) return undefined;
    return key;
  }

  /** The key in `slot`; undefined once destroyed. */
  key(slot: number): Buffer | undefined {
    const cached = this.cache.get(slot) ?? this.pending.get(slot);
    if (cached !== undefined) return cached;
    const key = this.read(slot);
    if (key === undefined) return undefined;
    if (this.cache.size >= 100_000) this.cache.clear();
    this.cache.set(slot, key);
    return key;
  }

  /**
   * A new key in a free slot, written but not yet flushed: `sync` before a commit uses it.
   * `deferred` (an import's batch, which calls `sync` at its end): written by `sync` too, the
   * batch's keys in a few writes instead of one each.
   */
  allocate(deferred = false): number {
    const slot = this.free.pop() ?? this.slots++;
    const key = Buffer.from(nextRandom(SLOT));
    if (deferred) this.pending.set(slot, key);
    else writeSync(this.fd, key, 0, SLOT, slot * SLOT);
    this.cache.set(slot, key);
    this.dirty = true;
    return slot;
  }

  /**
   * A key drawn elsewhere (`newCustomerKey`: the import's worker seals a new customer's record
   * under it) kept in a free slot as `allocate(true)` keeps its own: written by `sync`.
   */
  adopt(key: Uint8Array): number {
    const slot = this.free.pop() ?? this.slots++;
    const copy = Buffer.from(key);
    this.pending.set(slot, copy);
    this.cache.set(slot, copy);
    this.dirty = true;
    return slot;
  }

  /** Writes and flushes keys allocated since the last flush. */
  sync(): void {
    if (!this.dirty) return;
    this.writePending();
    fdatasyncSync(this.fd);
    this.dirty = false;
  }

  /** Deferred keys to the file, runs of adjacent slots in one write each. */
  private writePending(): void {
    if (this.pending.size === 0) return;
    const slots = [...this.pending.keys()].sort((a, b) => a - b);
    for (let i = 0; i < slots.length; ) {
      let j = i + 1;
      while (j < slots.length && slots[j] === slots[j - 1]! + 1) j++;
      const run = Buffer.concat(slots.slice(i, j).map((s) => this.pending.get(s)!));
      writeSync(this.fd, run, 0, run.length, slots[i]! * SLOT);
      i = j;
    }
    this.pending.clear();
  }

  /** Overwrites the slot with zeros, on disk before it returns. The slot is reused after `release`. */
  destroy(slot: number): void {
    this.pending.delete(slot);
    writeSync(this.fd, ZERO, 0, SLOT, slot * SLOT);
    fdatasyncSync(this.fd);
    this.cache.delete(slot);
  }

  /**
   * Keys drawn for a write that did not commit (`allocate`, `adopt`): no record names their
   * slots, so they are overwritten with zeros (one flush for them all) and free again at once.
   */
  discard(slots: readonly number[]): void {
    if (slots.length === 0) return;
    for (const slot of slots) {
      this.pending.delete(slot);
      this.cache.delete(slot);
      writeSync(this.fd, ZERO, 0, SLOT, slot * SLOT);
    }
    fdatasyncSync(this.fd);
    this.free.push(...slots);
  }

  /** A slot that is not free though it may hold zeros (an erasure under way names it: `LmdbStore`'s journal). */
  reserve(slot: number): void {
    const at = this.free.indexOf(slot);
    if (at >= 0) this.free.splice(at, 1);
  }

  /** A destroyed slot, free again once no record names it. */
  release(slot: number): void {
    this.free.push(slot);
  }

  close(): void {
    this.writePending();
    closeSync(this.fd);
  }
}

/**
 * Random IVs drawn from a pool filled 4,096 at a time: one call to the system's random source
 * per 4,096 seals instead of one per seal (about 9 µs each here, the most of a seal's cost).
 * Each IV is used once; a random 96-bit IV per message is GCM's recommended construction.
 */
const IV_POOL = 4096;
let ivPool = Buffer.alloc(0);
let ivAt = 0;

function nextIv(): Buffer {
  if (ivAt >= ivPool.length) {
    ivPool = randomBytes(IV * IV_POOL);
    ivAt = 0;
  }
  const iv = ivPool.subarray(ivAt, ivAt + IV);
  ivAt += IV;
  return iv;
}

/** New customer keys drawn the same way (an import allocates one a row): a pool of its own, each byte used once. */
let keyPool = Buffer.alloc(0);
let keyAt = 0;

function nextRandom(n: number): Buffer {
  if (keyAt + n > keyPool.length) {
    keyPool = randomBytes(SLOT * IV_POOL);
    keyAt = 0;
  }
  const bytes = keyPool.subarray(keyAt, keyAt + n);
  keyAt += n;
  return bytes;
}

/** A value sealed away from the store under a new key of its own (`newCustomerKey`), with that key: `LmdbStore.importCustomers`' `sealed`. */
export interface SealedRecord {
  key: Uint8Array;
  bytes: Uint8Array;
}

/** A new customer key, drawn as `Keyring.allocate` draws one, for a record sealed away from the store (`Keyring.adopt`). */
export function newCustomerKey(): Buffer {
  return Buffer.from(nextRandom(SLOT));
}

/** `bytes` encrypted with AES-256-GCM under `key`, bound to `context` (the customer id). */
export function seal(key: Buffer, context: string, bytes: Uint8Array): Buffer {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = cipher.update(bytes);
  const last = cipher.final();
  const out = Buffer.allocUnsafe(1 + IV + TAG + body.length + last.length);
  out[0] = SEALED;
  iv.copy(out, 1);
  cipher.getAuthTag().copy(out, 1 + IV);
  body.copy(out, 1 + IV + TAG);
  last.copy(out, 1 + IV + TAG + body.length);
  return out;
}

/** `seal`'s inverse; undefined when the key does not open it. */
export function unseal(key: Buffer, context: string, sealed: Uint8Array): Buffer | undefined {
  try {
    const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const decipher = createDecipheriv('aes-256-gcm', key, b.subarray(1, 1 + IV));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(b.subarray(1 + IV, 1 + IV + TAG));
    const body = decipher.update(b.subarray(1 + IV + TAG));
    const last = decipher.final();
    // GCM leaves nothing for `final`: no copy of the body then
    return last.length === 0 ? body : Buffer.concat([body, last]);
  } catch {
    return undefined;
  }
}

/** An identity index key that names no identifier: `h:<kind>:` and an HMAC of the value. */
export function hashedIdentityKey(secret: Buffer, kind: string, value: string): string {
  return `h:${kind}:${createHmac('sha256', secret).update(`${kind}:${value}`).digest('base64url')}`;
}
