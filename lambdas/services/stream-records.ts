// DynamoDB stream records -> the networks whose answers may have changed.
//
// Why not Powertools Parser's DynamoDBStreamSchema at the handler's edge (read for issue 15): it
// allows only INSERT, MODIFY and REMOVE as event names, so one record of an unknown kind would fail
// the whole batch, where this keeps it and re-plans its network from the table; and it unmarshalls
// the keys and both images of every record up front, on the function whose CPU sets the pace of
// bulk imports (2,000-record batches). The one cast it would remove is the image type below.
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

/** A listing's state after a batch: its last image, or why there is none. */
export interface BatchListing {
  readonly list: string;
  readonly network: Network;
  /** The last new image (undefined = removed), or 'unknown' when the record carries no image. */
  readonly image: Listing | undefined | 'unknown';
  /**
   * The listing before the batch: the old image of its first record (undefined after an INSERT:
   * there was none), or 'unknown' when that record carries no old image.
   */
  readonly before: Listing | undefined | 'unknown';
}

/**
 * The state after the batch of every listing it changed, keyed by listingId: the NewImage of the
 * listing's last record (records of one item arrive in order), undefined after a REMOVE. A record
 * without images (an unknown event name, a stream without NEW_AND_OLD_IMAGES) gives 'unknown': the
 * caller reads the listing from the table then.
 */
export function batchListings(records: readonly DynamoDBRecord[]): Map<string, BatchListing> {
  const out = new Map<string, BatchListing>();
  for (const r of records) {
    const keys = r.dynamodb?.Keys;
    const pk = keys?.pk?.S;
    const sk = keys?.sk?.S;
    if (!pk || !sk || !isListingItem({ pk, sk })) continue;
    const { network, list } = networkFromKey(sk);
    const id = listingId({ list, network });
    const img = r.dynamodb?.NewImage;
    const oldImg = r.dynamodb?.OldImage;
    let image: BatchListing['image'];
    if (r.eventName === 'REMOVE') image = undefined;
    else if ((r.eventName === 'INSERT' || r.eventName === 'MODIFY') && img) image = fromItem(unmarshall(img as Record<string, AttributeValue>));
    else image = 'unknown';
    let before: BatchListing['before'];
    if (r.eventName === 'INSERT') before = undefined;
    else if ((r.eventName === 'MODIFY' || r.eventName === 'REMOVE') && oldImg) before = fromItem(unmarshall(oldImg as Record<string, AttributeValue>));
    else before = 'unknown';
    const first = out.get(id);
    out.delete(id); // keep stream order: the listing's last record decides
    out.set(id, { list, network, image, before: first ? first.before : before });
  }
  return out;
}
