import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { EpochMs, Limit } from './common-schemas.js';

/** A conflict's status: declared once here (the record's type, the list's filter, the docs). */
export const IdentityConflictStatus = Type.Union([Type.Literal('open'), Type.Literal('dismissed'), Type.Literal('merged')], {
  description: 'open: to review; dismissed: reviewed, the identifier stays with its holder; merged: resolved by a merge of its two customers (into: the survivor)',
});
export type IdentityConflictStatus = Static<typeof IdentityConflictStatus>;

/** Identity conflicts as the admin API shows them (src/runtime/identity-conflicts.ts keeps them). */
export const IdentityConflictSchema = Type.Object(
  {
    id: Type.String({ description: "the conflict's id: one per identifier and pair of customers" }),
    kind: Type.Union([Type.Literal('card'), Type.Literal('phone'), Type.Literal('email'), Type.Literal('cookie')], { description: 'the kind of identifier' }),
    identifier: Type.String({ description: 'the identifier, masked' }),
    identifierHash: Type.String({
      description: "the stop list's key of the identifier: the first 40 hex digits of an HMAC-SHA-256 of it under the stop list's secret (KAIROS_STOP_LIST_SECRET), not a plain hash",
    }),
    holder: Type.String({ description: 'the customer the identifier is linked to, and stays linked to' }),
    claimant: Type.String({ description: 'the customer the events naming it were decided for (by a stronger identifier)' }),
    firstAt: EpochMs('when an event first named it so'),
    lastAt: EpochMs('when an event last named it so'),
    count: Type.Integer({ minimum: 1, description: 'how many events named it so' }),
    status: IdentityConflictStatus,
    dismissedAt: Type.Optional(EpochMs('when it was dismissed')),
    mergedAt: Type.Optional(EpochMs('when a merge of its two customers resolved it (status merged)')),
    into: Type.Optional(Type.String({ description: 'the survivor of that merge (status merged); holder and claimant are kept as they were' })),
  },
  { $id: 'IdentityConflict', description: 'an identifier an event named for one customer while it is linked to another: not relinked' },
);

export const IdentityConflictsQuery = Type.Object({
  limit: Type.Optional(Limit(1000)),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9a-f]{24}$', patternMessage: 'must be the next of the page before', description: 'the next of the page before' })),
  status: Type.Optional({ ...IdentityConflictStatus, description: 'only conflicts of this status' }),
});

export const IdentityConflictsReply = Type.Object(
  {
    conflicts: Type.Array(IdentityConflictSchema),
    next: Type.Optional(Type.String({ description: 'the cursor of the next page, when more may follow' })),
  },
  { $id: 'IdentityConflictPage' },
);

export const MergeRequest = Type.Object(
  { from: Type.String({ minLength: 1, maxLength: 300, description: 'the id of the profile merged away (the loser): it forwards to the survivor from then on' }) },
  { additionalProperties: false, $id: 'MergeRequest' },
);

const ProfileSizes = Type.Object({
  identifiers: Type.Integer(),
  contacts: Type.Integer(),
  pending: Type.Integer(),
  responses: Type.Integer(),
  consents: Type.Integer(),
});

export const MergeReply = Type.Object(
  {
    into: Type.String({ description: 'the survivor' }),
    from: Type.String({ description: 'the loser, forwarding to the survivor' }),
    at: EpochMs('when the merge was committed (server clock)'),
    counts: Type.Object(
      {
        identifiers: Type.Integer({ description: "the loser's identifiers the survivor did not have" }),
        contacts: Type.Integer(),
        pending: Type.Integer(),
        responses: Type.Integer(),
        features: Type.Integer(),
        segments: Type.Integer(),
        consents: Type.Integer({ description: "channels whose consent decision the loser's replaced" }),
        profileFields: Type.Integer({ description: 'profile fields the survivor had empty and took from the loser' }),
      },
      { description: "what the loser's profile brought" },
    ),
    before: Type.Object({ into: ProfileSizes, from: ProfileSizes }),
    after: ProfileSizes,
  },
  { $id: 'Merge', description: 'what a merge changed: the two ids, what it combined, the sizes before and after' },
);
