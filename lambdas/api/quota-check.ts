// The quota guard in front of the listing and exclusion writes (and so the CLI's import, which posts
// batches to /v1/listings): what the batch adds to the zone is planned before anything is written,
// and a batch that would take the zone past its rrset quota is refused whole with 422
// zone-quota-exceeded, the table unchanged.
import type { Listing } from '../core/listing.js';
import { QuotaExceeded, type QuotaGuard } from '../services/quota-guard.js';
import { writeFootprint } from '../services/write-footprint.js';
import type { ApiDeps } from './deps.js';
import { ApiError } from './errors.js';
import type { UpsertIntent } from './validate.js';

const n = (x: number) => x.toLocaleString('en-US');

export async function checkQuota(deps: ApiDeps, guard: QuotaGuard, intents: readonly UpsertIntent[], now: Date): Promise<void> {
  const iso = now.toISOString();
  const written: Listing[] = intents.map((it) => ({
    list: it.list,
    network: it.network,
    reason: it.reason,
    source: it.source,
    exclusion: it.exclusion,
    createdAt: iso,
    updatedAt: iso,
    ...(it.expiresAt !== undefined ? { expiresAt: it.expiresAt } : {}),
  }));
  const footprint = await writeFootprint(deps.table, deps.cfg, written, {
    nowSeconds: Math.floor(now.getTime() / 1000),
    ...(deps.limits?.maxWidth4 !== undefined ? { maxWidth4: deps.limits.maxWidth4 } : {}),
    ...(deps.limits?.maxWidth6 !== undefined ? { maxWidth6: deps.limits.maxWidth6 } : {}),
  });
  try {
    await guard.admit(footprint.adds);
  } catch (e) {
    if (!(e instanceof QuotaExceeded)) throw e;
    const { quota, held, adds } = e;
    const inUse = quota.count + held;
    throw new ApiError(
      422,
      'zone-quota-exceeded',
      `zone ${deps.cfg.zone} holds ${n(inUse)} of its ${n(quota.limit)} rrsets (Route 53 quota MAX_RRSETS_BY_ZONE` +
        (held > 0 ? `; ${n(quota.count)} counted by Route 53 plus ${n(held)} from writes still reaching it` : '') +
        `); this write would add ${n(adds)}, ${n(inUse + adds - quota.limit)} past the limit. Nothing was written: the table is unchanged. ` +
        'Delist entries, split the batch, or ask AWS to raise the quota (then retry)',
      'items',
    );
  }
}
