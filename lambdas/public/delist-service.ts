// Self-service delisting: request -> confirmation mail -> confirm -> the list's policy decides
// (core/delist-policy.ts): delist now, through the operator API's own writer (version-checked,
// audited), or queue for an operator, who approves or denies (lambdas/api/requests.ts). Every step
// is in the audit trail of the address with the request id; the requester is mailed the link and,
// after a review, the outcome. A request only ever touches the one address it names: a range is
// never delisted here (an operator's approval adds an exclusion for exactly that address).
import { randomBytes, randomUUID } from 'node:crypto';
import { type DelistRequest, type DelistRequests, hashToken, type ListOutcome } from '../adapters/delist-requests.js';
import type { ProofResolver } from '../adapters/dns-proof.js';
import type { Journal } from '../adapters/journal.js';
import type { ListingsTable, StoredListing } from '../adapters/listings-table.js';
import type { Mailer } from '../adapters/mailer.js';
import type { ApiDeps } from '../api/deps.js';
import { ApiError, quote } from '../api/errors.js';
import { applyOne } from '../api/listings.js';
import { decideSelfDelist, type DelistDecision, selfDelistPolicy } from '../core/delist-policy.js';
import { InputError } from '../core/input-error.js';
import { FAMILY_BITS, formatNetwork, type Network, parseNetwork } from '../core/ip.js';
import { isActive, isTestPoint, type ZoneConfig } from '../core/listing.js';
import { parsePublicAddress } from './lookup-service.js';
import { type Lang, t } from './messages.js';

export const TOKEN_MINUTES = 15;
export const STATEMENT_MIN = 10;
export const STATEMENT_MAX = 1000;
export const MAX_EMAIL = 254;
export const MAX_DENY_REASON = 500;
export const PROOF_LABEL = '_dnsbl-delist';

export interface DelistDeps {
  readonly cfg: ZoneConfig;
  readonly table: ListingsTable;
  readonly journal: Journal;
  readonly requests: DelistRequests;
  readonly mailer: Mailer;
  /** Where DNS proof is checked (omitted: the system resolver is not assumed; lists asking for proof refuse). */
  readonly proof?: ProofResolver;
  /** The public site's base URL, e.g. "https://bl.example.org" (the confirmation link starts with it). */
  readonly publicBaseUrl: string;
  readonly now?: () => Date;
}

/** What the requester sees of a request (never the contact or the statement). */
export interface PublicRequestView {
  readonly id: string;
  readonly address: string;
  readonly status: DelistRequest['status'];
  readonly outcomes: readonly ListOutcome[];
  readonly denyReason?: string;
}

export function publicView(r: DelistRequest): PublicRequestView {
  return { id: r.id, address: r.address, status: r.status, outcomes: r.outcomes ?? [], ...(r.denyReason ? { denyReason: r.denyReason } : {}) };
}

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function validateEmail(v: unknown, field = 'email'): string {
  if (typeof v !== 'string' || v.trim() === '') throw new InputError(`${field} is missing: give the e-mail address the confirmation link goes to`, field);
  const s = v.trim();
  if (s.length > MAX_EMAIL) throw new InputError(`${field} is ${s.length} characters long; at most ${MAX_EMAIL}`, field);
  if (!EMAIL.test(s)) throw new InputError(`${field} ${quote(s)} is not an e-mail address (ASCII, name@domain.tld)`, field);
  return s;
}

export function validateStatement(v: unknown, field = 'statement'): string {
  if (typeof v !== 'string') throw new InputError(`${field} is missing: say what was fixed (${STATEMENT_MIN} to ${STATEMENT_MAX} characters)`, field);
  const s = v.replace(/\r\n?/g, '\n').trim();
  if ([...s].length < STATEMENT_MIN) throw new InputError(`${field} is ${[...s].length} characters long; say what was fixed in at least ${STATEMENT_MIN}`, field);
  if ([...s].length > STATEMENT_MAX) throw new InputError(`${field} is ${[...s].length} characters long; at most ${STATEMENT_MAX}`, field);
  const bad = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.exec(s);
  if (bad) throw new InputError(`${field} contains the control character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${bad.index + 1}`, field);
  return s;
}

export function validateDomain(v: unknown, field = 'domain'): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new InputError(`${field} must be a domain name`, field);
  const s = v.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(s)) throw new InputError(`${field} ${quote(v)} is not a domain name (e.g. mail.example.com)`, field);
  return s;
}

export function validateRequestId(v: unknown, field = 'id'): string {
  if (typeof v !== 'string' || !UUID.test(v)) throw new InputError(`${field} ${quote(v ?? '')} is not a request id (as in the confirmation link)`, field);
  return v;
}

export function validateToken(v: unknown, field = 'token'): string {
  if (typeof v !== 'string' || !TOKEN.test(v)) throw new InputError(`${field} is not a confirmation token (43 characters from the confirmation link)`, field);
  return v;
}

function why(lang: Lang, d: DelistDecision): string {
  return d.outcome === 'delist' ? '' : t(lang, `why.${d.why}`);
}

export class DelistService {
  constructor(private readonly deps: DelistDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private apiDeps(): ApiDeps {
    const { cfg, table, journal } = this.deps;
    return { cfg, table, journal, ...(this.deps.now ? { now: this.deps.now } : {}) };
  }

  /** The active listing (or exclusion) of `list` that decides the address now. */
  private async decider(list: string, address: Network): Promise<StoredListing | undefined> {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const covering = await this.deps.table.covering(address, [list], address.family === 4 ? 8 : 32);
    let best: StoredListing | undefined;
    for (const l of covering) if (l.list === list && isActive(l, nowSeconds) && (!best || l.network.prefix > best.network.prefix)) best = l;
    return best;
  }

  /** Step 1: check, store (token hash only), audit, mail the link. Nothing is stored for a refused request. */
  async request(input: Readonly<Record<string, unknown>>, lang: Lang): Promise<{ id: string; address: string; lists: string[]; tokenExpiresAt: string; dnsProof?: { name: string; value: string } }> {
    const problems: InputError[] = [];
    const attempt = <T>(f: () => T): T | undefined => {
      try {
        return f();
      } catch (e) {
        if (e instanceof InputError) problems.push(e);
        else throw e;
        return undefined;
      }
    };
    const address = attempt(() => parsePublicAddress(input.ip));
    const email = attempt(() => validateEmail(input.email));
    const statement = attempt(() => validateStatement(input.statement));
    const domain = attempt(() => validateDomain(input.domain));
    if (problems.length > 0 || !address || !email || !statement) {
      throw ApiError.fromProblems(400, problems.map((p) => ({ code: 'invalid-value', message: p.message, ...(p.field ? { field: p.field } : {}) })));
    }
    const ip = formatNetwork(address);
    if (isTestPoint(address)) throw new ApiError(400, 'test-point', `${ip} is in 127.0.0.0/8, the lists' test points: it cannot be delisted`, 'ip');
    const listed: string[] = [];
    const closed: string[] = [];
    for (const list of this.deps.cfg.lists) {
      const d = await this.decider(list.name, address);
      if (!d || d.exclusion) continue;
      (selfDelistPolicy(list).mode === 'never' ? closed : listed).push(list.name);
    }
    if (listed.length === 0 && closed.length === 0) throw new ApiError(409, 'not-listed', `${ip} is not listed in any list of ${this.deps.cfg.zone}: there is nothing to remove`, 'ip');
    if (listed.length === 0) {
      throw new ApiError(403, 'self-service-closed', `${ip} is listed in ${closed.join(', ')}, which do not remove addresses by self-service; contact the list operator`, 'ip');
    }
    const proofLists = listed.filter((n) => selfDelistPolicy(this.deps.cfg.lists.find((l) => l.name === n)!).dnsProof);
    if (proofLists.length > 0 && !domain) {
      throw new ApiError(400, 'dns-proof-required', `list ${proofLists.join(', ')} asks for DNS proof of control: give "domain", a name that resolves to ${ip}`, 'domain');
    }
    const now = this.now();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const proofToken = proofLists.length > 0 ? `dnsbl-delist=${randomBytes(18).toString('base64url')}` : undefined;
    const tokenExpiresAt = nowSeconds + TOKEN_MINUTES * 60;
    const record: DelistRequest = {
      id,
      address: ip,
      lists: listed,
      contact: email,
      statement,
      ...(domain ? { domain } : {}),
      ...(proofToken ? { proofToken } : {}),
      lang,
      createdAt: now.toISOString(),
      status: 'unconfirmed',
      tokenExpiresAt,
    };
    await this.deps.requests.create(record, hashToken(token));
    await this.audit(address, 'delist-request', listed.join(','), `delisting requested: ${statement}`, id);
    const link = `${this.deps.publicBaseUrl}/delist/confirm?id=${id}&token=${token}`;
    try {
      await this.deps.mailer.send({
        to: email,
        subject: t(lang, 'mail.confirm.subject', { ip }),
        text: t(lang, 'mail.confirm.body', { ip, zone: this.deps.cfg.zone, minutes: TOKEN_MINUTES, link, id }),
      });
    } catch (e) {
      throw new ApiError(503, 'mail-failed', `the confirmation mail to ${quote(email)} could not be sent (${(e as Error).message.slice(0, 100)}); try again later`, 'email');
    }
    await this.audit(address, 'delist-mail-sent', listed.join(','), 'confirmation link mailed to the contact', id);
    return {
      id,
      address: ip,
      lists: listed,
      tokenExpiresAt: new Date(tokenExpiresAt * 1000).toISOString(),
      ...(proofToken && domain ? { dnsProof: { name: `${PROOF_LABEL}.${domain}`, value: proofToken } } : {}),
    };
  }

  private async audit(address: Network, action: Parameters<Journal['audit']>[1]['action'], list: string, reason: string, requestId: string, actor = 'public'): Promise<void> {
    await this.deps.journal.audit(address, { action, list, actor, reason: reason.slice(0, 1000), requestId, at: this.now().toISOString() });
  }

  /** The request a confirmation link names, if the link is still good (the confirm page shows it; nothing changes). */
  async checkLink(idIn: unknown, tokenIn: unknown): Promise<DelistRequest> {
    const id = validateRequestId(idIn);
    const token = validateToken(tokenIn);
    const r = await this.deps.requests.get(id);
    if (!r) throw new ApiError(404, 'unknown-request', `there is no request ${id} (requests are deleted a day after their link expires)`, 'id');
    if (r.status !== 'unconfirmed') throw new ApiError(409, 'already-confirmed', `request ${id} was already confirmed (status ${r.status}); the link works once and nothing changed`, 'token');
    if (!(await this.deps.requests.tokenMatches(id, token))) throw new ApiError(403, 'invalid-token', `this is not the confirmation token of request ${id}; nothing changed`, 'token');
    if (r.tokenExpiresAt <= Math.floor(this.now().getTime() / 1000)) {
      throw new ApiError(410, 'link-expired', `the link of request ${id} expired ${TOKEN_MINUTES} minutes after it was sent; request delisting again`, 'token');
    }
    return r;
  }

  /** Step 2: use the token once, then let each list's policy decide. */
  async confirm(idIn: unknown, tokenIn: unknown): Promise<PublicRequestView> {
    const r = await this.checkLink(idIn, tokenIn);
    const token = tokenIn as string;
    const address = parseNetwork(r.address, { maxWidth4: 0, maxWidth6: 0 });
    if (r.proofToken && r.domain) await this.checkProof(r, address);
    const now = this.now();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    if (!(await this.deps.requests.claim(r.id, token, nowSeconds, now.toISOString()))) {
      throw new ApiError(409, 'already-confirmed', `request ${r.id} was confirmed meanwhile; the link works once and nothing changed`, 'token');
    }
    await this.audit(address, 'delist-confirmed', r.lists.join(','), 'the contact confirmed the request', r.id);
    const lang = (r.lang === 'ja' ? 'ja' : 'en') as Lang;
    const outcomes: ListOutcome[] = [];
    for (const name of r.lists) {
      const list = this.deps.cfg.lists.find((l) => l.name === name);
      if (!list) continue;
      const policy = selfDelistPolicy(list);
      const cur = await this.decider(name, address);
      const listing = cur && !cur.exclusion ? cur : undefined;
      const decision = decideSelfDelist({ policy, address, listing, selfDelistings: await this.deps.requests.selfDelistings(name, address), now });
      const network = listing ? formatNetwork(listing.network) : undefined;
      if (decision.outcome === 'delist') {
        await this.deps.requests.recordSelfDelisting(name, address, now.toISOString());
        const done = await applyOne(this.apiDeps(), `portal:request/${r.id}`, { index: 0, list: name, network: address, reason: `self-service delisting, request ${r.id}`, exclusion: false }, false);
        if (done.result.status === 'delisted') {
          outcomes.push({ list: name, outcome: 'delisted', ...(network ? { network } : {}) });
          continue;
        }
        outcomes.push({ list: name, outcome: 'refused', why: t(lang, 'why.not-listed') });
        await this.audit(address, 'delist-refused', name, `not delisted: ${done.result.status}`, r.id);
      } else if (decision.outcome === 'review') {
        outcomes.push({ list: name, outcome: 'queued', why: why(lang, decision), ...(network ? { network } : {}), ...(decision.lockedUntil ? { lockedUntil: decision.lockedUntil } : {}) });
        await this.audit(address, 'delist-queued', name, `queued for review: ${decision.why}${decision.lockedUntil ? ` (self-service locked until ${decision.lockedUntil})` : ''}`, r.id);
      } else {
        outcomes.push({ list: name, outcome: 'refused', why: why(lang, decision) });
        await this.audit(address, 'delist-refused', name, `refused: ${decision.why}`, r.id);
      }
    }
    const review = outcomes.some((o) => o.outcome === 'queued');
    await this.deps.requests.recordOutcome(r.id, review ? 'in-review' : 'done', outcomes, nowSeconds);
    return { id: r.id, address: r.address, status: review ? 'in-review' : 'done', outcomes };
  }

  private async checkProof(r: DelistRequest, address: Network): Promise<void> {
    const name = `${PROOF_LABEL}.${r.domain}`;
    if (!this.deps.proof) throw new ApiError(503, 'dns-proof-unavailable', 'DNS proof cannot be checked here; contact the list operator', 'domain');
    const [addrs, txt] = await Promise.all([this.deps.proof.addresses(r.domain!), this.deps.proof.txt(name)]);
    const resolves = addrs.some((a) => {
      try {
        const n = parseNetwork(a, { maxWidth4: 0, maxWidth6: 0 });
        return n.family === address.family && n.start === address.start && n.prefix === FAMILY_BITS[n.family];
      } catch {
        return false;
      }
    });
    if (!resolves) {
      throw new ApiError(409, 'dns-proof-failed', `${r.domain} does not resolve to ${r.address} (it resolves to ${addrs.length ? addrs.slice(0, 4).join(', ') : 'nothing'}); the link stays valid until it expires`, 'domain');
    }
    if (!txt.includes(r.proofToken!)) {
      throw new ApiError(409, 'dns-proof-failed', `no TXT record "${r.proofToken}" at ${name} yet; publish it and open the link again (it stays valid until it expires)`, 'domain');
    }
  }

  /** Requests waiting for an operator (operators only: with the contact and the statement). */
  async awaitingReview(limit = 100): Promise<DelistRequest[]> {
    return this.deps.requests.awaitingReview(limit);
  }

  async get(idIn: unknown): Promise<DelistRequest> {
    const id = validateRequestId(idIn);
    const r = await this.deps.requests.get(id);
    if (!r) throw new ApiError(404, 'unknown-request', `there is no request ${id}`, 'id');
    return r;
  }

  /**
   * An operator approves a request in review: each queued list's listing of the address goes, a
   * host listing delisted, a range left as it is with an exclusion for exactly the address; then
   * the decision is recorded, the requester mailed and the contact forgotten.
   */
  async approve(idIn: unknown, operator: string): Promise<DelistRequest> {
    const r = await this.get(idIn);
    if (r.status !== 'in-review') throw new ApiError(409, 'not-in-review', `request ${r.id} is ${r.status}, not in review; nothing changed`, 'id');
    const address = parseNetwork(r.address, { maxWidth4: 0, maxWidth6: 0 });
    const outcomes: ListOutcome[] = [];
    for (const o of r.outcomes ?? []) {
      if (o.outcome !== 'queued') {
        outcomes.push(o);
        continue;
      }
      const cur = await this.decider(o.list, address);
      const reason = `delisting request ${r.id} approved`;
      if (cur && !cur.exclusion) {
        const host = cur.network.prefix === FAMILY_BITS[cur.network.family];
        const done = host
          ? await applyOne(this.apiDeps(), operator, { index: 0, list: o.list, network: address, reason, exclusion: false }, false)
          : await applyOne(this.apiDeps(), operator, { index: 0, list: o.list, network: address, reason, source: `portal:${r.id}`, exclusion: true }, true);
        if (done.problem) throw new ApiError(409, done.problem.code, `${o.list}: ${done.problem.message}`, 'id');
      }
      outcomes.push({ ...o, outcome: 'approved' });
    }
    const now = this.now();
    if (!(await this.deps.requests.decide(r.id, 'approved', outcomes, operator, now.toISOString(), Math.floor(now.getTime() / 1000)))) {
      throw new ApiError(409, 'not-in-review', `request ${r.id} was decided meanwhile`, 'id');
    }
    await this.audit(address, 'delist-approved', r.lists.join(','), 'approved by an operator', r.id, operator);
    await this.mailOutcome({ ...r, outcomes }, 'approved', operator);
    return { ...r, status: 'approved', outcomes, decidedBy: operator, contact: undefined };
  }

  async deny(idIn: unknown, operator: string, reasonIn: unknown): Promise<DelistRequest> {
    if (typeof reasonIn !== 'string' || reasonIn.trim().length === 0) throw new ApiError(400, 'invalid-value', 'reason is missing: say why the request is denied (the requester is mailed it)', 'reason');
    const reason = reasonIn.trim();
    if (reason.length > MAX_DENY_REASON) throw new ApiError(400, 'invalid-value', `reason is ${reason.length} characters long; at most ${MAX_DENY_REASON}`, 'reason');
    if (/[\u0000-\u001f\u007f]/.test(reason)) throw new ApiError(400, 'invalid-value', 'reason contains a control character', 'reason');
    const r = await this.get(idIn);
    if (r.status !== 'in-review') throw new ApiError(409, 'not-in-review', `request ${r.id} is ${r.status}, not in review; nothing changed`, 'id');
    const outcomes = (r.outcomes ?? []).map((o) => (o.outcome === 'queued' ? { ...o, outcome: 'denied' as const } : o));
    const now = this.now();
    if (!(await this.deps.requests.decide(r.id, 'denied', outcomes, operator, now.toISOString(), Math.floor(now.getTime() / 1000), reason))) {
      throw new ApiError(409, 'not-in-review', `request ${r.id} was decided meanwhile`, 'id');
    }
    const address = parseNetwork(r.address, { maxWidth4: 0, maxWidth6: 0 });
    await this.audit(address, 'delist-denied', r.lists.join(','), `denied: ${reason}`, r.id, operator);
    await this.mailOutcome({ ...r, outcomes, denyReason: reason }, 'denied', operator);
    return { ...r, status: 'denied', outcomes, decidedBy: operator, denyReason: reason, contact: undefined };
  }

  private async mailOutcome(r: DelistRequest, outcome: 'approved' | 'denied', operator: string): Promise<void> {
    if (!r.contact) return;
    const lang = (r.lang === 'ja' ? 'ja' : 'en') as Lang;
    const lists = (r.outcomes ?? []).filter((o) => o.outcome === 'approved').map((o) => o.list).join(', ');
    await this.deps.mailer.send({
      to: r.contact,
      subject: t(lang, 'mail.outcome.subject', { id: r.id, ip: r.address }),
      text:
        outcome === 'approved'
          ? `${t(lang, 'mail.outcome.approved', { id: r.id, ip: r.address, lists })}\n\n${t(lang, 'result.dnsLag')}`
          : t(lang, 'mail.outcome.denied', { id: r.id, ip: r.address, reason: r.denyReason ?? '' }),
    });
    await this.deps.requests.forgetContact(r.id);
    await this.audit(parseNetwork(r.address, { maxWidth4: 0, maxWidth6: 0 }), 'delist-outcome-mailed', r.lists.join(','), `outcome (${outcome}) mailed; contact address deleted`, r.id, operator);
  }
}
