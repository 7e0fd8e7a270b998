import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { packageRoot } from '../paths.js';
import type { ShardedKairos } from '../sharded-kairos.js';
import { startShardedKairos } from '../sharded-kairos.js';
import type { Frame } from '../test-support/test-kairos.js';
import { GatewayClient, tempDir, uid } from '../test-support/test-kairos.js';

/**
 * A node with the gateway port closed while its gateways are sending: every request a
 * connection sent is answered on it (a decision, or `overloaded` "shutting down") before its
 * socket closes, whichever shard decides it, as on the node's own port.
 */

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const data = tempDir();
const TOKEN = 'kiosk-secret-0123456789abcdef';
let k: ShardedKairos;

beforeAll(async () => {
  const config = loadConfig(
    {},
    { port: 0, gatewayPort: 0, host: '127.0.0.1', dataDir: data.dir, shards: 2, demo: false, logLevel: 'silent', shutdownTimeoutMs: 5000, segmentSweepMs: 0, keys: [{ name: 'kiosk', role: 'gateway', secret: TOKEN }] },
  );
  k = await startShardedKairos(config, { shardWorkerUrl: workerUrl });
}, 60_000);

afterAll(async () => {
  await k.close();
  data.remove();
});

describe('closing a node with the gateway port', () => {
  it('answers every request its gateway connections sent before their sockets close', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => GatewayClient.connect(`ws://127.0.0.1:${k.gatewayPort!}/v1/gateway`, TOKEN)));
    const sent: Array<Promise<Frame | 'no answer'>> = [];
    // (visitors by cookie: each customer's shard is its cookie's, so both shards decide for every connection)
    for (let i = 0; i < 600; i++) {
      const client = clients[i % clients.length]!;
      const frame: Frame = { t: 'event', id: uid('c'), type: 'web.pageview', customer: { cookie: `ck-close-${i}` }, channel: 'web' };
      sent.push(client.request(frame, 20_000).catch(() => 'no answer' as const));
    }
    // some decided, most still in flight
    await Promise.race(sent);
    const closed = k.close();
    const answers = await Promise.all(sent);
    await closed;
    const lost = answers.filter((a) => a === 'no answer').length;
    const decided = answers.filter((a) => a !== 'no answer' && a.t === 'decision').length;
    const refused = answers.filter((a) => a !== 'no answer' && a.t === 'error');
    expect(lost).toBe(0);
    expect(decided).toBeGreaterThan(0);
    expect(decided + refused.length).toBe(600);
    for (const r of refused) expect(r).toMatchObject({ code: 'overloaded' });
    // then the sockets close, 1001 (the node goes away; a shard started again says 1012)
    for (const c of clients) expect(c.closedWith).toEqual({ code: 1001, reason: 'server shutting down' });
  }, 60_000);
});
