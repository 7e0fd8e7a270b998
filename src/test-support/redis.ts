import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
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

/** Whether a loopback TCP port can be listened on right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free port for a redis-server; for a cluster node (`bus`), one whose cluster bus port
 * (10,000 higher: at most 65,535) is free too, or the node cannot start.
 */
async function redisPort(bus: boolean): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    if (!bus || (port + 10_000 <= 65_535 && (await portFree(port + 10_000)))) return port;
    if (attempt >= 200) throw new Error('no free port with a free cluster bus port 10,000 above it');
  }
}

/** Times a redis-server that could not listen on its port (another process took it meanwhile) is started again on another port. */
const SPAWN_ATTEMPTS = 5;

async function spawnRedis(dir: string, extra: readonly string[], fixedPort?: number, fsync: 'everysec' | 'always' = 'everysec'): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const started = await spawnRedisOnce(dir, extra, fixedPort ?? (await redisPort(extra.includes('--cluster-enabled'))), fsync);
    if ('server' in started) return started.server;
    if (fixedPort !== undefined || attempt >= SPAWN_ATTEMPTS || !started.portTaken) throw new Error(started.reason);
  }
}

async function spawnRedisOnce(dir: string, extra: readonly string[], port: number, fsync: 'everysec' | 'always'): Promise<{ server: RedisServer } | { reason: string; portTaken: boolean }> {
  const proc = spawn(redisServerBin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', fsync, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv() });
  // its last words, for the error when it does not start (Redis logs to standard output)
  let log = '';
  const keep = (b: Buffer): void => {
    log = (log + b.toString()).slice(-2000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  // ended, its output read to the end ('close', not 'exit': the reason is in the last lines)
  const ended = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const kill = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await ended;
  };
  // Ready when it says so (not when the port answers: another process may hold it, this one then exits).
  let timer: NodeJS.Timeout | undefined;
  let spawnError: Error | undefined;
  const up = await Promise.race([
    new Promise<'up'>((resolve) => {
      let tail = '';
      proc.stdout.on('data', (b: Buffer) => {
        tail = (tail + b.toString()).slice(-200);
        if (tail.includes('Ready to accept connections')) resolve('up');
      });
    }),
    ended.then(() => 'exited' as const),
    new Promise<'error'>((resolve) =>
      proc.once('error', (err) => {
        spawnError = err;
        resolve('error');
      }),
    ),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000))),
  ]);
  clearTimeout(timer);
  if (up !== 'up') {
    // Not left running behind a failed test (it may be up but not answering yet).
    if (up !== 'error') await kill();
    const how = up === 'error' ? `it could not be run: ${spawnError?.message}` : up === 'exited' ? `it exited, ${proc.exitCode !== null ? `code ${proc.exitCode}` : `signal ${String(proc.signalCode)}`}` : 'not ready in 10 s';
    const last = log.trim().split('\n').slice(-3).join(' | ');
    return { reason: `redis-server on ${port} did not start (${how}): ${last}`, portTaken: up === 'exited' && /Address already in use|Failed listening/.test(log) };
  }
  // (read and dropped from here on: a full pipe would stall it)
  proc.stdout.removeAllListeners('data').resume();
  proc.stderr.off('data', keep).resume();
  return {
    server: {
      port,
      url: `redis://127.0.0.1:${port}`,
      process: proc,
      kill,
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        await ended;
      },
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
