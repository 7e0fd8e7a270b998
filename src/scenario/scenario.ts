import { readFileSync } from 'node:fs';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../../actors/index.js';
import { KairosError } from '../errors.js';

/**
 * QA scenarios: YAML scripts of steps against a running Kairos (with the manual clock):
 *
 *   name: …
 *   steps:
 *     - clock: "2026-11-24T10:00:00+03:00"    # set the manual clock (or advance: 1d)
 *     - event: {type, customer, channel?, data?, location?}
 *       expect:
 *         actions: [{channel?, campaign?, offer?, text?}]   # each must match one action (text: contained)
 *         silent: true                                       # or: no action at all
 *         reason: quiet_hours                                # …and a campaign suppressed for this reason
 *       as: atm                                              # name the first action's instance
 *     - response: {instance: $atm, outcome: accepted}
 *     - outbox: {channel: backoffice, campaign?, action?, text?}   # expect an entry waiting
 *     - customer: {id: demo-19, contacts: 1}                       # expect on the 360° card
 *     - admin: {method: POST, path: /v1/stop-list, body: {…}, status: 201}   # an admin call
 *     - admin: {path: /v1/campaigns/x/uplift, expect: {control: {contacts: 1}}}   # …and what it answers
 *     - admin: {path: /v1/runs/x, expect: {state: done}, wait: 10s}   # …asked again until it does (a GET)
 *     - sms: {customer: demo-19, text: "не хватает 200"}          # an SMS at the SMSC simulator
 *     - delivery: {channel: email, customer: demo-19, text: "…"}   # pushed to a subscribed endpoint
 *
 * Each step passes or fails with what was expected and what came; the run fails if any does.
 */

export interface StepResult {
  step: number;
  what: string;
  ok: boolean;
  detail?: string;
}

export interface ScenarioResult {
  name: string;
  file: string;
  steps: StepResult[];
  ok: boolean;
}

type Json = Record<string, unknown>;

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, int64AsType: 'number' });

class Gateway {
  private readonly waiting = new Map<string, (f: Json) => void>();
  /** `deliver` frames pushed to this connection (when it subscribed), confirmed as they come */
  readonly delivered: Json[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const f = unpackr.unpack(data) as Json;
      if (f.t === 'deliver') {
        this.delivered.push(f);
        this.ws.send(packr.pack({ t: 'delivered', id: `scn-${process.pid}-${++counter}`, instance: f.instance, channel: f.channel }), { binary: true });
        return;
      }
      const re = typeof f.re === 'string' ? f.re : undefined;
      const w = re === undefined ? undefined : this.waiting.get(re);
      if (re !== undefined && w !== undefined) {
        this.waiting.delete(re);
        w(f);
      }
    });
  }

  static connect(url: string, token: string): Promise<Gateway> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
      ws.once('open', () => resolve(new Gateway(ws)));
      ws.once('error', reject);
    });
  }

  request(frame: Json): Promise<Json> {
    const id = frame.id as string;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new KairosError('unavailable', `no reply to ${id} in 10 s`)), 10_000);
      this.waiting.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
      this.ws.send(packr.pack(frame), { binary: true });
    });
  }

  close(): void {
    this.ws.close();
  }
}

export interface Target {
  /** http://host:port of the server */
  baseUrl: string;
  gatewayToken: string;
  adminKey: string;
  /** the SMSC simulator the server sends SMS to, when the runner started both: text received per phone (parts joined) */
  smsc?: () => ReadonlyMap<string, string>;
  /** how long an `sms` or `delivery` step waits for what it expects (5 s by default) */
  waitMs?: number;
}

let counter = 0;

/** Replaces "$name" strings with the instances named by earlier steps. */
function substitute(v: unknown, names: ReadonlyMap<string, string>): unknown {
  if (typeof v === 'string' && v.startsWith('$')) {
    const got = names.get(v.slice(1));
    if (got === undefined) throw new KairosError('invalid', `"${v}" names no earlier action (use "as:" on an event step)`);
    return got;
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, names));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, names)]));
  return v;
}

function textOf(content: unknown): string {
  if (typeof content !== 'object' || content === null) return '';
  const c = content as Json;
  return [c.title, c.subject, c.text, c.script].filter((x) => typeof x === 'string').join(' ');
}

/** Any run of white space (the non-breaking space of "200 рублей" too) as one plain space. */
const norm = (s: string): string => s.replace(/\s+/gu, ' ');

/** Whether an action (or outbox entry) has every expected field; `text` is contained. */
function matches(actual: Json, expected: Json): boolean {
  for (const [k, v] of Object.entries(expected)) {
    if (k === 'text') {
      if (!norm(textOf(actual.content)).includes(norm(String(v)))) return false;
    } else if (actual[k] !== v) return false;
  }
  return true;
}

/**
 * Where `actual` departs from `expected`, a partial pattern: objects need only the keys the
 * pattern names, arrays match element by element (and in length), anything else must be equal. Undefined
 * when it matches.
 */
export function difference(actual: unknown, expected: unknown, path: string): string | undefined {
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return `${path || 'the body'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
    if (Array.isArray(expected) && (!Array.isArray(actual) || actual.length !== expected.length)) {
      return `${path || 'the body'}: expected ${expected.length} items, got ${Array.isArray(actual) ? actual.length : JSON.stringify(actual)}`;
    }
    for (const [k, v] of Object.entries(expected)) {
      const d = difference((actual as Json)[k], v, path === '' ? k : `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return actual === expected ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** Whether `holds` becomes true within 5 s (checked every 20 ms): what arrives asynchronously (an SMS, a push). */
async function eventually(holds: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!holds()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export async function runScenario(file: string, target: Target): Promise<ScenarioResult> {
  const doc = parseYaml(readFileSync(file, 'utf8')) as { name?: string; steps?: unknown[] };
  const name = doc.name ?? file;
  const steps: StepResult[] = [];
  const names = new Map<string, string>();
  const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${target.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${target.adminKey}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
  };
  const gatewayUrl = `${target.baseUrl.replace(/^http/, 'ws')}/v1/gateway`;
  const gw = await Gateway.connect(gatewayUrl, target.gatewayToken);
  // A delivery endpoint for the channels the `delivery` steps name, subscribed before the first step.
  const subscribed = [
    ...new Set(
      (doc.steps ?? []).flatMap((raw) => {
        const d = (raw as Json).delivery;
        return typeof d === 'object' && d !== null && typeof (d as Json).channel === 'string' ? [(d as Json).channel as string] : [];
      }),
    ),
  ];
  let endpoint: Gateway | undefined;
  if (subscribed.length > 0) {
    endpoint = await Gateway.connect(gatewayUrl, target.gatewayToken);
    const ack = await endpoint.request({ t: 'subscribe', id: `scn-${process.pid}-${++counter}`, channels: subscribed });
    if (ack.t !== 'ack') {
      endpoint.close();
      gw.close();
      throw new KairosError('unavailable', `subscribing to ${subscribed.join(', ')}: ${String(ack.code)}: ${String(ack.message)}`);
    }
  }
  try {
    for (const [i, raw] of (doc.steps ?? []).entries()) {
      const step = raw as Json;
      const n = i + 1;
      const result = (what: string, ok: boolean, detail?: string): void => {
        steps.push(detail === undefined ? { step: n, what, ok } : { step: n, what, ok, detail });
      };
      try {
        if (step.clock !== undefined || step.advance !== undefined) {
          const clock = typeof step.clock === 'string' ? step.clock : undefined;
          const body = clock !== undefined ? { now: Date.parse(clock) } : { advance: parseDuration(step.advance, `steps[${i}].advance`) };
          const r = await admin('POST', '/v1/clock', body);
          const fired = typeof r.body.remindersFired === 'number' ? r.body.remindersFired : 0;
          result(clock !== undefined ? `clock ${clock}` : `advance ${JSON.stringify(step.advance)}`, r.status === 200, r.status === 200 ? `reminders fired: ${fired}` : JSON.stringify(r.body));
        } else if (step.event !== undefined) {
          const event = substitute(step.event, names) as Json;
          const reply = await gw.request({ t: 'event', id: `scn-${process.pid}-${++counter}`, ...event });
          const actions = (reply.actions ?? []) as Json[];
          if (typeof step.as === 'string' && actions[0] !== undefined) names.set(step.as, actions[0].instance as string);
          const expect = (step.expect ?? {}) as Json;
          let got = reply.t === 'error' ? `error ${String(reply.code)}: ${String(reply.message)}` : actions.map((a) => `${String(a.channel)}/${String(a.campaign)}: ${textOf(a.content)}`).join(' | ') || 'silence';
          // What the decision said about each triggered campaign, to read when a step fails.
          const why = async (): Promise<void> => {
            if (typeof reply.customer !== 'string') return;
            const card = (await admin('GET', `/v1/customers/${reply.customer}`)).body;
            const explain = Array.isArray(card.lastDecision) ? (card.lastDecision as Json[]) : [];
            const line = (e: Json): string => `${String(e.campaign)} ${String(e.verdict)}${typeof e.reason === 'string' ? ` (${e.reason})` : ''}`;
            if (explain.length > 0) got += `; why: ${explain.map(line).join(', ')}`;
          };
          if (reply.t === 'decision') await why();
          const reason = typeof expect.reason === 'string' ? expect.reason : undefined;
          if (expect.silent === true) {
            const ok = reply.t === 'decision' && actions.length === 0 && (reason === undefined || got.includes(reason));
            result(`event ${String(event.type)}: silence${reason === undefined ? '' : ` (${reason})`}`, ok, `got ${got}`);
          }
          else if (Array.isArray(expect.actions)) {
            const missing = (expect.actions as Json[]).filter((e) => !actions.some((a) => matches(a, e)));
            result(`event ${String(event.type)}: ${JSON.stringify(expect.actions)}`, reply.t === 'decision' && missing.length === 0, `got ${got}`);
          } else result(`event ${String(event.type)}`, reply.t === 'decision', `got ${got}`);
        } else if (step.response !== undefined) {
          const response = substitute(step.response, names) as Json;
          const reply = await gw.request({ t: 'response', id: `scn-${process.pid}-${++counter}`, ...response });
          result(`response ${String(response.outcome)}`, reply.t === 'ack', JSON.stringify(reply));
        } else if (step.outbox !== undefined) {
          const expected = substitute(step.outbox, names) as Json;
          const channel = String(expected.channel);
          const entries = ((await admin('GET', `/v1/outbox/${channel}?limit=10000`)).body.entries ?? []) as Json[];
          const { channel: _c, ...rest } = expected;
          const found = entries.some((e) => matches(e, rest));
          result(`outbox ${JSON.stringify(expected)}`, found, `${entries.length} entries on ${channel}`);
        } else if (step.sms !== undefined) {
          const expected = step.sms as Json;
          if (target.smsc === undefined) throw new KairosError('invalid', 'sms steps need the SMSC simulator: run without --url');
          let phone = typeof expected.to === 'string' ? expected.to : undefined;
          if (phone === undefined && typeof expected.customer === 'string') {
            const card = (await admin('GET', `/v1/customers/${expected.customer}`)).body as { identifiers?: { phone?: string[] } };
            phone = card.identifiers?.phone?.[0];
          }
          const to = (phone ?? '').replace(/^\+/, '');
          const want = norm(typeof expected.text === 'string' ? expected.text : '');
          const smsc = target.smsc;
          const text = (): string => smsc().get(to) ?? '';
          const ok = await eventually(() => text() !== '' && norm(text()).includes(want), target.waitMs);
          result(`sms to +${to} ${JSON.stringify(expected.text ?? '')}`, ok, `got ${text() === '' ? 'no SMS' : JSON.stringify(text())}`);
        } else if (step.delivery !== undefined) {
          const expected = substitute(step.delivery, names) as Json;
          const deliveries = endpoint?.delivered ?? [];
          const found = await eventually(() => deliveries.some((d) => matches(d, expected)), target.waitMs);
          const seen = deliveries.map((d) => `${String(d.channel)}/${String(d.campaign)} to ${String(d.customer)}: ${textOf(d.content)}`).join(' | ');
          result(`delivery ${JSON.stringify(expected)}`, found, `got ${seen === '' ? 'no delivery' : seen}`);
        } else if (step.admin !== undefined) {
          const a = substitute(step.admin, names) as { method?: string; path?: string; body?: unknown; status?: number; expect?: unknown; wait?: unknown };
          const method = (a.method ?? 'GET').toUpperCase();
          // `wait`: a GET asked again until it answers as expected (what goes on in the background: a run)
          const waitMs = a.wait === undefined ? 0 : parseDuration(a.wait, `steps[${i}].admin.wait`);
          if (waitMs > 0 && method !== 'GET') throw new KairosError('invalid', `steps[${i}].admin.wait: only a GET is asked again, not ${method}`);
          const deadline = Date.now() + waitMs;
          for (;;) {
            const r = await admin(method, String(a.path), a.body);
            const differs = a.expect === undefined ? undefined : difference(r.body, a.expect, '');
            const ok = r.status === (a.status ?? 200) && differs === undefined;
            if (!ok && Date.now() < deadline) {
              await new Promise((resolve) => setTimeout(resolve, 50));
              continue;
            }
            const waited = waitMs > 0 && !ok ? ` (still after ${String(a.wait)})` : '';
            result(`admin ${a.method ?? 'GET'} ${String(a.path)}`, ok, `status ${r.status}${differs === undefined ? '' : `; ${differs}`}${waited}`);
            break;
          }
        } else if (step.customer !== undefined) {
          const expected = step.customer as Json;
          const card = (await admin('GET', `/v1/customers/${String(expected.id)}`)).body;
          const contacts = Array.isArray(card.contacts) ? card.contacts.length : -1;
          const ok = expected.contacts === undefined || contacts === expected.contacts;
          result(`customer ${String(expected.id)}`, ok, `contacts ${contacts}`);
        } else {
          result(`unknown step ${JSON.stringify(step)}`, false, 'a step is one of clock, advance, event, response, outbox, delivery, customer, admin, sms');
        }
      } catch (err) {
        result(`step ${n}`, false, (err as Error).message);
      }
    }
  } finally {
    gw.close();
    endpoint?.close();
  }
  return { name, file, steps, ok: steps.every((s) => s.ok) };
}
