// Abuse reports by mail on the local stack: a real SMTP server (smtp-server) on loopback that feeds
// each message to ingestMail (lambdas/evidence/mail-intake.ts: the same parse-then-submit code SES
// receiving runs in AWS) and answers the sender with the outcome:
//   250  accepted: the event's address, how it was found, and what the policies did
//   552  over the size limit (5.3.4): nothing was read
//   550  the report names no untrusted relay (5.6.0), or the intake refused its event (5.7.1:
//        e.g. older than the evidence TTL) - the reason is in the reply
//   451  the intake failed (4.3.0: e.g. the table is unreachable): try again later
// A reply line is at most 512 octets with its code and CRLF (RFC 5321 4.5.3.1.5), so the text is
// cut to 400 characters.
//
//   curl smtp://127.0.0.1:2526 --mail-from me@example.net --mail-rcpt abuse@bl.example.org -T report.eml
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Network } from '../lambdas/core/ip.js';
import type { EvidenceIntake } from '../lambdas/evidence/intake.js';
import { ingestMail, type MailIntakeResult } from '../lambdas/evidence/mail-intake.js';

export const DEFAULT_REPORT_SMTP_PORT = 2526;
/**
 * The largest report taken locally: a report is a few KB. (SES receiving's S3 action takes up to
 * 40 MB, headers included, and bounces larger mail: CfnReceiptRule.S3ActionProperty,
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ses.CfnReceiptRule.S3ActionProperty.html
 * — older revisions of that page say 30 MB.)
 */
export const DEFAULT_REPORT_MAX_BYTES = 1024 * 1024;
const MAX_REPLY = 400;

export interface ReportSmtpOptions {
  readonly intake: Pick<EvidenceIntake, 'submit'>;
  /** 0 = any free port (default). */
  readonly port?: number;
  readonly host?: string;
  readonly maxBytes?: number;
  /** Relays passed over in Received chains (the reporters' and our own mail servers). */
  readonly trustedRelays?: readonly Network[];
  /** The kind events get (default "abuse-report"). */
  readonly kind?: string;
  readonly now?: () => Date;
  readonly log?: (m: string) => void;
}

export interface ReportSmtp {
  readonly port: number;
  readonly maxBytes: number;
  close(): Promise<void>;
}

class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(oneLine(message));
  }
}

function oneLine(s: string): string {
  const t = s.replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim();
  return t.length > MAX_REPLY ? `${t.slice(0, MAX_REPLY - 3)}...` : t;
}

/** The 250 text for an accepted report: the address, how it was found, and what the policies did. */
export function acceptedText(r: MailIntakeResult): string {
  const decided = (r.report?.decisions ?? []).filter((d) => d.action !== 'none').map((d) => `${d.list} ${d.action}${d.expiresAt ? ` until ${d.expiresAt.replace(/\.000Z$/, 'Z')}` : ''}`);
  const escalated = (r.report?.escalations ?? []).filter((e) => e.escalate).map((e) => `${e.list} ${e.network}`);
  // A listing the write routes refused (an operator changed it meanwhile, the quota guard) is said so.
  const refused = (r.report?.writes ?? []).filter((w) => !['created', 'updated', 'unchanged'].includes(w.status)).map((w) => `${w.list} ${w.network} ${w.status}${w.note ? ` (${w.note})` : ''}`);
  return oneLine(
    `2.6.0 accepted: ${r.format} report about ${r.ip} (from ${r.how}); event ${r.eventId}; ` +
      `${decided.length ? decided.join(', ') : 'below every list\'s threshold'}${escalated.length ? `; escalated ${escalated.join(', ')}` : ''}${refused.length ? `; not written: ${refused.join(', ')}` : ''}`,
  );
}

export async function startReportSmtp(opts: ReportSmtpOptions): Promise<ReportSmtp> {
  const log = opts.log ?? (() => undefined);
  const maxBytes = opts.maxBytes ?? DEFAULT_REPORT_MAX_BYTES;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    banner: 'dnsbl-publisher local abuse-report intake (ARF or forwarded spam)',
    // Announced in EHLO (SIZE) so a client refuses early; checked again below for those that do not.
    size: maxBytes,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const done = (e: SmtpReply | null, text?: string) => {
          log(`report-smtp: from ${session.envelope.mailFrom ? session.envelope.mailFrom.address : '<>'}: ${e ? `${e.responseCode} ${e.message}` : `250 ${text}`}`);
          if (e) callback(e);
          else callback(null, text);
        };
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          done(new SmtpReply(552, `5.3.4 the report is larger than ${maxBytes} bytes; nothing was kept`));
          return;
        }
        const raw = Buffer.concat(chunks);
        const nowSeconds = Math.floor((opts.now?.() ?? new Date()).getTime() / 1000);
        ingestMail(raw, opts.intake, { nowSeconds, ...(opts.trustedRelays ? { trustedRelays: opts.trustedRelays } : {}), ...(opts.kind ? { kind: opts.kind } : {}) }).then(
          (r) => {
            if (r.status === 'accepted') done(null, acceptedText(r));
            else if (r.status === 'no-relay') done(new SmtpReply(550, `5.6.0 no address to report: ${r.how}; nothing was kept. Send an ARF report (RFC 5965) or forward the spam as an attachment with its Received headers`));
            else done(new SmtpReply(550, `5.7.1 the report about ${r.ip} was refused: ${(r.problems ?? []).join('; ')}`));
          },
          (e: Error) => done(new SmtpReply(451, `4.3.0 the report could not be taken just now (${e.message}); try again later`)),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  server.on('error', (e) => log(`report-smtp: ${e.message}`));
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  return { port, maxBytes, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
