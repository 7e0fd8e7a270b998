import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import type { HostReply } from '../runtime/host-options.js';
import { RouterStandIn } from './router-stand-in.js';
import type { FromShard } from './shard-messages.js';

/** A shard's gateway connections' requests to the node's router: batched a turn, answered by seq, bounded as a host's admission. */

const event = (id: string): GatewayEvent => ({ id, type: 'web.pageview', customer: { cookie: `ck-${id}` }, channel: 'web' });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('RouterStandIn', () => {
  it('posts a turn\'s requests in one batch, in order, and answers each by its number', async () => {
    const posted: FromShard[] = [];
    const r = new RouterStandIn({ post: (m) => posted.push(m), maxInFlight: 10, maxQueueMs: 0 });
    const a = r.submitEvent(event('a'));
    const b = r.submitEvent(event('b'));
    await turn();
    expect(posted).toHaveLength(1);
    const batch = posted[0] as Extract<FromShard, { t: 'gw' }>;
    expect(batch.requests.map((q) => q[2].id)).toEqual(['a', 'b']);
    const reply = (re: string): HostReply => ({ kind: 'error', re, code: 'invalid', message: re });
    r.answered([[batch.requests[1]![0], reply('b')], [batch.requests[0]![0], reply('a')]]);
    expect(await a).toMatchObject({ re: 'a' });
    expect(await b).toMatchObject({ re: 'b' });
    expect(r.inFlight).toBe(0);
  });

  it('answers overloaded on the shard past maxInFlight awaiting answers, and again takes requests once answered', async () => {
    const posted: FromShard[] = [];
    const r = new RouterStandIn({ post: (m) => posted.push(m), maxInFlight: 3, maxQueueMs: 0 });
    const held = ['a', 'b', 'c'].map((id) => r.submitEvent(event(id)));
    expect(await r.submitEvent(event('d'))).toMatchObject({ kind: 'error', re: 'd', code: 'overloaded', message: expect.stringContaining('too many requests in flight') as string });
    await turn();
    const batch = posted[0] as Extract<FromShard, { t: 'gw' }>;
    // (the refused one was never posted)
    expect(batch.requests.map((q) => q[2].id)).toEqual(['a', 'b', 'c']);
    r.answered([[batch.requests[0]![0], { kind: 'error', re: 'a', code: 'invalid', message: 'x' }]]);
    await held[0];
    const e = r.submitEvent(event('e'));
    await turn();
    expect((posted[1] as Extract<FromShard, { t: 'gw' }>).requests.map((q) => q[2].id)).toEqual(['e']);
    expect(r.inFlight).toBe(3);
    void e;
  });

  it('answers overloaded once the oldest request awaiting its answer has waited past maxQueueMs', async () => {
    let now = 1000;
    const posted: FromShard[] = [];
    const r = new RouterStandIn({ post: (m) => posted.push(m), maxInFlight: 100, maxQueueMs: 50, now: () => now });
    void r.submitEvent(event('a'));
    now += 30;
    void r.submitEvent(event('b'));
    now += 21;
    expect(await r.submitEvent(event('c'))).toMatchObject({ code: 'overloaded', message: expect.stringContaining('51 ms, past the 50 ms bound') as string });
    await turn();
    const batch = posted[0] as Extract<FromShard, { t: 'gw' }>;
    // the oldest answered: the next oldest has waited 21 ms
    r.answered([[batch.requests[0]![0], { kind: 'error', re: 'a', code: 'invalid', message: 'x' }]]);
    expect(r.inFlight).toBe(1);
    const d = r.submitEvent(event('d'));
    expect(r.inFlight).toBe(2);
    void d;
  });

  it('gives up a request whose answer never came after 300 s, so the admission bound opens again', async () => {
    let now = 1000;
    const posted: FromShard[] = [];
    const r = new RouterStandIn({ post: (m) => posted.push(m), maxInFlight: 100, maxQueueMs: 50, now: () => now });
    const lost = r.submitEvent(event('lost'));
    now += 60_000;
    expect(await r.submitEvent(event('refused'))).toMatchObject({ code: 'overloaded', message: expect.stringContaining('past the 50 ms bound') as string });
    now += 240_001;
    const taken = r.submitEvent(event('taken'));
    expect(await lost).toMatchObject({ kind: 'error', re: 'lost', code: 'overloaded', message: expect.stringContaining('no answer came in 300 s') as string });
    expect(r.inFlight).toBe(1);
    await turn();
    expect(posted.flatMap((m) => (m.t === 'gw' ? m.requests.map((q) => q[2].id) : []))).toEqual(['lost', 'taken']);
    void taken;
  });
});
