import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('logger', () => {
  it('redacts personal data wherever it appears', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.info(
      {
        customer: { id: 'demo-1', phone: '+79161234567', email: 'a@b.example', card: 'card-1' },
        event: { customer: { cookie: 'ck-secret' } },
        profile: { firstName: 'Ирина', patronymic: 'Петровна', lastName: 'Соколова' },
        actions: [{ content: { text: 'Ирина Петровна, ...' } }],
        authorization: 'Bearer demo-admin',
      },
      'decided',
    );
    for (const secret of ['+79161234567', 'a@b.example', 'card-1', 'ck-secret', 'Ирина', 'Петровна', 'Соколова', 'demo-admin']) {
      expect(out).not.toContain(secret);
    }
    const line = JSON.parse(out) as Record<string, any>;
    expect(line.customer.id).toBe('demo-1');
    expect(line.customer.phone).toBe('[redacted]');
    expect(line.msg).toBe('decided');
  });
});
