// DynamoDB stream records -> the networks whose answers may have changed.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { Network } from '../core/ip.js';
import type { Listing } from '../core/listing.js';
import { fromItem, isListingItem, networkFromKey } from '../adapters/listing-item.js';
import { listingId } from './region-context.js';

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

/**
 * The state before the batch of every listing it changed (the first old image of each), or
 * undefined when some record carries no images (then the zone must be read instead).
 */
export function previousListings(records: readonly DynamoDBRecord[]): Map<string, Listing | undefined> | undefined {
  const out = new Map<string, Listing | undefined>();
  for (const r of records) {
    const keys = r.dynamodb?.Keys;
    const sk = keys?.sk?.S;
    if (!keys?.pk?.S || !sk || !isListingItem({ pk: keys.pk.S, sk })) continue;
    if (r.dynamodb?.StreamViewType !== 'NEW_AND_OLD_IMAGES') return undefined;
    const { network, list } = networkFromKey(sk);
    const id = listingId({ list, network });
    if (out.has(id)) continue;
    const old = r.dynamodb?.OldImage;
    // Only an INSERT may lack an old image; otherwise the previous state is unknown.
    if (!old && r.eventName !== 'INSERT') return undefined;
    out.set(id, old ? fromItem(unmarshall(old as Record<string, AttributeValue>)) : undefined);
  }
  return out;
}
