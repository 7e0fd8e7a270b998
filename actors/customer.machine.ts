import { assign, enqueueActions, setup } from 'xstate';
import type { CustomerInput, CustomerContext, LifecycleStage } from './customer-state.js';
import { initialCustomerContext, retention } from './customer-state.js';
import type { CustomerMessage } from './customer-logic.js';
import { handleDelivery, handleEvent, handleResponse, hasSeen, isRepeat, refusal, refusalReply, replayReply } from './customer-logic.js';
import { endsRelationship, identifies, opensProduct, stageSetTo } from './lifecycle.js';
import type { LinkParams, QueueParams, ReplyParams, ScheduleParams, TraceParams } from './effects.js';

/**
 * One customer, as an XState machine. The states are the lifecycle
 * (visitor -> prospect -> client -> former client, and back when reactivated); the context
 * is everything Kairos knows of the customer. Pure: effects are the named actions `reply`,
 * `queue`, `link`, `trace` and `schedule` (`effects.ts`), whose bodies do nothing: the stepper
 * returns them as data and the runtime runs them; time comes in the messages, never from a clock.
 */

const customerSetup = setup({
  types: {
    context: {} as CustomerContext,
    events: {} as CustomerMessage,
    input: {} as CustomerInput,
  },
  actions: {
    /** answer the gateway (decision, ack or error) */
    reply: (_, _params: ReplyParams) => {},
    /** commit these outbox entries with the snapshot */
    queue: (_, _params: QueueParams) => {},
    /** index new identifiers to this customer */
    link: (_, _params: LinkParams) => {},
    /** explanations and segment changes, for logs, metrics and the explain API */
    trace: (_, _params: TraceParams) => {},
    /** durable reminders to set or cancel, committed with the snapshot */
    schedule: (_, _params: ScheduleParams) => {},

    enterStage: assign(({ context, event }, params: { stage: LifecycleStage }) => {
      const at = event.type === 'gateway.event' ? (event.event.at ?? event.now) : event.now;
      const reason = event.type === 'gateway.event' ? event.event.type : event.type;
      return {
        stage: params.stage,
        lifecycle: [...context.lifecycle, { stage: params.stage, at, reason }].slice(-retention.lifecycle),
      };
    }),
  },
  guards: {
    isDuplicate: ({ context, event }) => {
      if (event.type === 'gateway.event') return isRepeat(context, event);
      if (event.type === 'gateway.response') return hasSeen(context, event.response.id);
      return false;
    },
    /** a new request refused before it changes anything: `at` out of bounds, or no room to remember it */
    isRefused: ({ context, event }) => event.type !== 'delivery.report' && refusal(context, event) !== undefined,
    opensProduct: ({ event }) => event.type === 'gateway.event' && opensProduct(event.event),
    endsRelationship: ({ event }) => event.type === 'gateway.event' && endsRelationship(event.event),
    identifies: ({ event }) => event.type === 'gateway.event' && identifies(event.event),
    startsAs: ({ context }, params: { stage: LifecycleStage }) => context.stage === params.stage,
    /** the bank's master data sets this stage (`stage.set`, lifecycle.ts) */
    setsStage: ({ event }, params: { stage: LifecycleStage }) => event.type === 'gateway.event' && stageSetTo(event.event) === params.stage,
  },
});

/** A repeated request id: the first answer again, nothing else. */
const replay = customerSetup.createAction(
  enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'delivery.report') return;
      enqueue({ type: 'reply', params: { customer: context.id, reply: replayReply(context, event) } });
    }),
);

/** A refused request: the error, nothing else. */
const refuse = customerSetup.createAction(
  enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'delivery.report') return;
      enqueue({ type: 'reply', params: { customer: context.id, reply: refusalReply(context, event) } });
    }),
);

/** A new request: the pure handler's result becomes the new context and the named effects. */
const handle = customerSetup.createAction(
  enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'delivery.report') {
        enqueue.assign(handleDelivery(context, event));
        return;
      }
      const r = event.type === 'gateway.event' ? handleEvent(context, event) : handleResponse(context, event);
      enqueue.assign(r.ctx);
      if (r.links.length > 0) enqueue({ type: 'link', params: { customer: r.ctx.id, links: r.links } });
      if (r.outbox.length > 0) enqueue({ type: 'queue', params: { customer: r.ctx.id, entries: r.outbox } });
      if (r.reminders.length > 0) enqueue({ type: 'schedule', params: { customer: r.ctx.id, reminders: r.reminders } });
      enqueue({ type: 'trace', params: { customer: r.ctx.id, trace: r.trace } });
      enqueue({ type: 'reply', params: { customer: r.ctx.id, reply: r.reply } });
    }),
);

export const customerMachine = customerSetup.createMachine({
  id: 'customer',
  context: ({ input }) => initialCustomerContext(input),
  initial: 'init',
  on: {
    'gateway.response': [{ guard: 'isDuplicate', actions: replay }, { guard: 'isRefused', actions: refuse }, { actions: handle }],
    'delivery.report': { actions: handle },
  },
  states: {
    init: {
      always: [
        { guard: { type: 'startsAs', params: { stage: 'prospect' } }, target: 'prospect' },
        { guard: { type: 'startsAs', params: { stage: 'client' } }, target: 'client' },
        { guard: { type: 'startsAs', params: { stage: 'formerClient' } }, target: 'formerClient' },
        { target: 'visitor' },
      ],
    },
    visitor: {
      on: {
        'gateway.event': [
          { guard: 'isDuplicate', actions: replay },
          { guard: 'isRefused', actions: refuse },
          // The bank's master data sets another stage (stage.set: an import, PUT/PATCH).
          { guard: { type: 'setsStage', params: { stage: 'prospect' } }, target: 'prospect', actions: [{ type: 'enterStage', params: { stage: 'prospect' } }, handle] },
          { guard: { type: 'setsStage', params: { stage: 'client' } }, target: 'client', actions: [{ type: 'enterStage', params: { stage: 'client' } }, handle] },
          { guard: { type: 'setsStage', params: { stage: 'formerClient' } }, target: 'formerClient', actions: [{ type: 'enterStage', params: { stage: 'formerClient' } }, handle] },
          { guard: 'opensProduct', target: 'client', actions: [{ type: 'enterStage', params: { stage: 'client' } }, handle] },
          { guard: 'identifies', target: 'prospect', actions: [{ type: 'enterStage', params: { stage: 'prospect' } }, handle] },
          { actions: handle },
        ],
      },
    },
    prospect: {
      on: {
        'gateway.event': [
          { guard: 'isDuplicate', actions: replay },
          { guard: 'isRefused', actions: refuse },
          { guard: { type: 'setsStage', params: { stage: 'visitor' } }, target: 'visitor', actions: [{ type: 'enterStage', params: { stage: 'visitor' } }, handle] },
          { guard: { type: 'setsStage', params: { stage: 'client' } }, target: 'client', actions: [{ type: 'enterStage', params: { stage: 'client' } }, handle] },
          { guard: { type: 'setsStage', params: { stage: 'formerClient' } }, target: 'formerClient', actions: [{ type: 'enterStage', params: { stage: 'formerClient' } }, handle] },
          { guard: 'opensProduct', target: 'client', actions: [{ type: 'enterStage', params: { stage: 'client' } }, handle] },
          { actions: handle },
        ],
      },
    },
    client: {
      on: {
        'gateway.event': [
          { guard: 'isDuplicate', actions: replay },
          { guard: 'isRefused', actions: refuse },
          { guard: { type: 'setsStage', params: { stage: 'visitor' } }, target: 'visitor', actions: [{ type: 'enterStage', params: { stage: 'visitor' } }, handle] },
          { guard: { type: 'setsStage', params: { stage: 'prospect' } }, target: 'prospect', actions: [{ type: 'enterStage', params: { stage: 'prospect' } }, handle] },
          { guard: { type: 'setsStage', params: { stage: 'formerClient' } }, target: 'formerClient', actions: [{ type: 'enterStage', params: { stage: 'formerClient' } }, handle] },
          {
            guard: 'endsRelationship',
            target: 'formerClient',
            actions: [{ type: 'enterStage', params: { stage: 'formerClient' } }, handle],
          },
          { actions: handle },
        ],
      },
    },
    formerClient: {
      on: {
        'gateway.event': [
          { guard: 'isDuplicate', actions: replay },
          { guard: 'isRefused', actions: refuse },
          { guard: { type: 'setsStage', params: { stage: 'visitor' } }, target: 'visitor', actions: [{ type: 'enterStage', params: { stage: 'visitor' } }, handle] },
          { guard: { type: 'setsStage', params: { stage: 'prospect' } }, target: 'prospect', actions: [{ type: 'enterStage', params: { stage: 'prospect' } }, handle] },
          { guard: { type: 'setsStage', params: { stage: 'client' } }, target: 'client', actions: [{ type: 'enterStage', params: { stage: 'client' } }, handle] },
          // A former client who opens a product again is reactivated: a client, with the history kept.
          { guard: 'opensProduct', target: 'client', actions: [{ type: 'enterStage', params: { stage: 'client' } }, handle] },
          { actions: handle },
        ],
      },
    },
  },
});

export type CustomerMachine = typeof customerMachine;
