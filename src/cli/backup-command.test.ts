import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import type { ReminderRecord } from '../store/store.js';
import type { Frame, TestKairos } from '../test-support/test-kairos.js';
import { GatewayClient, adminHeaders, msk, startTestKairos, tempDir, uid } from '../test-support/test-kairos.js';

/**
 * `kairos backup`, `kairos backup check` and `kairos restore` as processes (built: npm test
 * builds first) on the demo bank: a backup taken while a server on the store answers events
 * over WebSocket, checked, restored into a new data dir, and a server started there answering
 * the same customer cards, outbox and reminders; each customer either with all of what an
 * event made (contact, outbox entry, reminder) or none of it. And the refusals, by exit code.
 */

const bin = join(packageRoot(), 'bin', 'kairos.js');
const T0 = msk('2026-11-25T12:00:00');
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The command as a process, not blocking this one's event loop (a server in it keeps serving). */
function kairos(args: string[], env: Record<string, string> = {}): { done: Promise<Ran>; exited: () => boolean } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, KAIROS_STORE: 'lmdb', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const done = new Promise<Ran>((resolve) =>
    child.once('close', (status) => {
      exited = true;
      resolve({ status, stdout, stderr });
    }),
  );
  return { done, exited: () => exited };
}

const LINE = /^backup: customers=(\d+) outbox=(\d+) reminders=(\d+) records=(\d+) snapshots=(\d+) stops=\d+ audit=\d+ keys=\d+ opened=(\d+)\/(\d+) bytes=\d+( s=\d+\.\d)?$/;
const lastLine = (text: string): string => text.trim().split('\n').at(-1) ?? '';

const shortfall = (card: string): Frame => ({ t: 'event', id: uid(), type: 'atm.withdrawal.declined', customer: { card }, at: T0, data: { requested: 1000, balance: 800 } });

async function getJson(k: TestKairos, path: string): Promise<Record<string, any>> {
  const res = await fetch(`${k.httpUrl}${path}`, { headers: adminHeaders });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

const remindersOf = async (k: TestKairos, customers: ReadonlySet<string>): Promise<ReminderRecord[]> =>
  (await k.kairos.store.dueReminders(Number.MAX_SAFE_INTEGER, 1_000_000)).filter((r) => customers.has(r.customer));

describe('kairos backup and restore', () => {
  it('backs up a serving demo bank, checks the copy, restores it, and a server on it answers the same', async () => {
    const data = tempDir('kairos-backup-');
    cleanups.push(data.remove);
    const source = await startTestKairos({ dataDir: join(data.dir, 'source'), keepDataDir: true, config: { clock: 'manual' }, manualClockStart: T0 });
    cleanups.push(() => source.close());
    const gw = await GatewayClient.connect(source.wsUrl);
    cleanups.push(() => gw.close());

    // Before the backup: shortfall SMS offers (an outbox entry and an expiry reminder each).
    const before = new Map<string, Frame>();
    for (let n = 19; n < 31; n++) {
      const decision = await gw.request(shortfall(`card-${n}`));
      if ((decision.actions as Frame[]).length > 0) before.set(`demo-${n}`, decision);
    }
    expect(before.size).toBeGreaterThan(0);
    const cards = new Map<string, Record<string, any>>();
    for (const id of before.keys()) cards.set(id, await getJson(source, `/v1/customers/${id}`));
    const smsBefore = (await source.kairos.store.listOutbox('sms', 10_000)).filter((r) => before.has(r.customer));
    const remindersBefore = await remindersOf(source, new Set(before.keys()));
    expect(smsBefore).toHaveLength(before.size);
    expect(remindersBefore.length).toBeGreaterThanOrEqual(before.size);

    // The backup runs in its own process while this one keeps deciding events for other customers.
    const backupDir = join(data.dir, 'backup');
    const backup = kairos(['backup', backupDir, '--data-dir', join(data.dir, 'source')]);
    const during = new Set<string>();
    let n = 200;
    do {
      const decision = await gw.request(shortfall(`card-${n}`));
      if ((decision.actions as Frame[]).length > 0) during.add(`demo-${n}`);
      n++;
    } while (!backup.exited() && n < 5_000);
    const made = await backup.done;
    expect(made.stderr).toBe(`backup: copying ${join(data.dir, 'source', 'lmdb')} into ${backupDir}\n`);
    expect(made.status).toBe(0);
    const line = lastLine(made.stdout);
    expect(line).toMatch(LINE);
    const [, customers, outbox, reminders, , , opened, sampled] = LINE.exec(line)!;
    expect(Number(customers)).toBe(45_211);
    expect(Number(opened)).toBe(Number(sampled));

    const check = await kairos(['backup', 'check', backupDir]).done;
    expect(check.status).toBe(0);
    expect(check.stdout).toBe(`${line.replace(/ s=\d+\.\d$/, '')}\n`);

    const restoredDir = join(data.dir, 'restored');
    const restore = await kairos(['restore', backupDir, '--data-dir', restoredDir]).done;
    expect(restore.status).toBe(0);
    expect(lastLine(restore.stdout)).toMatch(new RegExp(`^restore: customers=45211 outbox=${outbox} reminders=${reminders} into ${join(restoredDir, 'lmdb')} s=\\d+\\.\\d$`));

    const again = await kairos(['restore', backupDir, '--data-dir', restoredDir]).done;
    expect([again.status, again.stderr]).toEqual([1, `kairos restore: ${join(restoredDir, 'lmdb')} already holds a store (data.mdb, keys.bin): restore into an empty data dir, or pass --force to move it aside\n`]);

    const restored = await startTestKairos({ dataDir: restoredDir, keepDataDir: true, config: { clock: 'manual' }, manualClockStart: T0 });
    cleanups.push(() => restored.close());
    expect(restored.logs).toContainEqual(expect.objectContaining({ msg: 'demo bank already in the store', customers: 45_211 }));
    // Not over a serving store, even with --force.
    const held = await kairos(['restore', backupDir, '--data-dir', restoredDir, '--force']).done;
    expect([held.status, held.stderr]).toEqual([1, expect.stringContaining(`kairos restore: the data dir ${join(restoredDir, 'lmdb')} is in use by process ${process.pid}`)]);
    // The customers decided before the backup: the same cards, outbox entries and reminders.
    // (Less the last decision's explanation, which only a live actor holds, as after any restart.)
    for (const [id, card] of cards) expect(await getJson(restored, `/v1/customers/${id}`)).toEqual({ ...card, lastDecision: [] });
    expect((await restored.kairos.store.listOutbox('sms', 10_000)).filter((r) => before.has(r.customer))).toEqual(smsBefore);
    expect(await remindersOf(restored, new Set(before.keys()))).toEqual(remindersBefore);
    // The whole copy: as many outbox entries and reminders as the backup counted.
    let restoredOutbox = 0;
    for (const channel of ['sms', 'email', 'push', 'webhook', 'callcenter']) restoredOutbox += (await restored.kairos.store.listOutbox(channel, 100_000)).length;
    expect(restoredOutbox).toBe(Number(outbox));
    expect((await restored.kairos.store.dueReminders(Number.MAX_SAFE_INTEGER, 1_000_000)).length).toBe(Number(reminders));
    // Those decided while it ran: each with its contact, outbox entry and reminder, or with none.
    const sms = await restored.kairos.store.listOutbox('sms', 100_000);
    for (const id of during) {
      const card = await getJson(restored, `/v1/customers/${id}`);
      const contacts = (card.contacts as Frame[]).filter((c) => c.campaign === 'atm-shortfall').length;
      expect([contacts, sms.filter((r) => r.customer === id).length, (await remindersOf(restored, new Set([id]))).filter((r) => r.key.startsWith(`${id}|expiry:`)).length]).toEqual(
        contacts === 0 ? [0, 0, 0] : [1, 1, 1],
      );
    }
    // It answers as the source did: a repeated event id gets its first decision, word for word.
    const rgw = await GatewayClient.connect(restored.wsUrl);
    cleanups.push(() => rgw.close());
    const [first, decision] = [...before][0]!;
    expect(await rgw.request({ ...shortfall(`card-${first.slice('demo-'.length)}`), id: (decision as { re: string }).re })).toEqual(decision);
  });

  it('refuses by exit code, naming why: usage, a Redis store, a missing backup or store, a directory that is no backup', async () => {
    const data = tempDir('kairos-backup-');
    cleanups.push(data.remove);
    expect((await kairos(['backup']).done).status).toBe(2);
    expect((await kairos(['backup', 'check']).done).status).toBe(2);
    const redis = await kairos(['backup', join(data.dir, 'r')], { KAIROS_STORE: 'redis', KAIROS_REDIS_URL: 'redis://127.0.0.1:1' }).done;
    expect([redis.status, redis.stderr]).toEqual([2, 'kairos backup: copies the LMDB store of KAIROS_DATA_DIR (KAIROS_STORE=lmdb); a Redis store is backed up by Redis itself (docs/operations.md#redis)\n']);
    const missing = await kairos(['backup', 'check', join(data.dir, 'nope')]).done;
    expect([missing.status, missing.stderr]).toEqual([1, `kairos backup check: ${join(data.dir, 'nope')}: no such directory\n`]);
    const noStore = await kairos(['backup', join(data.dir, 'b'), '--data-dir', join(data.dir, 'empty')]).done;
    expect([noStore.status, noStore.stderr.trim().split('\n').at(-1)]).toEqual([1, `kairos backup: no LMDB store in ${join(data.dir, 'empty', 'lmdb')}`]);
    mkdirSync(join(data.dir, 'half'));
    writeFileSync(join(data.dir, 'half', 'data.mdb'), 'not a store');
    const half = await kairos(['restore', join(data.dir, 'half'), '--data-dir', join(data.dir, 'target')]).done;
    expect([half.status, half.stderr]).toEqual([1, `kairos restore: ${join(data.dir, 'half')}: no manifest.json: not a Kairos backup, or one that did not finish\n`]);
  });
});
