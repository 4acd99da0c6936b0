// The meaning of a write batch, checked with core before anything is written: every item's network,
// texts, list and expiry, and that no (list, network) appears twice. All problems are reported,
// item by item, so a client can fix a whole batch in one round.
import { InputError } from '../core/input-error.js';
import { formatNetwork, type Network, networkKey } from '../core/ip.js';
import {
  findList,
  type ListingLimits,
  MAX_REASON_LENGTH,
  MAX_SOURCE_LENGTH,
  parseListableNetwork,
  validatePublicNetwork,
  validateText,
  type ZoneConfig,
} from '../core/listing.js';
import { ApiError, type Problem, problemOf, quote } from './errors.js';
import type { RemoveItem, UpsertItem } from './schemas.js';

/** Expiries further out than this are refused (likely a typo, or milliseconds given as seconds). */
export const MAX_EXPIRY_SECONDS = 10 * 366 * 86_400;

export interface UpsertIntent {
  readonly index: number;
  readonly list: string;
  readonly network: Network;
  readonly reason: string;
  readonly source: string;
  readonly expiresAt?: number;
  readonly ifVersion?: number;
  readonly exclusion: boolean;
}

export interface RemoveIntent {
  readonly index: number;
  readonly list: string;
  readonly network: Network;
  readonly reason: string;
  readonly ifVersion?: number;
  readonly exclusion: boolean;
}

export interface ValidationContext {
  readonly cfg: ZoneConfig;
  readonly limits: ListingLimits;
  readonly caller: string;
  readonly nowSeconds: number;
  readonly exclusion: boolean;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** Parses an ISO 8601 time with a zone ("2030-01-01T00:00:00Z"): epoch seconds (floored). */
export function parseIsoTime(value: string, field: string): number {
  const m = ISO_TIME.exec(value);
  if (!m) {
    throw new InputError(`${field} ${quote(value)} is not an ISO 8601 time with a zone, e.g. "2030-01-01T00:00:00Z"`, field);
  }
  const [, y, mo, d, h, mi, s] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) {
    throw new InputError(`${field} ${quote(value)} is not a valid date and time`, field);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InputError(`${field} ${quote(value)} is not a valid date and time`, field);
  return Math.floor(ms / 1000);
}

const DURATION = /^([1-9][0-9]{0,9})([smhdw])$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** "30m", "12h", "7d" -> seconds. */
export function parseDuration(value: string, field: string): number {
  const m = DURATION.exec(value);
  if (!m) {
    throw new InputError(`${field} ${quote(value)} is not a duration: write a number and a unit (s, m, h, d or w), e.g. "30m", "12h", "7d"`, field);
  }
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  if (seconds > MAX_EXPIRY_SECONDS) throw new InputError(`${field} ${quote(value)} is longer than 10 years`, field);
  return seconds;
}

/** The expiry of an item as epoch seconds: from expiresAt (ISO or epoch seconds) or duration. */
export function resolveExpiry(
  item: { expiresAt?: string | number; duration?: string },
  prefix: string,
  nowSeconds: number,
): number | undefined {
  if (item.expiresAt !== undefined && item.duration !== undefined) {
    throw new InputError(`${prefix}expiresAt and ${prefix}duration are exclusive; give one of them`, `${prefix}duration`);
  }
  if (item.duration !== undefined) return nowSeconds + parseDuration(item.duration, `${prefix}duration`);
  if (item.expiresAt === undefined) return undefined;
  const field = `${prefix}expiresAt`;
  let at: number;
  if (typeof item.expiresAt === 'number') {
    if (!Number.isInteger(item.expiresAt) || item.expiresAt < 0) {
      throw new InputError(`${field} ${item.expiresAt} is not epoch seconds (a whole number of seconds since 1970)`, field);
    }
    if (item.expiresAt > 100_000_000_000) {
      throw new InputError(`${field} ${item.expiresAt} looks like milliseconds; give epoch seconds`, field);
    }
    at = item.expiresAt;
  } else {
    at = parseIsoTime(item.expiresAt, field);
  }
  if (at <= nowSeconds) {
    throw new InputError(`${field} ${new Date(at * 1000).toISOString()} is not in the future (now is ${new Date(nowSeconds * 1000).toISOString()})`, field);
  }
  if (at > nowSeconds + MAX_EXPIRY_SECONDS) throw new InputError(`${field} is more than 10 years ahead`, field);
  return at;
}

/** The caller as a default source: printable ASCII, at most MAX_SOURCE_LENGTH (the end of a long ARN is kept). */
export function defaultSource(caller: string): string {
  const clean = caller.replace(/[^\x20-\x7e]/g, '?').trim() || 'unknown';
  return clean.length <= MAX_SOURCE_LENGTH ? clean : `...${clean.slice(clean.length - (MAX_SOURCE_LENGTH - 3))}`;
}

/**
 * Core's validateText, but control and non-ASCII characters are refused anywhere in the raw text,
 * including the ends (core trims first, so "\nevil" would quietly become "evil"): an API client
 * sending them has a bug or is probing, and should hear about it.
 */
export function validateRawText(value: unknown, field: string, maxLength: number): string {
  if (typeof value === 'string') {
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x20 || c === 0x7f) {
        const hex = c.toString(16).toUpperCase().padStart(4, '0');
        throw new InputError(`${field} contains a control character (U+${hex}) at position ${i + 1}`, field);
      }
      if (c > 0x7e) {
        const ch = String.fromCodePoint(value.codePointAt(i)!);
        throw new InputError(
          `${field} contains the non-ASCII character ${JSON.stringify(ch)} at position ${i + 1}; only printable ASCII is allowed in DNS TXT records`,
          field,
        );
      }
    }
  }
  return validateText(value, field, maxLength);
}

function attempt<T>(problems: Problem[], f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError) {
      problems.push(problemOf(e));
      return undefined;
    }
    throw e;
  }
}

function checkList(cfg: ZoneConfig, list: string, field: string, problems: Problem[]): boolean {
  if (findList(cfg, list)) return true;
  problems.push({
    code: 'unknown-list',
    message: `${field} ${quote(list)} is not a configured list; configured lists: ${cfg.lists.map((l) => l.name).join(', ')}`,
    field,
  });
  return false;
}

/** One problem per repeated (list, network), naming both items. */
function checkDuplicates(
  intents: ReadonlyArray<{ index: number; list: string; network: Network }>,
  raw: ReadonlyArray<{ network: string } | undefined>,
  problems: Problem[],
): void {
  const seen = new Map<string, number>();
  for (const it of intents) {
    const key = `${it.list}|${networkKey(it.network)}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, it.index);
      continue;
    }
    const a = raw[first]?.network ?? '';
    const b = raw[it.index]?.network ?? '';
    const same = a === b ? '' : ` (${quote(b)} and ${quote(a)} are the same network)`;
    problems.push({
      code: 'duplicate-network',
      message: `items[${it.index}] and items[${first}] both name ${formatNetwork(it.network)} in list ${it.list}${same}; give each network once per list in a batch`,
      field: `items[${it.index}].network`,
    });
  }
}

function fail(problems: Problem[]): never {
  // Document order: by item, then by field as found.
  const idx = (p: Problem) => Number(/^items\[(\d+)\]/.exec(p.field ?? '')?.[1] ?? -1);
  const sorted = problems.map((p, i) => ({ p, i })).sort((x, y) => idx(x.p) - idx(y.p) || x.i - y.i).map((x) => x.p);
  throw ApiError.fromProblems(400, sorted);
}

/** `items`: undefined where an item was malformed (its problems are in `prior`). */
export function validateUpserts(items: ReadonlyArray<UpsertItem | undefined>, ctx: ValidationContext, prior: readonly Problem[] = []): UpsertIntent[] {
  const problems: Problem[] = [...prior];
  const intents: UpsertIntent[] = [];
  items.forEach((item, index) => {
    if (!item) return;
    const p = `items[${index}].`;
    const before = problems.length;
    const listOk = checkList(ctx.cfg, item.list, `${p}list`, problems);
    let network = attempt(problems, () => parseListableNetwork(item.network, `${p}network`, ctx.limits));
    // Listings only: an exclusion can only make the list answer less, so it may go anywhere.
    if (network && !ctx.exclusion && item.allowReserved !== true) {
      const n = network;
      network = attempt(problems, () => validatePublicNetwork(n, `${p}network`, `set ${p}allowReserved to true to list it anyway`));
      if (!network) problems[problems.length - 1] = { ...problems[problems.length - 1]!, code: 'reserved-network' };
    }
    const reason = attempt(problems, () => validateRawText(item.reason, `${p}reason`, MAX_REASON_LENGTH));
    const source =
      item.source === undefined ? defaultSource(ctx.caller) : attempt(problems, () => validateRawText(item.source, `${p}source`, MAX_SOURCE_LENGTH));
    const expiresAt = attempt(problems, () => resolveExpiry(item, p, ctx.nowSeconds));
    if (problems.length > before || !listOk || !network || reason === undefined || source === undefined) return;
    intents.push({
      index,
      list: item.list,
      network,
      reason,
      source,
      exclusion: ctx.exclusion,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(item.ifVersion !== undefined ? { ifVersion: item.ifVersion } : {}),
    });
  });
  checkDuplicates(intents, items, problems);
  if (problems.length > 0) fail(problems);
  return intents;
}

export function validateRemovals(items: ReadonlyArray<RemoveItem | undefined>, ctx: ValidationContext, prior: readonly Problem[] = []): RemoveIntent[] {
  const problems: Problem[] = [...prior];
  const intents: RemoveIntent[] = [];
  items.forEach((item, index) => {
    if (!item) return;
    const p = `items[${index}].`;
    const before = problems.length;
    const listOk = checkList(ctx.cfg, item.list, `${p}list`, problems);
    // Any width can be removed (limits may have been wider when it was listed).
    const network = attempt(problems, () => parseListableNetwork(item.network, `${p}network`, { maxWidth4: 0, maxWidth6: 0 }));
    const reason = attempt(problems, () => validateRawText(item.reason, `${p}reason`, MAX_REASON_LENGTH));
    if (problems.length > before || !listOk || !network || reason === undefined) return;
    intents.push({
      index,
      list: item.list,
      network,
      reason,
      exclusion: ctx.exclusion,
      ...(item.ifVersion !== undefined ? { ifVersion: item.ifVersion } : {}),
    });
  });
  checkDuplicates(intents, items, problems);
  if (problems.length > 0) fail(problems);
  return intents;
}
