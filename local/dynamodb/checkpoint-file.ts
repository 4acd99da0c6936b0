// Per-shard progress of a stream poller, kept in a JSON file so a restarted poller resumes.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ShardCheckpoint {
  /** Last record handled (passed to the handler successfully, or sent to onFailure). */
  sequenceNumber?: string;
  /** Shard closed and read to its end: never read again. */
  finished?: boolean;
}

export interface Checkpoints {
  streamArn: string;
  shards: Record<string, ShardCheckpoint>;
}

/** The saved checkpoints, or undefined if there are none for this stream (a re-created table has a new ARN). */
export function loadCheckpoints(file: string, streamArn: string): Checkpoints | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const saved = JSON.parse(text) as Checkpoints;
  return saved.streamArn === streamArn ? saved : undefined;
}

/** Write-then-rename, so a crash mid-write leaves the previous file intact. */
export function saveCheckpoints(file: string, cp: Checkpoints): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cp, null, 2));
  renameSync(tmp, file);
}
