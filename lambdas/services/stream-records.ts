// DynamoDB stream records -> the networks whose answers may have changed.
import type { DynamoDBRecord } from 'aws-lambda';
import type { Network } from '../core/ip.js';
import { isListingItem, networkFromKey } from '../adapters/listing-item.js';

export interface ChangedNetwork {
  readonly sequenceNumber: string;
  readonly network: Network;
  readonly list: string;
  /** INSERT, MODIFY, REMOVE, TTL-REMOVE, or the unknown event name as given. */
  readonly kind: string;
}

export function isTtlRemoval(r: DynamoDBRecord): boolean {
  return (
    r.eventName === 'REMOVE' &&
    r.userIdentity?.type === 'Service' &&
    r.userIdentity?.principalId === 'dynamodb.amazonaws.com'
  );
}

/**
 * Which network each record touched. Records of other items (none today) are skipped; unknown
 * event names are kept: re-planning a network from the table is always safe.
 */
export function changedNetworks(records: readonly DynamoDBRecord[]): { changed: ChangedNetwork[]; skipped: number } {
  const changed: ChangedNetwork[] = [];
  let skipped = 0;
  for (const r of records) {
    const keys = r.dynamodb?.Keys;
    const pk = keys?.pk?.S;
    const sk = keys?.sk?.S;
    if (!pk || !sk || !isListingItem({ pk, sk })) {
      skipped++;
      continue;
    }
    const { network, list } = networkFromKey(sk);
    const kind = isTtlRemoval(r) ? 'TTL-REMOVE' : (r.eventName ?? 'UNKNOWN');
    changed.push({ sequenceNumber: r.dynamodb?.SequenceNumber ?? '', network, list, kind });
  }
  return { changed, skipped };
}
