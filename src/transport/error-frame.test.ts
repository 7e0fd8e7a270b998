import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../errors.js';
import { errorCatalog, protocolErrorCodes } from '../errors.js';
import { GatewayClient, startTestKairos, uid } from '../test-support/test-kairos.js';
import { errorFrame } from './error-frame.js';

/** The WebSocket `error` frame carries only PROTOCOL.md's codes: each catalog code as it goes out, and one through a real server. */

describe('the error frame', () => {
  it('keeps every protocol code and its message, with re when there is one', () => {
    for (const code of protocolErrorCodes) {
      expect(errorFrame('e-1', code, 'what went wrong')).toEqual({ frame: { t: 'error', re: 'e-1', code, message: 'what went wrong' }, mapped: false });
    }
    expect(errorFrame(undefined, 'bad_frame', 'text frames are refused').frame).toEqual({ t: 'error', code: 'bad_frame', message: 'text frames are refused' });
  });

  it('sends a 503-kind code as overloaded with its message, and any other code outside the protocol as internal with the generic text', () => {
    expect(errorFrame('e-2', 'unavailable', 'the store is closed')).toEqual({ frame: { t: 'error', re: 'e-2', code: 'overloaded', message: 'the store is closed' }, mapped: true });
    for (const code of ['not_found', 'conflict', 'method_not_allowed', 'payload_too_large', 'unsupported_media_type', 'config_invalid', 'delivery_refused', 'delivery_failed'] as const) {
      expect(errorFrame('e-3', code, `secret detail of ${code}`)).toEqual({ frame: { t: 'error', re: 'e-3', code: 'internal', message: 'internal error' }, mapped: true });
    }
    // Every code of the catalog goes out as one of the protocol's.
    for (const code of Object.keys(errorCatalog) as ErrorCode[]) expect(protocolErrorCodes.has(errorFrame(undefined, code, 'x').frame.code)).toBe(true);
  });

  it('answers a confirmation the store cannot take (closed: unavailable) as overloaded through a real server, naming the frame', async () => {
    const k = await startTestKairos({ config: { store: 'memory', clock: 'manual' } });
    const gw = await GatewayClient.connect(k.wsUrl);
    try {
      await k.kairos.store.commit({
        snapshots: [],
        identities: [],
        outbox: [{ kind: 'backoffice', instance: 'bk-1', customer: 'c-1', channel: 'backoffice', campaign: 'atm-shortfall', offer: 'atm-microcredit', action: 'issue_credit', vars: {}, at: 1 }],
      });
      const sid = uid('s');
      expect(await gw.request({ t: 'subscribe', id: sid, channels: ['backoffice'] })).toEqual({ t: 'ack', re: sid });
      expect(await gw.next((f) => f.t === 'deliver')).toMatchObject({ instance: 'bk-1' });
      await k.kairos.store.close();
      const did = uid('d');
      expect(await gw.request({ t: 'delivered', id: did, instance: 'bk-1' })).toEqual({ t: 'error', re: did, code: 'overloaded', message: 'the store is closed' });
      expect(k.logs.some((l) => l.code === 'unavailable' && l.sent === 'overloaded')).toBe(true);
    } finally {
      gw.close();
      await k.close();
    }
  });
});
