import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Packr, Unpackr } from 'msgpackr';
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import type { Config } from '../config.js';
import { loadConfig } from '../config.js';
import type { Kairos, StartOptions } from '../kairos.js';
import { startKairos } from '../kairos.js';

/**
 * Test support: a real Kairos on a free port (real uWS, real store), its log lines captured,
 * and a real WebSocket client speaking the gateway protocol with plain MessagePack.
 */

export interface TestKairos {
  kairos: Kairos;
  wsUrl: string;
  httpUrl: string;
  dataDir: string;
  /** every log line, parsed */
  logs: Array<Record<string, unknown>>;
  /** the raw log text, for redaction checks */
  rawLogs: () => string;
  close: () => Promise<void>;
}

export interface TestKairosOptions extends StartOptions {
  config?: Partial<Config>;
  /** reuse this data dir (a restart); a fresh temporary one otherwise */
  dataDir?: string;
  /** keep the data dir when closing (to restart on it) */
  keepDataDir?: boolean;
}

export async function startTestKairos(options: TestKairosOptions = {}): Promise<TestKairos> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kairos-test-'));
  // Tests replay events with fixed dates against a clock set after them: lateness is not their
  // subject, so no event is stale unless a test sets `staleEventMs` (late-and-deferred tests do).
  // The segment sweep (a background pass over the base) runs only where a test asks for it.
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', dataDir, logLevel: 'info', shutdownTimeoutMs: 5000, staleEventMs: 400 * 86_400_000, segmentSweepMs: 0, ...options.config });
  const logs: Array<Record<string, unknown>> = [];
  let raw = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = chunk.toString('utf8');
      raw += text;
      for (const line of text.split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const kairos = await startKairos(config, { ...options, logDestination: destination });
  return {
    kairos,
    wsUrl: `ws://127.0.0.1:${kairos.port}/v1/gateway`,
    httpUrl: `http://127.0.0.1:${kairos.port}`,
    dataDir,
    logs,
    rawLogs: () => raw,
    close: async () => {
      await kairos.close();
      if (options.keepDataDir !== true && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Frame = Record<string, unknown>;

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, int64AsType: 'number' });

/** A gateway's WebSocket connection: sends msgpack frames and matches replies by `re`. */
export class GatewayClient {
  private readonly waiting = new Map<string, { done: (f: Frame) => void; closed: (code: number) => void }>();
  /** frames no request was waiting for (deliver frames, errors without re) */
  readonly unmatched: Frame[] = [];
  private readonly listeners: Array<(f: Frame) => void> = [];
  closedWith: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) throw new Error('the server sent a text frame');
      const f = unpackr.unpack(data) as Frame;
      const re = typeof f.re === 'string' ? f.re : undefined;
      const waiter = re === undefined ? undefined : this.waiting.get(re);
      if (re !== undefined && waiter !== undefined) {
        this.waiting.delete(re);
        waiter.done(f);
        return;
      }
      this.unmatched.push(f);
      for (const l of [...this.listeners]) l(f);
    });
    ws.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
      // (no reply can come on it any more: each request still waiting fails now, not at its timeout)
      for (const w of this.waiting.values()) w.closed(code);
      this.waiting.clear();
    });
  }

  /** Connects with the demo gateway token, another token, or none (null). */
  static connect(url: string, token: string | null = 'demo-gateway'): Promise<GatewayClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, token === null ? {} : { headers: { Authorization: `Bearer ${token}` } });
      ws.once('open', () => resolve(new GatewayClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends a frame with an `id` and resolves with the reply whose `re` is that id. */
  request(frame: Frame, timeoutMs = 10_000): Promise<Frame> {
    const id = frame.id;
    if (typeof id !== 'string') throw new Error('request frames need a string id');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no reply to ${id} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        done: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        closed: (code) => {
          clearTimeout(timer);
          reject(new Error(`the connection closed (${code}) before a reply to ${id}`));
        },
      });
      this.ws.send(packr.pack(frame), { binary: true });
    });
  }

  sendRaw(data: Buffer | string, binary: boolean): void {
    this.ws.send(data, { binary });
  }

  /** The next unmatched frame that satisfies `test` (already received ones count). */
  next(test: (f: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> {
    const seen = this.unmatched.findIndex(test);
    if (seen >= 0) return Promise.resolve(this.unmatched.splice(seen, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame in ${timeoutMs} ms`)), timeoutMs);
      const listener = (f: Frame): void => {
        if (!test(f)) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        this.unmatched.splice(this.unmatched.indexOf(f), 1);
        resolve(f);
      };
      this.listeners.push(listener);
    });
  }

  waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    if (this.closedWith !== undefined) return Promise.resolve(this.closedWith);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connection not closed')), timeoutMs);
      this.ws.once('close', (code, reason) => {
        clearTimeout(timer);
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}

export function encode(frame: Frame): Buffer {
  return packr.pack(frame);
}

export function decode(bytes: Buffer): Frame {
  return unpackr.unpack(bytes) as Frame;
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix = 'kairos-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let counter = 0;
/** A unique event or response id for this test run. */
export function uid(prefix = 'e'): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}`;
}

export const adminHeaders = { Authorization: 'Bearer demo-admin', 'Content-Type': 'application/json' };

/** A local time in Moscow (`2026-11-23T10:00:00`) as epoch milliseconds. */
export const msk = (iso: string): number => Date.parse(`${iso}+03:00`);

/**
 * Yesterday (in Moscow) at this Moscow time of day (`10:00`), as epoch milliseconds: a moment
 * in the last two days, within the bounds the server puts on an event's `at`, for tests on the
 * system clock that want a fixed time of day.
 */
export const yesterdayMsk = (time: string): number => {
  const day = Math.floor((Date.now() + 3 * 3_600_000) / 86_400_000) - 1;
  return msk(`${new Date(day * 86_400_000).toISOString().slice(0, 10)}T${time}:00`);
};

export interface FileServer {
  /** the running server (a restart replaces it: read it through this object) */
  readonly k: TestKairos;
  /** a gateway connection to it */
  readonly gw: GatewayClient;
  /** closes both and starts them again on the same data (what a test of persistence needs) */
  restart(): Promise<void>;
}

/**
 * One server for a test file, with a gateway connection: started before the file's tests on
 * a data dir of its own, closed (and the data dir removed) after them.
 */
export function serverForFile(options: Omit<TestKairosOptions, 'dataDir' | 'keepDataDir'> = {}): FileServer {
  const data = tempDir();
  let k: TestKairos | undefined;
  let gw: GatewayClient | undefined;
  const start = async (): Promise<void> => {
    k = await startTestKairos({ ...options, dataDir: data.dir, keepDataDir: true });
    gw = await GatewayClient.connect(k.wsUrl);
  };
  const stop = async (): Promise<void> => {
    gw?.close();
    await k?.close();
  };
  beforeAll(start);
  afterAll(async () => {
    await stop();
    data.remove();
  });
  return {
    get k(): TestKairos {
      if (k === undefined) throw new Error('the server is not started (use it inside a test)');
      return k;
    },
    get gw(): GatewayClient {
      if (gw === undefined) throw new Error('the server is not started (use it inside a test)');
      return gw;
    },
    restart: async () => {
      await stop();
      await start();
    },
  };
}

/** Polls `probe` until it gives a value (not undefined); fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
