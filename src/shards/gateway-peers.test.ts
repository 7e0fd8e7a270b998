import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { HostReply } from '../runtime/host-options.js';
import { GatewayPeers } from './gateway-peers.js';

const ack = (re: string): HostReply => ({ kind: 'ack', re, duplicate: false });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Lets a channel's message arrive (a turn of the loop, or a few while the test's thread is busy). */
async function until(test: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 5));
}

/** Two shards' gateways joined by a channel, as the main thread joins them (shards.ts `connectPeers`), in one thread. */
function pair(epochs: { a: number; b: number }) {
  const got = { a: [] as Array<readonly [number, HostReply]>, b: [] as Array<readonly [number, HostReply]> };
  const a = new GatewayPeers({ index: 0, epoch: epochs.a, local: (r) => got.a.push(...r) });
  const b = new GatewayPeers({ index: 1, epoch: epochs.b, local: (r) => got.b.push(...r) });
  const { port1, port2 } = new MessageChannel();
  a.add({ index: 1, epoch: epochs.b, port: port1 });
  b.add({ index: 0, epoch: epochs.a, port: port2 });
  return { a, b, got, close: () => (a.close(), b.close()) };
}

/** Shard 1's next worker (epoch 1), joined to `a` (shard 0, epoch 0) by a new channel, as the main thread joins them when it starts. */
function successor(a: GatewayPeers) {
  const got1: Array<readonly [number, HostReply]> = [];
  const b1 = new GatewayPeers({ index: 1, epoch: 1, local: (r) => got1.push(...r) });
  const { port1, port2 } = new MessageChannel();
  a.add({ index: 1, epoch: 1, port: port1 });
  b1.add({ index: 0, epoch: 0, port: port2 });
  return { b1, got1 };
}

describe("a shard's channels to the other shards' gateways", () => {
  it("answers its own worker's connection at once, and another shard's in one message a turn", async () => {
    const { a, b, got, close } = pair({ a: 0, b: 0 });
    a.answerFor([0, 0, 7], ack('own'));
    expect(got.a).toEqual([[7, ack('own')]]);
    a.answerFor([1, 0, 1], ack('x'));
    a.answerFor([1, 0, 2], ack('y'));
    expect(got.b).toEqual([]);
    await until(() => got.b.length === 2);
    expect(got.b).toEqual([
      [1, ack('x')],
      [2, ack('y')],
    ]);
    // and the other way
    b.answerFor([0, 0, 9], ack('z'));
    await until(() => got.a.length === 2);
    expect(got.a[1]).toEqual([9, ack('z')]);
    close();
  });

  it("drops an answer for a worker that is no longer the shard's, and answers its successor on the new channel", async () => {
    const { a, got, close } = pair({ a: 0, b: 0 });
    // shard 1's worker of epoch 0 stopped; its successor (epoch 1) has its own channel
    const { b1, got1 } = successor(a);
    a.answerFor([1, 0, 1], ack('for-the-old-one'));
    a.answerFor([1, 1, 1], ack('for-the-new-one'));
    await until(() => got1.length > 0);
    await turn();
    expect(got1).toEqual([[1, ack('for-the-new-one')]]);
    expect(got.b).toEqual([]);
    // its own connections of an earlier worker of its own: dropped too
    const a2 = new GatewayPeers({ index: 0, epoch: 2, local: (r) => got.a.push(...r) });
    a2.answerFor([0, 1, 3], ack('mine-before'));
    expect(got.a).toEqual([]);
    b1.close();
    close();
  });

  it('takes at once what a peer posted and the thread has not read yet (before its sockets close)', () => {
    const { a, b, got, close } = pair({ a: 0, b: 0 });
    a.answerFor([1, 0, 5], ack('late'));
    a.flush();
    // no turn of the loop between: read synchronously
    b.drain();
    expect(got.b).toEqual([[5, ack('late')]]);
    close();
  });

  it("takes what a peer's worker posted before it stopped when its successor's channel comes, before the old one closes", () => {
    const { a, b, got, close } = pair({ a: 0, b: 0 });
    // shard 1 (b) answered a connection of shard 0 and stopped; shard 0 had not read it yet
    b.answerFor([0, 0, 7], ack('decided-before-the-stop'));
    b.flush();
    const { port1, port2 } = new MessageChannel();
    a.add({ index: 1, epoch: 1, port: port1 });
    expect(got.a).toEqual([[7, ack('decided-before-the-stop')]]);
    port2.close();
    close();
  });

  it("drops what it gathered this turn for a peer's worker once its successor's channel comes", async () => {
    const { a, close } = pair({ a: 0, b: 0 });
    a.answerFor([1, 0, 5], ack('for-the-old-worker'));
    const { b1, got1 } = successor(a);
    a.answerFor([1, 1, 9], ack('for-the-new-one'));
    await until(() => got1.length > 0);
    await turn();
    expect(got1).toEqual([[9, ack('for-the-new-one')]]);
    b1.close();
    close();
  });
});
