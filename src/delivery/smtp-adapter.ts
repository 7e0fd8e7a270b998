import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { OutboxRecord } from '../store/store.js';
import type { ChannelAdapter } from './dispatcher.js';
import { KairosError } from '../errors.js';
import { unsubscribeToken } from './unsubscribe.js';

/**
 * E-mail over SMTP (nodemailer): the rendered subject, text and HTML parts; a Message-ID made
 * from the offer instance (a resend after a crash is the same message to the receiving
 * side); `List-Unsubscribe` with a signed link (and one-click POST) that puts the address on
 * the stop list for e-mail.
 */
export interface SmtpOptions {
  /** smtp://host:port or smtps://… */
  url: string;
  from: string;
  /** the server's public base URL, for unsubscribe links */
  publicUrl: string;
  unsubscribeSecret: string;
  ratePerSec: number;
}

export class SmtpAdapter implements ChannelAdapter {
  /** the channel it delivers (known before one is built: `adapterChannels`) */
  static readonly CHANNEL = 'email';
  readonly channel = SmtpAdapter.CHANNEL;
  readonly ratePerSec: number;
  private readonly transport: Transporter;

  constructor(private readonly o: SmtpOptions) {
    this.ratePerSec = o.ratePerSec;
    const secure = o.url.startsWith('smtps:');
    const options = { url: o.url, secure, pool: true, maxConnections: 2 } as Parameters<typeof createTransport>[0];
    this.transport = createTransport(options) as Transporter;
  }

  async send(r: OutboxRecord): Promise<void> {
    if (r.kind !== 'offer') throw new KairosError('delivery_refused', 'not an e-mail');
    const content = r.content;
    if (!('subject' in content)) throw new KairosError('delivery_refused', 'the content has no e-mail parts');
    if (r.to === undefined) throw new KairosError('delivery_refused', 'no e-mail address');
    const link = `${this.o.publicUrl.replace(/\/$/, '')}/v1/unsubscribe?t=${unsubscribeToken({ email: r.to, customer: r.customer }, this.o.unsubscribeSecret)}`;
    const domain = /@(.+)>?$/.exec(this.o.from)?.[1]?.replace(/>$/, '') ?? 'kairos.local';
    try {
      await this.transport.sendMail({
        from: this.o.from,
        to: r.to,
        subject: content.subject,
        text: `${content.text}\n\nОтписаться от рассылки: ${link}`,
        html: `${content.html}<p style="font-size:small"><a href="${link}">Отписаться от рассылки</a></p>`,
        messageId: `<${r.instance.replace(/[^A-Za-z0-9.:~_-]/g, '_')}@${domain}>`,
        headers: {
          'List-Unsubscribe': `<${link}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          'X-Kairos-Campaign': r.campaign,
        },
      });
    } catch (err) {
      const e = err as { responseCode?: number; message?: string };
      // 5xx: the server refuses for good (no such mailbox); anything else is worth another try.
      if (typeof e.responseCode === 'number' && e.responseCode >= 500) throw new KairosError('delivery_refused', `SMTP ${e.responseCode}: ${e.message ?? ''}`, { cause: err });
      throw new KairosError('delivery_failed', err instanceof Error ? err.message : String(err), { cause: err });
    }
  }

  close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }
}
