// Listing <-> DynamoDB item (see table-schema.ts for the key design).
import { formatNetwork, type Network, networkKey, parseNetworkKey } from '../core/ip.js';
import type { Listing } from '../core/listing.js';
import { BY_LIST_BUCKETS } from './table-schema.js';

export interface ListingItem {
  pk: string;
  sk: string;
  list: string;
  network: string;
  nk: string;
  reason: string;
  source: string;
  createdAt: string;
  updatedAt: string;
  exclusion: boolean;
  version: number;
  expiresAt?: number;
  gsi1pk: string;
  gsi1sk: string;
  gsi2pk?: string;
  gsi2sk?: string;
  ttl?: number;
}

/**
 * Partition of a network: its first 16 (IPv4) or 32 (IPv6) bits. IPv4 networks wider than /16 (rare)
 * share one partition, so that every region's covering listings are one read of it away.
 */
export function shardOf(n: Network): string {
  if (n.family === 4 && n.prefix < 16) return WIDE_IPV4_PARTITION;
  return n.family === 4
    ? `N#4:${(n.start >> 16n).toString(16).padStart(4, '0')}`
    : `N#6:${(n.start >> 96n).toString(16).padStart(8, '0')}`;
}

export const WIDE_IPV4_PARTITION = 'N#4:wide';

export function shardBits(family: 4 | 6): number {
  return family === 4 ? 16 : 32;
}

export function listingKey(list: string, n: Network): { pk: string; sk: string } {
  return { pk: shardOf(n), sk: `${networkKey(n)}#${list}` };
}

function bucketOf(n: Network): number {
  // Spreads one list over BY_LIST_BUCKETS index partitions; stable for a network.
  let h = 0;
  for (const c of networkKey(n)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % BY_LIST_BUCKETS;
}

/** The byList index's partition key of one of a list's buckets (see table-schema.ts). */
export function byListKey(list: string, bucket: number): string {
  return `${list}#${bucket.toString().padStart(2, '0')}`;
}

export function expiryBucket(expiresAt: number): string {
  const d = new Date(expiresAt * 1000);
  const p = (x: number) => x.toString().padStart(2, '0');
  return `EXP#${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}`;
}

/** DynamoDB TTL removes the item a day after expiry, as a backstop to the sweeper. */
export const TTL_GRACE_SECONDS = 86_400;

export function toItem(l: Listing, version: number): ListingItem {
  const { pk, sk } = listingKey(l.list, l.network);
  const item: ListingItem = {
    pk,
    sk,
    list: l.list,
    network: formatNetwork(l.network),
    nk: networkKey(l.network),
    reason: l.reason,
    source: l.source,
    createdAt: l.createdAt,
    updatedAt: l.updatedAt,
    exclusion: l.exclusion,
    version,
    gsi1pk: byListKey(l.list, bucketOf(l.network)),
    gsi1sk: networkKey(l.network),
  };
  if (l.expiresAt !== undefined) {
    item.expiresAt = l.expiresAt;
    item.gsi2pk = expiryBucket(l.expiresAt);
    item.gsi2sk = `${l.expiresAt.toString().padStart(12, '0')}#${sk}`;
    item.ttl = l.expiresAt + TTL_GRACE_SECONDS;
  }
  return item;
}

export function isListingItem(item: Record<string, unknown> | undefined): boolean {
  return typeof item?.pk === 'string' && item.pk.startsWith('N#') && typeof item.sk === 'string';
}

export function fromItem(item: Record<string, unknown>): Listing & { version: number } {
  const network = parseNetworkKey(String(item.nk));
  const l: Listing & { version: number } = {
    list: String(item.list),
    network,
    reason: String(item.reason),
    source: String(item.source),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    exclusion: item.exclusion === true,
    version: Number(item.version ?? 0),
    ...(item.expiresAt !== undefined ? { expiresAt: Number(item.expiresAt) } : {}),
  };
  return l;
}

/** The network a key pair names (for stream records whose images may be missing). */
export function networkFromKey(sk: string): { network: Network; list: string } {
  const hash = sk.lastIndexOf('#');
  return { network: parseNetworkKey(sk.slice(0, hash)), list: sk.slice(hash + 1) };
}
