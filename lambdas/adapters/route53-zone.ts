// The live zone in Route 53: reading rrsets (by range, cheaply) and applying change batches,
// retrying transient faults with backoff. Route 53's rate limit is account-wide (50 burst, 10/s),
// so every call counts.
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
  type RRType,
} from '@aws-sdk/client-route-53';
import type { Change, RefusedChange } from '../core/change-batch.js';
import type { RecordType, RRSet } from '../core/rrset.js';
import { sleep } from './listings-table.js';
import type { Pacer } from './request-pacer.js';

const MANAGED_TYPES = new Set(['A', 'TXT', 'CAA']);

/**
 * Client settings Route53Zone expects (spread them into `new Route53Client({...})`): no SDK retries,
 * since withRetry retries every transient fault within the caller's deadline and fences each write
 * attempt; and a request that hangs fails fast to be retried. `throwOnRequestTimeout` is needed: since
 * @smithy/node-http-handler 4.4 a passed requestTimeout only logs a warning without it.
 */
export const ROUTE53_CLIENT_CONFIG = {
  maxAttempts: 1,
  // The zone writer is sequential (one request at a time at ~10/s), so a hung request costs the
  // whole batch its timeout: 3 s keeps one timeout in 400 requests under a 10% slowdown, well above
  // Route 53's usual latency for a change request (it answers PENDING after validation). A request
  // that was slow but applied is retried, refused, and settled like any other refusal.
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
} as const;

/** Error names (codes) worth retrying: throttling, the zone busy, the service failing or slow. */
const TRANSIENT_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'PriorRequestNotComplete',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
/** Node's codes for a connection that could not be made or broke (as @smithy/service-error-classification lists them). */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Why a Route 53 call failed, when trying again later may succeed: Node's network code (ECONNRESET,
 * ETIMEDOUT for a request timeout, ECONNREFUSED, ...), else the error's name (Throttling,
 * PriorRequestNotComplete, ServiceUnavailable, TimeoutError, ...), else "HTTP 5xx"; undefined for
 * anything else (InvalidChangeBatch, InvalidInput, an abort, a lost lease, ...). Looks through
 * `cause`s.
 */
export function transientCause(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const x = e as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number }; cause?: unknown };
    if (x.name === 'AbortError') return undefined;
    if (typeof x.code === 'string' && NETWORK_CODES.has(x.code)) return x.code;
    if (typeof x.name === 'string' && TRANSIENT_NAMES.has(x.name)) return x.name;
    const status = x.$metadata?.httpStatusCode;
    if (status !== undefined && (status >= 500 || status === 429)) return `HTTP ${status}`;
    if (status === undefined && typeof x.message === 'string' && /socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE/.test(x.message)) return 'connection';
    e = x.cause;
  }
  return undefined;
}

/**
 * True when a Route 53 call's failure is transient (throttling, the zone busy, 5xx, a timeout, a lost
 * or refused connection): the same work may succeed later, so a stream batch should fail whole and
 * be retried rather than have a record isolated. withRetry has already retried it up to the caller's
 * deadline.
 */
export function isTransient(error: unknown): boolean {
  return transientCause(error) !== undefined;
}

/**
 * What withRetry adds to the error it gives up with, when earlier attempts of the same request
 * failed transiently: their causes, in order. After a timeout or a lost connection an earlier attempt
 * of a change batch may have been applied, so an InvalidChangeBatch that follows may be refusing
 * the batch's own earlier success.
 */
export interface RetriedError extends Error {
  priorFailures?: string[];
}

/**
 * The refusals named in an InvalidChangeBatch message, e.g. "[Tried to create resource record set
 * [name='x.', type='A'] but it already exists, …]".
 */
export function refusedChanges(message: string): RefusedChange[] {
  const out: RefusedChange[] = [];
  const re = /Tried to (create|delete) resource record set \[name='([^']*)', type='([A-Z0-9]+)'(?:, set-identifier='[^']*')?\] but ([^,\]]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(message)) !== null) {
    const [, verb, name, type, why] = m;
    const problem = verb === 'create' && /already exists/.test(why!) ? 'exists' : verb === 'delete' && /was not found/.test(why!) ? 'not-found' : 'other';
    out.push({ name: decodeName(name!), type: type!, problem });
  }
  // A message that names no rrset (limits, syntax) cannot be repaired from here.
  if (out.length === 0) out.push({ name: '', type: '', problem: 'other' });
  return out;
}

export interface Route53Stats {
  listCalls: number;
  changeCalls: number;
  retries: number;
  /** Retries by transientCause (e.g. Throttling, ECONNRESET, ETIMEDOUT, HTTP 503). */
  retriesByCause: Record<string, number>;
  recordChanges: number;
}

/** Route 53 escapes "*" as \052 (and other bytes as \ooo) in names it returns. */
export function decodeName(name: string): string {
  const withDot = name.endsWith('.') ? name : `${name}.`;
  return withDot.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))).toLowerCase();
}

function toRRSet(r: ResourceRecordSet): RRSet | undefined {
  if (!r.Name || !r.Type || !MANAGED_TYPES.has(r.Type)) return undefined;
  return {
    name: decodeName(r.Name),
    type: r.Type as RecordType,
    ttl: r.TTL ?? 0,
    values: (r.ResourceRecords ?? []).map((v) => v.Value ?? ''),
  };
}

/**
 * Where ListResourceRecordSets may sort a wildcard label: as the raw '*' (ASCII 42), as the API
 * reference's "Sort order" note documents (it lists '*' among the characters that sort before '.':
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html), or as
 * the "\052" it writes names with. Other labels here are letters, digits and '-', the same in both.
 */
type ListingOrder = 'ascii' | 'escaped';

/** A name's place in a listing order: labels reversed, joined by '.', with the trailing dot. */
function listingKey(name: string, order: ListingOrder): string {
  const labels = name.replace(/\.$/, '').split('.').reverse();
  return (order === 'escaped' ? labels.map((l) => (l === '*' ? '\\052' : l)) : labels).join('.') + '.';
}

function orderKeys(name: string): Record<ListingOrder, string> {
  return { ascii: listingKey(name, 'ascii'), escaped: listingKey(name, 'escaped') };
}

/** A name readNames must read: just that name, or it and every name below it. */
interface Target {
  readonly name: string;
  readonly subtree: boolean;
  readonly keys: Record<ListingOrder, string>;
}

function target(name: string, subtree: boolean): Target {
  return { name, subtree, keys: orderKeys(name) };
}

function holds(t: Target, name: string): boolean {
  return name === t.name || (t.subtree && name.endsWith(`.${t.name}`));
}

function firstIn(targets: Iterable<Target>, order: ListingOrder): Target {
  let best: Target | undefined;
  for (const t of targets) if (!best || t.keys[order] < best.keys[order]) best = t;
  return best!;
}

export interface ReadOptions {
  /** Stop retrying after this time (ms since epoch); the caller fails the batch then. */
  deadline?: number;
  maxAttempts?: number;
}

export interface ApplyOptions extends ReadOptions {
  /**
   * Called before every attempt of a write (the first included); throws when this writer may no
   * longer write (its zone lease is lost). Its error propagates at once, without a retry.
   */
  fence?: () => void;
}

export class Route53Zone {
  readonly stats: Route53Stats = { listCalls: 0, changeCalls: 0, retries: 0, retriesByCause: {}, recordChanges: 0 };

  /** The listing orders no page has contradicted yet (see readNames); kept across reads. */
  private listingOrders: readonly ListingOrder[] = ['ascii', 'escaped'];
  private readonly listPageSize: number;

  constructor(
    private readonly client: Route53Client,
    readonly hostedZoneId: string,
    readonly zone: string,
    /**
     * listPageSize: MaxItems of ListResourceRecordSets (default and maximum 300; tests use less).
     * readPacer: spaces every ListResourceRecordSets attempt (reconcile's share of the account rate).
     */
    opts: { listPageSize?: number; readPacer?: Pacer } = {},
  ) {
    this.listPageSize = opts.listPageSize ?? 300;
    this.readPacer = opts.readPacer;
  }

  private readonly readPacer: Pacer | undefined;

  /**
   * Runs one Route 53 call, retrying every transient fault (transientCause) with exponential backoff
   * and jitter (0.2 s doubling to 20 s, each wait 50-100% of that) until it succeeds, a fault is not
   * transient, the attempts run out or the next wait would pass the deadline; then throws the last
   * error. InvalidChangeBatch is not retried: after a lost answer it may refuse the batch's own
   * earlier success, which only the caller can sort out (priorFailures says it may be so).
   */
  private async withRetry<T>(what: () => Promise<T>, opts: ApplyOptions = {}): Promise<T> {
    const maxAttempts = opts.maxAttempts ?? 12;
    const prior: string[] = [];
    for (let attempt = 1; ; attempt++) {
      opts.fence?.();
      try {
        return await what();
      } catch (e) {
        const cause = transientCause(e);
        const wait = Math.min(20_000, 200 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        const late = opts.deadline !== undefined && Date.now() + wait > opts.deadline;
        if (cause === undefined || attempt >= maxAttempts || late) {
          if (prior.length > 0 && e !== null && typeof e === 'object') (e as RetriedError).priorFailures = prior;
          throw e;
        }
        prior.push(cause);
        this.stats.retries++;
        this.stats.retriesByCause[cause] = (this.stats.retriesByCause[cause] ?? 0) + 1;
        await sleep(wait);
      }
    }
  }

  /** One page of rrsets (A/TXT/CAA only) from (name, type) on, in Route 53's order. */
  async page(
    startName: string,
    startType?: string,
    maxItems = this.listPageSize,
    opts: ReadOptions = {},
  ): Promise<{ rrsets: RRSet[]; names: string[]; last?: string; next?: { name: string; type?: string } }> {
    const r = await this.withRetry(async () => {
      await this.readPacer?.take();
      this.stats.listCalls++;
      return this.client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: this.hostedZoneId,
          StartRecordName: startName,
          StartRecordType: startType as RRType | undefined,
          MaxItems: maxItems,
        }),
      );
    }, { deadline: opts.deadline, maxAttempts: opts.maxAttempts });
    const all = r.ResourceRecordSets ?? [];
    const rrsets = all.map(toRRSet).filter((x): x is RRSet => x !== undefined);
    const names = all.map((x) => decodeName(x.Name ?? ''));
    return {
      rrsets,
      names,
      last: names[names.length - 1],
      next: r.IsTruncated && r.NextRecordName ? { name: decodeName(r.NextRecordName), type: r.NextRecordType } : undefined,
    };
  }

  /** Every managed rrset of the zone. */
  async *all(opts: ReadOptions = {}): AsyncGenerator<RRSet> {
    let next: { name: string; type?: string } | undefined = { name: `${this.zone}.` };
    while (next) {
      const p = await this.page(next.name, next.type, undefined, opts);
      yield* p.rrsets;
      next = p.next;
    }
  }

  /**
   * One contiguous range of the listing order: pages from `startName` on until `past` says a name
   * lies beyond the range (or the zone ends). Yields each page's rrsets that `keep` accepts, so a
   * caller holds one range, not the zone. Counts pages in `pages`.
   */
  async *range(
    startName: string,
    past: (name: string) => boolean,
    keep: (name: string) => boolean,
    opts: ReadOptions & { pages?: { n: number } } = {},
  ): AsyncGenerator<RRSet> {
    let next: { name: string; type?: string } | undefined = { name: startName };
    while (next) {
      const p = await this.page(next.name, next.type, undefined, opts);
      if (opts.pages) opts.pages.n++;
      for (const r of p.rrsets) if (keep(r.name)) yield r;
      // Names are in listing order: once one lies past the range, the rest do too.
      if (p.names.some(past) || (p.next && past(p.next.name))) return;
      next = p.next;
    }
  }

  /**
   * The rrsets under a set of subtree roots and at a set of exact names, read with few calls: one
   * chain of pages answers for every target it provably covers, so areas with no records cost
   * nothing extra.
   *
   * What a chain of pages from StartRecordName S to NextRecordName N proves depends on the listing
   * order, and where a wildcard sorts in it is not something to rely on: Route 53 documents the raw
   * '*' (ASCII 42, before the digits) but writes the name back as "\052" (which would sort after
   * them). So a target counts as read only when the pages prove it under every order still possible
   * (the candidates are dropped as soon as a page's own order contradicts them; what is learnt is
   * kept for later reads), or when proved without any order: a name's rrsets, and a subtree's, are
   * contiguous in the listing, so seeing them followed by something else (or the zone's end)
   * proves them complete, and a chain started at the target itself ends only when it has passed it.
   */
  async readNames(roots: readonly string[], exact: readonly string[], opts: ReadOptions = {}): Promise<RRSet[]> {
    const byName = new Map<string, Target>();
    for (const name of exact) byName.set(name, target(name, false));
    for (const name of roots) byName.set(name, target(name, true)); // a root includes its own name
    /** The targets whose extent holds `name`: the exact name and the roots at or above it. */
    const holders = (name: string): Target[] => {
      const out: Target[] = [];
      const at = byName.get(name);
      if (at) out.push(at);
      for (let i = name.indexOf('.'); i >= 0 && i < name.length - 1; i = name.indexOf('.', i + 1)) {
        const t = byName.get(name.slice(i + 1));
        if (t?.subtree) out.push(t);
      }
      return out;
    };
    const pending = new Set(byName.values());
    const out = new Map<string, RRSet>();
    // The first target left in the most likely order still possible.
    const firstLeft = (): Target => firstIn(pending, this.listingOrders[0] ?? 'ascii');
    while (pending.size > 0) {
      const start = firstLeft().name;
      const startKeys = orderKeys(start);
      // Targets whose extent the chain has entered; their extent's start lies at or after `start`.
      const entered = new Set<Target>();
      const done = (t: Target): void => {
        pending.delete(t);
        entered.delete(t);
      };
      for (const t of holders(start)) if (t.name === start && pending.has(t)) entered.add(t);
      let cursor: { name: string; type?: string } = { name: start };
      for (;;) {
        const p = await this.page(cursor.name, cursor.type, undefined, opts);
        for (const r of p.rrsets) if (holders(r.name).length > 0) out.set(`${r.name} ${r.type}`, r);
        this.learnOrder([cursor.name, ...p.names, ...(p.next ? [p.next.name] : [])]);
        // Without an order: an extent entered and then left (or the zone's end) is complete.
        for (const n of p.names) {
          for (const t of entered) if (!holds(t, n)) done(t);
          for (const t of holders(n)) {
            // A subtree the chain started inside may have begun before `start`.
            if (pending.has(t) && !(t.subtree && start !== t.name && start.endsWith(`.${t.name}`))) entered.add(t);
          }
        }
        for (const t of entered) if (!p.next || !holds(t, p.next.name)) done(t);
        // With the orders still possible: every target inside [start, next) under each of them.
        const live = this.listingOrders;
        const nextKeys = p.next ? orderKeys(p.next.name) : undefined;
        if (live.length > 0) {
          for (const t of pending) {
            const inside = live.every((o) => startKeys[o] <= t.keys[o] && (!nextKeys || (nextKeys[o] > t.keys[o] && !holds(t, p.next!.name))));
            if (inside) done(t);
          }
        }
        if (!p.next || pending.size === 0) break;
        // Page on while the next target to read lies in what this chain has passed (in every order
        // still possible): reading on from here is then cheaper than starting again there. Else
        // start a new chain at it. (While the chain's first target is unread, that is always so.)
        const want = firstLeft();
        const passed =
          live.length > 0 ? live.every((o) => startKeys[o] <= want.keys[o] && want.keys[o] <= nextKeys![o]) : want.name === start;
        if (!passed) break;
        cursor = p.next;
      }
    }
    return [...out.values()];
  }

  /** Drops the candidate listing orders that a sequence of names, as listed, contradicts. */
  private learnOrder(listed: readonly string[]): void {
    if (this.listingOrders.length === 0) return;
    const sorted = (o: ListingOrder): boolean => {
      for (let i = 1; i < listed.length; i++) if (listingKey(listed[i - 1]!, o) > listingKey(listed[i]!, o)) return false;
      return true;
    };
    this.listingOrders = this.listingOrders.filter(sorted);
  }

  /** The zone's apex SOA (TTL and value), which Route 53 creates with the zone. */
  async apexSoa(): Promise<{ ttl: number; value: string } | undefined> {
    const r = await this.withRetry(async () => {
      await this.readPacer?.take();
      this.stats.listCalls++;
      return this.client.send(
        new ListResourceRecordSetsCommand({ HostedZoneId: this.hostedZoneId, StartRecordName: `${this.zone}.`, StartRecordType: 'SOA', MaxItems: 1 }),
      );
    });
    const soa = r.ResourceRecordSets?.find((x) => x.Type === 'SOA' && decodeName(x.Name ?? '') === `${this.zone}.`);
    const value = soa?.ResourceRecords?.[0]?.Value;
    return value ? { ttl: soa?.TTL ?? 0, value } : undefined;
  }

  async setApexSoa(ttl: number, value: string, opts: ApplyOptions = {}): Promise<void> {
    await this.withRetry(() => {
      this.stats.changeCalls++;
      return this.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: this.hostedZoneId,
          ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `${this.zone}.`, Type: 'SOA', TTL: ttl, ResourceRecords: [{ Value: value }] } }] },
        }),
      );
    }, opts);
  }

  /**
   * Sends one change batch, retrying transient faults with backoff (withRetry), calling
   * opts.fence before every attempt. Returns the change id.
   */
  async apply(batch: readonly Change[], opts: ApplyOptions = {}): Promise<string> {
    const r = await this.withRetry(() => {
      this.stats.changeCalls++;
      return this.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: this.hostedZoneId,
          ChangeBatch: {
            Comment: 'dnsbl-publisher',
            Changes: batch.map((c) => ({
              Action: c.action,
              ResourceRecordSet: {
                Name: c.rrset.name,
                Type: c.rrset.type as RRType,
                TTL: c.rrset.ttl,
                ResourceRecords: c.rrset.values.map((Value) => ({ Value })),
              },
            })),
          },
        }),
      );
    }, opts);
    this.stats.recordChanges += batch.length;
    return r.ChangeInfo?.Id ?? '';
  }
}
