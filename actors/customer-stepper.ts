import type { ActorScope, ExecutableActionsFrom, SnapshotFrom } from 'xstate';
import { createActor } from 'xstate';
import type { CustomerMachine } from './customer.machine.js';
import type { CustomerMessage } from './customer-logic.js';
import type { CustomerContext, CustomerInput } from './customer-state.js';
import { initialCustomerContext } from './customer-state.js';

/**
 * Stepping many customers through one machine, cheaply. XState's `transition()` builds a
 * throw-away Actor (and computes an initial snapshot) on every call; hosting hundreds of
 * thousands of customers, we build that inert actor scope once per machine and call the
 * machine's own `transition(snapshot, event, scope)`, collecting the named effects instead
 * of executing them. Results are the same as `transition()` (tested).
 */

export type CustomerSnapshot = SnapshotFrom<CustomerMachine>;
export type CustomerEffect = ExecutableActionsFrom<CustomerMachine>;

export interface CustomerStepper {
  /** the snapshot of a new customer, in the stage its input names */
  create(input: CustomerInput): CustomerSnapshot;
  /** the snapshot of a stored customer */
  restore(value: CustomerSnapshot['value'], context: CustomerContext): CustomerSnapshot;
  /** one message: the next snapshot and the effects to execute, in order; throws if the machine does */
  step(snapshot: CustomerSnapshot, message: CustomerMessage): [CustomerSnapshot, CustomerEffect[]];
}

/**
 * The customer machine has no tags, yet XState gives every snapshot a new empty `Set` of
 * them: one object more to survive each event for as long as the actor lives. Snapshots
 * share this one instead (XState only reads `tags`).
 */
const NO_TAGS: Set<string> = new Set();

function shareEmptyTags(snapshot: CustomerSnapshot): CustomerSnapshot {
  if (snapshot.tags.size === 0 && snapshot.tags !== NO_TAGS) (snapshot as { tags: Set<string> }).tags = NO_TAGS;
  return snapshot;
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
      collected.push(action as CustomerEffect);
    },
  };
  return {
    create(input) {
      return shareEmptyTags(machine.resolveState({ value: input.stage, context: initialCustomerContext(input) }));
    },
    restore(value, context) {
      return shareEmptyTags(machine.resolveState({ value, context }));
    },
    step(snapshot, message) {
      collected = [];
      const next = shareEmptyTags(machine.transition(snapshot, message, scope));
      const effects = collected;
      collected = [];
      return [next, effects];
    },
  };
}
