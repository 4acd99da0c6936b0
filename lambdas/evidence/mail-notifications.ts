// S3 event notifications of mail SES received -> each mail through ingestMail (mail-intake.ts).
// The function behind the mail bucket's notification (lambdas/handlers/evidence-mail.ts) is this
// plus its clients.
//
// A mail that names no relay, or whose event the intake refuses, is logged and done with: asking
// again would give the same answer. A mail that cannot be read or stored fails the invocation after
// the other records of the event are handled, so Lambda retries it (and then its on-failure queue
// keeps it); records handled already are handled again harmlessly, as an event's id is its mail's.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import type { Network } from '../core/ip.js';
import type { EvidenceIntake } from './intake.js';
import { ingestMail, type MailIntakeResult } from './mail-intake.js';
import { decodeEventKey, kindOfMailKey } from './mail-objects.js';

export interface MailNotificationDeps {
  readonly s3: Pick<S3Client, 'send'>;
  readonly intake: () => Promise<Pick<EvidenceIntake, 'submit'>>;
  readonly trustedRelays: readonly Network[];
  readonly nowSeconds: () => number;
  readonly log: {
    info(message: string, extra?: Record<string, unknown>): void;
    warn(message: string, extra?: Record<string, unknown>): void;
    error(message: string, extra?: Record<string, unknown>): void;
  };
}

export interface MailOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly result?: MailIntakeResult;
  readonly skipped?: string;
  readonly error?: string;
}

/** Handles every record; throws (after all of them) when any mail could not be read or stored. */
export async function processMailNotification(event: S3Event, deps: MailNotificationDeps): Promise<MailOutcome[]> {
  const out: MailOutcome[] = [];
  for (const record of event.Records ?? []) {
    const bucket = record.s3.bucket.name;
    const key = decodeEventKey(record.s3.object.key);
    const kind = kindOfMailKey(key);
    if (!kind) {
      deps.log.warn('mail object outside mail/<kind>/: ignored', { bucket, key });
      out.push({ bucket, key, skipped: 'not under mail/<kind>/' });
      continue;
    }
    try {
      const r = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!r.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      const raw = Buffer.from(await r.Body.transformToByteArray());
      const result = await ingestMail(raw, await deps.intake(), { kind, trustedRelays: deps.trustedRelays, nowSeconds: deps.nowSeconds() });
      const summary = {
        bucket,
        key,
        status: result.status,
        format: result.format,
        how: result.how,
        ...(result.ip ? { ip: result.ip, eventId: result.eventId } : {}),
        ...(result.problems ? { problems: result.problems } : {}),
        ...(result.report ? { decisions: result.report.decisions, writes: result.report.writes } : {}),
      };
      if (result.status === 'accepted') deps.log.info('mail evidence accepted', summary);
      else deps.log.warn(result.status === 'no-relay' ? 'mail names no relay: nothing to record' : 'mail evidence refused by the intake', summary);
      out.push({ bucket, key, result });
    } catch (e) {
      deps.log.error('mail could not be ingested (retried by Lambda)', { bucket, key, error: (e as Error).message });
      out.push({ bucket, key, error: (e as Error).message });
    }
  }
  const failed = out.filter((o) => o.error !== undefined);
  if (failed.length > 0) throw new Error(`${failed.length} of ${out.length} mail(s) could not be ingested: ${failed.map((f) => `${f.key}: ${f.error}`).join('; ')}`);
  return out;
}
