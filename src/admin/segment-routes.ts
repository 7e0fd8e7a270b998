import { csvField } from '../csv-field.js';
import { Type } from '@sinclair/typebox';
import type { CatalogService } from '../catalog/catalog-service.js';
import { KairosError } from '../errors.js';
import { route } from '../schema/http/bind-route.js';
import { Limit, PathId } from '../schema/http/common-schemas.js';
import { operation } from '../schema/http/operation.js';
import type { DraftCounts } from '../runtime/draft-count.js';
import type { Store } from '../store/store.js';
import type { Route } from '../transport/http.js';

/**
 * A segment's members, from the store's member index (written with each customer's commit):
 * listed by page in customer id order, or exported whole as CSV. Customer ids only: no
 * personal data, so the marketer role may read them.
 */
export interface SegmentRouteDeps {
  catalogs: CatalogService;
  /** the member index (on a node with shards, every shard's merged in id order) */
  store: Pick<Store, 'listSegmentMembers'>;
  /** draft rules counted over the whole base (`POST /v1/segments/count`) */
  counts: DraftCounts;
}

/** Members read from the store per step of a CSV export. */
const EXPORT_PAGE = 10_000;

const segmentParams = Type.Object({ id: PathId('the segment id') });

const MembersQuery = Type.Object({
  limit: Type.Optional(Limit(10_000)),
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: "the page's cursor: the `next` of the page before (a customer id)" })),
});

const MembersReply = Type.Object(
  {
    segment: Type.String(),
    members: Type.Array(Type.String({ description: 'a customer id' }), { description: 'in customer id order' }),
    next: Type.Optional(Type.String({ description: 'the cursor of the next page (`after`); absent on the last page' })),
  },
  { $id: 'SegmentMembers' },
);

const MembersCsv = Type.String({ description: 'RFC 4180 CSV: a header row `customer`, then one customer id a line, CRLF, in id order' });

export const segmentMembersOperation = operation({
  operationId: 'listSegmentMembers',
  method: 'get',
  path: '/v1/segments/:id/members',
  summary: "A segment's members (customer ids), by page in id order; the whole list as CSV with Accept: text/csv",
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: segmentParams,
  query: MembersQuery,
  responses: {
    200: {
      description: 'a page of members (JSON), or all of them as a CSV file (Accept: text/csv; limit and after ignored)',
      schema: MembersReply,
      media: { 'text/csv': MembersCsv },
      headers: { 'Content-Disposition': { description: 'attachment; filename="kairos-segment-<id>.csv" (CSV only)', schema: Type.String() } },
    },
  },
  errors: ['invalid', 'not_found'],
});

export const segmentMembersCsvOperation = operation({
  operationId: 'exportSegmentMembers',
  method: 'get',
  path: '/v1/segments/:id/members.csv',
  summary: "All of a segment's members (customer ids) as a CSV file",
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: segmentParams,
  responses: {
    200: {
      description: 'the CSV file',
      schema: MembersCsv,
      media: { 'text/csv': MembersCsv },
      headers: { 'Content-Disposition': { description: 'attachment; filename="kairos-segment-<id>.csv"', schema: Type.String() } },
    },
  },
  errors: ['not_found'],
});

const CountBody = Type.Object(
  {
    rule: Type.Unknown({ description: "the draft segment's rule, as a segment's `rule` (features and scores; no other segment): {attr, op, value}, or {all}, {any}, {not}" }),
  },
  { $id: 'DraftCountRequest', additionalProperties: false },
);

const CountJob = Type.Object(
  {
    job: Type.String({ description: 'the count\'s id, to poll or cancel it' }),
    state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('cancelled'), Type.Literal('failed')]),
    scanned: Type.Integer({ description: 'customers looked at so far (snapshots and imported master data)' }),
    matched: Type.Integer({ description: 'of them, those the rule holds for: the draft segment\'s size when `done`' }),
    startedAt: Type.Integer({ description: 'epoch ms, by the server clock' }),
    finishedAt: Type.Optional(Type.Integer()),
    error: Type.Optional(Type.String()),
  },
  { $id: 'DraftCount' },
);

const jobParams = Type.Object({ job: PathId('the count\'s id') });

export const startCountOperation = operation({
  operationId: 'countDraftSegment',
  method: 'post',
  path: '/v1/segments/count',
  summary: 'Count a draft rule over every stored customer before it is saved: starts a scan in the background (202); poll GET /v1/segment-counts/{job} for its progress',
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  body: { schema: CountBody, media: ['application/json'] },
  responses: { 202: { description: 'the count, started', schema: CountJob } },
  errors: ['invalid', 'conflict'],
});

export const getCountOperation = operation({
  operationId: 'getDraftSegmentCount',
  method: 'get',
  path: '/v1/segment-counts/:job',
  summary: "A draft rule's count: its progress, and the size once done",
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: jobParams,
  responses: { 200: { description: 'the count', schema: CountJob } },
  errors: ['not_found'],
});

export const cancelCountOperation = operation({
  operationId: 'cancelDraftSegmentCount',
  method: 'delete',
  path: '/v1/segment-counts/:job',
  summary: 'Stop a running count (it stays readable as cancelled)',
  tag: 'catalog',
  auth: 'admin',
  roles: ['marketer'],
  params: jobParams,
  responses: { 200: { description: 'the count', schema: CountJob } },
  errors: ['not_found'],
});

export const segmentOperations = [segmentMembersOperation, segmentMembersCsvOperation, startCountOperation, getCountOperation, cancelCountOperation] as const;

export function segmentRoutes(d: SegmentRouteDeps): Route[] {
  const known = (id: string): void => {
    if (!d.catalogs.catalog.segments.some((s) => s.id === id)) throw new KairosError('not_found', `no segment "${id}"`);
  };
  const csv = async (id: string) => {
    const lines = ['customer'];
    let after: string | undefined;
    for (;;) {
      const page = await d.store.listSegmentMembers(id, EXPORT_PAGE, after);
      for (const c of page) lines.push(csvField(c));
      if (page.length < EXPORT_PAGE) break;
      after = page.at(-1);
    }
    return { raw: { status: 200, contentType: 'text/csv; charset=utf-8', body: `${lines.join('\r\n')}\r\n`, headers: { 'Content-Disposition': `attachment; filename="kairos-segment-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.csv"` } } };
  };
  return [
    route(segmentMembersOperation, async ({ params: { id }, query, call }) => {
      known(id);
      if (call.accept.includes('text/csv')) return csv(id);
      const limit = query.limit ?? 100;
      const members = await d.store.listSegmentMembers(id, limit, query.after);
      const last = members.at(-1);
      return { status: 200, body: { segment: id, members, ...(members.length === limit && last !== undefined ? { next: last } : {}) } };
    }),
    route(segmentMembersCsvOperation, ({ params: { id } }) => {
      known(id);
      return csv(id);
    }),
    route(startCountOperation, ({ body }) => ({ status: 202, body: d.counts.start(body.rule) })),
    route(getCountOperation, ({ params: { job } }) => {
      const j = d.counts.get(job);
      if (j === undefined) throw new KairosError('not_found', `no count "${job}"`);
      return { status: 200, body: j };
    }),
    route(cancelCountOperation, ({ params: { job } }) => {
      const j = d.counts.cancel(job);
      if (j === undefined) throw new KairosError('not_found', `no count "${job}"`);
      return { status: 200, body: j };
    }),
  ];
}
