import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import type { OutcomeRow, ParsedRecord } from '../outcome-rows.js';
import { OUTCOME_CSV_OPTIONS, outcomeRowsOfRecords } from '../outcome-rows.js';
import { adminClient, problemLine } from './admin-client.js';
import { URL_OPTION } from './server-url.js';

/**
 * `kairos run start|status|list|pause|resume|cancel|calls|outcomes`: outbound runs (docs/outbound.md) on a
 * running server, over its admin API, with an admin key from KAIROS_ADMIN_KEY or --key-file.
 * `--wait` follows a run until it is no longer running, through a wait for its segments'
 * memberships (a progress bar on a terminal, a line a tenth otherwise, on stderr). On stdout each run is one line:
 * `run: id=… state=… selected=N decided=N offered=N control=N suppressed=N deferred=N eta_s=…`.
 */

export const runUsage = `usage:
  kairos run start CAMPAIGN [--wait]    start a run of an outbound campaign now
  kairos run status RUN [--wait]        a run's status; --wait: follow it until it is no longer running
  kairos run list [--campaign C]        the runs, oldest first, a line each
  kairos run pause RUN                  pause a running (or waiting) run at once
  kairos run resume RUN                 resume a paused run where it stopped
  kairos run cancel RUN                 cancel a run (what was sent stays sent; its deferred messages, a done run's too, are not)
  kairos run calls RUN                  a wave's call list as CSV on stdout, best expected value first (for a dialer)
  kairos run outcomes RUN FILE          a dialer's outcomes (CSV with a header: instance or customer, outcome,
                                        at, callback_at, interest; - for stdin), each recorded as the call's response
options:
  ${URL_OPTION}
  --key-file FILE  a file holding the admin key (default: the KAIROS_ADMIN_KEY variable)
each run is printed on stdout as one line:
  run: id=ID state=STATE selected=N decided=N offered=N control=N suppressed=N deferred=N eta_s=S|-`;

export interface RunIo {
  env: Readonly<Record<string, string | undefined>>;
  /** a line on stdout */
  out: (line: string) => void;
  /** text on stderr, as it is (lines end with a newline; the bar redraws with a carriage return) */
  err: (text: string) => void;
  /** whether stderr is a terminal: a progress bar; else a line per tenth */
  tty: boolean;
  /** the time between two looks at a followed run (1 s) */
  pollMs?: number;
  /** standard input, read whole (`outcomes RUN -`) */
  stdin?: () => Promise<string>;
}

/** A run's status as GET /v1/runs/{id} answers it (the fields the command reads). */
export interface RunView {
  id: string;
  state: string;
  waitingFor?: string;
  selected: number;
  total?: number;
  etaMs?: number;
  funnel: { decided: number; offered: number; control: number; suppressed: number; deferred: number };
}

/** The run's one parseable line. */
export function runLine(r: RunView): string {
  const f = r.funnel;
  const eta = r.etaMs === undefined ? '-' : String(Math.ceil(r.etaMs / 1000));
  return `run: id=${r.id} state=${r.state} selected=${r.selected} decided=${f.decided} offered=${f.offered} control=${f.control} suppressed=${f.suppressed} deferred=${f.deferred} eta_s=${eta}`;
}

function bar(r: RunView, width = 30): string {
  const share = r.total !== undefined && r.total > 0 ? Math.min(1, r.selected / r.total) : 0;
  const filled = Math.round(share * width);
  const eta = r.etaMs === undefined ? '' : `  eta ${Math.ceil(r.etaMs / 1000)} s`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  selected=${r.selected}${r.total === undefined ? '' : `/${r.total}`}${eta}`;
}

/** Polls of a followed run that may fail in a row (a 503, no answer) before `--wait` gives up: a shard started again takes seconds. */
const FOLLOW_RETRIES = 60;

const verbs = ['start', 'status', 'list', 'pause', 'resume', 'cancel', 'calls', 'outcomes'];

/** The rows of an outcomes CSV file, as the admin API takes them, each with its line in the file; or what is wrong with the file. */
export function outcomeRows(text: string): Array<{ line: number; row: OutcomeRow; problem?: string }> | { problem: string } {
  let parsed: ParsedRecord[];
  try {
    parsed = parseCsv(text, OUTCOME_CSV_OPTIONS) as unknown as ParsedRecord[];
  } catch (err) {
    return { problem: (err as Error).message };
  }
  return outcomeRowsOfRecords(parsed);
}

/** Runs the command; resolves with the exit code (0 done, 1 refused by the server or not reached, 2 usage). */
export async function runCommand(argv: readonly string[], io: RunIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { url: { type: 'string' }, 'key-file': { type: 'string' }, wait: { type: 'boolean' }, campaign: { type: 'string' } },
    });
  } catch (err) {
    io.err(`kairos run: ${(err as Error).message}\n${runUsage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, name, ...more] = positionals;
  const needsName = sub !== 'list';
  const file = sub === 'outcomes' ? more.shift() : undefined;
  if (
    sub === undefined ||
    !verbs.includes(sub) ||
    more.length > 0 ||
    (sub === 'outcomes' && file === undefined) ||
    needsName !== (name !== undefined) ||
    (values.wait === true && sub !== 'start' && sub !== 'status') ||
    (values.campaign !== undefined && sub !== 'list')
  ) {
    io.err(`${runUsage}\n`);
    return 2;
  }
  const client = adminClient('run', values, { env: io.env, err: (line) => io.err(`${line}\n`) });
  if (typeof client === 'number') return client;
  /** The line for a request that got no answer, naming the cause (ECONNREFUSED…). */
  const unreachable = (err: unknown): string => `kairos run: cannot reach ${client.base}: ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`;
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown> | number> => {
    let r;
    try {
      r = await client.request(method, path, body);
    } catch (err) {
      io.err(`${unreachable(err)}\n`);
      return 1;
    }
    if (!r.ok) {
      io.err(`${problemLine('run', r.status, r.json)}\n`);
      return 1;
    }
    return r.json;
  };
  const id = encodeURIComponent(name ?? '');
  if (sub === 'calls') {
    let r;
    try {
      r = await client.request('GET', `/v1/runs/${id}/calls?format=csv`);
    } catch (err) {
      io.err(`kairos run: cannot reach ${client.base}: ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}\n`);
      return 1;
    }
    if (!r.ok) {
      io.err(`${problemLine('run', r.status, r.json)}\n`);
      return 1;
    }
    for (const line of r.text.split('\r\n')) if (line !== '') io.out(line);
    return 0;
  }
  if (sub === 'outcomes') {
    let text: string;
    try {
      text = file === '-' ? (io.stdin === undefined ? '' : await io.stdin()) : readFileSync(file!, 'utf8');
    } catch (err) {
      io.err(`kairos run: cannot read ${file!} (${(err as NodeJS.ErrnoException).code ?? 'error'})\n`);
      return 2;
    }
    const rows = outcomeRows(text);
    if (!Array.isArray(rows)) {
      io.err(`kairos run: ${file!}: ${rows.problem}\n`);
      return 2;
    }
    let recorded = 0;
    let duplicates = 0;
    let rejected = 0;
    // a row the server would refuse (no outcome, an interest above 100…) is named by its line in
    // the file (the header is line 1) and not sent: in a call it would make the server refuse the
    // whole call; the others go a thousand a call, and a row the server rejects is named the same way
    const sendable: typeof rows = [];
    for (const r of rows) {
      if (r.problem === undefined) sendable.push(r);
      else {
        rejected++;
        io.err(`kairos run: ${file!}:${r.line}: ${r.problem}\n`);
      }
    }
    for (let i = 0; i < sendable.length; i += 1000) {
      const batch = sendable.slice(i, i + 1000);
      const r = await call('POST', `/v1/runs/${id}/outcomes`, { outcomes: batch.map((b) => b.row) });
      if (typeof r === 'number') return r;
      recorded += r.recorded as number;
      duplicates += r.duplicates as number;
      for (const x of r.rejected as Array<{ row: number; reason: string }>) {
        rejected++;
        io.err(`kairos run: ${file!}:${batch[x.row - 1]?.line ?? '?'}: ${x.reason}\n`);
      }
    }
    io.out(`outcomes: run=${name!} rows=${rows.length} recorded=${recorded} duplicates=${duplicates} rejected=${rejected}`);
    return rejected > 0 ? 1 : 0;
  }
  if (sub === 'list') {
    const r = await call('GET', `/v1/runs${values.campaign === undefined ? '' : `?campaign=${encodeURIComponent(values.campaign)}`}`);
    if (typeof r === 'number') return r;
    for (const run of r.runs as RunView[]) io.out(runLine(run));
    return 0;
  }
  const r =
    sub === 'start' ? await call('POST', `/v1/campaigns/${id}/runs`) : sub === 'status' ? await call('GET', `/v1/runs/${id}`) : await call('POST', `/v1/runs/${id}/${sub}`);
  if (typeof r === 'number') return r;
  let run = r as unknown as RunView;
  if (values.wait === true) {
    let lastTenth = -1;
    let drawn = false;
    const show = (v: RunView): void => {
      if (io.tty) {
        io.err(`\r${bar(v)}`);
        drawn = true;
        return;
      }
      if (v.total === undefined || v.total <= 0) return;
      const tenth = Math.floor(Math.min(1, v.selected / v.total) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        io.err(`run: ${tenth * 10}% selected=${v.selected}/${v.total}${v.etaMs === undefined ? '' : ` eta_s=${Math.ceil(v.etaMs / 1000)}`}\n`);
      }
    };
    show(run);
    // A server that cannot answer for a moment (503: a shard being started again, the node not
    // ready) or cannot be reached is asked again, up to FOLLOW_RETRIES times in a row: the run goes on meanwhile.
    let retries = 0;
    // (a run waiting for its segments' memberships starts by itself within seconds or minutes: followed through)
    while (run.state === 'running' || (run.state === 'waiting' && run.waitingFor === 'segments')) {
      await new Promise((resolve) => setTimeout(resolve, io.pollMs ?? 1000));
      const got = await client.request('GET', `/v1/runs/${encodeURIComponent(run.id)}`).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      const problem = got instanceof Error ? unreachable(got) : got.ok ? undefined : problemLine('run', got.status, got.json);
      if (problem === undefined && !(got instanceof Error)) {
        retries = 0;
        run = got.json as unknown as RunView;
        show(run);
        continue;
      }
      if ((got instanceof Error || got.status === 503) && retries < FOLLOW_RETRIES) {
        if (retries++ === 0) io.err(`${drawn ? '\n' : ''}${problem}; asking again\n`);
        continue;
      }
      if (drawn) io.err('\n');
      io.err(`${problem}\n`);
      return 1;
    }
    if (drawn) io.err('\n');
  }
  io.out(runLine(run));
  return 0;
}
