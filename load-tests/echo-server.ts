import { loadUws } from '../src/transport/uws.js';
import { benchArgs } from './bench-args.js';
import { echoSocketOptions, listenAnnounced } from './harness.js';

/**
 * A bare uWebSockets.js echo server: the ceiling Kairos is measured against. Same library,
 * same native binary, same frame sizes; it returns each frame as it came and does nothing
 * else. Prints {"port": N} when listening.
 */
const { positionals } = benchArgs({
  command: 'node dist/load-tests/echo-server.js [PORT]',
  summary: 'A bare uWebSockets.js echo server, the ceiling Kairos is measured against (npm run bench starts it): each frame returned as it came. Prints {"port": N} when listening.',
  positionals: 'PORT: the port to listen on (0 or none: any free port)',
  options: {},
});
const uws = loadUws();
const port = Number(positionals[0] ?? '0');
const app = uws.App();
app.ws('/*', {
  ...echoSocketOptions,
  compression: uws.DISABLED,
  message: (ws, message, isBinary) => {
    ws.send(message, isBinary);
  },
});
listenAnnounced(uws, app, port, 'echo-server');
