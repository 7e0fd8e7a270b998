import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listeningPort } from './harness.js';

/**
 * The durable echo server, the benchmark's floor with a commit: every frame comes back as it
 * was sent, and every frame that came back is in its log, in the order it arrived.
 */

const server = fileURLToPath(new URL('../dist/load-tests/durable-echo-server.js', import.meta.url));
let dir: string;
let child: ChildProcess;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'durable-echo-test-'));
  child = spawn(process.execPath, [server, '0', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await listeningPort(child);
});

afterAll(async () => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
});

describe('the durable echo server', () => {
  it('returns each frame as sent, once it is in the log', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const frames = Array.from({ length: 200 }, (_, i) => Buffer.from(`frame ${i} ${'x'.repeat(i)}`));
    const back: Buffer[] = [];
    const all = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer) => {
        back.push(Buffer.from(data));
        if (back.length === frames.length) resolve();
      });
    });
    for (const f of frames) ws.send(f, { binary: true });
    await all;
    ws.close();
    expect(back).toEqual(frames);

    const env = open({ path: dir, readOnly: true } as Parameters<typeof open>[0]);
    try {
      const log = env.openDB<Buffer, number>({ name: 'log', encoding: 'binary' });
      const logged = [...log.getRange()].map(({ value }) => Buffer.from(value));
      expect(logged).toEqual(frames);
    } finally {
      await env.close();
    }
  });
});
