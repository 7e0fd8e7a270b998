import { createServer } from 'node:net';
import { KairosError } from './errors.js';

/** A loopback TCP port free right now (for servers the tests and benchmarks start themselves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new KairosError('internal', 'the loopback listener reported no port'))));
    });
  });
}

/**
 * The gateway port as the shards will listen on it (KAIROS_GATEWAY_PORT): `port` once no socket
 * holds it (a free one for 0), checked with a listener that shares it with no one, then closed.
 * The shards listen with SO_REUSEPORT to share it with each other; the check keeps another
 * process (a second `kairos serve`) from sharing it with them silently: it is `conflict`.
 */
export function freeGatewayPort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new KairosError('conflict', `cannot listen on ${host}:${port}: gateway port (KAIROS_GATEWAY_PORT) ${port} is ${err.code === 'EADDRINUSE' ? 'in use (another kairos serve?)' : `not open to this process (${err.code ?? 'error'})`}`, {
          details: { host, port },
        }),
      ),
    );
    s.listen({ port, host, exclusive: true }, () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new KairosError('internal', 'the gateway port check reported no port'))));
    });
  });
}
