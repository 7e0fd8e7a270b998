import type { TSchema } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { catalogKinds } from '../../catalog/catalog-service.js';
import type { CatalogKind } from '../../catalog/catalog-service.js';
import { GatewayEventSchema } from '../../../actors/index.js';
import { AnyMap, EpochMs } from './common-schemas.js';

/**
 * The catalog's definitions as the admin API takes and gives them. The definitions
 * themselves are declared by the brain (actors/catalog/): until they are merged in, each kind
 * is an open object here, and the catalog service checks it in full (naming the field).
 */

/** One item of a kind: what the brain's per-kind schema declares. */
const item = (kind: CatalogKind, description: string): TSchema =>
  // MERGE: brain CatalogDefSchema (the per-kind schema of this kind)
  Type.Object({ id: Type.Optional(Type.String({ description: "the item's id; the path's when absent" })) }, { $id: `${kind.charAt(0).toUpperCase()}${kind.slice(1, -1)}`, additionalProperties: true, description });

export const catalogItemSchemas: Readonly<Record<CatalogKind, TSchema>> = {
  features: item('features', 'a windowed aggregate of events (docs/catalog.md)'),
  segments: item('segments', 'a named rule over profile, features and events'),
  offers: item('offers', 'an offer with its templates per channel'),
  campaigns: item('campaigns', 'a campaign: trigger, target groups, channels, offer'),
  partners: item('partners', 'a partner place for near triggers'),
  places: item('places', "one of the bank's places (branches, ATMs)"),
};

/** The singular noun of a kind, capitalised, for operation ids: `features` -> `Feature`. */
export function kindNoun(kind: CatalogKind): string {
  return `${kind.charAt(0).toUpperCase()}${kind.slice(1, -1)}`;
}

export { catalogKinds };

export const PolicySchema =
  // MERGE: brain CatalogDefSchema (its policy schema)
  Type.Object(
    { defaultTimezone: Type.Optional(Type.String()), caps: Type.Optional(Type.Array(Type.Unknown())), maxActions: Type.Optional(Type.Integer()) },
    { $id: 'Policy', additionalProperties: true, description: 'the contact policy: caps, quiet hours, recency, learning… (docs/catalog.md)' },
  );

export const TemplateSchema =
  // MERGE: brain CatalogDefSchema (its template schema)
  Type.Object(
    { title: Type.Optional(Type.String()), text: Type.Optional(Type.String()), subject: Type.Optional(Type.String()), html: Type.Optional(Type.String()) },
    { $id: 'Template', additionalProperties: true, description: "one channel's template of an offer" },
  );

export const CatalogDefSchema =
  // MERGE: brain CatalogDefSchema
  Type.Object(
    {
      version: Type.Optional(Type.Integer({ description: 'the version (set by the server)' })),
      features: Type.Optional(Type.Array(catalogItemSchemas.features)),
      segments: Type.Optional(Type.Array(catalogItemSchemas.segments)),
      offers: Type.Optional(Type.Array(catalogItemSchemas.offers)),
      campaigns: Type.Optional(Type.Array(catalogItemSchemas.campaigns)),
      partners: Type.Optional(Type.Array(catalogItemSchemas.partners)),
      places: Type.Optional(Type.Array(catalogItemSchemas.places)),
      policy: Type.Optional(PolicySchema),
    },
    { $id: 'Catalog', additionalProperties: true, description: 'the whole catalog (docs/catalog.md)' },
  );

export const CatalogYaml = Type.String({ description: 'the catalog as a YAML file (demo/catalog.yaml)' });

export const ItemsReply = (kind: CatalogKind) =>
  Type.Object({ version: Type.Integer(), items: Type.Array(catalogItemSchemas[kind]) }, { $id: `${kindNoun(kind)}List` });

export const PutItemReply = Type.Object({ version: Type.Integer(), created: Type.Boolean({ description: 'true when the item is new (201)' }) }, { $id: 'PutItem' });

export const StatusMoveSchema = Type.Object(
  { status: Type.Union(['draft', 'scheduled', 'active', 'paused', 'completed'].map((s) => Type.Literal(s)), { description: 'the status to move to' }) },
  { $id: 'StatusMove' },
);

export const StatusMoveReply = Type.Object({ version: Type.Integer(), from: Type.String(), to: Type.String() }, { $id: 'StatusMoved' });

export const AuditEntrySchema = Type.Object(
  {
    seq: Type.Integer(),
    at: EpochMs(),
    by: Type.String({ description: 'a label of the key that made the change' }),
    action: Type.Union(['seed', 'create', 'update', 'delete', 'status', 'policy', 'replace'].map((a) => Type.Literal(a))),
    kind: Type.Optional(Type.String()),
    id: Type.Optional(Type.String()),
    version: Type.Integer({ description: 'the version the change made' }),
    detail: Type.Optional(Type.String()),
  },
  { $id: 'AuditEntry' },
);

export const HistoryReply = Type.Object({ entries: Type.Array(AuditEntrySchema) }, { $id: 'History' });

export const PreviewBodySchema = Type.Object(
  {
    customer: Type.Optional(Type.String({ description: 'the customer to render for (a sample one when absent)' })),
    type: Type.Optional({ ...GatewayEventSchema.properties.type, description: "the event type (the campaign's first trigger event by default)" }),
    at: GatewayEventSchema.properties.at,
    data: GatewayEventSchema.properties.data,
  },
  { $id: 'PreviewRequest', additionalProperties: true },
);

export const PreviewReply = Type.Object(
  {
    campaign: Type.String(),
    customer: Type.String(),
    previews: Type.Array(
      Type.Object({
        channel: Type.String(),
        content: Type.Optional(AnyMap('the rendered message')),
        sms: Type.Optional(Type.Object({ encoding: Type.String(), parts: Type.Integer() }, { additionalProperties: true })),
        problem: Type.Optional(Type.String({ description: 'why the message cannot be rendered' })),
      }),
    ),
  },
  { $id: 'Preview' },
);
