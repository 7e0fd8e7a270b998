import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../actors/index.js';
import { compileCatalog } from '../../actors/index.js';
import { testCatalogDef } from '../../actors/test-support/fixtures.js';
import { ManualClock } from '../clock.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { bareHost } from '../test-support/bare-host.js';
import { importCsv } from '../test-support/import-csv.js';
import { tempDir } from '../test-support/test-kairos.js';

/**
 * The direct import's stage column reaching customers who have a stored state (a real LMDB
 * store, a real host, a manual clock, a "restart" as a new host on the same store): each move
 * of the record's stage is told by the `import:stage` reminder as an event's own move would be
 * (`client.onboarded` to client, `client.churned` from client to former client, else
 * `stage.set`), and the next server's poller brings the state to it.
 */

const T0 = Date.UTC(2030, 0, 15, 7, 0);
const catalog = compileCatalog(
  (() => {
    const def = testCatalogDef();
    def.segments = [...def.segments, { id: 'clients', name: 'Clients', rule: { attr: 'stage', op: 'eq', value: 'client' } }];
    return def;
  })(),
);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function openStore(): LmdbStore {
  const d = tempDir('kairos-import-stage-');
  cleanups.push(d.remove);
  const store = new LmdbStore(join(d.dir, 'lmdb'));
  cleanups.push(() => store.close());
  return store;
}

let seq = 0;
const visit = (id: string, at: number): GatewayEvent => ({ id: `v-${++seq}`, type: 'web.page.viewed', customer: { id }, channel: 'web', at, data: { page: '/deposits' } });

describe('the direct import of a stage', () => {
  it('brings a prospect and a former client to client, and a client to visitor, at the next start', async () => {
    const store = openStore();
    const clock = new ManualClock(T0);
    expect(await importCsv(store, 'id,stage\nST1,prospect\nST2,former_client\nST3,client\n', T0, true)).toMatchObject({ created: 3 });
    const first = bareHost(store, clock, catalog);
    for (const id of ['ST1', 'ST2', 'ST3']) await first.submitEvent(visit(id, T0));
    expect(Object.keys((await first.view('ST3'))?.segments ?? {})).toContain('clients');
    await first.close(5000);

    clock.set(T0 + 3_600_000);
    expect(await importCsv(store, 'id,stage\nST1,client\nST2,client\nST3,visitor\n', clock.now(), true)).toMatchObject({ updated: 3 });
    expect((await store.dueReminders(clock.now(), 10)).map((r) => [r.key, r.event, r.data])).toEqual([
      ['ST1|import:stage', 'client.onboarded', { source: 'import' }],
      ['ST2|import:stage', 'client.onboarded', { source: 'import' }],
      ['ST3|import:stage', 'stage.set', { stage: 'visitor', source: 'import' }],
    ]);

    const second = bareHost(store, clock, catalog);
    cleanups.push(() => second.close(5000));
    expect(await second.pollReminders()).toBe(3);
    for (const [id, stage, reason] of [['ST1', 'client', 'client.onboarded'], ['ST2', 'client', 'client.onboarded'], ['ST3', 'visitor', 'stage.set']] as const) {
      const view = await second.view(id);
      expect([view?.stage, view?.lifecycle.at(-1)?.reason], id).toEqual([stage, reason]);
      expect(Object.keys(view?.segments ?? {}).includes('clients'), id).toBe(stage === 'client');
    }
    await second.close(5000);
    // and after a restart
    const third = bareHost(store, clock, catalog);
    cleanups.push(() => third.close(5000));
    expect([(await third.view('ST1'))?.stage, (await third.view('ST2'))?.stage, (await third.view('ST3'))?.stage]).toEqual(['client', 'client', 'visitor']);
  });
});
