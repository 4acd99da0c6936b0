// Evidence events: what a reporter says it saw ({ip, kind, observedAt, reporter?, detail?, id?}),
// validated item by item. A batch keeps its good events and names each bad one with its own error
// ("items[3].ip: "192.0.2.300" is not an IPv4 address (octet 300 is over 255)"), so a feed with a
// typo in one line loses that line only.
//
// Idempotency: an event has an id. A reporter may give one (its own, e.g. a trap log line id);
// without one the id is a digest of the event's content (reporter, ip, kind, time, detail), so
// sending the same file twice stores each event once.
import { createHash } from 'node:crypto';
import { InputError } from './input-error.js';
import { FAMILY_BITS, formatNetwork, type Network, parseAddress } from './ip.js';

export interface EvidenceEvent {
  readonly id: string;
  /** A single address (prefix /32 or /128). */
  readonly ip: Network;
  readonly kind: string;
  /** Epoch seconds. */
  readonly observedAt: number;
  /** Who reported it: the reporter's own name, or the authenticated caller when it gave none. */
  readonly reporter: string;
  /** Free text kept with the event (never published). */
  readonly detail?: string;
}

export interface EvidenceProblem {
  readonly index: number;
  readonly field: string;
  readonly message: string;
}

export interface EvidenceValidation {
  readonly events: EvidenceEvent[];
  readonly problems: EvidenceProblem[];
}

export interface EvidenceContext {
  /** The configured kinds (across the lists' policies). */
  readonly kinds: ReadonlySet<string>;
  readonly nowSeconds: number;
  /** The authenticated caller: the reporter when an event names none. */
  readonly caller: string;
  /** How far ahead of now an observation may be (clock skew); default 300 s. */
  readonly maxSkewSeconds?: number;
  /** How old an observation may be; default 30 days (older evidence cannot list anything). */
  readonly maxAgeSeconds?: number;
}

export const MAX_EVENTS = 1000;
export const MAX_DETAIL_LENGTH = 1000;
export const MAX_REPORTER_LENGTH = 200;
export const MAX_EVENT_ID_LENGTH = 128;
const EVENT_ID = /^[\x21-\x7e]{1,128}$/;
const KIND = /^[a-z][a-z0-9-]{0,30}$/;
const FIELDS = new Set(['id', 'ip', 'kind', 'observedAt', 'reporter', 'detail']);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

function show(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/** Printable ASCII, trimmed, bounded; control characters refused (they would reach logs and views). */
function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') throw new InputError(`${field} must be a string`, field);
  const t = value.trim();
  if (t.length === 0) throw new InputError(`${field} must not be empty`, field);
  if (t.length > max) throw new InputError(`${field} is ${t.length} characters long; at most ${max} are allowed`, field);
  const bad = /[^\x20-\x7e]/.exec(t);
  if (bad) throw new InputError(`${field} contains ${JSON.stringify(bad[0])} at position ${bad.index + 1}; only printable ASCII is allowed`, field);
  return t;
}

/** ISO 8601 with a zone, or epoch seconds; epoch seconds floored. */
export function parseObservedAt(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new InputError(`${field} ${value} is not epoch seconds`, field);
    if (value > 100_000_000_000) throw new InputError(`${field} ${value} looks like milliseconds; give epoch seconds`, field);
    return Math.floor(value);
  }
  if (typeof value !== 'string') throw new InputError(`${field} must be an ISO 8601 time or epoch seconds`, field);
  const ms = ISO_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new InputError(`${field} ${show(value)} is not an ISO 8601 time with a zone, e.g. "2030-01-01T00:00:00Z"`, field);
  return Math.floor(ms / 1000);
}

/** The id of an event that came without one: a digest of what it says. */
export function contentId(e: Omit<EvidenceEvent, 'id'>): string {
  const h = createHash('sha256');
  h.update([e.reporter, formatNetwork(e.ip), e.kind, String(e.observedAt), e.detail ?? ''].join('\u0000'));
  return `c-${h.digest('base64url').slice(0, 32)}`;
}

/** One event; throws InputError naming the field (`items[i].ip` …). */
export function validateEvent(raw: unknown, index: number, ctx: EvidenceContext): EvidenceEvent {
  const p = `items[${index}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${p} must be an object {ip, kind, observedAt, reporter?, detail?, id?}`, p);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) throw new InputError(`${p}.${k} is not a field of an event (allowed: ${[...FIELDS].join(', ')})`, `${p}.${k}`);
  if (o.ip === undefined) throw new InputError(`${p}.ip is missing`, `${p}.ip`);
  if (typeof o.ip !== 'string') throw new InputError(`${p}.ip must be a string`, `${p}.ip`);
  const ip = parseAddress(o.ip, `${p}.ip`);
  if (o.kind === undefined) throw new InputError(`${p}.kind is missing`, `${p}.kind`);
  if (typeof o.kind !== 'string' || !KIND.test(o.kind)) throw new InputError(`${p}.kind ${show(o.kind)} is not a kind name (lower-case letters, digits and "-")`, `${p}.kind`);
  if (!ctx.kinds.has(o.kind)) {
    throw new InputError(`${p}.kind ${show(o.kind)} is not a configured kind; configured: ${[...ctx.kinds].sort().join(', ') || '(none)'}`, `${p}.kind`);
  }
  if (o.observedAt === undefined) throw new InputError(`${p}.observedAt is missing`, `${p}.observedAt`);
  const observedAt = parseObservedAt(o.observedAt, `${p}.observedAt`);
  const skew = ctx.maxSkewSeconds ?? 300;
  const maxAge = ctx.maxAgeSeconds ?? 30 * 86_400;
  const iso = (s: number) => new Date(s * 1000).toISOString();
  if (observedAt > ctx.nowSeconds + skew) {
    throw new InputError(`${p}.observedAt ${iso(observedAt)} is in the future (now is ${iso(ctx.nowSeconds)}, ${skew} s of clock skew allowed)`, `${p}.observedAt`);
  }
  if (observedAt < ctx.nowSeconds - maxAge) {
    throw new InputError(`${p}.observedAt ${iso(observedAt)} is older than ${Math.round(maxAge / 86_400)} days; such evidence is not kept`, `${p}.observedAt`);
  }
  const reporter = o.reporter === undefined ? ctx.caller.slice(-MAX_REPORTER_LENGTH) : text(o.reporter, `${p}.reporter`, MAX_REPORTER_LENGTH);
  const detail = o.detail === undefined ? undefined : text(o.detail, `${p}.detail`, MAX_DETAIL_LENGTH);
  let id: string;
  if (o.id !== undefined) {
    if (typeof o.id !== 'string' || !EVENT_ID.test(o.id)) {
      throw new InputError(`${p}.id ${show(o.id)} is not an event id (1 to ${MAX_EVENT_ID_LENGTH} printable ASCII characters, no spaces)`, `${p}.id`);
    }
    id = o.id;
  } else {
    id = contentId({ ip, kind: o.kind, observedAt, reporter, ...(detail !== undefined ? { detail } : {}) });
  }
  return { id, ip, kind: o.kind, observedAt, reporter, ...(detail !== undefined ? { detail } : {}) };
}

/**
 * A batch: every good event, and one problem per bad one (its first). An id given twice in one batch
 * is a problem on the second item (unless the two are the same event, then it is simply one).
 */
export function validateEvents(items: readonly unknown[], ctx: EvidenceContext): EvidenceValidation {
  const events: EvidenceEvent[] = [];
  const problems: EvidenceProblem[] = [];
  const seen = new Map<string, { index: number; event: EvidenceEvent }>();
  items.forEach((raw, index) => {
    try {
      const e = validateEvent(raw, index, ctx);
      const before = seen.get(e.id);
      if (before) {
        if (!sameEvent(before.event, e)) {
          problems.push({ index, field: `items[${index}].id`, message: `items[${index}].id ${show(e.id)} is also the id of items[${before.index}], a different event` });
        }
        return;
      }
      seen.set(e.id, { index, event: e });
      events.push(e);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems.push({ index, field: err.field ?? `items[${index}]`, message: err.message });
    }
  });
  return { events, problems };
}

export function sameEvent(a: EvidenceEvent, b: EvidenceEvent): boolean {
  return (
    a.id === b.id &&
    a.kind === b.kind &&
    a.observedAt === b.observedAt &&
    a.reporter === b.reporter &&
    a.detail === b.detail &&
    a.ip.family === b.ip.family &&
    a.ip.start === b.ip.start
  );
}

/** An event as JSON (the address in canonical text, the time in ISO 8601). */
export function eventView(e: EvidenceEvent): { id: string; ip: string; kind: string; observedAt: string; reporter: string; detail?: string } {
  return {
    id: e.id,
    ip: formatNetwork(e.ip),
    kind: e.kind,
    observedAt: new Date(e.observedAt * 1000).toISOString(),
    reporter: e.reporter,
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
  };
}

export function isHost(n: Network): boolean {
  return n.prefix === FAMILY_BITS[n.family];
}
