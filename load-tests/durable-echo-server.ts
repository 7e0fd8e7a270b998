import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { loadUws, type WebSocket } from '../src/transport/uws.js';
import { benchArgs } from './bench-args.js';
import { echoSocketOptions, listenAnnounced } from './harness.js';

/**
 * The echo server with the one thing every Kairos reply must wait for: a commit. Each frame
 * is appended to an LMDB log (its bytes under the next sequence number, so a commit writes
 * the fewest pages any log could) and returned only once the commit that holds it is done;
 * the commits are grouped as Kairos groups them (one synchronous transaction at the end of
 * the event loop's turn for everything that arrived in it), with the store opened as
 * Kairos opens it by default (no flush per commit, no read-ahead, no write map). Nothing
 * is decoded, decided or kept in memory.
 *
 * It is the floor under Kairos's figures that a durable decision server cannot go below on
 * the machine: the echo server's transport plus the store's commit, priced on this disk and
 * kernel. `node dist/load-tests/durable-echo-server.js [PORT] [DIR]`; prints {"port": N}
 * when listening. The log is in DIR if given (kept), else in a temporary directory removed
 * when the server exits.
 */
const { positionals } = benchArgs({
  command: 'node dist/load-tests/durable-echo-server.js [PORT] [DIR]',
  summary: 'The echo server with an LMDB commit of each frame before its reply: the floor under a durable decision server on this machine (npm run bench starts it). Prints {"port": N} when listening.',
  positionals: 'PORT: the port (0 or none: any free port); DIR: where the log is kept (a temporary directory, removed at exit, by default)',
  options: {},
});
const uws = loadUws();
const port = Number(positionals[0] ?? '0');
// The log in a directory of the caller's (kept), or in a temporary one (removed at exit).
const given = positionals[1];
const dir = given ?? mkdtempSync(join(tmpdir(), 'kairos-durable-echo-'));
const root = open({ path: dir, noSync: true, noReadAhead: true, mapSize: 8 * 2 ** 30 } as Parameters<typeof open>[0]);
const log = root.openDB<Buffer, number>({ name: 'log', encoding: 'binary' });

interface Conn {
  open: boolean;
}
let seq = 0;
// (a closed uWS socket may not be touched, not even for its user data: its Conn is kept beside it)
let batch: Array<{ ws: WebSocket<Conn>; conn: Conn; frame: Buffer }> = [];
let scheduled = false;

function commit(): void {
  scheduled = false;
  const frames = batch;
  batch = [];
  root.transactionSync(() => {
    for (const { frame } of frames) void log.put(++seq, frame);
  });
  for (const { ws, conn, frame } of frames) if (conn.open) ws.send(frame, true);
}

const app = uws.App();
app.ws<Conn>('/*', {
  ...echoSocketOptions,
  compression: uws.DISABLED,
  upgrade: (res, req, context) => {
    res.upgrade<Conn>({ open: true }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
  },
  message: (ws, message) => {
    // The frame's memory is uWS's until the handler returns: copied for the commit.
    batch.push({ ws, conn: ws.getUserData(), frame: Buffer.from(new Uint8Array(message.slice(0))) });
    if (!scheduled) {
      scheduled = true;
      setImmediate(commit);
    }
  },
  close: (ws) => {
    ws.getUserData().open = false;
  },
});
listenAnnounced(uws, app, port, 'durable-echo-server');
const stop = (): void => {
  void root.close().finally(() => {
    if (given === undefined) rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
