// Writes: POST /v1/listings, /v1/delistings, /v1/exclusions, /v1/exclusions/delete.
//
// A batch is validated as a whole first (nothing is written if any item is bad). The stored entries
// are then read and checked: an "ifVersion" that does not match, or a listing/exclusion that would
// replace an entry of the other kind at the same network, is a 409 before anything is written
// (every other item "not-applied"). An entry is never silently turned into the other kind: an
// exclusion over a listing would lose the listing (and `exclude --remove` would then delete it for
// good); the caller removes the existing entry first, on purpose. Then every
// item is applied on its own, 8 at a time: read the current entry, decide, and write it together
// with its audit event in one conditional transaction (on `version`, or "must not exist"). If the
// entry changed meanwhile, the item's intent is re-applied to what is there now, a bounded number
// of times: no update is ever lost. Re-listing with identical content writes nothing ("unchanged").
// An item whose expiresAt/duration is absent makes the entry permanent: an item states what the
// entry should be, not a patch. Versions never repeat for a (list, network), even across a delist
// (the journal's version counter, see Journal.versionCounterKey), so a stale ifVersion never
// matches a re-created entry. Every 409 of a batch has the same body: the error and `items`.
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { z, ZodTypeAny } from 'zod';
import { ConflictError, nextVersion, type StoredListing } from '../adapters/listings-table.js';
import { formatNetwork } from '../core/ip.js';
import { isActive, type Listing } from '../core/listing.js';
import type { ApiDeps } from './deps.js';
import { ApiError, jsonResult, type Problem, quote } from './errors.js';
import { withIdempotency } from './idempotency.js';
import { checkQuota } from './quota-check.js';
import { readJsonBody } from './request.js';
import type { RequestContext, Route } from './router.js';
import { MAX_ITEMS, parseBatch, removeBodySchema, upsertBodySchema } from './schemas.js';
import { type RemoveIntent, type UpsertIntent, validateRemovals, validateUpserts } from './validate.js';
import { auditState } from './views.js';

export type WriteStatus = 'created' | 'updated' | 'unchanged' | 'delisted' | 'not-listed' | 'removed' | 'not-excluded' | 'conflict' | 'not-applied';

export interface WriteResult {
  list: string;
  network: string;
  status: WriteStatus;
  version: number | null;
  note?: string;
}

interface Outcome {
  result: WriteResult;
  /** Set when the item could not be applied (status "conflict"). */
  problem?: Problem;
}

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_ATTEMPTS = 20;

/** Runs `f` over `items`, at most `concurrency` at a time; results in item order. */
export async function mapPool<T, R>(items: readonly T[], concurrency: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

function backoff(attempt: number): Promise<void> {
  // Full jitter: contenders spread out instead of colliding again in lock step.
  const ms = Math.random() * Math.min(250, 4 * 2 ** attempt);
  return new Promise((r) => setTimeout(r, ms));
}

function describe(list: string, network: string): string {
  return `${network} in list ${list}`;
}

function versionProblem(index: number, list: string, network: string, want: number, have: StoredListing | undefined): Problem {
  const now = have ? `is at version ${have.version}` : 'does not exist (version 0)';
  return {
    code: 'version-mismatch',
    message: `items[${index}]: ${describe(list, network)} ${now}, not ifVersion ${want}; read it again and decide`,
    field: `items[${index}].ifVersion`,
  };
}

/** An upsert meeting a live entry of the other kind at the same network: refused, never replaced. */
function kindProblem(index: number, list: string, network: string, have: StoredListing): Problem {
  const what = `version ${have.version}, reason ${quote(have.reason)}`;
  if (have.exclusion) {
    return {
      code: 'exists-as-exclusion',
      message:
        `items[${index}]: ${network} is an exclusion in list ${list} (${what}); listing it would replace that exclusion. ` +
        'Remove the exclusion first (POST /v1/exclusions/delete, or dnsbl exclude --remove), then list it',
      field: `items[${index}].network`,
    };
  }
  return {
    code: 'exists-as-listing',
    message:
      `items[${index}]: ${network} is itself listed in list ${list} (${what}); an exclusion would replace that listing. ` +
      'To stop listing it, delist it (POST /v1/delistings, or dnsbl delist); an exclusion is a hole inside a wider listing: to exclude this network anyway, delist it first',
    field: `items[${index}].network`,
  };
}

function gaveUp(index: number, list: string, network: string, attempts: number): Problem {
  return {
    code: 'conflict',
    message: `items[${index}]: ${describe(list, network)} kept changing under ${attempts} attempts; try again`,
    field: `items[${index}]`,
  };
}

class Writer {
  private readonly concurrency: number;
  private readonly attempts: number;

  constructor(
    private readonly deps: ApiDeps,
    private readonly caller: string,
  ) {
    this.concurrency = deps.writeConcurrency ?? DEFAULT_CONCURRENCY;
    this.attempts = deps.maxAttempts ?? DEFAULT_ATTEMPTS;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The current state of every item, read in batches (each item re-reads on its own after a conflict). */
  async current(intents: ReadonlyArray<UpsertIntent | RemoveIntent>): Promise<Array<StoredListing | undefined>> {
    return this.deps.table.getMany(intents);
  }

  /** The stored entry if it still answers (an expired one may be replaced by anything). */
  private live(cur: StoredListing | undefined): StoredListing | undefined {
    return cur && isActive(cur, Math.floor(this.now().getTime() / 1000)) ? cur : undefined;
  }

  /** The problem that keeps an item from being applied to `cur`, if any. */
  private refusal(it: UpsertIntent | RemoveIntent, cur: StoredListing | undefined, upsert: boolean): Problem | undefined {
    const network = formatNetwork(it.network);
    if (it.ifVersion !== undefined && (cur?.version ?? 0) !== it.ifVersion) return versionProblem(it.index, it.list, network, it.ifVersion, cur);
    const live = upsert ? this.live(cur) : undefined;
    if (live && live.exclusion !== it.exclusion) return kindProblem(it.index, it.list, network, live);
    return undefined;
  }

  /**
   * 409 before anything is written if an item cannot be applied to what is stored (ifVersion, or an
   * entry of the other kind). The body is the same as a 409 found while writing: the problems and
   * `items` (refused items "conflict", the others "not-applied").
   */
  check(intents: ReadonlyArray<UpsertIntent | RemoveIntent>, current: ReadonlyArray<StoredListing | undefined>, upsert: boolean): void {
    const problems: Problem[] = [];
    const items: WriteResult[] = intents.map((it, i) => {
      const problem = this.refusal(it, current[i], upsert);
      if (problem) problems.push(problem);
      return { list: it.list, network: formatNetwork(it.network), status: problem ? 'conflict' : 'not-applied', version: current[i]?.version ?? null };
    });
    if (problems.length > 0) throw ApiError.fromProblems(409, problems, items);
  }

  /**
   * Optimistic write of one item: `attempt` gets the stored state (the batch read first, a fresh
   * read after a conflict) and returns the outcome, or throws ConflictError when its conditional
   * write found the item changed meanwhile; then it is tried again, a bounded number of times.
   * An ifVersion that does not match is a conflict outcome without writing.
   */
  private async retrying(
    it: UpsertIntent | RemoveIntent,
    first: StoredListing | undefined,
    upsert: boolean,
    attempt: (cur: StoredListing | undefined, network: string) => Promise<Outcome>,
  ): Promise<Outcome> {
    const network = formatNetwork(it.network);
    for (let n = 0; n < this.attempts; n++) {
      if (n > 0) await backoff(n);
      const cur = n === 0 ? first : await this.deps.table.get(it.list, it.network);
      const problem = this.refusal(it, cur, upsert);
      if (problem) return { result: { list: it.list, network, status: 'conflict', version: cur?.version ?? null }, problem };
      try {
        return await attempt(cur, network);
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    return { result: { list: it.list, network, status: 'conflict', version: null }, problem: gaveUp(it.index, it.list, network, this.attempts) };
  }

  upsert(it: UpsertIntent, first: StoredListing | undefined): Promise<Outcome> {
    const { table, journal } = this.deps;
    return this.retrying(it, first, true, async (cur, network) => {
      const nowIso = this.now().toISOString();
      // An expired entry no longer exists as far as answers go: re-listing it starts afresh.
      // (A live entry of the other kind was refused by retrying().)
      const live = this.live(cur);
      if (
        live &&
        live.exclusion === it.exclusion &&
        live.reason === it.reason &&
        live.source === it.source &&
        live.expiresAt === it.expiresAt
      ) {
        return { result: { list: it.list, network, status: 'unchanged', version: live.version } };
      }
      const next: Listing = {
        list: it.list,
        network: it.network,
        reason: it.reason,
        source: it.source,
        exclusion: it.exclusion,
        createdAt: live ? live.createdAt : nowIso,
        updatedAt: nowIso,
        ...(it.expiresAt !== undefined ? { expiresAt: it.expiresAt } : {}),
      };
      const note = cur && !live ? `replaces an expired ${cur.exclusion ? 'exclusion' : 'listing'}` : undefined;
      const expected = cur ? cur.version : null;
      const last = await journal.lastVersion(it.list, it.network);
      const audit = journal.auditRecord(it.network, {
        action: it.exclusion ? 'exclude' : live ? 'update' : 'list',
        list: it.list,
        actor: this.caller,
        reason: it.reason,
        at: nowIso,
        ...(cur ? { before: auditState(cur) } : {}),
        after: auditState({ ...next, version: nextVersion(expected, last) }),
        ...(note ? { note } : {}),
      });
      const stored = await table.putAudited(next, expected, { tableName: journal.tableName, item: audit.item }, {
        tableName: journal.tableName,
        key: journal.versionCounterKey(it.list, it.network),
        last,
      });
      return { result: { list: it.list, network, status: live ? 'updated' : 'created', version: stored.version, ...(note ? { note } : {}) } };
    });
  }

  remove(it: RemoveIntent, first: StoredListing | undefined): Promise<Outcome> {
    const { table, journal } = this.deps;
    return this.retrying(it, first, false, async (cur, network) => {
      if (!cur || cur.exclusion !== it.exclusion) {
        const note =
          cur === undefined
            ? undefined
            : cur.exclusion
              ? 'it is an exclusion; remove it with POST /v1/exclusions/delete'
              : 'it is a listing; remove it with POST /v1/delistings';
        return { result: { list: it.list, network, status: it.exclusion ? 'not-excluded' : 'not-listed', version: null, ...(note ? { note } : {}) } };
      }
      const nowIso = this.now().toISOString();
      const audit = journal.auditRecord(it.network, {
        action: it.exclusion ? 'unexclude' : 'delist',
        list: it.list,
        actor: this.caller,
        reason: it.reason,
        at: nowIso,
        before: auditState(cur),
      });
      await table.deleteAudited(it.list, it.network, cur.version, { tableName: journal.tableName, item: audit.item });
      return { result: { list: it.list, network, status: it.exclusion ? 'removed' : 'delisted', version: cur.version } };
    });
  }

  /** Tells deps.onDelisted (escalations around them) what was delisted; a failure is only logged. */
  async delisted(removed: readonly (UpsertIntent | RemoveIntent)[]): Promise<void> {
    const hook = this.deps.onDelisted;
    if (!hook || removed.length === 0) return;
    try {
      await hook(removed.map((r) => ({ list: r.list, network: r.network })), this.caller);
    } catch (e) {
      this.deps.log?.error('re-evaluating after a delisting failed; the delisting stands', { error: (e as Error).message, delisted: removed.length });
    }
  }

  async run<I extends UpsertIntent | RemoveIntent>(
    intents: readonly I[],
    upsert: boolean,
    f: (it: I, first: StoredListing | undefined) => Promise<Outcome>,
  ): Promise<APIGatewayProxyResult> {
    const current = await this.current(intents);
    this.check(intents, current, upsert);
    const outcomes = await mapPool(
      intents.map((it, i) => [it, current[i]] as const),
      this.concurrency,
      ([it, first]) => f(it, first),
    );
    const items = outcomes.map((o) => o.result);
    if (!upsert) await this.delisted(intents.filter((_, i) => items[i]!.status === 'delisted'));
    const problems = outcomes.flatMap((o) => (o.problem ? [o.problem] : []));
    if (problems.length === 0) return jsonResult(200, { items });
    // Some items could not be applied; the others were. Say both, in the one 409 shape.
    return jsonResult(409, ApiError.fromProblems(409, problems, items).body());
  }
}

/** A cheap guard before the schema runs: a huge "items" array is refused without parsing each element. */
function checkItemCount(raw: unknown): void {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const items = (raw as { items?: unknown }).items;
    if (Array.isArray(items) && items.length > MAX_ITEMS) {
      throw new ApiError(400, 'too-many-items', `items holds ${items.length} items; at most ${MAX_ITEMS} per request`, 'items');
    }
  }
}

/**
 * One batch write endpoint: read the body, check the item count, validate every item with the
 * schema and then with core (all problems reported at once, nothing written), then apply each
 * intent under the idempotency key.
 */
function batchRoute<S extends ZodTypeAny, I extends UpsertIntent | RemoveIntent>(
  deps: ApiDeps,
  path: string,
  exclusion: boolean,
  schema: z.ZodObject<{ items: z.ZodArray<S> }, z.core.$strict>,
  validate: (items: ReadonlyArray<z.infer<S> | undefined>, ctx: Parameters<typeof validateUpserts>[1], prior: readonly Problem[]) => I[],
  apply: (writer: Writer, it: I, first: StoredListing | undefined) => Promise<Outcome>,
  upsert: boolean,
  /** Runs on the valid intents before anything is written (the quota guard); throws to refuse. */
  admit?: (intents: readonly I[], now: Date) => Promise<void>,
) {
  return async (ctx: RequestContext): Promise<APIGatewayProxyResult> => {
    const raw = readJsonBody(ctx.event);
    checkItemCount(raw);
    const parsed = parseBatch(schema, raw);
    if (!parsed.ok) throw ApiError.fromProblems(400, parsed.problems);
    const now = deps.now?.() ?? new Date();
    const intents = validate(
      parsed.items,
      { cfg: deps.cfg, limits: deps.limits ?? {}, caller: ctx.caller, nowSeconds: Math.floor(now.getTime() / 1000), exclusion },
      parsed.problems,
    );
    // Before the idempotency claim: a refused batch runs nothing and is not stored, so the same key
    // may be retried once the quota allows it.
    if (admit) await admit(intents, now);
    return withIdempotency(deps.journal, ctx, path, { items: parsed.items }, async () => {
      const writer = new Writer(deps, ctx.caller);
      return writer.run(intents, upsert, (it, first) => apply(writer, it, first));
    });
  };
}

const upsertRoute = (deps: ApiDeps, path: string, exclusion: boolean) =>
  batchRoute(deps, path, exclusion, upsertBodySchema, validateUpserts, (w, it, first) => w.upsert(it, first), true, (intents, now) =>
    deps.quotaGuard ? checkQuota(deps, deps.quotaGuard, intents, now) : Promise.resolve(),
  );

const removeRoute = (deps: ApiDeps, path: string, exclusion: boolean) =>
  batchRoute(deps, path, exclusion, removeBodySchema, validateRemovals, (w, it, first) => w.remove(it, first), false);

export function writeRoutes(deps: ApiDeps): Route[] {
  return [
    { method: 'POST', path: '/v1/listings', handler: upsertRoute(deps, '/v1/listings', false) },
    { method: 'POST', path: '/v1/delistings', handler: removeRoute(deps, '/v1/delistings', false) },
    { method: 'POST', path: '/v1/exclusions', handler: upsertRoute(deps, '/v1/exclusions', true) },
    { method: 'POST', path: '/v1/exclusions/delete', handler: removeRoute(deps, '/v1/exclusions/delete', true) },
  ];
}

/**
 * One item through the same writer as POST /v1/delistings and /v1/exclusions (version-checked,
 * with its audit event in the same transaction): the public portal's self-service delistings and
 * the delistings or exclusions an operator's approval makes.
 */
export async function applyOne(deps: ApiDeps, caller: string, it: UpsertIntent | RemoveIntent, upsert: boolean): Promise<{ result: WriteResult; problem?: Problem }> {
  const writer = new Writer(deps, caller);
  const [first] = await writer.current([it]);
  if (upsert) return writer.upsert(it as UpsertIntent, first);
  const out = await writer.remove(it, first);
  if (out.result.status === 'delisted') await writer.delisted([it]);
  return out;
}
