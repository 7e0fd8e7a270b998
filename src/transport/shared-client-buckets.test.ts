import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { SharedClientBuckets, sharedClientBucketsMemory } from './shared-client-buckets.js';

/**
 * POST /v1/events' buckets shared by a node's threads (the gateway port on every shard and
 * the node's port): one client's limit wherever its connections land.
 */

describe('SharedClientBuckets', () => {
  it('gives a client its burst, then a Retry-After, and refills at the rate', () => {
    const b = new SharedClientBuckets(5, sharedClientBucketsMemory(16));
    const t = 1_800_000_000_000;
    for (let i = 0; i < 10; i++) expect(b.take('gw@10.0.0.1', t)).toBe(0);
    expect(b.take('gw@10.0.0.1', t)).toBe(1);
    // another client (another key, or another address) has its own bucket
    expect(b.take('gw@10.0.0.2', t)).toBe(0);
    expect(b.take('other@10.0.0.1', t)).toBe(0);
    // 0.4 s later: 2 tokens
    expect(b.take('gw@10.0.0.1', t + 400)).toBe(0);
    expect(b.take('gw@10.0.0.1', t + 400)).toBe(0);
    expect(b.take('gw@10.0.0.1', t + 400)).toBe(1);
    // a time read a moment earlier on another thread refills nothing and takes nothing back
    expect(b.take('gw@10.0.0.1', t + 390)).toBe(1);
    expect(b.take('gw@10.0.0.1', t + 600)).toBe(0);
  });

  it('is one table for every instance over the same memory, and refuses memory of another shape', () => {
    const memory = sharedClientBucketsMemory(16);
    const a = new SharedClientBuckets(2, memory);
    const b = new SharedClientBuckets(2, memory);
    expect([a.take('c', 0), b.take('c', 0), a.take('c', 0), b.take('c', 0)]).toEqual([0, 0, 0, 0]);
    expect(b.take('c', 0)).toBe(1);
    expect(a.take('c', 0)).toBe(1);
    expect(() => new SharedClientBuckets(2, new SharedArrayBuffer(1000))).toThrow(/not the memory/);
    expect(() => sharedClientBucketsMemory(3)).toThrow(/power of two/);
  });

  it('takes over a set whose lock a thread ended inside it left held', () => {
    const memory = sharedClientBucketsMemory(1);
    // (the one set's lock, as a thread ended by worker.terminate() between its lock and its unlock leaves it)
    Atomics.store(new Int32Array(memory, 0, 1), 0, 1);
    const b = new SharedClientBuckets(1, memory);
    expect(b.take('c', 0)).toBe(0);
    expect(b.take('c', 0)).toBe(0);
    expect(b.take('c', 0)).toBe(1);
  });

  it('frees a bucket full again, and past its slots gives up the one refilled longest ago', () => {
    // one set of 8 slots
    const b = new SharedClientBuckets(1, sharedClientBucketsMemory(1));
    for (let c = 0; c < 8; c++) for (let i = 0; i < 2; i++) expect(b.take(`c${c}`, 1000 + c)).toBe(0);
    // all 8 are empty now: a ninth client takes the slot of c0 (refilled longest ago), which then starts full again
    expect(b.take('c9', 1010)).toBe(0);
    expect(b.take('c1', 1010)).toBe(1);
    expect(b.take('c0', 1010)).toBe(0);
    // 4 s on, every bucket is full again: eight new clients take the eight slots
    for (let c = 10; c < 18; c++) expect(b.take(`c${c}`, 5000)).toBe(0);
    expect(b.take('c17', 5000)).toBe(0);
    expect(b.take('c17', 5000)).toBe(1);
  });

  it('grants exactly the burst to one client taken from two threads at once', async () => {
    const memory = sharedClientBucketsMemory(16);
    const go = new Int32Array(new SharedArrayBuffer(4));
    const url = pathToFileURL(join(packageRoot(), 'dist', 'src', 'transport', 'shared-client-buckets.js')).href;
    // Both threads wait for the start, then take 1,500,000 times each at one instant: a burst of
    // 2,000,000 (a rate of 1,000,000), so they race for tokens a while; a take lost between two
    // threads (a read and a write not under the set's lock) would grant more.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.url).then(({ SharedClientBuckets }) => {
        const b = new SharedClientBuckets(1000000, workerData.memory);
        parentPort.postMessage('ready');
        Atomics.wait(workerData.go, 0, 0);
        let granted = 0;
        for (let i = 0; i < 1500000; i++) if (b.take('gw@127.0.0.1', 1000) === 0) granted++;
        parentPort.postMessage(granted);
      });`;
    const workers = Array.from({ length: 2 }, () => new Worker(code, { eval: true, workerData: { url, memory, go } }));
    const ready = workers.map((w) => new Promise<void>((resolve, reject) => w.once('message', () => resolve()).once('error', reject)));
    await Promise.all(ready);
    const granted = workers.map((w) => new Promise<number>((resolve, reject) => w.once('message', resolve).once('error', reject)));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const counts = await Promise.all(granted);
    await Promise.all(workers.map((w) => w.terminate()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2_000_000);
    // (both took part)
    expect(Math.min(...counts)).toBeGreaterThan(0);
  }, 30_000);
});
