import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { SEGMENT_LEDGER_MARKER } from '../runtime/segment-ledger.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, msk, startTestKairos, tempDir, uid } from '../test-support/test-kairos.js';

/**
 * The automatic recount at a server's start: a store whose customers were stepped before the
 * segment ledger existed (no sizes, no member index, no marker) shows every segment's size and
 * members again once the server is up, equal to what it showed live.
 */

const start = msk('2026-11-24T10:00:00');
const SEGMENTS = ['clients_60_plus', 'clients_55_60', 'clients_18_30'];

async function get(k: TestKairos, path: string): Promise<any> {
  const res = await fetch(`${k.httpUrl}${path}`, { headers: adminHeaders });
  expect(res.status).toBe(200);
  return res.json();
}

async function shown(k: TestKairos): Promise<Record<string, { size: number; members: string[] }>> {
  const out: Record<string, { size: number; members: string[] }> = {};
  for (const s of SEGMENTS) out[s] = { size: (await get(k, `/v1/segments/${s}`)).size as number, members: (await get(k, `/v1/segments/${s}/members?limit=1000`)).members as string[] };
  return out;
}

describe('segment sizes and members at a start on a store from before the ledger', () => {
  it('are recounted from the stored snapshots before the server takes traffic', async () => {
    const data = tempDir();
    try {
      const options = { config: { clock: 'manual' as const }, manualClockStart: start, dataDir: data.dir, keepDataDir: true };
      let k = await startTestKairos(options);
      const gw = await GatewayClient.connect(k.wsUrl);
      for (let i = 1; i <= 20; i++) await gw.request({ t: 'event', id: uid(), type: 'ib.login', customer: { id: `demo-${i}` }, channel: 'ib', at: start });
      gw.close();
      const live = await shown(k);
      expect(Object.values(live).reduce((n, s) => n + s.size, 0)).toBeGreaterThan(0);
      for (const s of Object.values(live)) expect(s.members.length).toBe(s.size);
      await k.close();

      // The ledger taken away, as in a store written before it: sizes, member index, marker.
      const env = open({ path: join(data.dir, 'lmdb'), maxDbs: 16 });
      const meta = env.openDB<unknown, string>({ name: 'meta' });
      const members = env.openDB<string, [string, string, string]>({ name: 'segment-members', encoding: 'string' });
      expect(meta.get(SEGMENT_LEDGER_MARKER)).toBeDefined();
      await env.transaction(() => {
        for (const { key } of meta.getRange({ start: 'segsize/', end: 'segsize0' })) void meta.remove(key);
        void meta.remove(SEGMENT_LEDGER_MARKER);
        void members.clearSync();
      });
      await env.close();

      k = await startTestKairos(options);
      try {
        expect(await shown(k)).toEqual(live);
      } finally {
        await k.close();
      }
    } finally {
      data.remove();
    }
  });
});
