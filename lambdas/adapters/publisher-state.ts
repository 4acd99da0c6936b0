// What the publisher's passes leave in the journal's STATE items for `dnsbl status` and the alarms
// to read: one place for the names and shapes, so the writer (reconcile, stream-sync) and the
// reader (the status API) cannot drift apart.
import type { Journal } from './journal.js';

/** A finished reconcile pass (whole zone or one network's subtree). */
export interface ReconcilePassRecord {
  passId: string;
  /** ISO times. */
  startedAt: string;
  finishedAt: string;
  /** The whole zone (true) or one network's subtree (false). */
  full: boolean;
  /** The network the pass was limited to, when not full. */
  network?: string;
  dryRun: boolean;
  slices: number;
  rrsetsRead: number;
  /** Changes needed (found); repaired = sent (0 when dry). */
  drift: number;
  repaired: number;
  durationMs: number;
}

/** What the stream-sync last applied. */
export interface SyncProgressRecord {
  /** ISO time of the last invocation that finished. */
  syncedAt: string;
  /** Creation time (ISO) of the newest stream record that invocation applied. */
  newestRecordAt?: string;
  /** syncedAt minus the oldest record's creation time in that invocation, ms. */
  lagMs: number;
  records: number;
}

export const STATE_NAMES = {
  /** Latest pass of any kind. */
  lastPass: (zone: string) => `reconcile-pass#${zone}`,
  /** Latest full, not-dry pass that completed every slice: what the "no full pass" alarm means. */
  lastFullPass: (zone: string) => `reconcile-full-pass#${zone}`,
  syncProgress: (zone: string) => `sync-progress#${zone}`,
} as const;

export class PublisherState {
  constructor(
    private readonly journal: Pick<Journal, 'getState' | 'putState'>,
    private readonly zone: string,
  ) {}

  async recordPass(p: ReconcilePassRecord): Promise<void> {
    await this.journal.putState(STATE_NAMES.lastPass(this.zone), p);
    if (p.full && !p.dryRun) await this.journal.putState(STATE_NAMES.lastFullPass(this.zone), p);
  }

  lastPass(): Promise<ReconcilePassRecord | undefined> {
    return this.journal.getState<ReconcilePassRecord>(STATE_NAMES.lastPass(this.zone));
  }

  lastFullPass(): Promise<ReconcilePassRecord | undefined> {
    return this.journal.getState<ReconcilePassRecord>(STATE_NAMES.lastFullPass(this.zone));
  }

  async recordSync(p: SyncProgressRecord): Promise<void> {
    await this.journal.putState(STATE_NAMES.syncProgress(this.zone), p);
  }

  syncProgress(): Promise<SyncProgressRecord | undefined> {
    return this.journal.getState<SyncProgressRecord>(STATE_NAMES.syncProgress(this.zone));
  }
}
