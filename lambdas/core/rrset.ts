// Resource record sets as the Route 53 API sees them.

/** A, TXT for answers; CAA only as the "exists but not listed" marker (see zone-plan.ts). */
export type RecordType = 'A' | 'TXT' | 'CAA';

export interface RRSet {
  /** Lower-case FQDN with trailing dot; a wildcard's first label is "*" (Route 53 lists it as "\052"). */
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  /** Values exactly as in the Route 53 API: A "127.0.0.2", TXT "\"text\"" (quoted, escaped, split). */
  readonly values: readonly string[];
}

/** The marker value: a CAA record forbidding certificate issuance, which no DNSBL client reads. */
export const MARKER_TYPE: RecordType = 'CAA';
export const MARKER_VALUE = '0 issue ";"';

export function rrsetKey(r: Pick<RRSet, 'name' | 'type'>): string {
  return `${r.name} ${r.type}`;
}

const NEEDS_ESCAPE = /[\\"]/;

/** Route 53 TXT value: quoted strings of at most 255 characters, with " and \ escaped. */
export function txtValue(text: string): string {
  // The common case, one string with nothing to escape, without splitting or a replace.
  if (text.length <= 255 && !NEEDS_ESCAPE.test(text)) return `"${text}"`;
  const parts: string[] = [];
  for (let i = 0; i < text.length || parts.length === 0; i += 255) parts.push(text.slice(i, i + 255));
  return parts.map((p) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(' ');
}

/** Inverse of txtValue: the text a resolver sees (strings concatenated). */
export function txtText(value: string): string {
  let out = '';
  const re = /"((?:[^"\\]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    out += (m[1] ?? '').replace(/\\([0-9]{3}|.)/g, (_s, c: string) =>
      c.length === 3 ? String.fromCharCode(parseInt(c, 8)) : c,
    );
  }
  return out;
}

/**
 * A string whose plain comparison orders names label by label from the right (a wildcard label
 * written as \052), the labels reversed and joined by NUL, which sorts below every label
 * character, so a name sorts before the names below it. It only groups related names (change
 * batches, zone files): it is NOT the order ListResourceRecordSets lists in (that sorts `*` as the
 * raw ASCII 42), and nothing may assume it is (see Route53Zone.readNames).
 */
export function nameSortKey(name: string): string {
  return name
    .replace(/\.$/, '')
    .split('.')
    .reverse()
    .map((l) => (l === '*' ? '\\052' : l))
    .join('\u0000');
}

/** Names compared with nameSortKey (for grouping, not Route 53's listing order). */
export function compareNames(a: string, b: string): number {
  const x = nameSortKey(a);
  const y = nameSortKey(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

export function sameRRSet(a: RRSet, b: RRSet): boolean {
  if (a.name !== b.name || a.type !== b.type || a.ttl !== b.ttl || a.values.length !== b.values.length) return false;
  const sa = [...a.values].sort();
  const sb = [...b.values].sort();
  return sa.every((v, i) => v === sb[i]);
}
