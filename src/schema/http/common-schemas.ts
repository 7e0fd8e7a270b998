import { Type } from '@sinclair/typebox';

/**
 * Small schemas the admin operations share: identifiers in paths, paging, and the replies of
 * catalog changes. A path parameter's `pattern` also constrains what its route matches.
 */

/** An identifier in a path: decoded, at most MAX_PATH_SEGMENT_LENGTH characters (the router checks). */
export const PathId = (description: string) => Type.String({ minLength: 1, maxLength: 300, description });

/** A channel name in a path: lower-case letters (`sms`, `email`, `backoffice`…). */
export const ChannelParam = Type.String({ pattern: '^[a-z]+$', patternMessage: 'must be a channel: lower-case letters only', description: 'a channel: sms, email, push, ib, atm, backoffice, …' });

export const EpochMs = (description = 'epoch milliseconds') => Type.Integer({ description });

/** `limit` of a listing: 1 to `max`, 100 when absent. */
export const Limit = (max: number) => Type.Integer({ minimum: 1, maximum: max, default: 100, description: `how many entries, 1 to ${max} (100 by default)` });

/** The catalog version a change made. */
export const VersionReply = Type.Object(
  { version: Type.Integer({ description: 'the catalog version now in force' }) },
  { $id: 'Version', description: 'the catalog version a change made' },
);

/** A free-form map of values (event data, profile, template variables). */
export const AnyMap = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });
