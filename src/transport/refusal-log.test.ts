import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { RefusalLog } from './refusal-log.js';

/** The refusals' log: every refusal at warn while few, then a count a minute; a flood cannot fill the log. */

function captured(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger('info', destination), lines };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('RefusalLog', () => {
  it('logs the first refusals of a minute one by one, then counts the rest and says how many at the minute\'s end', async () => {
    const { logger, lines } = captured();
    let now = 1_000_000;
    const log = new RefusalLog(logger, { perMinute: 3, now: () => now });
    for (let i = 0; i < 1000; i++) log.note({ status: i % 2 === 0 ? 401 : 403, code: 'x', route: 'GET /v1/status', remote: '198.51.100.7' });
    await settle();
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.level === 40 && l.refused === true && l.route === 'GET /v1/status')).toBe(true);
    // the next minute: the count of the last, then its own lines again
    now += 60_000;
    log.note({ status: 403, code: 'forbidden', route: 'DELETE /v1/customers/:id', key: 'ivanova', role: 'analyst' });
    await settle();
    expect(lines.slice(3)).toEqual([
      expect.objectContaining({ level: 40, refused: true, suppressed: 997, byStatus: { '401': 498, '403': 499 }, msg: 'refused calls not logged one by one: 997 in the last minute' }),
      expect.objectContaining({ level: 40, status: 403, key: 'ivanova', role: 'analyst' }),
    ]);
    log.close();
  });

  it('tells the count when the flood stops, at the minute\'s end, without waiting for another refusal', () => {
    vi.useFakeTimers();
    try {
      const { logger, lines } = captured();
      const log = new RefusalLog(logger, { perMinute: 1 });
      log.note({ status: 401, code: 'unauthorized', route: 'GET /v1/gateway' });
      log.note({ status: 401, code: 'unauthorized', route: 'GET /v1/gateway' });
      vi.advanceTimersByTime(59_000);
      expect(lines.map((l) => l.suppressed)).toEqual([undefined]);
      vi.advanceTimersByTime(1_000);
      expect(lines.map((l) => l.suppressed)).toEqual([undefined, 1]);
      // nothing left to tell at the close
      log.close();
      expect(lines).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
