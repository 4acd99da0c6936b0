// Reads an import file and validates every line with core before anything is sent.
//
// Each line is one of:
//   # a comment                     (also after a plain entry: "192.0.2.1   # why")
//   192.0.2.1                       a plain address or CIDR: the default reason/expiry apply
//   198.51.100.0/24,"spam, lots",7d CSV: network,reason[,expires] (RFC 4180 quoting); an empty
//                                   reason or expires cell takes the default; expires is ISO 8601,
//                                   epoch seconds or a duration ("7d")
// An optional CSV header (first cell "network", "ip", "address" or "cidr") is skipped. A network
// given twice (in canonical form: "::ffff:192.0.2.1" is "192.0.2.1") is rejected the second time, and
// so is special-purpose space (private, loopback, multicast …) unless allowReserved.
import { InputError } from '../core/input-error.js';
import { formatNetwork, type Network, networkKey } from '../core/ip.js';
import { type ListingLimits, MAX_REASON_LENGTH, parseListableNetwork, validatePublicNetwork } from '../core/listing.js';
import { resolveExpiry, validateRawText } from '../api/validate.js';

export interface ImportEntry {
  readonly line: number;
  readonly network: Network;
  readonly canonical: string;
  readonly reason: string;
  readonly expiresAt?: number;
}

export interface RejectedLine {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

export interface ParsedImport {
  readonly entries: ImportEntry[];
  readonly rejected: RejectedLine[];
  /** Blank lines, comments and the header. */
  readonly skipped: number;
  readonly lines: number;
}

export interface ImportOptions {
  readonly defaultReason: string;
  /** Default expiry for lines without one: a duration or an ISO time / epoch seconds. */
  readonly defaultDuration?: string;
  readonly defaultExpires?: string;
  readonly nowSeconds: number;
  readonly limits?: ListingLimits;
  /** Accept special-purpose space (private, loopback, multicast …); refused by default. */
  readonly allowReserved?: boolean;
  /** How to override the refusal, appended to its message (default: the API's field). */
  readonly reservedHint?: string;
}

const HEADER_NAMES = new Set(['network', 'ip', 'address', 'cidr', 'prefix']);

/** Splits one CSV line (RFC 4180 quotes, "" inside quotes). Throws on an unterminated quote. */
export function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let i = 0;
  let quoted = false;
  let wasQuoted = false;
  while (i < line.length) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      cur += c;
      i++;
      continue;
    }
    if (c === '"' && cur.trim() === '' && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
      cur = '';
      i++;
      continue;
    }
    if (c === ',') {
      cells.push(wasQuoted ? cur : cur.trim());
      cur = '';
      wasQuoted = false;
      i++;
      continue;
    }
    if (wasQuoted && c.trim() !== '') throw new InputError('text after a closing quote; quote the whole cell');
    if (!wasQuoted || c.trim() !== '') cur += c;
    i++;
  }
  if (quoted) throw new InputError('a quote is not closed');
  cells.push(wasQuoted ? cur : cur.trim());
  return cells;
}

function expiryOf(cell: string | undefined, opts: ImportOptions, field: string): number | undefined {
  const text = cell?.trim() ?? '';
  if (text === '') {
    if (opts.defaultDuration !== undefined) return resolveExpiry({ duration: opts.defaultDuration }, '', opts.nowSeconds);
    if (opts.defaultExpires !== undefined) return expiryOf(opts.defaultExpires, { ...opts, defaultDuration: undefined, defaultExpires: undefined }, field);
    return undefined;
  }
  try {
    if (/^[0-9]+$/.test(text)) return resolveExpiry({ expiresAt: Number(text) }, '', opts.nowSeconds);
    if (/^[0-9]+[smhdw]$/.test(text)) return resolveExpiry({ duration: text }, '', opts.nowSeconds);
    return resolveExpiry({ expiresAt: text }, '', opts.nowSeconds);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.message.replace(/^(expiresAt|duration)/, field), field);
    throw e;
  }
}

export function parseImport(content: string, opts: ImportOptions): ParsedImport {
  const entries: ImportEntry[] = [];
  const rejected: RejectedLine[] = [];
  const seen = new Map<string, number>();
  let skipped = 0;
  let sawData = false;
  const lines = content.replace(/^\uFEFF/, '').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      skipped++;
      return;
    }
    try {
      let cells: string[];
      if (trimmed.includes(',')) {
        cells = splitCsv(trimmed);
        if (!sawData && HEADER_NAMES.has(cells[0]!.trim().toLowerCase())) {
          sawData = true;
          skipped++;
          return;
        }
        if (cells.length > 3) throw new InputError(`${cells.length} cells; expected network,reason[,expires]`);
      } else {
        // A plain entry, perhaps with a trailing comment.
        cells = [trimmed.replace(/\s+#.*$/, '')];
      }
      sawData = true;
      const network = parseListableNetwork(cells[0]!, 'network', opts.limits);
      if (!opts.allowReserved) validatePublicNetwork(network, 'network', opts.reservedHint ?? 'set allowReserved to list it anyway');
      const reasonCell = cells[1] ?? '';
      const reason = validateRawText(reasonCell.trim() === '' ? opts.defaultReason : reasonCell, 'reason', MAX_REASON_LENGTH);
      const expiresAt = expiryOf(cells[2], opts, 'expires');
      const key = networkKey(network);
      const first = seen.get(key);
      if (first !== undefined) throw new InputError(`${formatNetwork(network)} is already on line ${first}`);
      seen.set(key, line);
      entries.push({ line, network, canonical: formatNetwork(network), reason, ...(expiresAt !== undefined ? { expiresAt } : {}) });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      rejected.push({ line, text: text.length > 120 ? `${text.slice(0, 120)}…` : text, reason: e.message });
    }
  });
  return { entries, rejected, skipped, lines: lines.length };
}
