import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutableActionsFrom } from 'xstate';
import { initialTransition, transition } from 'xstate';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { CampaignDef, CatalogDef, CustomerInput, CustomerMessage, CustomerRef, CustomerSnapshot, CustomerStepper, GatewayEvent, ReminderSpec, RunCall, StopScope } from '../actors/index.js';
import { compileCatalog, contactIdentifierKinds, createCustomerStepper, customerMachine, customerOfInstance, defaultLimits, parseDuration, runEvent } from '../actors/index.js';
import { loadCatalogFile } from '../src/catalog/catalog-file.js';
import { readDemoCustomers } from '../src/demo/demo-bank.js';
import { demoCatalogPath, demoCsvPath, packageRoot } from '../src/paths.js';
import { runIdOf } from '../src/runtime/outbound-runs.js';

/**
 * The customer stepper (actors/customer-stepper.ts) reads XState's internals to step
 * customers without building an actor per message; `xstate` is pinned to one exact version
 * for it. This runs every scenario's events (scenarios/*.yaml) through the stepper and
 * through XState's own `transition()`, side by side, and checks the same snapshot (value,
 * status, context) and the same effects at every message. An XState upgrade must pass it.
 *
 * The messages are built as the host (src/runtime/customer-host.ts) builds them: the demo
 * bank's customers and catalog, a manual clock, customers resolved by id or identifier
 * (created as visitors or prospects when unknown), identifier links and durable reminders
 * kept from the effects (due reminders fire on clock steps, as POST /v1/clock fires them),
 * responses routed by their instance, the stop list and campaign changes the admin steps
 * make, and a delivery report for every offer queued. Steps that only look (outbox, customer,
 * sms, delivery, admin reads) send nothing.
 */

type Json = Record<string, unknown>;

/**
 * The effects as plain data to compare: `[type, params]` in order. The one place that knows
 * the stepper's effect shape (the CustomerEffect data union) and `transition()`'s (XState's
 * executable actions).
 */
type Effect = readonly [type: string, params: unknown];
const stepperEffects = (effects: ReturnType<CustomerStepper['step']>[1]): Effect[] => effects.map((e) => [e.type, e.params] as const);
const transitionEffects = (actions: ExecutableActionsFrom<typeof customerMachine>[]): Effect[] => actions.map((a) => [a.type, a.params] as const);

/** The customer an offer instance belongs to, as the host reads it (the brain's one parser). */
const ownerOf = (instance: string): string => customerOfInstance(instance) ?? instance;

interface Both {
  a: CustomerSnapshot;
  b: ReturnType<typeof initialTransition<typeof customerMachine>>[0];
}

const scenarioDir = join(packageRoot(), 'scenarios');
const files = readdirSync(scenarioDir).filter((f) => f.endsWith('.yaml')).sort();

/** The demo bank's customers as the host activates them (their master data), and who holds which identifier. */
const demo = new Map<string, CustomerInput>();
const demoIdentities = new Map<string, string>();

beforeAll(async () => {
  for await (const { id, record } of readDemoCustomers(demoCsvPath(), 0)) {
    const input: CustomerInput = { id, stage: record.stage, profile: record.profile, identifiers: record.identifiers, at: record.importedAt, reason: 'import' };
    if (record.consents !== undefined) input.consents = record.consents;
    demo.set(id, input);
    for (const kind of contactIdentifierKinds) for (const v of record.identifiers[kind] ?? []) demoIdentities.set(`${kind}:${v}`, id);
  }
}, 60_000);

/** One scenario's customers, stepped both ways; each message checked. */
class SideBySide {
  readonly stepper = createCustomerStepper(customerMachine);
  private readonly live = new Map<string, Both>();
  private readonly identities = new Map<string, string>(demoIdentities);
  private readonly reminders = new Map<string, { customer: string; due: number; event: string; data?: Record<string, unknown> }>();
  private readonly stops = new Map<string, StopScope[]>();
  private def: CatalogDef = loadCatalogFile(demoCatalogPath());
  private catalog = compileCatalog(this.def);
  private created = 0;
  private seq = 0;
  now = 0;
  messages = 0;

  /** A campaign put by the admin API: replaced in (or added to) the catalog. */
  putCampaign(id: string, body: Json): void {
    const campaign = { ...body, id } as unknown as CampaignDef;
    const campaigns = this.def.campaigns.filter((c) => c.id !== id);
    this.def = { ...this.def, campaigns: [...campaigns, campaign] };
    this.catalog = compileCatalog(this.def);
  }

  /** A stop-list entry for one customer id (the kind the scenarios use). */
  stop(customer: string, scope: StopScope): void {
    this.stops.set(customer, [...(this.stops.get(customer) ?? []), scope]);
  }

  private resolve(ref: CustomerRef): string {
    if (ref.id !== undefined && (this.live.has(ref.id) || demo.has(ref.id))) return ref.id;
    for (const kind of contactIdentifierKinds) {
      const v = ref[kind];
      const known = v === undefined ? undefined : this.identities.get(`${kind}:${v}`);
      if (known !== undefined) return known;
    }
    if (ref.id !== undefined) expect.fail(`no customer ${ref.id}: bank customer ids must be imported before events name them`);
    const stage = ref.card !== undefined || ref.phone !== undefined || ref.email !== undefined ? 'prospect' : 'visitor';
    const id = `${stage === 'visitor' ? 'v' : 'p'}-scenario-${++this.created}`;
    const identifiers: Partial<Record<(typeof contactIdentifierKinds)[number], string[]>> = {};
    for (const kind of contactIdentifierKinds) {
      const v = ref[kind];
      if (v === undefined) continue;
      identifiers[kind] = [v];
      this.identities.set(`${kind}:${v}`, id);
    }
    this.activate(id, { id, stage, identifiers, at: this.now, reason: 'first_event' });
    return id;
  }

  private activate(id: string, input: CustomerInput): Both {
    const a = this.stepper.create(input);
    const [b] = initialTransition(customerMachine, input);
    expect(a.value).toEqual(b.value);
    expect(a.context).toEqual(b.context);
    const both = { a, b };
    this.live.set(id, both);
    return both;
  }

  private actor(id: string): Both {
    const known = this.live.get(id);
    if (known !== undefined) return known;
    const input = demo.get(id);
    if (input === undefined) expect.fail(`no customer ${id}`);
    return this.activate(id, input);
  }

  /** Steps one message both ways, checks they agree, and keeps what the host keeps from the effects. */
  private step(id: string, msg: CustomerMessage, what: string): Effect[] {
    const both = this.actor(id);
    const [na, ea] = this.stepper.step(both.a, msg);
    const [nb, eb] = transition(customerMachine, both.b, msg);
    expect(na.value, what).toEqual(nb.value);
    expect(na.status, what).toBe(nb.status);
    expect(na.context, what).toEqual(nb.context);
    const effects = stepperEffects(ea);
    expect(effects, what).toEqual(transitionEffects(eb));
    both.a = na;
    both.b = nb;
    this.messages++;
    for (const [type, params] of effects) this.keep(type, params as Json);
    return effects;
  }

  private keep(type: string, p: Json): void {
    const customer = p.customer as string;
    if (type === 'link') for (const l of p.links as Array<{ kind: string; value: string }>) this.identities.set(`${l.kind}:${l.value}`, customer);
    if (type === 'schedule') {
      for (const r of p.reminders as ReminderSpec[]) {
        const key = `${customer}:${r.name}`;
        if ('cancel' in r) this.reminders.delete(key);
        else this.reminders.set(key, { customer, due: r.due, event: r.event, ...(r.data === undefined ? {} : { data: r.data }) });
      }
    }
  }

  /** An event's message for customer `id` as the host builds it (no stop but the scenario's, nothing spent or full, no evidence), with `extra` (a reminder's name, a run). */
  private eventMessage(event: GatewayEvent, id: string, extra: { reminder?: string; run?: RunCall }): CustomerMessage {
    return {
      type: 'gateway.event',
      event,
      now: this.now,
      catalog: this.catalog,
      stops: this.stops.get(id) ?? [],
      budgetSpent: new Set(),
      channelsFull: new Set(),
      evidence: new Map(),
      models: new Map(),
      seed: (this.messages * 2_654_435_761) >>> 0,
      limits: defaultLimits,
      ...extra,
    };
  }

  /** A gateway event (or a reminder firing), as submitEvent and fireReminder build it; the decision's actions. */
  event(event: GatewayEvent, reminder?: string): Json[] {
    const id = reminder === undefined ? this.resolve(event.customer) : event.customer.id!;
    const msg = this.eventMessage(event, id, reminder === undefined ? {} : { reminder });
    const effects = this.step(id, msg, `${event.type} for ${id} at ${new Date(this.now).toISOString()}`);
    if (reminder !== undefined) this.reminders.delete(reminder);
    this.deliverQueued(id, effects);
    const reply = effects.find(([type]) => type === 'reply')?.[1] as { reply?: { actions?: Json[] } } | undefined;
    return reply?.reply?.actions ?? [];
  }

  /**
   * An outbound run started by hand, as OutboundRuns hands it over (src/runtime/outbound-runs.ts):
   * each member of the campaign's segments in the demo bank, in id order, the run beside the
   * message; each offer queued reported delivered. A wave's run carries its wave, and the next
   * waves go over the same members when the clock passes their start.
   */
  outbound(campaign: string, id: string): number {
    const waves = this.catalog.campaigns.find((c) => c.id === campaign)?.outbound?.waves;
    const call: RunCall = waves === undefined ? { id, campaign } : { id, campaign, wave: { n: 1, earlier: [] } };
    const members = this.membersOf(campaign);
    this.handOver(call, members);
    // a wave's run: the next waves follow when the clock passes their start (`clock`)
    if (waves !== undefined) this.waves.push({ campaign, first: id, n: 1, count: waves.count, startsAt: this.now + waves.everyMs, everyMs: waves.everyMs, members });
    return members.length;
  }

  /** Hands a run to each of `members`, in id order; each offer queued reported delivered. */
  private handOver(call: RunCall, members: readonly string[]): void {
    for (const cid of [...members].sort()) {
      this.deliverQueued(cid, this.step(cid, this.eventMessage(runEvent(call, cid, this.now), cid, { run: call }), `${call.id} for ${cid}`));
    }
  }

  /** The demo bank's members of the segments a scenario's outbound campaign goes over (the rules, written out for the ones the scenarios run). */
  private membersOf(campaign: string): string[] {
    const segments = this.catalog.campaigns.find((c) => c.id === campaign)?.outbound?.segments ?? [];
    const rules: Record<string, (input: CustomerInput) => boolean> = {
      clients_60_plus: (input) => input.stage === 'client' && (input.profile?.age ?? 0) >= 60,
      young_savers: (input) =>
        input.stage === 'client' && (input.profile?.age ?? 99) <= 30 && (input.profile?.balance ?? 0) >= 500_000 && input.profile?.personalLoan !== true && input.profile?.creditDefault !== true,
    };
    for (const seg of segments) if (rules[seg] === undefined) expect.fail(`the test does not model segment ${seg}`);
    return [...demo].filter(([, input]) => segments.some((seg) => rules[seg]!(input))).map(([cid]) => cid);
  }

  /** The waves whose next run is due when the clock passes `startsAt`. */
  private readonly waves: Array<{ campaign: string; first: string; n: number; count: number; startsAt: number; everyMs: number; members: string[] }> = [];

  /** A dialer's outcomes of a wave's calls, as POST /v1/runs/{id}/outcomes records them: a response to the call each. */
  outcomes(run: string, rows: readonly Json[]): void {
    for (const row of rows) {
      const customer = (row.customer as string | undefined) ?? customerOfInstance(row.instance as string)!;
      const contact = (this.actor(customer).a.context.contacts as Array<{ instance: string; run?: string; control?: boolean }>).find((k) => k.run === run && k.control !== true);
      if (contact === undefined) continue;
      const data: Json = {};
      if (row.callbackAt !== undefined) data.at = typeof row.callbackAt === 'string' ? Date.parse(row.callbackAt) : row.callbackAt;
      if (row.interest !== undefined) data.interest = row.interest;
      this.response({ instance: contact.instance, outcome: row.outcome, at: this.now, ...(Object.keys(data).length > 0 ? { data } : {}) });
    }
  }

  /** What the dispatcher does with what a step queued: each offer reported delivered. */
  private deliverQueued(id: string, effects: readonly Effect[]): void {
    for (const [type, p] of effects) {
      if (type !== 'queue') continue;
      for (const e of (p as { entries: Array<{ kind: string; instance: string }> }).entries) {
        if (e.kind === 'offer') this.step(id, { type: 'delivery.report', instance: e.instance, status: 'delivered', now: this.now }, `delivery of ${e.instance}`);
      }
    }
  }

  /** A response to an offer instance, as submitResponse builds it. */
  response(response: Json): void {
    const instance = response.instance as string;
    const msg: CustomerMessage = { type: 'gateway.response', response: { id: `scn-r-${++this.seq}`, ...response } as never, now: this.now, catalog: this.catalog, limits: defaultLimits };
    this.step(ownerOf(instance), msg, `response ${String(response.outcome)} to ${instance}`);
  }

  /** The clock moves: every reminder due by then fires, earliest first, until none is due. */
  clock(now: number): number {
    this.now = now;
    let fired = 0;
    for (;;) {
      const due = [...this.reminders].filter(([, r]) => r.due <= now).sort((x, y) => x[1].due - y[1].due);
      if (due.length === 0) {
        // a wave due: the next run over the members (the actors say who was reached)
        const wave = this.waves.find((w) => w.n < w.count && w.startsAt <= now);
        if (wave === undefined) return fired;
        const earlier = [wave.first, ...Array.from({ length: wave.n - 1 }, (_, i) => `${wave.first}.w${i + 2}`)];
        wave.n++;
        this.handOver({ id: `${wave.first}.w${wave.n}`, campaign: wave.campaign, wave: { n: wave.n, earlier } }, wave.members);
        wave.startsAt = now + wave.everyMs;
        fired++;
        continue;
      }
      for (const [key, r] of due) {
        const event: GatewayEvent = { id: `reminder:${key}@${r.due}`, type: r.event, customer: { id: r.customer }, at: r.due };
        if (r.data !== undefined) event.data = r.data;
        this.event(event, key);
        fired++;
      }
    }
  }

  nextId(): string {
    return `scn-${++this.seq}`;
  }
}

/** Replaces "$name" strings with the instances named by earlier steps (as the scenario runner does). */
function substitute(v: unknown, names: ReadonlyMap<string, string>): unknown {
  if (typeof v === 'string' && v.startsWith('$')) return names.get(v.slice(1)) ?? v;
  if (Array.isArray(v)) return v.map((x) => substitute(x, names));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, names)]));
  return v;
}

/** Whether a decision's action has every field a scenario expects (`text`: contained, white space as one space). */
function matches(action: Json, want: Json): boolean {
  const norm = (t: string): string => t.replace(/\s+/gu, ' ');
  const content = (action.content ?? {}) as Json;
  const text = norm([content.title, content.subject, content.text, content.script].filter((x) => typeof x === 'string').join(' '));
  return Object.entries(want).every(([k, v]) => (k === 'text' ? text.includes(norm(String(v))) : action[k] === v));
}

describe('the customer stepper equals XState’s transition() over every scenario', () => {
  it('finds the scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(11);
  });

  it.each(files)('%s', (file) => {
    const doc = parseYaml(readFileSync(join(scenarioDir, file), 'utf8')) as { steps: Json[] };
    const run = new SideBySide();
    const names = new Map<string, string>();
    let events = 0;
    let fired = 0;
    for (const [i, step] of doc.steps.entries()) {
      if (typeof step.clock === 'string') fired += run.clock(Date.parse(step.clock));
      else if (step.advance !== undefined) fired += run.clock(run.now + parseDuration(step.advance, `steps[${i}].advance`));
      else if (step.event !== undefined) {
        const event = { id: run.nextId(), ...(substitute(step.event, names) as Json) } as unknown as GatewayEvent;
        const actions = run.event(event);
        if (typeof step.as === 'string' && actions[0] !== undefined) names.set(step.as, actions[0].instance as string);
        // The messages are the host's: the decisions are the ones the scenario expects of a server.
        const expected = (step.expect ?? {}) as { silent?: boolean; actions?: Json[] };
        if (expected.silent === true) expect(actions, `${file} step ${i + 1}`).toEqual([]);
        for (const want of expected.actions ?? []) expect(actions.some((got) => matches(got, want)), `${file} step ${i + 1}: ${JSON.stringify(want)} in ${JSON.stringify(actions)}`).toBe(true);
        events++;
      } else if (step.response !== undefined) run.response(substitute(step.response, names) as Json);
      else if (step.admin !== undefined) {
        const a = substitute(step.admin, names) as { method?: string; path: string; body?: Json };
        const method = (a.method ?? 'GET').toUpperCase();
        const campaign = /^\/v1\/campaigns\/([^/]+)$/.exec(a.path);
        const runOf = /^\/v1\/campaigns\/([^/]+)\/runs$/.exec(a.path);
        if (method === 'PUT' && campaign !== null) run.putCampaign(campaign[1]!, a.body ?? {});
        // the run's hand-overs are the events of the scenario
        else if (method === 'POST' && runOf !== null) events += run.outbound(runOf[1]!, runIdOf(runOf[1]!, run.now, 'hand'));
        else if (method === 'POST' && /^\/v1\/runs\/[^/]+\/outcomes$/.test(a.path)) run.outcomes(a.path.split('/')[3]!, (a.body?.outcomes ?? []) as Json[]);
        else if (method === 'POST' && a.path === '/v1/stop-list' && a.body?.kind === 'customer') {
          const scope: StopScope = {};
          if (typeof a.body.channel === 'string') scope.channel = a.body.channel;
          if (typeof a.body.campaign === 'string') scope.campaign = a.body.campaign;
          run.stop(String(a.body.value), scope);
        } else expect(method, `${file}: an admin step this test does not model changes state: ${method} ${a.path}`).toBe('GET');
      }
    }
    // Every scenario's events went through both; the stepper took its fast path for some and XState's for others.
    expect(events).toBeGreaterThan(0);
    expect(run.messages).toBeGreaterThanOrEqual(events + fired);
    expect(run.stepper.steps.fast + run.stepper.steps.full).toBe(run.messages);
  });
});
