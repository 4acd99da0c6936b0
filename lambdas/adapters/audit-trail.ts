// Read-only views of the journal's audit trail for the canary (the journal adapter writes it; see
// journal.ts and the layout in table-schema.ts): recent events across all networks from the byTime
// index (one partition per UTC day, sorted by time), and "has this network changed since" from the
// network's own partition (H#<networkKey>, sorted by time).
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Network, networkKey } from '../core/ip.js';
import type { AuditEvent } from './journal.js';
import { JOURNAL_GSI } from './table-schema.js';

const dayKey = (iso: string) => `AUDIT#${iso.slice(0, 10).replace(/-/g, '')}`;

export class AuditTrail {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Audit events with `fromIso` <= time < `toIso`, newest first, at most `limit` (a bounded read). */
  async between(fromIso: string, toIso: string, limit: number): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    const firstDay = Date.parse(`${fromIso.slice(0, 10)}T00:00:00Z`);
    for (let day = Date.parse(`${toIso.slice(0, 10)}T00:00:00Z`); day >= firstDay && out.length < limit; day -= 86_400_000) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const r = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: JOURNAL_GSI.byTime.name,
            KeyConditionExpression: 'gsi1pk = :d AND gsi1sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':d': dayKey(new Date(day).toISOString()), ':from': fromIso, ':to': toIso },
            ScanIndexForward: false,
            Limit: limit - out.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of r.Items ?? []) {
          if (String(item.at) >= toIso) continue; // BETWEEN includes "<toIso>#…" only when equal; keep [from, to)
          const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...event } = item;
          out.push(event as unknown as AuditEvent);
        }
        startKey = r.LastEvaluatedKey;
      } while (startKey && out.length < limit);
    }
    return out;
  }

  /** Whether the audit trail of exactly `network` (any list) has an event at or after `sinceIso`. */
  async changedSince(network: Network, sinceIso: string): Promise<boolean> {
    const r = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk >= :since',
        ExpressionAttributeValues: { ':pk': `H#${networkKey(network)}`, ':since': sinceIso },
        Limit: 1,
        ProjectionExpression: 'pk',
      }),
    );
    return (r.Items ?? []).length > 0;
  }
}
