import { afterEach, describe, expect, it } from 'vitest';
import { KairosError } from '../errors.js';
import { isNativeUws, loadUws } from './uws.js';

describe('uWebSockets.js loading', () => {
  afterEach(() => {
    delete process.env.UWS_USE_FALLBACK;
  });

  it('loads the native binary here', () => {
    expect(isNativeUws(loadUws())).toBe(true);
  });

  it('tells the pure-Node fallback from the native binary', () => {
    // The fallback's App is an ordinary JavaScript function.
    expect(isNativeUws({ App: function App() { return {}; } })).toBe(false);
    expect(isNativeUws({})).toBe(false);
  });

  it('refuses when the fallback is forced with UWS_USE_FALLBACK', () => {
    process.env.UWS_USE_FALLBACK = '1';
    let thrown: unknown;
    try {
      loadUws();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KairosError);
    expect((thrown as KairosError).code).toBe('native_uws_unavailable');
  });
  // The silent fallback (the binary fails to load) is exercised end to end in src/cli.test.ts.
});
