import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Packr, Unpackr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { KairosError } from '../errors.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { startTestKairos, tempDir } from '../test-support/test-kairos.js';

/** wss:// and https:// with a certificate made by openssl for this test. */

let k: TestKairos;
let cert: Buffer;
const dir = tempDir('kairos-tls-');

beforeAll(async () => {
  const key = join(dir.dir, 'key.pem');
  const crt = join(dir.dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new KairosError('internal', `openssl failed (it is needed for this test): ${r.error?.message ?? r.stderr}`, { cause: r.error });
  cert = readFileSync(crt);
  k = await startTestKairos({ config: { store: 'memory', demo: false, tlsCertFile: crt, tlsKeyFile: key } });
});

afterAll(async () => {
  await k.close();
  dir.remove();
});

describe('TLS', () => {
  it('serves the gateway protocol over wss:// with the configured certificate', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${k.kairos.port}/v1/gateway`, { ca: cert, headers: { Authorization: 'Bearer demo-gateway' } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const reply = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d: Buffer) => resolve(new Unpackr({ useRecords: false }).unpack(d) as Record<string, unknown>)));
    ws.send(new Packr({ useRecords: false }).pack({ t: 'event', id: 'tls-1', type: 'web.pageview', customer: { cookie: 'ck-tls' } }));
    expect(await reply).toMatchObject({ t: 'decision', re: 'tls-1', actions: [] });
    ws.close();
    expect(k.logs).toContainEqual(expect.objectContaining({ msg: 'kairos listening', tls: true }));
  });

  it('serves HTTP over https://', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port: k.kairos.port, path: '/health', ca: cert }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(JSON.parse(body)).toEqual({ status: 'ok' });
  });
});
