import { createHmac } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import type { SmtpSink } from '../test-support/smtp-sink.js';
import { startSmtpSink } from '../test-support/smtp-sink.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, until, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * Delivery through the server's own adapters, against real peers started here: e-mail to an
 * SMTP server (smtp-server), back-office actions to an HTTP server; retries with backoff,
 * dead letters and their retry, delivery recorded on the contact, and the unsubscribe link:
 * opening it only asks, posting it (one-click) reaches the stop list.
 */

let smtp: SmtpSink;
/** the letters the SMTP server took */
let mails: ParsedMail[] = [];
let smtpPort = 0;

interface Hook {
  body: string;
  headers: IncomingMessage['headers'];
}
const hooks: Hook[] = [];
/** what the back office answers next (then 200) */
const answers: number[] = [];
let web: Server;
let webPort = 0;

let k: TestKairos;
let gw: GatewayClient;

beforeAll(async () => {
  smtp = await startSmtpSink();
  smtpPort = smtp.port;
  mails = smtp.mails;

  web = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.statusCode = answers.shift() ?? 200;
      res.end(res.statusCode === 200 ? '{"ok":true}' : 'no');
    });
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as AddressInfo).port;

  k = await startTestKairos({
    config: {
      smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
      publicUrl: 'https://kairos.bank.example',
      unsubscribeSecret: 'test-unsubscribe-secret',
      webhookUrl: `http://127.0.0.1:${webPort}/actions`,
      webhookSecret: 'test-webhook-secret',
      deliveryBackoffMs: 30,
      deliveryPollMs: 20,
      deliveryMaxAttempts: 3,
      // The first event is nine days old.
      maxEventAgeMs: 30 * 86_400_000,
    },
  });
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
  await smtp.close();
  await new Promise<void>((resolve) => web.close(() => resolve()));
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

// Eight days before yesterday noon (Moscow): the last event comes eight days after the first.
const at = yesterdayMsk('12:00') - 8 * 86_400_000;

describe('e-mail over SMTP', () => {
  it('sends the rendered letter with text and HTML, a Message-ID from the instance and a working unsubscribe link', async () => {
    const campaign = await api('PUT', '/v1/campaigns/letter-test', {
      name: 'Письмо (тест)',
      status: 'active',
      offer: 'pension-deposit',
      channels: ['email'],
      trigger: { events: ['test.letter'] },
      groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 50 }],
      // The event is eight days old: an offer that had lapsed would be cancelled at send time.
      expiresIn: '30d',
    });
    expect(campaign.status).toBe(201);
    const d = await gw.request({ t: 'event', id: uid(), type: 'test.letter', customer: { id: 'demo-19' }, at });
    const action = (d.actions as Frame[])[0]!;
    expect(action).toMatchObject({ campaign: 'letter-test', channel: 'email' });
    const card = (await api('GET', '/v1/customers/demo-19')).body;
    const email = card.identifiers.email[0] as string;

    const mail = await until('the letter', () => mails.find((m) => m.subject?.includes('Пенсионный') === true));
    expect(mail.to).toMatchObject({ value: [{ address: email }] });
    expect(mail.subject).toContain(`${card.profile.firstName} ${card.profile.patronymic}`);
    expect(mail.text).toContain('вклад');
    expect(mail.html).toContain('<p>');
    expect(mail.messageId).toContain(action.instance as string);
    // mailparser gathers the List-* headers under "list".
    const list = mail.headers.get('list') as { unsubscribe?: { url?: string }; 'unsubscribe-post'?: { name?: string } };
    const link = list.unsubscribe?.url ?? '';
    expect(link).toMatch(/^https:\/\/kairos\.bank\.example\/v1\/unsubscribe\?t=/);
    expect(list['unsubscribe-post']?.name).toBe('List-Unsubscribe=One-Click');

    // The contact learns it was delivered.
    await until('delivery on the contact', async () => {
      const c = (await api('GET', '/v1/customers/demo-19')).body as { contacts: Array<{ instance: string; delivery: string }> };
      return c.contacts.find((x) => x.instance === action.instance && x.delivery === 'delivered');
    });
    expect((await api('GET', '/v1/outbox/email')).body.entries).toEqual([]);

    // A forged token is refused, opened or posted.
    const local = link.replace('https://kairos.bank.example', k.httpUrl);
    expect((await fetch(`${k.httpUrl}/v1/unsubscribe?t=forged.token`)).status).toBe(400);
    expect((await fetch(`${k.httpUrl}/v1/unsubscribe?t=forged.token`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${k.httpUrl}/v1/unsubscribe`, { method: 'POST' })).status).toBe(400);

    // Opening the link (a person, or a mail scanner) changes nothing: it shows the masked
    // address and a button posting the one-click body to the very URL it was opened at.
    const stopsBefore = (await api('GET', '/v1/stop-list')).body as { entries: unknown[] };
    const opened = await fetch(local);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toContain('text/html');
    expect(opened.headers.get('cache-control')).toBe('no-store');
    const confirm = await opened.text();
    expect(confirm).toContain('Отписаться от рассылки?');
    expect(confirm).toContain(`<b>${email.slice(0, 1)}***@${email.split('@')[1]!}</b>`);
    expect(confirm).not.toContain(email);
    expect(confirm).toContain('<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Отписаться</button></form>');
    expect(confirm).not.toContain('action=');
    expect((await fetch(local)).status).toBe(200);
    expect((await api('GET', '/v1/stop-list')).body).toEqual(stopsBefore);

    // The POST (the page's button, or the mail client's one-click) puts the address on the stop list.
    const res = await fetch(local, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Вы отписаны');
    const stopsAfter = (await api('GET', '/v1/stop-list')).body as { entries: Array<{ kind: string; channel?: string; hint: string; by?: string }> };
    expect(stopsAfter.entries.length).toBe(stopsBefore.entries.length + 1);
    expect(stopsAfter.entries).toContainEqual(expect.objectContaining({ kind: 'email', channel: 'email', hint: `${email.slice(0, 1)}***@${email.split('@')[1]!}`, by: 'unsubscribe-link' }));
    // Posting again (the button pressed twice) answers the same and keeps one entry.
    expect((await fetch(local, { method: 'POST' })).status).toBe(200);
    expect(((await api('GET', '/v1/stop-list')).body as { entries: unknown[] }).entries.length).toBe(stopsAfter.entries.length);
    const next = await gw.request({ t: 'event', id: uid(), type: 'test.letter', customer: { id: 'demo-19' }, at: at + 8 * 86_400_000 });
    expect(next.actions).toEqual([]);
    expect((await api('GET', '/v1/customers/demo-19')).body.lastDecision).toContainEqual(expect.objectContaining({ campaign: 'letter-test', reason: 'no_channel:email=stop_list' }));
  });

  it('keeps e-mail away from WebSocket subscribers while its adapter runs', async () => {
    const sub = await GatewayClient.connect(k.wsUrl);
    const r = await sub.request({ t: 'subscribe', id: uid('s'), channels: ['email'] });
    sub.close();
    expect(r).toMatchObject({ t: 'error', code: 'invalid' });
    expect(r.message).toContain('"email"');
  });
});

describe('back-office webhooks', () => {
  async function acceptShortfall(customer: string): Promise<string> {
    const d = await gw.request({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { id: customer }, channel: 'atm', at, data: { requested: 1000, balance: 800 } });
    const instance = (d.actions as Frame[])[0]!.instance as string;
    expect(await gw.request({ t: 'response', id: uid('r'), instance, outcome: 'accepted' })).toMatchObject({ t: 'ack' });
    return instance;
  }

  it('posts the signed action, retries a failure with backoff, and is done at the first 2xx', async () => {
    answers.push(500);
    const instance = await acceptShortfall('demo-20');
    const calls = await until('two calls', () => {
      const c = hooks.filter((h) => h.headers['idempotency-key'] === instance);
      return c.length >= 2 ? c : undefined;
    });
    const body = JSON.parse(calls[0]!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ id: instance, action: 'issue_credit', customer: 'demo-20', campaign: 'atm-shortfall', vars: { shortfall: 200 } });
    expect(calls[0]!.headers['x-kairos-signature']).toBe(`sha256=${createHmac('sha256', 'test-webhook-secret').update(calls[0]!.body).digest('hex')}`);
    expect(calls[1]!.body).toBe(calls[0]!.body);
    await until('an empty back-office outbox', async () => ((await api('GET', '/v1/outbox/backoffice')).body.entries.length === 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 150));
    expect(hooks.filter((h) => h.headers['idempotency-key'] === instance)).toHaveLength(2);
  });

  it('parks a permanent refusal in the dead letters, and delivers it when retried', async () => {
    answers.push(422);
    const instance = await acceptShortfall('demo-21');
    const dead = await until('a dead letter', async () => {
      const entries = (await api('GET', '/v1/outbox/backoffice/dead')).body.entries as Array<{ instance: string; attempts: number; lastError: string }>;
      return entries.find((e) => e.instance === instance);
    });
    expect(dead).toMatchObject({ attempts: 1, lastError: expect.stringContaining('HTTP 422') });
    expect(hooks.filter((h) => h.headers['idempotency-key'] === instance)).toHaveLength(1);
    expect((await api('POST', `/v1/outbox/backoffice/${encodeURIComponent(instance)}/retry`)).status).toBe(200);
    await until('delivery after the retry', () => (hooks.filter((h) => h.headers['idempotency-key'] === instance).length === 2 ? true : undefined));
    await until('no dead letters', async () => ((await api('GET', '/v1/outbox/backoffice/dead')).body.entries.length === 0 ? true : undefined));
    expect((await api('POST', '/v1/outbox/backoffice/nothing/retry')).status).toBe(404);
    const metrics = await (await fetch(`${k.httpUrl}/metrics`)).text();
    // The back office is a channel of its own in every metric, never "other".
    expect(metrics).toMatch(/^kairos_deliveries_total\{channel="backoffice",result="dead"\} 1$/m);
    expect(metrics).toMatch(/^kairos_outbox_queued_total\{channel="backoffice"\} [1-9]/m);
    expect(metrics).toMatch(/^kairos_outbox_pending\{channel="backoffice"\} \d/m);
    expect(metrics).not.toContain('channel="other"');
  });

  it('answers 404 naming a channel the outbox does not know', async () => {
    for (const path of ['/v1/outbox/backofice', '/v1/outbox/other/dead', '/v1/outbox/other/x-1/retry']) {
      const r = await api(path.endsWith('/retry') ? 'POST' : 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).toMatchObject({ code: 'not_found', detail: expect.stringMatching(/^no channel "(backofice|other)"/) });
    }
    expect((await api('GET', '/v1/outbox/backoffice/dead')).status).toBe(200);
  });
});
