// Abuse reports by mail -> an evidence event for the first untrusted relay. Parsed with mailparser
// (simpleParser), not by hand:
//   - ARF (RFC 5965): a multipart/report; report-type=feedback-report whose second part is a
//     message/feedback-report (fields in header syntax: Feedback-Type, Source-IP, Arrival-Date,
//     Reporting-MTA, Original-Mail-From …) and whose third part is the reported message
//     (message/rfc822) or its header (text/rfc822-headers). The reporter's Source-IP names the
//     relay it received the message from; without one, the reported message's Received chain does.
//   - plain forwarded spam: the spam attached (message/rfc822), or redirected with its headers as
//     they were: its Received chain, walked from the top (the hop nearest the reporter), passing
//     over trusted relays (configured: our own and the reporters' mail servers) and non-public
//     addresses (internal hops); the first other address is the first untrusted relay.
// The event is returned unvalidated (the intake validates it like any other). A report naming a
// protected address still becomes evidence: the policy never lists it.
import { type Attachment, type HeaderValue, type ParsedMail, simpleParser } from 'mailparser';
import { contains, formatNetwork, type Network, parseAddress, specialPurposeRange } from '../core/ip.js';

export interface MailOptions {
  /** The kind the event gets (default "abuse-report"). */
  readonly kind?: string;
  /** Relays whose hops are passed over in Received chains. */
  readonly trustedRelays?: readonly Network[];
  /** Epoch seconds; the observation time when the mail gives none. */
  readonly nowSeconds: number;
}

export interface MailEvidence {
  /** The raw event for the intake, or undefined when no relay could be found. */
  readonly event?: { id: string; ip: string; kind: string; observedAt: number; reporter: string; detail: string };
  /** How the address was found, or why none was. */
  readonly how: string;
  readonly format: 'arf' | 'forwarded' | 'plain';
  readonly feedbackType?: string;
}

const PARSE = { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, checksumAlgo: false, keepDeliveryStatus: true, ignoreEmbedded: true } as const;

function text(v: HeaderValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.length > 0 ? text(v[0] as HeaderValue) : undefined;
  if (v instanceof Date) return v.toISOString();
  if ('value' in v && typeof v.value === 'string') return v.value;
  if ('text' in v && typeof v.text === 'string') return v.text;
  return undefined;
}

function all(v: HeaderValue | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : text(x as HeaderValue) ?? '')) : [text(v) ?? ''];
}

function printable(s: string, max: number): string {
  return s.replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

function address(s: string): Network | undefined {
  try {
    return parseAddress(s.replace(/^ipv6:/i, ''));
  } catch {
    return undefined;
  }
}

/** The connecting address a Received header records: the first address literal of its "from" part. */
export function receivedFrom(header: string): Network | undefined {
  const from = /^\s*from\s+([\s\S]*?)(?:\s+by\s+|;|$)/i.exec(header)?.[1];
  if (!from) return undefined;
  for (const m of from.matchAll(/\[([^\]\s]+)\]/g)) {
    const a = address(m[1]!);
    if (a) return a;
  }
  // Some MTAs write the address bare in the comment: "from host (192.0.2.1)" or "(helo) 192.0.2.1".
  for (const m of from.matchAll(/(?:^|[\s(=])((?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]*:[0-9a-f:.]+)(?=$|[\s)\]])/gi)) {
    const a = address(m[1]!);
    if (a) return a;
  }
  return undefined;
}

/** The time a Received header was written (after its ";"), epoch seconds. */
function receivedAt(header: string): number | undefined {
  const i = header.lastIndexOf(';');
  if (i < 0) return undefined;
  const ms = Date.parse(header.slice(i + 1).trim());
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** The first untrusted relay of a Received chain (newest header first), with the header's time. */
export function firstUntrustedRelay(received: readonly string[], trusted: readonly Network[]): { ip: Network; at?: number; hop: number } | undefined {
  for (let i = 0; i < received.length; i++) {
    const ip = receivedFrom(received[i]!);
    if (!ip) continue;
    if (trusted.some((t) => contains(t, ip))) continue;
    if (specialPurposeRange(ip)) continue;
    const at = receivedAt(received[i]!);
    return { ip, hop: i + 1, ...(at !== undefined ? { at } : {}) };
  }
  return undefined;
}

function parseMail(raw: Buffer | string): Promise<ParsedMail> {
  return simpleParser(raw, PARSE);
}

function fromAddress(mail: ParsedMail): string | undefined {
  return mail.from?.value[0]?.address;
}

const isType = (a: Attachment, ...types: string[]) => types.includes(a.contentType.toLowerCase());

export async function evidenceFromMail(raw: Buffer | string, opts: MailOptions): Promise<MailEvidence> {
  const mail = await parseMail(raw);
  const kind = opts.kind ?? 'abuse-report';
  const trusted = opts.trustedRelays ?? [];
  const reportId = mail.messageId ? printable(mail.messageId, 100) : undefined;
  const reporterOf = (fallback?: string) => printable(fromAddress(mail) ?? fallback ?? 'mail', 200) || 'mail';
  const ct = mail.headers.get('content-type');
  const isReport = typeof ct === 'object' && ct !== null && 'value' in ct && ct.value === 'multipart/report';
  const feedback = mail.attachments.find((a) => isType(a, 'message/feedback-report'));
  const original = mail.attachments.find((a) => isType(a, 'message/rfc822', 'text/rfc822-headers'));
  const inner = original ? await parseMail(original.content) : undefined;
  const chain = all((inner ?? mail).headers.get('received'));
  const subject = printable(inner?.subject ?? mail.subject ?? '', 120);

  if (isReport && feedback) {
    // The report's fields are header syntax: mailparser reads them as a header block.
    const fields = (await parseMail(Buffer.concat([feedback.content, Buffer.from('\r\n\r\n')]))).headers;
    const feedbackType = printable(text(fields.get('feedback-type')) ?? 'unknown', 40).toLowerCase();
    const sourceIp = text(fields.get('source-ip'));
    const arrival = text(fields.get('arrival-date'));
    const arrivalAt = arrival ? Date.parse(arrival) : Number.NaN;
    const reportingMta = text(fields.get('reporting-mta'));
    const reporter = reporterOf(reportingMta);
    const relay = firstUntrustedRelay(chain, trusted);
    const fromSource = sourceIp ? address(sourceIp.trim()) : undefined;
    const ip = fromSource ?? relay?.ip;
    const how = fromSource ? 'the report\'s Source-IP' : relay ? `the reported message's Received header ${relay.hop}` : sourceIp ? `Source-IP ${JSON.stringify(printable(sourceIp, 60))} is not an address, and no Received header names a relay` : 'no Source-IP and no Received header naming a relay';
    if (!ip) return { how, format: 'arf', feedbackType };
    const observedAt = !Number.isNaN(arrivalAt) ? Math.floor(arrivalAt / 1000) : (relay?.at ?? opts.nowSeconds);
    const id = `arf:${reportId ?? `${reporter}:${formatNetwork(ip)}:${observedAt}`}`.slice(0, 128);
    const detail = printable(`ARF ${feedbackType} report${reportingMta ? ` from ${reportingMta}` : ''}; subject "${subject}"; address from ${how}`, 1000);
    return { event: { id, ip: formatNetwork(ip), kind, observedAt: Math.min(observedAt, opts.nowSeconds), reporter, detail }, how, format: 'arf', feedbackType };
  }

  const format = original ? 'forwarded' : 'plain';
  const relay = firstUntrustedRelay(chain, trusted);
  if (!relay) return { how: chain.length === 0 ? 'the message has no Received headers' : 'no Received header names an untrusted public relay', format };
  const reporter = reporterOf();
  const observedAt = Math.min(relay.at ?? opts.nowSeconds, opts.nowSeconds);
  const innerId = inner?.messageId ?? (original ? undefined : mail.messageId);
  const id = `mail:${innerId ? printable(innerId, 100) : `${reportId ?? reporter}:${formatNetwork(relay.ip)}:${observedAt}`}`.slice(0, 128);
  const how = `Received header ${relay.hop} of the ${original ? 'attached' : ''}${original ? ' ' : ''}message`;
  const detail = printable(`${format} spam; subject "${subject}"; address from ${how}`, 1000);
  return { event: { id, ip: formatNetwork(relay.ip), kind, observedAt, reporter, detail }, how, format };
}
