// GET /v1/listings?list=&limit=&cursor=&source=&expiresBefore=&expiresAfter=
//
// Walks one list through the byList index: its BY_LIST_BUCKETS buckets one after the other, each in
// network order (so the order is by bucket, then network: stable, but not one global order). The
// filters run in DynamoDB (FilterExpression), after each Query's Limit: a page can hold fewer than
// `limit` items, even none, while a cursor remains; the cursor always moves past everything read,
// so a walk always progresses and ends. The cursor is opaque (base64url JSON: bucket + key).
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { InputError } from '../core/input-error.js';
import { findList } from '../core/listing.js';
import { BY_LIST_BUCKETS } from '../adapters/table-schema.js';
import type { StoredListing } from '../adapters/listings-table.js';
import type { ApiDeps } from './deps.js';
import { ApiError, jsonResult, type Problem, problemOf, quote } from './errors.js';
import { queryParams } from './request.js';
import type { RequestContext, Route } from './router.js';
import { browseQuerySchema, parseWith } from './schemas.js';
import { parseIsoTime } from './validate.js';
import { listingView } from './views.js';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
/** Queries one request may make (filters that remove most items would otherwise read a whole list). */
const MAX_QUERIES_PER_PAGE = 25;
const PAGE_TIME_BUDGET_MS = 5_000;

const keySchema = z.object({ pk: z.string(), sk: z.string(), gsi1pk: z.string(), gsi1sk: z.string() }).strict();
const cursorSchema = z
  .object({ v: z.literal(1), l: z.string(), b: z.number().int().min(0).max(BY_LIST_BUCKETS - 1), k: keySchema.optional() })
  .strict();
type Cursor = z.infer<typeof cursorSchema>;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function badCursor(why: string): ApiError {
  return new ApiError(400, 'invalid-cursor', `cursor is not a cursor of this walk (${why}); start again without one`, 'cursor');
}

export function decodeCursor(text: string, list: string): Cursor {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(text)) throw badCursor('not base64url');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badCursor('undecodable');
  }
  const r = cursorSchema.safeParse(value);
  if (!r.success) throw badCursor('malformed');
  const c = r.data;
  if (c.l !== list) throw badCursor(`it belongs to list ${quote(c.l, 31)}`);
  if (c.k && (c.k.gsi1pk !== `${list}#${c.b.toString().padStart(2, '0')}` || !c.k.pk.startsWith('N#'))) throw badCursor('malformed');
  return c;
}

/** "1".."1000" -> number. */
export function parseLimit(text: string | undefined, field = 'limit'): number {
  if (text === undefined) return DEFAULT_PAGE;
  if (!/^[1-9][0-9]{0,3}$/.test(text) || Number(text) > MAX_PAGE) {
    throw new ApiError(400, 'invalid-value', `${field} ${quote(text, 20)} is not a whole number from 1 to ${MAX_PAGE}`, field);
  }
  return Number(text);
}

export function browseRoutes(deps: ApiDeps): Route[] {
  const handler = async (ctx: RequestContext): Promise<APIGatewayProxyResult> => {
    const parsed = parseWith(browseQuerySchema, queryParams(ctx.event), 'query');
    if (!parsed.ok) throw ApiError.fromProblems(400, parsed.problems);
    const q = parsed.value;
    const problems: Problem[] = [];
    if (!findList(deps.cfg, q.list)) {
      problems.push({
        code: 'unknown-list',
        message: `list ${quote(q.list)} is not a configured list; configured lists: ${deps.cfg.lists.map((l) => l.name).join(', ')}`,
        field: 'list',
      });
    }
    const limit = parseLimit(q.limit);
    const filter: { parts: string[]; names: Record<string, string>; values: Record<string, unknown> } = { parts: [], names: {}, values: {} };
    if (q.source !== undefined) {
      filter.parts.push('#source = :source');
      filter.names['#source'] = 'source';
      filter.values[':source'] = q.source;
    }
    for (const [field, op, value] of [
      ['expiresBefore', '<', q.expiresBefore],
      ['expiresAfter', '>', q.expiresAfter],
    ] as const) {
      if (value === undefined) continue;
      try {
        filter.values[`:${field}`] = parseIsoTime(value, field);
        filter.parts.push(`#expiresAt ${op} :${field}`);
        filter.names['#expiresAt'] = 'expiresAt';
      } catch (e) {
        if (e instanceof InputError) problems.push(problemOf(e));
        else throw e;
      }
    }
    if (problems.length > 0) throw ApiError.fromProblems(400, problems);
    const cursor = q.cursor !== undefined ? decodeCursor(q.cursor, q.list) : { v: 1 as const, l: q.list, b: 0 };
    const hasFilter = filter.parts.length > 0;

    const items: StoredListing[] = [];
    let bucket = cursor.b;
    let startKey: Record<string, unknown> | undefined = cursor.k;
    const deadline = Date.now() + PAGE_TIME_BUDGET_MS;
    for (let queries = 0; bucket < BY_LIST_BUCKETS && items.length < limit; queries++) {
      if (queries >= MAX_QUERIES_PER_PAGE || Date.now() > deadline) break;
      const want = limit - items.length;
      const page = await deps.table.pageByList(q.list, bucket, {
        // Without a filter exactly `want` items are read; with one, read more per query and cut.
        limit: hasFilter ? Math.min(MAX_PAGE, Math.max(want, 200)) : want,
        ...(startKey ? { startKey } : {}),
        ...(hasFilter ? { filter: { expression: filter.parts.join(' AND '), names: filter.names, values: filter.values } } : {}),
      });
      let cut: Record<string, unknown> | undefined;
      for (const it of page.items) {
        if (items.length >= limit) break;
        items.push(it.listing);
        cut = it.key;
      }
      if (items.length >= limit && page.items.length > want) {
        startKey = cut; // more matches were read than fit: resume after the last one shown
      } else if (page.next) {
        startKey = page.next;
      } else {
        bucket++;
        startKey = undefined;
      }
    }
    const nowSeconds = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
    const next = bucket < BY_LIST_BUCKETS ? encodeCursor({ v: 1, l: q.list, b: bucket, ...(startKey ? { k: startKey as Cursor['k'] & object } : {}) }) : undefined;
    return jsonResult(200, { list: q.list, items: items.map((l) => listingView(l, nowSeconds)), ...(next ? { cursor: next } : {}) });
  };
  return [{ method: 'GET', path: '/v1/listings', handler }];
}
