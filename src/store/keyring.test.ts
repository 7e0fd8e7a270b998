import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring, hashedIdentityKey, seal, unseal } from './keyring.js';
import { tempDir } from '../test-support/test-kairos.js';

describe('keyring', () => {
  let dir: { dir: string; remove: () => void };
  beforeEach(() => {
    dir = tempDir('kairos-keyring-');
  });
  afterEach(() => dir.remove());

  it('keeps keys across opens, and a destroyed key is zeros on disk and opens nothing', () => {
    const ring = new Keyring(dir.dir);
    const a = ring.allocate();
    const b = ring.allocate();
    ring.sync();
    const sealed = seal(ring.key(a)!, 'c-1', Buffer.from('Иванова'));
    expect(sealed.includes(Buffer.from('Иванова'))).toBe(false);
    expect(unseal(ring.key(a)!, 'c-1', sealed)?.toString()).toBe('Иванова');
    // bound to its customer: another id does not open it
    expect(unseal(ring.key(a)!, 'c-2', sealed)).toBeUndefined();
    const secret = ring.indexSecret;
    const keyA = ring.key(a)!;
    ring.close();

    const again = new Keyring(dir.dir);
    expect(again.indexSecret).toEqual(secret);
    expect(again.key(a)).toEqual(keyA);
    again.destroy(a);
    expect(again.key(a)).toBeUndefined();
    expect(readFileSync(join(dir.dir, 'keys.bin')).includes(keyA)).toBe(false);
    expect(again.key(b)).toBeDefined();
    again.release(a);
    expect(again.allocate()).toBe(a);
    again.close();
    // the reused slot holds its new key after a reopen
    const third = new Keyring(dir.dir);
    expect(third.key(a)).toBeDefined();
    third.close();
  });

  it('writes deferred keys at sync, adjacent slots together, each key its own', () => {
    const ring = new Keyring(dir.dir);
    const slots = Array.from({ length: 5 }, () => ring.allocate(true));
    const keys = slots.map((s) => ring.key(s)!);
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(5);
    // not on disk before sync
    expect(readFileSync(join(dir.dir, 'keys.bin')).includes(keys[0]!)).toBe(false);
    ring.destroy(slots[4]!);
    ring.sync();
    ring.close();
    const again = new Keyring(dir.dir);
    for (let i = 0; i < 4; i++) expect(again.key(slots[i]!)).toEqual(keys[i]);
    expect(again.key(slots[4]!)).toBeUndefined();
    again.close();
  });

  it('hashes identity keys under the index secret: no identifier in the key, another secret another key', () => {
    const one = hashedIdentityKey(Buffer.alloc(32, 1), 'phone', '+79161234567');
    expect(one).toMatch(/^h:phone:[\w-]{43}$/);
    expect(one).not.toContain('9161234567');
    expect(hashedIdentityKey(Buffer.alloc(32, 2), 'phone', '+79161234567')).not.toBe(one);
  });
});
