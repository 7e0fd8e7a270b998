import { describe, expect, it } from 'vitest';
import type { OutboxRecord } from '../store/store.js';
import { NodeSms } from './smpp-relay.js';

/** The node's one SMPP bind as the shards' relays use it: once an offer instance, at the node's rate over every shard. */
describe('NodeSms', () => {
  const record = (instance: string, text = 'Привет'): OutboxRecord => ({ kind: 'offer', instance, customer: instance.split(':')[0]!, channel: 'sms', campaign: 'c', offer: 'o', content: { text }, expiresAt: 9e12, at: 1, to: '+79990000001', seq: 1, attempts: 0 });

  it('sends an instance once: a retry while it is being handed over joins it, one after it is answered sent', async () => {
    const sends: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const sms = new NodeSms(async (r) => {
      sends.push(r.instance);
      await gate;
    }, 1000);
    const first = sms.relay(record('c-1:1.a'));
    const retry = sms.relay(record('c-1:1.a'));
    const other = sms.relay(record('c-2:1.a'));
    release();
    await Promise.all([first, retry, other]);
    await sms.relay(record('c-1:1.a'));
    expect(sends).toEqual(['c-1:1.a', 'c-2:1.a']);
  });

  it('sends again an instance whose send failed (the shard retries it)', async () => {
    let fail = true;
    const sends: string[] = [];
    const sms = new NodeSms((r) => {
      sends.push(r.instance);
      return fail ? Promise.reject(new Error('SMSC down')) : Promise.resolve();
    }, 1000);
    await expect(sms.relay(record('c-1:1.a'))).rejects.toThrow('SMSC down');
    fail = false;
    await sms.relay(record('c-1:1.a'));
    expect(sends).toEqual(['c-1:1.a', 'c-1:1.a']);
  });

  it('keeps the node to its rate over every shard', async () => {
    const at: number[] = [];
    const sms = new NodeSms(() => {
      at.push(Date.now());
      return Promise.resolve();
    }, 20);
    await Promise.all(Array.from({ length: 5 }, (_, i) => sms.relay(record(`c-${i}:1.a`))));
    // five at 20 a second: the last 4 × 50 ms after the first (timers may fire a few ms early)
    expect(at[4]! - at[0]!).toBeGreaterThanOrEqual(180);
  });

  it('counts parts at the node\'s rate: after a 3-part SMS the next waits three slots', async () => {
    const at: number[] = [];
    const sms = new NodeSms(() => {
      at.push(Date.now());
      return Promise.resolve();
    }, 10);
    // 200 Cyrillic letters: three UCS-2 parts.
    const long = 'Ж'.repeat(200);
    await Promise.all([sms.relay(record('c-1:1.a', long)), sms.relay(record('c-2:1.a', long)), sms.relay(record('c-3:1.a'))]);
    // at 10 parts a second: 300 ms after the first, 600 ms after the first the third (timers may fire a few ms early)
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(290);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(590);
  });
});
