import { request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { packageRoot } from '../paths.js';
import type { ShardedKairos } from '../sharded-kairos.js';
import { startShardedKairos } from '../sharded-kairos.js';
import { tempDir, uid } from '../test-support/test-kairos.js';

/**
 * POST /v1/events' rate limit (KAIROS_RATE_LIMIT, by gateway key and client address) on a node
 * with the gateway port: the kernel spreads a client's connections over the shards, and the
 * node's port serves the route too, yet the client has one bucket (shared memory), not one per
 * thread.
 */

const workerUrl = pathToFileURL(join(packageRoot(), 'dist', 'src', 'shards', 'shard-worker.js'));
const data = tempDir();
const RATE = 1;
let k: ShardedKairos;

beforeAll(async () => {
  const config = loadConfig(
    {},
    { port: 0, gatewayPort: 0, host: '127.0.0.1', dataDir: data.dir, shards: 2, demo: false, logLevel: 'silent', shutdownTimeoutMs: 5000, segmentSweepMs: 0, rateLimitPerConnection: RATE, keys: [{ name: 'kiosk', role: 'gateway', secret: 'kiosk-secret-0123456789abcdef' }] },
  );
  k = await startShardedKairos(config, { shardWorkerUrl: workerUrl });
}, 60_000);

afterAll(async () => {
  await k.close();
  data.remove();
});

/** One POST /v1/events on a connection of its own (no keep-alive: each lands on the shard the kernel picks); its status. */
function post(port: number): Promise<number> {
  const body = JSON.stringify({ id: uid('rl'), type: 'web.pageview', customer: { cookie: 'ck-rate-shared' }, channel: 'web' });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/events', method: 'POST', agent: false, headers: { Authorization: 'Bearer kiosk-secret-0123456789abcdef', 'Content-Type': 'application/json', Connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('POST /v1/events on the gateway port', () => {
  it("holds a client to one burst over connections on both shards and the node's port", async () => {
    const t0 = performance.now();
    // 40 connections: the kernel puts each on either shard (all on one: 2^-39)
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await post(k.gatewayPort!));
    const elapsed = (performance.now() - t0) / 1000;
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // The burst (twice the rate) and what refilled meanwhile; buckets of each shard's own would grant each shard a burst and its own refill.
    expect(ok).toBeGreaterThanOrEqual(2 * RATE);
    expect(ok).toBeLessThanOrEqual(2 * RATE + Math.ceil(elapsed * RATE));
    // The node's port takes from the same bucket: what was left of it (under a token) and what refilled since; a bucket of its own would grant a burst.
    const t1 = performance.now();
    const onNodePort: number[] = [];
    for (let i = 0; i < 3; i++) onNodePort.push(await post(k.port));
    const sinceSec = (performance.now() - t1) / 1000;
    expect(onNodePort.filter((s) => s === 200).length).toBeLessThanOrEqual(Math.floor(1 + sinceSec * RATE));
  }, 30_000);
});
