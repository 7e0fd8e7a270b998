import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { HttpReply } from './http.js';
import { errorReply } from './http.js';

/**
 * The marketer's console (docs/console.md) as static files: the Vite build in `dist/console`,
 * read into memory once when the server starts, served at `/console`. Hashed assets
 * (`/console/assets/…`) are cached for a year; `index.html` is never cached and answers every
 * path of the console's own pages (`/console`, `/console/campaigns/x`: the browser's router
 * takes it from there); a path that names a file (a dot in its last segment) the build does not
 * hold is a 404, as is anything when the console was not built.
 */

/** The URL prefix the console is served under (Vite's `base`, without its trailing slash). */
export const CONSOLE_PREFIX = '/console';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** What every console reply carries: no sniffing, no framing, scripts and styles from here only. */
const commonHeaders: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

interface StaticFile {
  contentType: string;
  body: Buffer;
  cacheControl: string;
}

export interface ConsoleFiles {
  /** Whether a raw request path is the console's (`/console` or under `/console/`). */
  owns(path: string): boolean;
  /** The reply to a request for one of the console's paths. */
  reply(method: string, path: string): HttpReply;
}

function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(full);
    }
  };
  walk(root);
  return out;
}

/** The console built in `dir` (dist/console); a missing directory gives a console that answers 404 saying how to build it. */
export function consoleFiles(dir: string): ConsoleFiles {
  const files = new Map<string, StaticFile>();
  if (existsSync(dir)) {
    for (const full of filesUnder(dir)) {
      const rel = relative(dir, full).split(sep).join('/');
      const hashed = rel.startsWith('assets/');
      files.set(`${CONSOLE_PREFIX}/${rel}`, {
        contentType: contentTypes[extname(rel).toLowerCase()] ?? 'application/octet-stream',
        body: readFileSync(full),
        cacheControl: hashed ? IMMUTABLE : 'no-cache',
      });
    }
  }
  const index = files.get(`${CONSOLE_PREFIX}/index.html`);
  const serve = (f: StaticFile, status = 200): HttpReply => ({ status, contentType: f.contentType, body: f.body, headers: { ...commonHeaders, 'Cache-Control': f.cacheControl } });
  return {
    owns: (path) => path === CONSOLE_PREFIX || path.startsWith(`${CONSOLE_PREFIX}/`),
    reply(method, path) {
      if (method !== 'get' && method !== 'head') return { ...errorReply('method_not_allowed', `${method.toUpperCase()} is not allowed on ${path}`), headers: { Allow: 'GET, HEAD' } };
      if (index === undefined) return errorReply('not_found', 'the console is not built: run npm run build');
      const file = files.get(path);
      if (file !== undefined) return serve(file);
      const last = path.slice(path.lastIndexOf('/') + 1);
      // A file the build does not hold (an old hashed asset, a typo) is a 404, not the page.
      if (last.includes('.') || path.startsWith(`${CONSOLE_PREFIX}/assets/`)) return errorReply('not_found', `no console file ${path}`);
      return serve(index);
    },
  };
}
