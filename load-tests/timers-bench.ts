import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './bench-args.js';

/**
 * The segment timers' cost to the event path (issue 29: "timers for 10M customers must not
 * slow the event path"): the host bench (load-tests/host-bench.ts, the demo bank's event mix
 * straight into the host, LMDB) run with `--timers N` (N other customers' segment timers
 * stored first) and without, alternately, in fresh processes, the median of each side.
 *
 *   npm run bench:timers [-- --timers 10000000] [--events 40000] [--rounds 2]
 *
 * Last line: `segment-timers: timers=N events_per_s_without=R events_per_s_with=S us_per_event_without=A
 * us_per_event_with=B ratio=B/A` (the event rate of the main thread: 10^6 / µs an event).
 */

const here = dirname(fileURLToPath(import.meta.url));

function hostBench(timers: number, events: number): number {
  const r = spawnSync(process.execPath, ['--max-old-space-size=4096', join(here, 'host-bench.js'), '--events', String(events), '--timers', String(timers)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`host-bench --timers ${timers} exited ${r.status}`);
  const last = r.stdout.trim().split('\n').find((l) => l.startsWith('host: ')) ?? '';
  const m = /(?:^|\s)us_per_event=([\d.]+)/.exec(last);
  if (m === null) throw new Error(`host-bench printed no figure: ${last}`);
  process.stderr.write(`timers-bench: ${last}\n`);
  return Number(m[1]);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const { values } = benchArgs({
    command: 'npm run bench:timers -- [options]',
    summary: 'The segment timers\' cost to the event path: the host bench with and without N stored timers, alternately, in fresh processes.',
    lastLine: 'segment-timers: timers=N events_per_s_without=R events_per_s_with=S us_per_event_without=A us_per_event_with=B ratio=B/A',
    options: { timers: { type: 'string', default: '10000000', describe: 'other customers\' timers stored' }, events: { type: 'string', default: '40000', describe: 'events per host bench' }, rounds: { type: 'string', default: '2', describe: 'rounds of each side' } },
  });
const timers = Number(values.timers);
const events = Number(values.events);
const rounds = Number(values.rounds);
const without: number[] = [];
const withTimers: number[] = [];
for (let i = 0; i < rounds; i++) {
  without.push(hostBench(0, events));
  withTimers.push(hostBench(timers, events));
}
const a = median(without);
const b = median(withTimers);
const rate = (us: number): number => Math.round(1e6 / us);
console.log(`segment-timers: timers=${timers} events_per_s_without=${rate(a)} events_per_s_with=${rate(b)} us_per_event_without=${a} us_per_event_with=${b} ratio=${Math.round((b / a) * 100) / 100}`);
