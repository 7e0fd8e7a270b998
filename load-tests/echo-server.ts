import { loadUws } from '../src/transport/uws.js';

/**
 * A bare uWebSockets.js echo server: the ceiling Kairos is measured against. Same library,
 * same native binary, same frame sizes; it returns each frame as it came and does nothing
 * else. Prints {"port": N} when listening.
 */
const uws = loadUws();
const port = Number(process.argv[2] ?? '0');
const app = uws.App();
app.ws('/*', {
  compression: uws.DISABLED,
  maxPayloadLength: 64 * 1024,
  maxBackpressure: 4 * 1024 * 1024,
  idleTimeout: 120,
  message: (ws, message, isBinary) => {
    ws.send(message, isBinary);
  },
});
app.listen('127.0.0.1', port, (token) => {
  if (token === false) {
    process.stderr.write(`echo-server: cannot listen on ${port}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ port: uws.us_socket_local_port(token) })}\n`);
});
