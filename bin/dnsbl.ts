// The `dnsbl` CLI entry (see lambdas/cli/main.ts). Run through bin/dnsbl.mjs, or `npx tsx bin/dnsbl.ts`.
// The first SIGINT/SIGTERM interrupts the command cleanly (an import stops, says how far it got and
// how to resume; exit 3); a second one exits at once (130).
import { runCli } from '../lambdas/cli/main.js';

const interrupt = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupt.signal.aborted) process.exit(130);
    process.stderr.write(`\ndnsbl: ${sig}: stopping (again to quit at once)\n`);
    interrupt.abort(new Error(sig));
  });
}

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: interrupt.signal });
