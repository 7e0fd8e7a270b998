import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KairosError } from './errors.js';
import { DEFAULT_PRODUCTION_DRAIN_MS, DEMO_ADMIN_KEY, DEMO_GATEWAY_TOKEN, DEMO_STOP_LIST_SECRET, DEMO_UNSUBSCRIBE_SECRET, configProblems, loadConfig, secretVariables, unknownVariables, unsubscribeSecretInForce } from './config.js';

/** The problems loadConfig names for this environment; none when it loads. */
function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (e) {
    const problems = configProblems(e);
    if (problems === undefined) throw e;
    return problems;
  }
  return [];
}

/** A production configuration with nothing of the demo in it. */
const production = {
  KAIROS_ENV: 'production',
  KAIROS_GATEWAY_TOKENS: 'gw-secret-east:sms,gw-secret-west:-',
  KAIROS_ADMIN_KEYS: 'admin-secret-1',
  KAIROS_DEMO: 'false',
  KAIROS_CATALOG_FILE: '/etc/kairos/catalog.yaml',
  KAIROS_SMTP_URL: 'smtp://relay.bank.example:25',
  KAIROS_UNSUBSCRIBE_SECRET: 'unsubscribe-secret-1',
  KAIROS_WEBHOOK_URL: 'https://crm.bank.example/kairos',
  KAIROS_WEBHOOK_SECRET: 'webhook-secret-1',
  KAIROS_STOP_LIST_SECRET: 'stop-list-secret-0123456789',
};


describe('configuration', () => {
  it('has embedded defaults: port 8080, ./data, LMDB, the demo and its credentials', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ env: 'development', port: 8080, store: 'lmdb', demo: true, clock: 'system', demoCredentials: true });
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.gatewayTokens).toEqual([{ token: DEMO_GATEWAY_TOKEN, scoped: false }]);
    expect(c.adminKeys).toEqual([DEMO_ADMIN_KEY]);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads KAIROS_* variables', () => {
    const c = loadConfig({
      KAIROS_PORT: '9000',
      KAIROS_DATA_DIR: '/var/lib/kairos',
      KAIROS_STORE: 'memory',
      KAIROS_GATEWAY_TOKENS: 'gateway-secret-1, gateway-secret-2',
      KAIROS_ADMIN_KEYS: 'admin-secret-1',
      KAIROS_DEMO: 'false',
      KAIROS_CLOCK: 'manual',
    });
    expect(c).toMatchObject({ port: 9000, dataDir: '/var/lib/kairos', store: 'memory', demo: false, clock: 'manual', demoCredentials: false });
    expect(c.gatewayTokens).toEqual([
      { token: 'gateway-secret-1', scoped: false },
      { token: 'gateway-secret-2', scoped: false },
    ]);
  });

  it('reads each gateway token with the channels it may subscribe to and confirm', () => {
    const c = loadConfig({ KAIROS_GATEWAY_TOKENS: 'sms-gateway-1:sms, bank-screens:ib+callcenter+ib, event-feed-1:-, all-channels:*, legacy-token' });
    expect(c.gatewayTokens).toEqual([
      { token: 'sms-gateway-1', channels: ['sms'], scoped: true },
      { token: 'bank-screens', channels: ['ib', 'callcenter'], scoped: true },
      { token: 'event-feed-1', channels: [], scoped: true },
      { token: 'all-channels', scoped: true },
      { token: 'legacy-token', scoped: false },
    ]);
    const problems = (raw: string): readonly string[] => {
      try {
        loadConfig({ KAIROS_GATEWAY_TOKENS: raw });
      } catch (e) {
        return configProblems(e) ?? [];
      }
      return [];
    };
    expect(problems('secret-one:SMS')).toEqual(['KAIROS_GATEWAY_TOKENS: item 1: the scope is *, - or channel names (lowercase letters, digits, _ and -) joined by +']);
    expect(problems('secret-one:sms,secret-two:')).toEqual(['KAIROS_GATEWAY_TOKENS: item 2: write token or token:scope (the scope: *, - or channels joined by +); a token holds no ":"']);
    expect(problems('secret-one:sms:ib')).toEqual(['KAIROS_GATEWAY_TOKENS: item 1: write token or token:scope (the scope: *, - or channels joined by +); a token holds no ":"']);
    expect(problems('short:sms')).toEqual(['KAIROS_GATEWAY_TOKENS: each secret must be at least 8 characters']);
    // A secret with a ":" in it is refused, not cut into a shorter secret and a scope.
    expect(problems('kairos-gw:prod-east-1')).toEqual([expect.stringMatching(/^KAIROS_GATEWAY_TOKENS: item 1: the scope names a channel Kairos does not have \(known: atm, .*backoffice\); a token holds no ":"$/)]);
    expect(problems('kairos-gw:prod-east-1').join('\n')).not.toContain('prod');
    expect(problems('secret-one:sms,secret-one:ib')).toEqual(['KAIROS_GATEWAY_TOKENS: a token is listed twice']);
    // A problem never quotes the item: with a stray ":" part of a secret would be the "scope".
    expect(problems('secret-one:Part+Of+The+Secret').join('\n')).not.toContain('Part');
  });

  it('reports every bad value at once, without echoing secrets', () => {
    let err: unknown;
    try {
      loadConfig({ KAIROS_PORT: 'eighty', KAIROS_STORE: 'postgres', KAIROS_GATEWAY_TOKENS: 'short', KAIROS_DEMO: 'maybe' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KairosError);
    expect((err as KairosError).code).toBe('config_invalid');
    const problems = configProblems(err);
    expect(problems).toEqual([
      'KAIROS_PORT: must be a whole number from 0 to 65535',
      'KAIROS_STORE: must be one of lmdb, memory, redis',
      'KAIROS_GATEWAY_TOKENS: each secret must be at least 8 characters',
      'KAIROS_DEMO: must be true or false',
    ]);
    expect((err as Error).message).not.toContain('short');
  });

  it('reads the idempotency retention and the bounds on at, refusing a retention under 7 days', () => {
    expect(loadConfig({})).toMatchObject({ idempotencyRetentionMs: 7 * 86_400_000, idempotencyMaxIds: 256, maxClockSkewMs: 300_000, maxEventAgeMs: 7 * 86_400_000 });
    const c = loadConfig({ KAIROS_IDEMPOTENCY_RETENTION_MS: String(30 * 86_400_000), KAIROS_IDEMPOTENCY_MAX_IDS: '1000', KAIROS_MAX_CLOCK_SKEW_MS: '60000', KAIROS_MAX_EVENT_AGE_MS: '3600000' });
    expect(c).toMatchObject({ idempotencyRetentionMs: 30 * 86_400_000, idempotencyMaxIds: 1000, maxClockSkewMs: 60_000, maxEventAgeMs: 3_600_000 });
    expect(() => loadConfig({ KAIROS_IDEMPOTENCY_RETENTION_MS: '3600000' })).toThrow(/KAIROS_IDEMPOTENCY_RETENTION_MS: must be a whole number from 604800000/);
    expect(() => loadConfig({ KAIROS_IDEMPOTENCY_MAX_IDS: '5' })).toThrow(/KAIROS_IDEMPOTENCY_MAX_IDS/);
  });

  it('refuses a WebSocket idle timeout from 1 to 7 s, on which uWS would abort the process', () => {
    expect(loadConfig({ KAIROS_IDLE_TIMEOUT_SEC: '0' }).idleTimeoutSec).toBe(0);
    expect(loadConfig({ KAIROS_IDLE_TIMEOUT_SEC: '8' }).idleTimeoutSec).toBe(8);
    for (const bad of ['1', '5', '7']) expect(() => loadConfig({ KAIROS_IDLE_TIMEOUT_SEC: bad }), bad).toThrow(new RegExp(`KAIROS_IDLE_TIMEOUT_SEC: must be 0 \\(no idle close\\) or from 8 to 960 seconds, got ${bad}`));
    expect(() => loadConfig({}, { idleTimeoutSec: 4 })).toThrow(/KAIROS_IDLE_TIMEOUT_SEC/);
  });

  it("reads the manual clock's first reading as epoch ms or an ISO date-time with its offset", () => {
    expect(loadConfig({}).clockStart).toBeUndefined();
    expect(loadConfig({ KAIROS_CLOCK: 'manual', KAIROS_CLOCK_START: '2008-05-05T10:00:00+03:00' }).clockStart).toBe(Date.UTC(2008, 4, 5, 7));
    expect(loadConfig({ KAIROS_CLOCK: 'manual', KAIROS_CLOCK_START: '1209970800000' }).clockStart).toBe(1209970800000);
    expect(() => loadConfig({ KAIROS_CLOCK_START: '1209970800000' })).toThrow(/KAIROS_CLOCK_START: the first reading of the manual clock: set KAIROS_CLOCK=manual/);
    for (const bad of ['2008-05-05', '2008-05-05T10:00:00', 'yesterday', '-5', '99999999999999999'])
      expect(() => loadConfig({ KAIROS_CLOCK: 'manual', KAIROS_CLOCK_START: bad }), bad).toThrow(/KAIROS_CLOCK_START: must be epoch milliseconds or an ISO date-time with its offset/);
  });

  it('wants both TLS files or neither, and names one it cannot read', () => {
    expect(() => loadConfig({ KAIROS_TLS_CERT_FILE: '/etc/kairos/cert.pem' })).toThrow(/set both for TLS, or neither/);
    expect(() => loadConfig({ KAIROS_TLS_CERT_FILE: '/nonexistent/cert.pem', KAIROS_TLS_KEY_FILE: '/nonexistent/key.pem' })).toThrow(/KAIROS_TLS_CERT_FILE: cannot read "\/nonexistent\/cert\.pem" \(ENOENT\)[\s\S]*KAIROS_TLS_KEY_FILE: cannot read/);
  });

  it('reads the shard count, auto as the cores less one, and refuses shards off LMDB', () => {
    expect(loadConfig({}).shards).toBe(1);
    expect(loadConfig({ KAIROS_SHARDS: '4' }).shards).toBe(4);
    expect(loadConfig({ KAIROS_SHARDS: 'auto' }).shards).toBe(Math.max(1, availableParallelism() - 1));
    expect(() => loadConfig({ KAIROS_SHARDS: '0' })).toThrow(/KAIROS_SHARDS: must be auto or a whole number from 1 to 256/);
    expect(() => loadConfig({ KAIROS_SHARDS: '2', KAIROS_STORE: 'redis' })).toThrow(/KAIROS_SHARDS: shards keep their customers in LMDB/);
    expect(loadConfig({ KAIROS_SHARDS: '1', KAIROS_STORE: 'redis' }).store).toBe('redis');
    // A gateway port is every shard's: with shards only, and not the node's own port.
    expect(loadConfig({}).gatewayPort).toBeUndefined();
    expect(loadConfig({ KAIROS_SHARDS: '2', KAIROS_GATEWAY_PORT: '8081' }).gatewayPort).toBe(8081);
    expect(loadConfig({ KAIROS_SHARDS: '2', KAIROS_PORT: '0', KAIROS_GATEWAY_PORT: '0' }).gatewayPort).toBe(0);
    expect(() => loadConfig({ KAIROS_GATEWAY_PORT: '8081' })).toThrow(/KAIROS_GATEWAY_PORT: the gateway port is accepted on every shard: set KAIROS_SHARDS above 1/);
    expect(() => loadConfig({ KAIROS_SHARDS: '2', KAIROS_GATEWAY_PORT: '8080' })).toThrow(/KAIROS_GATEWAY_PORT: 8080 is KAIROS_PORT too/);
    expect(() => loadConfig({ KAIROS_SHARDS: '2', KAIROS_GATEWAY_PORT: '70000' })).toThrow(/KAIROS_GATEWAY_PORT: /);
    // (one SMPP bind for the node, on the main thread; every shard's SMS relayed to it)
    expect(loadConfig({ KAIROS_SHARDS: '2', KAIROS_SMPP_URL: 'smpp://127.0.0.1:2775' }).smppUrl).toBe('smpp://127.0.0.1:2775');
    // (each shard sends its customers' e-mail over its own SMTP connections, at its share of the rate)
    expect(loadConfig({ KAIROS_SHARDS: '2', KAIROS_SMTP_URL: 'smtp://127.0.0.1:2525' }).smtpUrl).toBe('smtp://127.0.0.1:2525');
    expect(loadConfig({ KAIROS_SHARDS: '2', KAIROS_CLOCK: 'manual' }).clock).toBe('manual');
    // auto on a data dir that has its shards already: their count, whatever the cores now
    const data = mkdtempSync(join(tmpdir(), 'kairos-config-'));
    try {
      writeFileSync(join(data, 'shards.json'), '{"shards":3}\n');
      expect(loadConfig({ KAIROS_SHARDS: 'auto', KAIROS_DATA_DIR: data }).shards).toBe(3);
      expect(loadConfig({ KAIROS_SHARDS: '2', KAIROS_DATA_DIR: data }).shards).toBe(2);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('names the KAIROS_ variables it does not know, with the nearest one', () => {
    expect(unknownVariables({ KAIROS_POTR: '1', KAIROS_PORT: '1', KAIROS_ADMIN_KEY: 'x', KAIROS_WHATEVER_THIS_IS: '1', KAIROS_ADMIN_KEYS_FILE: '/k', PATH: '/bin' })).toEqual([
      { name: 'KAIROS_POTR', suggestion: 'KAIROS_PORT' },
      { name: 'KAIROS_WHATEVER_THIS_IS' },
    ]);
  });

  it('lets overrides win over the environment', () => {
    expect(loadConfig({ KAIROS_PORT: '9000' }, { port: 0 }).port).toBe(0);
  });

  it('drains on SIGTERM for KAIROS_DRAIN_MS: 5000 by default in production, 0 otherwise', () => {
    expect(loadConfig({}).drainMs).toBe(0);
    expect(loadConfig(production).drainMs).toBe(DEFAULT_PRODUCTION_DRAIN_MS);
    expect(DEFAULT_PRODUCTION_DRAIN_MS).toBe(5000);
    expect(loadConfig({ ...production, KAIROS_DRAIN_MS: '0' }).drainMs).toBe(0);
    expect(loadConfig({ KAIROS_DRAIN_MS: '15000' }).drainMs).toBe(15_000);
    expect(loadConfig({}, { drainMs: 250 }).drainMs).toBe(250);
    expect(problemsOf({ KAIROS_DRAIN_MS: '-1' })).toEqual(['KAIROS_DRAIN_MS: must be a whole number from 0 to 600000']);
  });

  describe('KAIROS_ENV=production', () => {
    it('loads a configuration with nothing of the demo in it', () => {
      const c = loadConfig(production);
      expect(c).toMatchObject({ env: 'production', demo: false, clock: 'system', demoCredentials: false, adminKeys: ['admin-secret-1'] });
      // The demo secrets are refused only for the channels that are configured.
      const { KAIROS_SMTP_URL: _smtp, KAIROS_UNSUBSCRIBE_SECRET: _unsubscribe, KAIROS_WEBHOOK_URL: _webhook, KAIROS_WEBHOOK_SECRET: _webhookSecret, ...noChannels } = production;
      expect(loadConfig(noChannels)).toMatchObject({ env: 'production', smtpUrl: undefined, webhookUrl: undefined });
    });

    it('refuses the defaults, naming every fail-open setting at once', () => {
      expect(problemsOf({ KAIROS_ENV: 'production' })).toEqual([
        'KAIROS_GATEWAY_TOKENS: unset, so the demo gateway token would be accepted: set the gateways\' own tokens (KAIROS_ENV=production)',
        'KAIROS_ADMIN_KEYS: unset, so the demo admin key would be accepted: set the admin keys (KAIROS_ENV=production)',
        'KAIROS_DEMO: the demo bank and its catalog are not for production: set KAIROS_DEMO=false (the default is true) and KAIROS_CATALOG_FILE for the bank\'s catalog (KAIROS_ENV=production)',
        'KAIROS_STOP_LIST_SECRET: unset, so the stop list would be keyed with the public demo secret: set it or KAIROS_STOP_LIST_SECRET_FILE (KAIROS_ENV=production)',
      ]);
    });

    it('names each fail-open setting on its own', () => {
      const only = (change: Record<string, string | undefined>): readonly string[] => {
        const env = Object.fromEntries(Object.entries({ ...production, ...change }).filter((e): e is [string, string] => e[1] !== undefined));
        return problemsOf(env);
      };
      expect(only({ KAIROS_GATEWAY_TOKENS: undefined })).toEqual([expect.stringMatching(/^KAIROS_GATEWAY_TOKENS: unset, so the demo gateway token would be accepted/)]);
      expect(only({ KAIROS_GATEWAY_TOKENS: `gw-secret-east:sms,${DEMO_GATEWAY_TOKEN}` })).toEqual([`KAIROS_GATEWAY_TOKENS: lists the demo token ${DEMO_GATEWAY_TOKEN}: remove it (KAIROS_ENV=production)`]);
      expect(only({ KAIROS_ADMIN_KEYS: undefined })).toEqual([expect.stringMatching(/^KAIROS_ADMIN_KEYS: unset, so the demo admin key would be accepted/)]);
      expect(only({ KAIROS_ADMIN_KEYS: `${DEMO_ADMIN_KEY},admin-secret-1` })).toEqual([`KAIROS_ADMIN_KEYS: lists the demo key ${DEMO_ADMIN_KEY}: remove it (KAIROS_ENV=production)`]);
      expect(only({ KAIROS_DEMO: undefined })).toEqual([expect.stringMatching(/^KAIROS_DEMO: the demo bank and its catalog are not for production/)]);
      expect(only({ KAIROS_DEMO: 'true' })).toEqual([expect.stringMatching(/^KAIROS_DEMO: /)]);
      expect(only({ KAIROS_CLOCK: 'manual' })).toEqual(['KAIROS_CLOCK: the manual clock lets an admin key move time: use system (KAIROS_ENV=production)']);
      expect(only({ KAIROS_UNSUBSCRIBE_SECRET: undefined })).toEqual([
        'KAIROS_UNSUBSCRIBE_SECRET: e-mail goes out (KAIROS_SMTP_URL) with unsubscribe links signed by the demo secret: set it (KAIROS_ENV=production)',
      ]);
      expect(only({ KAIROS_UNSUBSCRIBE_SECRET: 'demo-unsubscribe-secret' })).toEqual([expect.stringMatching(/^KAIROS_UNSUBSCRIBE_SECRET: /)]);
      expect(only({ KAIROS_WEBHOOK_SECRET: undefined })).toEqual(['KAIROS_WEBHOOK_SECRET: webhooks (KAIROS_WEBHOOK_URL) would be signed with the demo secret: set it (KAIROS_ENV=production)']);
      expect(only({ KAIROS_WEBHOOK_SECRET: 'demo-webhook-secret' })).toEqual([expect.stringMatching(/^KAIROS_WEBHOOK_SECRET: /)]);
      expect(only({ KAIROS_STOP_LIST_SECRET: undefined })).toEqual([expect.stringMatching(/^KAIROS_STOP_LIST_SECRET: unset, so the stop list would be keyed with the public demo secret/)]);
      expect(only({ KAIROS_STOP_LIST_SECRET: DEMO_STOP_LIST_SECRET })).toEqual([expect.stringMatching(/^KAIROS_STOP_LIST_SECRET: /)]);
    });

    it('reads the stop-list secret from a file, refusing a short one, an unreadable file, or both ways at once', () => {
      const dir = mkdtempSync(join(tmpdir(), 'kairos-secret-'));
      try {
        const { KAIROS_STOP_LIST_SECRET: _inline, ...rest } = production;
        const file = join(dir, 'stop-list.secret');
        writeFileSync(file, 'from-a-file-0123456789\n');
        expect(loadConfig({ ...rest, KAIROS_STOP_LIST_SECRET_FILE: file }).stopListSecret).toBe('from-a-file-0123456789');
        expect(problemsOf({ ...production, KAIROS_STOP_LIST_SECRET_FILE: file })).toEqual(['KAIROS_STOP_LIST_SECRET and KAIROS_STOP_LIST_SECRET_FILE: set one of them, not both']);
        expect(problemsOf({ ...rest, KAIROS_STOP_LIST_SECRET_FILE: join(dir, 'none') })).toEqual(['KAIROS_STOP_LIST_SECRET_FILE: cannot read the file (ENOENT)']);
        writeFileSync(file, 'short');
        expect(problemsOf({ ...rest, KAIROS_STOP_LIST_SECRET_FILE: file })).toEqual(['KAIROS_STOP_LIST_SECRET: must be at least 16 characters']);
        expect(problemsOf({ ...rest, KAIROS_STOP_LIST_SECRET: 'short' })).toEqual(['KAIROS_STOP_LIST_SECRET: must be at least 16 characters']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('judges the overrides too (command-line flags, tests)', () => {
      const { KAIROS_DEMO, ...rest } = production;
      expect(() => loadConfig({ ...rest, KAIROS_DEMO }, { demo: true, clock: 'manual' })).toThrow(/KAIROS_DEMO: [^]*KAIROS_CLOCK: the manual clock/);
    });

    it('reports unreadable values with the production problems, without judging them by their defaults', () => {
      expect(problemsOf({ ...production, KAIROS_DEMO: 'maybe', KAIROS_CLOCK: 'manual', KAIROS_PORT: 'eighty' })).toEqual([
        'KAIROS_PORT: must be a whole number from 0 to 65535',
        'KAIROS_DEMO: must be true or false',
        'KAIROS_CLOCK: the manual clock lets an admin key move time: use system (KAIROS_ENV=production)',
      ]);
      expect(problemsOf({ KAIROS_ENV: 'prod' })).toEqual(['KAIROS_ENV: must be one of development, production']);
    });

    it('leaves development as it was: the demo bank, its credentials and the manual clock load', () => {
      expect(loadConfig({ KAIROS_ENV: 'development', KAIROS_CLOCK: 'manual' })).toMatchObject({ env: 'development', demo: true, clock: 'manual', demoCredentials: true });
    });
  });
});

describe('the unsubscribe links\' secret in force', () => {
  it('is none in production with the public demo secret (anyone could sign a link), the configured one otherwise', () => {
    expect(unsubscribeSecretInForce({ env: 'production', unsubscribeSecret: DEMO_UNSUBSCRIBE_SECRET })).toBeUndefined();
    expect(unsubscribeSecretInForce({ env: 'production', unsubscribeSecret: 'the-bank-s-own-secret' })).toBe('the-bank-s-own-secret');
    expect(unsubscribeSecretInForce({ env: 'development', unsubscribeSecret: DEMO_UNSUBSCRIBE_SECRET })).toBe(DEMO_UNSUBSCRIBE_SECRET);
  });
});

describe('named keys and secrets from files', () => {
  it('reads KAIROS_KEYS as name:role:secret items, and names a bad item by its place only', () => {
    const c = loadConfig({ KAIROS_KEYS: 'crm-batch:marketer:crm-secret-0123456789, ivanova:analyst:ivanova-secret-0123456' });
    expect(c.keys).toEqual([
      { name: 'crm-batch', role: 'marketer', secret: 'crm-secret-0123456789' },
      { name: 'ivanova', role: 'analyst', secret: 'ivanova-secret-0123456' },
    ]);
    // no admin key in KAIROS_KEYS: the demo admin key stays
    expect(c.adminKeys).toEqual([DEMO_ADMIN_KEY]);
    const bad = problemsOf({ KAIROS_KEYS: 'crm:boss:topsecret-value-000000' });
    expect(bad).toEqual(['KAIROS_KEYS: item 1: the role is one of gateway, marketer, analyst, ops, qa, privacy, auditor, admin (a gateway key\'s with its channels: gateway/sms+email)']);
    expect(problemsOf({ KAIROS_KEYS: 'a:ops:short' })[0]).toContain('at least 16');
    expect(problemsOf({ KAIROS_KEYS: 'a:ops:same-secret-0123456789,b:qa:same-secret-0123456789' })[0]).toContain('a secret is listed twice');
    expect(JSON.stringify(problemsOf({ KAIROS_KEYS: 'crm:boss:topsecret-value-000000' }))).not.toContain('topsecret');
  });

  it('reads a gateway key\'s channel scope after its role, as a gateway token\'s, and refuses one on any other role', () => {
    const c = loadConfig({ KAIROS_KEYS: 'atm-east:gateway/sms+email:atm-secret-0123456789,feed:gateway/-:feed-secret-0123456789,all:gateway/*:all-secret-01234567890,old:gateway:old-secret-01234567890' });
    expect(c.keys).toEqual([
      { name: 'atm-east', role: 'gateway', secret: 'atm-secret-0123456789', channels: ['sms', 'email'], scoped: true },
      { name: 'feed', role: 'gateway', secret: 'feed-secret-0123456789', channels: [], scoped: true },
      { name: 'all', role: 'gateway', secret: 'all-secret-01234567890', scoped: true },
      { name: 'old', role: 'gateway', secret: 'old-secret-01234567890', scoped: false },
    ]);
    // a secret may hold ":", the scope is the role's
    expect(loadConfig({ KAIROS_KEYS: 'atm:gateway/sms:with:colons-0123456789' }).keys).toEqual([{ name: 'atm', role: 'gateway', secret: 'with:colons-0123456789', channels: ['sms'], scoped: true }]);
    expect(problemsOf({ KAIROS_KEYS: 'crm:marketer/sms:crm-secret-0123456789' })).toEqual(['KAIROS_KEYS: item 1: only a gateway key has a channel scope (gateway/sms+email)']);
    expect(problemsOf({ KAIROS_KEYS: 'atm:gateway/fax:atm-secret-0123456789' })[0]).toMatch(/^KAIROS_KEYS: item 1: the scope names a channel Kairos does not have \(known: /);
    expect(problemsOf({ KAIROS_KEYS: 'atm:gateway/:atm-secret-0123456789' })[0]).toBe('KAIROS_KEYS: item 1: the scope is *, - or channel names (lowercase letters, digits, _ and -) joined by +');
    expect(JSON.stringify(problemsOf({ KAIROS_KEYS: 'atm:gateway/fax:atm-secret-0123456789' }))).not.toContain('atm-secret');
  });

  it('an admin key in KAIROS_KEYS replaces the demo admin key, a gateway key the demo gateway token', () => {
    const c = loadConfig({ KAIROS_KEYS: 'root:admin:root-secret-0123456789' });
    expect(c.adminKeys).toEqual([]);
    expect(c.gatewayTokens.map((t) => t.token)).toEqual([DEMO_GATEWAY_TOKEN]);
    const both = loadConfig({ KAIROS_KEYS: 'root:admin:root-secret-0123456789,atm-fleet:gateway:atm-secret-0123456789' });
    expect([both.adminKeys, both.gatewayTokens, both.demoCredentials]).toEqual([[], [], false]);
    // so production takes them for the admin keys and the gateway tokens
    const production = { KAIROS_ENV: 'production', KAIROS_DEMO: 'false', KAIROS_STOP_LIST_SECRET: 'a-bank-stop-list-secret-0123' };
    expect(problemsOf({ ...production, KAIROS_KEYS: 'root:admin:root-secret-0123456789,atm-fleet:gateway:atm-secret-0123456789' })).toEqual([]);
  });

  it('reads every secret setting from <VAR>_FILE, trimmed; setting both is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kairos-secrets-'));
    try {
      const file = (name: string, text: string): string => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      };
      const c = loadConfig({
        KAIROS_ADMIN_KEYS_FILE: file('admin', 'admin-secret-from-file\n'),
        KAIROS_GATEWAY_TOKENS_FILE: file('gw', '  gw-secret-from-file:sms \n'),
        KAIROS_KEYS_FILE: file('keys', 'ops-1:ops:ops-secret-from-file-0123\n'),
        KAIROS_WEBHOOK_SECRET_FILE: file('wh', 'webhook-from-file\n'),
      });
      expect(c.adminKeys).toEqual(['admin-secret-from-file']);
      expect(c.gatewayTokens).toEqual([{ token: 'gw-secret-from-file', channels: ['sms'], scoped: true }]);
      expect(c.keys).toEqual([{ name: 'ops-1', role: 'ops', secret: 'ops-secret-from-file-0123' }]);
      expect(c.webhookSecret).toBe('webhook-from-file');
      for (const v of secretVariables) {
        expect(problemsOf({ [v]: 'x'.repeat(20), [`${v}_FILE`]: file('both', 'y'.repeat(20)) }), v).toContain(`${v} and ${v}_FILE: set one of them, not both`);
      }
      expect(problemsOf({ KAIROS_ADMIN_KEYS_FILE: join(dir, 'missing') })).toEqual(['KAIROS_ADMIN_KEYS_FILE: cannot read the file (ENOENT)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('production refuses a qa key', () => {
    expect(problemsOf({ ...production, KAIROS_KEYS: 'tester:qa:qa-secret-0123456789ab' })).toEqual([
      'KAIROS_KEYS: lists a qa key: qa keys move the clock and run scenarios, not for production (KAIROS_ENV=production)',
    ]);
    expect(problemsOf({ ...production, KAIROS_KEYS: 'crm:marketer:crm-secret-0123456789' })).toEqual([]);
  });
});
