import type { Catalog, CatalogDef, CampaignStatus, PolicyDef } from '../../actors/index.js';
import { Value } from '@sinclair/typebox/value';
import { CatalogDefSchema, campaignStatuses, isRecord, isInvalidDefinition, isCampaignStatus, checkDefinitionBounds, compileCatalog, moveCampaign } from '../../actors/index.js';
import type { Clock } from '../clock.js';
import { KairosError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { AuditEntry } from '../schema/http/catalog-schemas.js';
import type { Principal } from '../transport/principal.js';

/**
 * The catalog in force, as data a marketer changes through the admin API: every change is
 * checked by compiling the whole catalog (an invalid definition is refused, naming the field),
 * gets the next version number, is stored with its version and an audit entry (who, when,
 * what), and reaches live actors with their next event: the host reads `catalog` on every
 * message. Changes are applied one at a time.
 */

export const catalogKinds = ['features', 'segments', 'offers', 'campaigns', 'partners', 'places'] as const;
export type CatalogKind = (typeof catalogKinds)[number];

/** What a change did, as its audit entry names it. */
export const auditActions = ['seed', 'create', 'update', 'delete', 'status', 'policy', 'replace'] as const;

/** What an audit entry's `kind` names: a kind of item, the policy, or the whole catalog. */
export const auditKinds = [...catalogKinds, 'policy', 'catalog'] as const;

/** One change in the audit trail (who, when, what): the admin API's schema (src/schema/http/catalog-schemas.ts) is its type. */
export type { AuditEntry };

const CURRENT = 'catalog';
const versionKey = (v: number): string => `catalog/${String(v).padStart(10, '0')}`;
const auditKey = (seq: number): string => `audit/${String(seq).padStart(12, '0')}`;

type Item = { id: string } & Record<string, unknown>;

/**
 * Who makes a change: a label (the catalog's own history), or a key's principal too, when the
 * change comes through the admin API: then it is also written to the audit trail
 * (docs/audit.md), in the same commit as the catalog.
 */
export type ChangedBy = string | { label: string; who: Principal };

/** A change about to be stored, as `alsoStore` sees it: the catalog in force and the next, when it is made, and the item a put changes. */
export interface CatalogChange {
  before: Catalog;
  after: Catalog;
  /** when the change is made (the server clock): the time stored with it */
  at: number;
  /** the item a `put` creates or replaces (a problem in it names its field relative to it), else undefined */
  item?: { kind: CatalogKind; id: string };
}

/** Rewrites `campaigns[3].groups[0]` into `campaigns[atm-shortfall].groups[0]`, so a message names items, not positions. */
export function namePaths(def: CatalogDef, path: string): string {
  return path.replace(/^(features|segments|offers|campaigns|partners|places)\[(\d+)\]/, (whole, kind: CatalogKind, index: string) => {
    const item = (def[kind] as unknown[])[Number(index)];
    return isRecord(item) && typeof item.id === 'string' ? `${kind}[${item.id}]` : whole;
  });
}

/**
 * A catalog read back from the store. Writes refuse a field the schema does not know (a
 * misspelt `expiresin` is named, not ignored), but a catalog an earlier version stored may
 * hold fields that were ignored then: those are dropped here, with a warning, rather than
 * stopping the start; the next change stores the catalog without them.
 */
function compileStored(stored: CatalogDef, logger: Logger): Catalog {
  try {
    return compileCatalog(stored);
  } catch (err) {
    if (!isInvalidDefinition(err) || !err.problem.startsWith('unknown field')) throw err;
    const known = Value.Clean(CatalogDefSchema, structuredClone(stored)) as CatalogDef;
    const catalog = compileCatalog(known);
    logger.warn({ version: stored.version, example: err.message }, 'the stored catalog holds fields this version does not know; they are ignored');
    return catalog;
  }
}

export class CatalogService {
  private current: Catalog;
  private auditSeq: number;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners: Array<(catalog: Catalog) => void> = [];
  private readonly checks: Array<(catalog: Catalog) => void> = [];
  private readonly parts: Array<(change: CatalogChange) => Array<{ key: string; value: unknown }>> = [];

  private constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    catalog: Catalog,
    auditSeq: number,
  ) {
    this.current = catalog;
    this.auditSeq = auditSeq;
  }

  /**
   * The stored catalog if there is one, else `seed` (the demo's or a catalog file), stored
   * as the first version. A stored catalog that no longer compiles stops the start; fields an
   * earlier version stored and this one does not know are dropped, with a warning
   * (compileStored).
   */
  static async open(store: Store, clock: Clock, logger: Logger, seed: { def: CatalogDef; source: string }): Promise<CatalogService> {
    const last = await store.listMeta('audit/', 1);
    const seq = (last[0]?.value as AuditEntry | undefined)?.seq ?? 0;
    const stored = (await store.getMeta(CURRENT)) as CatalogDef | undefined;
    if (stored !== undefined) {
      let catalog: Catalog;
      try {
        catalog = compileStored(stored, logger);
      } catch (err) {
        throw new KairosError('internal', `the stored catalog (version ${String(stored.version)}) does not compile: ${(err as Error).message}`, { cause: err });
      }
      logger.info({ version: catalog.version, campaigns: catalog.campaigns.length }, 'catalog loaded from the store');
      return new CatalogService(store, clock, logger, catalog, seq);
    }
    const catalog = compileCatalog(seed.def);
    const service = new CatalogService(store, clock, logger, catalog, seq);
    await service.persist(seed.def, { action: 'seed', kind: 'catalog', detail: seed.source }, 'kairos');
    logger.info({ version: catalog.version, campaigns: catalog.campaigns.length, source: seed.source }, 'catalog seeded');
    return service;
  }

  /**
   * Called with each catalog a change made here puts in force, once it is stored (a node with
   * shards hands it to them). A listener that throws leaves the change stored but not in
   * force everywhere: the change is answered 500 naming the version (and logged), never 200;
   * what a listener can refuse it refuses in `beforeChange`.
   */
  onChange(listener: (catalog: Catalog) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Called with each catalog a change would put in force, compiled, before it is stored: a
   * check that throws (a KairosError: its code is the answer's) refuses the change, and
   * nothing is stored (a node with shards refuses a catalog its shards could not take).
   */
  beforeChange(check: (catalog: Catalog) => void): void {
    this.checks.push(check);
  }

  /**
   * Called with each change made here before it is stored: the meta entries it gives are
   * written in the same commit as the catalog (the outbound schedules' marks: when a schedule
   * was saved); one that throws (a KairosError: its code is the answer's) refuses the change.
   */
  alsoStore(part: (change: CatalogChange) => Array<{ key: string; value: unknown }>): void {
    this.parts.push(part);
  }

  /** The compiled catalog in force. */
  get catalog(): Catalog {
    return this.current;
  }

  get version(): number {
    return this.current.version;
  }

  list(kind: CatalogKind): unknown[] {
    return structuredClone(this.current.def[kind]);
  }

  get(kind: CatalogKind, id: string): unknown {
    const item = (this.current.def[kind] as unknown as Item[]).find((x) => x.id === id);
    if (item === undefined) throw new KairosError('not_found', `no ${kind.slice(0, -1)} "${id}"`);
    return structuredClone(item);
  }

  /** Creates or replaces one item; the body's id, when given, must match. */
  put(kind: CatalogKind, id: string, body: unknown, by: ChangedBy): Promise<{ version: number; created: boolean }> {
    return this.serial(async () => {
      if (!isRecord(body)) throw new KairosError('invalid', 'body must be a JSON object');
      if (body.id !== undefined && body.id !== id) throw new KairosError('invalid', `field "id": ${JSON.stringify(body.id)} does not match the path's "${id}"`);
      const item = { ...body, id };
      const def = structuredClone(this.current.def);
      const list = def[kind] as unknown as Item[];
      const at = list.findIndex((x) => x.id === id);
      if (at >= 0) list[at] = item;
      else list.push(item);
      await this.apply(def, { action: at >= 0 ? 'update' : 'create', kind, id }, by, { kind, index: at >= 0 ? at : list.length - 1 });
      return { version: this.version, created: at < 0 };
    });
  }

  remove(kind: CatalogKind, id: string, by: ChangedBy): Promise<{ version: number }> {
    return this.serial(async () => {
      const def = structuredClone(this.current.def);
      const list = def[kind] as unknown as Item[];
      const at = list.findIndex((x) => x.id === id);
      if (at < 0) throw new KairosError('not_found', `no ${kind.slice(0, -1)} "${id}"`);
      list.splice(at, 1);
      await this.apply(def, { action: 'delete', kind, id }, by);
      return { version: this.version };
    });
  }

  setPolicy(body: unknown, by: ChangedBy): Promise<{ version: number }> {
    return this.serial(async () => {
      if (!isRecord(body)) throw new KairosError('invalid', 'body must be a JSON object');
      const def = { ...structuredClone(this.current.def), policy: body as unknown as PolicyDef };
      await this.apply(def, { action: 'policy', kind: 'policy' }, by, { kind: 'policy' });
      return { version: this.version };
    });
  }

  /** Moves a campaign along its lifecycle (draft -> scheduled -> active <-> paused -> completed). */
  setStatus(id: string, status: unknown, by: ChangedBy): Promise<{ version: number; from: CampaignStatus; to: CampaignStatus }> {
    return this.serial(async () => {
      if (!isCampaignStatus(status)) throw new KairosError('invalid', `field "status": must be one of ${campaignStatuses.join(', ')}`);
      const def = structuredClone(this.current.def);
      const campaign = def.campaigns.find((c) => c.id === id);
      if (campaign === undefined) throw new KairosError('not_found', `no campaign "${id}"`);
      const from = campaign.status;
      const to = moveCampaign(from, status);
      if (to === undefined) throw new KairosError('conflict', `a ${from} campaign cannot become ${status}`);
      campaign.status = to;
      await this.apply(def, { action: 'status', kind: 'campaigns', id, detail: `${from} -> ${to}` }, by);
      return { version: this.version, from, to };
    });
  }

  /** Replaces the whole catalog (a reviewed catalog file). */
  replace(def: unknown, by: ChangedBy, source: string): Promise<{ version: number }> {
    return this.serial(async () => {
      if (!isRecord(def)) throw new KairosError('invalid', 'the catalog must be a map');
      // Before the copy, which recurses: a definition nested thousands of levels deep is refused, not a stack overflow.
      try {
        checkDefinitionBounds(def);
      } catch (err) {
        if (isInvalidDefinition(err)) throw new KairosError('invalid', err.message, { cause: err });
        throw err;
      }
      await this.apply(structuredClone(def) as unknown as CatalogDef, { action: 'replace', kind: 'catalog', detail: source }, by);
      return { version: this.version };
    });
  }

  async history(limit: number): Promise<AuditEntry[]> {
    return (await this.store.listMeta('audit/', limit)).map((e) => e.value as AuditEntry);
  }

  async atVersion(version: number): Promise<CatalogDef | undefined> {
    return (await this.store.getMeta(versionKey(version))) as CatalogDef | undefined;
  }

  /**
   * Takes a newer catalog another node stored (several nodes on a shared store): true when
   * it changed. Called every second on a shared store and before each change made here, so a
   * change builds on the latest version.
   */
  sync(): Promise<boolean> {
    return this.serial(() => this.syncNow());
  }

  private async syncNow(): Promise<boolean> {
    const stored = (await this.store.getMeta(CURRENT)) as CatalogDef | undefined;
    if (stored === undefined || stored.version <= this.current.version) return false;
    try {
      this.current = compileStored(stored, this.logger);
    } catch (err) {
      this.logger.error({ err, version: stored.version }, 'a catalog stored by another node does not compile here; keeping the current one');
      return false;
    }
    const last = await this.store.listMeta('audit/', 1);
    this.auditSeq = Math.max(this.auditSeq, (last[0]?.value as AuditEntry | undefined)?.seq ?? 0);
    this.logger.info({ version: this.current.version }, 'catalog changed by another node');
    return true;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.store.coordination.shared) await this.syncNow();
      return work();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Checks the next definition by compiling it whole, then stores and applies it. A problem
   * inside the item being changed names its field relative to the item (400); a problem
   * elsewhere (a campaign left pointing at a deleted offer) is a conflict (409).
   */
  private async apply(
    next: CatalogDef,
    audit: Pick<AuditEntry, 'action' | 'kind' | 'id' | 'detail'>,
    by: ChangedBy,
    focus?: { kind: CatalogKind; index: number } | { kind: 'policy' },
  ): Promise<void> {
    next.version = this.current.version + 1;
    let compiled: Catalog;
    try {
      compiled = compileCatalog(next);
    } catch (err) {
      if (!isInvalidDefinition(err)) throw err;
      const own = focus === undefined ? undefined : focus.kind === 'policy' ? 'policy' : `${focus.kind}[${focus.index}]`;
      if (own !== undefined && (err.path === own || err.path.startsWith(`${own}.`) || err.path.startsWith(`${own}[`))) {
        const field = err.path.slice(own.length).replace(/^\./, '');
        throw new KairosError('invalid', field === '' ? err.problem : `field "${field}": ${err.problem}`, { cause: err });
      }
      // A whole new catalog is simply invalid; a change that breaks another item conflicts with it.
      const code = audit.action === 'replace' ? 'invalid' : 'conflict';
      throw new KairosError(code, `${namePaths(next, err.path)}: ${err.problem}`, { cause: err });
    }
    for (const check of this.checks) check(compiled);
    const at = this.clock.now();
    const item = focus !== undefined && focus.kind !== 'policy' && audit.id !== undefined ? { kind: focus.kind, id: audit.id } : undefined;
    const extra = this.parts.flatMap((part) => part({ before: this.current, after: compiled, at, ...(item === undefined ? {} : { item }) }));
    await this.persist(next, audit, by, at, extra);
    this.current = compiled;
    let failed: { err: unknown; message: string } | undefined;
    for (const l of this.listeners) {
      try {
        l(compiled);
      } catch (err) {
        this.logger.error({ err, version: compiled.version }, 'a listener of catalog changes failed');
        failed ??= { err, message: err instanceof Error ? err.message : 'a listener failed' };
      }
    }
    // (stored, but not in force everywhere: said, not answered 200; the next change hands on the whole catalog again)
    if (failed !== undefined) {
      throw new KairosError('internal', `catalog version ${compiled.version} is stored but was not put in force everywhere: ${failed.message}`, { cause: failed.err });
    }
  }

  /**
   * Stores the version, the catalog in force and the audit entry in one commit (with what
   * `alsoStore` adds): all or none (three separate writes once left an audit entry for a
   * version whose write failed).
   */
  private async persist(def: CatalogDef, audit: Pick<AuditEntry, 'action' | 'kind' | 'id' | 'detail'>, by: ChangedBy, at = this.clock.now(), extra: ReadonlyArray<{ key: string; value: unknown }> = []): Promise<void> {
    const entry: AuditEntry = { seq: this.auditSeq + 1, at, by: typeof by === 'string' ? by : by.label, version: def.version, ...stripUndefined(audit) };
    const meta = [
      { key: versionKey(def.version), value: def },
      { key: CURRENT, value: def },
      { key: auditKey(entry.seq), value: entry },
      ...extra,
    ];
    if (typeof by === 'string') {
      await this.store.commit({ snapshots: [], identities: [], outbox: [], meta });
      // (no key made it, so no audit entry: the catalog's seed at a first start)
      this.logger.info({ ...entry }, 'catalog changed');
    } else {
      // logged with its audit entry (Store.onAudit)
      const target = audit.kind === 'catalog' || audit.kind === 'policy' ? audit.kind : `${audit.kind}/${audit.id ?? ''}`;
      const after = stripUndefined({ version: def.version, detail: audit.detail });
      await this.store.appendAudit({ at, who: { name: by.who.name, role: by.who.role }, action: `catalog.${audit.action}`, target, before: { version: this.current.version }, after }, { meta });
    }
    this.auditSeq = entry.seq;
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
