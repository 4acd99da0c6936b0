// A pass at 1,000,000 listings (README's mix) must fit the Step Functions state it travels in: the
// plan (its slices) and every slice's figures together stay under the 256 KB payload quota
// (https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html), with every slice
// bounded by the listing bound where the tree allows.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('a 1M-listing pass in the workflow state', () => {
  it('plans slices whose plan and reports fit 256 KB', async () => {
    // In a child process: the planning is synchronous (see reconcile-payload-child.ts).
    const { stdout } = await promisify(execFile)(path.join(REPO, 'node_modules', '.bin', 'tsx'), [path.join(REPO, 'test', 'sync', 'reconcile-payload-child.ts')], { cwd: REPO, timeout: 300_000 });
    const r = JSON.parse(stdout) as { slices: number; stateBytes: number; maxIntervals: number };
    console.log(`1M listings: ${r.slices} slices, workflow state ${(r.stateBytes / 1024).toFixed(0)} KiB`);
    expect(r.slices).toBeGreaterThan(50);
    expect(r.stateBytes).toBeLessThan(256 * 1024);
    expect(r.maxIntervals).toBeLessThan(20);
  }, 300_000);
});
