import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { runRedisTests, startRedis } from '../test-support/redis.js';
import { runScenarios } from './run.js';

/** Every QA scenario again, each against a fresh server on the Redis store (a real redis-server, a key prefix per file). */

const dir = join(packageRoot(), 'scenarios');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(dir, f));

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
afterAll(async () => {
  await redis?.close();
});

describe.runIf(runRedisTests)('QA scenarios on the Redis store', () => {
  it('runs every scenario in scenarios/ with KAIROS_STORE=redis', async () => {
    redis = await startRedis();
    const url = redis.url;
    const lines: string[] = [];
    const ok = await runScenarios(files, undefined, (l) => lines.push(l), (file) => ({ store: 'redis', redisUrl: url, redisPrefix: `scn-${basename(file, '.yaml')}` }));
    expect(lines.filter((l) => l.includes('FAIL')), lines.join('\n')).toEqual([]);
    expect(ok).toBe(true);
  }, 600_000); // the pension run and the call waves wait for the segment sweep over the whole demo bank on Redis (up to 180 s each on a loaded machine)
});
