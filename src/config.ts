import { accessSync, constants, readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { DAY_MS, defaultLimits, deliveryChannels } from '../actors/index.js';
import { KairosError } from './errors.js';
import { recordedShardCount } from './shards/shard-count.js';
import type { Role } from './transport/principal.js';
import { ROLES } from './transport/principal.js';

/**
 * The one configuration schema: every setting, its `KAIROS_*` variable, its default and its
 * check. `loadConfig` validates everything at boot, reports every problem at once, and
 * returns a frozen object.
 */

export type StoreKind = 'lmdb' | 'memory' | 'redis';
export type ClockMode = 'system' | 'manual';
/** `production` refuses every demo and QA setting (see {@link loadConfig}); `development` only warns about them */
export type KairosEnv = 'development' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** `production`: the configuration is refused while any demo credential, the demo bank or the manual clock is in it */
  env: KairosEnv;
  host: string;
  port: number;
  /** a port for the gateways only (the WebSocket gateway, POST /v1/events), whose connections every shard accepts; undefined: the gateways use `port` */
  gatewayPort: number | undefined;
  dataDir: string;
  store: StoreKind;
  /** the Redis store: one Redis (redis://host:port[/db]) */
  redisUrl: string;
  /** the Redis store on a Redis Cluster: its seed nodes (host:port, …); empty for one Redis */
  redisCluster: readonly string[];
  /** prefix of every key the Redis store writes */
  redisPrefix: string;
  /** this node's name among several (outbox consumer groups, logs); host name and process id by default */
  nodeId: string;
  /** gateway bearer tokens and their channel scopes; the demo token when none are configured */
  gatewayTokens: readonly GatewayToken[];
  /** admin API keys; the demo key when none are configured (and KAIROS_KEYS has no admin key) */
  adminKeys: readonly string[];
  /** named keys with roles from KAIROS_KEYS (name:role:secret); more are made through /v1/keys */
  keys: readonly NamedKey[];
  /** true when the demo credentials are in force */
  demoCredentials: boolean;
  /** load the demo bank (customers and catalog) into an empty data dir */
  demo: boolean;
  clock: ClockMode;
  /** the manual clock's first reading, epoch ms (the current time when absent) */
  clockStart: number | undefined;
  logLevel: LogLevel;
  /**
   * when a reply may go out: `commit` (after the change is committed to the store: a crash of
   * the process loses nothing acknowledged), `strict` (after it is flushed to disk: a power
   * cut neither), `write-behind` (at once; the change is written within the flush interval)
   */
  durability: Durability;
  /**
   * group commit: how long the first change after a commit waits for others to join it
   * (unset: 0 on LMDB, where a commit is cheap and the next one takes whatever changed
   * meanwhile; 5 ms on Redis, where each commit is a round trip)
   */
  commitWindowMs?: number;
  /** LMDB without `strict`: commit through a writable memory map (faster while the store is cached; slower past the page cache; a full disk stops the process) */
  lmdbWriteMap: boolean;
  /** LMDB without `strict`: how often committed pages are flushed to disk, ms (0: left to the OS) */
  lmdbSyncIntervalMs: number;
  /** LMDB: fault in a customer's pages on a worker thread before activating them (a store the page cache does not hold no longer stalls the event loop) */
  lmdbPrefetch: boolean;
  /** LMDB: a customer's full snapshot once in this many commits of theirs, change records between (1: always the full snapshot) */
  lmdbRecordsPerSnapshot: number;
  /** LMDB: how far behind the change log's end (records) a customer's oldest record may fall before their snapshot is written whole */
  lmdbLogRecordsBehind: number;
  /** LMDB: the customers spread over this many shards, worker threads each with an LMDB environment of its own (docs/scale-out.md); 1: one host on the main thread */
  shards: number;
  /** the bank's policy: at a login (an event naming a customer with a visitor's cookie) the visitor's history joins the customer's (docs/identity.md) */
  mergeVisitorOnLogin: boolean;
  /** write-behind: the longest a changed actor waits before its snapshot is written */
  flushIntervalMs: number;
  /** write-behind: flush at once when this many actors are dirty */
  flushBatch: number;
  /** how often the offers' model weights are written to the store (and at shutdown) */
  modelSaveIntervalMs: number;
  /** how often due reminders are looked for (and at once when the manual clock moves) */
  reminderPollMs: number;
  /** how often every stored customer's memberships are checked for staleness (the segment timers' safety net; also at start); 0: never */
  segmentSweepMs: number;
  /** how often outbound runs are looked at: left running by a stop or another node, waiting for their day, due by a schedule (docs/outbound.md) */
  outboundTickMs: number;
  /** live actors kept in memory; the least recently used clean ones are passivated past it */
  maxHotActors: number;
  /** a live actor untouched this long is passivated (0: only by the bounds) */
  passivateAfterMs: number;
  /** V8 heap in use, MB, past which the least recently used actors are passivated; 0: 75 % of the heap limit */
  maxHeapMb: number;
  /** requests being decided at once before new ones get `overloaded` */
  maxInFlight: number;
  /** ms the oldest request being decided may have waited before new ones get `overloaded` (0: no bound) */
  maxQueueMs: number;
  /** frames a second one connection may send (token bucket, burst of twice that) */
  rateLimitPerConnection: number;
  maxPayloadBytes: number;
  idleTimeoutSec: number;
  maxBackpressureBytes: number;
  /** bad frames a connection may send in a minute before it is closed */
  maxBadFramesPerMinute: number;
  /** the most deliveries a subscribed connection holds unconfirmed; the next page of the backlog goes out when it is down to half */
  subscriberWindow: number;
  shutdownTimeoutMs: number;
  /**
   * on SIGTERM, how long `/ready` answers 503 (and `kairos_ready` is 0) while the node still
   * serves, so load balancers take it out before the listener closes (unset: 5000 with
   * `KAIROS_ENV=production`, 0 otherwise)
   */
  drainMs: number;
  /**
   * how long a request id is remembered with its answer, so a repeat gets the same answer and
   * never a second contact (at least 7 days; the catalog's longest offer expiry when longer)
   */
  idempotencyRetentionMs: number;
  /** request ids remembered per customer within that time (docs/operations.md, per-customer limits) */
  idempotencyMaxIds: number;
  /** how far after the server's clock an event's or response's `at` may be */
  maxClockSkewMs: number;
  /** how far before the server's clock an event's or response's `at` may be (offline ATMs buffer events) */
  maxEventAgeMs: number;
  /** how old an event may be and still be answered with push contacts (SMS, e-mail, push, webhooks); older is applied and decided without them (stale_event) */
  staleEventMs: number;
  /** a YAML catalog file that seeds an empty store (instead of the demo catalog) */
  catalogFile: string | undefined;
  /** SMS over SMPP 3.4 (smpp://host:port); SMS waits for WebSocket subscribers when unset */
  smppUrl: string | undefined;
  smppSystemId: string;
  smppPassword: string;
  /** the sender customers see (an alphanumeric name or a number) */
  smppSource: string;
  smppRate: number;
  /** e-mail over SMTP (smtp://host:port); e-mail waits for WebSocket subscribers when unset */
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** messages a second the SMTP relay accepts */
  smtpRate: number;
  /** the server's public base URL, for unsubscribe links in e-mail */
  publicUrl: string;
  /** serve the marketer's console (dist/console) at /console (docs/console.md) */
  console: boolean;
  unsubscribeSecret: string;
  /** back-office actions as signed webhooks to this URL; they wait for subscribers when unset */
  webhookUrl: string | undefined;
  webhookSecret: string;
  webhookRate: number;
  /** attempts before an outbox entry becomes a dead letter */
  deliveryMaxAttempts: number;
  /** the first retry's delay; it doubles with each attempt (up to an hour) */
  deliveryBackoffMs: number;
  deliveryPollMs: number;
  /** TLS for wss:// and https://: both files, or neither */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  // --- privacy (docs/privacy.md) ---
  /** the secret the stop list's keys are HMACs under; kept out of the store */
  stopListSecret: string;
}

export type Durability = 'commit' | 'strict' | 'write-behind';

/**
 * A gateway bearer token and the delivery channels it may subscribe to and confirm. Every
 * gateway token may send events and responses; `channels` bounds only the delivery side.
 */
export interface GatewayToken {
  token: string;
  /** the channels it may subscribe to and confirm deliveries on; absent: every channel */
  channels?: readonly string[];
  /** given with a scope (`token:…`); an unscoped one may use every channel, and a start warns about it */
  scoped: boolean;
}

export const DEMO_GATEWAY_TOKEN = 'demo-gateway';
export const DEMO_ADMIN_KEY = 'demo-admin';
export const DEMO_UNSUBSCRIBE_SECRET = 'demo-unsubscribe-secret';

/**
 * The secret the unsubscribe links are checked with: none (every link refused as not valid) in
 * production with the public demo secret, which anyone could sign a link with to put any
 * address on the stop list. (Production refuses to send e-mail with it, so no link of this
 * node's is signed with it there.)
 */
export function unsubscribeSecretInForce(c: Pick<Config, 'env' | 'unsubscribeSecret'>): string | undefined {
  return c.env === 'production' && c.unsubscribeSecret === DEMO_UNSUBSCRIBE_SECRET ? undefined : c.unsubscribeSecret;
}
export const DEMO_WEBHOOK_SECRET = 'demo-webhook-secret';
/** the stop list's demo HMAC secret: public, so refused in production */
export const DEMO_STOP_LIST_SECRET = 'demo-stop-list-secret';

/** A `config_invalid` error naming every problem found at once (its `details.problems`, one a setting). */
function configInvalid(problems: readonly string[]): KairosError {
  return new KairosError('config_invalid', `invalid configuration:\n  ${problems.join('\n  ')}`, { details: { problems } });
}

/** The problems a `config_invalid` error from {@link loadConfig} names; undefined for any other error. */
export function configProblems(err: unknown): readonly string[] | undefined {
  return err instanceof KairosError && err.code === 'config_invalid' ? (err.details?.problems as readonly string[] | undefined) : undefined;
}

/** A named key of KAIROS_KEYS. */
export interface NamedKey {
  name: string;
  role: Role;
  secret: string;
  /** a gateway key's channel scope (`name:gateway/sms+email:secret`): undefined for every channel */
  channels?: readonly string[];
  /** a gateway key given with a scope (`gateway/…`); one without may use every channel, and a start warns about it */
  scoped?: boolean;
}

type Source = Readonly<Record<string, string | undefined>>;

type Parsed<T> = { ok: T } | { problem: string };

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  parse: (raw: string) => Parsed<Config[K]>;
}

function text(raw: string): Parsed<string> {
  return { ok: raw };
}

function int(min: number, max: number) {
  return (raw: string): Parsed<number> => {
    const n = Number(raw);
    return Number.isInteger(n) && n >= min && n <= max ? { ok: n } : { problem: `must be a whole number from ${min} to ${max}` };
  };
}

function oneOf<T extends string>(...values: T[]) {
  return (raw: string): Parsed<T> =>
    (values as string[]).includes(raw) ? { ok: raw as T } : { problem: `must be one of ${values.join(', ')}` };
}

function list(raw: string): Parsed<readonly string[]> {
  return {
    ok: raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
}

function secrets(raw: string): Parsed<readonly string[]> {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return { problem: 'must list at least one value, comma-separated' };
  if (items.some((s) => s.length < 8)) return { problem: 'each secret must be at least 8 characters' };
  return { ok: items };
}

const CHANNEL_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
/**
 * The channels a scope may name: Kairos's channels and back-office actions. Anything else
 * after a ":" is refused rather than read as a scope: a secret with a ":" in it would
 * otherwise become a shorter secret (the part before it) scoped to a channel that never is.
 */
export const SCOPE_CHANNELS: ReadonlySet<string> = new Set<string>(deliveryChannels);

/**
 * `KAIROS_GATEWAY_TOKENS`: comma-separated items, each `token` (unscoped: every channel) or
 * `token:scope` where the scope is `*` (every channel), `-` (no channel: events and responses
 * only) or channel names joined by `+` (`ib+callcenter`). A token holds no `:` or `,`.
 */
export function parseGatewayTokens(raw: string): Parsed<readonly GatewayToken[]> {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return { problem: 'must list at least one value, comma-separated' };
  const out: GatewayToken[] = [];
  // Problems name the item by its place, never by its text: it may be a secret.
  for (const [i, item] of items.entries()) {
    const at = `item ${i + 1}`;
    const [token = '', scope, ...rest] = item.split(':');
    if (token.length < 8) return { problem: 'each secret must be at least 8 characters' };
    if (scope === undefined) {
      out.push({ token, scoped: false });
      continue;
    }
    if (rest.length > 0 || scope === '') return { problem: `${at}: write token or token:scope (the scope: *, - or channels joined by +); a token holds no ":"` };
    const read = channelScope(scope, at, '; a token holds no ":"');
    if ('problem' in read) return read;
    out.push({ token, ...read.ok, scoped: true });
  }
  if (new Set(out.map((t) => t.token)).size !== out.length) return { problem: 'a token is listed twice' };
  return { ok: out };
}

/**
 * A gateway credential's scope as written: `*` (every channel), `-` (none: events and
 * responses only) or channel names joined by `+`; `channels` undefined for every channel.
 */
function channelScope(scope: string, at: string, hint = ''): Parsed<{ channels?: string[] }> {
  if (scope === '*') return { ok: {} };
  if (scope === '-') return { ok: { channels: [] } };
  const channels = scope.split('+');
  if (!channels.every((c) => CHANNEL_NAME.test(c))) return { problem: `${at}: the scope is *, - or channel names (lowercase letters, digits, _ and -) joined by +` };
  if (!channels.every((c) => SCOPE_CHANNELS.has(c))) return { problem: `${at}: the scope names a channel Kairos does not have (known: ${[...SCOPE_CHANNELS].join(', ')})${hint}` };
  return { ok: { channels: [...new Set(channels)] } };
}

/** A secret that keys hashes of personal data: at least 16 characters (never quoted back). */
function longSecret(raw: string): Parsed<string> {
  return raw.length >= 16 ? { ok: raw } : { problem: 'must be at least 16 characters' };
}

const KEY_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * `KAIROS_KEYS`: comma-separated `name:role:secret` items; a gateway key's role may carry its
 * channel scope after a slash, as a gateway token's (`name:gateway/sms+email:secret`,
 * `gateway/-` for events only, `gateway/*` every channel). Problems name an item by its
 * place, never its secret.
 */
export function parseKeys(raw: string): Parsed<readonly NamedKey[]> {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return { problem: 'must list at least one name:role:secret, comma-separated' };
  const out: NamedKey[] = [];
  for (const [i, item] of items.entries()) {
    const at = `item ${i + 1}`;
    const [name = '', roleAndScope = '', ...rest] = item.split(':');
    const secret = rest.join(':');
    const slash = roleAndScope.indexOf('/');
    const role = slash < 0 ? roleAndScope : roleAndScope.slice(0, slash);
    if (!KEY_NAME.test(name)) return { problem: `${at}: write name:role:secret; the name is lower-case letters, digits, ".", "_" and "-"` };
    if (!(ROLES as readonly string[]).includes(role)) return { problem: `${at}: the role is one of ${ROLES.join(', ')} (a gateway key's with its channels: gateway/sms+email)` };
    if (secret.length < 16) return { problem: `${at}: the secret must be at least 16 characters` };
    if (slash < 0) {
      out.push({ name, role: role as Role, secret, ...(role === 'gateway' ? { scoped: false } : {}) });
      continue;
    }
    if (role !== 'gateway') return { problem: `${at}: only a gateway key has a channel scope (gateway/sms+email)` };
    const scope = channelScope(roleAndScope.slice(slash + 1), at);
    if ('problem' in scope) return scope;
    out.push({ name, role: 'gateway', secret, ...scope.ok, scoped: true });
  }
  if (new Set(out.map((k) => k.name)).size !== out.length) return { problem: 'a name is listed twice' };
  if (new Set(out.map((k) => k.secret)).size !== out.length) return { problem: 'a secret is listed twice' };
  return { ok: out };
}

/** An instant: epoch milliseconds, or an ISO 8601 date-time with its offset (2008-05-05T10:00:00+03:00). */
function instant(raw: string): Parsed<number> {
  const ms = /^\d+$/.test(raw) ? Number(raw) : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw) ? Date.parse(raw) : Number.NaN;
  return Number.isSafeInteger(ms) && ms >= 0 && ms <= Date.UTC(9999, 11, 31, 23, 59, 59, 999)
    ? { ok: ms }
    : { problem: 'must be epoch milliseconds or an ISO date-time with its offset (2008-05-05T10:00:00+03:00), before the year 10000' };
}

/** The most shards a node runs. */
export const MAX_SHARDS = 256;

/** `KAIROS_SHARDS`: a count, or `auto`: the machine's cores less the main thread's one (at least 1: a single host). */
function shardCount(raw: string): Parsed<number> {
  if (raw.toLowerCase() === 'auto') return { ok: Math.max(1, Math.min(MAX_SHARDS, availableParallelism() - 1)) };
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= MAX_SHARDS ? { ok: n } : { problem: `must be auto or a whole number from 1 to ${MAX_SHARDS}` };
}

function bool(raw: string): Parsed<boolean> {
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return { ok: true };
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return { ok: false };
  return { problem: 'must be true or false' };
}

const settings = [
  { key: 'env', env: 'KAIROS_ENV', parse: oneOf<KairosEnv>('development', 'production') },
  { key: 'host', env: 'KAIROS_HOST', parse: text },
  { key: 'port', env: 'KAIROS_PORT', parse: int(0, 65535) },
  { key: 'gatewayPort', env: 'KAIROS_GATEWAY_PORT', parse: int(0, 65535) },
  { key: 'dataDir', env: 'KAIROS_DATA_DIR', parse: text },
  { key: 'store', env: 'KAIROS_STORE', parse: oneOf<StoreKind>('lmdb', 'memory', 'redis') },
  { key: 'redisUrl', env: 'KAIROS_REDIS_URL', parse: text },
  { key: 'redisCluster', env: 'KAIROS_REDIS_CLUSTER', parse: list },
  { key: 'redisPrefix', env: 'KAIROS_REDIS_PREFIX', parse: text },
  { key: 'nodeId', env: 'KAIROS_NODE_ID', parse: text },
  { key: 'gatewayTokens', env: 'KAIROS_GATEWAY_TOKENS', parse: parseGatewayTokens },
  { key: 'adminKeys', env: 'KAIROS_ADMIN_KEYS', parse: secrets },
  { key: 'keys', env: 'KAIROS_KEYS', parse: parseKeys },
  { key: 'demo', env: 'KAIROS_DEMO', parse: bool },
  { key: 'clock', env: 'KAIROS_CLOCK', parse: oneOf<ClockMode>('system', 'manual') },
  { key: 'clockStart', env: 'KAIROS_CLOCK_START', parse: instant },
  { key: 'logLevel', env: 'KAIROS_LOG_LEVEL', parse: oneOf<LogLevel>('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') },
  { key: 'durability', env: 'KAIROS_DURABILITY', parse: oneOf<Durability>('commit', 'strict', 'write-behind') },
  { key: 'commitWindowMs', env: 'KAIROS_COMMIT_WINDOW_MS', parse: int(0, 1000) },
  { key: 'lmdbWriteMap', env: 'KAIROS_LMDB_WRITE_MAP', parse: bool },
  { key: 'lmdbSyncIntervalMs', env: 'KAIROS_LMDB_SYNC_INTERVAL_MS', parse: int(0, 3_600_000) },
  { key: 'lmdbPrefetch', env: 'KAIROS_LMDB_PREFETCH', parse: bool },
  { key: 'lmdbRecordsPerSnapshot', env: 'KAIROS_LMDB_RECORDS_PER_SNAPSHOT', parse: int(1, 1000) },
  { key: 'shards', env: 'KAIROS_SHARDS', parse: shardCount },
  { key: 'lmdbLogRecordsBehind', env: 'KAIROS_LMDB_LOG_RECORDS_BEHIND', parse: int(1000, 100_000_000) },
  { key: 'mergeVisitorOnLogin', env: 'KAIROS_MERGE_VISITOR_ON_LOGIN', parse: bool },
  { key: 'flushIntervalMs', env: 'KAIROS_FLUSH_INTERVAL_MS', parse: int(1, 60_000) },
  { key: 'flushBatch', env: 'KAIROS_FLUSH_BATCH', parse: int(1, 1_000_000) },
  { key: 'modelSaveIntervalMs', env: 'KAIROS_MODEL_SAVE_INTERVAL_MS', parse: int(100, 3_600_000) },
  { key: 'reminderPollMs', env: 'KAIROS_REMINDER_POLL_MS', parse: int(10, 3_600_000) },
  { key: 'segmentSweepMs', env: 'KAIROS_SEGMENT_SWEEP_MS', parse: int(0, 604_800_000) },
  { key: 'outboundTickMs', env: 'KAIROS_OUTBOUND_TICK_MS', parse: int(100, 3_600_000) },
  { key: 'maxHotActors', env: 'KAIROS_MAX_HOT_ACTORS', parse: int(100, 100_000_000) },
  { key: 'passivateAfterMs', env: 'KAIROS_PASSIVATE_AFTER_MS', parse: int(0, 86_400_000) },
  { key: 'maxHeapMb', env: 'KAIROS_MAX_HEAP_MB', parse: int(0, 1_000_000) },
  { key: 'maxInFlight', env: 'KAIROS_MAX_IN_FLIGHT', parse: int(1, 10_000_000) },
  { key: 'maxQueueMs', env: 'KAIROS_MAX_QUEUE_MS', parse: int(0, 600_000) },
  { key: 'rateLimitPerConnection', env: 'KAIROS_RATE_LIMIT', parse: int(1, 10_000_000) },
  { key: 'maxPayloadBytes', env: 'KAIROS_MAX_PAYLOAD_BYTES', parse: int(1024, 16 * 1024 * 1024) },
  { key: 'idleTimeoutSec', env: 'KAIROS_IDLE_TIMEOUT_SEC', parse: int(0, 960) },
  { key: 'maxBackpressureBytes', env: 'KAIROS_MAX_BACKPRESSURE_BYTES', parse: int(1024, 1024 * 1024 * 1024) },
  { key: 'maxBadFramesPerMinute', env: 'KAIROS_MAX_BAD_FRAMES', parse: int(1, 1_000_000) },
  { key: 'subscriberWindow', env: 'KAIROS_SUBSCRIBER_WINDOW', parse: int(1, 100_000) },
  { key: 'shutdownTimeoutMs', env: 'KAIROS_SHUTDOWN_TIMEOUT_MS', parse: int(0, 600_000) },
  { key: 'drainMs', env: 'KAIROS_DRAIN_MS', parse: int(0, 600_000) },
  { key: 'idempotencyRetentionMs', env: 'KAIROS_IDEMPOTENCY_RETENTION_MS', parse: int(7 * DAY_MS, 400 * DAY_MS) },
  { key: 'idempotencyMaxIds', env: 'KAIROS_IDEMPOTENCY_MAX_IDS', parse: int(32, 100_000) },
  { key: 'maxClockSkewMs', env: 'KAIROS_MAX_CLOCK_SKEW_MS', parse: int(0, DAY_MS) },
  { key: 'maxEventAgeMs', env: 'KAIROS_MAX_EVENT_AGE_MS', parse: int(60_000, 400 * DAY_MS) },
  { key: 'staleEventMs', env: 'KAIROS_STALE_EVENT_MS', parse: int(0, 400 * DAY_MS) },
  { key: 'catalogFile', env: 'KAIROS_CATALOG_FILE', parse: text },
  { key: 'smppUrl', env: 'KAIROS_SMPP_URL', parse: text },
  { key: 'smppSystemId', env: 'KAIROS_SMPP_SYSTEM_ID', parse: text },
  { key: 'smppPassword', env: 'KAIROS_SMPP_PASSWORD', parse: text },
  { key: 'smppSource', env: 'KAIROS_SMPP_SOURCE', parse: text },
  { key: 'smppRate', env: 'KAIROS_SMPP_RATE', parse: int(1, 100_000) },
  { key: 'smtpUrl', env: 'KAIROS_SMTP_URL', parse: text },
  { key: 'smtpFrom', env: 'KAIROS_SMTP_FROM', parse: text },
  { key: 'smtpRate', env: 'KAIROS_SMTP_RATE', parse: int(1, 100_000) },
  { key: 'publicUrl', env: 'KAIROS_PUBLIC_URL', parse: text },
  { key: 'console', env: 'KAIROS_CONSOLE', parse: bool },
  { key: 'unsubscribeSecret', env: 'KAIROS_UNSUBSCRIBE_SECRET', parse: text },
  { key: 'webhookUrl', env: 'KAIROS_WEBHOOK_URL', parse: text },
  { key: 'webhookSecret', env: 'KAIROS_WEBHOOK_SECRET', parse: text },
  { key: 'webhookRate', env: 'KAIROS_WEBHOOK_RATE', parse: int(1, 100_000) },
  { key: 'deliveryMaxAttempts', env: 'KAIROS_DELIVERY_MAX_ATTEMPTS', parse: int(1, 100) },
  { key: 'deliveryBackoffMs', env: 'KAIROS_DELIVERY_BACKOFF_MS', parse: int(1, 3_600_000) },
  { key: 'deliveryPollMs', env: 'KAIROS_DELIVERY_POLL_MS', parse: int(10, 600_000) },
  { key: 'tlsCertFile', env: 'KAIROS_TLS_CERT_FILE', parse: text },
  { key: 'tlsKeyFile', env: 'KAIROS_TLS_KEY_FILE', parse: text },
  // --- privacy ---
  { key: 'stopListSecret', env: 'KAIROS_STOP_LIST_SECRET', parse: longSecret },
] as const satisfies ReadonlyArray<Setting<keyof Config>>;

/** The setting's environment variable, for help texts and docs. */
export const configVariables: ReadonlyArray<{ key: keyof Config; env: string }> = settings.map(({ key, env }) => ({ key, env }));

/** The settings holding secrets: each may be read from a file instead (`<VAR>_FILE`, trimmed). */
export const secretVariables: ReadonlySet<string> = new Set([
  'KAIROS_GATEWAY_TOKENS',
  'KAIROS_ADMIN_KEYS',
  'KAIROS_KEYS',
  'KAIROS_REDIS_URL',
  'KAIROS_SMPP_PASSWORD',
  'KAIROS_SMTP_URL',
  'KAIROS_UNSUBSCRIBE_SECRET',
  'KAIROS_WEBHOOK_SECRET',
  'KAIROS_STOP_LIST_SECRET',
]);

const defaults: Omit<Config, 'gatewayTokens' | 'adminKeys' | 'keys' | 'demoCredentials' | 'drainMs'> = {
  env: 'development',
  host: '0.0.0.0',
  port: 8080,
  gatewayPort: undefined,
  dataDir: './data',
  store: 'lmdb',
  redisUrl: 'redis://127.0.0.1:6379',
  redisCluster: [],
  redisPrefix: 'kairos',
  nodeId: `${hostname()}-${process.pid}`,
  demo: true,
  clock: 'system',
  clockStart: undefined,
  logLevel: 'info',
  durability: 'commit',
  lmdbWriteMap: false,
  lmdbSyncIntervalMs: 1000,
  lmdbPrefetch: true,
  lmdbRecordsPerSnapshot: 16,
  shards: 1,
  lmdbLogRecordsBehind: 200_000,
  mergeVisitorOnLogin: false,
  flushIntervalMs: 50,
  flushBatch: 5000,
  modelSaveIntervalMs: 5000,
  reminderPollMs: 1000,
  segmentSweepMs: 86_400_000,
  outboundTickMs: 30_000,
  maxHotActors: 500_000,
  passivateAfterMs: 600_000,
  maxHeapMb: 0,
  maxInFlight: 20_000,
  maxQueueMs: 2000,
  rateLimitPerConnection: 50_000,
  maxPayloadBytes: 64 * 1024,
  idleTimeoutSec: 120,
  maxBackpressureBytes: 4 * 1024 * 1024,
  maxBadFramesPerMinute: 100,
  subscriberWindow: 256,
  shutdownTimeoutMs: 10_000,
  idempotencyRetentionMs: defaultLimits.idempotencyRetentionMs,
  idempotencyMaxIds: defaultLimits.idempotencyMaxIds,
  maxClockSkewMs: defaultLimits.maxClockSkewMs,
  maxEventAgeMs: defaultLimits.maxEventAgeMs,
  staleEventMs: defaultLimits.staleEventMs,
  catalogFile: undefined,
  smppUrl: undefined,
  smppSystemId: 'kairos',
  smppPassword: '',
  smppSource: 'BANK',
  smppRate: 30,
  smtpUrl: undefined,
  smtpFrom: 'Банк <offers@bank.example>',
  smtpRate: 20,
  publicUrl: 'http://localhost:8080',
  console: true,
  unsubscribeSecret: DEMO_UNSUBSCRIBE_SECRET,
  webhookUrl: undefined,
  webhookSecret: DEMO_WEBHOOK_SECRET,
  webhookRate: 50,
  deliveryMaxAttempts: 8,
  deliveryBackoffMs: 1000,
  deliveryPollMs: 500,
  tlsCertFile: undefined,
  tlsKeyFile: undefined,
  stopListSecret: DEMO_STOP_LIST_SECRET,
};

/** `KAIROS_DRAIN_MS` when unset with `KAIROS_ENV=production` (0 otherwise: a developer's Ctrl-C, the tests). */
export const DEFAULT_PRODUCTION_DRAIN_MS = 5000;

/**
 * What `KAIROS_ENV=production` refuses, one problem a setting: the demo credentials, the demo
 * bank, the manual clock, and the demo secrets of the channels that are configured. Each names
 * the settings it judges, and never quotes a value that is not a public demo value.
 */
function productionProblems(c: Readonly<Partial<Config>>): Array<{ keys: ReadonlyArray<keyof Config>; problem: string }> {
  const out: Array<{ keys: ReadonlyArray<keyof Config>; problem: string }> = [];
  const refuse = (keys: ReadonlyArray<keyof Config>, problem: string): void => {
    out.push({ keys, problem: `${problem} (KAIROS_ENV=production)` });
  };
  if (c.gatewayTokens === undefined && !(c.keys ?? []).some((k) => k.role === 'gateway')) refuse(['gatewayTokens'], 'KAIROS_GATEWAY_TOKENS: unset, so the demo gateway token would be accepted: set the gateways\' own tokens');
  else if (c.gatewayTokens !== undefined && c.gatewayTokens.some((t) => t.token === DEMO_GATEWAY_TOKEN)) refuse(['gatewayTokens'], `KAIROS_GATEWAY_TOKENS: lists the demo token ${DEMO_GATEWAY_TOKEN}: remove it`);
  if (c.adminKeys === undefined && !(c.keys ?? []).some((k) => k.role === 'admin')) refuse(['adminKeys'], 'KAIROS_ADMIN_KEYS: unset, so the demo admin key would be accepted: set the admin keys');
  else if (c.adminKeys?.includes(DEMO_ADMIN_KEY) === true) refuse(['adminKeys'], `KAIROS_ADMIN_KEYS: lists the demo key ${DEMO_ADMIN_KEY}: remove it`);
  if ((c.keys ?? []).some((k) => k.role === 'qa')) refuse(['keys'], 'KAIROS_KEYS: lists a qa key: qa keys move the clock and run scenarios, not for production');
  if (c.demo === true) refuse(['demo'], 'KAIROS_DEMO: the demo bank and its catalog are not for production: set KAIROS_DEMO=false (the default is true) and KAIROS_CATALOG_FILE for the bank\'s catalog');
  if (c.clock === 'manual') refuse(['clock'], 'KAIROS_CLOCK: the manual clock lets an admin key move time: use system');
  if (c.smtpUrl !== undefined && c.unsubscribeSecret === DEMO_UNSUBSCRIBE_SECRET) {
    refuse(['smtpUrl', 'unsubscribeSecret'], 'KAIROS_UNSUBSCRIBE_SECRET: e-mail goes out (KAIROS_SMTP_URL) with unsubscribe links signed by the demo secret: set it');
  }
  if (c.webhookUrl !== undefined && c.webhookSecret === DEMO_WEBHOOK_SECRET) {
    refuse(['webhookUrl', 'webhookSecret'], 'KAIROS_WEBHOOK_SECRET: webhooks (KAIROS_WEBHOOK_URL) would be signed with the demo secret: set it');
  }
  if (c.stopListSecret === DEMO_STOP_LIST_SECRET) {
    refuse(['stopListSecret'], 'KAIROS_STOP_LIST_SECRET: unset, so the stop list would be keyed with the public demo secret: set it or KAIROS_STOP_LIST_SECRET_FILE');
  }
  return out;
}

/**
 * `KAIROS_*` variables Kairos reads besides the settings: the commands' (`kairos keys`,
 * `kairos run`, scenarios), the tests' programs and switches.
 */
export const otherVariables: ReadonlySet<string> = new Set([
  'KAIROS_ADMIN_KEY',
  'KAIROS_URL',
  'KAIROS_SCENARIO_ADMIN_KEY',
  'KAIROS_SCENARIO_TOKEN',
  'KAIROS_REDIS_SERVER_BIN',
  'KAIROS_PROMETHEUS_BIN',
  'KAIROS_CHROMIUM_BIN',
  'KAIROS_PYTHON3_BIN',
  'KAIROS_TEST_PROVISION',
  'KAIROS_KILL_SEED',
]);

/** The edit distance of two names (insertions, deletions, substitutions, a swap of neighbours). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The `KAIROS_*` variables of `env` that Kairos does not know (a misspelt setting is otherwise
 * silently ignored), each with the known name it is closest to when one is near.
 */
export function unknownVariables(env: Source): Array<{ name: string; suggestion?: string }> {
  const known = new Set<string>([...settings.map((s) => s.env), ...[...secretVariables].map((v) => `${v}_FILE`), ...otherVariables]);
  const out: Array<{ name: string; suggestion?: string }> = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('KAIROS_') || known.has(name)) continue;
    let best: string | undefined;
    let bestD = Infinity;
    for (const k of known) {
      const dd = distance(name, k);
      if (dd < bestD) [best, bestD] = [k, dd];
    }
    out.push(best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 6)) ? { name, suggestion: best } : { name });
  }
  return out;
}

/** The warning a start prints for each unknown `KAIROS_*` variable. */
export function unknownVariableWarnings(env: Source): string[] {
  return unknownVariables(env).map((u) => `${u.name} is not a Kairos variable and is ignored${u.suggestion === undefined ? '' : ` (did you mean ${u.suggestion}?)`}`);
}

/**
 * Builds the configuration from the environment and explicit overrides (command-line
 * flags, tests). Overrides win over the environment, the environment over defaults.
 */
export function loadConfig(env: Source = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const problems: string[] = [];
  const values: Partial<Record<keyof Config, unknown>> = {};
  const unreadable = new Set<keyof Config>();
  for (const s of settings) {
    let raw = env[s.env];
    const file = secretVariables.has(s.env) ? env[`${s.env}_FILE`] : undefined;
    if (file !== undefined && file !== '') {
      if (raw !== undefined && raw !== '') {
        problems.push(`${s.env} and ${s.env}_FILE: set one of them, not both`);
        unreadable.add(s.key);
        continue;
      }
      try {
        raw = readFileSync(file, 'utf8').trim();
      } catch (err) {
        problems.push(`${s.env}_FILE: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        unreadable.add(s.key);
        continue;
      }
    }
    if (raw === undefined || raw === '') continue;
    const parsed = s.parse(raw);
    if ('problem' in parsed) {
      problems.push(`${s.env}: ${parsed.problem}`);
      unreadable.add(s.key);
    } else values[s.key] = parsed.ok;
  }
  const merged = { ...defaults, ...values, ...overrides } as Config;
  // `auto` on a data dir that already has its shards: their count, whatever the cores now (a resized machine finds its customers).
  if (overrides.shards === undefined && env.KAIROS_SHARDS?.toLowerCase() === 'auto' && !unreadable.has('shards')) {
    merged.shards = recordedShardCount(resolve(merged.dataDir)) ?? merged.shards;
  }
  // uWS v20.30 aborts the whole process (std::terminate) on a WebSocket idle timeout from 1 to 7 s.
  if (merged.idleTimeoutSec > 0 && merged.idleTimeoutSec < 8 && !unreadable.has('idleTimeoutSec')) {
    problems.push(`KAIROS_IDLE_TIMEOUT_SEC: must be 0 (no idle close) or from 8 to 960 seconds, got ${merged.idleTimeoutSec} (uWebSockets.js aborts the process below 8)`);
  }
  if (merged.clockStart !== undefined && merged.clock !== 'manual') {
    problems.push('KAIROS_CLOCK_START: the first reading of the manual clock: set KAIROS_CLOCK=manual too, or leave it out');
  }
  if (merged.shards > 1 && merged.store !== 'lmdb') {
    problems.push(`KAIROS_SHARDS: shards keep their customers in LMDB environments of their own: set KAIROS_STORE=lmdb, or KAIROS_SHARDS=1 with KAIROS_STORE=${merged.store} (several nodes share Redis instead)`);
  }
  if (merged.gatewayPort !== undefined && merged.shards === 1 && !unreadable.has('shards')) {
    const auto = (env.KAIROS_SHARDS ?? '').toLowerCase() === 'auto';
    problems.push(
      `KAIROS_GATEWAY_PORT: the gateway port is accepted on every shard: set KAIROS_SHARDS above 1, or leave it out (on a single host the gateways connect to KAIROS_PORT)${auto ? ` (KAIROS_SHARDS=auto is 1 on this machine of ${availableParallelism()} cores)` : ''}`,
    );
  }
  if (merged.gatewayPort !== undefined && merged.gatewayPort !== 0 && merged.gatewayPort === merged.port) {
    problems.push(`KAIROS_GATEWAY_PORT: ${merged.gatewayPort} is KAIROS_PORT too: give the gateways another port, or leave it out`);
  }
  if ((merged.tlsCertFile === undefined) !== (merged.tlsKeyFile === undefined)) {
    problems.push('KAIROS_TLS_CERT_FILE and KAIROS_TLS_KEY_FILE: set both for TLS, or neither');
  }
  // uWS says only "App construction failed" for a TLS file it cannot read: named here first
  for (const [name, file] of [['KAIROS_TLS_CERT_FILE', merged.tlsCertFile], ['KAIROS_TLS_KEY_FILE', merged.tlsKeyFile]] as const) {
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      problems.push(`${name}: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  // Production is judged on the settings that could be read: a value that could not would
  // otherwise be judged by its default (KAIROS_DEMO=maybe is not "the demo bank").
  if (merged.env === 'production' && !unreadable.has('env')) {
    problems.push(...productionProblems(merged).filter((p) => !p.keys.some((k) => unreadable.has(k))).map((p) => p.problem));
  }
  if (problems.length > 0) throw configInvalid(problems);
  const keys = merged.keys ?? [];
  const demoAdmin = merged.adminKeys === undefined && !keys.some((k) => k.role === 'admin');
  const demoGateway = merged.gatewayTokens === undefined && !keys.some((k) => k.role === 'gateway');
  const demoCredentials = demoGateway || demoAdmin;
  const config: Config = {
    ...merged,
    dataDir: resolve(merged.dataDir),
    // Production sits behind load balancers that need a few health-check periods to take a node out.
    drainMs: (merged as Partial<Config>).drainMs ?? (merged.env === 'production' ? DEFAULT_PRODUCTION_DRAIN_MS : 0),
    gatewayTokens: Object.freeze([...(merged.gatewayTokens ?? (demoGateway ? [{ token: DEMO_GATEWAY_TOKEN, scoped: false }] : []))]),
    adminKeys: Object.freeze([...(merged.adminKeys ?? (demoAdmin ? [DEMO_ADMIN_KEY] : []))]),
    keys: Object.freeze([...keys]),
    demoCredentials,
  };
  return Object.freeze(config);
}

/** The gateway's TLS files, when both are configured. */
export function gatewayTls(config: Readonly<Config>): { tls?: { certFile: string; keyFile: string } } {
  return config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined ? { tls: { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } } : {};
}
