import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchArgs } from './bench-args.js';
import { KairosError } from '../src/errors.js';
import * as current from '../src/transport/frames.js';
import { makeEvent } from './open-loop.js';

/**
 * The gateway's inbound hot path alone: decoding and validating event frames
 * (decodeFrame + parseClientFrame), in process, on the open-loop generator's event mix (with
 * `at`, as gateways send it). The best of many rounds, to see past a busy machine. And the
 * outbound side: encoding server frames (encodeFrame) as they go out, decisions with one to
 * three actions and deliveries, each with an epoch-milliseconds `expiresAt`, and acks.
 *
 *   node dist/load-tests/frame-bench.js [--frames 50000] [--rounds 30] [--baseline dist/src/transport/frames-before.js]
 *
 * `--baseline` reads another build of frames.js (say, the parser before a change, compiled
 * from `git show <rev>:src/transport/frames.ts`) and measures it in the same process, its
 * rounds alternating with the current parser's, so that both see the same machine.
 *
 * Last lines: `frame-bench(baseline): ...` when asked, then
 * `frame-bench: us_per_frame=X parse_us_per_frame=Y encode_us_per_frame=Z frames=N` (decode and
 * parse, parse alone, and encoding a server frame).
 */

type Frames = Pick<typeof current, 'decodeFrame' | 'encodeFrame' | 'parseClientFrame'>;

interface Best {
  total: number;
  parse: number;
  encode: number;
}

/** Server frames as they go out: decisions with one to three actions, deliveries, acks; every offer with its expiry. */
function serverFrames(at: number): object[] {
  const content = (i: number) => ({ title: 'Не хватает на снятие?', text: `Кредит до 30 000 ₽ на карту за минуту, ${i}`, buttons: [{ id: 'accepted', label: 'Оформить' }, { id: 'declined', label: 'Нет, спасибо' }] });
  const action = (i: number, k: number) => ({ instance: `demo-${i}:${k}.9f3a1c`, campaign: 'atm-shortfall', offer: 'atm-microcredit', channel: k === 0 ? 'atm' : 'sms', content: k === 0 ? content(i) : { text: `Кредит до 30 000 ₽: ответьте 1, ${i}` }, expiresAt: at + 86_400_000 + i });
  return Array.from({ length: 4096 }, (_, i) => {
    switch (i % 4) {
      case 0:
      case 1:
        return { t: 'decision', re: `bench-${i}`, customer: `demo-${i}`, actions: Array.from({ length: 1 + (i % 3) }, (_, k) => action(i, k)) };
      case 2:
        return { t: 'deliver', customer: `demo-${i}`, ...action(i, 1) };
      default:
        return { t: 'ack', re: `bench-${i}` };
    }
  });
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    command: 'npm run frame-bench -- [options]',
    summary: 'The gateway\'s inbound hot path alone (decodeFrame + parseClientFrame) and encoding server frames, in process, the best of many rounds.',
    lastLine: 'frame-bench: us_per_frame=X parse_us_per_frame=Y encode_us_per_frame=Z frames=N',
    options: {
      frames: { type: 'string', default: '50000', describe: 'frames per round' },
      rounds: { type: 'string', default: '30', describe: 'rounds' },
      baseline: { type: 'string', describe: 'another build of frames.js to measure beside this one' },
    },
  });
  const n = Number(values.frames);
  const rounds = Number(values.rounds);
  const at = 1_700_000_000_000;
  const bytes = Array.from({ length: 4096 }, (_, i) => current.encodeFrame({ ...makeEvent(i, 45_211, 'bench'), at: at + i }));
  const outgoing = serverFrames(at);
  let sink = 0;
  const round = (frames: Frames, raws: Record<string, unknown>[] | undefined): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const j = i & 4095;
      const frame = frames.parseClientFrame(raws === undefined ? frames.decodeFrame(bytes[j]!) : raws[j]!);
      sink += frame.t.length;
    }
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  };
  const encodeRound = (frames: Frames): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += frames.encodeFrame(outgoing[i & 4095]!).length;
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  };
  const contenders: { name: string; frames: Frames; raws: Record<string, unknown>[]; best: Best }[] = [];
  if (values.baseline !== undefined) {
    const frames = (await import(pathToFileURL(resolve(values.baseline)).href)) as Frames;
    contenders.push({ name: 'frame-bench(baseline)', frames, raws: bytes.map((b) => frames.decodeFrame(b)), best: { total: Infinity, parse: Infinity, encode: Infinity } });
  }
  contenders.push({ name: 'frame-bench', frames: current, raws: bytes.map((b) => current.decodeFrame(b)), best: { total: Infinity, parse: Infinity, encode: Infinity } });
  for (const c of contenders) {
    round(c.frames, undefined); // warm up
    round(c.frames, c.raws);
    encodeRound(c.frames);
  }
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      c.best.total = Math.min(c.best.total, round(c.frames, undefined));
      c.best.parse = Math.min(c.best.parse, round(c.frames, c.raws));
      c.best.encode = Math.min(c.best.encode, encodeRound(c.frames));
    }
  }
  if (sink === 0) throw new KairosError('internal', 'nothing parsed');
  for (const c of contenders) console.log(`${c.name}: us_per_frame=${c.best.total.toFixed(3)} parse_us_per_frame=${c.best.parse.toFixed(3)} encode_us_per_frame=${c.best.encode.toFixed(3)} frames=${n}`);
}

await main();
