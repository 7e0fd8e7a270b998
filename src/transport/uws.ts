import { createRequire } from 'node:module';
import type * as UwsModule from '@trufflesuite/uws-js-unofficial';
import { KairosError } from '../errors.js';

/**
 * Loads uWebSockets.js (the `@trufflesuite/uws-js-unofficial` build of uWS v20.30) and makes
 * sure it is the native binary. When the binary does not load, that package silently falls
 * back to a slow pure-Node server; Kairos refuses to run on it (`native_uws_unavailable`).
 */
export type Uws = typeof UwsModule;
export type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket } from '@trufflesuite/uws-js-unofficial';

/** True when `App` is the native binding rather than the package's JavaScript fallback. */
export function isNativeUws(uws: { App?: unknown }): boolean {
  return typeof uws.App === 'function' && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(uws.App));
}

let loaded: Uws | undefined;

export function loadUws(): Uws {
  const fallbackFlag = process.env.UWS_USE_FALLBACK;
  if (fallbackFlag !== undefined && ['1', 'true', 'TRUE', 'True'].includes(fallbackFlag)) {
    throw new KairosError(
      'native_uws_unavailable',
      'UWS_USE_FALLBACK is set: the pure-Node uWS fallback is far too slow for Kairos; unset it to use the native binary',
    );
  }
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  const warn = console.warn;
  const warnings: string[] = [];
  // The package prints its fallback notice with console.warn; capture it for our error instead.
  console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  let uws: Uws;
  try {
    uws = require('@trufflesuite/uws-js-unofficial') as Uws;
  } finally {
    console.warn = warn;
  }
  if (!isNativeUws(uws)) {
    throw new KairosError(
      'native_uws_unavailable',
      `the native uWebSockets.js binary did not load for node ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules}); ` +
        `refusing to run on the pure-Node fallback. ${warnings.join(' ').replace(/\s+/g, ' ').trim()}`,
    );
  }
  loaded = uws;
  return uws;
}
