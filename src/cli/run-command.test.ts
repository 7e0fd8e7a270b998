import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEta } from '../admin/outbound-routes.js';
import { packageRoot } from '../paths.js';
import { adminHeaders, serverForFile, tempDir, yesterdayMsk } from '../test-support/test-kairos.js';
import { runCommand } from './run-command.js';
import { runMetaKey } from '../runtime/outbound-runs.js';

/**
 * `kairos run …` as a process (the built CLI) against a real server (LMDB, manual clock, the
 * demo bank with its segments swept): the pension run started and followed to its end, its
 * status and the list, pause, resume and cancel, and the refusals; the ETA's arithmetic.
 */

const bin = join(packageRoot(), 'bin', 'kairos.js');
const server = serverForFile({ config: { clock: 'manual', store: 'lmdb' }, manualClockStart: yesterdayMsk('11:00') });
// the segments' members, as the sweep keeps them (45,211 customers on LMDB: past the default
// hook timeout on a loaded 2-vCPU machine)
beforeAll(async () => {
  await server.k.kairos.segmentSweep.runIfDue();
  await server.k.kairos.host.flush();
}, 180_000);

const SUMMARY = /^run: id=(\S+) state=(\w+) selected=(\d+) decided=(\d+) offered=(\d+) control=(\d+) suppressed=(\d+) deferred=(\d+) eta_s=(\d+|-)$/;

/** The command as a child process (asynchronous: the server answers from this process); key '': none. */
function kairos(args: string[], key = 'demo-admin', url = server.k.httpUrl): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('KAIROS_')) env[k] = v;
  if (key !== '') env.KAIROS_ADMIN_KEY = key;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'run', ...args, '--url', url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function summary(stdout: string) {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const m = SUMMARY.exec(line);
  expect(m, line).not.toBeNull();
  const [, id, state, selected, decided, offered, control, suppressed, deferred, eta] = m!;
  return { id: id!, state: state!, selected: Number(selected), decided: Number(decided), offered: Number(offered), control: Number(control), suppressed: Number(suppressed), deferred: Number(deferred), eta: eta! };
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.k.httpUrl}${path}`, { method, headers: adminHeaders, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

/** A run started and paused at once (before its first page is recorded), through the API. */
async function pausedRun(): Promise<string> {
  const run = await api('POST', '/v1/campaigns/pension-deposit-run/runs');
  await api('POST', `/v1/runs/${run.id}/pause`);
  await server.k.kairos.outboundRuns.idle();
  return run.id as string;
}

describe('kairos run', () => {
  it('starts the pension run and follows it to its end; the summary adds up; status and list say the same', async () => {
    const members = (await api('GET', '/v1/segments/clients_60_plus')).size as number;
    expect(members).toBeGreaterThan(1000);

    const started = await kairos(['start', 'pension-deposit-run', '--wait']);
    expect(started.code, started.stderr).toBe(0);
    const s = summary(started.stdout);
    expect(s).toMatchObject({ state: 'done', selected: members, decided: members, eta: '-' });
    expect(s.offered + s.control + s.suppressed + s.deferred).toBe(s.decided);
    expect(s.offered).toBeGreaterThan(0);
    // not a terminal: a line a tenth, the last at 100%
    expect(started.stderr).toContain(`run: 100% selected=${members}/${members}`);
    expect(started.stderr).not.toContain('\r');

    const status = await api('GET', `/v1/runs/${s.id}`);
    expect(status).toMatchObject({ state: 'done', total: members });
    expect(status.etaMs).toBeUndefined();

    const again = await kairos(['status', s.id]);
    expect(again.code).toBe(0);
    expect(summary(again.stdout)).toEqual(s);
    const listed = await kairos(['list', '--campaign', 'pension-deposit-run']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n').map((l) => summary(l))).toEqual([s]);
    expect((await kairos(['list', '--campaign', 'nope'])).stdout).toBe('');

    // On a terminal, --wait draws a bar on stderr and redraws it in place.
    const err: string[] = [];
    const out: string[] = [];
    const code = await runCommand(['status', s.id, '--wait', '--url', server.k.httpUrl], { env: { KAIROS_ADMIN_KEY: 'demo-admin' }, out: (l) => out.push(l), err: (t) => err.push(t), tty: true });
    expect(code).toBe(0);
    expect(err.join('')).toContain(`\r[${'#'.repeat(30)}] 100%  selected=${members}/${members}`);
    expect(out.at(-1)).toBe(again.stdout.trim());
  });

  it('pauses, resumes and cancels a run; refuses a move its state does not allow', async () => {
    // A paused run resumed by the command, then followed to its end.
    const first = await pausedRun();
    const resumed = await kairos(['resume', first]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(summary(resumed.stdout)).toMatchObject({ id: first, state: 'running' });
    const done = await kairos(['status', first, '--wait']);
    expect(summary(done.stdout)).toMatchObject({ id: first, state: 'done' });
    const late = await kairos(['pause', first]);
    expect(late.code).toBe(1);
    expect(late.stdout).toBe('');
    expect(late.stderr).toBe(`kairos run: conflict: run "${first}" is done: it cannot be paused\n`);

    // A run waiting for tomorrow's capacity (its record as the engine leaves it): paused, then cancelled.
    const second = await pausedRun();
    const record = (await server.k.kairos.store.getMeta(runMetaKey(second))) as Record<string, unknown>;
    await server.k.kairos.store.putMeta(runMetaKey(second), { ...record, state: 'waiting', waitingFor: 'capacity', waitingUntil: server.k.kairos.clock.now() + 86_400_000 });
    const paused = await kairos(['pause', second]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(summary(paused.stdout)).toMatchObject({ id: second, state: 'paused' });
    const cancelled = await kairos(['cancel', second]);
    expect(summary(cancelled.stdout)).toMatchObject({ id: second, state: 'cancelled' });
    const resume = await kairos(['resume', second]);
    expect(resume.code).toBe(1);
    expect(resume.stderr).toContain('kairos run: conflict:');
    expect((await kairos(['list'])).stdout.trim().split('\n').map((l) => summary(l).state)).toEqual(['done', 'done', 'cancelled']);
  });

  it('refuses an unknown campaign (404), one not outbound (409), an unknown run, no key, bad usage and a server it cannot reach', async () => {
    const unknown = await kairos(['start', 'nope']);
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: 'kairos run: not_found: no campaign "nope"\n' });
    const notOutbound = await kairos(['start', 'pension-deposit']);
    expect(notOutbound.code).toBe(1);
    expect(notOutbound.stderr).toMatch(/^kairos run: conflict: campaign "pension-deposit" is not outbound.*\n$/);
    const noRun = await kairos(['status', 'nope~20270101T000000', '--wait']);
    expect(noRun).toMatchObject({ code: 1, stderr: 'kairos run: not_found: no run "nope~20270101T000000"\n' });
    const noKey = await kairos(['list'], '');
    expect(noKey).toMatchObject({ code: 2, stdout: '' });
    expect(noKey.stderr).toContain('KAIROS_ADMIN_KEY');
    const wrongKey = await kairos(['list'], 'not-the-admin-key');
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/^kairos run: unauthorized: /);
    expect((await kairos(['pause'])).code).toBe(2);
    expect((await kairos(['list', '--wait'])).code).toBe(2);
    expect((await kairos(['launch', 'x'])).code).toBe(2);
    const away = await kairos(['list'], 'demo-admin', 'http://127.0.0.1:1');
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/^kairos run: cannot reach http:\/\/127\.0\.0\.1:1: .+\n$/);
  });
});

describe('kairos run --wait through a server that cannot answer for a moment', () => {
  it('asks again after a 503 or no answer (a shard being started again) and ends with the run; gives up after 60 in a row', async () => {
    const { createServer } = await import('node:http');
    // A node whose run status answers 503 twice, then cannot be reached once (the connection cut), then the run done.
    const answers: Array<[number, unknown] | 'cut'> = [
      [201, { id: 'r~1', campaign: 'c', state: 'running', selected: 0, total: 4, funnel: {} }],
      [503, { code: 'overloaded', detail: 'shard 1 is being started again' }],
      [503, { code: 'overloaded', detail: 'shard 1 is being started again' }],
      'cut',
      [200, { id: 'r~1', campaign: 'c', state: 'done', selected: 4, total: 4, funnel: { decided: 4, offered: 3 } }],
    ];
    let always503 = false;
    const http = createServer((req, res) => {
      const next = always503 && req.method === 'GET' ? ([503, { code: 'overloaded', detail: 'down' }] as [number, unknown]) : answers.shift();
      if (next === 'cut' || next === undefined) {
        req.socket.destroy();
        return;
      }
      res.writeHead(next[0], { 'Content-Type': 'application/json' }).end(JSON.stringify(next[1]));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    const io = (): { out: string[]; err: string[]; run: Parameters<typeof runCommand>[1] } => {
      const out: string[] = [];
      const err: string[] = [];
      return { out, err, run: { env: { KAIROS_ADMIN_KEY: 'k' }, out: (s: string) => out.push(s), err: (s: string) => err.push(s), tty: false, pollMs: 1 } };
    };
    try {
      const a = io();
      expect(await runCommand(['start', 'c', '--wait', '--url', url], a.run)).toBe(0);
      expect(a.out.join('')).toMatch(/^run: id=r~1 state=done selected=4 /);
      expect(a.err.filter((l) => l.includes('asking again'))).toEqual(['kairos run: overloaded: shard 1 is being started again; asking again\n']);
      // down for good: 60 asked again, then the last problem and exit 1
      always503 = true;
      answers.push([201, { id: 'r~2', campaign: 'c', state: 'running', selected: 0, total: 4, funnel: {} }]);
      const b = io();
      expect(await runCommand(['start', 'c', '--wait', '--url', url], b.run)).toBe(1);
      expect(b.err.at(-1)).toBe('kairos run: overloaded: down\n');
    } finally {
      http.close();
    }
  });
});

describe('a wave\'s call list and outcomes', () => {
  it('prints the call list as CSV, and records a dialer\'s outcomes file, naming the lines it could not', async () => {
    const run = await api('POST', '/v1/campaigns/credit-card-calls/runs');
    await server.k.kairos.outboundRuns.idle();
    const calls = await kairos(['calls', run.id]);
    expect(calls.code).toBe(0);
    const lines = calls.stdout.trim().split('\n');
    expect(lines[0]).toBe('rank,customer,last_name,first_name,patronymic,phone,score,offer,instance,called_at,outcome,callback_at,warm_lead');
    const [first, second] = lines.slice(1, 3).map((l) => l.split(','));
    expect(lines.length).toBeGreaterThan(100);
    const dir = tempDir();
    const file = join(dir.dir, 'outcomes.csv');
    writeFileSync(file, `instance,customer,outcome,callback_at\n${first![8]},,no_answer,\n,${second![1]},interested,\nnobody:1.x,,accepted,\n`);
    const done = await kairos(['outcomes', run.id, file]);
    expect(done.code).toBe(1);
    expect(done.stdout.trim()).toBe(`outcomes: run=${run.id} rows=3 recorded=2 duplicates=0 rejected=1`);
    expect(done.stderr).toContain(`${file}:4: field "instance": no customer "nobody"`);
    const again = await kairos(['outcomes', run.id, file]);
    expect(again.stdout.trim()).toBe(`outcomes: run=${run.id} rows=3 recorded=0 duplicates=2 rejected=1`);
    const after = await kairos(['calls', run.id]);
    expect(after.stdout).toContain(`,${first![8]},`);
    expect(after.stdout.split('\n').find((l) => l.includes(first![8]!))).toContain(',no_answer,');
    // a blank line does not shift the lines named; an interest that is no number is named by its line
    writeFileSync(file, `instance,outcome\n\n${first![8]},no_answer\nnobody:1.x,accepted\n`);
    expect((await kairos(['outcomes', run.id, file])).stderr).toContain(`${file}:4: field "instance"`);
    // a row the server's limits refuse (an interest above 100 or no number, no outcome) is named by
    // its line and not sent; the valid rows of its batch are recorded all the same
    const [third, fourth] = lines.slice(3, 5).map((l) => l.split(','));
    writeFileSync(file, `instance,outcome,interest\n${third![8]},interested,150\n${fourth![8]},interested,90\n${first![8]},,\n${second![8]},interested,lots\n`);
    const mixed = await kairos(['outcomes', run.id, file]);
    expect(mixed.code).toBe(1);
    expect(mixed.stdout.trim()).toBe(`outcomes: run=${run.id} rows=4 recorded=1 duplicates=0 rejected=3`);
    expect(mixed.stderr).toContain(`${file}:2: field "interest": 150 is not a number from 0 to 100`);
    expect(mixed.stderr).toContain(`${file}:4: field "outcome": missing`);
    expect(mixed.stderr).toContain(`${file}:5: column "interest": "lots" is not a number from 0 to 100`);
    const listed = (await kairos(['calls', run.id])).stdout.split('\n');
    expect(listed.find((l) => l.includes(fourth![8]!))).toContain(',interested,');
    expect(listed.find((l) => l.includes(third![8]!))).not.toContain(',interested,');
    // an outcome no call has is named by its line, with the outcomes taken, and not sent; one written
    // with capitals, spaces or dashes is the outcome it names; the corrected row is recorded
    const more = lines.slice(5, 9).map((l) => l.split(',')[8]!);
    writeFileSync(file, `instance,outcome\n${more[0]},banana\n${more[1]},NO_ANSWER\n${more[2]},no answer\n${more[3]},Accepted\n`);
    const named = await kairos(['outcomes', run.id, file]);
    expect(named.code).toBe(1);
    expect(named.stdout.trim()).toBe(`outcomes: run=${run.id} rows=4 recorded=3 duplicates=0 rejected=1`);
    expect(named.stderr).toContain(`${file}:2: column "outcome": invalid_outcome "banana": must be one of accepted, declined, interested, callback, no_answer, later, dismissed`);
    const shown = (await kairos(['calls', run.id])).stdout.split('\n');
    expect(more.map((instance) => shown.find((l) => l.includes(instance))!.split(',')[10])).toEqual(['', 'no_answer', 'no_answer', 'accepted']);
    writeFileSync(file, `instance,outcome\n${more[0]},No-Answer\n${more[1]},no_answer\n`);
    expect((await kairos(['outcomes', run.id, file])).stdout.trim()).toBe(`outcomes: run=${run.id} rows=2 recorded=1 duplicates=1 rejected=0`);
    writeFileSync(file, 'who,what\nx,y\n');
    expect((await kairos(['outcomes', run.id, file])).stderr).toContain('unknown column "who"');
    expect((await kairos(['outcomes', run.id])).code).toBe(2);
    // a run that is not a wave's has no call list
    const pension = (await api('GET', '/v1/runs?campaign=pension-deposit-run')).runs[0];
    if (pension !== undefined) expect((await kairos(['calls', pension.id])).stderr).toMatch(/conflict: .*not a wave's/);
    dir.remove();
   }, 120_000);
});

describe('the ETA', () => {
  const run = { state: 'running' as const, startedAt: 1_000_000, selected: 400 };
  it('is what is left of the total at the rate so far', () => {
    // 400 in 20 s: 20 a second; 1,600 left: 80 s
    expect(runEta(run, 2000, 1_020_000)).toBe(80_000);
    // more handed over than estimated (a stale size): nothing left
    expect(runEta(run, 300, 1_020_000)).toBe(0);
  });
  it('is unknown without a rate, a total, or a running run', () => {
    expect(runEta({ ...run, selected: 0 }, 2000, 1_020_000)).toBeUndefined();
    expect(runEta(run, 2000, run.startedAt)).toBeUndefined();
    expect(runEta(run, undefined, 1_020_000)).toBeUndefined();
    expect(runEta({ ...run, state: 'paused' }, 2000, 1_020_000)).toBeUndefined();
  });
});
