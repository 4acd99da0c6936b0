// Stored listings as the API shows them.
import { formatNetwork } from '../core/ip.js';
import { isActive, type Listing } from '../core/listing.js';
import type { z } from 'zod';
import type { listingViewSchema } from './schemas.js';

export type ListingView = z.infer<typeof listingViewSchema>;

export function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}

export function listingView(l: Listing & { version?: number }, nowSeconds: number): ListingView {
  return {
    list: l.list,
    network: formatNetwork(l.network),
    exclusion: l.exclusion,
    reason: l.reason,
    source: l.source,
    since: l.createdAt,
    updatedAt: l.updatedAt,
    expiresAt: l.expiresAt === undefined ? null : isoSeconds(l.expiresAt),
    expired: !isActive(l, nowSeconds),
    version: l.version ?? 0,
  };
}

/** The part of a listing an audit event records as before/after. */
export function auditState(l: Listing & { version?: number }): Record<string, unknown> {
  return {
    exclusion: l.exclusion,
    reason: l.reason,
    source: l.source,
    ...(l.expiresAt !== undefined ? { expiresAt: isoSeconds(l.expiresAt) } : {}),
    createdAt: l.createdAt,
    ...(l.version !== undefined ? { version: l.version } : {}),
  };
}
