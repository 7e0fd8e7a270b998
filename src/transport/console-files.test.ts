import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import type { TestKairos } from '../test-support/test-kairos.js';
import { startTestKairos } from '../test-support/test-kairos.js';
import { consoleFiles } from './console-files.js';

/**
 * The console served by the real server at /console from dist/console (built by `npm run
 * build`, which `npm test` runs first): its pages, its hashed assets cached for a year, 404
 * for what the build does not hold, and only GET.
 */

let k: TestKairos;
let asset: string;
beforeAll(async () => {
  const assets = readdirSync(join(packageRoot(), 'dist', 'console', 'assets'));
  // the entry script, the one the page names (the others are chunks fetched later: Chart.js, csv-parse)
  asset = assets.find((f) => f.startsWith('index-') && f.endsWith('.js'))!;
  expect(asset, 'dist/console is not built: npm run build').toBeDefined();
  k = await startTestKairos({ config: { store: 'memory', demo: false } });
});
afterAll(async () => {
  await k.close();
});

describe('the console at /console', () => {
  it('answers its page for /console and each of its own routes, never cached, with the security headers', async () => {
    for (const path of ['/console', '/console/', '/console/campaigns', '/console/campaigns/pension-deposit', '/console/customers/demo-19']) {
      const res = await fetch(`${k.httpUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      const html = await res.text();
      expect(html, path).toContain('<div id="root"></div>');
      expect(html, path).toContain(`/console/assets/${asset}`);
    }
  });

  it('serves the hashed assets with their content type, cached for a year', async () => {
    const res = await fetch(`${k.httpUrl}/console/assets/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await res.text()).length).toBeGreaterThan(1000);
  });

  it('answers 404 problem+json for a file the build does not hold, 405 for another method', async () => {
    for (const path of ['/console/assets/index-0000000.js', '/console/assets/gone', '/console/favicon.ico', '/console/campaigns/x.json']) {
      const res = await fetch(`${k.httpUrl}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
    }
    const post = await fetch(`${k.httpUrl}/console`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    // the prefix is the console's only: /consoles is an ordinary unknown path
    expect((await fetch(`${k.httpUrl}/consoles`)).status).toBe(404);
  });

  it('without a build, says how to make one; with KAIROS_CONSOLE=false the server has no console', async () => {
    const none = consoleFiles(join(packageRoot(), 'no-such-dir'));
    const reply = none.reply('get', '/console');
    expect(reply.status).toBe(404);
    expect(String(reply.body)).toContain('npm run build');
    const off = await startTestKairos({ config: { store: 'memory', demo: false, console: false } });
    try {
      expect((await fetch(`${off.httpUrl}/console`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
