import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import { packageRoot } from '../paths.js';
import { GatewayClient, adminHeaders } from './test-kairos.js';

/**
 * A Kairos process (`kairos serve` on a manual clock) on a shared Redis store, for tests of
 * several nodes: its HTTP base and a gateway connection. Killing it and closing the
 * connection are pushed onto `cleanups`.
 */
export interface RedisNode {
  name: string;
  child: ChildProcess;
  http: string;
  gw: GatewayClient;
}

const bin = join(packageRoot(), 'bin', 'kairos.js');

export async function startRedisNode(
  o: { name: string; redisUrl: string; prefix: string; dataDir: string; env?: Record<string, string> },
  cleanups: Array<() => Promise<void> | void>,
): Promise<RedisNode> {
  const { name } = o;
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', o.dataDir, '--clock', 'manual'], {
    env: { ...process.env, KAIROS_STORE: 'redis', KAIROS_REDIS_URL: o.redisUrl, KAIROS_REDIS_PREFIX: o.prefix, KAIROS_NODE_ID: name, KAIROS_LOG_LEVEL: 'info', KAIROS_SEGMENT_SWEEP_MS: '0', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${err}`)), 90_000);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${String(code)}: ${err}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === 'kairos listening') {
        clearTimeout(timer);
        resolve(entry.port as number);
      }
    });
  });
  const gw = await GatewayClient.connect(`ws://127.0.0.1:${port}/v1/gateway`);
  cleanups.push(() => gw.close());
  return { name, child, http: `http://127.0.0.1:${port}`, gw };
}

/** An admin API call to a node, expected to succeed; its JSON. */
export async function nodeApi(n: RedisNode, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${n.http}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${n.name} ${method} ${path}`).toBeLessThan(300);
  return res.json();
}
