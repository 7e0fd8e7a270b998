import type { Server, Socket } from 'node:net';
import { connect as tcpConnect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestKairos } from '../../../src/test-support/test-kairos.js';
import { msk, startTestKairos, uid, until } from '../../../src/test-support/test-kairos.js';
import type { Deliver } from './frames.js';
import { GatewayClient, GatewayClientError, GatewayError } from './gateway-client.js';

/**
 * The TypeScript reference client against a real Kairos (memory store, manual clock): an
 * event's decision, a response's ack, an error frame, a dropped connection with the request
 * sent again under the same id and decided once, and a subscription confirming what it is
 * pushed. The drop is made by a real TCP relay between the client and the server, which can
 * swallow the server's bytes and cut every connection.
 */

/** A TCP relay to the server: `hold` swallows what the server sends (counting it), `cut` destroys every connection. */
interface Relay {
  url: string;
  hold: boolean;
  held: number;
  cut: () => void;
  close: () => Promise<void>;
}

async function relayTo(port: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const relay = { hold: false, held: 0 } as Relay;
  const server: Server = createServer((down) => {
    const up = tcpConnect(port, '127.0.0.1');
    sockets.add(down);
    sockets.add(up);
    down.on('data', (d) => up.write(d));
    up.on('data', (d) => {
      if (relay.hold) relay.held += d.length;
      else down.write(d);
    });
    for (const s of [down, up]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        down.destroy();
        up.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no relay port');
  relay.url = `ws://127.0.0.1:${address.port}/v1/gateway`;
  relay.cut = () => {
    for (const s of sockets) s.destroy();
  };
  relay.close = async () => {
    relay.cut();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return relay;
}

/** The sum of a counter's series whose labels include `labels` (from GET /metrics). */
async function counter(k: TestKairos, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${k.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([l, v]) => line.includes(`${l}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const declined = (customer: string) => ({ type: 'atm.withdrawal.declined', customer: { id: customer }, channel: 'atm', data: { requested: 1000, balance: 800 } });

let k: TestKairos;
let client: GatewayClient;

beforeAll(async () => {
  k = await startTestKairos({ config: { store: 'memory', clock: 'manual' }, manualClockStart: msk('2026-11-23T10:00:00') });
  client = await GatewayClient.connect({ url: k.wsUrl, token: 'demo-gateway' });
});

afterAll(async () => {
  await client.close();
  await k.close();
});

describe('the TypeScript gateway client', () => {
  it("refuses to connect with a wrong token (the server's 401)", async () => {
    await expect(GatewayClient.connect({ url: k.wsUrl, token: 'wrong' })).rejects.toMatchObject({ name: 'GatewayClientError', code: 'unauthorized' });
  });

  it("sends an event and resolves with its decision; the customer's response gets an ack", async () => {
    const id = uid();
    const decision = await client.event({ id, ...declined('demo-41') });
    expect(decision).toMatchObject({ t: 'decision', re: id, customer: 'demo-41' });
    const sms = decision.actions.find((a) => a.channel === 'sms');
    expect(sms, JSON.stringify(decision)).toBeDefined();
    expect(Number.isInteger(sms!.expiresAt)).toBe(true);
    const rid = uid('r');
    expect(await client.respond({ id: rid, instance: sms!.instance, outcome: 'declined' })).toEqual({ t: 'ack', re: rid });
  });

  it('rejects with the error frame the server answers (code, message, re)', async () => {
    const id = uid();
    const error = await client.request({ t: 'event', id, customer: { id: 'demo-41' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'invalid', re: id, retryable: false });
    expect((error as GatewayError).message).toContain('"type"');
    // The connection stays usable.
    expect(await client.event(declined('demo-42'))).toMatchObject({ t: 'decision', customer: 'demo-42' });
  });

  it('matches replies to many requests at once, with at most maxInFlight sent', async () => {
    const small = await GatewayClient.connect({ url: k.wsUrl, token: 'demo-gateway', maxInFlight: 2 });
    try {
      const customers = ['demo-51', 'demo-52', 'demo-53', 'demo-54', 'demo-55'];
      const ids = customers.map(() => uid());
      const replies = customers.map((c, i) => small.event({ id: ids[i], ...declined(c) }));
      expect(small.inFlight).toBeLessThanOrEqual(2);
      expect(small.inFlight + small.queued).toBe(5);
      const decisions = await Promise.all(replies);
      expect(decisions.map((d) => [d.re, d.customer])).toEqual(customers.map((c, i) => [ids[i], c]));
      expect(small.inFlight + small.queued).toBe(0);
    } finally {
      await small.close();
    }
  });

  it("waits for the socket's buffer to drain past maxBufferedBytes, and still answers every request", async () => {
    const tight = await GatewayClient.connect({ url: k.wsUrl, token: 'demo-gateway', maxBufferedBytes: 1 });
    try {
      const ids = [1, 2, 3, 4].map(() => uid());
      const replies = ids.map((id) => tight.event({ id, ...declined('demo-56') }));
      // The first frame went out; the others wait in order for it to be flushed before they are sent.
      expect([tight.inFlight, tight.queued]).toEqual([1, 3]);
      expect((await Promise.all(replies)).map((d) => d.re)).toEqual(ids);
    } finally {
      await tight.close();
    }
  });

  it('reconnects after the connection drops and sends the unanswered event again under the same id: decided once', async () => {
    const relay = await relayTo(k.kairos.port);
    const states: string[] = [];
    let lateConfirmation: Promise<unknown> | undefined;
    const dropped: GatewayClient = await GatewayClient.connect({
      url: relay.url,
      token: 'demo-gateway',
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      onState: (s) => {
        states.push(s);
        // A confirmation made while disconnected belongs to the connection that closed: refused, not sent later.
        if (s === 'reconnecting') lateConfirmation = dropped.delivered('demo-43:1.x').catch((e: unknown) => e);
      },
    });
    try {
      const contacts = await counter(k, 'kairos_contacts_total');
      const duplicates = await counter(k, 'kairos_decisions_total', { outcome: 'duplicate' });
      // The server decides, but its reply is lost with the connection.
      relay.hold = true;
      const id = uid();
      const reply = dropped.event({ id, ...declined('demo-43') });
      await until('the decision sent by the server', () => (relay.held > 0 ? true : undefined));
      relay.hold = false;
      relay.cut();
      const decision = await reply;
      expect(decision).toMatchObject({ t: 'decision', re: id, customer: 'demo-43' });
      expect(decision.actions.length).toBeGreaterThan(0);
      expect(dropped.reconnects).toBe(1);
      expect(states).toEqual(['open', 'reconnecting', 'open']);
      expect(await lateConfirmation).toMatchObject({ name: 'GatewayClientError', code: 'connection_lost' });
      // The repeat was answered as one (the first decision again), with no second contact.
      expect(await counter(k, 'kairos_decisions_total', { outcome: 'duplicate' })).toBe(duplicates + 1);
      expect(await counter(k, 'kairos_contacts_total')).toBe(contacts + decision.actions.length);
      const again = await client.event({ id, ...declined('demo-43') });
      expect(again).toEqual(decision);
    } finally {
      await dropped.close();
      await relay.close();
    }
  });

  it('receives the offers a subscription is pushed and confirms them delivered (failed when the handler throws)', async () => {
    const delivered = await counter(k, 'kairos_deliveries_total', { channel: 'sms', result: 'delivered' });
    const failed = await counter(k, 'kairos_deliveries_total', { channel: 'sms', result: 'failed' });
    const pushed: Deliver[] = [];
    const errors: Error[] = [];
    const smsc = await GatewayClient.connect({
      url: k.wsUrl,
      token: 'demo-gateway',
      onError: (e) => errors.push(e),
      onDeliver: (d) => {
        pushed.push(d);
        if (d.customer === 'demo-45') throw new Error('the phone is switched off');
      },
    });
    try {
      expect(await smsc.subscribe(['sms'])).toMatchObject({ t: 'ack' });
      const decision = await client.event(declined('demo-44'));
      const sms = decision.actions.find((a) => a.channel === 'sms')!;
      expect(sms).toBeDefined();
      await until('the SMS confirmed delivered', async () => ((await counter(k, 'kairos_deliveries_total', { channel: 'sms', result: 'delivered' })) >= delivered + 1 ? true : undefined));
      expect(pushed.find((d) => d.instance === sms.instance)).toMatchObject({ t: 'deliver', customer: 'demo-44', channel: 'sms', campaign: sms.campaign, offer: sms.offer });
      // A second confirmation finds nothing waiting: the client's was taken.
      await expect(smsc.delivered(sms.instance)).rejects.toMatchObject({ code: 'invalid' });

      await client.event(declined('demo-45'));
      await until('the SMS confirmed failed', async () => ((await counter(k, 'kairos_deliveries_total', { channel: 'sms', result: 'failed' })) >= failed + 1 ? true : undefined));
      expect(errors).toEqual([]);
    } finally {
      await smsc.close();
    }
  });

  it('rejects what is still waiting when closed, and refuses new requests', async () => {
    const c = await GatewayClient.connect({ url: k.wsUrl, token: 'demo-gateway' });
    const reply = c.event(declined('demo-46')).catch((e: unknown) => e);
    await c.close();
    expect(await reply).toBeInstanceOf(GatewayClientError);
    expect(await reply).toMatchObject({ code: 'closed' });
    await expect(c.event(declined('demo-46'))).rejects.toMatchObject({ code: 'closed' });
  });
});
