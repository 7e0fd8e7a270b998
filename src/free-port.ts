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
