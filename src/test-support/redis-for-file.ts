import { afterAll, beforeAll } from 'vitest';
import { runRedisTests, startRedis } from './redis.js';

/** One test file's Redis: started before its tests, stopped after them, with what the tests asked to close first. */
export interface FileRedis {
  /** the server's URL (only inside a test: the server starts in `beforeAll`) */
  readonly url: string;
  /** closed after the file's tests, the last added first, before the server stops */
  onClose: (close: () => Promise<void>) => void;
}

/**
 * A real redis-server for the calling test file (src/test-support/redis.ts), started in its
 * `beforeAll` when Redis tests run here (always in CI) and stopped in its `afterAll`, after the
 * stores and nodes its tests registered with `onClose` are closed (newest first). Call it at the
 * file's top level.
 */
export function redisForFile(): FileRedis {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    if (runRedisTests) redis = await startRedis();
  });
  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await redis?.close();
  });
  return {
    get url(): string {
      if (redis === undefined) throw new Error('redisForFile: Redis is not running (outside a test, or Redis tests do not run here)');
      return redis.url;
    },
    onClose: (close) => {
      closers.push(close);
    },
  };
}
