import type { Consent, CustomerContext, Profile } from '../../actors/index.js';

/**
 * The profile fields pooled: values many customers share. Not the names: the pool lives as
 * long as the process, and an erased customer's name must not stay behind in it.
 */
const POOLED_PROFILE_FIELDS = ['gender', 'job', 'marital', 'education', 'timezone', 'city'] as const satisfies ReadonlyArray<keyof Profile>;

/**
 * One copy of each short string many customers share, for what activation reads from the
 * store: a city, a job, "married", a time zone, a consent's source ("import"); not names. A
 * store hands back its own copies with every customer it decodes; with 10,000 live customers
 * that was ~380 bytes of duplicates each (load-tests/actor-memory.ts). Bounded: past `maxStrings`
 * distinct strings a new one is returned as it is (the pool keeps what came first, and the
 * shared values come early), and strings longer than `maxLength` are not pooled.
 *
 * Only memory: a pooled string and a decoded one are the same value to every reader.
 */
export class StringPool {
  private readonly pool = new Map<string, string>();

  constructor(
    private readonly maxStrings = 50_000,
    private readonly maxLength = 32,
  ) {}

  get size(): number {
    return this.pool.size;
  }

  /** The pooled copy of `s` (pooling it if there is room). */
  string(s: string): string {
    if (s.length > this.maxLength) return s;
    const pooled = this.pool.get(s);
    if (pooled !== undefined) return pooled;
    if (this.pool.size < this.maxStrings) this.pool.set(s, s);
    return s;
  }

  /** A copy of the profile with its categorical fields pooled (the same object when it has none). */
  profile(p: Profile): Profile {
    let out: Record<string, unknown> | undefined;
    for (const k of POOLED_PROFILE_FIELDS) {
      const v = p[k];
      if (typeof v !== 'string') continue;
      out ??= { ...p };
      out[k] = this.string(v);
    }
    return (out as Profile | undefined) ?? p;
  }

  /** A copy of the consents with their sources pooled. */
  consents(c: Record<string, Consent>): Record<string, Consent> {
    const out: Record<string, Consent> = {};
    for (const [channel, consent] of Object.entries(c)) {
      out[channel] = typeof consent === 'object' && consent !== null && typeof consent.source === 'string' ? { ...consent, source: this.string(consent.source) } : consent;
    }
    return out;
  }

  /** A restored context with its profile and consents pooled. */
  context(ctx: CustomerContext): CustomerContext {
    const profile = typeof ctx.profile === 'object' && ctx.profile !== null ? this.profile(ctx.profile) : ctx.profile;
    const consents = typeof ctx.consents === 'object' && ctx.consents !== null ? this.consents(ctx.consents) : ctx.consents;
    return { ...ctx, profile, consents };
  }
}
