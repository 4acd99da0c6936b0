// One abuse report by mail -> evidence, the same for SES receiving (AWS: the mail lands in S3 and a
// Lambda reads it) and the local SMTP front end: parse (lambdas/evidence/arf.ts, mailparser), then
// submit the event through the intake as any reporter would, so it is validated, stored, idempotent
// by its id and evaluated by the list policies. A mail naming no relay is kept out (nothing to list)
// and said so; a protected address becomes evidence that never lists.
import { evidenceFromMail, type MailEvidence, type MailOptions } from './arf.js';
import type { EvidenceIntake, IntakeReport } from './intake.js';

/** The caller recorded with evidence that arrived by mail (its reporter is the mail's sender). */
export const MAIL_CALLER = 'mail-intake';

export interface MailIntakeResult {
  /** accepted: stored and evaluated; no-relay: nothing to list; rejected: the event was invalid. */
  readonly status: 'accepted' | 'no-relay' | 'rejected';
  readonly format: MailEvidence['format'];
  readonly how: string;
  readonly eventId?: string;
  readonly ip?: string;
  /** Why the intake refused the event. */
  readonly problems?: readonly string[];
  readonly report?: IntakeReport;
}

export async function ingestMail(raw: Buffer | string, intake: Pick<EvidenceIntake, 'submit'>, opts: MailOptions, caller = MAIL_CALLER): Promise<MailIntakeResult> {
  const parsed = await evidenceFromMail(raw, opts);
  const base = { format: parsed.format, how: parsed.how };
  if (!parsed.event) return { ...base, status: 'no-relay' };
  const report = await intake.submit([parsed.event], caller);
  const ids = { eventId: parsed.event.id, ip: parsed.event.ip };
  if (report.accepted === 0) return { ...base, ...ids, status: 'rejected', problems: report.rejected.map((p) => p.message), report };
  return { ...base, ...ids, status: 'accepted', report };
}
