import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { scrubText } from './log-redaction.js';
import { createLogger } from './logger.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, until, yesterdayMsk } from './test-support/test-kairos.js';

/**
 * No personal data reaches the log: canaries (an e-mail, phones, a card number) fed through
 * each way a string gets logged, at trace level; the line is still there, the canary is not.
 */

const EMAIL = 'canary.surname@bank.example';
const PHONES = ['+7 (916) 123-45-67', '+79161234567', '89161234567', '8-916-123-45-67', '9161234567'];
const CARD = '4111 1111 1111 1111';
const CARD_PLAIN = '4111111111111111';

function collector(): { sink: Writable; lines: () => Array<Record<string, any>>; raw: () => string } {
  let raw = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      raw += chunk.toString();
      cb();
    },
  });
  return { sink, raw: () => raw, lines: () => raw.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, any>) };
}

function expectNoCanary(raw: string): void {
  for (const canary of [EMAIL, encodeURIComponent(EMAIL), ...PHONES, CARD, CARD_PLAIN, '9161234567', '123-45-67']) expect(raw).not.toContain(canary);
}

describe('scrubText', () => {
  it('masks e-mails (plain and %40-encoded), Russian phones and card numbers', () => {
    expect(scrubText(`550 5.1.1 <${EMAIL}>: mailbox unavailable`)).toBe('550 5.1.1 <[email]>: mailbox unavailable');
    expect(scrubText(`/v1/customers/${encodeURIComponent(EMAIL)}`)).toBe('/v1/customers/[email]');
    expect(scrubText('/v1/stop-list/иван@почта.рф')).toBe('/v1/stop-list/[email]');
    for (const p of PHONES) expect(scrubText(`call ${p} now`)).toBe('call [phone] now');
    expect(scrubText(`card ${CARD} and ${CARD_PLAIN}`)).toBe('card [card] and [card]');
    expect(scrubText('4111-1111-1111-1111-111')).toBe('[card]');
  });

  it('leaves ordinary strings alone', () => {
    for (const s of ['demo-19', 'SMTP 421: try later', '127.0.0.1:2525', 'v-3f2a9c', 'took 1500 ms', 'a@b', '2026-01-02T03:04:05.678Z']) expect(scrubText(s)).toBe(s);
  });
});

describe('the logger', () => {
  it('masks canaries in messages, error messages and stacks, paths, URLs and nested strings, and redacts personal fields', () => {
    const c = collector();
    const log = createLogger('trace', c.sink);
    const err = new Error(`no customer ${EMAIL} (${PHONES[0]!})`);
    log.error({ err, path: `/v1/customers/${encodeURIComponent(EMAIL)}`, method: 'get' }, 'http handler failed');
    log.error({ err }); // the error lends its message
    log.error(err);
    log.warn({ channel: 'email', reason: `SMTP 550: 550 <${EMAIL}>: recipient rejected`, attempts: 1 }, 'delivery failed; will retry');
    log.info({ url: `https://relay.example/hook?phone=${PHONES[1]!}&card=${CARD_PLAIN}` }, 'calling');
    log.debug({ detail: { deep: [{ note: `to ${PHONES[2]!}` }] } }, `for ${PHONES[3]!}`);
    log.trace({ to: EMAIL, address: 'Moscow, Tverskaya 1', profile: { city: 'Moscow' }, pan: CARD, msisdn: PHONES[4]! }, 'sending');
    expectNoCanary(c.raw());
    expect(c.raw()).not.toContain('Tverskaya');
    const lines = c.lines();
    expect(lines.map((l) => l.msg as unknown)).toEqual(['http handler failed', 'no customer [email] ([phone])', 'no customer [email] ([phone])', 'delivery failed; will retry', 'calling', 'for [phone]', 'sending']);
    expect(lines[0]).toMatchObject({ path: '/v1/customers/[email]', method: 'get', err: { type: 'Error', message: 'no customer [email] ([phone])' } });
    expect(lines[0]!.err.stack).toContain('no customer [email] ([phone])');
    expect(lines[3]!.reason).toBe('SMTP 550: 550 <[email]>: recipient rejected');
    expect(lines[4]!.url).toBe('https://relay.example/hook?phone=[phone]&card=[card]');
    expect(lines[6]).toMatchObject({ to: '[redacted]', address: '[redacted]', profile: '[redacted]', pan: '[redacted]', msisdn: '[redacted]' });
  });
});

describe('a real server', () => {
  it('logs an SMTP relay refusing the recipient without the address', async () => {
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, done) {
        done(Object.assign(new Error(`<${address.address}>: recipient address rejected, user unknown`), { responseCode: 550 }));
      },
    });
    await new Promise<void>((resolve) => {
      smtp.listen(0, '127.0.0.1', () => resolve());
    });
    const k = await startTestKairos({
      config: {
        logLevel: 'trace',
        smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
        publicUrl: 'https://kairos.bank.example',
        unsubscribeSecret: 'test-unsubscribe-secret',
        deliveryBackoffMs: 30,
        deliveryPollMs: 20,
        deliveryMaxAttempts: 1,
        maxEventAgeMs: 30 * 86_400_000,
      },
    });
    const gw = await GatewayClient.connect(k.wsUrl);
    try {
      const put = await fetch(`${k.httpUrl}/v1/campaigns/letter-redact`, {
        method: 'PUT',
        headers: adminHeaders,
        body: JSON.stringify({
          name: 'Письмо (тест)',
          status: 'active',
          offer: 'pension-deposit',
          channels: ['email'],
          trigger: { events: ['test.letter'] },
          groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
        }),
      });
      expect(put.status).toBe(201);
      const card = (await (await fetch(`${k.httpUrl}/v1/customers/demo-19`, { headers: adminHeaders })).json()) as { identifiers: { email: string[] } };
      const email = card.identifiers.email[0]!;
      const d = await gw.request({ t: 'event', id: uid(), type: 'test.letter', customer: { id: 'demo-19' }, at: yesterdayMsk('12:00') - 8 * 86_400_000 });
      expect(d.actions).toMatchObject([{ channel: 'email' }]);
      const line = await until('the refusal logged', () => k.logs.find((l) => l.msg === 'delivery failed for good: in the dead letters'));
      expect(line.reason).toContain('recipient address rejected');
      expect(line.reason).toContain('[email]');
      expect(k.rawLogs()).not.toContain(email);
      expect(k.rawLogs()).not.toContain(email.split('@')[0]!);
    } finally {
      gw.close();
      await k.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});
