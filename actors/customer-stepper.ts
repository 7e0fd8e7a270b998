import type { ActorScope, SnapshotFrom } from 'xstate';
import { createActor } from 'xstate';
import type { CustomerMachine } from './customer.machine.js';
import type { CustomerMessage } from './customer-logic.js';
import type { CustomerContext, CustomerInput } from './customer-state.js';
import type { CustomerEffect } from './effects.js';
import { BrainError } from './brain-error.js';
import { initialCustomerContext } from './customer-state.js';

/**
 * Stepping many customers through one machine, cheaply. XState's `transition()` builds a
 * throw-away Actor (and computes an initial snapshot) on every call; hosting hundreds of
 * thousands of customers, we build that inert actor scope once per machine and call the
 * machine's own `transition(snapshot, event, scope)`, collecting the named effects instead
 * of executing them, as data (`effects.ts`: their type and parameters, no XState action
 * object). Results are the same as `transition()` (tested).
 */

export type CustomerSnapshot = SnapshotFrom<CustomerMachine>;

export interface CustomerStepper {
  /** the snapshot of a new customer, in the stage its input names */
  create(input: CustomerInput): CustomerSnapshot;
  /** the snapshot of a stored customer */
  restore(value: CustomerSnapshot['value'], context: CustomerContext): CustomerSnapshot;
  /** one message: the next snapshot and the effects to run, in order, as data; throws if the machine does */
  step(snapshot: CustomerSnapshot, message: CustomerMessage): [CustomerSnapshot, CustomerEffect[]];
  /** messages stepped without XState's microstep, and through it (see `fast` below) */
  readonly steps: { fast: number; full: number };
}

/**
 * The customer machine has no tags, no history states and no children, yet XState gives every
 * snapshot it builds a new empty `Set` of tags and new empty `children` and `historyValue`
 * objects, and the state's node list as an array of its own: objects that live as long as
 * the actor, for the garbage collector to mark in every live customer. Snapshots share these
 * instead (XState reads them, and copies them before any change: `resolveStop`, exits).
 */
const NO_TAGS: Set<string> = new Set();
const NO_CHILDREN = Object.freeze({});
const NO_HISTORY = Object.freeze({});

function shareEmpties(snapshot: CustomerSnapshot, nodesByValue: Map<string, CustomerSnapshot['_nodes']>): CustomerSnapshot {
  const s = snapshot as { tags: Set<string>; children: object; historyValue: object; _nodes: CustomerSnapshot['_nodes'] };
  if (s.tags.size === 0) s.tags = NO_TAGS;
  if (s.children !== NO_CHILDREN && Object.keys(s.children).length === 0) s.children = NO_CHILDREN;
  if (s.historyValue !== NO_HISTORY && Object.keys(s.historyValue).length === 0) s.historyValue = NO_HISTORY;
  if (typeof snapshot.value === 'string') {
    const nodes = nodesByValue.get(snapshot.value);
    if (nodes === undefined) nodesByValue.set(snapshot.value, s._nodes);
    else if (nodes !== s._nodes && nodes.length === s._nodes.length && nodes.every((n, i) => n === s._nodes[i])) s._nodes = nodes;
  }
  return snapshot;
}

/**
 * Thrown inside the fast path when the transition needs more of XState than it covers: control
 * flow, caught by identity in the fast path and never seen outside (made once: no stack per throw).
 */
const NOT_FAST = new BrainError('internal', 'the fast path does not cover this transition');

/** A transition's action as XState stores it: a named action (string or `{ type, params }`) or an inline function. */
type ActionRef = string | { type: string; params?: unknown } | ((...args: never[]) => unknown);

interface EnqueueActionsFn {
  type: 'xstate.enqueueActions';
  collect: (args: Record<string, unknown>, params: unknown) => void;
}

/** An `assign` queued inside `enqueueActions`: XState's assign action object. */
interface AssignFn {
  type: 'xstate.assign';
  assignment: unknown;
}

/** `enqueue.assign(update)` inside `enqueueActions`, in the fast path's queue. */
class Assignment {
  constructor(readonly update: unknown) {}
}

function isEnqueueActions(a: unknown): a is EnqueueActionsFn {
  return typeof a === 'function' && (a as { type?: unknown }).type === 'xstate.enqueueActions';
}

function isAssign(a: unknown): a is AssignFn {
  return typeof a === 'function' && (a as { type?: unknown }).type === 'xstate.assign';
}

/**
 * The new context an `assign` of a plain object gives, as XState's `resolveAssign` computes it
 * (`Object.assign({}, context, update)`): the update itself when it has every key of the
 * context (what the pure handler returns), so no copy is made. Assignments of functions
 * (property assigners, spawning) are left to XState.
 */
function assigned(context: Record<string, unknown>, update: unknown): Record<string, unknown> {
  if (typeof update !== 'object' || update === null) throw NOT_FAST;
  const u = update as Record<string, unknown>;
  for (const k in u) if (typeof u[k] === 'function') throw NOT_FAST;
  for (const k in context) if (!(k in u)) return Object.assign({}, context, u);
  return u;
}

export function createCustomerStepper(machine: CustomerMachine): CustomerStepper {
  let collected: CustomerEffect[] = [];
  // One actor for the scope's `self`, never started: its input is a placeholder.
  const self = createActor(machine, { input: { id: '', stage: 'visitor', at: 0, reason: 'scope' } });
  const scope: ActorScope<CustomerSnapshot, CustomerMessage> = {
    self,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: (action) => {
      collected.push({ type: action.type, params: action.params } as CustomerEffect);
    },
  };
  const implementations = machine.implementations.actions as Record<string, unknown>;
  // The `enqueue` an `enqueueActions` body gets in the fast path, made once: what it queues
  // goes to `queued` (one list per body being collected). What the fast path does not cover
  // ends it, and the message goes through XState.
  let queued: unknown[] = [];
  const refuse = (): never => {
    throw NOT_FAST;
  };
  const enqueue = Object.assign(
    (a: unknown): void => {
      queued.push(a);
    },
    {
      assign: (update: unknown): void => {
        queued.push(new Assignment(update));
      },
      cancel: refuse,
      raise: refuse,
      sendTo: refuse,
      sendParent: refuse,
      spawnChild: refuse,
      stopChild: refuse,
      emit: refuse,
    },
  );
  /** per atomic state value: whether no state node of it has eventless (`always`) transitions */
  const eventless = new Map<string, boolean>();
  const settled = (snapshot: CustomerSnapshot): boolean => {
    if (typeof snapshot.value !== 'string') return false;
    let free = eventless.get(snapshot.value);
    if (free === undefined) {
      free = snapshot._nodes.every((n) => n.always === undefined || n.always.length === 0);
      eventless.set(snapshot.value, free);
    }
    return free;
  };

  /**
   * The common case without XState's microstep: one enabled transition (chosen by XState's
   * own `getTransitionData`, guards and all) that has no target, in a state with no eventless
   * transitions, whose actions are named effects and `enqueueActions` that queue named effects
   * and plain-object `assign`s. Then the next snapshot is the same state with the assigned
   * context (the same snapshot when nothing was assigned), and the effects are the named
   * actions in order, as `transition()` gives them; microstep's exit and entry sets, conflict
   * resolution and eventless pass have nothing to do and are skipped (~6 KB of garbage and
   * ~12 µs an event, load-tests/README.md, eighth figures). Anything else (a stage change, another built-in action) returns
   * undefined and goes through XState. Same results as `transition()` (tested).
   */
  const fast = (snapshot: CustomerSnapshot, message: CustomerMessage): [CustomerSnapshot, CustomerEffect[]] | undefined => {
    if (snapshot.status !== 'active' || !settled(snapshot)) return undefined;
    const selected = machine.getTransitionData(snapshot, message);
    if (selected.length !== 1) return undefined;
    const t = selected[0]!;
    if (t.target !== undefined || t.reenter) return undefined;
    let context = snapshot.context as unknown as Record<string, unknown>;
    let changed = false;
    const effects: CustomerEffect[] = [];
    const run = (action: ActionRef | Assignment): void => {
      if (isEnqueueActions(action)) {
        const outer = queued;
        const mine: unknown[] = (queued = []);
        try {
          action.collect({ context, event: message, enqueue, check: refuse, self, system: self.system }, undefined);
        } finally {
          queued = outer;
        }
        for (const q of mine) run(q as ActionRef | Assignment);
        return;
      }
      if (action instanceof Assignment || isAssign(action)) {
        context = assigned(context, action instanceof Assignment ? action.update : action.assignment);
        changed = true;
        return;
      }
      if (typeof action === 'function') throw NOT_FAST;
      const type = typeof action === 'string' ? action : action.type;
      const exec = implementations[type];
      // Built-in actions (assign, raise, ...) under a name are resolved by XState.
      if (typeof exec !== 'function' || 'resolve' in exec) throw NOT_FAST;
      let params: unknown;
      if (typeof action === 'object' && 'params' in action) params = typeof action.params === 'function' ? (action.params as (a: unknown) => unknown)({ context, event: message }) : action.params;
      effects.push({ type, params } as CustomerEffect);
    };
    try {
      for (const action of t.actions as ActionRef[]) run(action);
    } catch (err) {
      if (err === NOT_FAST) return undefined;
      throw err;
    }
    const next = changed ? ({ ...snapshot, context } as unknown as CustomerSnapshot) : snapshot;
    return [next, effects];
  };

  const steps = { fast: 0, full: 0 };
  /** each state's node list, one array for every snapshot in that state */
  const nodesByValue = new Map<string, CustomerSnapshot['_nodes']>();
  const shared = (snapshot: CustomerSnapshot): CustomerSnapshot => shareEmpties(snapshot, nodesByValue);
  return {
    steps,
    create(input) {
      return shared(machine.resolveState({ value: input.stage, context: initialCustomerContext(input) }));
    },
    restore(value, context) {
      return shared(machine.resolveState({ value, context }));
    },
    step(snapshot, message) {
      const quick = fast(snapshot, message);
      if (quick !== undefined) {
        steps.fast++;
        return quick;
      }
      steps.full++;
      collected = [];
      const next = shared(machine.transition(snapshot, message, scope));
      const effects = collected;
      collected = [];
      return [next, effects];
    },
  };
}
