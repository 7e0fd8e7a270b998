import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { SCOPE_CHANNELS } from '../config.js';
import { KairosError } from '../errors.js';
import type { AuditDraft, Store } from '../store/store.js';
import { bearerToken, credentialLabel } from './auth.js';
import type { Principal, Role } from './principal.js';
import { ROLES } from './principal.js';

/**
 * Every API key the server knows, each named and with one role (docs/security.md): the
 * bootstrap keys of the configuration (KAIROS_ADMIN_KEYS, KAIROS_GATEWAY_TOKENS, KAIROS_KEYS)
 * and the keys made through the admin API, kept in the store as meta entries `key/<name>`
 * holding the SHA-256 of the secret, never the secret.
 *
 * A change (create, rotate, revoke) writes its entry, then a fresh random `keys/version`.
 * Every authentication reads that version first (one GET on Redis) and reloads the table
 * when it differs from the one it holds, so a revoke acknowledged on any node sharing the
 * store holds for every request that starts after it. A version is a random token, not a
 * counter: two nodes changing keys at once cannot write the same one.
 *
 * The changes of one name take turns (on this node one after the other, across nodes under a
 * lease on the name): two creates of one name give one key and a 409, never two secrets of
 * which the first is silently dead.
 *
 * A gateway key made through the API may carry a channel scope (`channels`), as a configured
 * gateway token does (`KAIROS_GATEWAY_TOKENS`, `token:sms+email`): the delivery channels it may
 * subscribe to and confirm, checked by the WebSocket gateway alike. Without one it may use every
 * channel (as an unscoped configured token), which the listing shows (`channels: "*"`) and each
 * start warns about ({@link KeyRing.unscopedGatewayKeys}).
 *
 * A name belongs to one key. A configured key (KAIROS_KEYS) named as a key made through the API
 * stops the start (`config_invalid`, {@link KeyRing.checkConfiguredNames}); should the store
 * gain one later (made on a node configured otherwise), the API-made key of that name is never
 * accepted here, and `DELETE /v1/keys/{name}` revokes it.
 */

const KEY_PREFIX = 'key/';
const VERSION_KEY = 'keys/version';
/** the lease a change of a key holds on its name, across nodes sharing the store */
const CHANGE_LEASE_PREFIX = 'keys/change/';
const CHANGE_LEASE_MS = 30_000;
const SECRET_PREFIX = 'kairos_';
export const KEY_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** A key as the configuration names it (its secret in clear, read from the environment). */
export interface BootstrapKey {
  name: string;
  role: Role;
  secret: string;
  /** a gateway token's channel scope: undefined for every channel */
  channels?: readonly string[];
}

/** A key as stored: its secret's digest only. */
export interface StoredKey {
  name: string;
  role: Role;
  /** SHA-256 of the secret, hex; absent once revoked */
  sha256?: string;
  createdAt: number;
  rotatedAt?: number;
  /** when its role was last changed */
  roleChangedAt?: number;
  revokedAt?: number;
  /** a gateway key's channel scope (the channels it may subscribe to and confirm); absent: every channel */
  channels?: string[];
}

/** What a listing shows of a key: never its secret nor its digest. */
export interface KeyInfo {
  name: string;
  role: Role;
  source: 'config' | 'api';
  createdAt?: number;
  rotatedAt?: number;
  /** a gateway key's scope: the channels it may subscribe to ([] none: events only), or "*" for every channel (unscoped) */
  channels?: string[] | '*';
}

/** Who a credential is, and (a gateway's) channel scope. */
export interface Authenticated {
  principal: Principal;
  /** the channels a gateway key may subscribe to; undefined: every channel */
  channels?: ReadonlySet<string>;
  /** which secret it was (its digest, hex): a connection on it closes once it is rotated or revoked ({@link KeyRing.isLive}) */
  secretId: string;
}

interface Entry extends Omit<Authenticated, 'secretId'> {
  digest: Buffer;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** A fresh secret: 32 random bytes, base64url, with a prefix that secret scanners can find. */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/** A gateway key's scope as the listing shows it; undefined for a key of another role. */
function scopeView(role: Role, channels: Iterable<string> | undefined): { channels?: string[] | '*' } {
  if (role !== 'gateway') return {};
  return { channels: channels === undefined ? '*' : [...channels] };
}

/** Whether two scopes are the same (undefined: every channel). */
function sameScope(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.size === b.size && [...a].every((c) => b.has(c));
}

/**
 * A scope given for a key of `role`: each name a channel a configured token's scope may name
 * (Kairos's channels and `backoffice`), each once. Only a gateway key has one.
 */
function checkedScope(role: Role, channels: readonly string[] | undefined): string[] | undefined {
  if (channels === undefined) return undefined;
  if (role !== 'gateway') throw new KairosError('invalid', `field "channels": only a gateway key has a channel scope (this one's role is ${role})`);
  const unknown = channels.find((c) => !SCOPE_CHANNELS.has(c));
  if (unknown !== undefined) throw new KairosError('invalid', `field "channels": "${unknown}" is not a channel (known: ${[...SCOPE_CHANNELS].join(', ')})`);
  return [...new Set(channels)];
}

function isStoredKey(v: unknown): v is StoredKey {
  const k = v as Partial<StoredKey> | undefined;
  return typeof k === 'object' && k !== null && typeof k.name === 'string' && (ROLES as readonly string[]).includes(k.role as string);
}

/** What a key ring reads and writes of the store (a shard's copy of the table only reads: {@link KeyTableCopy}). */
export type KeyStore = Pick<Store, 'getMeta' | 'listMeta' | 'putMeta' | 'appendAudit' | 'coordination'>;

/** The key table as the store holds it: its version and its entries (digests, never secrets). */
export interface KeyTable {
  version: unknown;
  rows: ReadonlyArray<{ key: string; value: unknown }>;
}

/** The key table read from the store, for a copy kept elsewhere ({@link KeyTableCopy}). */
export async function readKeyTable(store: Pick<Store, 'getMeta' | 'listMeta'>): Promise<KeyTable> {
  const version = await store.getMeta(VERSION_KEY);
  return { version, rows: await store.listMeta(KEY_PREFIX, 1_000_000) };
}

/**
 * A key table handed over from the store's holder (a shard accepting gateway connections gets
 * the main thread's, and each change of it): what a {@link KeyRing} over it reads. Keys are
 * changed through the main thread only: a change asked of a copy is refused.
 */
export class KeyTableCopy implements KeyStore {
  constructor(private table: KeyTable) {}

  /** The table as it is now (the ring reads it at its next refresh). */
  set(table: KeyTable): void {
    this.table = table;
  }

  getMeta(key: string): Promise<unknown> {
    return Promise.resolve(key === VERSION_KEY ? this.table.version : undefined);
  }

  listMeta(prefix: string, limit: number): Promise<Array<{ key: string; value: unknown }>> {
    return Promise.resolve(this.table.rows.filter((r) => r.key.startsWith(prefix)).slice(0, limit));
  }

  putMeta(): Promise<void> {
    return Promise.reject(readOnlyCopy());
  }

  appendAudit(): Promise<undefined> {
    return Promise.reject(readOnlyCopy());
  }

  get coordination(): Store['coordination'] {
    throw readOnlyCopy();
  }
}

function readOnlyCopy(): KairosError {
  return new KairosError('internal', "a copy of the key table is read only: keys are changed through the node's admin API");
}

export interface KeyRingOptions {
  store: KeyStore;
  bootstrap: readonly BootstrapKey[];
  /** production refuses qa keys, at creation and at use */
  production: boolean;
  now: () => number;
  /** what a change made here waits for before its reply, once this ring has read it (a node with shards: every shard's gateway holding the new table) */
  afterChange?: () => Promise<void>;
}

export class KeyRing {
  private readonly boot: Entry[];
  private readonly bootNames: ReadonlySet<string>;
  /** the change of each name under way on this node (the next waits for it) */
  private readonly changing = new Map<string, Promise<unknown>>();
  private stored: Entry[] = [];
  private storedInfo: StoredKey[] = [];
  private version: unknown = undefined;
  private loading: Promise<void> | undefined;
  private readonly listeners: Array<() => void> = [];
  private watchTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: KeyRingOptions) {
    this.boot = o.bootstrap.map((k) => ({
      digest: sha256(k.secret),
      principal: { name: k.name, role: k.role },
      ...(k.channels === undefined ? {} : { channels: new Set(k.channels) }),
    }));
    this.bootNames = new Set(o.bootstrap.map((k) => k.name));
  }

  /**
   * Refuses a start when a configured key has the name of a live key made through the API
   * (`config_invalid`): the configured one would hide it from rotation and revocation while
   * its secret still passed elsewhere, so which of them holds the name is settled first.
   */
  async checkConfiguredNames(): Promise<void> {
    await this.refresh();
    const clashes = this.storedInfo.filter((k) => this.bootNames.has(k.name));
    if (clashes.length === 0) return;
    const problems = clashes.map(
      (k) =>
        `KAIROS_KEYS: "${k.name}" is also the name of a key made through the admin API (role ${k.role}): revoke that key first ` +
        `(start without "${k.name}" in KAIROS_KEYS, then kairos keys revoke ${k.name}, or DELETE /v1/keys/${k.name}), or give the configured key another name`,
    );
    throw new KairosError('config_invalid', `invalid configuration:\n  ${problems.join('\n  ')}`, { details: { problems } });
  }

  /** Whether keys of this role may be used here (qa is refused in production). */
  roleUsable(role: Role): boolean {
    return !(this.o.production && role === 'qa');
  }

  /** Who an `Authorization` header value is; undefined when it carries no known key. */
  async authenticate(authorization: string | undefined): Promise<Authenticated | undefined> {
    const token = bearerToken(authorization);
    if (token === undefined) return undefined;
    await this.refresh();
    const d = sha256(token);
    // Every digest is compared, in constant time each, whichever matches.
    let found: Entry | undefined;
    for (const e of [...this.boot, ...this.stored]) if (timingSafeEqual(d, e.digest) && found === undefined) found = e;
    if (found === undefined) return undefined;
    return { principal: found.principal, secretId: found.digest.toString('hex'), ...(found.channels === undefined ? {} : { channels: found.channels }) };
  }

  /** Calls `listener` each time the table is read again (a key made, rotated or revoked on any node). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Whether a secret ({@link Authenticated.secretId}) is still accepted with this role and
   * channel scope (as of the table last read): a connection opened on it closes otherwise.
   */
  isLive(secretId: string, role: Role, channels?: ReadonlySet<string>): boolean {
    const d = Buffer.from(secretId, 'hex');
    return [...this.boot, ...this.stored].some((e) => e.digest.equals(d) && e.principal.role === role && sameScope(e.channels, channels));
  }

  /** The names of the live gateway keys made through the API without a channel scope (they may subscribe to every channel). */
  async unscopedGatewayKeys(): Promise<string[]> {
    await this.refresh();
    return this.storedInfo.filter((k) => k.role === 'gateway' && k.channels === undefined && !this.bootNames.has(k.name)).map((k) => k.name);
  }

  /**
   * Reads the version every `ms` (a change made on another node reaches this node's open
   * WebSocket connections within it; a request checks it itself).
   */
  watch(ms: number): void {
    this.unwatch();
    this.watchTimer = setInterval(() => void this.refresh().catch(() => undefined), ms);
    this.watchTimer.unref();
  }

  unwatch(): void {
    if (this.watchTimer !== undefined) clearInterval(this.watchTimer);
    this.watchTimer = undefined;
  }

  /** The table as the store holds it now: read again when its version moved. */
  async refresh(): Promise<void> {
    let version: unknown;
    try {
      version = await this.o.store.getMeta(VERSION_KEY);
    } catch (err) {
      // Fail closed: a key table that cannot be checked admits nobody (503, retry elsewhere).
      throw new KairosError('unavailable', 'the key table cannot be read: the store is unreachable', { cause: err });
    }
    if (version === this.version) return;
    // One reload at a time; a caller arriving meanwhile waits for it and checks again.
    while (this.loading !== undefined) await this.loading;
    if (version === this.version) return;
    this.loading = this.load(version);
    try {
      await this.loading;
    } finally {
      this.loading = undefined;
    }
  }

  private async load(version: unknown): Promise<void> {
    const rows = await this.o.store.listMeta(KEY_PREFIX, 1_000_000);
    const keys = rows.map((r) => r.value).filter(isStoredKey);
    this.storedInfo = keys.filter((k) => k.sha256 !== undefined);
    // A name the configuration gives a key is that key's: an API-made key of the name is never accepted here.
    this.stored = this.storedInfo
      .filter((k) => !this.bootNames.has(k.name))
      .map((k) => ({
        digest: Buffer.from(k.sha256!, 'hex'),
        principal: { name: k.name, role: k.role },
        // (a scope is a gateway key's only: one left from an earlier role is not read)
        ...(k.role === 'gateway' && k.channels !== undefined ? { channels: new Set(k.channels) } : {}),
      }));
    this.version = version;
    for (const l of this.listeners) l();
  }

  /** Every live key, configuration's first; no secret. */
  async list(): Promise<KeyInfo[]> {
    await this.refresh();
    return [
      ...this.boot.map((e) => ({ name: e.principal.name, role: e.principal.role, source: 'config' as const, ...scopeView(e.principal.role, e.channels) })),
      ...this.storedInfo.map((k) => ({
        name: k.name,
        role: k.role,
        source: 'api' as const,
        createdAt: k.createdAt,
        ...(k.rotatedAt === undefined ? {} : { rotatedAt: k.rotatedAt }),
        ...scopeView(k.role, k.channels),
      })),
    ];
  }

  /**
   * Makes a key; its secret is returned once and kept only as a digest. `channels`: a gateway
   * key's scope (absent: every channel).
   */
  async create(name: string, role: Role, audit?: KeyAudit, channels?: readonly string[]): Promise<KeySecret> {
    if (!KEY_NAME.test(name)) throw new KairosError('invalid', 'field "name": lower-case letters, digits, ".", "_" and "-", at most 63, starting with a letter or digit');
    if (!this.roleUsable(role)) throw new KairosError('invalid', 'field "role": qa keys are refused in production (KAIROS_ENV=production)');
    const scope = checkedScope(role, channels);
    if (this.bootNames.has(name)) throw new KairosError('conflict', `a key named "${name}" comes from the configuration`);
    return this.inTurn(name, async () => {
      const existing = await this.o.store.getMeta(KEY_PREFIX + name);
      if (isStoredKey(existing) && existing.sha256 !== undefined) throw new KairosError('conflict', `a key named "${name}" exists: rotate or revoke it`);
      const secret = newSecret();
      await this.write({ name, role, sha256: sha256(secret).toString('hex'), createdAt: this.o.now(), ...(scope === undefined ? {} : { channels: scope }) }, undefined, audit);
      return { name, role, secret, ...scopeView(role, scope) };
    });
  }

  /** A new secret for a key made through the API; the old one is refused from the reply on. */
  async rotate(name: string, audit?: KeyAudit): Promise<KeySecret> {
    return this.inTurn(name, async () => {
      const k = await this.live(name, 'change');
      const secret = newSecret();
      await this.write({ ...k, sha256: sha256(secret).toString('hex'), rotatedAt: this.o.now() }, k, audit);
      return { name, role: k.role, secret, ...scopeView(k.role, k.channels) };
    });
  }

  /**
   * Gives a key made through the API another role (and, a gateway key, its channel scope): its
   * calls are checked against them from the reply on, and its WebSocket connections close.
   * `channels` absent: a gateway key that stays one keeps its scope; a key made a gateway key
   * has none (every channel); a key of another role has none.
   */
  async changeRole(name: string, role: Role, audit?: KeyAudit, channels?: readonly string[]): Promise<{ name: string; role: Role; channels?: string[] | '*' }> {
    if (!this.roleUsable(role)) throw new KairosError('invalid', 'field "role": qa keys are refused in production (KAIROS_ENV=production)');
    const given = checkedScope(role, channels);
    return this.inTurn(name, async () => {
      const k = await this.live(name, 'change');
      const { channels: held, ...rest } = k;
      const scope = given ?? (role === 'gateway' && k.role === 'gateway' ? held : undefined);
      await this.write({ ...rest, role, roleChangedAt: this.o.now(), ...(scope === undefined ? {} : { channels: scope }) }, k, audit);
      return { name, role, ...scopeView(role, scope) };
    });
  }

  /**
   * Revokes a key made through the API; refused from the reply on. Also one the configuration
   * names too (never accepted while it does, but it would be again without it).
   */
  async revoke(name: string, audit?: KeyAudit): Promise<{ name: string; role: Role }> {
    return this.inTurn(name, async () => {
      const k = await this.live(name, 'revoke');
      const { sha256: _gone, ...rest } = k;
      await this.write({ ...rest, revokedAt: this.o.now() }, k, audit);
      return { name, role: k.role };
    });
  }

  /** The live key made through the API of this name, for a change or a revocation. */
  private async live(name: string, what: 'change' | 'revoke'): Promise<StoredKey> {
    const k = await this.o.store.getMeta(KEY_PREFIX + name);
    const stored = isStoredKey(k) && k.sha256 !== undefined ? k : undefined;
    if (this.bootNames.has(name) && (what === 'change' || stored === undefined)) throw new KairosError('conflict', `the key "${name}" comes from the configuration: change it there`);
    if (stored === undefined) throw new KairosError('not_found', `no key named "${name}"`);
    return stored;
  }

  /**
   * Runs a change of the key `name` after the one under way on this node, holding the name's
   * lease across nodes; while another node holds it, 409 (its change is not seen yet).
   */
  private inTurn<T>(name: string, change: () => Promise<T>): Promise<T> {
    const before = this.changing.get(name) ?? Promise.resolve();
    const run = before
      .catch(() => undefined)
      .then(async () => {
        const lease = CHANGE_LEASE_PREFIX + name;
        const owner = randomUUID();
        const coordination = this.o.store.coordination;
        if (!(await coordination.claimLease(lease, owner, CHANGE_LEASE_MS))) throw new KairosError('conflict', `the key "${name}" is being changed on another node: try again`);
        try {
          return await change();
        } finally {
          await coordination.releaseLease(lease, owner).catch(() => undefined);
        }
      });
    this.changing.set(name, run);
    const forget = (): void => {
      if (this.changing.get(name) === run) this.changing.delete(name);
    };
    void run.then(forget, forget);
    return run;
  }

  /**
   * The entry, then a fresh version: a reader that sees the version sees the entry. With
   * `audit`, both are written with the audit trail's entry in one store transaction.
   */
  private async write(k: StoredKey, before: StoredKey | undefined, audit: KeyAudit | undefined): Promise<void> {
    const version = randomUUID();
    if (audit !== undefined) {
      const draft = audit(before === undefined ? undefined : keyFacts(before), keyFacts(k));
      await this.o.store.appendAudit(draft, { meta: [{ key: KEY_PREFIX + k.name, value: k }, { key: VERSION_KEY, value: version }] });
    } else {
      await this.o.store.putMeta(KEY_PREFIX + k.name, k);
      await this.o.store.putMeta(VERSION_KEY, version);
    }
    // This node reads the new table before the reply: its connections on a revoked key close first.
    await this.refresh();
    await this.o.afterChange?.();
  }
}

/** A key and its secret, shown once (with a gateway key's scope). */
export interface KeySecret {
  name: string;
  role: Role;
  secret: string;
  channels?: string[] | '*';
}

/** Makes a key change's audit entry from the key before and after (never its secret or digest). */
export type KeyAudit = (before: KeyFacts | undefined, after: KeyFacts) => AuditDraft;

/** What the audit trail records of a key. */
export type KeyFacts = Omit<StoredKey, 'sha256'>;

function keyFacts(k: StoredKey): KeyFacts {
  const { sha256: _digest, ...facts } = k;
  return facts;
}

/** The configuration's keys, each named: admin keys and gateway tokens by their hash labels. */
export function bootstrapKeys(c: {
  adminKeys: readonly string[];
  gatewayTokens: ReadonlyArray<{ token: string; channels?: readonly string[] }>;
  keys: readonly BootstrapKey[];
}): BootstrapKey[] {
  const label = (secret: string): string => credentialLabel(`Bearer ${secret}`) ?? 'key:?';
  return [
    ...c.adminKeys.map((secret) => ({ name: label(secret), role: 'admin' as const, secret })),
    ...c.gatewayTokens.map((t) => ({ name: label(t.token), role: 'gateway' as const, secret: t.token, ...(t.channels === undefined ? {} : { channels: t.channels }) })),
    ...c.keys,
  ];
}
