// The live zone in Route 53: reading rrsets (by range, cheaply) and applying change batches with
// backoff. Route 53's rate limit is account-wide (50 burst, 10/s), so every call counts.
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
  type RRType,
} from '@aws-sdk/client-route-53';
import type { Change, RefusedChange } from '../core/change-batch.js';
import { compareNames, type RecordType, type RRSet } from '../core/rrset.js';
import { sleep } from './listings-table.js';

const MANAGED_TYPES = new Set(['A', 'TXT', 'CAA']);
const RETRYABLE = new Set(['Throttling', 'ThrottlingException', 'PriorRequestNotComplete', 'ServiceUnavailable', 'RequestTimeout']);

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

export interface ApplyOptions {
  /** Stop retrying after this time (ms since epoch); the caller fails the batch then. */
  deadline?: number;
  maxAttempts?: number;
}

export class Route53Zone {
  readonly stats: Route53Stats = { listCalls: 0, changeCalls: 0, retries: 0, recordChanges: 0 };

  constructor(
    private readonly client: Route53Client,
    readonly hostedZoneId: string,
    readonly zone: string,
  ) {}

  private async withRetry<T>(what: () => Promise<T>, opts: ApplyOptions = {}): Promise<T> {
    const maxAttempts = opts.maxAttempts ?? 12;
    for (let attempt = 1; ; attempt++) {
      try {
        return await what();
      } catch (e) {
        const name = (e as Error).name;
        const wait = Math.min(20_000, 200 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        const late = opts.deadline !== undefined && Date.now() + wait > opts.deadline;
        if (!RETRYABLE.has(name) || attempt >= maxAttempts || late) throw e;
        this.stats.retries++;
        await sleep(wait);
      }
    }
  }

  /** One page of rrsets (A/TXT/CAA only) from (name, type) on, in Route 53's order. */
  async page(
    startName: string,
    startType?: string,
    maxItems = 300,
  ): Promise<{ rrsets: RRSet[]; last?: string; next?: { name: string; type?: string } }> {
    const r = await this.withRetry(() => {
      this.stats.listCalls++;
      return this.client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: this.hostedZoneId,
          StartRecordName: startName,
          StartRecordType: startType as RRType | undefined,
          MaxItems: maxItems,
        }),
      );
    });
    const all = r.ResourceRecordSets ?? [];
    const rrsets = all.map(toRRSet).filter((x): x is RRSet => x !== undefined);
    const lastRaw = all[all.length - 1]?.Name;
    return {
      rrsets,
      last: lastRaw ? decodeName(lastRaw) : undefined,
      next: r.IsTruncated && r.NextRecordName ? { name: decodeName(r.NextRecordName), type: r.NextRecordType } : undefined,
    };
  }

  /** Every managed rrset of the zone. */
  async *all(): AsyncGenerator<RRSet> {
    let next: { name: string; type?: string } | undefined = { name: `${this.zone}.` };
    while (next) {
      const p = await this.page(next.name, next.type);
      yield* p.rrsets;
      next = p.next;
    }
  }

  /**
   * The rrsets under a set of subtree roots and exact names, read with as few calls as possible:
   * one listing call answers for every root up to the last name it returned, so areas with no
   * records cost nothing extra.
   */
  async readNames(roots: readonly string[], exact: readonly string[]): Promise<RRSet[]> {
    const targets = [...new Set([...roots, ...exact])].sort(compareNames);
    const rootSet = new Set(roots);
    const exactSet = new Set(exact);
    const wanted = (name: string): boolean => {
      if (exactSet.has(name)) return true;
      for (let n = name; ; ) {
        if (rootSet.has(n)) return true;
        const dot = n.indexOf('.');
        if (dot < 0 || n.length <= this.zone.length + 1) return false;
        n = n.slice(dot + 1);
      }
    };
    const out = new Map<string, RRSet>();
    let i = 0;
    while (i < targets.length) {
      let cursor: { name: string; type?: string } | undefined = { name: targets[i]! };
      let last: string | undefined;
      // Page on while the names returned can still belong to the current target's subtree.
      for (;;) {
        const p = await this.page(cursor.name, cursor.type);
        for (const r of p.rrsets) if (wanted(r.name)) out.set(`${r.name} ${r.type}`, r);
        last = p.last;
        if (!p.next) {
          last = undefined; // end of zone: everything after the cursor is known
          break;
        }
        cursor = p.next;
        const target = targets[i]!;
        if (!(cursor.name === target || cursor.name.endsWith(`.${target}`))) break;
      }
      // Every target up to `last` (all of them if the zone ended) is now known.
      i++;
      const fullyBefore = (t: string): boolean =>
        last === undefined || (compareNames(t, last) < 0 && last !== t && !last.endsWith(`.${t}`));
      while (i < targets.length && fullyBefore(targets[i]!)) i++;
    }
    return [...out.values()];
  }

  /** The zone's apex SOA (TTL and value), which Route 53 creates with the zone. */
  async apexSoa(): Promise<{ ttl: number; value: string } | undefined> {
    const r = await this.withRetry(() => {
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

  /** Sends one change batch, retrying throttling with backoff. Returns the change id. */
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
