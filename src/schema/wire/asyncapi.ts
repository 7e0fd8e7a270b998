import type { Static, TSchema } from '@sinclair/typebox';
import { schemaOwnKeywords } from '../../../actors/index.js';
import { errorCatalog } from '../../errors.js';
import { ClientFrameSchema } from './client-frames.js';
import { ServerFrameSchema, gatewayErrorCodes } from './server-frames.js';

/**
 * The gateway protocol (`/v1/gateway`) as an AsyncAPI 3.0 document, generated from the frame
 * schemas of src/schema/wire/ and actors/gateway-event.ts, served at `GET /v1/asyncapi.json`
 * and checked in as `schemas/asyncapi.json`. Nothing here is written by hand but the
 * document's frame (info, servers, the channel, which reply each request gets): every frame
 * of the two unions is a message, with its schema as the payload, so a new frame type appears
 * here once it is declared. The document describes Kairos: a `receive` operation is a frame a
 * gateway sends (with the reply Kairos gives), a `send` operation one Kairos sends unasked.
 */

type Json = Record<string, unknown>;

export type ClientFrameType = Static<typeof ClientFrameSchema>['t'];
export type ServerFrameType = Static<typeof ServerFrameSchema>['t'];

/** The media type of every frame: one binary WebSocket frame holding one MessagePack map. */
export const FRAME_CONTENT_TYPE = 'application/msgpack';

/** The channel's key in the document, and its address. */
const CHANNEL = 'gateway';
const CHANNEL_ADDRESS = '/v1/gateway';

/** What Kairos answers each request frame with (PROTOCOL.md: every request gets exactly one reply). */
export const frameReplies: Readonly<Record<ClientFrameType, readonly ServerFrameType[]>> = {
  event: ['decision', 'error'],
  response: ['ack', 'error'],
  subscribe: ['ack', 'error'],
  delivered: ['ack', 'error'],
  failed: ['ack', 'error'],
};

/** The server frames Kairos sends without a request: a pushed offer, and an error about a frame whose id could not be read. */
export const unaskedFrames: readonly ServerFrameType[] = ['deliver', 'error'];

const capitalized = (t: string): string => `${t[0]!.toUpperCase()}${t.slice(1)}`;

/** The frames of both unions, with their type and their schema's name (`EventFrame`, `DecisionFrame`, ...). */
function frames<T extends TSchema & { properties: { t: { const: string } } }>(union: readonly T[]): Array<{ t: string; name: string; schema: T }> {
  return union.map((schema) => {
    const t = schema.properties.t.const;
    return { t, name: `${capitalized(t)}Frame`, schema };
  });
}

export const clientFrames = frames(ClientFrameSchema.anyOf);
export const serverFrames = frames(ServerFrameSchema.anyOf);

/**
 * A TypeBox schema as a plain AsyncAPI schema (JSON Schema draft-07 and up): TypeBox's
 * symbol-keyed markers and Kairos's own message keywords dropped, a union of constants
 * written as an `enum`.
 */
function plain(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(plain);
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Json;
  const anyOf = s.anyOf as Json[] | undefined;
  if (anyOf !== undefined && anyOf.length > 0 && anyOf.every((a) => a.const !== undefined && a.type === anyOf[0]?.type)) {
    return { type: anyOf[0]?.type, enum: anyOf.map((a) => a.const), ...(s.description === undefined ? {} : { description: s.description }) };
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(s)) {
    if (value === undefined || schemaOwnKeywords.has(key)) continue;
    out[key] = plain(value);
  }
  return out;
}

const messageRef = (t: string) => ({ $ref: `#/channels/${CHANNEL}/messages/${t}` });
const channelRef = { $ref: `#/channels/${CHANNEL}` };

/** A request carries its `id`; a reply names it as `re`. */
function correlationId(t: string, isRequest: boolean): Json | undefined {
  if (isRequest) return { description: "the request's id; its reply carries it as re", location: '$message.payload#/id' };
  if (t === 'deliver') return undefined;
  return { description: "the request's id this frame answers (absent on an error about a frame whose id could not be read)", location: '$message.payload#/re' };
}

function message(f: { t: string; name: string; schema: TSchema }, isRequest: boolean): Json {
  const codes = f.t === 'error' ? `\n\nCodes: ${gatewayErrorCodes.map((c) => `\`${c}\` (${errorCatalog[c].text})`).join('; ')}.` : '';
  const correlation = correlationId(f.t, isRequest);
  return {
    name: f.t,
    title: `${f.t} frame`,
    summary: f.schema.description,
    description: `${isRequest ? 'Sent by a gateway' : 'Sent by Kairos'}: one binary WebSocket frame holding one MessagePack map; \`t\` is \`${f.t}\`.${codes}`,
    contentType: FRAME_CONTENT_TYPE,
    payload: { $ref: `#/components/schemas/${f.name}` },
    ...(correlation === undefined ? {} : { correlationId: correlation }),
  };
}

function operations(): Json {
  const out: Json = {};
  for (const f of clientFrames) {
    const replies = frameReplies[f.t as ClientFrameType];
    out[`receive${capitalized(f.t)}`] = {
      action: 'receive',
      channel: channelRef,
      title: `A gateway sends ${f.t}`,
      summary: f.schema.description,
      description: `Kairos answers with exactly one frame, ${replies.map((r) => `\`${r}\``).join(' or ')}, whose \`re\` is the request's \`id\`; replies may come in any order.`,
      messages: [messageRef(f.t)],
      reply: { channel: channelRef, messages: replies.map(messageRef) },
    };
  }
  for (const t of unaskedFrames) {
    const f = serverFrames.find((s) => s.t === t)!;
    out[`send${capitalized(t)}`] = {
      action: 'send',
      channel: channelRef,
      title: `Kairos sends ${t}`,
      summary: t === 'error' ? 'an error about a frame that could not be read (a text frame, bytes that are not one MessagePack map): no re' : f.schema.description,
      ...(t === 'deliver' ? { description: 'Only on a connection that subscribed to the channel; the gateway confirms it with a delivered or failed frame.' } : {}),
      messages: [messageRef(t)],
    };
  }
  return out;
}

/** The document, for the server's version and (when set) its public base URL, whose host becomes the servers' default. */
export function asyncApiDocument(version: string, publicUrl?: string): Json {
  const host = publicUrl === undefined || publicUrl === '' ? 'localhost:8080' : new URL(publicUrl).host;
  const security = [{ $ref: '#/components/securitySchemes/gatewayToken' }];
  const server = (protocol: 'ws' | 'wss', description: string): Json => ({
    host: '{host}',
    protocol,
    description,
    variables: { host: { default: host, description: 'the Kairos server, host and port (KAIROS_PORT)' } },
    security,
  });
  const all = [...clientFrames.map((f) => ({ f, isRequest: true })), ...serverFrames.map((f) => ({ f, isRequest: false }))];
  return {
    asyncapi: '3.0.0',
    id: 'urn:kairos:gateway-protocol:v1',
    info: {
      title: 'Kairos gateway protocol',
      version,
      description: [
        'Version 1 of the WebSocket protocol between Kairos and the gateways that feed it (ATM, branch, web and mobile back ends, the internet bank, the call centre) and the delivery endpoints it pushes offers to. The contract is docs/protocol-v1.md; how Kairos reads it and its extensions are in docs/protocol.md.',
        'This document describes Kairos: a `receive` operation is a frame a gateway sends, with the reply Kairos gives; a `send` operation is a frame Kairos sends unasked. Every frame is one binary WebSocket frame holding one MessagePack map (shown here as JSON Schema); a text frame is refused with an `error` frame (`bad_frame`). Unknown fields are ignored; nil in an optional client field reads as absent. Every whole number Kairos sends is a MessagePack integer.',
        'One connection carries many requests at once: each request frame gets exactly one reply, in any order, matched by `re`. Close codes: 1008 after too many bad frames, 1009 a frame over the payload limit, 1013 a client that stops reading its replies.',
        'Generated from src/schema/wire/ and actors/gateway-event.ts (`npm run schemas` writes schemas/asyncapi.json); do not edit.',
      ].join('\n\n'),
      license: { name: 'Proprietary' },
    },
    defaultContentType: FRAME_CONTENT_TYPE,
    servers: {
      ws: server('ws', 'Kairos without TLS'),
      wss: server('wss', 'Kairos with TLS (KAIROS_TLS_CERT_FILE and KAIROS_TLS_KEY_FILE set)'),
    },
    channels: {
      [CHANNEL]: {
        address: CHANNEL_ADDRESS,
        title: 'The gateway connection',
        description:
          'A WebSocket opened with `Authorization: Bearer <gateway token>` at the upgrade; without a valid token the upgrade gets HTTP 401 (problem+json, code `unauthorized`) and no WebSocket, while starting or shutting down 503. A token may be limited to some channels for subscribe.',
        servers: [{ $ref: '#/servers/ws' }, { $ref: '#/servers/wss' }],
        messages: Object.fromEntries(all.map(({ f }) => [f.t, { $ref: `#/components/messages/${f.t}` }])),
        bindings: {
          ws: {
            method: 'GET',
            headers: {
              type: 'object',
              properties: { Authorization: { type: 'string', pattern: '^Bearer .+$', description: 'Bearer <gateway token> (KAIROS_GATEWAY_TOKENS)' } },
              required: ['Authorization'],
            },
            bindingVersion: '0.1.0',
          },
        },
      },
    },
    operations: operations(),
    components: {
      schemas: Object.fromEntries(all.map(({ f }) => [f.name, plain(f.schema)])),
      messages: Object.fromEntries(all.map(({ f, isRequest }) => [f.t, message(f, isRequest)])),
      securitySchemes: {
        gatewayToken: { type: 'http', scheme: 'bearer', description: 'a gateway token (KAIROS_GATEWAY_TOKENS), at the WebSocket upgrade: Authorization: Bearer <token>' },
      },
    },
  };
}

/** The document's place in the repository. */
export const ASYNCAPI_FILE = 'schemas/asyncapi.json';

/** The document as the checked-in file holds it (as `GET /v1/asyncapi.json` serves it without a public URL). */
export function asyncApiText(version: string): string {
  return `${JSON.stringify(asyncApiDocument(version), null, 2)}\n`;
}
