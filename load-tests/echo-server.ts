import { loadUws } from '../src/transport/uws.js';
import { echoSocketOptions, listenAnnounced } from './harness.js';

/**
 * A bare uWebSockets.js echo server: the ceiling Kairos is measured against. Same library,
 * same native binary, same frame sizes; it returns each frame as it came and does nothing
 * else. Prints {"port": N} when listening.
 */
const uws = loadUws();
const port = Number(process.argv[2] ?? '0');
const app = uws.App();
app.ws('/*', {
  ...echoSocketOptions,
  compression: uws.DISABLED,
  message: (ws, message, isBinary) => {
    ws.send(message, isBinary);
  },
});
listenAnnounced(uws, app, port, 'echo-server');
