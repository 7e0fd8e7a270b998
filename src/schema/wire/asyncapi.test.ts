import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import type { AsyncAPIDocumentInterface, Diagnostic } from '@asyncapi/parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allOperations } from '../../admin/openapi.js';
import { protocolErrorCodes } from '../../errors.js';
import { packageRoot, packageVersion } from '../../paths.js';
import type { TestKairos } from '../../test-support/test-kairos.js';
import { startTestKairos } from '../../test-support/test-kairos.js';
import { ASYNCAPI_FILE, FRAME_CONTENT_TYPE, asyncApiDocument, asyncApiText, frameReplies } from './asyncapi.js';
import { clientFrameTypes } from './client-frames.js';
import { ServerFrameSchema } from './server-frames.js';

/**
 * The gateway protocol's AsyncAPI document: the checked-in file is what the frame schemas
 * generate, the AsyncAPI parser (@asyncapi/parser, the one AsyncAPI's own tools use) finds
 * no error in it, every frame type the server reads or writes is a message of it with the
 * right operation, and a running server serves it at GET /v1/asyncapi.json.
 */

type Json = Record<string, unknown>;

/**
 * What the parser may say about the document besides errors (it reports none). Its only
 * remark is informational: AsyncAPI 3.1.0 exists. The document stays 3.0.0 on purpose: it is
 * what the brief and the issue ask for, 3.1 adds nothing this protocol uses, and the tools a
 * vendor reaches for (AsyncAPI Studio, the generator's templates) all read 3.0.
 */
const explained: Record<string, string> = {
  'asyncapi-latest-version': 'the document is AsyncAPI 3.0.0 on purpose (see above)',
};

const server: string[] = ServerFrameSchema.anyOf.map((s) => s.properties.t.const);

async function diagnose(doc: unknown): Promise<Diagnostic[]> {
  return new Parser().validate(JSON.stringify(doc));
}

/** Spectral's severities, as the parser reports them (0 error, 1 warning, 2 information, 3 hint). */
const severities = ['error', 'warning', 'information', 'hint'];
const severity = (d: Diagnostic): string => severities[Number(d.severity)] ?? String(d.severity);
const isError = (d: Diagnostic): boolean => severity(d) === 'error';

const line = (d: Diagnostic): string => `${severity(d)} ${d.code} at ${d.path.join('.')}: ${d.message}`;

describe('the AsyncAPI document', () => {
  let parsed: AsyncAPIDocumentInterface;

  beforeAll(async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(asyncApiDocument(packageVersion())));
    expect(document, diagnostics.map(line).join('\n')).toBeDefined();
    parsed = document!;
  });

  it(`${ASYNCAPI_FILE} is what the frame schemas generate`, () => {
    const checkedIn = readFileSync(join(packageRoot(), ASYNCAPI_FILE), 'utf8');
    if (checkedIn !== asyncApiText(packageVersion())) expect.fail(`${ASYNCAPI_FILE} differs from the frame schemas in src/schema/wire/: regenerate it with \`npm run schemas\` and commit it`);
  });

  it('passes the AsyncAPI parser: no error, no warning, and each other remark explained', async () => {
    const diagnostics = await diagnose(JSON.parse(readFileSync(join(packageRoot(), ASYNCAPI_FILE), 'utf8')));
    const serious = diagnostics.filter((d) => isError(d) || severity(d) === 'warning');
    expect(serious.map(line)).toEqual([]);
    for (const d of diagnostics) expect(explained[String(d.code)], `unexplained: ${line(d)}`).toBeDefined();
  });

  it('is checked for real: the parser refuses a reply naming a message the channel lacks, and a payload that is no schema', async () => {
    const broken = asyncApiDocument(packageVersion()) as { operations: Record<string, { reply?: { messages: Json[] } }>; components: { schemas: Record<string, Json> } };
    broken.operations.receiveEvent!.reply!.messages = [{ $ref: '#/channels/gateway/messages/verdict' }];
    expect((await diagnose(broken)).filter(isError).length).toBeGreaterThan(0);

    const badSchema = asyncApiDocument(packageVersion()) as { components: { schemas: Record<string, Json> } };
    badSchema.components.schemas.AckFrame = { type: 'frame', required: 're' };
    expect((await diagnose(badSchema)).filter(isError).length).toBeGreaterThan(0);
  });

  it('has every frame type the server knows as a binary MessagePack message on /v1/gateway', () => {
    const channel = parsed.channels().get('gateway')!;
    expect(channel.address()).toBe('/v1/gateway');
    const names = channel.messages().all().map((m) => m.name());
    expect(names.sort()).toEqual([...clientFrameTypes, ...server].sort());
    for (const m of channel.messages().all()) {
      expect(m.contentType(), m.name()).toBe(FRAME_CONTENT_TYPE);
      const t = (m.payload()?.properties()?.t?.const() as string | undefined) ?? '';
      expect(t, `${m.name()}'s payload names its t`).toBe(m.name());
    }
  });

  it('has each client frame received, answered by its replies, and each server frame sent or replied', () => {
    const received = parsed.operations().filterByReceive();
    expect(received.flatMap((o) => o.messages().all().map((m) => m.name())).sort()).toEqual([...clientFrameTypes].sort());
    for (const op of received) {
      const t = op.messages().all()[0]!.name() as keyof typeof frameReplies;
      expect(op.reply()?.messages().all().map((m) => m.name()), t).toEqual(frameReplies[t]);
      expect(op.reply()?.channel()?.address(), t).toBe('/v1/gateway');
    }
    expect(frameReplies.event).toEqual(['decision', 'error']);
    const sent = parsed.operations().filterBySend().flatMap((o) => o.messages().all().map((m) => m.name()));
    const replied = received.flatMap((o) => o.reply()?.messages().all().map((m) => m.name()) ?? []);
    for (const t of server) expect([...sent, ...replied], t).toContain(t);
    expect(sent.sort()).toEqual(['deliver', 'error']);
  });

  it('names the error codes of an error frame, which are the protocol\'s', () => {
    const error = parsed.components().messages().get('error')!;
    const code = error.payload()!.properties()!.code!;
    expect(code.enum()).toEqual([...protocolErrorCodes]);
    for (const c of protocolErrorCodes) expect(error.description(), c).toContain(`\`${c}\``);
  });

  it('asks for the gateway token as a bearer token on both servers, ws and wss', () => {
    for (const [id, protocol] of [
      ['ws', 'ws'],
      ['wss', 'wss'],
    ] as const) {
      const s = parsed.servers().get(id)!;
      expect(s.protocol()).toBe(protocol);
      expect(s.security().map((r) => r.all().map((x) => [x.scheme().type(), x.scheme().scheme()]))).toEqual([[['http', 'bearer']]]);
    }
    expect(parsed.servers().get('ws')!.variables().get('host')!.defaultValue()).toBe('localhost:8080');
  });
});

describe('GET /v1/asyncapi.json', () => {
  let k: TestKairos;
  beforeAll(async () => {
    k = await startTestKairos({ config: { store: 'memory', publicUrl: 'https://kairos.bank.test' } });
  });
  afterAll(async () => {
    await k.close();
  });

  it('serves the document without credentials, with the public URL as the servers\' host, as an operation of the OpenAPI', async () => {
    const res = await fetch(`${k.httpUrl}/v1/asyncapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as Json;
    expect(doc).toEqual(asyncApiDocument(packageVersion(), 'https://kairos.bank.test'));
    expect((doc.servers as Record<string, { variables: { host: { default: string } } }>).wss!.variables.host.default).toBe('kairos.bank.test');
    const op = allOperations.find((o) => o.path === '/v1/asyncapi.json');
    expect(op).toMatchObject({ method: 'get', auth: 'none', operationId: 'getAsyncApi' });
    const openapi = (await (await fetch(`${k.httpUrl}/v1/openapi.json`)).json()) as { paths: Record<string, Json> };
    expect(openapi.paths['/v1/asyncapi.json']).toHaveProperty('get');
  });
});
