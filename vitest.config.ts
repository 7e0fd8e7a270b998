import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'actors/**/*.test.ts', 'load-tests/**/*.test.ts', 'scenarios/**/*.test.ts', 'clients/**/*.test.ts'],
    pool: 'forks',
    // Most test files wait on servers of their own (Kairos, Redis, Prometheus, SMPP and SMTP
    // peers) more than they compute: at least two files at a time, also on a 2-vCPU machine
    // (vitest's default there is one: the suite took 205 s instead of 131 s).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
