import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails a file that blocks its event loop near vitest's 60 s RPC timeout (see the file).
    setupFiles: ['test/support/event-loop-guard.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Real servers (DynamoDB Local, BIND, rbldnsd) are heavy on a 2-core machine.
    // Handlers log through Powertools; keep test output readable.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', NODE_NO_WARNINGS: '1' },
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
