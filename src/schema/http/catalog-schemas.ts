import type { Static, TSchema } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { auditActions, auditKinds } from '../../catalog/catalog-service.js';
import type { CatalogKind } from '../../catalog/catalog-service.js';
import type { TObject } from '@sinclair/typebox';
import { CampaignDefSchema, CampaignStatusSchema, CatalogDefSchema as BrainCatalogDefSchema, FeatureDefSchema, GatewayEventSchema, OfferDefSchema, PartnerDefSchema, PlaceDefSchema, PolicyDefSchema, SegmentDefSchema, TemplateDefSchema } from '../../../actors/index.js';
import { AnyMap, EpochMs } from './common-schemas.js';

/**
 * The catalog's definitions as the admin API takes and gives them: the brain's schemas
 * (actors/catalog/definition-schema.ts, declared once), each named as a component. The
 * catalog service checks a body with the same schemas when it compiles the catalog (naming
 * the field), so the routes taking them do not check them a second time (`checkedBy`).
 */

/** One item of a kind: the brain's per-kind schema, its id optional in a body (the path's when absent). */
const item = (kind: CatalogKind, schema: TObject): TSchema =>
  Type.Object(
    { ...schema.properties, id: Type.Optional({ ...(schema.properties['id'] as TSchema), description: "the item's id; the path's when absent" }) },
    { $id: kindNoun(kind), description: schema.description, additionalProperties: schema.additionalProperties },
  );

export const catalogItemSchemas: Readonly<Record<CatalogKind, TSchema>> = {
  features: item('features', FeatureDefSchema),
  segments: item('segments', SegmentDefSchema),
  offers: item('offers', OfferDefSchema),
  campaigns: item('campaigns', CampaignDefSchema),
  partners: item('partners', PartnerDefSchema),
  places: item('places', PlaceDefSchema),
};

/** The singular noun of a kind, capitalised, for operation ids: `features` -> `Feature`. */
export function kindNoun(kind: CatalogKind): string {
  return `${kind.charAt(0).toUpperCase()}${kind.slice(1, -1)}`;
}

/** A segment as `GET /v1/segments/{id}` gives it: its definition, its size now and at the end of each recent day. */
export const SegmentReply: TSchema = Type.Object(
  {
    ...(catalogItemSchemas.segments as TObject).properties,
    size: Type.Integer({ minimum: 0, description: 'how many customers are in it now, kept live as members enter and leave' }),
    sizeHistory: Type.Array(
      Type.Object({ day: Type.String({ description: 'YYYY-MM-DD (UTC, the server clock)' }), size: Type.Integer({ description: 'the size at the end of that day (now, for today)' }) }),
      { description: 'the last 30 days, oldest first, today last; days before the first change counted are left out' },
    ),
  },
  { $id: 'SegmentWithSize', description: 'a segment with its size', additionalProperties: false },
);

export const PolicySchema: TSchema = { ...PolicyDefSchema, $id: 'Policy' };

export const TemplateSchema = { ...TemplateDefSchema, $id: 'Template' };

export const CatalogDefSchema: TSchema = { ...BrainCatalogDefSchema, $id: 'Catalog' };

export const CatalogYaml = Type.String({ description: 'the catalog as a YAML file (demo/catalog.yaml)' });

export const ItemsReply = (kind: CatalogKind) =>
  Type.Object({ version: Type.Integer(), items: Type.Array(catalogItemSchemas[kind]) }, { $id: `${kindNoun(kind)}List` });

export const PutItemReply = Type.Object({ version: Type.Integer(), created: Type.Boolean({ description: 'true when the item is new (201)' }) }, { $id: 'PutItem' });

export const StatusMoveSchema = Type.Object(
  { status: { ...CampaignStatusSchema, description: 'the status to move to' } },
  { $id: 'StatusMove' },
);

export const StatusMoveReply = Type.Object({ version: Type.Integer(), from: Type.String(), to: Type.String() }, { $id: 'StatusMoved' });

export const AuditEntrySchema = Type.Object(
  {
    seq: Type.Integer(),
    at: EpochMs(),
    by: Type.String({ description: 'a label of the key that made the change' }),
    action: Type.Union(auditActions.map((a) => Type.Literal(a))),
    kind: Type.Optional(Type.Union(auditKinds.map((k) => Type.Literal(k)), { description: 'the kind of item changed, the policy, or the whole catalog' })),
    id: Type.Optional(Type.String()),
    version: Type.Integer({ description: 'the version the change made' }),
    detail: Type.Optional(Type.String()),
  },
  { $id: 'AuditEntry' },
);

/** One change in the catalog's audit trail: who, when, what. */
export type AuditEntry = Static<typeof AuditEntrySchema>;

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
