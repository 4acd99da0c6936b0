// The hosted zone's rrset quota as Route 53 reports it: GetHostedZoneLimit with Type
// MAX_RRSETS_BY_ZONE answers Limit.Value (the most records the zone may hold) and Count (the records
// it holds now) (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHostedZoneLimit.html).
// One request, counted against the account's request rate like every Route 53 call; transient faults
// are retried with backoff within the caller's deadline, as Route53Zone does (the client is built
// with ROUTE53_CLIENT_CONFIG, so the SDK itself makes one attempt).
import { GetHostedZoneLimitCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { sleep } from './listings-table.js';
import { transientCause } from './route53-zone.js';

export interface ZoneQuota {
  /** Records in the zone now (the apex SOA and NS included). */
  readonly count: number;
  /** The most records the zone may hold (10,000 unless raised by a support case). */
  readonly limit: number;
}

/** Where the quota guard and the status read the quota from (tests pass their own). */
export interface ZoneQuotaSource {
  read(opts?: { deadline?: number }): Promise<ZoneQuota>;
}

export class Route53Quota implements ZoneQuotaSource {
  constructor(
    private readonly client: Route53Client,
    readonly hostedZoneId: string,
    private readonly opts: { maxAttempts?: number } = {},
  ) {}

  async read(opts: { deadline?: number } = {}): Promise<ZoneQuota> {
    const maxAttempts = this.opts.maxAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.client.send(new GetHostedZoneLimitCommand({ HostedZoneId: this.hostedZoneId, Type: 'MAX_RRSETS_BY_ZONE' }));
        const count = r.Count;
        const limit = r.Limit?.Value;
        if (typeof count !== 'number' || typeof limit !== 'number') throw new Error('GetHostedZoneLimit answered without Count or Limit.Value');
        return { count, limit };
      } catch (e) {
        // The same backoff as Route53Zone.withRetry: 0.2 s doubling, 50-100% of it.
        const wait = Math.min(20_000, 200 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        const late = opts.deadline !== undefined && Date.now() + wait > opts.deadline;
        if (transientCause(e) === undefined || attempt >= maxAttempts || late) throw e;
        await sleep(wait);
      }
    }
  }
}
