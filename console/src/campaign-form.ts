import type { components } from './api/schema.js';

type Campaign = components['schemas']['Campaign'];

/**
 * The campaign editor's form as plain values, and the way between it and a campaign's
 * definition (GET/PUT /v1/campaigns/{id}). The form models what a marketer edits; every other
 * field of the definition is kept as it was (`toCampaign` lays the form over the original).
 */

export type Channel = Campaign['channels'][number];
export const CHANNELS: readonly Channel[] = ['sms', 'email', 'push', 'ib', 'mobile', 'web', 'atm', 'kiosk', 'callcenter', 'branch'];

/** The operators of a rule (docs/catalog.md#rules). */
export const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'notIn', 'contains', 'exists', 'missing'] as const;
export type Operator = (typeof OPERATORS)[number];

/** One condition of a target group: attribute, operator, value (two for between; a comma list for in and notIn). */
export interface Condition {
  attr: string;
  op: Operator;
  value: string;
  value2: string;
}

/** A target group: its conditions all hold (AND); a rule the simple editor cannot show is kept as JSON text. */
export interface GroupRow {
  key: number;
  id: string;
  name: string;
  conditions: Condition[];
  /** the rule as JSON text when it is more than a list of conditions (any, not, a reference) */
  ruleJson?: string;
  responsePercent: string;
}

export interface SeedRow {
  key: number;
  channel: Channel;
  to: string;
}

export interface CampaignForm {
  id: string;
  name: string;
  description: string;
  offer: string;
  channels: Channel[];
  groups: GroupRow[];
  /** trigger events, comma separated */
  events: string;
  timeFrom: string;
  timeTo: string;
  nearPartners: string;
  nearRadiusM: string;
  priority: string;
  maxContacts: string;
  maxCost: string;
  controlPercent: string;
  seeds: SeedRow[];
  /** datetime-local values, in the browser's time zone */
  startsAt: string;
  endsAt: string;
}

let nextKey = 1;
/** A key for a new row (React's list key; never sent). */
export function rowKey(): number {
  return nextKey++;
}

export function emptyCondition(): Condition {
  return { attr: 'profile.age', op: 'gte', value: '', value2: '' };
}

export function emptyForm(): CampaignForm {
  return {
    id: '',
    name: '',
    description: '',
    offer: '',
    channels: [],
    groups: [{ key: rowKey(), id: 'group-1', name: '', conditions: [emptyCondition()], responsePercent: '' }],
    events: '',
    timeFrom: '',
    timeTo: '',
    nearPartners: '',
    nearRadiusM: '',
    priority: '',
    maxContacts: '',
    maxCost: '',
    controlPercent: '',
    seeds: [],
    startsAt: '',
    endsAt: '',
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const isOperator = (v: unknown): v is Operator => typeof v === 'string' && (OPERATORS as readonly string[]).includes(v);

/** One leaf rule as a condition, or undefined when the simple editor cannot show it (a reference, a nested rule). */
function conditionOf(rule: unknown): Condition | undefined {
  if (!isRecord(rule) || typeof rule.attr !== 'string' || !isOperator(rule.op)) return undefined;
  const keys = Object.keys(rule).filter((k) => k !== 'attr' && k !== 'op' && k !== 'value');
  if (keys.length > 0) return undefined;
  const { attr, op, value } = rule;
  if (op === 'exists' || op === 'missing') return value === undefined ? { attr, op, value: '', value2: '' } : undefined;
  if (op === 'between') {
    if (!Array.isArray(value) || value.length !== 2 || !value.every(isScalar)) return undefined;
    return { attr, op, value: String(value[0]), value2: String(value[1]) };
  }
  if (op === 'in' || op === 'notIn') {
    if (!Array.isArray(value) || !value.every(isScalar) || value.some((v) => String(v).includes(','))) return undefined;
    return { attr, op, value: value.map(String).join(', '), value2: '' };
  }
  if (!isScalar(value)) return undefined;
  // text that reads as a number or a boolean would come back as one: keep such a rule as JSON
  if (typeof value === 'string' && parseScalar(value) !== value) return undefined;
  return { attr, op, value: String(value), value2: '' };
}

/** A rule as conditions that all hold: a leaf, or `all` of leaves; undefined for anything else. */
export function conditionsOf(rule: unknown): Condition[] | undefined {
  const one = conditionOf(rule);
  if (one !== undefined) return [one];
  if (isRecord(rule) && Object.keys(rule).length === 1 && Array.isArray(rule.all) && rule.all.length > 0) {
    const all = rule.all.map(conditionOf);
    return all.every((c): c is Condition => c !== undefined) ? all : undefined;
  }
  return undefined;
}

/** A typed value: a number, true or false, else the text. */
export function parseScalar(text: string): string | number | boolean {
  const s = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s === 'true') return true;
  if (s === 'false') return false;
  return s;
}

export function ruleOfCondition(c: Condition): Record<string, unknown> {
  if (c.op === 'exists' || c.op === 'missing') return { attr: c.attr, op: c.op };
  if (c.op === 'between') return { attr: c.attr, op: c.op, value: [parseScalar(c.value), parseScalar(c.value2)] };
  if (c.op === 'in' || c.op === 'notIn')
    return {
      attr: c.attr,
      op: c.op,
      value: c.value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '')
        .map(parseScalar),
    };
  return { attr: c.attr, op: c.op, value: parseScalar(c.value) };
}

/** The conditions as one rule: the condition itself when alone, else `all`. */
export function ruleOfConditions(cs: Condition[]): unknown {
  if (cs.length === 1) return ruleOfCondition(cs[0]!);
  return { all: cs.map(ruleOfCondition) };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** An ISO date-time as a datetime-local input's value, in the browser's time zone. */
export function localInputOf(iso: string | undefined): string {
  if (iso === undefined) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local input's value (the browser's time zone) as an ISO date-time. */
export function isoOfLocalInput(value: string): string | undefined {
  if (value === '') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

const text = (v: number | undefined): string => (v === undefined ? '' : String(v));

/** A campaign's definition as the form shows it. */
export function formOf(c: Campaign): CampaignForm {
  const window = c.trigger?.localTime ?? c.activeHours;
  return {
    id: c.id ?? '',
    name: c.name,
    description: c.description ?? '',
    offer: c.offer,
    channels: [...c.channels],
    groups: c.groups.map((g) => {
      const conditions = conditionsOf(g.when);
      return {
        key: rowKey(),
        id: g.id,
        name: g.name ?? '',
        conditions: conditions ?? [],
        ...(conditions === undefined ? { ruleJson: JSON.stringify(g.when) } : {}),
        responsePercent: String(g.responsePercent),
      };
    }),
    events: (c.trigger?.events ?? []).join(', '),
    timeFrom: window?.from ?? '',
    timeTo: window?.to ?? '',
    nearPartners: c.trigger?.near?.partners ?? '',
    nearRadiusM: text(c.trigger?.near?.radiusM),
    priority: text(c.priority),
    maxContacts: text(c.budget?.maxContacts),
    maxCost: text(c.budget?.maxCost),
    controlPercent: text(c.controlPercent),
    seeds: (c.seeds ?? []).map((s) => ({ key: rowKey(), channel: s.channel, to: s.to })),
    startsAt: localInputOf(c.startsAt),
    endsAt: localInputOf(c.endsAt),
  };
}

/** A form's number: undefined when empty; the text itself when it is not a number, so the API names the field. */
function numberOf(s: string): number | undefined {
  const t = s.trim().replace(',', '.');
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isNaN(n) ? (t as unknown as number) : n;
}

/** Sets a field, or removes it when the value is undefined. */
function put<T extends object>(target: T, key: string, value: unknown): void {
  const r = target as Record<string, unknown>;
  if (value === undefined) delete r[key];
  else r[key] = value;
}

/** A group's rule from its row: the JSON text parsed (kept as text when it does not parse, so the API refuses it by name), else the conditions. */
function ruleOfRow(g: GroupRow): unknown {
  if (g.ruleJson === undefined) return ruleOfConditions(g.conditions);
  try {
    return JSON.parse(g.ruleJson) as unknown;
  } catch {
    return g.ruleJson;
  }
}

/**
 * The definition to PUT: the original (a new campaign: a draft) with the form laid over it.
 * Fields the form does not model (vars, goal, recency, the trigger's rule and weekdays,
 * budget.costPerChannel, …) are kept as they were.
 */
export function toCampaign(form: CampaignForm, original: Campaign | undefined): Campaign {
  const c: Campaign = structuredClone(original ?? ({ status: 'draft' } as Campaign));
  delete c.id;
  c.name = form.name.trim();
  put(c, 'description', form.description.trim() === '' ? undefined : form.description.trim());
  c.offer = form.offer;
  c.channels = [...form.channels];
  const before = new Map((original?.groups ?? []).map((g) => [g.id, g]));
  c.groups = form.groups.map((g) => {
    const group = { ...before.get(g.id), id: g.id, when: ruleOfRow(g), responsePercent: numberOf(g.responsePercent) ?? ('' as unknown as number) };
    put(group, 'name', g.name.trim() === '' ? undefined : g.name.trim());
    return group;
  });

  // the trigger: events, the local time window (where the definition keeps it), near partners
  const events = form.events
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const trigger = { ...c.trigger };
  put(trigger, 'events', events.length === 0 ? undefined : events);
  const window = form.timeFrom === '' && form.timeTo === '' ? undefined : { from: form.timeFrom, to: form.timeTo };
  const windowInActiveHours = original?.activeHours !== undefined || (original?.trigger?.localTime === undefined && Object.keys(trigger).length === 0);
  if (windowInActiveHours) {
    put(c, 'activeHours', window);
    delete trigger.localTime;
  } else put(trigger, 'localTime', window);
  put(trigger, 'near', form.nearPartners === '' ? undefined : { partners: form.nearPartners, radiusM: numberOf(form.nearRadiusM) ?? 500 });
  put(c, 'trigger', Object.keys(trigger).length === 0 ? undefined : trigger);

  put(c, 'priority', numberOf(form.priority));
  const budget = { ...c.budget };
  put(budget, 'maxContacts', numberOf(form.maxContacts));
  put(budget, 'maxCost', numberOf(form.maxCost));
  put(c, 'budget', Object.keys(budget).length === 0 ? undefined : budget);
  put(c, 'controlPercent', numberOf(form.controlPercent));
  const seeds = form.seeds.filter((s) => s.to.trim() !== '').map((s) => ({ channel: s.channel, to: s.to.trim() }));
  put(c, 'seeds', seeds.length === 0 ? undefined : seeds);
  // a date left as it was keeps its own writing (its zone, its seconds)
  put(c, 'startsAt', form.startsAt === localInputOf(original?.startsAt) ? original?.startsAt : isoOfLocalInput(form.startsAt));
  put(c, 'endsAt', form.endsAt === localInputOf(original?.endsAt) ? original?.endsAt : isoOfLocalInput(form.endsAt));
  return c;
}

/** A new group's id: `group-N`, N past the ids in use. */
export function newGroupId(groups: GroupRow[]): string {
  let n = groups.length + 1;
  while (groups.some((g) => g.id === `group-${n}`)) n++;
  return `group-${n}`;
}
