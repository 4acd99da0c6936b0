// What the evidence about one address says, for people: operators (GET /v1/lookup, /v1/history,
// `dnsbl lookup`) see counts by kind, first and last seen and who reported it; the public look-up
// sees only the counts and the last-seen time (never reporters, event ids, samples or details: a
// reporter's identity and what its traps saw are the reporter's, and naming them would let a
// sender find and evade the traps).
//
// Read from the address's evidence aggregate (adapters/evidence-store.ts), which keeps all-time
// counts until the aggregate itself expires (the last evidence + the evidence TTL).

/** The fields of an evidence aggregate a summary is made of (structural: core does not import adapters). */
export interface AggregateFacts {
  readonly counts: Readonly<Record<string, number>>;
  readonly first?: number;
  readonly last?: number;
  readonly reporters: readonly string[];
}

export interface OperatorEvidence {
  /** Events by kind, sorted by kind. */
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Distinct reporters, in the order they first reported (the aggregate keeps the first 20). */
  readonly reporters: readonly string[];
}

export interface PublicEvidence {
  /** Events by kind, sorted by kind. */
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  readonly lastSeen: string;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

function sortedCounts(counts: Readonly<Record<string, number>>): { counts: Record<string, number>; total: number } {
  const out: Record<string, number> = {};
  let total = 0;
  for (const k of Object.keys(counts).sort()) {
    const n = counts[k]!;
    if (!(n > 0)) continue;
    out[k] = n;
    total += n;
  }
  return { counts: out, total };
}

/** The operator's view; undefined when there is no evidence. */
export function operatorEvidence(a: AggregateFacts | undefined): OperatorEvidence | undefined {
  if (!a || a.first === undefined || a.last === undefined) return undefined;
  const { counts, total } = sortedCounts(a.counts);
  if (total === 0) return undefined;
  return { counts, total, firstSeen: iso(a.first), lastSeen: iso(a.last), reporters: [...a.reporters] };
}

/** The public view: counts and last seen only, built field by field (nothing else can slip in). */
export function publicEvidence(a: AggregateFacts | undefined): PublicEvidence | undefined {
  if (!a || a.last === undefined) return undefined;
  const { counts, total } = sortedCounts(a.counts);
  if (total === 0) return undefined;
  return { counts, total, lastSeen: iso(a.last) };
}
