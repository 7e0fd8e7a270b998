import type { Socket } from 'node:net';
import type { SmppPdu, SmppSession } from '../delivery/smpp-adapter.js';
import { smpp } from '../delivery/smpp-adapter.js';

/**
 * A real SMSC peer for tests, on a loopback port: it accepts any bind (keeping the latest
 * session, so a test can send Kairos a customer's reply), answers enquire_link and unbind,
 * and answers each submit_sm with what `onSubmit` returns (a message id, or a
 * `command_status` to refuse it); when it returns undefined, nothing is answered (the test
 * answers on the session, late or with a receipt in the same write, drops it, or stays silent).
 */
export interface TestSmsc {
  port: number;
  /** the session Kairos bound last (undefined before the first bind) */
  readonly session: SmppSession | undefined;
  /** how many binds it took */
  readonly binds: number;
  /**
   * A `deliver_sm` to Kairos (to BANK unless `fields` say otherwise): a mobile-originated
   * message, a receipt or a notification, as `esm_class` says; resolves to Kairos's
   * `deliver_sm_resp`.
   */
  deliver(fields: Record<string, unknown>): Promise<SmppPdu>;
  close(): Promise<void>;
}

/** The SMSC's side of a bind, with its socket (to drop it, or to write several PDUs at once). */
export type TestSmscSession = SmppSession & { socket: Socket };

/** An SMPP PDU made by hand (a `deliver_sm` receipt), with its bytes. */
export const PDU = (smpp as unknown as { PDU: new (cmd: string, fields: Record<string, unknown>) => SmppPdu & { toBuffer(): Buffer } }).PDU;

export async function startTestSmsc(onSubmit: (pdu: SmppPdu, session: TestSmscSession) => Record<string, unknown> | undefined): Promise<TestSmsc> {
  let session: SmppSession | undefined;
  let binds = 0;
  const sessions = new Set<SmppSession>();
  const server = smpp.createServer({}, (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('bind_transceiver', (pdu: SmppPdu) => {
      s.send(pdu.response());
      session = s;
      binds++;
    });
    s.on('submit_sm', (pdu: SmppPdu) => {
      const answer = onSubmit(pdu, s as TestSmscSession);
      if (answer !== undefined) s.send(pdu.response(answer));
    });
    s.on('enquire_link', (pdu: SmppPdu) => s.send(pdu.response()));
    s.on('unbind', (pdu: SmppPdu) => s.send(pdu.response()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    get session() {
      return session;
    },
    get binds() {
      return binds;
    },
    deliver(fields) {
      const bound = session;
      if (bound === undefined) throw new Error('no session bound to the test SMSC');
      return new Promise((resolve) => bound.send(new PDU('deliver_sm', { destination_addr: 'BANK', ...fields }), resolve));
    },
    // A client still bound (a host a test left open, reconnecting) would keep server.close waiting: ended here.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.destroy?.();
      }),
  };
}
