// `npm run bench`: runs every benchmark in turn, each in its own process (so peak memory figures
// are its own). Sizes can be lowered for a quick look: BENCH_N (plan/render, default 1,000,000),
// BENCH_SYNC_N (default 100,000), BENCH_EXPORT_N (default 1,000,000), BENCH_RECONCILE_N (default 100,000).
import { spawnSync } from 'node:child_process';

const benches = ['bench/plan-render.bench.ts', 'bench/sync.bench.ts', 'bench/export.bench.ts', 'bench/api.bench.ts', 'bench/public.bench.ts', 'bench/reconcile.bench.ts', 'bench/evidence.bench.ts'];
const only = process.argv.slice(2);
let failed = 0;
for (const b of benches) {
  if (only.length > 0 && !only.some((o) => b.includes(o))) continue;
  console.log(`\n=== ${b}`);
  const r = spawnSync('npx', ['tsx', b], { stdio: 'inherit', env: { POWERTOOLS_LOG_LEVEL: 'ERROR', ...process.env, NODE_NO_WARNINGS: '1' } });
  if (r.status !== 0) {
    failed++;
    console.log(`=== ${b} failed (exit ${r.status})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
