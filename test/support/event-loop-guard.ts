// Setup file for every test file: measures the longest stretch the test file kept its event loop
// blocked. Vitest's worker reports progress over an RPC with a fixed 60 s timeout; a test that blocks
// its loop for longer (a big synchronous plan, a synth) makes the run fail with `Timeout calling
// "onTaskUpdate"` on a loaded machine even though every assertion held. Failing here, at a margin
// below that, names the file instead; long blocks are logged so they are seen before they bite.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/** Logged above this; a failure above BLOCK_LIMIT_MS (vitest's RPC gives up at 60 s). */
const BLOCK_WARN_MS = 15_000;
const BLOCK_LIMIT_MS = 45_000;

const delay = monitorEventLoopDelay({ resolution: 50 });

beforeAll(async () => {
  delay.enable();
  // The monitor's timer needs a turn of the loop to start measuring.
  await new Promise((resolve) => setTimeout(resolve, 120));
});

// Vitest runs a file's tests one after another without a turn of the event loop between
// synchronous ones, so a file of property tests would block as long as all of them together.
afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve));
});

afterAll(async () => {
  // Let the loop turn so that the monitor records a block that ended just now.
  await new Promise((resolve) => setTimeout(resolve, 120));
  delay.disable();
  const maxMs = delay.max / 1e6;
  if (maxMs > BLOCK_WARN_MS) console.warn(`event loop blocked for up to ${(maxMs / 1000).toFixed(1)} s in this file`);
  expect(maxMs, `the event loop was blocked for ${(maxMs / 1000).toFixed(1)} s: split the work or move it off the test's thread`).toBeLessThan(BLOCK_LIMIT_MS);
});
