import type { TSchema } from '@sinclair/typebox';
import { join } from 'node:path';
import { schemaOwnKeywords } from '../../../actors/index.js';
import { packageRoot } from '../../paths.js';
import { ClientFrameSchema, DeliveredFrameSchema, EventFrameSchema, FailedFrameSchema, ResponseFrameSchema, SubscribeFrameSchema } from './client-frames.js';
import { AckFrameSchema, DecisionFrameSchema, DeliverFrameSchema, ErrorFrameSchema, ServerFrameSchema } from './server-frames.js';

/**
 * The gateway protocol's frames as one JSON Schema (2020-12) document for gateway vendors,
 * generated from the frame schemas and checked into the repository as
 * `schemas/gateway-frames.schema.json` (a test fails when the two part). Each frame is a
 * `$defs` entry (`#/$defs/EventFrame`, ...); `ClientFrame` and `ServerFrame` are any of them.
 */

/** The document's place in the repository. */
export const GATEWAY_FRAMES_SCHEMA_FILE = 'schemas/gateway-frames.schema.json';

/** How to write the file again after a frame schema changed. */
export const GATEWAY_FRAMES_REGENERATE = 'npm run schemas';

export function gatewayFramesSchemaPath(): string {
  return join(packageRoot(), GATEWAY_FRAMES_SCHEMA_FILE);
}

const clientFrames = { EventFrame: EventFrameSchema, ResponseFrame: ResponseFrameSchema, SubscribeFrame: SubscribeFrameSchema, DeliveredFrame: DeliveredFrameSchema, FailedFrame: FailedFrameSchema };
const serverFrames = { DecisionFrame: DecisionFrameSchema, AckFrame: AckFrameSchema, DeliverFrame: DeliverFrameSchema, ErrorFrame: ErrorFrameSchema };

/** A TypeBox schema as plain JSON Schema: TypeBox's symbol-keyed markers and Kairos's own message keywords left out. */
function plain(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => (schemaOwnKeywords.has(key) ? undefined : value))) as Record<string, unknown>;
}

const refs = (names: string[]) => names.map((n) => ({ $ref: `#/$defs/${n}` }));

function defs(frames: Record<string, TSchema>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(frames).map(([name, schema]) => [name, plain(schema)]));
}

export function gatewayFramesDocument(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Kairos gateway protocol v1: frames',
    description: `Generated from src/schema/wire/ and actors/gateway-event.ts; do not edit (regenerate: ${GATEWAY_FRAMES_REGENERATE}). Each WebSocket frame is one binary frame holding one MessagePack map, shown here as JSON. Unknown fields are ignored; nil in an optional client field reads as absent. Checks a schema cannot state are the server's: customer needs at least one identifier, phones and e-mails must be valid, data is bounded, at lies within the clock bounds. See docs/protocol.md.`,
    anyOf: refs(['ClientFrame', 'ServerFrame']),
    $defs: {
      ClientFrame: { title: ClientFrameSchema.title, description: ClientFrameSchema.description, anyOf: refs(Object.keys(clientFrames)) },
      ServerFrame: { title: ServerFrameSchema.title, description: ServerFrameSchema.description, anyOf: refs(Object.keys(serverFrames)) },
      ...defs(clientFrames),
      ...defs(serverFrames),
    },
  };
}

/** The document as the checked-in file holds it. */
export function gatewayFramesJson(): string {
  return `${JSON.stringify(gatewayFramesDocument(), null, 2)}\n`;
}
