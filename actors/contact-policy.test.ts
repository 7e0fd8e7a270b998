import { describe, expect, it } from 'vitest';
import type { Cap } from './catalog/compiled-catalog.js';
import type { CountedContact } from './contact-policy.js';
import { blockingCap, capAllows, isStopped, isStoppedEverywhere } from './contact-policy.js';

const H = 3_600_000;
const sms = (at: number, marketing = true): CountedContact => ({ channel: 'sms', at, marketing });

/** The definition: after adding t, no half-open window [s, s + w) holds more than max contacts. */
function bruteForce(contacts: readonly CountedContact[], cap: Cap, channel: string, t: number): boolean {
  const times = [...contacts.filter((c) => c.marketing && (cap.channel === 'any' || c.channel === channel)).map((c) => c.at), t];
  if (cap.channel !== '*' && cap.channel !== 'any' && cap.channel !== channel) return true;
  return times.every((s) => times.filter((x) => x >= s && x < s + cap.windowMs).length <= cap.max);
}

/** A seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1_103_515_245 + 12_345) % 2_147_483_648;
    return a / 2_147_483_648;
  };
}

describe('frequency caps over sliding windows', () => {
  const daily: Cap = { channel: '*', max: 1, windowMs: 24 * H };

  it('allows one SMS a day, counting the window back and forward from the new contact', () => {
    expect(capAllows([], daily, 'sms', 0)).toBe(true);
    expect(capAllows([sms(10 * H)], daily, 'sms', 20 * H)).toBe(false);
    expect(capAllows([sms(10 * H)], daily, 'sms', 34 * H)).toBe(true);
    // An event that arrives late, with an earlier time, is still within a day of the one sent.
    expect(capAllows([sms(30 * H)], daily, 'sms', 20 * H)).toBe(false);
  });

  it('counts only marketing contacts, and only the cap’s channel', () => {
    expect(capAllows([sms(10 * H, false)], daily, 'sms', 11 * H)).toBe(true);
    expect(capAllows([{ channel: 'email', at: 10 * H, marketing: true }], daily, 'sms', 11 * H)).toBe(true);
    const any: Cap = { channel: 'any', max: 1, windowMs: 24 * H };
    expect(capAllows([{ channel: 'email', at: 10 * H, marketing: true }], any, 'sms', 11 * H)).toBe(false);
    const emailOnly: Cap = { channel: 'email', max: 1, windowMs: 24 * H };
    expect(capAllows([sms(10 * H)], emailOnly, 'sms', 11 * H)).toBe(true);
  });

  it('names the cap that blocks', () => {
    const weekly: Cap = { channel: 'any', max: 3, windowMs: 7 * 24 * H };
    const contacts = [sms(0), { channel: 'email', at: 30 * H, marketing: true }, { channel: 'ib', at: 60 * H, marketing: true }];
    expect(blockingCap(contacts, [daily, weekly], 'push', 90 * H)).toBe(weekly);
    expect(blockingCap(contacts, [daily, weekly], 'sms', 10 * H)).toBe(daily);
    expect(blockingCap(contacts, [daily, weekly], 'push', 200 * H)).toBeUndefined();
  });

  it('agrees with the definition on thousands of random histories, in any order of arrival', () => {
    const r = rng(42);
    for (let i = 0; i < 3000; i++) {
      const cap: Cap = { channel: r() < 0.3 ? 'any' : '*', max: 1 + Math.floor(r() * 4), windowMs: (1 + Math.floor(r() * 72)) * H };
      const contacts: CountedContact[] = [];
      // Build a history the way the actor does: a contact is recorded only if the cap allowed it.
      for (let k = 0; k < 12; k++) {
        const c: CountedContact = { channel: r() < 0.7 ? 'sms' : 'email', at: Math.floor(r() * 200) * H, marketing: r() < 0.9 };
        const allowed = capAllows(contacts, cap, c.channel, c.at);
        expect(allowed).toBe(bruteForce(contacts, cap, c.channel, c.at));
        if (allowed || !c.marketing) contacts.push(c);
      }
      // Whatever the order, the recorded history never breaks the cap.
      for (const ch of ['sms', 'email']) {
        const times = contacts.filter((c) => c.marketing && (cap.channel === 'any' || c.channel === ch)).map((c) => c.at);
        for (const s of times) expect(times.filter((x) => x >= s && x < s + cap.windowMs).length).toBeLessThanOrEqual(cap.max);
      }
    }
  });
});

describe('stop list scopes', () => {
  it('a global entry stops everything; a channel or campaign entry only that', () => {
    expect(isStoppedEverywhere([{}])).toBe(true);
    expect(isStoppedEverywhere([{ channel: 'sms' }])).toBe(false);
    expect(isStopped([{ channel: 'sms' }], 'a', 'sms')).toBe(true);
    expect(isStopped([{ channel: 'sms' }], 'a', 'email')).toBe(false);
    expect(isStopped([{ campaign: 'a' }], 'a', 'email')).toBe(true);
    expect(isStopped([{ campaign: 'a' }], 'b', 'email')).toBe(false);
    expect(isStopped([{ campaign: 'a', channel: 'sms' }], 'a', 'email')).toBe(false);
    expect(isStopped([], 'a', 'sms')).toBe(false);
  });
});
