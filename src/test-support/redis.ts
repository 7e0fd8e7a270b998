import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { toolPath } from '../test-provision/tool-path.js';

/**
 * Real Redis servers for tests: Debian's `redis-server` (`npm test` installs it when missing), started on
 * free loopback ports in temporary directories, stopped and removed afterwards. In CI
 * (CI=true) a missing binary is an error, never a silent skip.
 */

export const redisServerBin = toolPath('redis-server');
export const haveRedis = existsSync(redisServerBin);
/** Tests that need Redis run when it is installed, and always in CI (where its absence fails them). */
export const runRedisTests = haveRedis || process.env.CI === 'true';

export function requireRedis(): void {
  if (!haveRedis) throw new Error(`redis-server is not installed at ${redisServerBin}: npm test installs Debian's "redis-server" package (or set KAIROS_REDIS_SERVER_BIN)`);
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const sock = createConnection({ host: '127.0.0.1', port }, () => {
        sock.end();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > end) reject(new Error(`redis-server on ${port} did not start`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  /** SIGKILL and wait for the exit */
  kill: () => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * The environment of Redis and redis-cli without a faked clock: a suite run under `faketime`
 * (to try it on another date) fakes the tests' time, not Redis's, whose timers then stall
 * (and `redis-cli --cluster create` never returns).
 */
function serverEnv(): NodeJS.ProcessEnv {
  const { LD_PRELOAD: _preload, FAKETIME: _faketime, FAKETIME_NO_CACHE: _noCache, DONT_FAKE_MONOTONIC: _monotonic, ...env } = process.env;
  return env;
}

async function spawnRedis(dir: string, extra: readonly string[], fixedPort?: number, fsync: 'everysec' | 'always' = 'everysec'): Promise<RedisServer> {
  const port = fixedPort ?? (await freePort());
  const proc = spawn(redisServerBin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', fsync, ...extra], { stdio: 'ignore', env: serverEnv() });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await exited;
  };
  try {
    await waitForPort(port, 10_000);
  } catch (err) {
    // Not left running behind a failed test (it may be up but not answering yet).
    await kill();
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: proc,
    kill,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * One redis-server (append-only file in a temporary directory). `restart` starts it again on
 * the same port and directory (after `kill`: an outage and its end).
 */
export async function startRedis(
  /** `always`: every write is on disk before Redis answers it (what survives a kill -9 of Redis under heavy writes) */
  fsync: 'everysec' | 'always' = 'everysec',
): Promise<RedisServer & { dir: string; restart: () => Promise<void>; close: () => Promise<void> }> {
  requireRedis();
  const dir = mkdtempSync(join(tmpdir(), 'kairos-redis-'));
  let server = await spawnRedis(dir, [], undefined, fsync);
  const port = server.port;
  return {
    port,
    url: server.url,
    dir,
    get process() {
      return server.process;
    },
    kill: () => server.kill(),
    stop: () => server.stop(),
    restart: async () => {
      await server.stop();
      server = await spawnRedis(dir, [], port, fsync);
    },
    close: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of `masters` masters (no replicas) on loopback ports, slots assigned. */
export async function startRedisCluster(masters = 3): Promise<{ nodes: string[]; servers: RedisServer[]; close: () => Promise<void> }> {
  requireRedis();
  const root = mkdtempSync(join(tmpdir(), 'kairos-redis-cluster-'));
  const servers: RedisServer[] = [];
  for (let i = 0; i < masters; i++) {
    const dir = join(root, `n${i}`);
    execFileSync('mkdir', ['-p', dir]);
    servers.push(await spawnRedis(dir, ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000']));
  }
  const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
  const cli = join(redisServerBin, '..', 'redis-cli');
  execFileSync(existsSync(cli) ? cli : 'redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore', env: serverEnv() });
  // Wait until every node agrees the cluster is up.
  const end = Date.now() + 20_000;
  for (const s of servers) {
    for (;;) {
      const info = execFileSync(existsSync(cli) ? cli : 'redis-cli', ['-p', String(s.port), 'cluster', 'info'], { env: serverEnv() }).toString();
      if (info.includes('cluster_state:ok')) break;
      if (Date.now() > end) throw new Error(`Redis Cluster did not come up:\n${info}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    nodes,
    servers,
    close: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
