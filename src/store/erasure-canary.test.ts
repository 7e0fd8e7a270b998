import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerRecord } from './store.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, startTestKairos, uid, until, yesterdayMsk } from '../test-support/test-kairos.js';

/**
 * An erasure leaves no readable copy in the LMDB data dir while the server runs: a customer
 * with canary values (name, e-mail, phone, card) is imported, gets an event whose offer waits
 * in the e-mail outbox (rendered text and recipient), is erased, and then every file of the
 * data dir, read as bytes, holds none of the canaries in UTF-8 or UTF-16LE (docs/privacy.md).
 */

let k: TestKairos;
let gw: GatewayClient;

const canary = {
  firstName: 'Зоряна',
  patronymic: 'Канареевна',
  lastName: 'Щеглова-Канарейкина',
  email: 'zoryana.kanareyka@canary.example',
  phone: '+79990001122',
  card: '4276000099991122',
};

beforeAll(async () => {
  k = await startTestKairos({ config: { maxEventAgeMs: 30 * 86_400_000 } });
  gw = await GatewayClient.connect(k.wsUrl);
});

afterAll(async () => {
  gw.close();
  await k.close();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The canaries found in the data dir's files, as `<file>: <value> (<encoding>)`. */
function canariesIn(dir: string): string[] {
  const hits: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    for (const value of Object.values(canary)) {
      for (const encoding of ['utf8', 'utf16le'] as const) {
        if (bytes.includes(Buffer.from(value, encoding))) hits.push(`${file}: ${value} (${encoding})`);
      }
    }
  }
  return hits;
}

describe('erasure on LMDB', () => {
  it('leaves no canary in any file of the data dir, and the API returned the data until then', async () => {
    const model = await k.kairos.store.getCustomer('demo-19');
    expect(model).toBeDefined();
    const record: CustomerRecord = {
      ...model!,
      profile: { ...model!.profile, firstName: canary.firstName, patronymic: canary.patronymic, lastName: canary.lastName },
      identifiers: { card: [canary.card], phone: [canary.phone], email: [canary.email], cookie: [] },
    };
    await k.kairos.store.importCustomers([{ id: 'canary-1', record }]);
    const campaign = await api('PUT', '/v1/campaigns/canary-letter', {
      name: 'Письмо (канарейка)',
      status: 'active',
      offer: 'pension-deposit',
      channels: ['email'],
      trigger: { events: ['test.canary'] },
      groups: [{ id: 'all', when: { attr: 'stage', op: 'eq', value: 'client' }, responsePercent: 100 }],
    });
    expect(campaign.status).toBe(201);
    // the event names the customer by phone: the identity index is read, the snapshot written
    const d = await gw.request({ t: 'event', id: uid(), type: 'test.canary', customer: { phone: canary.phone }, at: yesterdayMsk('12:00') });
    expect(d.actions).toEqual([expect.objectContaining({ campaign: 'canary-letter', channel: 'email' })]);

    // Before the erasure the API gives it all back: the card, the letter waiting with its recipient.
    const card = (await api('GET', '/v1/customers/canary-1')).body;
    expect(card.profile).toMatchObject({ firstName: canary.firstName, lastName: canary.lastName });
    expect(card.identifiers).toMatchObject({ phone: [canary.phone], email: [canary.email], card: [canary.card] });
    const letter = await until('the letter in the outbox', async () => {
      const entries = (await api('GET', '/v1/outbox/email')).body.entries as Array<Record<string, unknown>>;
      return entries.find((e) => e.customer === 'canary-1');
    });
    expect(JSON.stringify(letter)).toContain(canary.email);
    await k.kairos.host.flush();

    expect((await api('DELETE', '/v1/customers/canary-1')).status).toBe(200);
    expect((await api('GET', '/v1/customers/canary-1')).status).toBe(404);
    expect(canariesIn(k.dataDir)).toEqual([]);
  });

  it('a customer whose erasure did not commit (key gone, records left) is erased by the next DELETE', async () => {
    const phone = ((await api('GET', '/v1/customers/demo-23')).body as { identifiers: { phone: string[] } }).identifiers.phone[0]!;
    // the erasure's transaction fails once (a full disk, say), after the key is destroyed
    const root = (k.kairos.store as unknown as { root: { transactionSync: (cb: () => unknown) => unknown } }).root;
    const real = root.transactionSync;
    root.transactionSync = () => {
      root.transactionSync = real;
      throw new Error('MDB_MAP_FULL (injected)');
    };
    expect((await api('DELETE', '/v1/customers/demo-23')).status).toBe(500);
    expect(await k.kairos.store.hasCustomer('demo-23')).toBe(true);
    const again = await api('DELETE', '/v1/customers/demo-23');
    expect(again).toEqual({ status: 200, body: { erased: 'demo-23', identifiers: 0 } });
    expect(await k.kairos.store.hasCustomer('demo-23')).toBe(false);
    expect(await k.kairos.store.lookupIdentity('phone', phone)).toBeUndefined();
    expect((await api('GET', '/v1/customers/demo-23')).status).toBe(404);
  });
});
