import { Type } from '@sinclair/typebox';
import { GatewayEventSchema } from '../../../actors/index.js';
import { DecisionFrameSchema } from '../wire/server-frames.js';
import { AsyncApiReply, HealthReply, OpenApiReply, ReadyReply } from './admin-schemas.js';
import { operation } from './operation.js';

/**
 * The operations the HTTP server answers itself (health, readiness, metrics, POST /v1/events),
 * declared here so the OpenAPI document describes them with the admin API's.
 */

export const healthOperation = operation({
  operationId: 'getHealth',
  method: 'get',
  path: '/health',
  summary: 'The process is up',
  tag: 'service',
  auth: 'none',
  responses: { 200: { description: 'up', schema: HealthReply } },
  errors: [],
});

export const readyOperation = operation({
  operationId: 'getReady',
  method: 'get',
  path: '/ready',
  summary: 'Accepting traffic: started, store reachable, commits succeeding',
  tag: 'service',
  auth: 'none',
  responses: { 200: { description: 'ready', schema: ReadyReply }, 503: { description: 'not ready, and why', schema: ReadyReply } },
  errors: [],
});

export const metricsOperation = operation({
  operationId: 'getMetrics',
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics (text exposition format)',
  tag: 'service',
  auth: 'none',
  responses: { 200: { description: 'the metrics', media: { 'text/plain': Type.String({ description: 'Prometheus text format 0.0.4' }) } } },
  errors: [],
});

export const openApiOperation = operation({
  operationId: 'getOpenApi',
  method: 'get',
  path: '/v1/openapi.json',
  summary: 'This document',
  tag: 'service',
  auth: 'none',
  responses: { 200: { description: 'the OpenAPI 3.1 document', schema: OpenApiReply } },
  errors: [],
});

export const asyncApiOperation = operation({
  operationId: 'getAsyncApi',
  method: 'get',
  path: '/v1/asyncapi.json',
  summary: 'The WebSocket gateway protocol (/v1/gateway) as an AsyncAPI 3.0 document',
  description: 'Generated from the same frame schemas as the server checks; the same document is checked in as schemas/asyncapi.json (docs/protocol.md).',
  tag: 'service',
  auth: 'none',
  responses: { 200: { description: 'the AsyncAPI 3.0 document', schema: AsyncApiReply } },
  errors: [],
});

/** The event of POST /v1/events: the fields of an `event` frame without `t` (docs/protocol.md). */
export const EventSchema = Type.Object(GatewayEventSchema.properties, { $id: 'Event', description: 'the fields of an event frame without t (docs/protocol.md); unknown fields are ignored' });

/** The decision: the wire's decision frame (src/schema/wire/server-frames.ts), one schema for both. */
export const DecisionSchema = { ...DecisionFrameSchema, $id: 'Decision' };

export const eventsOperation = operation({
  operationId: 'postEvent',
  method: 'post',
  path: '/v1/events',
  summary: 'Decide on one event; the decision comes back in the body format (or as Accept asks)',
  description: 'The fields of an `event` frame without `t`, as JSON or MessagePack; the same checks and decision as over the WebSocket gateway.',
  tag: 'events',
  auth: 'gateway',
  roles: ['gateway'],
  body: { schema: EventSchema, media: ['application/json', 'application/msgpack'] },
  responses: { 200: { description: 'the decision', schema: DecisionSchema, media: { 'application/msgpack': DecisionSchema } } },
  errors: ['bad_frame', 'invalid', 'unknown_customer', 'rate_limited', 'overloaded'],
});

export const builtinOperations = [healthOperation, readyOperation, metricsOperation, openApiOperation, asyncApiOperation, eventsOperation] as const;
