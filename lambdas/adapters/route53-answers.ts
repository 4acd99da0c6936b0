// What Route 53's own name servers answer for a name, asked through the API operation TestDNSAnswer
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_TestDNSAnswer.html):
// GET /2013-04-01/testdnsanswer?hostedzoneid=…&recordname=…&recordtype=… answers ResponseCode (an
// IANA RCODE name such as NOERROR or NXDOMAIN) and RecordData (the answer section's values, in the
// presentation form Route 53 uses for record values: a TXT record as quoted strings). SDK v3:
// TestDNSAnswerCommand of @aws-sdk/client-route-53. It needs no delegation and reads no zone
// contents through ListResourceRecordSets, but it is a Route 53 API request: it counts against the
// account's request rate (50 burst, 10/s, shared with the zone writer; see
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html), so the
// caller gives every question an attempt budget and a throttled question is not retried past it.
import { type Route53Client, TestDNSAnswerCommand } from '@aws-sdk/client-route-53';
import type { ZoneAnswer } from '../core/answer-check.js';
import { txtText } from '../core/rrset.js';

export interface AskResult {
  readonly answer?: ZoneAnswer;
  /** Requests sent (each counts against Route 53's rate). */
  readonly attempts: number;
  /** Why there is no answer (after the attempts allowed). */
  readonly error?: string;
  /** The last error was Route 53 throttling the account. */
  readonly throttled?: boolean;
}

/** What the canary needs: a question, at most `maxAttempts` requests for it. */
export interface AnswerSource {
  ask(name: string, type: 'A' | 'TXT', maxAttempts: number): Promise<AskResult>;
}

const RETRYABLE = new Set(['Throttling', 'ThrottlingException', 'ServiceUnavailable', 'RequestTimeout', 'InternalFailure']);

/** A RecordData value as the text a resolver sees: TXT strings unquoted and joined, others as they are. */
export function recordDataText(type: 'A' | 'TXT', value: string): string {
  return type === 'TXT' && value.trimStart().startsWith('"') ? txtText(value) : value;
}

export class Route53Answers implements AnswerSource {
  constructor(
    private readonly client: Route53Client,
    private readonly hostedZoneId: string,
    private readonly opts: { backoffMs?: number; sleep?: (ms: number) => Promise<void> } = {},
  ) {}

  async ask(name: string, type: 'A' | 'TXT', maxAttempts: number): Promise<AskResult> {
    let attempts = 0;
    let lastError = 'no attempt allowed';
    let throttled = false;
    while (attempts < maxAttempts) {
      attempts++;
      try {
        const r = await this.client.send(new TestDNSAnswerCommand({ HostedZoneId: this.hostedZoneId, RecordName: name, RecordType: type }));
        return {
          answer: { rcode: r.ResponseCode ?? 'UNKNOWN', values: (r.RecordData ?? []).map((v) => recordDataText(type, v)) },
          attempts,
        };
      } catch (e) {
        const err = e as Error & { $metadata?: { httpStatusCode?: number } };
        lastError = `${err.name}: ${err.message}`;
        throttled = err.name === 'Throttling' || err.name === 'ThrottlingException';
        const retryable = RETRYABLE.has(err.name) || (err.$metadata?.httpStatusCode ?? 0) >= 500;
        if (!retryable) break;
        if (attempts < maxAttempts) await (this.opts.sleep ?? sleep)((this.opts.backoffMs ?? 250) * 2 ** (attempts - 1) * (0.5 + Math.random()));
      }
    }
    return { attempts, error: lastError, throttled };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
